#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Per-signature cost of strict Ed25519 verification against batch size.
//!
//! Every group reports `Throughput::Elements(signatures)`, so criterion's
//! time per element is the cost of one signature.
//!
//! The process-wide decoded-key cache makes a key seen before cheaper (no
//! point decompression, no canonical and small-order checks). Groups named
//! `.../warm` run with every key already in that cache (criterion's warm-up
//! puts them there); groups named `.../cold` empty it before every timed
//! call, in `iter_batched` setup with `BatchSize::PerIteration`: criterion
//! times only the routine, and one setup is followed by exactly one routine
//! (a larger `BatchSize` runs all setups of a batch first, so every routine
//! but the first would see warm keys).
//!
//! Run with `cargo bench -p chainproof-core --bench signatures`;
//! `scripts/bench_native.sh` turns the results into a table. With
//! `CHAINPROOF_BENCH_CPU=1` every group but the thread comparison is timed
//! in process CPU time (see `common/mod.rs`).

mod common;

use std::hint::black_box;

use chainproof_core::crypto::{
    self, clear_key_cache, SignatureItem, SigningKey, Threads, PUBLIC_KEY_LEN, SIGNATURE_LEN,
};
use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion, Throughput};

/// Batch sizes of the per-signature curve.
const SIZES: [usize; 13] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// Batch sizes under one shared key.
const SHARED_SIZES: [usize; 2] = [64, 1024];
/// Batch sizes split over 1 and 2 threads.
const THREAD_SIZES: [usize; 4] = [128, 256, 1024, 4096];
/// The largest batch.
const MAX: usize = 4096;

const DOMAIN: &[u8] = b"chainproof/bench/v1\x00";
/// About the size of a block's signed bytes.
const BODY_LEN: usize = 200;

/// One signed message.
struct Signed {
    public_key: [u8; PUBLIC_KEY_LEN],
    signature: [u8; SIGNATURE_LEN],
    body: Vec<u8>,
}

impl Signed {
    fn item(&self) -> SignatureItem<'_> {
        SignatureItem {
            public_key: &self.public_key,
            signature: &self.signature,
            domain: DOMAIN,
            body: &self.body,
        }
    }
}

fn seed(tag: u8, index: usize) -> [u8; 32] {
    let mut seed = [tag; 32];
    seed[..8].copy_from_slice(&(index as u64).to_le_bytes());
    seed
}

fn body(index: usize) -> Vec<u8> {
    (0..BODY_LEN)
        .map(|j| (index.wrapping_mul(31).wrapping_add(j * 7)) as u8)
        .collect()
}

/// `n` messages signed by `n` distinct keys.
fn distinct_keys(n: usize) -> Vec<Signed> {
    (0..n)
        .map(|i| {
            let key = SigningKey::from_seed(&seed(0xa5, i));
            let body = body(i);
            Signed {
                public_key: key.public_key(),
                signature: key.sign_parts(DOMAIN, &body),
                body,
            }
        })
        .collect()
}

/// `n` distinct messages signed by one key.
fn one_key(n: usize) -> Vec<Signed> {
    let key = SigningKey::from_seed(&seed(0x5a, 0));
    (0..n)
        .map(|i| {
            let body = body(i);
            Signed {
                public_key: key.public_key(),
                signature: key.sign_parts(DOMAIN, &body),
                body,
            }
        })
        .collect()
}

fn items(signed: &[Signed]) -> Vec<SignatureItem<'_>> {
    signed.iter().map(Signed::item).collect()
}

fn all_true(verdicts: &[bool]) -> bool {
    verdicts.iter().all(|&ok| ok)
}

fn single<M: Measurement>(c: &mut Criterion<M>) {
    let signed = distinct_keys(1);
    let item = signed[0].item();
    assert!(crypto::verify(&item));
    let mut group = c.benchmark_group("sig_single");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify/warm", |b| {
        b.iter(|| crypto::verify(black_box(&item)))
    });
    group.bench_function("verify/cold", |b| {
        b.iter_batched(
            clear_key_cache,
            |()| crypto::verify(black_box(&item)),
            BatchSize::PerIteration,
        )
    });
    // The work the key cache saves: decompression plus the canonical and
    // small-order checks, never cached on this path.
    group.bench_function("key_decode", |b| {
        b.iter(|| crypto::check_public_key(black_box(&signed[0].public_key)))
    });
    group.finish();
}

fn batch_distinct<M: Measurement>(c: &mut Criterion<M>) {
    let signed = distinct_keys(MAX);
    let all = items(&signed);
    assert!(all_true(&crypto::verify_batch(&all)));

    let mut group = c.benchmark_group("sig_batch_distinct/warm");
    for n in SIZES {
        let batch = &all[..n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(n.to_string(), |b| {
            b.iter(|| crypto::verify_batch(black_box(batch)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sig_batch_distinct/cold");
    for n in SIZES {
        let batch = &all[..n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(n.to_string(), |b| {
            b.iter_batched(
                clear_key_cache,
                |()| crypto::verify_batch(black_box(batch)),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn batch_shared<M: Measurement>(c: &mut Criterion<M>) {
    let signed = one_key(*SHARED_SIZES.iter().max().unwrap_or(&1));
    let all = items(&signed);
    assert!(all_true(&crypto::verify_batch(&all)));
    let mut group = c.benchmark_group("sig_batch_shared_key/warm");
    for n in SHARED_SIZES {
        let batch = &all[..n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(n.to_string(), |b| {
            b.iter(|| crypto::verify_batch(black_box(batch)))
        });
    }
    group.finish();
}

fn threads(c: &mut Criterion) {
    let signed = distinct_keys(MAX);
    let all = items(&signed);
    for t in [1, 2] {
        assert!(all_true(
            &crypto::verify_batch_on(&all, Threads::Exactly(t)).unwrap()
        ));
    }
    let mut group = c.benchmark_group("sig_batch_threads/warm");
    for n in THREAD_SIZES {
        let batch = &all[..n];
        group.throughput(Throughput::Elements(n as u64));
        for t in [1, 2] {
            group.bench_function(format!("{n}/t{t}"), |b| {
                b.iter(|| crypto::verify_batch_on(black_box(batch), Threads::Exactly(t)))
            });
        }
    }
    group.finish();
}

fn main() {
    let mut wall = common::settings(Criterion::default()).configure_from_args();
    if common::cpu_time_requested() {
        let mut cpu = common::settings(Criterion::default().with_measurement(common::cpu_clock()))
            .configure_from_args();
        single(&mut cpu);
        batch_distinct(&mut cpu);
        batch_shared(&mut cpu);
        cpu.final_summary();
    } else {
        single(&mut wall);
        batch_distinct(&mut wall);
        batch_shared(&mut wall);
    }
    // A speed-up is a latency: always wall time.
    threads(&mut wall);
    wall.final_summary();
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The verifier pipeline per hop, and decoding from the wire.
//!
//! `pipeline/...`: `Verifier::verify_batch` on 256 requests, each a distinct
//! chain of the given depth (one root issuer, distinct holder keys, one
//! invocation per chain), already decoded, one thread, no replay cache.
//! `cache_off` is the default verifier (every block signature checked);
//! `cache_on` has a verified-block cache of 65,536 entries, warmed by one
//! call before timing, so only the 256 invocation signatures are checked.
//! The process-wide decoded-key cache is warm in both (criterion's warm-up
//! fills it). Throughput is in requests, so time per element is per request;
//! the slope over depth is the cost per hop.
//!
//! `decode/...`: one token or invocation from its text (`cpt1.`/`cpi1.`) or
//! binary form, with the default limits.
//!
//! Run with `cargo bench -p chainproof-core --bench chains`;
//! `scripts/bench_native.sh` turns the results into a table. With
//! `CHAINPROOF_BENCH_CPU=1` everything is timed in process CPU time (see
//! `common/mod.rs`; every group here runs on one thread).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::sync::Arc;

use chainproof_core::caps::{
    Actions, Capability, Constraint, Number, ResourcePattern, Rule, Value,
};
use chainproof_core::crypto::SigningKey;
use chainproof_core::invocation::Invocation;
use chainproof_core::mint::{self, BlockSpec, InvocationSpec};
use chainproof_core::token::Token;
use chainproof_core::verifier::{InvocationInput, Policy, Request, TokenInput, Verifier};
use chainproof_core::Limits;
use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion, Throughput};

const NOW: u64 = 1_800_000_000;
const BATCH: usize = 256;
const DEPTHS: [u8; 4] = [0, 1, 3, 5];
const BLOCK_CACHE: usize = 65_536;

fn root_key() -> SigningKey {
    SigningKey::from_seed(&[0x11; 32])
}

/// The key of hop `hop` of chain `chain` (hop 0 is the root block's subject).
fn holder_key(chain: usize, hop: u8) -> SigningKey {
    let mut seed = [0x22; 32];
    seed[..8].copy_from_slice(&(chain as u64).to_le_bytes());
    seed[8] = hop;
    SigningKey::from_seed(&seed)
}

fn cap() -> Capability {
    let limits = Limits::default();
    Capability::new(
        ResourcePattern::parse("bank/invoices/*", &limits).unwrap(),
        Actions::new(vec!["pay".to_string()], &limits).unwrap(),
        vec![Constraint::new("amount", Rule::Max(Number::from_int(1000)), &limits).unwrap()],
        &limits,
    )
    .unwrap()
}

fn spec(subject: &SigningKey, depth: u64, chain: usize, hop: u8) -> BlockSpec {
    let mut block_id = [hop; 16];
    block_id[..8].copy_from_slice(&(chain as u64).to_le_bytes());
    BlockSpec {
        subject: subject.public_key(),
        subject_id: None,
        capabilities: vec![cap()],
        purpose: "payments/invoices".into(),
        not_before: NOW - 10,
        expires: NOW + 3600,
        depth,
        audiences: vec!["bank".into()],
        block_id: Some(block_id),
        reason: Some(format!("hop {hop}")),
        principal: None,
    }
}

/// Chain `chain` of `depth` delegations below the shared root, and an
/// invocation by its leaf holder.
fn chain(chain: usize, depth: u8) -> (Token, Invocation) {
    let limits = Limits::default();
    let mut root_spec = spec(&holder_key(chain, 0), 8, chain, 0);
    root_spec.principal = Some("alice".into());
    let mut token = mint::issue(&root_key(), root_spec, &limits).unwrap();
    for hop in 1..=depth {
        let s = spec(&holder_key(chain, hop), u64::from(8 - hop), chain, hop);
        token =
            mint::delegate(&token, &holder_key(chain, hop - 1), s, &limits, true, false).unwrap();
    }
    let mut args = BTreeMap::new();
    args.insert("amount".to_string(), Value::Number(Number::from_int(250)));
    let mut nonce = vec![0x33; 16];
    nonce[..8].copy_from_slice(&(chain as u64).to_le_bytes());
    let inv_spec = InvocationSpec {
        audience: "bank".into(),
        action: "pay".into(),
        resource: "bank/invoices/42".into(),
        args,
        request_digest: None,
        issued_at: NOW,
        nonce: Some(nonce),
    };
    let inv = mint::invoke(&token, &holder_key(chain, depth), inv_spec, &limits, true).unwrap();
    (token, inv)
}

fn verifier(block_cache: bool) -> Verifier {
    let roots: HashSet<[u8; 32]> = [root_key().public_key()].into_iter().collect();
    let v = Verifier::new(Policy::new(roots, "bank"), None, Some(1)).unwrap();
    if block_cache {
        v.with_block_cache(BLOCK_CACHE)
    } else {
        v
    }
}

fn decoded_requests(depth: u8) -> Vec<Request> {
    (0..BATCH)
        .map(|i| {
            let (token, inv) = chain(i, depth);
            Request {
                token: TokenInput::Decoded(Arc::new(token)),
                invocation: InvocationInput::Decoded(Arc::new(inv)),
                request_digest: None,
            }
        })
        .collect()
}

fn text_requests(depth: u8) -> Vec<Request> {
    (0..BATCH)
        .map(|i| {
            let (token, inv) = chain(i, depth);
            Request {
                token: TokenInput::Text(token.to_text()),
                invocation: InvocationInput::Text(inv.to_text()),
                request_digest: None,
            }
        })
        .collect()
}

fn assert_all_accepted(v: &Verifier, requests: &[Request]) {
    let verdicts = v.verify_batch(requests.to_vec(), NOW);
    assert_eq!(verdicts.len(), requests.len());
    assert!(
        verdicts.iter().all(|v| v.ok()),
        "{:?}",
        verdicts[0].reason()
    );
}

fn pipeline<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(BATCH as u64));
    for depth in DEPTHS {
        let requests = decoded_requests(depth);
        for (label, cached) in [("cache_off", false), ("cache_on", true)] {
            let v = verifier(cached);
            // Checks the inputs, fills the key cache and, when on, the
            // block cache.
            assert_all_accepted(&v, &requests);
            group.bench_function(format!("{label}/depth{depth}"), |b| {
                b.iter_batched(
                    || requests.clone(),
                    |r| v.verify_batch(r, NOW),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    // The same gateway path with decoding from the text forms included.
    let requests = text_requests(3);
    let v = verifier(true);
    assert_all_accepted(&v, &requests);
    group.bench_function("cache_on_text/depth3", |b| {
        b.iter_batched(
            || requests.clone(),
            |r| v.verify_batch(r, NOW),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn decode<M: Measurement>(c: &mut Criterion<M>) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    for depth in [0u8, 3] {
        let (token, inv) = chain(0, depth);
        let text = token.to_text();
        let binary = token.encode();
        assert_eq!(Token::from_text(&text, &limits).unwrap(), token);
        group.bench_function(format!("token_text/depth{depth}"), |b| {
            b.iter(|| Token::from_text(black_box(&text), &limits))
        });
        group.bench_function(format!("token_binary/depth{depth}"), |b| {
            b.iter(|| Token::decode(black_box(&binary), &limits))
        });
        if depth == 3 {
            let inv_text = inv.to_text();
            assert_eq!(Invocation::from_text(&inv_text, &limits).unwrap(), inv);
            group.bench_function("invocation_text", |b| {
                b.iter(|| Invocation::from_text(black_box(&inv_text), &limits))
            });
        }
    }
    group.finish();
}

fn main() {
    if common::cpu_time_requested() {
        let mut c = common::settings(Criterion::default().with_measurement(common::cpu_clock()))
            .configure_from_args();
        pipeline(&mut c);
        decode(&mut c);
        c.final_summary();
    } else {
        let mut c = common::settings(Criterion::default()).configure_from_args();
        pipeline(&mut c);
        decode(&mut c);
        c.final_summary();
    }
}

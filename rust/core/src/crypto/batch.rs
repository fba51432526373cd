//! Batch verification under the same strict-cofactored rule.
//!
//! Soundness of the random linear combination: write D_i = \[S_i\]B - R_i -
//! \[k_i\]A_i. An item is valid iff \[8\]D_i is the identity, i.e. iff D_i has
//! no component in the prime-order subgroup. The batch checks
//! \[8\](Σ \[z_i\]D_i); the factor 8 removes every small-order component, so
//! valid items contribute nothing whatever their torsion, and if some item is
//! invalid the prime-order parts cancel only when the z_i satisfy one linear
//! equation mod L, which independent 128-bit z_i do with probability at most
//! 2^-128. Hence the batch verdict equals the per-item verdicts, including on
//! the mixed-order signatures the cofactorless equation would treat
//! differently.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::iter::once;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};

use super::cache::cached_key_point;
use super::ed25519::{cofactored_equation_holds, parse_item, verify, ParsedItem, SignatureItem};

/// Bytes of randomness per batch coefficient z_i.
const COEFFICIENT_BYTES: usize = 16;

/// Strict-cofactored batch verification: one verdict per item, in order, each
/// equal to what [`verify`] answers for that item.
///
/// Items failing a pre-check (lengths, S < L, canonical and large-order A and
/// R) are `false` and left out of the equation. The rest are checked together
/// with one multiscalar multiplication using independent random 128-bit
/// coefficients; terms under the same public key are merged, since all blocks
/// of one issuer share a key. If the combined check fails, each remaining
/// item is checked on its own to name the bad ones. If the operating system's
/// random number generator fails, every item is checked on its own: this
/// function never panics and never fails.
pub fn verify_batch(items: &[SignatureItem<'_>]) -> Vec<bool> {
    verify_batch_with_rng(items, |buf| getrandom::fill(buf).is_ok())
}

/// [`verify_batch`] with the coefficient source passed in, so tests can make
/// the generator fail. `fill` returns whether it filled the buffer.
pub(crate) fn verify_batch_with_rng(
    items: &[SignatureItem<'_>],
    fill: impl FnOnce(&mut [u8]) -> bool,
) -> Vec<bool> {
    match items {
        [] => return Vec::new(),
        // Nothing to amortise: the single check is cheaper than an MSM.
        [only] => return vec![verify(only)],
        _ => {}
    }

    let batch = prepare(items);
    let batch_ok = batch.parsed.len() >= 2 && combined_check(&batch, fill);
    let mut verdicts = vec![false; items.len()];
    for (index, p) in &batch.parsed {
        let ok = batch_ok
            || batch
                .key_points
                .get(p.key)
                .is_some_and(|a| cofactored_equation_holds(a, &p.r, &p.s, &p.k));
        if let Some(verdict) = verdicts.get_mut(*index) {
            *verdict = ok;
        }
    }
    verdicts
}

/// The items that passed the pre-checks, with their keys merged.
pub(crate) struct Prepared {
    /// (position in the input, parsed item whose `key` indexes `key_points`).
    pub(crate) parsed: Vec<(usize, ParsedItem<usize>)>,
    /// One decoded point per distinct accepted key.
    pub(crate) key_points: Vec<EdwardsPoint>,
}

/// Runs the shared pre-checks on every item, decoding each distinct key once.
pub(crate) fn prepare(items: &[SignatureItem<'_>]) -> Prepared {
    // A key that fails its checks is cached as `None` so it is not
    // decompressed again either.
    let mut key_terms: HashMap<[u8; 32], Option<usize>> = HashMap::new();
    let mut key_points: Vec<EdwardsPoint> = Vec::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let decode_key = |bytes: &[u8; 32]| match key_terms.entry(*bytes) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(slot) => {
                let term = cached_key_point(bytes).map(|point| {
                    key_points.push(point);
                    key_points.len() - 1
                });
                *slot.insert(term)
            }
        };
        if let Some(p) = parse_item(item, decode_key) {
            parsed.push((index, p));
        }
    }
    Prepared { parsed, key_points }
}

/// Checks \[8\](\[-(Σ z_i S_i)\]B + Σ \[z_i\]R_i + Σ_keys \[Σ z_i k_i\]A) = identity.
///
/// `false` means "not known to all hold" (a bad item, or no randomness);
/// the caller then checks each item alone.
pub(crate) fn combined_check(batch: &Prepared, fill: impl FnOnce(&mut [u8]) -> bool) -> bool {
    let Prepared { parsed, key_points } = batch;
    // One call for the whole batch: a syscall per item would cost more than
    // the hashing.
    let mut random = vec![0u8; parsed.len() * COEFFICIENT_BYTES];
    if !fill(&mut random) {
        return false;
    }

    let mut basepoint_scalar = Scalar::ZERO;
    let mut r_scalars = Vec::with_capacity(parsed.len());
    let mut key_scalars = vec![Scalar::ZERO; key_points.len()];
    for ((_, p), z_bytes) in parsed.iter().zip(random.chunks_exact(COEFFICIENT_BYTES)) {
        let z = coefficient(z_bytes);
        basepoint_scalar -= z * p.s;
        r_scalars.push(z);
        match key_scalars.get_mut(p.key) {
            Some(sum) => *sum += z * p.k,
            // Cannot happen (parse_item only yields registered terms), but a
            // missing term must never turn into an acceptance.
            None => return false,
        }
    }

    // Collected rather than chained: the MSM asserts exact, equal lengths.
    let scalars: Vec<Scalar> = once(basepoint_scalar)
        .chain(r_scalars)
        .chain(key_scalars)
        .collect();
    let points: Vec<EdwardsPoint> = once(ED25519_BASEPOINT_POINT)
        .chain(parsed.iter().map(|(_, p)| p.r))
        .chain(key_points.iter().copied())
        .collect();
    if scalars.len() != points.len() {
        return false;
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars.iter(), points.iter())
        .mul_by_cofactor()
        .is_identity()
}

/// A coefficient below 2^128 (hence below L, so no reduction biases it).
fn coefficient(bytes: &[u8]) -> Scalar {
    let mut wide = [0u8; 32];
    wide.iter_mut()
        .zip(bytes)
        .for_each(|(dst, src)| *dst = *src);
    Scalar::from_bytes_mod_order(wide)
}

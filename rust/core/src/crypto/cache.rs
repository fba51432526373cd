//! Caches in front of the strict Ed25519 checks.
//!
//! Two facts are worth remembering between calls, and both are pure
//! functions of bytes, so a cached answer is always the answer a fresh
//! check would give:
//!
//! - a public key's decoded point, with the canonical-encoding and
//!   small-order checks already applied (or the fact that the key fails
//!   them): the key cache, process-wide, used by every check;
//! - that a signature verified under a key over a message: a
//!   [`SignatureCache`], owned by whoever wants one (a gateway's verifier
//!   sees the same delegation blocks on request after request).
//!
//! Only positive signature results are cached. A refusal is never cached,
//! so a cache can only skip work, never change a verdict.

use std::sync::LazyLock;

use curve25519_dalek::edwards::EdwardsPoint;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::ed25519::{decode_point, SignatureItem, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use super::{verify_batch, verify_batch_parallel};
use crate::bounded::BoundedMap;

/// Decoded keys kept process-wide: about 200 bytes each, so 3 MiB at most.
const KEY_CACHE_CAPACITY: usize = 16_384;

/// Below this many signatures a batch is checked on the calling thread (the
/// parallel split makes chunks of at least 64 anyway).
pub(crate) const PARALLEL_FROM_SIGNATURES: usize = 128;

/// Domain of the signature-cache keys.
const SIGNATURE_CACHE_DOMAIN: &[u8] = b"chainproof/v1/verified-signature\x00";

static KEY_CACHE: LazyLock<BoundedMap<[u8; PUBLIC_KEY_LEN], Option<EdwardsPoint>>> =
    LazyLock::new(|| BoundedMap::new(KEY_CACHE_CAPACITY));

/// [`decode_point`] for a public key, through the process-wide key cache:
/// `None` if the key is not acceptable.
pub(crate) fn cached_key_point(key: &[u8; PUBLIC_KEY_LEN]) -> Option<EdwardsPoint> {
    if let Some(known) = KEY_CACHE.get(key) {
        return known;
    }
    let point = decode_point(key).ok();
    KEY_CACHE.insert(*key, point);
    point
}

/// Empties the process-wide cache of decoded public keys (for benchmarks
/// that measure cold keys, and for tests).
pub fn clear_key_cache() {
    KEY_CACHE.clear();
}

/// The number of public keys in the process-wide cache.
pub fn key_cache_len() -> usize {
    KEY_CACHE.len()
}

/// A bounded, thread-safe set of signatures known to verify, keyed by
/// SHA-256 of the key, the signature and the exact signed bytes.
#[derive(Debug)]
pub struct SignatureCache {
    verified: BoundedMap<[u8; 32], ()>,
}

impl SignatureCache {
    /// A cache of at most `capacity` signatures (0: a cache that holds
    /// nothing).
    pub fn new(capacity: usize) -> SignatureCache {
        SignatureCache {
            verified: BoundedMap::new(capacity),
        }
    }

    /// The most signatures it holds.
    pub fn capacity(&self) -> usize {
        self.verified.capacity()
    }

    /// The number of signatures it holds.
    pub fn len(&self) -> usize {
        self.verified.len()
    }

    /// Whether it holds no signature.
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }

    /// Forgets every signature.
    pub fn clear(&self) {
        self.verified.clear();
    }

    fn contains(&self, key: &[u8; 32]) -> bool {
        self.verified.get(key).is_some()
    }
}

/// The outcome of [`verify_batch_cached`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBatch {
    /// One verdict per item, in order, equal to per-item verification.
    pub verdicts: Vec<bool>,
    /// Signatures actually checked.
    pub checked: usize,
    /// Signatures answered by the cache.
    pub cache_hits: usize,
}

/// Strict verification of many signatures: one batch on the calling thread
/// when there are few, chunks over the current rayon pool otherwise.
pub fn verify_many(items: &[SignatureItem<'_>]) -> Vec<bool> {
    if items.len() < PARALLEL_FROM_SIGNATURES {
        verify_batch(items)
    } else {
        verify_batch_parallel(items)
    }
}

/// [`verify_many`] through `cache`: every item is cacheable.
pub fn verify_batch_cached(
    items: &[SignatureItem<'_>],
    cache: Option<&SignatureCache>,
) -> CachedBatch {
    verify_batch_cached_where(items, cache, |_| true)
}

/// [`verify_many`] through `cache`, for the items whose index `cacheable`
/// accepts (one-time signatures, such as invocations, would only crowd it).
///
/// Items found in the cache are `true` without a check; the others are
/// checked in one strict batch, and those that verify are remembered.
pub fn verify_batch_cached_where(
    items: &[SignatureItem<'_>],
    cache: Option<&SignatureCache>,
    cacheable: impl Fn(usize) -> bool + Sync,
) -> CachedBatch {
    let Some(cache) = cache.filter(|c| c.verified.is_enabled()) else {
        return CachedBatch {
            verdicts: verify_many(items),
            checked: items.len(),
            cache_hits: 0,
        };
    };
    let key_of = |(index, item): (usize, &SignatureItem<'_>)| {
        if cacheable(index) {
            cache_key(item)
        } else {
            None
        }
    };
    let keys: Vec<Option<[u8; 32]>> = if items.len() < PARALLEL_FROM_SIGNATURES {
        items.iter().enumerate().map(key_of).collect()
    } else {
        items.par_iter().enumerate().map(key_of).collect()
    };

    let mut verdicts = vec![false; items.len()];
    let mut pending = Vec::new();
    let mut pending_at = Vec::new();
    for ((index, item), key) in items.iter().enumerate().zip(&keys) {
        if key.is_some_and(|k| cache.contains(&k)) {
            verdicts[index] = true;
        } else {
            pending.push(*item);
            pending_at.push(index);
        }
    }
    let checked = verify_many(&pending);
    for (index, ok) in pending_at.iter().zip(checked) {
        verdicts[*index] = ok;
        if let (true, Some(key)) = (ok, keys[*index]) {
            cache.verified.insert(key, ());
        }
    }
    CachedBatch {
        cache_hits: items.len() - pending.len(),
        checked: pending.len(),
        verdicts,
    }
}

/// The cache key of an item, or `None` when it cannot verify anyway.
fn cache_key(item: &SignatureItem<'_>) -> Option<[u8; 32]> {
    if item.public_key.len() != PUBLIC_KEY_LEN || item.signature.len() != SIGNATURE_LEN {
        return None;
    }
    // Key and signature have fixed lengths, so the message that follows is
    // unambiguous.
    let digest = Sha256::new()
        .chain_update(SIGNATURE_CACHE_DOMAIN)
        .chain_update(item.public_key)
        .chain_update(item.signature)
        .chain_update(item.domain)
        .chain_update(item.body)
        .finalize();
    Some(digest.into())
}

//! The strict-cofactored Ed25519 layer.
//!
//! Every signature in a token is checked under one rule, the same for a single
//! check and for a batch, so that batching can never change a verdict:
//!
//! 1. the public key is exactly [`PUBLIC_KEY_LEN`] bytes and the signature
//!    exactly [`SIGNATURE_LEN`] bytes;
//! 2. S (the second half of the signature, little-endian) is below the group
//!    order L;
//! 3. A (the key) and R (the first half of the signature) are canonical point
//!    encodings and neither is one of the 8 points of small order;
//! 4. with k = SHA-512(R || A || M) mod L, the signature is accepted if and
//!    only if \[8\](\[S\]B - R - \[k\]A) is the identity.
//!
//! The cofactored equation (4) is used rather than the cofactorless one
//! because it is the only one a randomized batch check reproduces exactly.
//! Small-order keys are refused because a delegation chain lets the holder
//! choose the next key, and a small-order key would accept forged
//! signatures.
//!
//! Messages are always passed as a domain-separation prefix and a body; the
//! signed message is their plain concatenation, so domains must be chosen
//! prefix-free by the callers.

mod batch;
mod cache;
mod ed25519;
mod parallel;

#[cfg(test)]
mod tests;

pub use batch::verify_batch;
pub(crate) use cache::PARALLEL_FROM_SIGNATURES;
pub use cache::{
    clear_key_cache, key_cache_len, verify_batch_cached, verify_batch_cached_where, verify_many,
    CachedBatch, SignatureCache,
};
pub use ed25519::{
    check_public_key, verify, SignatureItem, SigningKey, PUBLIC_KEY_LEN, SEED_LEN, SIGNATURE_LEN,
};
pub use parallel::verify_batch_parallel;

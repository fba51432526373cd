//! Keys, signing, the shared pre-checks and the single-signature check.

use core::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::cache::cached_key_point;
use crate::error::{Error, Result};

/// Length in bytes of an encoded Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length in bytes of an Ed25519 signature (R followed by S).
pub const SIGNATURE_LEN: usize = 64;
/// Length in bytes of an Ed25519 secret seed (RFC 8032 "private key").
pub const SEED_LEN: usize = 32;

/// Ed25519 signing key (RFC 8032): the seed, the expanded secret scalar, the
/// nonce prefix and the public key.
///
/// The secret parts are zeroized on drop. `Debug` shows only the public key.
#[derive(Clone)]
pub struct SigningKey {
    seed: [u8; SEED_LEN],
    // Kept reduced mod L: B has order L, so [s mod L]B equals the RFC's
    // [clamped integer]B and the signatures are bit-identical to RFC 8032.
    scalar: Scalar,
    prefix: [u8; 32],
    public: [u8; PUBLIC_KEY_LEN],
}

impl SigningKey {
    /// Generates a new key from a seed drawn from the operating system's
    /// random number generator.
    ///
    /// Fails with [`Error::Randomness`] if the generator is unavailable.
    pub fn generate() -> Result<SigningKey> {
        let mut seed = [0u8; SEED_LEN];
        getrandom::fill(&mut seed).map_err(|e| {
            Error::Randomness(format!("could not draw an Ed25519 seed from the OS: {e}"))
        })?;
        let key = SigningKey::from_seed(&seed);
        seed.zeroize();
        Ok(key)
    }

    /// Derives the key for a 32-byte seed, as RFC 8032 Section 5.1.5 does.
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> SigningKey {
        let mut expanded: [u8; 64] = Sha512::digest(seed).into();
        let (mut lower, prefix) = split_64(&expanded);
        expanded.zeroize();
        let scalar = Scalar::from_bytes_mod_order(clamp_integer(lower));
        lower.zeroize();
        let public = EdwardsPoint::mul_base(&scalar).compress().to_bytes();
        SigningKey {
            seed: *seed,
            scalar,
            prefix,
            public,
        }
    }

    /// The seed this key was derived from (the secret to store).
    pub fn seed(&self) -> &[u8; SEED_LEN] {
        &self.seed
    }

    /// The encoded public key A.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }

    /// Signs the message `domain || body`.
    ///
    /// The domain-separation prefix and the body are taken apart only so that
    /// callers need not copy them into one buffer; the signature is exactly
    /// the RFC 8032 signature of their concatenation.
    pub fn sign_parts(&self, domain: &[u8], body: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut r = hash_to_scalar(&[&self.prefix, domain, body]);
        let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
        let k = hash_to_scalar(&[&big_r, &self.public, domain, body]);
        let s = r + k * self.scalar;
        r.zeroize();
        join_64(&big_r, &s.to_bytes())
    }

    /// Signs `message` (the same as `sign_parts(b"", message)`).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign_parts(b"", message)
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.scalar.zeroize();
        self.prefix.zeroize();
    }
}

impl ZeroizeOnDrop for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &Hex(&self.public))
            .finish_non_exhaustive()
    }
}

struct Hex<'a>(&'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// One signature to check: the signed message is `domain || body`.
#[derive(Clone, Copy, Debug)]
pub struct SignatureItem<'a> {
    /// The encoded public key A (must be 32 bytes to be accepted).
    pub public_key: &'a [u8],
    /// The signature R || S (must be 64 bytes to be accepted).
    pub signature: &'a [u8],
    /// The domain-separation prefix of the message.
    pub domain: &'a [u8],
    /// The rest of the message.
    pub body: &'a [u8],
}

/// Checks a public key under the strict rule: 32 bytes, a canonical encoding
/// of a curve point, and not of small order.
///
/// Fails with [`Error::InvalidKey`] saying which part of the rule failed.
pub fn check_public_key(bytes: &[u8]) -> Result<()> {
    let Ok(key) = <&[u8; PUBLIC_KEY_LEN]>::try_from(bytes) else {
        return Err(Error::InvalidKey(format!(
            "an Ed25519 public key is {PUBLIC_KEY_LEN} bytes, got {}",
            bytes.len()
        )));
    };
    decode_point(key).map(|_| ()).map_err(|e| {
        Error::InvalidKey(
            match e {
                PointError::NotOnCurve => "public key is not the encoding of a curve point",
                PointError::NonCanonical => "public key is not a canonical point encoding",
                PointError::SmallOrder => "public key is a point of small order",
            }
            .to_owned(),
        )
    })
}

/// Strict-cofactored verification of one signature.
///
/// Inputs of any length are accepted: a key or signature of the wrong length
/// simply gives `false`.
pub fn verify(item: &SignatureItem<'_>) -> bool {
    parse_item(item, cached_key_point)
        .is_some_and(|p| cofactored_equation_holds(&p.key, &p.r, &p.s, &p.k))
}

/// Why a 32-byte string is not an acceptable point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PointError {
    /// No curve point has this y.
    NotOnCurve,
    /// A point, but not in the one encoding `compress` produces.
    NonCanonical,
    /// One of the 8 points of order dividing 8.
    SmallOrder,
}

/// Decodes a point under the strict rule (canonical, not of small order).
pub(crate) fn decode_point(bytes: &[u8; 32]) -> core::result::Result<EdwardsPoint, PointError> {
    let point = CompressedEdwardsY(*bytes)
        .decompress()
        .ok_or(PointError::NotOnCurve)?;
    // dalek reduces y mod p and honours a sign bit on x = 0, so several
    // strings can decode to one point; we accept only the one `compress`
    // gives back, so that signed bytes and points correspond one to one (and
    // batch merging by key bytes is exact).
    if !is_canonical_encoding(bytes) {
        return Err(PointError::NonCanonical);
    }
    if point.is_small_order() {
        return Err(PointError::SmallOrder);
    }
    Ok(point)
}

/// For bytes that decompress, whether they equal `point.compress()`.
///
/// Equivalent to the re-encoding comparison (the tests check it against
/// that), but read off the bytes: `compress` costs a field inversion, a
/// third of the per-signature cost of a batch. `compress` writes y reduced
/// mod p, and the sign of x, which is 0 when x = 0, i.e. when y = 1 or
/// y = p - 1. So the bytes are canonical iff y < p and the sign bit is not
/// set on one of those two values of y.
pub(crate) fn is_canonical_encoding(bytes: &[u8; 32]) -> bool {
    let [low, middle @ .., high] = *bytes;
    let sign_set = high & 0x80 != 0;
    let top = high & 0x7f;
    let middle_all = |v: u8| middle.iter().all(|&b| b == v);
    // p = 2^255 - 19: low byte 0xed, then 0xff bytes, then 0x7f.
    let near_p = top == 0x7f && middle_all(0xff);
    let y_at_least_p = near_p && low >= 0xed;
    let y_is_p_minus_1 = near_p && low == 0xec;
    let y_is_1 = low == 1 && top == 0 && middle_all(0);
    !y_at_least_p && !(sign_set && (y_is_1 || y_is_p_minus_1))
}

/// A signature that passed every pre-check, ready for the equation.
///
/// `K` is how the key is carried: the decoded point for a single check, an
/// index into the merged key terms for a batch.
pub(crate) struct ParsedItem<K> {
    pub(crate) key: K,
    pub(crate) r: EdwardsPoint,
    pub(crate) s: Scalar,
    pub(crate) k: Scalar,
}

/// Applies rules 1 to 3 and computes k; `None` if any pre-check fails.
///
/// This is the only place the pre-checks live, so the single and the batch
/// paths cannot disagree about them. `decode_key` must apply
/// [`decode_point`] (the batch wraps it in a cache); it is called only after
/// every other pre-check passed, so a key it registers always has an item.
pub(crate) fn parse_item<K>(
    item: &SignatureItem<'_>,
    decode_key: impl FnOnce(&[u8; 32]) -> Option<K>,
) -> Option<ParsedItem<K>> {
    let key_bytes = <&[u8; PUBLIC_KEY_LEN]>::try_from(item.public_key).ok()?;
    let signature = <&[u8; SIGNATURE_LEN]>::try_from(item.signature).ok()?;
    let (r_bytes, s_bytes) = split_64(signature);
    // Without this, S and S + L would both verify: a malleable signature.
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let r = decode_point(&r_bytes).ok()?;
    let key = decode_key(key_bytes)?;
    // k binds the bytes as sent; since they are canonical this is the same
    // as binding the points.
    let k = hash_to_scalar(&[&r_bytes, key_bytes, item.domain, item.body]);
    Some(ParsedItem { key, r, s, k })
}

/// Rule 4: \[8\](\[S\]B - R - \[k\]A) is the identity.
pub(crate) fn cofactored_equation_holds(
    a: &EdwardsPoint,
    r: &EdwardsPoint,
    s: &Scalar,
    k: &Scalar,
) -> bool {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(k, &-a, s);
    (sb_minus_ka - r).mul_by_cofactor().is_identity()
}

/// SHA-512 of the concatenated parts, as a little-endian integer mod L.
fn hash_to_scalar(parts: &[&[u8]]) -> Scalar {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    let mut wide: [u8; 64] = hasher.finalize().into();
    let scalar = Scalar::from_bytes_mod_order_wide(&wide);
    // For the nonce this digest is secret: a leaked r reveals the key.
    wide.zeroize();
    scalar
}

fn split_64(bytes: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut lo = [0u8; 32];
    let mut hi = [0u8; 32];
    lo.iter_mut()
        .chain(hi.iter_mut())
        .zip(bytes)
        .for_each(|(dst, src)| *dst = *src);
    (lo, hi)
}

fn join_64(lo: &[u8; 32], hi: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.iter_mut()
        .zip(lo.iter().chain(hi))
        .for_each(|(dst, src)| *dst = *src);
    out
}

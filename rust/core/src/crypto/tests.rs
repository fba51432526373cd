#![allow(clippy::unwrap_used, clippy::expect_used)]

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use sha2::{Digest, Sha512};

use super::batch::{combined_check, prepare, verify_batch_with_rng};
use super::ed25519::{
    cofactored_equation_holds, decode_point, is_canonical_encoding, parse_item, PointError,
};
use super::*;
use crate::error::Error;

/// Where the shared vectors live relative to this crate's manifest
/// (rust/core, two levels below the repository root); adjust if it moves.
const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/ed25519/strict_cofactored_expected.json"
);

/// The group order L, little-endian.
const L_BYTES: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

// ---------------------------------------------------------------- helpers

fn hex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex32(s: &str) -> [u8; 32] {
    hex(s).try_into().unwrap()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// splitmix64: a tiny deterministic generator, enough to drive property tests.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    fn seed(&mut self) -> [u8; 32] {
        self.bytes(32).try_into().unwrap()
    }
}

/// An item that owns its bytes, so tests can corrupt them freely.
#[derive(Clone, Debug)]
struct Owned {
    public_key: Vec<u8>,
    signature: Vec<u8>,
    domain: Vec<u8>,
    body: Vec<u8>,
}

impl Owned {
    fn item(&self) -> SignatureItem<'_> {
        SignatureItem {
            public_key: &self.public_key,
            signature: &self.signature,
            domain: &self.domain,
            body: &self.body,
        }
    }
    fn signed(key: &SigningKey, domain: &[u8], body: &[u8]) -> Owned {
        Owned {
            public_key: key.public_key().to_vec(),
            signature: key.sign_parts(domain, body).to_vec(),
            domain: domain.to_vec(),
            body: body.to_vec(),
        }
    }
}

fn items(owned: &[Owned]) -> Vec<SignatureItem<'_>> {
    owned.iter().map(Owned::item).collect()
}

fn verify_each(owned: &[Owned]) -> Vec<bool> {
    owned.iter().map(|o| verify(&o.item())).collect()
}

fn key_from(n: u64) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    seed[31] = 0x5a;
    SigningKey::from_seed(&seed)
}

fn k_of(r: &[u8; 32], a: &[u8; 32], domain: &[u8], body: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(domain);
    h.update(body);
    let wide: [u8; 64] = h.finalize().into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn sig_bytes(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    let mut out = r.to_vec();
    out.extend_from_slice(s);
    out
}

/// A signature with an arbitrary R point, made from a known secret scalar.
fn raw_sign(a: &Scalar, r_point: &EdwardsPoint, r: &Scalar, body: &[u8]) -> Owned {
    let a_bytes = EdwardsPoint::mul_base(a).compress().to_bytes();
    let r_bytes = r_point.compress().to_bytes();
    let k = k_of(&r_bytes, &a_bytes, b"", body);
    let s = r + k * a;
    Owned {
        public_key: a_bytes.to_vec(),
        signature: sig_bytes(&r_bytes, &s.to_bytes()),
        domain: Vec::new(),
        body: body.to_vec(),
    }
}

/// Adds L to the S half of a signature, as a 256-bit integer.
fn add_l_to_s(signature: &mut [u8]) {
    let mut carry = 0u16;
    for (byte, l) in signature[32..].iter_mut().zip(L_BYTES) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L must still fit in 32 bytes");
}

fn point(bytes: &[u8; 32]) -> EdwardsPoint {
    CompressedEdwardsY(*bytes).decompress().unwrap()
}

/// The 8 points of small order, generated from one point of order 8.
fn torsion_points() -> Vec<EdwardsPoint> {
    let t8 = point(&hex32(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ));
    assert!(!(t8 + t8 + t8 + t8).is_identity(), "must have order 8");
    assert!(t8.mul_by_cofactor().is_identity());
    let mut out = vec![EdwardsPoint::identity()];
    for i in 1..8 {
        out.push(out[i - 1] + t8);
    }
    let mut encodings: Vec<[u8; 32]> = out.iter().map(|p| p.compress().to_bytes()).collect();
    encodings.sort();
    encodings.dedup();
    assert_eq!(encodings.len(), 8);
    out
}

/// Encodings of y = p + y0 (non-canonical) that decode to a point, split by
/// whether that point has large order.
fn non_canonical_encodings() -> (Vec<[u8; 32]>, Vec<[u8; 32]>) {
    let mut large = Vec::new();
    let mut small = Vec::new();
    for y0 in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut enc = [0xffu8; 32];
            enc[0] = 0xed + y0;
            enc[31] = 0x7f | sign;
            if let Some(p) = CompressedEdwardsY(enc).decompress() {
                assert_ne!(p.compress().to_bytes(), enc);
                if p.is_small_order() {
                    small.push(enc);
                } else {
                    large.push(enc);
                }
            }
        }
    }
    // The sign bit set on x = 0: the identity and the point of order 2.
    let mut identity_signed = [0u8; 32];
    identity_signed[0] = 1;
    identity_signed[31] = 0x80;
    small.push(identity_signed);
    let mut minus_one_signed =
        hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    minus_one_signed[31] |= 0x80;
    small.push(minus_one_signed);
    (large, small)
}

#[test]
fn canonical_check_matches_reencoding() {
    let mut cases: Vec<[u8; 32]> = Vec::new();
    for low in 0..=255u8 {
        for (middle, top) in [(0xffu8, 0x7fu8), (0, 0), (0xff, 0x3f), (0, 0x7f)] {
            for sign in [0u8, 0x80] {
                let mut e = [middle; 32];
                e[0] = low;
                e[31] = top | sign;
                cases.push(e);
            }
        }
    }
    let (large, small) = non_canonical_encodings();
    cases.extend(large);
    cases.extend(small);
    for t in torsion_points() {
        let mut e = t.compress().to_bytes();
        cases.push(e);
        e[31] ^= 0x80;
        cases.push(e);
    }
    let mut rng = SplitMix64(99);
    cases.extend((0..5000).map(|_| rng.seed()));
    let mut decoded = 0;
    let mut non_canonical = 0;
    for e in &cases {
        if let Some(p) = CompressedEdwardsY(*e).decompress() {
            decoded += 1;
            let reencodes = p.compress().to_bytes() == *e;
            non_canonical += usize::from(!reencodes);
            assert_eq!(is_canonical_encoding(e), reencodes, "{}", to_hex(e));
        }
    }
    assert!(
        decoded > 2500 && non_canonical >= 10,
        "{decoded} {non_canonical}"
    );
}

// ---------------------------------------------------------------- vectors

struct Vector {
    name: String,
    public_key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
    accept: bool,
}

impl Vector {
    fn owned(&self) -> Owned {
        Owned {
            public_key: self.public_key.clone(),
            signature: self.signature.clone(),
            domain: Vec::new(),
            body: self.message.clone(),
        }
    }
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(VECTORS_PATH)
        .unwrap_or_else(|e| panic!("cannot read {VECTORS_PATH}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = json["vectors"].as_array().unwrap();
    let out: Vec<Vector> = list
        .iter()
        .map(|v| Vector {
            name: format!("{} #{}", v["source"].as_str().unwrap(), v["id"]),
            public_key: hex(v["public_key"].as_str().unwrap()),
            message: hex(v["message"].as_str().unwrap()),
            signature: hex(v["signature"].as_str().unwrap()),
            accept: v["accept"].as_bool().unwrap(),
        })
        .collect();
    assert_eq!(out.len(), 163);
    assert_eq!(out.iter().filter(|v| v.accept).count(), 91);
    out
}

#[test]
fn vectors_single() {
    for v in vectors() {
        assert_eq!(verify(&v.owned().item()), v.accept, "{}", v.name);
    }
}

#[test]
fn vectors_batch_alone() {
    for v in vectors() {
        let o = v.owned();
        assert_eq!(verify_batch(&[o.item()]), vec![v.accept], "{}", v.name);
    }
}

#[test]
fn vectors_all_in_one_batch() {
    let vs = vectors();
    let owned: Vec<Owned> = vs.iter().map(Vector::owned).collect();
    let expected: Vec<bool> = vs.iter().map(|v| v.accept).collect();
    assert_eq!(verify_batch(&items(&owned)), expected);
    // Reversed order too, so no verdict depends on position.
    let mut rev = owned.clone();
    rev.reverse();
    let mut rev_expected = expected;
    rev_expected.reverse();
    assert_eq!(verify_batch(&items(&rev)), rev_expected);
}

#[test]
fn vectors_embedded_among_valid_signatures() {
    let keys: Vec<SigningKey> = (0..4).map(key_from).collect();
    for (n, v) in vectors().iter().enumerate() {
        let mut owned: Vec<Owned> = (0..8)
            .map(|i| {
                Owned::signed(
                    &keys[i % keys.len()],
                    b"ctx",
                    format!("m{n}/{i}").as_bytes(),
                )
            })
            .collect();
        let at = n % 9;
        owned.insert(at, v.owned());
        let mut expected = vec![true; 9];
        expected[at] = v.accept;
        assert_eq!(verify_batch(&items(&owned)), expected, "{}", v.name);
    }
}

#[test]
fn accepted_vectors_batch_all_true() {
    let owned: Vec<Owned> = vectors()
        .iter()
        .filter(|v| v.accept)
        .map(Vector::owned)
        .collect();
    assert_eq!(owned.len(), 91);
    assert!(verify_batch(&items(&owned)).iter().all(|&ok| ok));
}

#[test]
fn speccheck_mixed_order_cases_accepted_only_cofactored() {
    let vs = vectors();
    for id in [3, 4, 5] {
        let v = vs
            .iter()
            .find(|v| v.name == format!("ed25519-speccheck cases.json #{id}"))
            .unwrap();
        let o = v.owned();
        assert!(verify(&o.item()), "{}", v.name);
        assert_eq!(verify_batch(&[o.item(), o.item()]), vec![true, true]);
    }
    // 4 and 5 would fail the cofactorless equation: the cofactor is load-bearing.
    for id in [4, 5] {
        let v = vs
            .iter()
            .find(|v| v.name == format!("ed25519-speccheck cases.json #{id}"))
            .unwrap();
        let o = v.owned();
        let p = parse_item(&o.item(), |b| decode_point(b).ok()).unwrap();
        let d = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &-p.key, &p.s) - p.r;
        assert!(!d.is_identity(), "{} passes cofactorless too", v.name);
    }
    let accepted: Vec<usize> = (0..12)
        .filter(|id| {
            vs.iter()
                .any(|v| v.accept && v.name == format!("ed25519-speccheck cases.json #{id}"))
        })
        .collect();
    assert_eq!(accepted, vec![3, 4, 5]);
}

// ---------------------------------------------------------------- RFC 8032

const RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
         5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
         085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
         18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

#[test]
fn rfc8032_vectors_sign_and_verify() {
    for (seed, public, message, signature) in RFC8032 {
        let key = SigningKey::from_seed(&hex32(seed));
        assert_eq!(key.seed(), &hex32(seed));
        assert_eq!(to_hex(&key.public_key()), public);
        let message = hex(message);
        let sig = key.sign(&message);
        assert_eq!(to_hex(&sig), signature);
        let pk = hex(public);
        let item = SignatureItem {
            public_key: &pk,
            signature: &sig,
            domain: b"",
            body: &message,
        };
        assert!(verify(&item));
        // Split anywhere between domain and body, it is the same message.
        for cut in 0..=message.len() {
            let (d, b) = message.split_at(cut);
            assert_eq!(key.sign_parts(d, b), sig);
            assert!(verify(&SignatureItem {
                domain: d,
                body: b,
                ..item
            }));
        }
        assert!(check_public_key(&pk).is_ok());
    }
}

// ---------------------------------------------------------------- basics

#[test]
fn sign_verify_roundtrip() {
    let mut rng = SplitMix64(1);
    for len in [0usize, 1, 31, 32, 33, 64, 127, 128, 1000, 70_000] {
        let key = SigningKey::from_seed(&rng.seed());
        let body = rng.bytes(len);
        let o = Owned::signed(&key, b"chainproof/test", &body);
        assert!(verify(&o.item()), "len {len}");
        assert_eq!(
            o.signature,
            key.sign_parts(b"chainproof/test", &body).to_vec()
        );
        let mut other = o.clone();
        other.body.push(0);
        assert!(!verify(&other.item()));
    }
}

#[test]
fn generate_gives_distinct_working_keys() {
    let a = SigningKey::generate().unwrap();
    let b = SigningKey::generate().unwrap();
    assert_ne!(a.seed(), b.seed());
    assert_ne!(a.public_key(), b.public_key());
    assert!(check_public_key(&a.public_key()).is_ok());
    let o = Owned::signed(&a, b"d", b"hello");
    assert!(verify(&o.item()));
    let c = a.clone();
    assert_eq!(c.public_key(), a.public_key());
    assert_eq!(c.sign(b"x"), a.sign(b"x"));
}

#[test]
fn debug_does_not_print_secrets() {
    let key = key_from(7);
    let shown = format!("{key:?}");
    assert!(shown.contains(&to_hex(&key.public_key())));
    assert!(!shown.contains(&to_hex(key.seed())));
    assert!(!shown.to_lowercase().contains("seed"));
    assert!(!shown.to_lowercase().contains("prefix"));
}

#[test]
fn domain_separation() {
    let key = key_from(3);
    let body = b"the body";
    let sig = key.sign_parts(b"domain-one/", body);
    let pk = key.public_key();
    let under = |domain: &[u8], body: &[u8]| {
        verify(&SignatureItem {
            public_key: &pk,
            signature: &sig,
            domain,
            body,
        })
    };
    assert!(under(b"domain-one/", body));
    assert!(!under(b"domain-two/", body));
    assert!(!under(b"", body));
    assert!(under(b"", b"domain-one/the body"));
    assert_eq!(sig, key.sign(b"domain-one/the body"));
}

// ---------------------------------------------------------------- each rule

#[test]
fn rule1_lengths() {
    let key = key_from(11);
    let good = Owned::signed(&key, b"", b"length");
    assert!(verify(&good.item()));

    let mut variants = Vec::new();
    let mut k31 = good.clone();
    k31.public_key.pop();
    variants.push(k31);
    let mut k33 = good.clone();
    k33.public_key.push(0);
    variants.push(k33);
    let mut s63 = good.clone();
    s63.signature.pop();
    variants.push(s63);
    let mut s65 = good.clone();
    s65.signature.push(0);
    variants.push(s65);
    let mut empty = good.clone();
    empty.public_key.clear();
    empty.signature.clear();
    variants.push(empty);

    for v in &variants {
        assert!(!verify(&v.item()), "{v:?}");
        assert_eq!(verify_batch(&[v.item()]), vec![false]);
        assert_eq!(verify_batch(&[good.item(), v.item()]), vec![true, false]);
    }
    assert!(check_public_key(&good.public_key[..31]).is_err());
}

#[test]
fn rule2_s_plus_l_rejected() {
    // L itself is what we think it is.
    assert_eq!(Scalar::from_bytes_mod_order(L_BYTES), Scalar::ZERO);
    assert!(bool::from(Scalar::from_canonical_bytes(L_BYTES).is_none()));

    for n in 0..16 {
        let key = key_from(100 + n);
        let good = Owned::signed(&key, b"", b"malleable?");
        let mut bad = good.clone();
        add_l_to_s(&mut bad.signature);

        // The equation still holds for S + L: only rule 2 stops it.
        let r = point(&bad.signature[..32].try_into().unwrap());
        let s_reduced = Scalar::from_bytes_mod_order(bad.signature[32..].try_into().unwrap());
        let a = point(&key.public_key());
        let k = k_of(
            &bad.signature[..32].try_into().unwrap(),
            &key.public_key(),
            b"",
            b"malleable?",
        );
        assert!(cofactored_equation_holds(&a, &r, &s_reduced, &k));

        assert!(verify(&good.item()));
        assert!(!verify(&bad.item()));
        assert_eq!(verify_batch(&[good.item(), bad.item()]), vec![true, false]);
    }
}

#[test]
fn rule3_non_canonical_key() {
    let (large, small) = non_canonical_encodings();
    assert!(
        !large.is_empty(),
        "no non-canonical large-order encoding found"
    );
    assert!(small.len() >= 3);
    let signer = key_from(21);
    for enc in &large {
        // A point of large order: only the canonical check refuses these bytes.
        assert!(!point(enc).is_small_order());
    }
    for enc in large.iter().chain(&small) {
        // Canonicity is checked before order, so both kinds say so.
        assert_eq!(
            decode_point(enc).err(),
            Some(PointError::NonCanonical),
            "{}",
            to_hex(enc)
        );
        let err = check_public_key(enc).unwrap_err();
        assert!(matches!(err, Error::InvalidKey(_)));
        assert!(err.message().contains("canonical"), "{err}");

        let mut o = Owned::signed(&signer, b"", b"nc key");
        o.public_key = enc.to_vec();
        assert!(parse_item(&o.item(), |b| decode_point(b).ok()).is_none());
        assert!(!verify(&o.item()));
    }
}

#[test]
fn rule3_non_canonical_r() {
    let (large, small) = non_canonical_encodings();
    let key = key_from(22);
    let pk = key.public_key();
    let a = Scalar::from_bytes_mod_order(hash_scalar_of(&key));
    for enc in large.iter().chain(&small) {
        // S = k a makes [S]B - [k]A vanish, so for the small-order encodings
        // the cofactored equation holds; for the large-order ones nobody
        // knows a discrete log, and the check that would fail without the
        // rule is that parse_item (the shared pre-check) refuses them.
        let k = k_of(enc, &pk, b"", b"nc R");
        let o = Owned {
            public_key: pk.to_vec(),
            signature: sig_bytes(enc, &(k * a).to_bytes()),
            domain: Vec::new(),
            body: b"nc R".to_vec(),
        };
        assert!(parse_item(&o.item(), |b| decode_point(b).ok()).is_none());
        assert!(!verify(&o.item()));
        assert_eq!(verify_batch(&[o.item(), o.item()]), vec![false, false]);
        if small.contains(enc) {
            assert!(cofactored_equation_holds(
                &point(&pk),
                &point(enc),
                &(k * a),
                &k
            ));
        } else {
            assert!(!point(enc).is_small_order());
            assert_eq!(decode_point(enc).err(), Some(PointError::NonCanonical));
        }
    }
}

/// The clamped secret scalar bytes of a key (RFC 8032 5.1.5), for tests that
/// build signatures by hand.
fn hash_scalar_of(key: &SigningKey) -> [u8; 32] {
    let h: [u8; 64] = Sha512::digest(key.seed()).into();
    curve25519_dalek::scalar::clamp_integer(h[..32].try_into().unwrap())
}

#[test]
fn rule3_small_order_key() {
    let torsion = torsion_points();
    let mut rng = SplitMix64(33);
    for t in &torsion {
        let enc = t.compress().to_bytes();
        assert_eq!(decode_point(&enc).err(), Some(PointError::SmallOrder));
        let err = check_public_key(&enc).unwrap_err();
        assert!(err.message().contains("small order"), "{err}");

        // R = [r]B, S = r: [S]B - R = 0 and [k]A is killed by the cofactor,
        // so the equation holds for every message; only rule 3 refuses it.
        let r = Scalar::from_bytes_mod_order(rng.seed());
        let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
        let o = Owned {
            public_key: enc.to_vec(),
            signature: sig_bytes(&r_bytes, &r.to_bytes()),
            domain: Vec::new(),
            body: b"forged".to_vec(),
        };
        let k = k_of(&r_bytes, &enc, b"", b"forged");
        assert!(cofactored_equation_holds(t, &point(&r_bytes), &r, &k));
        assert!(!verify(&o.item()), "{}", to_hex(&enc));
        let good = Owned::signed(&key_from(1), b"", b"x");
        assert_eq!(verify_batch(&[good.item(), o.item()]), vec![true, false]);
    }

    // The identity key with R = identity and S = 0 holds under any equation.
    let identity = EdwardsPoint::identity().compress().to_bytes();
    let o = Owned {
        public_key: identity.to_vec(),
        signature: sig_bytes(&identity, &[0u8; 32]),
        domain: Vec::new(),
        body: b"anything".to_vec(),
    };
    assert!(!verify(&o.item()));
    assert_eq!(verify_batch(&[o.item(), o.item()]), vec![false, false]);
}

#[test]
fn rule3_small_order_r() {
    let key = key_from(44);
    let a = Scalar::from_bytes_mod_order(hash_scalar_of(&key));
    let pk = key.public_key();
    for t in torsion_points() {
        // R = T, S = k a: [S]B - [k]A = 0 and -T is killed by the cofactor.
        let r_bytes = t.compress().to_bytes();
        let k = k_of(&r_bytes, &pk, b"", b"small R");
        let s = k * a;
        let o = Owned {
            public_key: pk.to_vec(),
            signature: sig_bytes(&r_bytes, &s.to_bytes()),
            domain: Vec::new(),
            body: b"small R".to_vec(),
        };
        assert!(cofactored_equation_holds(&point(&pk), &t, &s, &k));
        assert!(!verify(&o.item()));
        assert_eq!(
            verify_batch(&[Owned::signed(&key, b"", b"ok").item(), o.item()]),
            vec![true, false]
        );
    }
}

#[test]
fn rule4_cofactored_only_signatures_accepted() {
    let torsion = torsion_points();
    let mut rng = SplitMix64(55);
    let mut owned = Vec::new();
    for t in &torsion[1..] {
        let a = Scalar::from_bytes_mod_order(rng.seed());
        let r = Scalar::from_bytes_mod_order(rng.seed());
        let r_point = EdwardsPoint::mul_base(&r) + t;
        let o = raw_sign(&a, &r_point, &r, b"mixed order R");
        let p = parse_item(&o.item(), |b| decode_point(b).ok()).unwrap();
        let cofactorless =
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &-p.key, &p.s) - p.r;
        assert!(!cofactorless.is_identity());
        assert!(verify(&o.item()));
        owned.push(o);

        // A mixed-order key works the same way: the signer knows a, not T.
        let a_point = EdwardsPoint::mul_base(&a) + t;
        let a_bytes = a_point.compress().to_bytes();
        let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
        let k = k_of(&r_bytes, &a_bytes, b"", b"mixed order A");
        let s = r + k * a;
        let o = Owned {
            public_key: a_bytes.to_vec(),
            signature: sig_bytes(&r_bytes, &s.to_bytes()),
            domain: Vec::new(),
            body: b"mixed order A".to_vec(),
        };
        assert!(check_public_key(&a_bytes).is_ok());
        assert!(verify(&o.item()));
        owned.push(o);
    }
    assert!(verify_batch(&items(&owned)).iter().all(|&ok| ok));
    // And a wrong S is still caught in that company.
    let mut bad = owned[0].clone();
    bad.signature[32] ^= 1;
    owned.push(bad);
    let got = verify_batch(&items(&owned));
    assert_eq!(got, verify_each(&owned));
    assert_eq!(got.iter().filter(|&&ok| !ok).count(), 1);
}

#[test]
fn basepoint_sanity() {
    assert_eq!(
        EdwardsPoint::mul_base(&Scalar::ONE).compress(),
        ED25519_BASEPOINT_POINT.compress()
    );
}

// ---------------------------------------------------------------- check_public_key

#[test]
fn check_public_key_cases() {
    let key = SigningKey::generate().unwrap();
    assert_eq!(check_public_key(&key.public_key()), Ok(()));
    for len in [0usize, 31, 33, 64] {
        let err = check_public_key(&vec![9u8; len]).unwrap_err();
        assert!(matches!(err, Error::InvalidKey(_)));
        assert!(err.message().contains(&len.to_string()), "{err}");
    }
    for t in torsion_points() {
        assert!(matches!(
            check_public_key(t.compress().as_bytes()),
            Err(Error::InvalidKey(_))
        ));
    }
    let (large, _) = non_canonical_encodings();
    assert!(check_public_key(&large[0]).is_err());
    // Some y has no x: not a point at all.
    let not_on_curve = (2u8..=255)
        .map(|b| {
            let mut e = [0u8; 32];
            e[0] = b;
            e
        })
        .find(|e| CompressedEdwardsY(*e).decompress().is_none())
        .unwrap();
    let err = check_public_key(&not_on_curve).unwrap_err();
    assert!(
        err.message().contains("not the encoding of a curve point"),
        "{err}"
    );
}

// ---------------------------------------------------------------- batch

#[test]
fn batch_empty_and_single() {
    assert!(verify_batch(&[]).is_empty());
    let o = Owned::signed(&key_from(5), b"", b"one");
    assert_eq!(verify_batch(&[o.item()]), vec![true]);
    let mut bad = o.clone();
    bad.body.push(1);
    assert_eq!(verify_batch(&[bad.item()]), vec![false]);
}

#[test]
fn batch_with_failing_rng_falls_back_per_item() {
    let key = key_from(6);
    let mut owned: Vec<Owned> = (0..10)
        .map(|i| Owned::signed(&key, b"", format!("{i}").as_bytes()))
        .collect();
    owned[4].body.push(b'!');
    let expected = verify_each(&owned);
    assert_eq!(expected.iter().filter(|&&ok| ok).count(), 9);
    assert_eq!(verify_batch_with_rng(&items(&owned), |_| false), expected);
    // And a fixed, nonzero coefficient source gives the same answer.
    let fill = |buf: &mut [u8]| {
        buf.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i as u8) | 1);
        true
    };
    assert_eq!(verify_batch_with_rng(&items(&owned), fill), expected);
}

#[test]
fn batch_where_all_or_all_but_one_fail_prechecks() {
    let good = Owned::signed(&key_from(8), b"", b"g");
    let mut short = good.clone();
    short.signature.pop();
    assert_eq!(
        verify_batch(&[short.item(), short.item(), short.item()]),
        vec![false; 3]
    );
    assert_eq!(
        verify_batch(&[short.item(), good.item(), short.item()]),
        vec![false, true, false]
    );
}

#[test]
fn batch_same_key_names_the_bad_one() {
    let key = key_from(9);
    let other = key_from(10);
    for bad_at in [0usize, 17, 63, 99] {
        let mut owned: Vec<Owned> = (0..100)
            .map(|i| {
                let k = if i % 10 == 3 { &other } else { &key };
                Owned::signed(k, b"blk", format!("block {i}").as_bytes())
            })
            .collect();
        owned[bad_at].signature[5] ^= 0x10;
        let mut expected = vec![true; 100];
        expected[bad_at] = false;
        assert_eq!(verify_batch(&items(&owned)), expected);
    }
    // Identical items repeated are all accepted.
    let o = Owned::signed(&key, b"", b"same");
    assert_eq!(verify_batch(&vec![o.item(); 20]), vec![true; 20]);
    // Two bad ones under the same key, and a signature moved to another key.
    let mut owned: Vec<Owned> = (0..30)
        .map(|i| Owned::signed(&key, b"", format!("{i}").as_bytes()))
        .collect();
    owned[2].body.push(0);
    owned[20].public_key = other.public_key().to_vec();
    let got = verify_batch(&items(&owned));
    assert_eq!(got, verify_each(&owned));
    assert_eq!(got.iter().filter(|&&ok| !ok).count(), 2);
}

#[test]
fn batch_equation_itself_is_cofactored() {
    // Verdicts alone cannot show this (a failed batch falls back per item),
    // but a cofactorless batch equation would let anyone who can publish a
    // mixed-order signature force every batch onto the slow path.
    let torsion = torsion_points();
    let mut rng = SplitMix64(77);
    let mut owned: Vec<Owned> = (0..5)
        .map(|i| Owned::signed(&key_from(i), b"", b"plain"))
        .collect();
    for t in &torsion[1..] {
        let a = Scalar::from_bytes_mod_order(rng.seed());
        let r = Scalar::from_bytes_mod_order(rng.seed());
        owned.push(raw_sign(
            &a,
            &(EdwardsPoint::mul_base(&r) + t),
            &r,
            b"mixed",
        ));
    }
    let os_fill = |buf: &mut [u8]| getrandom::fill(buf).is_ok();
    let batch = prepare(&items(&owned));
    assert_eq!(batch.parsed.len(), owned.len());
    assert!(combined_check(&batch, os_fill));

    owned[7].body.push(1);
    let batch = prepare(&items(&owned));
    assert!(!combined_check(&batch, os_fill));
}

#[test]
fn batch_rejects_errors_that_cancel_without_random_coefficients() {
    // S_1 + 1 and S_2 - 1: each wrong by [1]B, the two errors cancel in a
    // plain sum. Only independent coefficients z_i catch this.
    let key = key_from(16);
    let mut first = Owned::signed(&key, b"", b"one");
    let mut second = Owned::signed(&key_from(17), b"", b"two");
    let bump = |o: &mut Owned, by: Scalar| {
        let s = Scalar::from_canonical_bytes(o.signature[32..].try_into().unwrap()).unwrap();
        o.signature[32..].copy_from_slice(&(s + by).to_bytes());
    };
    bump(&mut first, Scalar::ONE);
    bump(&mut second, -Scalar::ONE);
    let owned = vec![first, second, Owned::signed(&key, b"", b"three")];
    assert_eq!(verify_each(&owned), vec![false, false, true]);
    let batch = prepare(&items(&owned));
    assert!(!combined_check(&batch, |buf: &mut [u8]| getrandom::fill(
        buf
    )
    .is_ok()));
    assert_eq!(verify_batch(&items(&owned)), vec![false, false, true]);
}

#[test]
fn batch_merges_terms_of_one_key() {
    let key = key_from(12);
    let mut owned: Vec<Owned> = (0..50)
        .map(|i| Owned::signed(&key, b"", format!("{i}").as_bytes()))
        .collect();
    owned.push(Owned::signed(&key_from(13), b"", b"a"));
    owned.push(Owned::signed(&key_from(14), b"", b"b"));
    owned.push(Owned::signed(&key_from(13), b"", b"c"));
    let mut small_key = Owned::signed(&key, b"", b"d");
    small_key.public_key = torsion_points()[3].compress().to_bytes().to_vec();
    owned.push(small_key);
    let mut bad_r = Owned::signed(&key_from(15), b"", b"e");
    bad_r.signature[..32].copy_from_slice(torsion_points()[0].compress().as_bytes());
    owned.push(bad_r);

    let batch = prepare(&items(&owned));
    assert_eq!(batch.parsed.len(), 53);
    // Three distinct good keys; the small-order key and the key of the item
    // with a bad R never become terms.
    assert_eq!(batch.key_points.len(), 3);
    let mut expected = vec![true; 53];
    expected.extend([false, false]);
    assert_eq!(verify_batch(&items(&owned)), expected);
}

#[test]
fn batch_random_property() {
    let torsion: Vec<[u8; 32]> = torsion_points()
        .iter()
        .map(|t| t.compress().to_bytes())
        .collect();
    let mut rng = SplitMix64(0xc0ffee);
    let pool: Vec<SigningKey> = (0..6).map(|_| SigningKey::from_seed(&rng.seed())).collect();
    let domains: [&[u8]; 3] = [b"", b"chainproof/block/v1\0", b"x"];
    let mut corrupted_total = 0;
    for round in 0..60 {
        let n = 1 + rng.below(64);
        let mut owned = Vec::with_capacity(n);
        let mut expected = Vec::with_capacity(n);
        for _ in 0..n {
            let fresh;
            let key = if rng.below(3) == 0 {
                fresh = SigningKey::from_seed(&rng.seed());
                &fresh
            } else {
                &pool[rng.below(pool.len())]
            };
            let body_len = rng.below(48);
            let body = rng.bytes(body_len);
            let domain = domains[rng.below(domains.len())];
            let mut o = Owned::signed(key, domain, &body);
            let mut valid = true;
            if rng.below(4) == 0 {
                corrupted_total += 1;
                match rng.below(8) {
                    0 => {
                        let bit = rng.below(256);
                        o.public_key[bit / 8] ^= 1 << (bit % 8);
                        valid = false;
                    }
                    1 => {
                        let bit = rng.below(512);
                        o.signature[bit / 8] ^= 1 << (bit % 8);
                        valid = false;
                    }
                    2 => {
                        if o.body.is_empty() {
                            o.domain.push(0);
                        } else {
                            let bit = rng.below(o.body.len() * 8);
                            o.body[bit / 8] ^= 1 << (bit % 8);
                        }
                        valid = false;
                    }
                    3 => {
                        add_l_to_s(&mut o.signature);
                        valid = false;
                    }
                    4 => {
                        o.public_key = torsion[rng.below(8)].to_vec();
                        valid = false;
                    }
                    5 => {
                        o.signature[..32].copy_from_slice(&torsion[rng.below(8)]);
                        valid = false;
                    }
                    6 => {
                        // Still valid: a mixed-order R, cofactored-only.
                        let a = Scalar::from_bytes_mod_order(rng.seed());
                        let r = Scalar::from_bytes_mod_order(rng.seed());
                        let t = point(&torsion[1 + rng.below(7)]);
                        o = raw_sign(&a, &(EdwardsPoint::mul_base(&r) + t), &r, &body);
                    }
                    _ => {
                        o.signature.truncate(rng.below(64));
                        valid = false;
                    }
                }
            }
            owned.push(o);
            expected.push(valid);
        }
        let single = verify_each(&owned);
        assert_eq!(single, expected, "round {round}: single verdicts");
        assert_eq!(verify_batch(&items(&owned)), single, "round {round}: batch");
    }
    assert!(corrupted_total > 100);
}

// ---------------------------------------------------------------- throughput

/// Not a test of speed (no assertion on time): prints rates for the report.
/// Run with `cargo test --release -- --nocapture throughput`.
#[test]
fn throughput_report() {
    use std::time::Instant;
    const N: usize = 1024;
    let keys: Vec<SigningKey> = (0..N as u64).map(key_from).collect();
    let distinct: Vec<Owned> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Owned::signed(k, b"blk/", format!("distinct {i}").as_bytes()))
        .collect();
    let same: Vec<Owned> = (0..N)
        .map(|i| Owned::signed(&keys[0], b"blk/", format!("same {i}").as_bytes()))
        .collect();
    let distinct_items = items(&distinct);
    let same_items = items(&same);

    let best = |f: &dyn Fn() -> usize| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                let ok = f();
                assert_eq!(ok, N);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let single = best(&|| distinct_items.iter().filter(|i| verify(i)).count());
    let batch_distinct = best(&|| verify_batch(&distinct_items).iter().filter(|&&b| b).count());
    let batch_same = best(&|| verify_batch(&same_items).iter().filter(|&&b| b).count());
    let sign = best(&|| {
        keys.iter()
            .map(|k| k.sign(b"throughput"))
            .filter(|s| s.len() == SIGNATURE_LEN)
            .count()
    });
    println!("throughput (best of 3, {N} signatures):");
    println!(
        "  sign                        {:>9.0} sig/s",
        N as f64 / sign
    );
    println!(
        "  verify (single)             {:>9.0} sig/s",
        N as f64 / single
    );
    println!(
        "  verify_batch, distinct keys {:>9.0} sig/s",
        N as f64 / batch_distinct
    );
    println!(
        "  verify_batch, one key       {:>9.0} sig/s",
        N as f64 / batch_same
    );
}

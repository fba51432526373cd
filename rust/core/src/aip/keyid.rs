//! Self-certifying issuer ids: `aip:key:ed25519:z<base58btc key>`.
//!
//! The id encodes the issuer's public key, so the key is taken from the id
//! the token declares — which the token cannot change without breaking the
//! authority link's signature under that very key. The SDK's multibase form
//! is the raw 32-byte key; the multicodec form (`0xed 0x01` then the key,
//! as in `did:key`) is accepted too.

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Longest base58 text considered (34 bytes need at most 47 characters).
const MAX_TEXT: usize = 64;

/// Decodes base58btc (Bitcoin alphabet), or `None`.
pub fn base58_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() > MAX_TEXT {
        return None;
    }
    let zeros = text.bytes().take_while(|b| *b == b'1').count();
    // Little-endian base-256 digits of the value.
    let mut value: Vec<u8> = Vec::with_capacity(text.len());
    for c in text.bytes().skip(zeros) {
        let mut carry = ALPHABET.iter().position(|a| *a == c)? as u32;
        for byte in value.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            value.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(value.iter().rev());
    Some(out)
}

/// Encodes base58btc.
pub fn base58_encode(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    let mut digits: Vec<u8> = Vec::new();
    for byte in bytes.iter().skip(zeros) {
        let mut carry = u32::from(*byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = "1".repeat(zeros);
    out.extend(
        digits
            .iter()
            .rev()
            .map(|d| char::from(ALPHABET[usize::from(*d)])),
    );
    out
}

/// The Ed25519 key an `aip:key:ed25519:z…` id names, or `None` for any
/// other id.
pub fn key_of_id(id: &str) -> Option<[u8; 32]> {
    let multibase = id.strip_prefix("aip:key:ed25519:")?;
    let raw = base58_decode(multibase.strip_prefix('z')?)?;
    let key = match raw.len() {
        32 => raw.as_slice(),
        34 if raw.starts_with(&[0xed, 0x01]) => raw.get(2..)?,
        _ => return None,
    };
    <[u8; 32]>::try_from(key).ok()
}

/// The `aip:key:ed25519:z…` id of a key (the SDK's raw form).
pub fn id_of_key(key: &[u8; 32]) -> String {
    format!("aip:key:ed25519:z{}", base58_encode(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_ids() {
        for key in [[0u8; 32], [0xff; 32], [1; 32]] {
            let id = id_of_key(&key);
            assert_eq!(key_of_id(&id), Some(key), "{id}");
        }
        let mut multicodec = vec![0xed, 0x01];
        multicodec.extend([5u8; 32]);
        let id = format!("aip:key:ed25519:z{}", base58_encode(&multicodec));
        assert_eq!(key_of_id(&id), Some([5; 32]));
        let good = id_of_key(&[3; 32]);
        assert_eq!(key_of_id(&good.replace("ed25519", "Ed25519")), None);
        assert_eq!(key_of_id(&good.replace(":z", ":m")), None);
        assert_eq!(key_of_id(&format!("{good}0")), None); // '0' is not base58
        assert_eq!(key_of_id(&good[..good.len() - 2]), None); // wrong length
        assert_eq!(key_of_id("aip:web:example.com"), None);
        assert_eq!(
            key_of_id(&format!("aip:key:ed25519:z{}", "2".repeat(100))),
            None
        );
        assert_eq!(base58_decode("111"), Some(vec![0, 0, 0]));
        assert_eq!(base58_encode(b"hello world"), "StV1DL6CwTryKyV");
    }
}

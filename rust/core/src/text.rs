//! The versioned text form: a prefix naming the kind and version, then the
//! binary form in base64url (RFC 4648 §5) without padding.
//!
//! The decoder is strict so that one value has exactly one text form: no
//! padding, no whitespace, no characters outside the URL-safe alphabet, and
//! the unused low bits of the last character must be zero.

use crate::error::{Error, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Text prefix of a token, version 1.
pub const TOKEN_PREFIX: &str = "cpt1.";
/// Text prefix of an invocation, version 1.
pub const INVOCATION_PREFIX: &str = "cpi1.";
/// Text prefix of a public key, version 1.
pub const PUBLIC_KEY_PREFIX: &str = "cppk1.";
/// Text prefix of a signing key (its 32-byte seed), version 1.
pub const SIGNING_KEY_PREFIX: &str = "cpsk1.";

/// Encodes bytes as unpadded base64url.
pub fn b64url_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = ((n >> (18 - 6 * i)) & 0x3f) as usize;
            out.push(char::from(ALPHABET[index]));
        }
    }
    out
}

/// Marks a byte that is not in the base64url alphabet.
const NOT_BASE64: u8 = 0xff;

/// Each byte's 6-bit value, or [`NOT_BASE64`]: one load per character on
/// the hot path of every text-form token.
static SEXTETS: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => NOT_BASE64,
        };
        c += 1;
    }
    table
};

fn sextet(c: u8) -> Option<u32> {
    match SEXTETS[usize::from(c)] {
        NOT_BASE64 => None,
        v => Some(u32::from(v)),
    }
}

fn invalid_character(chunk: &[u8]) -> Error {
    let c = chunk
        .iter()
        .find(|c| sextet(**c).is_none())
        .map_or('?', |c| char::from(*c));
    Error::Malformed(format!("invalid base64url character {c:?}"))
}

/// Decodes unpadded base64url, refusing padding, foreign characters, an
/// impossible length and non-zero unused bits.
pub fn b64url_decode(input: &str) -> Result<Vec<u8>> {
    let raw = input.as_bytes();
    if raw.len() % 4 == 1 {
        return Err(Error::Malformed(
            "base64url text has an impossible length".into(),
        ));
    }
    let whole = raw.len() / 4 * 4;
    let (body, tail) = raw.split_at(whole);
    let mut out = Vec::with_capacity(whole / 4 * 3 + 2);
    out.resize(whole / 4 * 3, 0);
    // Whole groups of four characters have no unused bits, and go straight
    // into place.
    for (chunk, dst) in body.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let [a, b, c, d] =
            [chunk[0], chunk[1], chunk[2], chunk[3]].map(|x| SEXTETS[usize::from(x)]);
        // Sextets are below 64; NOT_BASE64 has the top bits set.
        if (a | b | c | d) & 0xc0 != 0 {
            return Err(invalid_character(chunk));
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        dst.copy_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    if !tail.is_empty() {
        let chunk = tail;
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = sextet(*c).ok_or_else(|| invalid_character(chunk))?;
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        // The bits below the last whole byte must be zero: otherwise several
        // texts would decode to the same bytes.
        let unused_mask = match keep {
            1 => 0xffff,
            2 => 0xff,
            _ => 0,
        };
        if n & unused_mask != 0 {
            return Err(Error::Malformed(
                "base64url text has non-zero trailing bits".into(),
            ));
        }
        out.extend_from_slice(bytes.get(..keep).unwrap_or(&[]));
    }
    Ok(out)
}

/// Strips `prefix` and decodes the rest; `what` names the kind in errors.
pub fn decode_prefixed(text: &str, prefix: &str, what: &str, max_bytes: usize) -> Result<Vec<u8>> {
    let body = text.strip_prefix(prefix).ok_or_else(|| {
        Error::Malformed(format!(
            "{what} text must start with {prefix:?} (unknown version or kind)"
        ))
    })?;
    // base64 expands 3 bytes to 4 characters: refuse before decoding.
    if body.len() / 4 * 3 > max_bytes.saturating_add(3) {
        return Err(Error::LimitExceeded(format!(
            "{what} is over the limit of {max_bytes} bytes"
        )));
    }
    b64url_decode(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = b64url_encode(&data[..len]);
            assert!(!enc.contains('='));
            assert_eq!(b64url_decode(&enc).unwrap(), &data[..len]);
        }
    }

    #[test]
    fn rfc4648_examples() {
        assert_eq!(b64url_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64url_encode(b"fo"), "Zm8");
        assert_eq!(b64url_encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn refuses_padding_foreign_characters_and_loose_bits() {
        assert!(b64url_decode("Zm8=").is_err());
        assert!(b64url_decode("Zm+v").is_err());
        assert!(b64url_decode("Zm9 v").is_err());
        assert!(b64url_decode("Z").is_err());
        // "Zm9" decodes to "fo"; "Zm-" has non-zero unused bits.
        assert!(b64url_decode("Zm-").is_err());
        assert!(b64url_decode("Zh").is_err());
        assert_eq!(b64url_decode("Zg").unwrap(), b"f");
    }

    #[test]
    fn every_foreign_byte_is_refused_in_every_position() {
        let valid = b64url_encode(b"abcdefghi"); // 12 characters: whole groups only
        let alphabet = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        for c in (0..=255u8).filter(|c| !alphabet(*c)) {
            for pos in 0..valid.len() {
                let mut text = valid.clone().into_bytes();
                text[pos] = c;
                // Not UTF-8 for bytes >= 0x80: go through the lossy form,
                // which replaces them with a character outside the alphabet.
                let text = String::from_utf8_lossy(&text).into_owned();
                assert!(b64url_decode(&text).is_err(), "byte {c:#x} at {pos}");
            }
        }
    }

    #[test]
    fn the_table_matches_the_alphabet() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (value, c) in alphabet.iter().enumerate() {
            assert_eq!(sextet(*c), Some(value as u32));
        }
        assert_eq!((0..=255u8).filter(|c| sextet(*c).is_some()).count(), 64);
    }

    #[test]
    fn prefix_is_required() {
        assert!(decode_prefixed("cpt2.AAAA", TOKEN_PREFIX, "token", 100).is_err());
        assert_eq!(
            decode_prefixed("cpt1.AAAA", TOKEN_PREFIX, "token", 100).unwrap(),
            vec![0, 0, 0]
        );
        assert!(matches!(
            decode_prefixed("cpt1.AAAAAAAA", TOKEN_PREFIX, "token", 2),
            Err(Error::LimitExceeded(_))
        ));
    }
}

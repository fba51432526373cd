//! Strict JWS compact serialisation (RFC 7515 §7.1, RFC 8725).
//!
//! A compact JWS is exactly three base64url segments joined by `.`; each is
//! decoded strictly (no padding, no foreign characters, zero trailing bits,
//! so one JWS has one text form), the header must be a JSON object read by
//! the strict parser, and the header members that change how a JWS is
//! processed are refused rather than honoured: `crit` (no extension is
//! understood) and `b64` other than `true` (RFC 7797 unencoded payloads).
//! The key is never taken from the header of a link; the callers pin `alg`
//! and `typ`.

use std::ops::Range;

use crate::json_parse::{parse, ParseLimits, Value};
use crate::text::b64url_decode;

/// JSON limits for a JOSE header: small and flat.
const HEADER_LIMITS: ParseLimits = ParseLimits {
    max_depth: 4,
    max_values: 64,
};

/// What a header's `typ` is, among the values the adapter knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ {
    /// `aip-link+jwt`: a link of a JWT chain (-02).
    Link,
    /// `aip+jwt`: a legacy compact token (-00/-01).
    Legacy,
    /// `dpop+jwt`: an RFC 9449 proof.
    Dpop,
    /// Anything else, or no `typ`.
    Other,
}

/// The header members the adapter reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `alg` is exactly `"EdDSA"`.
    pub alg_eddsa: bool,
    /// The `typ`.
    pub typ: Typ,
    /// The `jwk` member: absent, or the raw Ed25519 key of an OKP JWK, or
    /// present but not an acceptable Ed25519 OKP key.
    pub jwk: Option<Result<[u8; 32], String>>,
}

/// A decoded compact JWS. Ranges are byte offsets into the JWS text.
#[derive(Debug, Clone)]
pub struct Jws {
    /// `header "." payload` as received: the signed bytes.
    pub signing_input: Range<usize>,
    /// The header.
    pub header: Header,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature (any length; only 64 bytes can verify).
    pub signature: Vec<u8>,
}

/// Decodes one compact JWS, or says why it is malformed.
pub fn decode(text: &str) -> Result<Jws, String> {
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a JWS has exactly three segments".into());
    };
    let header = match known_header(h) {
        Some(header) => header,
        None => {
            let header_bytes = b64url_decode(h).map_err(|e| format!("header: {}", e.message()))?;
            let header_json = parse(&header_bytes, HEADER_LIMITS)
                .map_err(|e| format!("header is not JSON: {e}"))?;
            read_header(&header_json)?
        }
    };
    let payload = b64url_decode(p).map_err(|e| format!("payload: {}", e.message()))?;
    let signature = b64url_decode(s).map_err(|e| format!("signature: {}", e.message()))?;
    Ok(Jws {
        signing_input: 0..h.len() + 1 + p.len(),
        header,
        payload,
        signature,
    })
}

/// The headers the SDK writes (PyJWT, sorted keys, no spaces), already
/// read: the same answer `read_header` gives, without decoding.
fn known_header(segment: &str) -> Option<Header> {
    // {"alg":"EdDSA","typ":"aip-link+jwt"} and {"alg":"EdDSA","typ":"aip+jwt"}
    let typ = match segment {
        "eyJhbGciOiJFZERTQSIsInR5cCI6ImFpcC1saW5rK2p3dCJ9" => Typ::Link,
        "eyJhbGciOiJFZERTQSIsInR5cCI6ImFpcCtqd3QifQ" => Typ::Legacy,
        _ => return None,
    };
    Some(Header {
        alg_eddsa: true,
        typ,
        jwk: None,
    })
}

fn read_header(json: &Value<'_>) -> Result<Header, String> {
    if !matches!(json, Value::Object(_)) {
        return Err("header is not a JSON object".into());
    }
    if json.get("kid").is_some_and(|k| k.as_str().is_none()) {
        return Err("header kid must be a string".into());
    }
    if json.get("crit").is_some() {
        return Err("header crit names an extension this verifier does not implement".into());
    }
    if json.get("b64").is_some_and(|b| *b != Value::Bool(true)) {
        return Err("unencoded payloads (b64) are not accepted".into());
    }
    let typ = match json.get("typ").and_then(Value::as_str) {
        Some("aip-link+jwt") => Typ::Link,
        Some("aip+jwt") => Typ::Legacy,
        Some("dpop+jwt") => Typ::Dpop,
        _ => Typ::Other,
    };
    Ok(Header {
        alg_eddsa: json.get("alg").and_then(Value::as_str) == Some("EdDSA"),
        typ,
        jwk: json.get("jwk").map(|k| okp_public_key(k, true)),
    })
}

/// The raw key of an RFC 8037 Ed25519 OKP public JWK: `kty` `OKP`, `crv`
/// `Ed25519`, `x` canonical base64url of 32 bytes, and, when
/// `refuse_private`, no private `d` member.
pub fn okp_public_key(jwk: &Value<'_>, refuse_private: bool) -> Result<[u8; 32], String> {
    if !matches!(jwk, Value::Object(_)) {
        return Err("jwk is not an object".into());
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
        || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
    {
        return Err("jwk must be an Ed25519 OKP key".into());
    }
    if refuse_private && jwk.get("d").is_some() {
        return Err("jwk carries a private key".into());
    }
    let x = jwk
        .get("x")
        .and_then(Value::as_str)
        .ok_or("jwk x must be a string")?;
    key_from_b64url(x)
}

/// A 32-byte key from canonical base64url.
pub fn key_from_b64url(x: &str) -> Result<[u8; 32], String> {
    if x.is_empty() {
        return Err("jwk x is empty".into());
    }
    let raw = b64url_decode(x).map_err(|e| format!("jwk x: {}", e.message()))?;
    <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| "jwk x is not a 32-byte Ed25519 key".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::b64url_encode;

    fn jws(header: &str, payload: &str, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64url_encode(header.as_bytes()),
            b64url_encode(payload.as_bytes()),
            b64url_encode(sig)
        )
    }

    #[test]
    fn known_headers_read_as_decoded() {
        for (json, typ) in [
            (r#"{"alg":"EdDSA","typ":"aip-link+jwt"}"#, Typ::Link),
            (r#"{"alg":"EdDSA","typ":"aip+jwt"}"#, Typ::Legacy),
        ] {
            let segment = b64url_encode(json.as_bytes());
            let fast = known_header(&segment).unwrap();
            let value = parse(json.as_bytes(), HEADER_LIMITS).unwrap();
            assert_eq!(Some(fast.clone()), read_header(&value).ok());
            assert_eq!(fast.typ, typ);
        }
    }

    #[test]
    fn decodes_a_link() {
        let text = jws(r#"{"alg":"EdDSA","typ":"aip-link+jwt"}"#, "{}", &[7; 64]);
        let j = decode(&text).unwrap();
        assert!(j.header.alg_eddsa);
        assert_eq!(j.header.typ, Typ::Link);
        assert_eq!(j.payload, b"{}");
        assert_eq!(j.signature, vec![7; 64]);
        assert_eq!(
            &text[j.signing_input.clone()],
            text.rsplit_once('.').unwrap().0
        );
    }

    #[test]
    fn refuses_bad_encodings_and_headers() {
        let good = jws(r#"{"alg":"EdDSA","typ":"aip-link+jwt"}"#, "{}", &[7; 64]);
        // Padding, foreign characters, non-canonical trailing bits.
        assert!(decode(&format!("{good}=")).is_err());
        assert!(decode(&good.replacen('.', "=.", 1)).is_err());
        assert!(decode(&format!("{good}+")).is_err());
        let (head, sig) = good.rsplit_once('.').unwrap();
        let mut bent = sig.to_string();
        bent.pop();
        bent.push('B'); // 64 bytes end in 4 unused bits: 'B' sets one
        assert!(decode(&format!("{head}.{bent}"))
            .unwrap_err()
            .contains("trailing bits"));
        // Segment counts.
        assert!(decode(head).is_err());
        assert!(decode(&format!("{good}.")).is_err());
        // Header shape.
        for header in [
            r#"[1]"#,
            r#"{"alg":"EdDSA","alg":"EdDSA"}"#,
            r#"{"alg":"EdDSA","kid":1}"#,
            r#"{"alg":"EdDSA","crit":["b64"],"b64":true}"#,
            r#"{"alg":"EdDSA","b64":false}"#,
            "{\"alg\":\"EdDSA\",\"typ\":\"\\ud800\"}",
        ] {
            assert!(decode(&jws(header, "{}", &[0; 64])).is_err(), "{header}");
        }
        let ok = decode(&jws(
            r#"{"alg":"none","typ":"aip+jwt","b64":true,"kid":"k"}"#,
            "{}",
            &[],
        ))
        .unwrap();
        assert!(!ok.header.alg_eddsa);
        assert_eq!(ok.header.typ, Typ::Legacy);
    }

    #[test]
    fn reads_okp_keys_strictly() {
        let x = b64url_encode(&[9; 32]);
        let key = |j: &str| {
            let v = parse(j.as_bytes(), ParseLimits::default()).unwrap();
            okp_public_key(&v, true)
        };
        assert_eq!(
            key(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#)),
            Ok([9; 32])
        );
        assert!(key(&format!(r#"{{"kty":"EC","crv":"Ed25519","x":"{x}"}}"#)).is_err());
        assert!(key(&format!(r#"{{"kty":"OKP","crv":"X25519","x":"{x}"}}"#)).is_err());
        assert!(key(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","d":"{x}"}}"#
        ))
        .is_err());
        assert!(key(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}A"}}"#)).is_err());
        assert!(key(r#"{"kty":"OKP","crv":"Ed25519","x":""}"#).is_err());
        assert!(key(r#"{"kty":"OKP","crv":"Ed25519"}"#).is_err());
        let short = b64url_encode(&[9; 31]);
        assert!(key(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{short}"}}"#)).is_err());
    }
}

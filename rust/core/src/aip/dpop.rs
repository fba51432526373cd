//! Opt-in protection (a): a DPoP proof of possession of the leaf key
//! (RFC 9449), closing AIP's bearer gap — without it, any prefix of a chain
//! verifies with an earlier holder's wider authority.
//!
//! A proof is a compact JWS with header `typ` `dpop+jwt`, `alg` `EdDSA` and
//! `jwk` the signer's Ed25519 public key, which must be the key the leaf
//! link names in `cnf.jwk`. Its claims: `jti` (unique, checked against the
//! replay cache), `iat` (within `proof_max_age` of now), `ath` (base64url of
//! SHA-256 of the exact token text), and the request binding: `htm`/`htu`
//! equal to the request's method and URL when the caller gives them, and
//! `aip_tool` equal to the tool when present — required when the caller
//! gives neither method nor URL, so that a proof always binds the request.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::crypto::SigningKey;
use crate::error::{Error, Result};
use crate::json::Json;
use crate::json_parse::{parse, Int, ParseLimits, Value};
use crate::text::b64url_encode;

use super::jose::{self, Typ};

/// The longest `jti` accepted.
pub const MAX_JTI_BYTES: usize = 256;

const PROOF_JSON: ParseLimits = ParseLimits {
    max_depth: 4,
    max_values: 64,
};

/// A decoded proof, not yet checked against anything.
#[derive(Debug, Clone)]
pub struct Proof {
    /// The signed bytes, as a range of the proof text.
    pub signing_input: Range<usize>,
    /// The signature.
    pub signature: Vec<u8>,
    /// The key in the header.
    pub key: [u8; 32],
    /// `jti`.
    pub jti: String,
    /// `iat`.
    pub iat: Int,
    /// `ath`.
    pub ath: String,
    /// `htm`.
    pub htm: Option<String>,
    /// `htu`.
    pub htu: Option<String>,
    /// `aip_tool`.
    pub tool: Option<String>,
}

/// Decodes a proof; `Err` says why it is not one.
pub fn decode(text: &str) -> std::result::Result<Proof, String> {
    let jws = jose::decode(text)?;
    if jws.header.typ != Typ::Dpop || !jws.header.alg_eddsa {
        return Err("a proof's header must have typ dpop+jwt and alg EdDSA".into());
    }
    let key = match jws.header.jwk {
        Some(Ok(key)) => key,
        Some(Err(e)) => return Err(format!("proof header {e}")),
        None => return Err("the proof header carries no jwk".into()),
    };
    let claims = parse(&jws.payload, PROOF_JSON).map_err(|e| format!("proof payload: {e}"))?;
    let string = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let jti = string("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_BYTES)
        .ok_or("the proof needs a jti of 1 to 256 bytes")?;
    let Some(Value::Int(iat)) = claims.get("iat") else {
        return Err("the proof needs an integer iat".into());
    };
    let ath = string("ath").ok_or("the proof needs ath")?;
    let optional = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(_) => Err(format!("proof {name} must be a string")),
    };
    Ok(Proof {
        signing_input: jws.signing_input,
        signature: jws.signature,
        key,
        jti,
        iat: iat.clone(),
        ath,
        htm: optional("htm")?,
        htu: optional("htu")?,
        tool: optional("aip_tool")?,
    })
}

/// `ath`: base64url of SHA-256 of the token text.
pub fn token_hash(token: &str) -> String {
    b64url_encode(&Sha256::digest(token.as_bytes()))
}

/// What the proof must bind.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// The token text as presented.
    pub token: &'a str,
    /// The tool requested.
    pub tool: &'a str,
    /// The request's HTTP method, if the caller has it.
    pub method: Option<&'a str>,
    /// The request's URL, if the caller has it.
    pub url: Option<&'a str>,
    /// The leaf link's holder key.
    pub holder: [u8; 32],
    /// Now.
    pub now: i64,
    /// How far `iat` may be from now, either way.
    pub max_age: u64,
}

/// Every check of a decoded proof except its signature and its `jti`'s
/// freshness.
pub fn check(proof: &Proof, b: &Binding<'_>) -> std::result::Result<(), String> {
    if proof.key != b.holder {
        return Err("the proof is not signed by the leaf link's holder key".into());
    }
    if proof.ath != token_hash(b.token) {
        return Err("the proof's ath is not the hash of this token".into());
    }
    let age = match proof.iat.as_i64() {
        Some(iat) => i128::from(b.now) - i128::from(iat),
        None => i128::MAX,
    };
    if age.unsigned_abs() > u128::from(b.max_age) {
        return Err("the proof's iat is outside the accepted window".into());
    }
    if let Some(method) = b.method {
        if proof.htm.as_deref() != Some(method) {
            return Err("the proof's htm does not match the request method".into());
        }
    }
    if let Some(url) = b.url {
        if proof.htu.as_deref() != Some(url) {
            return Err("the proof's htu does not match the request URL".into());
        }
    }
    match &proof.tool {
        Some(tool) if tool != b.tool => {
            Err("the proof's aip_tool does not match the requested tool".into())
        }
        None if b.method.is_none() && b.url.is_none() => Err(
            "the proof binds no request: it needs aip_tool, or htm/htu checked by the caller"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The replay-cache key of a proof: its signer and `jti`.
pub fn replay_key(proof: &Proof) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"chainproof/aip/dpop-jti\x00")
        .chain_update(proof.key)
        .chain_update(proof.jti.as_bytes())
        .finalize()
        .into()
}

/// What to put in a new proof.
#[derive(Debug, Clone, Default)]
pub struct ProofClaims {
    /// `htm`.
    pub method: Option<String>,
    /// `htu`.
    pub url: Option<String>,
    /// `aip_tool`.
    pub tool: Option<String>,
    /// `iat`.
    pub iat: i64,
    /// `jti`; a random one when `None`.
    pub jti: Option<String>,
}

/// Signs a proof for `token` with the holder's key.
pub fn make(holder: &SigningKey, token: &str, claims: &ProofClaims) -> Result<String> {
    if claims.method.is_none() && claims.url.is_none() && claims.tool.is_none() {
        return Err(Error::InvalidArgument(
            "a proof must bind the request: give a method and URL, or a tool".into(),
        ));
    }
    let jti = match &claims.jti {
        Some(j) if j.is_empty() || j.len() > MAX_JTI_BYTES => {
            return Err(Error::InvalidArgument("jti must be 1 to 256 bytes".into()))
        }
        Some(j) => j.clone(),
        None => {
            let mut raw = [0u8; 16];
            getrandom::fill(&mut raw).map_err(|e| Error::Randomness(e.to_string()))?;
            b64url_encode(&raw)
        }
    };
    let header = Json::Object(vec![
        ("alg".into(), Json::str("EdDSA")),
        ("typ".into(), Json::str("dpop+jwt")),
        (
            "jwk".into(),
            Json::Object(vec![
                ("kty".into(), Json::str("OKP")),
                ("crv".into(), Json::str("Ed25519")),
                ("x".into(), Json::str(b64url_encode(&holder.public_key()))),
            ]),
        ),
    ]);
    let mut members = vec![
        ("jti".to_string(), Json::str(jti)),
        ("iat".to_string(), Json::Int(claims.iat)),
        ("ath".to_string(), Json::str(token_hash(token))),
    ];
    for (name, value) in [
        ("htm", &claims.method),
        ("htu", &claims.url),
        ("aip_tool", &claims.tool),
    ] {
        if let Some(v) = value {
            members.push((name.to_string(), Json::str(v.clone())));
        }
    }
    let signing_input = format!(
        "{}.{}",
        b64url_encode(header.to_text().as_bytes()),
        b64url_encode(Json::Object(members).to_text().as_bytes())
    );
    let signature = holder.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", b64url_encode(&signature)))
}

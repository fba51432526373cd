//! Invocations: the final holder's signed statement of one request.
//!
//! Without a valid invocation a token authorises nothing: it binds the
//! request to the exact token (by the hash of its leaf block), the receiving
//! service, the action and resource, the constrained arguments and a digest
//! of the whole request, and it carries a nonce for replay protection.

use std::collections::BTreeMap;

use crate::caps::{Resource, Value};
use crate::cbor::{head_len, Decoder, Encoder, MapKeys};
use crate::crypto::{SigningKey, SIGNATURE_LEN};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::text::{b64url_encode, decode_prefixed, INVOCATION_PREFIX};
use crate::token::sha256;
use crate::wire;

/// Domain-separation prefix of invocation signatures.
pub const INVOCATION_DOMAIN: &[u8] = b"chainproof/v1/invocation\x00";
/// Version number of the binary invocation encoding.
pub const INVOCATION_VERSION: u64 = 1;
/// Shortest accepted nonce.
pub const MIN_NONCE_LEN: usize = 16;
/// Longest accepted nonce.
pub const MAX_NONCE_LEN: usize = 32;

mod key {
    pub const TOKEN_HASH: u64 = 1;
    pub const AUDIENCE: u64 = 2;
    pub const ACTION: u64 = 3;
    pub const RESOURCE: u64 = 4;
    pub const ARGS: u64 = 5;
    pub const ARGS_DIGEST: u64 = 6;
    pub const ISSUED_AT: u64 = 7;
    pub const NONCE: u64 = 8;
}

/// The fields of an invocation, as signed.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationBody {
    /// SHA-256 of the signed bytes of the token's leaf block.
    pub token_hash: [u8; 32],
    /// The receiving service.
    pub audience: String,
    /// The one action requested.
    pub action: String,
    /// The concrete resource acted on.
    pub resource: Resource,
    /// The arguments that constraints apply to.
    pub args: BTreeMap<String, Value>,
    /// SHA-256 of the full request (see `docs/FORMAT.md`).
    pub args_digest: [u8; 32],
    /// When the holder made the request (seconds since the Unix epoch).
    pub issued_at: u64,
    /// A random value, unique per request.
    pub nonce: Vec<u8>,
}

/// A decoded invocation with its signed bytes and signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    body: InvocationBody,
    signed: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
}

/// The digest of an argument map, used as `args_digest` when the caller has
/// no separate request body to bind.
pub fn args_digest(args: &BTreeMap<String, Value>) -> [u8; 32] {
    let mut enc = Encoder::new();
    wire::write_args(&mut enc, args);
    sha256(&enc.into_bytes())
}

impl InvocationBody {
    /// The deterministic encoding (the signed bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.map(if self.args.is_empty() { 7 } else { 8 });
        enc.uint(key::TOKEN_HASH);
        enc.bytes(&self.token_hash);
        enc.uint(key::AUDIENCE);
        enc.text(&self.audience);
        enc.uint(key::ACTION);
        enc.text(&self.action);
        enc.uint(key::RESOURCE);
        enc.text(self.resource.as_str());
        if !self.args.is_empty() {
            enc.uint(key::ARGS);
            wire::write_args(&mut enc, &self.args);
        }
        enc.uint(key::ARGS_DIGEST);
        enc.bytes(&self.args_digest);
        enc.uint(key::ISSUED_AT);
        enc.uint(self.issued_at);
        enc.uint(key::NONCE);
        enc.bytes(&self.nonce);
        enc.into_bytes()
    }

    /// Decodes signed bytes strictly.
    pub fn decode(signed: &[u8], limits: &Limits) -> Result<InvocationBody> {
        let mut dec = Decoder::new(signed);
        let n = dec.schema_map(8, "invocation")?;
        let mut keys = MapKeys::new(n);
        keys.required(&mut dec, key::TOKEN_HASH, "token hash")?;
        let token_hash = dec.bytes_exact::<32>("token hash")?;
        keys.required(&mut dec, key::AUDIENCE, "audience")?;
        let audience = wire::read_text(&mut dec, limits, "audience")?.to_string();
        keys.required(&mut dec, key::ACTION, "action")?;
        let action = wire::read_text(&mut dec, limits, "action")?.to_string();
        keys.required(&mut dec, key::RESOURCE, "resource")?;
        let resource = Resource::parse(dec.text()?, limits)?;
        let args = if keys.field(&mut dec, key::ARGS)? {
            let args = wire::read_args(&mut dec, limits)?;
            if args.is_empty() {
                return Err(Error::Malformed(
                    "an empty argument map is omitted, not encoded".into(),
                ));
            }
            args
        } else {
            BTreeMap::new()
        };
        keys.required(&mut dec, key::ARGS_DIGEST, "args digest")?;
        let args_digest = dec.bytes_exact::<32>("args digest")?;
        keys.required(&mut dec, key::ISSUED_AT, "issued_at")?;
        let issued_at = dec.uint()?;
        keys.required(&mut dec, key::NONCE, "nonce")?;
        let nonce = dec.bytes()?;
        check_nonce(nonce)?;
        keys.finish(&dec)?;
        dec.finish()?;
        if audience.is_empty() || action.is_empty() {
            return Err(Error::Malformed(
                "audience and action must not be empty".into(),
            ));
        }
        Ok(InvocationBody {
            token_hash,
            audience,
            action,
            resource,
            args,
            args_digest,
            issued_at,
            nonce: nonce.to_vec(),
        })
    }
}

fn check_nonce(nonce: &[u8]) -> Result<()> {
    if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
        return Err(Error::Malformed(format!(
            "a nonce is {MIN_NONCE_LEN} to {MAX_NONCE_LEN} bytes, got {}",
            nonce.len()
        )));
    }
    Ok(())
}

impl Invocation {
    /// Signs an invocation with the holder's key (the leaf block's subject).
    pub fn sign(body: InvocationBody, holder: &SigningKey, limits: &Limits) -> Result<Invocation> {
        check_nonce(&body.nonce).map_err(|e| Error::InvalidArgument(e.message().to_string()))?;
        if body.args.len() > limits.max_args {
            return Err(Error::LimitExceeded(format!(
                "an invocation carries at most {} arguments",
                limits.max_args
            )));
        }
        let signed = body.encode();
        let signature = holder.sign_parts(INVOCATION_DOMAIN, &signed);
        let inv = Invocation {
            body,
            signed,
            signature,
        };
        if inv.encoded_len() > limits.max_invocation_bytes {
            return Err(Error::LimitExceeded(format!(
                "the invocation would be over {} bytes",
                limits.max_invocation_bytes
            )));
        }
        Ok(inv)
    }

    /// The fields.
    pub fn body(&self) -> &InvocationBody {
        &self.body
    }
    /// The exact signed bytes.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed
    }
    /// The signature over [`INVOCATION_DOMAIN`] followed by the signed bytes.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// The length of [`Invocation::encode`]'s output, computed without encoding.
    pub fn encoded_len(&self) -> usize {
        head_len(3)
            + head_len(INVOCATION_VERSION)
            + head_len(self.signed.len() as u64)
            + self.signed.len()
            + head_len(SIGNATURE_LEN as u64)
            + SIGNATURE_LEN
    }

    /// The binary encoding: `[version, signed, signature]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.array(3);
        enc.uint(INVOCATION_VERSION);
        enc.bytes(&self.signed);
        enc.bytes(&self.signature);
        enc.into_bytes()
    }

    /// The versioned text form (`cpi1.` + base64url).
    pub fn to_text(&self) -> String {
        let mut s = String::from(INVOCATION_PREFIX);
        s.push_str(&b64url_encode(&self.encode()));
        s
    }

    /// Decodes the binary form strictly.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Invocation> {
        if bytes.len() > limits.max_invocation_bytes {
            return Err(Error::LimitExceeded(format!(
                "invocation is {} bytes, at most {} allowed",
                bytes.len(),
                limits.max_invocation_bytes
            )));
        }
        let mut dec = Decoder::new(bytes);
        dec.fixed_array(3, "an invocation")?;
        let version = dec.uint()?;
        if version != INVOCATION_VERSION {
            return Err(Error::Malformed(format!(
                "unknown invocation version {version}"
            )));
        }
        let signed = dec.bytes()?;
        let signature = dec.bytes()?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(signature).map_err(|_| {
            Error::Malformed(format!("a signature is 64 bytes, got {}", signature.len()))
        })?;
        dec.finish()?;
        let body = InvocationBody::decode(signed, limits)?;
        Ok(Invocation {
            body,
            signed: signed.to_vec(),
            signature,
        })
    }

    /// Decodes the text form strictly.
    pub fn from_text(text: &str, limits: &Limits) -> Result<Invocation> {
        let bytes = decode_prefixed(
            text,
            INVOCATION_PREFIX,
            "invocation",
            limits.max_invocation_bytes,
        )?;
        Invocation::decode(&bytes, limits)
    }
}

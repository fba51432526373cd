//! Decoding a token's links without verifying anything, for people
//! (`chainproof aip inspect`) and debugging. Nothing here is trusted by the
//! verifier.

use crate::error::{Error, Result};
use crate::text::b64url_decode;

use super::verifier::AipLimits;

/// One link's decoded parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    /// The header's JSON bytes.
    pub header: Vec<u8>,
    /// The payload's JSON bytes.
    pub payload: Vec<u8>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Splits a token into its links and decodes each segment (strict
/// base64url), refusing what is not a token.
pub fn decode_links(token: &str, limits: &AipLimits) -> Result<Vec<RawLink>> {
    if token.is_empty() {
        return Err(Error::Malformed("the token is empty".into()));
    }
    if token.len() > limits.max_token_bytes {
        return Err(Error::LimitExceeded(format!(
            "the token exceeds {} bytes",
            limits.max_token_bytes
        )));
    }
    if token.split('~').count() > limits.max_links {
        return Err(Error::LimitExceeded(format!(
            "the chain has more than {} links",
            limits.max_links
        )));
    }
    token
        .split('~')
        .enumerate()
        .map(|(i, segment)| {
            let parts: Vec<&str> = segment.split('.').collect();
            let [h, p, s] = parts.as_slice() else {
                return Err(Error::Malformed(format!(
                    "link {i} is not a compact JWS (three segments)"
                )));
            };
            let decode = |what: &str, text: &str| {
                b64url_decode(text)
                    .map_err(|e| Error::Malformed(format!("link {i} {what}: {}", e.message())))
            };
            Ok(RawLink {
                header: decode("header", h)?,
                payload: decode("payload", p)?,
                signature: decode("signature", s)?,
            })
        })
        .collect()
}

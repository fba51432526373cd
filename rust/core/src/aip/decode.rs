//! Decoding a token as far as it goes before any signature: the links'
//! JWS, their payloads' claims, and the root key for the declared issuer.

use std::ops::Range;

use crate::json_parse::{parse_lenient, python_json_text, ParseLimits, Value};

use super::claims::{read_legacy, read_link, ClaimLimits, LegacyPayload, LinkPayload, ReadError};
use super::codes::{AipReason, AipRefusal};
use super::jose::{self, Jws, Typ};
use super::verifier::AipLimits;

/// Where the root key came from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Anchor {
    /// The root key.
    Key([u8; 32]),
    /// The declared issuer is neither configured nor a resolvable key id.
    Unresolvable,
}

/// One link of a chain, decoded as far as it goes without a signature.
pub(super) struct ChainLink {
    /// The link's segment within the token text.
    pub segment: Range<usize>,
    /// The JWS, or why it is malformed.
    pub jws: Result<Jws, String>,
    /// The payload's claims (`None` when the link cannot be reached).
    pub payload: Option<Result<LinkPayload, ReadError>>,
}

/// A token decoded as far as it goes without a signature.
pub(super) enum Body {
    /// Decided before any signature (missing, over a limit, empty link).
    Early(AipRefusal),
    /// A JWT chain.
    Chain {
        /// Its links.
        links: Vec<ChainLink>,
        /// The root key for the issuer link 0 declares.
        anchor: Anchor,
    },
    /// A legacy compact token.
    Legacy(Box<LegacyBody>),
}

/// A legacy compact token, decoded.
pub(super) struct LegacyBody {
    /// The JWS.
    pub jws: Jws,
    /// Its claims.
    pub payload: Result<LegacyPayload, ReadError>,
    /// The root key for the issuer it declares.
    pub anchor: Anchor,
}

pub(super) fn decode_token(
    token: &str,
    limits: &AipLimits,
    claim_limits: &ClaimLimits,
    anchor_of: &dyn Fn(Option<&str>) -> Anchor,
) -> Body {
    let malformed = |m: String| Body::Early(AipRefusal::whole(AipReason::TokenMalformed, m));
    if token.is_empty() {
        return Body::Early(AipRefusal::whole(
            AipReason::TokenMissing,
            "token is missing",
        ));
    }
    if token.len() > limits.max_token_bytes {
        return malformed(format!(
            "the token exceeds {} bytes",
            limits.max_token_bytes
        ));
    }
    let count = token.split('~').count();
    if count > limits.max_links {
        return malformed(format!(
            "the chain has more than {} links",
            limits.max_links
        ));
    }
    let mut ranges = Vec::with_capacity(count);
    let mut start = 0;
    for segment in token.split('~') {
        if segment.is_empty() {
            return malformed("empty link in chain".into());
        }
        ranges.push(start..start + segment.len());
        start += segment.len() + 1;
    }
    let seg = |r: &Range<usize>| token.get(r.clone()).unwrap_or("");
    if let [only] = ranges.as_slice() {
        if let Ok(jws) = jose::decode(seg(only)) {
            if jws.header.typ == Typ::Legacy {
                let payload = read_legacy(&jws.payload, claim_limits);
                if let Err(ReadError {
                    message,
                    limit: true,
                }) = payload
                {
                    return malformed(message);
                }
                let declared = match &payload {
                    Ok(p) => p
                        .model
                        .as_ref()
                        .ok()
                        .map(|m| m.iss.clone())
                        .or_else(|| lenient_issuer(&jws.payload, claim_limits)),
                    Err(_) => lenient_issuer(&jws.payload, claim_limits),
                };
                return Body::Legacy(Box::new(LegacyBody {
                    anchor: anchor_of(declared.as_deref()),
                    jws,
                    payload,
                }));
            }
        }
    }
    let mut links: Vec<ChainLink> = Vec::with_capacity(ranges.len());
    for range in ranges {
        let mut jws = jose::decode(seg(&range));
        // A link after a malformed one is never reached by the walk.
        let reachable = links.last().is_none_or(|l| l.jws.is_ok());
        let payload = match (&jws, reachable) {
            (Ok(j), true) => match read_link(&j.payload, claim_limits) {
                // Over one of our own limits: malformed from the start.
                Err(ReadError {
                    message,
                    limit: true,
                }) => {
                    jws = Err(message);
                    None
                }
                other => Some(other),
            },
            _ => None,
        };
        links.push(ChainLink {
            segment: range,
            jws,
            payload,
        });
    }
    let declared = match links.first() {
        Some(ChainLink {
            payload: Some(Ok(p)),
            ..
        }) => match &p.iss {
            Some(Ok(iss)) => Some(iss.clone()),
            _ => None,
        },
        Some(ChainLink { jws: Ok(j), .. }) => lenient_issuer(&j.payload, claim_limits),
        _ => None,
    };
    Body::Chain {
        anchor: anchor_of(declared.as_deref()),
        links,
    }
}

/// The issuer a payload declares, read leniently (it only selects the key
/// that must then verify the link).
pub(super) fn lenient_issuer(payload: &[u8], limits: &ClaimLimits) -> Option<String> {
    let limits = ParseLimits {
        max_depth: limits.max_json_depth,
        max_values: limits.max_json_values,
    };
    let text = python_json_text(payload)?;
    parse_lenient(&text, limits)
        .ok()?
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string)
}

//! Evaluating a decoded token in the reference SDK's order: V1 link by
//! link (after the batch signature check), the typed model, V3–V5 and V6.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::json_parse::Int;
use crate::text::b64url_encode;

use super::claims::{LegacyPayload, LinkModel, LinkPayload, ReadError};
use super::codes::{AipReason, AipRefusal};
use super::decode::{Anchor, ChainLink};
use super::evidence::{AipEvidence, LinkSummary, Mode};
use super::jose::{Jws, Typ};
use super::verifier::AipRequest;
use super::walk::{authorize, verify_links};

fn prev_hash(segment: &str) -> String {
    b64url_encode(&Sha256::digest(segment.as_bytes()))
}

fn malformed(link: usize, message: impl Into<String>) -> AipRefusal {
    AipRefusal::at(AipReason::TokenMalformed, link, message)
}

fn signature_invalid(link: usize, message: &str) -> AipRefusal {
    AipRefusal::at(AipReason::SignatureInvalid, link, message)
}

fn unresolvable() -> AipRefusal {
    AipRefusal::at(
        AipReason::IdentityUnresolvable,
        0,
        "no key is known for the issuer the authority link declares",
    )
}

/// V1 link by link, then the typed model, V3–V5 and V6, in the SDK's order.
pub(super) fn evaluate_chain(
    req: &AipRequest,
    links: Vec<ChainLink>,
    anchor: Anchor,
    sig_ok: impl Fn(usize) -> bool,
    now: i64,
) -> std::result::Result<Box<AipEvidence>, AipRefusal> {
    let token = req.token.as_str();
    let mut payloads: Vec<LinkPayload> = Vec::with_capacity(links.len());
    let mut previous: Option<Range<usize>> = None;
    for (i, link) in links.into_iter().enumerate() {
        let jws = link.jws.as_ref().map_err(|m| malformed(i, m.clone()))?;
        if i == 0 && matches!(anchor, Anchor::Unresolvable) {
            return Err(unresolvable());
        }
        if !(jws.header.alg_eddsa && jws.header.typ == Typ::Link) {
            return Err(signature_invalid(
                i,
                "the link header must be alg EdDSA, typ aip-link+jwt",
            ));
        }
        if !sig_ok(i) {
            return Err(signature_invalid(
                i,
                "the link's signature does not verify under the key that must have signed it",
            ));
        }
        let payload = match link.payload {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Err(malformed(i, e.message)),
            None => return Err(malformed(i, "the link was not decoded")),
        };
        if let Some(range) = previous.take() {
            let segment = token.get(range).unwrap_or("");
            if payload.prev.as_deref() != Some(prev_hash(segment).as_str()) {
                return Err(signature_invalid(
                    i,
                    "prev is not the hash of the previous link",
                ));
            }
            let parent_sub = payloads.last().and_then(|p| p.sub.as_deref());
            let linked = match (&payload.iss, parent_sub) {
                (None, None) => true,
                (Some(Ok(iss)), Some(sub)) => iss == sub,
                _ => false,
            };
            if !linked {
                return Err(signature_invalid(i, "iss is not the previous link's sub"));
            }
        }
        if let Err(m) = &payload.holder {
            return Err(malformed(i, m.clone()));
        }
        previous = Some(link.segment);
        payloads.push(payload);
    }
    let mut models: Vec<LinkModel> = Vec::with_capacity(payloads.len());
    for (i, p) in payloads.iter_mut().enumerate() {
        let model = std::mem::replace(&mut p.model, Err(String::new()));
        models.push(model.map_err(|m| malformed(i, m))?);
    }
    let refs: Vec<&LinkModel> = models.iter().collect();
    let effective = verify_links(&refs, now)?;
    authorize(&effective, &req.tool, req.domain.as_deref())?;
    let root_key = match anchor {
        Anchor::Key(k) => k,
        Anchor::Unresolvable => return Err(unresolvable()),
    };
    let effective = effective.to_owned_summary();
    let summaries = models
        .into_iter()
        .zip(&payloads)
        .map(|(m, p)| LinkSummary::from_model(m, p.jti.clone(), p.holder.as_ref().ok().copied()))
        .collect();
    Ok(Box::new(AipEvidence::new(
        Mode::JwtChain,
        root_key,
        summaries,
        effective,
    )))
}

/// The legacy compact token as a one-link chain, in the SDK's order.
pub(super) fn evaluate_legacy(
    req: &AipRequest,
    jws: &Jws,
    payload: std::result::Result<LegacyPayload, ReadError>,
    anchor: Anchor,
    sig_ok: bool,
    now: i64,
) -> std::result::Result<Box<AipEvidence>, AipRefusal> {
    if !jws.header.alg_eddsa {
        return Err(malformed(0, "the compact token's alg must be EdDSA"));
    }
    let Anchor::Key(root_key) = anchor else {
        return Err(unresolvable());
    };
    if !sig_ok {
        return Err(signature_invalid(
            0,
            "the compact token's signature does not verify",
        ));
    }
    let p = payload.map_err(|e| malformed(0, e.message))?;
    let now_int = Int::Small(now);
    for (name, value) in [("iat", &p.iat), ("nbf", &p.nbf)] {
        match value {
            Some(Err(())) => return Err(malformed(0, format!("{name} must be an integer"))),
            Some(Ok(t)) if *t > now_int => {
                return Err(malformed(0, format!("the token is not yet valid ({name})")))
            }
            _ => {}
        }
    }
    match &p.exp {
        Some(Err(())) => return Err(malformed(0, "exp must be an integer")),
        Some(Ok(exp)) if *exp <= now_int => {
            return Err(AipRefusal::at(
                AipReason::TokenExpired,
                0,
                "token has expired",
            ))
        }
        _ => {}
    }
    p.hygiene.clone().map_err(|m| malformed(0, m))?;
    let model = p.model.map_err(|m| malformed(0, m))?;
    let link = LinkModel {
        iss: model.iss,
        sub: model.sub,
        tools: Some(model.scope),
        domains: None,
        budget_cents: model.budget_cents,
        expiry: Some(model.exp),
        context: None,
        principal: None,
        max_depth: Some(model.max_depth),
    };
    let effective = verify_links(&[&link], now)?;
    authorize(&effective, &req.tool, req.domain.as_deref())?;
    let effective = effective.to_owned_summary();
    let summary = LinkSummary::from_model(link, p.jti, None);
    Ok(Box::new(AipEvidence::new(
        Mode::Compact,
        root_key,
        vec![summary],
        effective,
    )))
}

//! Evidence: an accepted chain as data, for audit logs.
//!
//! Who delegated what to whom, under which limits, for which purpose, and
//! the request that used it; plus the RFC 8693 view (`sub` is the
//! principal, nested `act` claims the agents, the outermost the current
//! holder).

use crate::caps::{Actions, Capability, Rule, Value};
use crate::invocation::Invocation;
use crate::json::Json;
use crate::text::{b64url_encode, PUBLIC_KEY_PREFIX};
use crate::token::{Block, Token};

/// The text form of a public key (`cppk1.` + base64url).
pub fn key_text(key: &[u8; 32]) -> String {
    let mut s = String::from(PUBLIC_KEY_PREFIX);
    s.push_str(&b64url_encode(key));
    s
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A value as JSON: integers as numbers, decimal fractions as
/// `{"decimal": "12.5"}` so they are never confused with text.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Number(n) if n.exponent() == 0 => Json::Int(n.mantissa()),
        Value::Number(n) => Json::Object(vec![("decimal".into(), Json::str(n.to_string()))]),
        Value::Text(s) => Json::str(s.clone()),
    }
}

fn rule_json(rule: &Rule) -> Json {
    match rule {
        Rule::Max(n) | Rule::Min(n) => value_json(&Value::Number(*n)),
        Rule::OneOf(values) => Json::Array(values.iter().map(value_json).collect()),
        Rule::Eq(v) => value_json(v),
        Rule::Prefix(p) => Json::str(p.clone()),
    }
}

/// A capability as JSON.
pub fn capability_json(cap: &Capability) -> Json {
    let actions = match cap.actions() {
        Actions::All => vec![Json::str("*")],
        Actions::Set(names) => names.iter().map(|n| Json::str(n.clone())).collect(),
    };
    let constraints = cap
        .constraints()
        .iter()
        .map(|c| {
            Json::Object(vec![
                ("arg".into(), Json::str(c.arg())),
                ("kind".into(), Json::str(c.rule().kind_name())),
                ("value".into(), rule_json(c.rule())),
            ])
        })
        .collect();
    Json::Object(vec![
        ("resource".into(), Json::str(cap.resource().as_str())),
        ("actions".into(), Json::Array(actions)),
        ("constraints".into(), Json::Array(constraints)),
    ])
}

fn strings(items: &[String]) -> Json {
    Json::Array(items.iter().map(|s| Json::str(s.clone())).collect())
}

fn signer_of(blocks: &[Block], index: usize) -> Option<[u8; 32]> {
    if index == 0 {
        blocks.first().and_then(|b| b.body().issuer)
    } else {
        blocks.get(index - 1).map(|b| b.body().subject)
    }
}

/// The readable name of a block's subject: its id if it has one, else its key.
fn subject_label(block: &Block) -> String {
    let b = block.body();
    b.subject_id.clone().unwrap_or_else(|| key_text(&b.subject))
}

/// One hop as JSON.
pub fn hop_json(blocks: &[Block], index: usize) -> Json {
    let Some(block) = blocks.get(index) else {
        return Json::Null;
    };
    let b = block.body();
    Json::Object(vec![
        ("index".into(), Json::uint(index as u64)),
        (
            "issuer".into(),
            signer_of(blocks, index).map_or(Json::Null, |k| Json::str(key_text(&k))),
        ),
        ("subject".into(), Json::str(key_text(&b.subject))),
        ("subject_id".into(), Json::opt_str(b.subject_id.as_deref())),
        (
            "capabilities".into(),
            Json::Array(b.capabilities.iter().map(capability_json).collect()),
        ),
        ("purpose".into(), Json::str(b.purpose.as_str())),
        ("not_before".into(), Json::uint(b.not_before)),
        ("expires".into(), Json::uint(b.expires)),
        ("depth".into(), Json::uint(b.depth)),
        ("audiences".into(), strings(&b.audiences)),
        ("block_id".into(), Json::str(hex(&b.block_id))),
        ("block_hash".into(), Json::str(hex(block.hash()))),
        (
            "parent_hash".into(),
            b.parent.map_or(Json::Null, |h| Json::str(hex(&h))),
        ),
        ("reason".into(), Json::opt_str(b.reason.as_deref())),
    ])
}

/// The RFC 8693 §4.1 view: `sub` the principal, nested `act` the agents,
/// outermost the current holder.
pub fn rfc8693_json(token: &Token) -> Json {
    let blocks = token.blocks();
    let mut act = Json::Null;
    for block in blocks {
        let mut fields = vec![("sub".into(), Json::str(subject_label(block)))];
        if act != Json::Null {
            fields.push(("act".into(), act));
        }
        act = Json::Object(fields);
    }
    let principal = blocks.first().and_then(|b| b.body().principal.clone());
    let issuer = blocks.first().and_then(|b| b.body().issuer);
    Json::Object(vec![
        (
            "iss".into(),
            issuer.map_or(Json::Null, |k| Json::str(key_text(&k))),
        ),
        ("sub".into(), Json::opt_str(principal.as_deref())),
        ("act".into(), act),
    ])
}

/// The invocation's own fields as JSON (without the holder, which only the
/// token names).
pub fn invocation_fields(invocation: &Invocation) -> Json {
    let i = invocation.body();
    let args = i
        .args
        .iter()
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    Json::Object(vec![
        ("token_hash".into(), Json::str(hex(&i.token_hash))),
        ("audience".into(), Json::str(i.audience.clone())),
        ("action".into(), Json::str(i.action.clone())),
        ("resource".into(), Json::str(i.resource.as_str())),
        ("args".into(), Json::Object(args)),
        ("args_digest".into(), Json::str(hex(&i.args_digest))),
        ("issued_at".into(), Json::uint(i.issued_at)),
        ("nonce".into(), Json::str(hex(&i.nonce))),
    ])
}

/// The invocation as JSON, with the holder named by the token.
pub fn invocation_json(token: &Token, invocation: &Invocation) -> Json {
    let holder = (
        "holder".to_string(),
        Json::str(key_text(&token.leaf().body().subject)),
    );
    match invocation_fields(invocation) {
        Json::Object(mut fields) => {
            fields.insert(0, holder);
            Json::Object(fields)
        }
        other => other,
    }
}

/// The whole token as JSON (the chain, without an invocation).
pub fn chain_json(token: &Token) -> Json {
    let blocks = token.blocks();
    let root = blocks.first().map(|b| b.body());
    Json::Object(vec![
        (
            "principal".into(),
            Json::opt_str(root.and_then(|r| r.principal.as_deref())),
        ),
        (
            "root_key".into(),
            root.and_then(|r| r.issuer)
                .map_or(Json::Null, |k| Json::str(key_text(&k))),
        ),
        (
            "holder".into(),
            Json::str(key_text(&token.leaf().body().subject)),
        ),
        (
            "purpose".into(),
            Json::str(token.leaf().body().purpose.as_str()),
        ),
        (
            "depth".into(),
            Json::uint(blocks.len().saturating_sub(1) as u64),
        ),
        ("tip_hash".into(), Json::str(hex(token.leaf().hash()))),
        (
            "hops".into(),
            Json::Array((0..blocks.len()).map(|i| hop_json(blocks, i)).collect()),
        ),
        ("rfc8693".into(), rfc8693_json(token)),
    ])
}

/// The evidence of an accepted request: the chain and the invocation.
pub fn evidence_json(token: &Token, invocation: &Invocation) -> Json {
    let mut fields = match chain_json(token) {
        Json::Object(fields) => fields,
        other => vec![("chain".into(), other)],
    };
    fields.push(("invocation".into(), invocation_json(token, invocation)));
    Json::Object(fields)
}

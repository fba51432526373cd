//! The claims of a link (and of a legacy compact token), read from a
//! verified payload with the reference SDK's types and in its order.
//!
//! The SDK reads a link in phases, and a refusal's code depends on the
//! phase, so the phases are kept apart here:
//!
//! 1. JWT claim hygiene right after the signature (PyJWT): the payload is a
//!    JSON object, a truthy `aud` is refused (no audience is configured),
//!    `sub` and `jti` when present are strings — all `aip_token_malformed`;
//! 2. linkage, by the walk: `prev` and `iss` (`aip_signature_invalid`);
//! 3. the holder key in `cnf.jwk` (`aip_token_malformed`);
//! 4. once every link is authenticated, the typed link model: `iss` and
//!    `sub` strings, string arrays, exact integers (`null` counts as absent,
//!    floats and booleans are refused) — `aip_token_malformed`.

use crate::json_parse::{parse, Int, ParseLimits, Value};

use super::jose::key_from_b64url;

/// Limits on what a payload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Deepest JSON nesting.
    pub max_json_depth: usize,
    /// Most JSON values in one payload.
    pub max_json_values: usize,
    /// Most entries in `aip_tools` / `aip_domains` / `scope`.
    pub max_list_len: usize,
}

/// The typed link model (phase 4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkModel {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `aip_tools`.
    pub tools: Option<Vec<String>>,
    /// `aip_domains`.
    pub domains: Option<Vec<String>>,
    /// `aip_budget_cents`.
    pub budget_cents: Option<Int>,
    /// `exp`.
    pub expiry: Option<Int>,
    /// `aip_ctx`.
    pub context: Option<String>,
    /// `aip_principal`.
    pub principal: Option<String>,
    /// `aip_max_depth`.
    pub max_depth: Option<Int>,
}

/// What the walk needs from one link's payload.
#[derive(Debug, Clone)]
pub struct LinkPayload {
    /// `iss` as far as linkage compares it: `None` when absent or `null`,
    /// `Some(Err(()))` when not a string.
    pub iss: Option<Result<String, ()>>,
    /// `sub` (phase 1 made sure it is a string when present).
    pub sub: Option<String>,
    /// `prev` when it is a string.
    pub prev: Option<String>,
    /// `jti` (a string when present).
    pub jti: Option<String>,
    /// Phase 3: the holder key.
    pub holder: Result<[u8; 32], String>,
    /// Phase 4: the typed model.
    pub model: Result<LinkModel, String>,
}

fn json_limits(limits: &ClaimLimits) -> ParseLimits {
    ParseLimits {
        max_depth: limits.max_json_depth,
        max_values: limits.max_json_values,
    }
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What was wrong.
    pub message: String,
    /// Whether one of chainproof's own limits was exceeded (the SDK has
    /// none, so this is refused as malformed before anything else).
    pub limit: bool,
}

impl From<String> for ReadError {
    fn from(message: String) -> Self {
        ReadError {
            message,
            limit: false,
        }
    }
}

fn parse_payload<'p>(payload: &'p [u8], limits: &ClaimLimits) -> Result<Value<'p>, ReadError> {
    parse(payload, json_limits(limits)).map_err(|e| ReadError {
        message: format!("payload is not JSON: {e}"),
        limit: e.limit,
    })
}

/// Phase 1: parse a payload and apply PyJWT's claim hygiene.
fn parse_object<'p>(payload: &'p [u8], limits: &ClaimLimits) -> Result<Value<'p>, ReadError> {
    let value = parse_payload(payload, limits)?;
    if !matches!(value, Value::Object(_)) {
        return Err(String::from("payload is not a JSON object").into());
    }
    if value.get("aud").is_some_and(Value::is_truthy) {
        return Err(String::from("aud is present but no audience is expected").into());
    }
    if value.get("sub").is_some_and(|s| s.as_str().is_none()) {
        return Err(String::from("sub must be a string").into());
    }
    if value.get("jti").is_some_and(|s| s.as_str().is_none()) {
        return Err(String::from("jti must be a string").into());
    }
    Ok(value)
}

/// Reads a JWT-chain link's payload; `Err` is a phase-1 refusal.
pub fn read_link(payload: &[u8], limits: &ClaimLimits) -> Result<LinkPayload, ReadError> {
    let v = parse_object(payload, limits)?;
    let iss = match v.get("iss") {
        None | Some(Value::Null) => None,
        Some(Value::Str(s)) => Some(Ok(s.to_string())),
        Some(_) => Some(Err(())),
    };
    Ok(LinkPayload {
        iss,
        sub: v.get("sub").and_then(Value::as_str).map(str::to_string),
        prev: v.get("prev").and_then(Value::as_str).map(str::to_string),
        jti: v.get("jti").and_then(Value::as_str).map(str::to_string),
        holder: holder_key(&v),
        model: link_model(&v, limits),
    })
}

/// Phase 3, as the SDK reads `cnf.jwk` (a private `d` member is ignored, as
/// there; `x` must be canonical base64url, stricter than there).
fn holder_key(v: &Value<'_>) -> Result<[u8; 32], String> {
    let jwk = v.get("cnf").and_then(|c| c.get("jwk"));
    let Some(jwk @ Value::Object(_)) = jwk else {
        return Err("cnf must carry an Ed25519 OKP jwk".into());
    };
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
        || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
    {
        return Err("cnf must carry an Ed25519 OKP jwk".into());
    }
    let x = jwk
        .get("x")
        .and_then(Value::as_str)
        .ok_or("cnf must carry an Ed25519 OKP jwk")?;
    key_from_b64url(x).map_err(|e| format!("cnf {e}"))
}

fn opt_str(v: &Value<'_>, name: &str) -> Result<Option<String>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

fn opt_int(v: &Value<'_>, name: &str) -> Result<Option<Int>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(i)) => Ok(Some(i.clone())),
        Some(_) => Err(format!("{name} must be an integer")),
    }
}

fn opt_str_list(
    v: &Value<'_>,
    name: &str,
    limits: &ClaimLimits,
) -> Result<Option<Vec<String>>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            if items.len() > limits.max_list_len {
                return Err(format!(
                    "{name} holds more than {} entries",
                    limits.max_list_len
                ));
            }
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| format!("{name} must be an array of strings"))
        }
        Some(_) => Err(format!("{name} must be an array of strings")),
    }
}

/// Phase 4, in the SDK's field order.
fn link_model(v: &Value<'_>, limits: &ClaimLimits) -> Result<LinkModel, String> {
    let iss = opt_str(v, "iss")?;
    let sub = opt_str(v, "sub")?;
    let (Some(iss), Some(sub)) = (iss, sub) else {
        return Err("link must carry iss and sub".into());
    };
    Ok(LinkModel {
        iss,
        sub,
        tools: opt_str_list(v, "aip_tools", limits)?,
        domains: opt_str_list(v, "aip_domains", limits)?,
        budget_cents: opt_int(v, "aip_budget_cents")?,
        expiry: opt_int(v, "exp")?,
        context: opt_str(v, "aip_ctx")?,
        principal: opt_str(v, "aip_principal")?,
        max_depth: opt_int(v, "aip_max_depth")?,
    })
}

/// A legacy compact token's claims, before the time checks (which need
/// `now`).
#[derive(Debug, Clone)]
pub struct LegacyPayload {
    /// `iat` as Python's `int()` reads it (`None` absent, `Err` unreadable).
    pub iat: Option<Result<Int, ()>>,
    /// `nbf` likewise.
    pub nbf: Option<Result<Int, ()>>,
    /// `exp` likewise.
    pub exp: Option<Result<Int, ()>>,
    /// The phase-1 hygiene verdict for `aud`, `sub`, `jti`.
    pub hygiene: Result<(), String>,
    /// `jti` when a string.
    pub jti: Option<String>,
    /// The claims model (pydantic's lax coercions), or why it fails.
    pub model: Result<LegacyModel, String>,
}

/// The legacy claims model.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyModel {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `scope`.
    pub scope: Vec<String>,
    /// `budget_usd` in cents, rounded half to even as Python's `round`.
    pub budget_cents: Option<Int>,
    /// `max_depth` (0 when absent).
    pub max_depth: Int,
    /// `iat`.
    pub iat: Int,
    /// `exp`.
    pub exp: Int,
}

/// Reads a legacy compact token's payload; `Err` means it is not a JSON
/// object.
pub fn read_legacy(payload: &[u8], limits: &ClaimLimits) -> Result<LegacyPayload, ReadError> {
    let v = parse_payload(payload, limits)?;
    if !matches!(v, Value::Object(_)) {
        return Err(String::from("payload is not a JSON object").into());
    }
    let hygiene = if v.get("aud").is_some_and(Value::is_truthy) {
        Err("aud is present but no audience is expected".to_string())
    } else if v.get("sub").is_some_and(|s| s.as_str().is_none()) {
        Err("sub must be a string".to_string())
    } else if v.get("jti").is_some_and(|s| s.as_str().is_none()) {
        Err("jti must be a string".to_string())
    } else {
        Ok(())
    };
    Ok(LegacyPayload {
        iat: v.get("iat").map(python_int),
        nbf: v.get("nbf").map(python_int),
        exp: v.get("exp").map(python_int),
        hygiene,
        jti: v.get("jti").and_then(Value::as_str).map(str::to_string),
        model: legacy_model(&v, limits),
    })
}

fn legacy_model(v: &Value<'_>, limits: &ClaimLimits) -> Result<LegacyModel, String> {
    let string = |name: &str| match v.get(name) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        _ => Err(format!("{name} must be a string")),
    };
    let int = |name: &str| {
        v.get(name)
            .ok_or_else(|| format!("{name} is required"))
            .and_then(|x| lax_int(x).ok_or_else(|| format!("{name} must be an integer")))
    };
    let iss = string("iss")?;
    let sub = string("sub")?;
    let scope = match v.get("scope") {
        Some(Value::Array(items)) if items.len() <= limits.max_list_len => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or("scope must be an array of strings")?,
        Some(Value::Array(_)) => return Err("scope holds too many entries".into()),
        _ => return Err("scope must be an array of strings".into()),
    };
    let budget_cents = match v.get("budget_usd") {
        None | Some(Value::Null) => None,
        Some(b) => {
            let usd = lax_float(b).ok_or("budget_usd must be a number")?;
            if !usd.is_finite() {
                return Err("budget_usd is not a finite number".into());
            }
            Some(
                Int::from_integral_f64((usd * 100.0).round_ties_even())
                    .ok_or("budget_usd is out of range")?,
            )
        }
    };
    let max_depth = match v.get("max_depth") {
        None => Int::Small(0),
        Some(m) => lax_int(m).ok_or("max_depth must be an integer")?,
    };
    Ok(LegacyModel {
        iss,
        sub,
        scope,
        budget_cents,
        max_depth,
        iat: int("iat")?,
        exp: int("exp")?,
    })
}

/// Python's `str.isspace`, which `str.strip` uses.
pub fn python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `int(text)` for a string: surrounding whitespace, a sign, and
/// decimal digits with single underscores between them.
fn int_from_text(text: &str) -> Option<Int> {
    let t = text.trim_matches(python_space);
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => ("-", t.get(1..)?),
        Some(b'+') => ("", t.get(1..)?),
        _ => ("", t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Int::parse_decimal(&format!("{sign}{digits}"))
}

/// Python's `int(value)` on a decoded JSON value (PyJWT's time checks).
fn python_int(v: &Value<'_>) -> Result<Int, ()> {
    match v {
        Value::Int(i) => Ok(i.clone()),
        Value::Bool(b) => Ok(Int::Small(i64::from(*b))),
        Value::Float(f) => Int::from_integral_f64(f.trunc()).ok_or(()),
        Value::Str(s) => int_from_text(s).ok_or(()),
        _ => Err(()),
    }
}

/// Pydantic's lax `int`: integers of any size, booleans, integral floats
/// strictly inside the `i64` range, and text: trimmed, a sign, digits with
/// single underscores between them, optionally `.` and zeros.
fn lax_int(v: &Value<'_>) -> Option<Int> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    match v {
        Value::Int(i) => Some(i.clone()),
        Value::Bool(b) => Some(Int::Small(i64::from(*b))),
        Value::Float(f) if *f > -LIMIT && *f < LIMIT => Int::from_integral_f64(*f),
        Value::Str(s) => {
            let t = s.trim_matches(python_space);
            let whole = match t.split_once('.') {
                Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => {
                    whole
                }
                Some(_) => return None,
                None => t,
            };
            int_from_text(whole)
        }
        _ => None,
    }
}

/// Pydantic's lax `float`: numbers, booleans, and text (trimmed; single
/// underscores inside are dropped; `inf`/`nan` read, refused later as not
/// finite).
fn lax_float(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(Int::Small(i)) => Some(*i as f64),
        Value::Int(big) => big.to_string().parse().ok(),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Str(s) => {
            let t = s.trim_matches(python_space);
            if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
                return None;
            }
            t.replace('_', "").parse().ok()
        }
        _ => None,
    }
}

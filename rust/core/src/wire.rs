//! Encoding of the pieces shared by blocks and invocations: values,
//! capabilities, argument maps and bounded strings. See `docs/FORMAT.md`.

use std::collections::BTreeMap;

use crate::caps::{
    is_valid_arg_name, Actions, Capability, Constraint, Number, ResourcePattern, Rule, Value,
};
use crate::cbor::{Decoder, Encoder, Kind, MapKeys, TAG_DECIMAL_FRACTION};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// Keys of a capability map.
mod cap_key {
    pub const RESOURCE: u64 = 1;
    pub const ACTIONS: u64 = 2;
    pub const CONSTRAINTS: u64 = 3;
}

/// Reads a text string no longer than `max_text_bytes`.
pub fn read_text<'a>(dec: &mut Decoder<'a>, limits: &Limits, what: &str) -> Result<&'a str> {
    let s = dec.text()?;
    check_text_len(s, limits, what)?;
    Ok(s)
}

/// Refuses a string over `max_text_bytes`.
pub fn check_text_len(s: &str, limits: &Limits, what: &str) -> Result<()> {
    if s.len() > limits.max_text_bytes {
        return Err(Error::LimitExceeded(format!(
            "{what} is {} bytes, at most {} allowed",
            s.len(),
            limits.max_text_bytes
        )));
    }
    Ok(())
}

/// Writes a value: an integer as a CBOR integer, a fraction as tag 4.
pub fn write_value(enc: &mut Encoder, value: &Value) {
    match value {
        Value::Number(n) => write_number(enc, n),
        Value::Text(s) => enc.text(s),
    }
}

fn write_number(enc: &mut Encoder, n: &Number) {
    if n.exponent() == 0 {
        enc.int(n.mantissa());
    } else {
        enc.tag(TAG_DECIMAL_FRACTION);
        enc.array(2);
        enc.int(i64::from(n.exponent()));
        enc.int(n.mantissa());
    }
}

/// Reads a value, refusing a decimal fraction that is not in normal form
/// (so that every number has exactly one encoding).
pub fn read_value(dec: &mut Decoder<'_>, limits: &Limits) -> Result<Value> {
    match dec.peek_kind()? {
        Kind::Text => Ok(Value::Text(
            read_text(dec, limits, "text value")?.to_string(),
        )),
        Kind::Integer | Kind::Tag => Ok(Value::Number(read_number(dec)?)),
        _ => Err(Error::Malformed(
            "a value must be an integer, a decimal fraction or text".into(),
        )),
    }
}

fn read_number(dec: &mut Decoder<'_>) -> Result<Number> {
    if dec.peek_kind()? == Kind::Integer {
        return Ok(Number::from_int(dec.int()?));
    }
    if dec.tag()? != TAG_DECIMAL_FRACTION {
        return Err(Error::Malformed("unknown tag".into()));
    }
    dec.fixed_array(2, "a decimal fraction")?;
    let exponent = dec.int()?;
    let mantissa = dec.int()?;
    let exponent = i8::try_from(exponent)
        .ok()
        .filter(|e| *e < 0)
        .ok_or_else(|| Error::Malformed("decimal exponent out of range".into()))?;
    let n = Number::from_parts(mantissa, exponent)
        .map_err(|e| Error::Malformed(e.message().to_string()))?;
    if n.mantissa() != mantissa || n.exponent() != exponent {
        return Err(Error::Malformed(
            "decimal fraction not in normal form".into(),
        ));
    }
    Ok(n)
}

fn write_rule(enc: &mut Encoder, rule: &Rule) {
    match rule {
        Rule::Max(n) | Rule::Min(n) => write_number(enc, n),
        Rule::OneOf(values) => {
            enc.array(values.len());
            for v in values {
                write_value(enc, v);
            }
        }
        Rule::Eq(v) => write_value(enc, v),
        Rule::Prefix(p) => enc.text(p),
    }
}

fn read_rule(dec: &mut Decoder<'_>, kind: u64, limits: &Limits) -> Result<Rule> {
    let rule = match kind {
        1 => Rule::Max(read_number(dec)?),
        2 => Rule::Min(read_number(dec)?),
        3 => {
            let n = dec.array(limits.max_one_of, "one_of values")?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                values.push(read_value(dec, limits)?);
            }
            Rule::one_of_canonical(values, limits)?
        }
        4 => Rule::Eq(read_value(dec, limits)?),
        5 => Rule::prefix(read_text(dec, limits, "prefix")?, limits)?,
        other => return Err(Error::Malformed(format!("unknown constraint kind {other}"))),
    };
    Ok(rule)
}

/// Writes one capability map.
pub fn write_capability(enc: &mut Encoder, cap: &Capability) {
    let has_constraints = !cap.constraints().is_empty();
    enc.map(if has_constraints { 3 } else { 2 });
    enc.uint(cap_key::RESOURCE);
    enc.text(cap.resource().as_str());
    enc.uint(cap_key::ACTIONS);
    match cap.actions() {
        Actions::All => {
            enc.array(1);
            enc.text("*");
        }
        Actions::Set(names) => {
            enc.array(names.len());
            for name in names {
                enc.text(name);
            }
        }
    }
    if has_constraints {
        enc.uint(cap_key::CONSTRAINTS);
        enc.array(cap.constraints().len());
        for c in cap.constraints() {
            enc.array(3);
            enc.text(c.arg());
            enc.uint(u64::from(c.rule().kind()));
            write_rule(enc, c.rule());
        }
    }
}

/// Reads one capability map, refusing non-canonical orderings.
pub fn read_capability(dec: &mut Decoder<'_>, limits: &Limits) -> Result<Capability> {
    let n = dec.schema_map(3, "capability")?;
    let mut keys = MapKeys::new(n);
    keys.required(dec, cap_key::RESOURCE, "resource")?;
    let resource = ResourcePattern::parse(dec.text()?, limits)?;
    keys.required(dec, cap_key::ACTIONS, "actions")?;
    let count = dec.array(limits.max_actions, "actions")?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        names.push(read_text(dec, limits, "action")?.to_string());
    }
    let actions = Actions::from_canonical(names, limits)?;
    let mut constraints = Vec::new();
    if keys.field(dec, cap_key::CONSTRAINTS)? {
        let count = dec.array(limits.max_constraints, "constraints")?;
        if count == 0 {
            return Err(Error::Malformed(
                "an empty constraint list is omitted, not encoded".into(),
            ));
        }
        constraints.reserve(count);
        for _ in 0..count {
            dec.fixed_array(3, "a constraint")?;
            let arg = read_text(dec, limits, "argument name")?.to_string();
            let kind = dec.uint()?;
            let rule = read_rule(dec, kind, limits)?;
            constraints.push(Constraint::from_canonical(arg, rule, limits)?);
        }
    }
    keys.finish(dec)?;
    Capability::from_canonical(resource, actions, constraints, limits)
}

/// Writes an argument map (text keys in deterministic order).
pub fn write_args(enc: &mut Encoder, args: &BTreeMap<String, Value>) {
    enc.map(args.len());
    for (name, value) in sorted_args(args) {
        enc.text(name);
        write_value(enc, value);
    }
}

/// The deterministic order of text keys: shorter first, then bytewise
/// (the order of their CBOR encodings, RFC 8949 §4.2.1).
pub fn sorted_args(args: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut pairs: Vec<_> = args.iter().collect();
    pairs.sort_by(|a, b| (a.0.len(), a.0.as_bytes()).cmp(&(b.0.len(), b.0.as_bytes())));
    pairs
}

/// Reads an argument map, refusing duplicate or misordered keys.
pub fn read_args(dec: &mut Decoder<'_>, limits: &Limits) -> Result<BTreeMap<String, Value>> {
    let n = dec.map(limits.max_args, "arguments")?;
    let mut args = BTreeMap::new();
    let mut last: Option<&str> = None;
    for _ in 0..n {
        let name = read_text(dec, limits, "argument name")?;
        if !is_valid_arg_name(name) {
            return Err(Error::Malformed(format!("invalid argument name {name:?}")));
        }
        if let Some(prev) = last {
            if (prev.len(), prev.as_bytes()) >= (name.len(), name.as_bytes()) {
                return Err(Error::Malformed(
                    "argument names not in deterministic order, or duplicated".into(),
                ));
            }
        }
        last = Some(name);
        let value = read_value(dec, limits)?;
        args.insert(name.to_string(), value);
    }
    Ok(args)
}

/// Writes a list of text strings.
pub fn write_texts(enc: &mut Encoder, items: &[String]) {
    enc.array(items.len());
    for s in items {
        enc.text(s);
    }
}

/// Reads a non-empty list of text strings in strictly ascending byte order.
pub fn read_sorted_texts(
    dec: &mut Decoder<'_>,
    max: usize,
    limits: &Limits,
    what: &str,
) -> Result<Vec<String>> {
    let n = dec.array(max, what)?;
    if n == 0 {
        return Err(Error::Malformed(format!("{what} must not be empty")));
    }
    let mut out: Vec<String> = Vec::with_capacity(n);
    for _ in 0..n {
        let s = read_text(dec, limits, what)?;
        if s.is_empty() {
            return Err(Error::Malformed(format!("{what}: empty name")));
        }
        if let Some(prev) = out.last() {
            if prev.as_bytes() >= s.as_bytes() {
                return Err(Error::Malformed(format!(
                    "{what} not sorted, or duplicated"
                )));
            }
        }
        out.push(s.to_string());
    }
    Ok(out)
}

/// Sorts and dedups a list of names for the canonical form, refusing an
/// empty list or an empty or oversized name.
pub fn canonical_texts(
    mut items: Vec<String>,
    max: usize,
    limits: &Limits,
    what: &str,
) -> Result<Vec<String>> {
    if items.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} must not be empty")));
    }
    for s in &items {
        if s.is_empty() {
            return Err(Error::InvalidArgument(format!("{what}: empty name")));
        }
        check_text_len(s, limits, what)?;
    }
    items.sort();
    items.dedup();
    if items.len() > max {
        return Err(Error::LimitExceeded(format!(
            "{what}: {} items, at most {max} allowed",
            items.len()
        )));
    }
    Ok(items)
}

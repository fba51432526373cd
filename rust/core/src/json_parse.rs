//! A strict JSON parser (RFC 8259) for the JOSE formats the adapters read.
//!
//! Stricter than most parsers on purpose, so that one document has one
//! meaning for every reader (RFC 8725 §3.2 and §3.6):
//!
//! - the input must be UTF-8 (no byte-order mark) and every `\u` escape must
//!   form a valid scalar value (a lone surrogate is refused);
//! - an object must not repeat a member name;
//! - `NaN`, `Infinity`, leading zeros, leading `+` and trailing text are
//!   refused;
//! - nesting depth and the number of values are bounded, so hostile input
//!   costs bounded time and memory (the caller bounds the byte length);
//! - integers (numbers with no fraction and no exponent) are kept exactly,
//!   whatever their size; other numbers are `f64`.
//!
//! Strings are borrowed from the input when they hold no escape.

use std::borrow::Cow;
use std::cmp::Ordering;

/// The deepest nesting accepted by default.
pub const DEFAULT_MAX_DEPTH: usize = 16;
/// The most values (scalars, arrays, objects, members) accepted by default.
pub const DEFAULT_MAX_VALUES: usize = 4096;
/// The deepest nesting ever accepted, whatever the limits say: the parser
/// recurses once per level, and this keeps it far from any thread's stack
/// size.
pub const MAX_DEPTH: usize = 128;
/// The longest integer literal accepted, in digits (CPython's own default
/// limit for converting text to `int`).
pub const MAX_INT_DIGITS: usize = 4300;

/// An exact integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Int {
    /// One that fits in an `i64`.
    Small(i64),
    /// One that does not: the sign and the decimal digits, without leading
    /// zeros.
    Big {
        /// Whether it is negative.
        negative: bool,
        /// The decimal digits of its magnitude.
        digits: Box<str>,
    },
}

impl Int {
    /// Whether it is below zero.
    pub fn is_negative(&self) -> bool {
        match self {
            Int::Small(v) => *v < 0,
            Int::Big { negative, .. } => *negative,
        }
    }

    /// The value as an `i64`, if it fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Int::Small(v) => Some(*v),
            Int::Big { .. } => None,
        }
    }

    /// The value clamped to the `i64` range (for display-only uses).
    pub fn saturating_i64(&self) -> i64 {
        match self {
            Int::Small(v) => *v,
            Int::Big { negative: true, .. } => i64::MIN,
            Int::Big { .. } => i64::MAX,
        }
    }

    /// Parses an optionally signed run of ASCII digits exactly.
    pub fn parse_decimal(text: &str) -> Option<Int> {
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, text.get(1..)?),
            Some(b'+') => (false, text.get(1..)?),
            _ => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if digits.len() > MAX_INT_DIGITS {
            return None;
        }
        if let Ok(v) = text.parse::<i64>() {
            return Some(Int::Small(v));
        }
        let trimmed = digits.trim_start_matches('0');
        Some(Int::Big {
            negative,
            digits: trimmed.into(),
        })
    }

    /// The value of a finite float with no fractional part.
    pub fn from_integral_f64(value: f64) -> Option<Int> {
        if !value.is_finite() || value.fract() != 0.0 {
            return None;
        }
        if value.abs() < 9.0e18 {
            return Some(Int::Small(value as i64));
        }
        // `{:.0}` prints the exact integral value of the float.
        Int::parse_decimal(&format!("{value:.0}"))
    }

    fn magnitude_cmp(a: &str, b: &str) -> Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl Ord for Int {
    fn cmp(&self, other: &Int) -> Ordering {
        match (self, other) {
            (Int::Small(a), Int::Small(b)) => a.cmp(b),
            // A big value lies beyond every small one on its side of zero.
            (Int::Big { negative, .. }, Int::Small(_)) => {
                if *negative {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Int::Small(_), Int::Big { negative, .. }) => {
                if *negative {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (
                Int::Big {
                    negative: na,
                    digits: da,
                },
                Int::Big {
                    negative: nb,
                    digits: db,
                },
            ) => match (na, nb) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => Int::magnitude_cmp(da, db),
                (true, true) => Int::magnitude_cmp(db, da),
            },
        }
    }
}

impl PartialOrd for Int {
    fn partial_cmp(&self, other: &Int) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Int {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Int::Small(v) => write!(f, "{v}"),
            Int::Big { negative, digits } => {
                write!(f, "{}{digits}", if *negative { "-" } else { "" })
            }
        }
    }
}

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number with neither fraction nor exponent, exactly.
    Int(Int),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object, members in document order (names are unique).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The member `name` of an object (`None` for a non-object or a missing
    /// member).
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Truthiness as Python sees the decoded value (`bool(value)`): false
    /// for null, false, zero, and empty strings, arrays and objects.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != Int::Small(0),
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
        }
    }
}

/// Bounds on what [`parse`] accepts.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// The deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// The most values in the document.
    pub max_values: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_values: DEFAULT_MAX_VALUES,
        }
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub message: String,
    /// Whether a limit (depth, value count, integer length) was exceeded,
    /// as opposed to the text not being JSON.
    pub limit: bool,
    /// The byte offset where it was noticed.
    pub offset: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else).
pub fn parse(input: &[u8], limits: ParseLimits) -> Result<Value<'_>, ParseError> {
    parse_with(input, limits, false)
}

/// Parses as Python's `json` module does, for reading a value that will
/// only select something to check, never be trusted: repeated member names
/// (the last wins), `NaN`/`Infinity`/`-Infinity` and lone surrogate escapes
/// (read as U+FFFD) are accepted, and a UTF-8 byte-order mark is skipped
/// (other encodings: see [`python_json_text`]). Limits still apply.
pub fn parse_lenient(input: &[u8], limits: ParseLimits) -> Result<Value<'_>, ParseError> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    parse_with(input, limits, true)
}

/// The bytes as UTF-8, after the encoding detection Python's `json.loads`
/// applies to bytes (RFC 4627 §3: UTF-32 or UTF-16 by BOM or by the pattern
/// of zero bytes, else UTF-8 with an optional BOM); `None` if they do not
/// decode. For [`parse_lenient`] callers that must read what Python reads.
pub fn python_json_text(input: &[u8]) -> Option<Cow<'_, [u8]>> {
    let utf16 = |bytes: &[u8], big: bool| -> Option<Cow<'_, [u8]>> {
        let units = bytes.chunks(2).map(|c| match (c, big) {
            ([a, b], true) => Some(u16::from_be_bytes([*a, *b])),
            ([a, b], false) => Some(u16::from_le_bytes([*a, *b])),
            _ => None,
        });
        let units: Option<Vec<u16>> = units.collect();
        String::from_utf16(&units?)
            .ok()
            .map(|s| Cow::Owned(s.into_bytes()))
    };
    let utf32 = |bytes: &[u8], big: bool| -> Option<Cow<'_, [u8]>> {
        let mut out = String::new();
        for c in bytes.chunks(4) {
            let raw = <[u8; 4]>::try_from(c).ok()?;
            let code = if big {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            };
            out.push(char::from_u32(code)?);
        }
        Some(Cow::Owned(out.into_bytes()))
    };
    match input {
        [0, 0, 0xfe, 0xff, rest @ ..] => utf32(rest, true),
        [0xff, 0xfe, 0, 0, rest @ ..] => utf32(rest, false),
        [0xfe, 0xff, rest @ ..] => utf16(rest, true),
        [0xff, 0xfe, rest @ ..] => utf16(rest, false),
        [0xef, 0xbb, 0xbf, rest @ ..] => Some(Cow::Borrowed(rest)),
        [0, b1, ..] if input.len() >= 4 => {
            if *b1 != 0 {
                utf16(input, true)
            } else {
                utf32(input, true)
            }
        }
        [_, 0, b2, b3, ..] => {
            if *b2 != 0 || *b3 != 0 {
                utf16(input, false)
            } else {
                utf32(input, false)
            }
        }
        [0, _] => utf16(input, true),
        [_, 0] => utf16(input, false),
        _ => Some(Cow::Borrowed(input)),
    }
}

fn parse_with(input: &[u8], limits: ParseLimits, lenient: bool) -> Result<Value<'_>, ParseError> {
    let text = std::str::from_utf8(input).map_err(|e| ParseError {
        message: "the document is not UTF-8".into(),
        limit: false,
        offset: e.valid_up_to(),
    })?;
    let limits = ParseLimits {
        max_depth: limits.max_depth.min(MAX_DEPTH),
        ..limits
    };
    let mut p = Parser {
        text,
        bytes: input,
        pos: 0,
        values: 0,
        limits,
        lenient,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("trailing text after the document"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    values: usize,
    limits: ParseLimits,
    lenient: bool,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> ParseError {
        ParseError {
            message: message.to_string(),
            limit: false,
            offset: self.pos,
        }
    }

    fn limit_error(&self, message: &str) -> ParseError {
        ParseError {
            limit: true,
            ..self.error(message)
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &str) -> Result<(), ParseError> {
        if self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(literal.as_bytes()))
        {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn count_value(&mut self) -> Result<(), ParseError> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(self.limit_error("too many values"));
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.count_value()?;
        match self.peek() {
            None => Err(self.error("unexpected end of the document")),
            Some(b'n') => self.expect_literal("null").map(|()| Value::Null),
            Some(b't') => self.expect_literal("true").map(|()| Value::Bool(true)),
            Some(b'f') => self.expect_literal("false").map(|()| Value::Bool(false)),
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => self.array(depth + 1),
            Some(b'{') => self.object(depth + 1),
            Some(b'N') if self.lenient => {
                self.expect_literal("NaN").map(|()| Value::Float(f64::NAN))
            }
            Some(b'I') if self.lenient => self
                .expect_literal("Infinity")
                .map(|()| Value::Float(f64::INFINITY)),
            Some(b'-')
                if self.lenient
                    && self
                        .bytes
                        .get(self.pos..)
                        .is_some_and(|r| r.starts_with(b"-Infinity")) =>
            {
                self.expect_literal("-Infinity")
                    .map(|()| Value::Float(f64::NEG_INFINITY))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), ParseError> {
        if depth > self.limits.max_depth {
            return Err(self.limit_error("nesting too deep"));
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.enter(depth)?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.enter(depth)?;
        self.pos += 1;
        let mut members: Vec<(Cow<'a, str>, Value<'a>)> = Vec::with_capacity(8);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let at = self.pos;
            let name = self.string()?;
            let existing = members.iter().position(|(k, _)| *k == name);
            if existing.is_some() && !self.lenient {
                return Err(ParseError {
                    message: format!("duplicate member {name:?}"),
                    limit: false,
                    offset: at,
                });
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            match existing.and_then(|i| members.get_mut(i)) {
                // Lenient: the last occurrence wins.
                Some(slot) => slot.1 = value,
                None => members.push((name, value)),
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return Err(self.error("leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error("invalid fraction"));
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error("invalid exponent"));
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let literal = self.text.get(start..self.pos).unwrap_or("");
        if integral {
            Int::parse_decimal(literal)
                .map(Value::Int)
                .ok_or_else(|| self.limit_error("integer literal too long"))
        } else {
            literal
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| self.error("invalid number"))
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid \\u escape"));
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escape, borrowed.
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    let s = self.text.get(start..self.pos).unwrap_or("");
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or(""));
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.error("truncated escape"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.error("control character in a string")),
                Some(_) => {
                    // Copy the run up to the next quote or backslash.
                    let run_start = self.pos;
                    while self
                        .peek()
                        .is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20)
                    {
                        self.pos += 1;
                    }
                    out.push_str(self.text.get(run_start..self.pos).unwrap_or(""));
                }
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        if self.lenient {
            let saved = self.pos;
            if let Ok(c) = self.strict_unicode_escape() {
                return Ok(c);
            }
            // Re-read one escape; a lone surrogate becomes U+FFFD.
            self.pos = saved;
            let code = self.hex4()?;
            return Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        self.strict_unicode_escape()
    }

    fn strict_unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a \\u escape")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value<'_> {
        match parse(text.as_bytes(), ParseLimits::default()) {
            Ok(v) => v,
            Err(e) => panic!("{text:?} refused: {e}"),
        }
    }

    fn refused(text: &[u8]) -> String {
        match parse(text, ParseLimits::default()) {
            Ok(v) => panic!("{text:?} accepted as {v:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn accepts_plain_documents() {
        assert_eq!(ok(" null "), Value::Null);
        assert_eq!(
            ok("[true,false]"),
            Value::Array(vec![Value::Bool(true), Value::Bool(false)])
        );
        assert_eq!(
            ok(r#"{"a":"b\n\u00e9\ud83d\ude00"}"#)
                .get("a")
                .and_then(Value::as_str),
            Some("b\né😀")
        );
        assert_eq!(ok("-0"), Value::Int(Int::Small(0)));
        assert_eq!(ok("1.5e2"), Value::Float(150.0));
        assert!(matches!(ok("1.0"), Value::Float(_)));
    }

    #[test]
    fn refuses_what_a_lenient_parser_takes() {
        assert!(refused(br#"{"a":1,"a":2}"#).contains("duplicate"));
        assert!(refused(br#""\ud800""#).contains("surrogate"));
        assert!(refused(br#""\udc00\ud800""#).contains("surrogate"));
        assert!(refused(br#""\ud800\u0041""#).contains("surrogate"));
        assert!(refused(b"NaN").contains("unexpected"));
        assert!(refused(b"Infinity").contains("unexpected"));
        assert!(refused(b"-Infinity").contains("invalid number"));
        assert!(refused(b"01").contains("leading zero"));
        assert!(refused(b"+1").contains("unexpected"));
        assert!(refused(b"1.").contains("fraction"));
        assert!(refused(b"1e").contains("exponent"));
        assert!(refused(b"{} x").contains("trailing"));
        assert!(refused(b"\"\xff\"").contains("UTF-8"));
        assert!(refused(b"\xef\xbb\xbf{}").contains("unexpected"));
        assert!(refused(b"\"a\x01\"").contains("control"));
        assert!(refused(b"[1,]").contains("unexpected"));
        assert!(refused(b"{\"a\" 1}").contains("':'"));
        assert!(refused(b"\"\\x\"").contains("escape"));
        assert!(refused(b"\"abc").contains("unterminated"));
        assert!(refused(b"").contains("end"));
    }

    #[test]
    fn integers_are_exact_at_any_size() {
        let big = "123456789012345678901234567890";
        let Value::Int(a) = ok(big) else { panic!() };
        let Value::Int(b) = ok("123456789012345678901234567891") else {
            panic!()
        };
        let Value::Int(c) = ok("-123456789012345678901234567890") else {
            panic!()
        };
        assert!(a < b);
        assert!(c < Int::Small(i64::MIN));
        assert!(a > Int::Small(i64::MAX));
        assert_eq!(a.to_string(), big);
        assert_eq!(ok("9223372036854775807"), Value::Int(Int::Small(i64::MAX)));
        assert!(matches!(
            ok("9223372036854775808"),
            Value::Int(Int::Big { .. })
        ));
        let limit = "9".repeat(MAX_INT_DIGITS);
        assert!(matches!(ok(&limit), Value::Int(Int::Big { .. })));
        assert!(refused(format!("{limit}9").as_bytes()).contains("too long"));
    }

    #[test]
    fn depth_and_value_limits_hold_just_under_and_over() {
        let under = format!(
            "{}{}",
            "[".repeat(DEFAULT_MAX_DEPTH),
            "]".repeat(DEFAULT_MAX_DEPTH)
        );
        ok(&under);
        let over = format!(
            "{}{}",
            "[".repeat(DEFAULT_MAX_DEPTH + 1),
            "]".repeat(DEFAULT_MAX_DEPTH + 1)
        );
        assert!(refused(over.as_bytes()).contains("deep"));
        let items = DEFAULT_MAX_VALUES - 1;
        let under = format!("[{}]", vec!["0"; items].join(","));
        ok(&under);
        let over = format!("[{}]", vec!["0"; items + 1].join(","));
        assert!(refused(over.as_bytes()).contains("too many"));
        // Deep hostile nesting is refused without recursion blow-up, even
        // under limits that would allow it.
        let hostile = "[".repeat(100_000);
        assert!(refused(hostile.as_bytes()).contains("deep"));
        let lax = ParseLimits {
            max_depth: usize::MAX,
            max_values: usize::MAX,
        };
        let err = parse(hostile.as_bytes(), lax).unwrap_err();
        assert!(err.limit && err.message.contains("deep"));
        let at_cap = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(at_cap.as_bytes(), lax).is_ok());
    }

    #[test]
    fn lenient_reads_what_python_reads() {
        fn lenient(t: &str) -> Value<'_> {
            parse_lenient(t.as_bytes(), ParseLimits::default()).unwrap()
        }
        let v = lenient(r#"{"a":1,"a":"x","b":NaN,"c":-Infinity,"d":"\ud800"}"#);
        assert_eq!(v.get("a").and_then(Value::as_str), Some("x"));
        assert!(matches!(v.get("b"), Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(v.get("c"), Some(&Value::Float(f64::NEG_INFINITY)));
        assert_eq!(v.get("d").and_then(Value::as_str), Some("\u{fffd}"));
        assert_eq!(lenient("\u{feff}[]"), Value::Array(vec![]));
        assert!(parse_lenient(b"[1,]", ParseLimits::default()).is_err());
        let utf16le: Vec<u8> = "{\"a\":1}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let utf16be: Vec<u8> = "{\"a\":1}"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let utf32le: Vec<u8> = "{}"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        for (bytes, text) in [
            (utf16le, "{\"a\":1}"),
            (utf16be, "{\"a\":1}"),
            (utf32le, "{}"),
        ] {
            assert_eq!(python_json_text(&bytes).as_deref(), Some(text.as_bytes()));
        }
        assert_eq!(python_json_text(b"{}").as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn truthiness_follows_python() {
        for (text, truthy) in [
            ("null", false),
            ("0", false),
            ("0.0", false),
            ("\"\"", false),
            ("[]", false),
            ("{}", false),
            ("false", false),
            ("1", true),
            ("\"a\"", true),
            ("[0]", true),
            ("true", true),
        ] {
            assert_eq!(ok(text).is_truthy(), truthy, "{text}");
        }
    }
}

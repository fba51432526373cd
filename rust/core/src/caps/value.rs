//! Argument values: exact decimal numbers and texts.
//!
//! Constraints compare invocation arguments against bounds chosen by a
//! delegator. Those comparisons decide whether money moves, so they must be
//! exact and the same on every platform: numbers are fixed-point decimals
//! held as integers, never floats, and texts compare by their bytes, never by
//! locale or Unicode collation.

use std::cmp::Ordering;
use std::fmt;

use crate::error::{Error, Result};
use crate::limits::Limits;

/// The most fractional digits a [`Number`] may carry.
///
/// Eighteen digits keep `mantissa * 10^18` inside `i128`
/// (`9.3e18 * 1e18 < 1.7e38`), which is what makes exact comparison of any
/// two numbers possible without overflow.
pub const MAX_FRACTION_DIGITS: u8 = 18;

/// An exact fixed-point decimal: `mantissa * 10^exponent`.
///
/// The exponent lies in `-18..=0` and the representation is always
/// normalized (a negative exponent never leaves a trailing zero in the
/// mantissa; zero is `(0, 0)`). Normalization makes the derived equality and
/// hash agree with numeric equality: `1.50` and `1.5` are the same value and
/// the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    mantissa: i64,
    exponent: i8,
}

impl Number {
    /// The number zero.
    pub const ZERO: Number = Number {
        mantissa: 0,
        exponent: 0,
    };

    /// An integer. Always valid: integers need no fractional digits.
    pub fn from_int(value: i64) -> Number {
        Number {
            mantissa: value,
            exponent: 0,
        }
    }

    /// The number `mantissa * 10^exponent`, normalized.
    ///
    /// `(1050, -2)` becomes `(105, -1)`; any zero becomes `(0, 0)`. An
    /// exponent above `0` or below `-18` is
    /// [`Error::InvalidArgument`]: positive exponents would need a second
    /// representation of large integers, and more than eighteen fractional
    /// digits could overflow the exact comparison.
    pub fn from_parts(mantissa: i64, exponent: i8) -> Result<Number> {
        if exponent > 0 || exponent < -(MAX_FRACTION_DIGITS as i8) {
            return Err(Error::InvalidArgument(format!(
                "number exponent {exponent} outside -{MAX_FRACTION_DIGITS}..=0"
            )));
        }
        if mantissa == 0 {
            return Ok(Number::ZERO);
        }
        let mut m = mantissa;
        let mut e = exponent;
        // Strip trailing zeros from the fraction so every value has exactly
        // one representation.
        while e < 0 && m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        Ok(Number {
            mantissa: m,
            exponent: e,
        })
    }

    /// The normalized mantissa.
    pub fn mantissa(&self) -> i64 {
        self.mantissa
    }

    /// The normalized exponent, in `-18..=0`.
    pub fn exponent(&self) -> i8 {
        self.exponent
    }

    /// Whether the number has no fractional part (its exponent is `0`).
    pub fn is_integer(&self) -> bool {
        self.exponent == 0
    }

    /// The mantissa scaled to `10^-target` units, as `i128`.
    ///
    /// Callers pass `target >= -self.exponent` and `target <= 18`; the
    /// product then fits `i128`. `checked_*` keeps the function total
    /// anyway, so a misuse saturates to a comparison that is still ordered
    /// rather than a panic.
    fn scaled(&self, target: u32) -> i128 {
        let own = u32::from(self.exponent.unsigned_abs());
        let shift = target.saturating_sub(own);
        let factor = 10i128.checked_pow(shift).unwrap_or(i128::MAX);
        i128::from(self.mantissa).saturating_mul(factor)
    }
}

impl Ord for Number {
    /// Compares by exact numeric value: both mantissas are brought to the
    /// finer of the two scales in `i128`, where they cannot overflow.
    fn cmp(&self, other: &Self) -> Ordering {
        let target = u32::from(
            self.exponent
                .unsigned_abs()
                .max(other.exponent.unsigned_abs()),
        );
        self.scaled(target).cmp(&other.scaled(target))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number::from_int(value)
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation (`12.5`, `-0.05`, `7`), never exponent form, so
    /// messages show the exact value that was compared.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        // unsigned_abs handles i64::MIN without overflow.
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.exponent.unsigned_abs());
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        // Left-pad so there is at least one digit before the point.
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let split = padded.len().saturating_sub(scale);
        match (padded.get(..split), padded.get(split..)) {
            (Some(int), Some(frac)) => write!(f, "{sign}{int}.{frac}"),
            // Unreachable: `padded` is ASCII and longer than `scale`.
            _ => write!(f, "{sign}{digits}e-{scale}"),
        }
    }
}

/// The value of one invocation argument, or of one bound in a constraint.
///
/// Values are totally ordered: every number sorts before every text,
/// numbers compare by exact value and texts by their bytes. That order
/// defines the canonical (sorted) form of `one_of` lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// An exact decimal number.
    Number(Number),
    /// A UTF-8 text, compared bytewise.
    Text(String),
}

impl Value {
    /// A text value built from input, refused with
    /// [`Error::LimitExceeded`] when longer than `limits.max_text_bytes`.
    pub fn text(s: impl Into<String>, limits: &Limits) -> Result<Value> {
        let s = s.into();
        check_text_len(&s, limits)?;
        Ok(Value::Text(s))
    }

    /// A number value.
    pub fn number(n: Number) -> Value {
        Value::Number(n)
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(_) => None,
        }
    }

    /// The text, if this is a text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Number(_) => None,
            Value::Text(t) => Some(t),
        }
    }

    /// Checks the value against the limits (text length); numbers always pass.
    pub fn check_limits(&self, limits: &Limits) -> Result<()> {
        match self {
            Value::Number(_) => Ok(()),
            Value::Text(t) => check_text_len(t, limits),
        }
    }
}

/// Refuses a text longer than `limits.max_text_bytes`.
pub(crate) fn check_text_len(s: &str, limits: &Limits) -> Result<()> {
    if s.len() > limits.max_text_bytes {
        return Err(Error::LimitExceeded(format!(
            "text of {} bytes exceeds max_text_bytes {}",
            s.len(),
            limits.max_text_bytes
        )));
    }
    Ok(())
}

impl Ord for Value {
    /// Numbers before texts; numbers by exact value; texts by bytes.
    /// Written out rather than derived so the order cannot change by
    /// reordering the variants.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            (Value::Number(_), Value::Text(_)) => Ordering::Less,
            (Value::Text(_), Value::Number(_)) => Ordering::Greater,
            (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl fmt::Display for Value {
    /// Numbers in decimal form; texts quoted with escapes, so control
    /// characters in hostile input cannot forge lines in a log message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => write!(f, "{t:?}"),
        }
    }
}

#[cfg(test)]
// Tests may unwrap: a panic there is a failing test, not a crashed verifier.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn n(m: i64, e: i8) -> Number {
        Number::from_parts(m, e).unwrap()
    }

    #[test]
    fn normalizes() {
        let x = n(1050, -2);
        assert_eq!((x.mantissa(), x.exponent()), (105, -1));
        assert_eq!(n(0, -5), Number::ZERO);
        assert_eq!(n(0, -5).exponent(), 0);
        assert_eq!(n(1_000_000, -6), Number::from_int(1));
        assert!(n(1_000_000, -6).is_integer());
        assert!(!n(15, -1).is_integer());
        assert_eq!(n(-20, -1), Number::from_int(-2));
        assert_eq!(n(i64::MIN, 0).mantissa(), i64::MIN);
        let m = n(i64::MIN, -18);
        assert_eq!(
            m.mantissa() * 10_i64.pow((m.exponent() + 18) as u32),
            i64::MIN
        );
    }

    #[test]
    fn exponent_range() {
        assert!(Number::from_parts(1, 1).is_err());
        assert!(matches!(
            Number::from_parts(1, -19),
            Err(Error::InvalidArgument(_))
        ));
        assert!(Number::from_parts(1, -18).is_ok());
        assert!(Number::from_parts(1, 0).is_ok());
        assert!(Number::from_parts(0, 1).is_err());
    }

    #[test]
    fn orders_exactly() {
        assert!(n(125, -1) > n(12, 0));
        assert!(n(125, -1) < n(13, 0));
        assert_eq!(n(125, -1).cmp(&n(1250, -2)), Ordering::Equal);
        assert!(n(-1, -18) < Number::ZERO);
        assert!(n(1, -18) > Number::ZERO);
        assert!(n(i64::MAX, 0) > n(i64::MAX, -18));
        assert!(n(i64::MIN, 0) < n(i64::MIN, -18));
        assert!(n(i64::MIN, -18) < n(-9, 0));
        assert!(n(i64::MAX, -18) > n(9, 0));
        assert!(n(i64::MAX, -18) < n(10, 0));
        // Neighbours at the finest scale are distinct.
        assert!(n(100_000_000_000_000_001, -18) > n(1, -1));
    }

    #[test]
    fn order_is_consistent_with_integers() {
        let mut s = 0x1234_5678_9abc_def0_u64;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for _ in 0..10_000 {
            let a = (next() % 2001) as i64 - 1000;
            let b = (next() % 2001) as i64 - 1000;
            let ea = -((next() % 4) as i8);
            let eb = -((next() % 4) as i8);
            // Compare as integers at scale 10^-3.
            let ia = a * 10_i64.pow((3 + ea) as u32);
            let ib = b * 10_i64.pow((3 + eb) as u32);
            assert_eq!(n(a, ea).cmp(&n(b, eb)), ia.cmp(&ib), "{a}e{ea} vs {b}e{eb}");
            assert_eq!(n(a, ea) == n(b, eb), ia == ib);
        }
    }

    #[test]
    fn displays_decimal() {
        assert_eq!(n(125, -1).to_string(), "12.5");
        assert_eq!(n(-5, -2).to_string(), "-0.05");
        assert_eq!(n(7, 0).to_string(), "7");
        assert_eq!(Number::ZERO.to_string(), "0");
        assert_eq!(n(i64::MIN, 0).to_string(), "-9223372036854775808");
        assert_eq!(n(i64::MIN, -18).to_string(), "-9.223372036854775808");
        assert_eq!(n(1, -18).to_string(), "0.000000000000000001");
        assert_eq!(Value::Text("a\"b\n".into()).to_string(), "\"a\\\"b\\n\"");
        assert_eq!(Value::from(n(3, -1)).to_string(), "0.3");
    }

    #[test]
    fn value_order() {
        let big = Value::Number(n(i64::MAX, 0));
        let empty = Value::Text(String::new());
        assert!(big < empty);
        assert!(Value::Text("a".into()) < Value::Text("b".into()));
        assert!(Value::Text("B".into()) < Value::Text("a".into()));
        assert!(Value::Text("a".into()) < Value::Text("ab".into()));
        // Bytewise, not by char: U+00E9 (0xC3 0xA9) sorts after 'z'.
        assert!(Value::Text("z".into()) < Value::Text("\u{e9}".into()));
        assert!(Value::Number(n(1, -1)) < Value::Number(n(2, -1)));
        assert_ne!(Value::Number(Number::from_int(1)), Value::Text("1".into()));
    }

    #[test]
    fn text_limit() {
        let limits = Limits {
            max_text_bytes: 4,
            ..Limits::default()
        };
        assert!(Value::text("abcd", &limits).is_ok());
        assert!(matches!(
            Value::text("abcde", &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(Value::Text("abcde".into()).check_limits(&limits).is_err());
        assert!(Value::Number(Number::ZERO).check_limits(&limits).is_ok());
        let v = Value::text("ab", &limits).unwrap();
        assert_eq!(v.as_text(), Some("ab"));
        assert_eq!(v.as_number(), None);
        assert_eq!(Value::number(Number::ZERO).as_number(), Some(Number::ZERO));
    }
}

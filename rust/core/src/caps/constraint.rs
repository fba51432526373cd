//! Constraints on invocation arguments, and when one constraint implies
//! another.
//!
//! A capability may bound the arguments of the invocations it allows
//! (`amount <= 500`, `currency one_of ["EUR", "USD"]`). A delegated
//! capability may keep or tighten a bound, never loosen it; that is decided
//! by [`Rule::implies`], a fixed table of exact comparisons. The table is
//! sound (an implied rule never admits a value its parent refuses) and
//! deliberately incomplete: combinations not in the table, however
//! harmless, are refused, because a refused delegation is an inconvenience
//! and an accepted widening is a breach.

use std::fmt;

use crate::error::{Error, Result};
use crate::limits::Limits;

use super::value::{check_text_len, Number, Value};

/// Longest argument name, in bytes.
pub const MAX_ARG_NAME_BYTES: usize = 64;

/// One bound on one argument's value.
///
/// The variants are public so matching on them is easy, but only the
/// validating constructors ([`Rule::one_of`], [`Rule::equals`],
/// [`Rule::prefix`], [`Rule::normalize`], [`Constraint::new`], ...) produce
/// the canonical form the wire format requires. The decisions
/// ([`Rule::admits`], [`Rule::implies`]) stay sound on any value, canonical
/// or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The argument is a number `<=` the bound.
    Max(Number),
    /// The argument is a number `>=` the bound.
    Min(Number),
    /// The argument equals one of the values (same type). Canonical form:
    /// non-empty, sorted by [`Value`] order, no duplicates, at most
    /// `max_one_of` values.
    OneOf(Vec<Value>),
    /// The argument equals the value (same type).
    Eq(Value),
    /// The argument is a text that starts with these bytes. Non-empty: an
    /// empty prefix would only say "is a text".
    Prefix(String),
}

impl Rule {
    /// Wire code of [`Rule::Max`].
    pub const KIND_MAX: u8 = 1;
    /// Wire code of [`Rule::Min`].
    pub const KIND_MIN: u8 = 2;
    /// Wire code of [`Rule::OneOf`].
    pub const KIND_ONE_OF: u8 = 3;
    /// Wire code of [`Rule::Eq`].
    pub const KIND_EQ: u8 = 4;
    /// Wire code of [`Rule::Prefix`].
    pub const KIND_PREFIX: u8 = 5;

    /// The stable numeric kind code, part of the wire format and of the
    /// canonical order of constraints: max=1, min=2, one_of=3, eq=4,
    /// prefix=5.
    pub fn kind(&self) -> u8 {
        match self {
            Rule::Max(_) => Rule::KIND_MAX,
            Rule::Min(_) => Rule::KIND_MIN,
            Rule::OneOf(_) => Rule::KIND_ONE_OF,
            Rule::Eq(_) => Rule::KIND_EQ,
            Rule::Prefix(_) => Rule::KIND_PREFIX,
        }
    }

    /// The stable name of the kind: `max`, `min`, `one_of`, `eq`, `prefix`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Rule::Max(_) => "max",
            Rule::Min(_) => "min",
            Rule::OneOf(_) => "one_of",
            Rule::Eq(_) => "eq",
            Rule::Prefix(_) => "prefix",
        }
    }

    /// A `one_of` rule from values in any order: sorts and removes
    /// duplicates.
    ///
    /// An empty list is [`Error::InvalidArgument`]. More than `max_one_of`
    /// values (counted as given, before deduplication, so the work done
    /// is bounded by the limit) or a text over `max_text_bytes` is
    /// [`Error::LimitExceeded`].
    pub fn one_of(values: Vec<Value>, limits: &Limits) -> Result<Rule> {
        Rule::OneOf(values).normalize(limits)
    }

    /// A `one_of` rule for decoders: the values must already be canonical
    /// (sorted, unique); otherwise [`Error::InvalidArgument`] "not
    /// canonical", since two encodings of one token would give two ids.
    pub fn one_of_canonical(values: Vec<Value>, limits: &Limits) -> Result<Rule> {
        let rule = Rule::OneOf(values);
        rule.validate(limits)?;
        Ok(rule)
    }

    /// An `eq` rule; a text over `max_text_bytes` is
    /// [`Error::LimitExceeded`].
    pub fn equals(value: Value, limits: &Limits) -> Result<Rule> {
        let rule = Rule::Eq(value);
        rule.validate(limits)?;
        Ok(rule)
    }

    /// A `prefix` rule; empty is [`Error::InvalidArgument`], over
    /// `max_text_bytes` is [`Error::LimitExceeded`].
    pub fn prefix(prefix: impl Into<String>, limits: &Limits) -> Result<Rule> {
        let rule = Rule::Prefix(prefix.into());
        rule.validate(limits)?;
        Ok(rule)
    }

    /// Brings the rule to canonical form (sorts and deduplicates a
    /// `one_of`) and validates it.
    pub fn normalize(self, limits: &Limits) -> Result<Rule> {
        let rule = match self {
            Rule::OneOf(mut values) => {
                // Refuse oversize input before the sort, so its cost is
                // bounded by the limit.
                check_one_of_len(values.len(), limits)?;
                values.sort();
                values.dedup();
                Rule::OneOf(values)
            }
            other => other,
        };
        rule.validate(limits)?;
        Ok(rule)
    }

    /// Checks that the rule is in canonical form and within the limits.
    ///
    /// `one_of`: non-empty, at most `max_one_of`, strictly increasing;
    /// `prefix`: non-empty; every text at most `max_text_bytes`.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        match self {
            Rule::Max(_) | Rule::Min(_) => Ok(()),
            Rule::OneOf(values) => {
                if values.is_empty() {
                    return Err(Error::InvalidArgument("one_of list is empty".into()));
                }
                check_one_of_len(values.len(), limits)?;
                for v in values {
                    v.check_limits(limits)?;
                }
                if values.windows(2).any(|w| match w {
                    [a, b] => a >= b,
                    _ => false,
                }) {
                    return Err(Error::InvalidArgument(
                        "one_of list not canonical (must be sorted, without duplicates)".into(),
                    ));
                }
                Ok(())
            }
            Rule::Eq(v) => v.check_limits(limits),
            Rule::Prefix(p) => {
                if p.is_empty() {
                    return Err(Error::InvalidArgument("prefix is empty".into()));
                }
                check_text_len(p, limits)
            }
        }
    }

    /// Whether the rule admits the value. A value of the wrong type is
    /// never admitted (a text is not `<=` anything; the number `1` is not
    /// the text `"1"`).
    pub fn admits(&self, value: &Value) -> bool {
        match (self, value) {
            (Rule::Max(bound), Value::Number(n)) => n <= bound,
            (Rule::Min(bound), Value::Number(n)) => n >= bound,
            (Rule::OneOf(members), v) => members.contains(v),
            (Rule::Eq(expected), v) => expected == v,
            (Rule::Prefix(p), Value::Text(t)) => t.as_bytes().starts_with(p.as_bytes()),
            _ => false,
        }
    }

    /// Whether `self` (a child's rule) is equal to or stricter than
    /// `parent`, both on the same argument: every value `self` admits,
    /// `parent` admits.
    ///
    /// The complete table; any pair not listed never implies (different
    /// bound directions, a number bound against a text, ...). "All members"
    /// below also requires the `one_of` to be non-empty.
    ///
    /// | parent       | child (`self`) | implied iff                                  |
    /// |--------------|----------------|----------------------------------------------|
    /// | `max(a)`     | `max(b)`       | `b <= a`                                     |
    /// | `max(a)`     | `eq(v)`        | `v` is a number and `v <= a`                 |
    /// | `max(a)`     | `one_of(T)`    | all members of `T` are numbers `<= a`        |
    /// | `min(a)`     | `min(b)`       | `b >= a`                                     |
    /// | `min(a)`     | `eq(v)`        | `v` is a number and `v >= a`                 |
    /// | `min(a)`     | `one_of(T)`    | all members of `T` are numbers `>= a`        |
    /// | `one_of(S)`  | `one_of(T)`    | `T ⊆ S` (same types)                         |
    /// | `one_of(S)`  | `eq(v)`        | `v ∈ S` (same type)                          |
    /// | `eq(v)`      | `eq(w)`        | `w == v` (same type)                         |
    /// | `eq(v)`      | `one_of(T)`    | `T == [v]`: its single member equals `v`     |
    /// | `prefix(p)`  | `prefix(q)`    | `q` starts with `p` (bytes)                  |
    /// | `prefix(p)`  | `eq(v)`        | `v` is a text starting with `p`              |
    /// | `prefix(p)`  | `one_of(T)`    | all members of `T` are texts starting with `p` |
    /// | anything else|                | never                                        |
    pub fn implies(&self, parent: &Rule) -> bool {
        match (parent, self) {
            (Rule::Max(a), Rule::Max(b)) => b <= a,
            (Rule::Max(a), Rule::Eq(Value::Number(v))) => v <= a,
            (Rule::Max(a), Rule::OneOf(t)) => {
                all_nonempty(t, |m| matches!(m, Value::Number(v) if v <= a))
            }

            (Rule::Min(a), Rule::Min(b)) => b >= a,
            (Rule::Min(a), Rule::Eq(Value::Number(v))) => v >= a,
            (Rule::Min(a), Rule::OneOf(t)) => {
                all_nonempty(t, |m| matches!(m, Value::Number(v) if v >= a))
            }

            (Rule::OneOf(s), Rule::OneOf(t)) => all_nonempty(t, |m| s.contains(m)),
            (Rule::OneOf(s), Rule::Eq(v)) => s.contains(v),

            (Rule::Eq(v), Rule::Eq(w)) => v == w,
            // A canonical list has no duplicates, so "all members equal v"
            // is exactly "T == [v]".
            (Rule::Eq(v), Rule::OneOf(t)) => all_nonempty(t, |m| m == v),

            (Rule::Prefix(p), Rule::Prefix(q)) => q.as_bytes().starts_with(p.as_bytes()),
            (Rule::Prefix(p), Rule::Eq(Value::Text(v))) => v.as_bytes().starts_with(p.as_bytes()),
            (Rule::Prefix(p), Rule::OneOf(t)) => all_nonempty(
                t,
                |m| matches!(m, Value::Text(v) if v.as_bytes().starts_with(p.as_bytes())),
            ),

            _ => false,
        }
    }
}

/// "Every member satisfies `f`", refusing the empty list: an empty
/// `one_of` is never canonical, and refusing it keeps the table
/// conservative rather than vacuously permissive.
fn all_nonempty(values: &[Value], f: impl Fn(&Value) -> bool) -> bool {
    !values.is_empty() && values.iter().all(f)
}

fn check_one_of_len(len: usize, limits: &Limits) -> Result<()> {
    if len > limits.max_one_of {
        return Err(Error::LimitExceeded(format!(
            "one_of list of {len} values exceeds max_one_of {}",
            limits.max_one_of
        )));
    }
    Ok(())
}

impl fmt::Display for Rule {
    /// Human-readable form for messages, e.g. `max 12.5`,
    /// `one_of ["EUR", "USD"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Max(n) => write!(f, "max {n}"),
            Rule::Min(n) => write!(f, "min {n}"),
            Rule::Eq(v) => write!(f, "eq {v}"),
            Rule::Prefix(p) => write!(f, "prefix {p:?}"),
            Rule::OneOf(values) => {
                f.write_str("one_of [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Whether `name` is a valid argument name: 1..=64 bytes of
/// `[A-Za-z0-9_.-]`.
pub fn is_valid_arg_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ARG_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A rule on one named argument.
///
/// Constraints in a capability are kept in canonical order by
/// [`Constraint::sort_key`], `(arg bytes, kind code)`, with at most one
/// constraint per key. That key is deliberately not an `Ord` impl: two
/// different constraints can share a key, and an `Ord` that calls them
/// equal would disagree with `Eq`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Constraint {
    arg: String,
    rule: Rule,
}

impl Constraint {
    /// A constraint, with its rule brought to canonical form.
    ///
    /// An invalid argument name or rule is [`Error::InvalidArgument`]; a
    /// rule over the limits is [`Error::LimitExceeded`].
    pub fn new(arg: impl Into<String>, rule: Rule, limits: &Limits) -> Result<Constraint> {
        let arg = arg.into();
        check_arg_name(&arg)?;
        let rule = rule.normalize(limits)?;
        Ok(Constraint { arg, rule })
    }

    /// A constraint for decoders: the rule must already be canonical.
    pub fn from_canonical(
        arg: impl Into<String>,
        rule: Rule,
        limits: &Limits,
    ) -> Result<Constraint> {
        let arg = arg.into();
        check_arg_name(&arg)?;
        rule.validate(limits)?;
        Ok(Constraint { arg, rule })
    }

    /// The argument's name.
    pub fn arg(&self) -> &str {
        &self.arg
    }

    /// The rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The canonical ordering key: `(arg bytes, kind code)`.
    pub fn sort_key(&self) -> (&[u8], u8) {
        (self.arg.as_bytes(), self.rule.kind())
    }

    /// Whether the constraint admits the value.
    pub fn admits(&self, value: &Value) -> bool {
        self.rule.admits(value)
    }

    /// Whether `self` is on the same argument as `parent` and its rule
    /// implies `parent`'s.
    pub fn implies(&self, parent: &Constraint) -> bool {
        self.arg == parent.arg && self.rule.implies(&parent.rule)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.arg, self.rule)
    }
}

fn check_arg_name(arg: &str) -> Result<()> {
    if is_valid_arg_name(arg) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "argument name must be 1..={MAX_ARG_NAME_BYTES} bytes of [A-Za-z0-9_.-]"
        )))
    }
}

#[cfg(test)]
// Tests may unwrap: a panic there is a failing test, not a crashed verifier.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        Limits::default()
    }
    /// A number from tenths, so "one unit" is 0.1.
    fn d(tenths: i64) -> Number {
        Number::from_parts(tenths, -1).unwrap()
    }
    fn num(tenths: i64) -> Value {
        Value::Number(d(tenths))
    }
    fn txt(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn one_of(v: Vec<Value>) -> Rule {
        Rule::one_of(v, &lim()).unwrap()
    }
    fn eq(v: Value) -> Rule {
        Rule::equals(v, &lim()).unwrap()
    }
    fn prefix(s: &str) -> Rule {
        Rule::prefix(s, &lim()).unwrap()
    }

    #[test]
    fn kind_codes_are_stable() {
        let rules = [
            Rule::Max(d(1)),
            Rule::Min(d(1)),
            one_of(vec![num(1)]),
            eq(num(1)),
            prefix("a"),
        ];
        let codes: Vec<u8> = rules.iter().map(Rule::kind).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5]);
        let names: Vec<&str> = rules.iter().map(Rule::kind_name).collect();
        assert_eq!(names, ["max", "min", "one_of", "eq", "prefix"]);
    }

    #[test]
    fn admits_values() {
        assert!(Rule::Max(d(100)).admits(&num(100)));
        assert!(Rule::Max(d(100)).admits(&num(99)));
        assert!(!Rule::Max(d(100)).admits(&num(101)));
        assert!(!Rule::Max(d(100)).admits(&txt("1")));
        assert!(Rule::Min(d(100)).admits(&num(100)));
        assert!(Rule::Min(d(100)).admits(&num(101)));
        assert!(!Rule::Min(d(100)).admits(&num(99)));
        assert!(!Rule::Min(d(100)).admits(&txt("z")));
        let r = one_of(vec![num(10), txt("EUR")]);
        assert!(r.admits(&num(10)));
        assert!(r.admits(&Value::Number(Number::from_int(1))));
        assert!(r.admits(&txt("EUR")));
        assert!(!r.admits(&txt("eur")));
        assert!(!r.admits(&txt("10")));
        assert!(!r.admits(&num(11)));
        assert!(eq(txt("x")).admits(&txt("x")));
        assert!(!eq(txt("x")).admits(&txt("xy")));
        assert!(!eq(num(1)).admits(&txt("0.1")));
        assert!(prefix("acct-").admits(&txt("acct-7")));
        assert!(prefix("acct-").admits(&txt("acct-")));
        assert!(!prefix("acct-").admits(&txt("acct")));
        assert!(!prefix("acct-").admits(&txt("xacct-1")));
        assert!(!prefix("1").admits(&num(10)));
    }

    // One test per table row: passes at the equal value and one unit
    // stricter, fails one unit wider.

    #[test]
    fn row_max_max() {
        let parent = Rule::Max(d(100));
        assert!(Rule::Max(d(100)).implies(&parent));
        assert!(Rule::Max(d(99)).implies(&parent));
        assert!(!Rule::Max(d(101)).implies(&parent));
    }

    #[test]
    fn row_max_eq() {
        let parent = Rule::Max(d(100));
        assert!(eq(num(100)).implies(&parent));
        assert!(eq(num(99)).implies(&parent));
        assert!(!eq(num(101)).implies(&parent));
        assert!(!eq(txt("1")).implies(&parent));
    }

    #[test]
    fn row_max_one_of() {
        let parent = Rule::Max(d(100));
        assert!(one_of(vec![num(-5), num(100)]).implies(&parent));
        assert!(one_of(vec![num(-5), num(99)]).implies(&parent));
        assert!(!one_of(vec![num(-5), num(101)]).implies(&parent));
        assert!(!one_of(vec![num(-5), txt("a")]).implies(&parent));
    }

    #[test]
    fn row_min_min() {
        let parent = Rule::Min(d(100));
        assert!(Rule::Min(d(100)).implies(&parent));
        assert!(Rule::Min(d(101)).implies(&parent));
        assert!(!Rule::Min(d(99)).implies(&parent));
    }

    #[test]
    fn row_min_eq() {
        let parent = Rule::Min(d(100));
        assert!(eq(num(100)).implies(&parent));
        assert!(eq(num(101)).implies(&parent));
        assert!(!eq(num(99)).implies(&parent));
        assert!(!eq(txt("z")).implies(&parent));
    }

    #[test]
    fn row_min_one_of() {
        let parent = Rule::Min(d(100));
        assert!(one_of(vec![num(100), num(500)]).implies(&parent));
        assert!(one_of(vec![num(101), num(500)]).implies(&parent));
        assert!(!one_of(vec![num(99), num(500)]).implies(&parent));
        assert!(!one_of(vec![num(500), txt("z")]).implies(&parent));
    }

    #[test]
    fn row_one_of_one_of() {
        let parent = one_of(vec![txt("EUR"), txt("USD")]);
        assert!(one_of(vec![txt("EUR"), txt("USD")]).implies(&parent));
        assert!(one_of(vec![txt("EUR")]).implies(&parent));
        assert!(!one_of(vec![txt("EUR"), txt("GBP"), txt("USD")]).implies(&parent));
        let numeric = one_of(vec![num(1), num(2)]);
        assert!(!one_of(vec![txt("0.1")]).implies(&numeric));
    }

    #[test]
    fn row_one_of_eq() {
        let parent = one_of(vec![num(1), num(2)]);
        assert!(eq(num(1)).implies(&parent));
        assert!(eq(num(2)).implies(&parent));
        assert!(!eq(num(3)).implies(&parent));
        assert!(!eq(txt("0.1")).implies(&parent));
    }

    #[test]
    fn row_eq_eq() {
        let parent = eq(num(100));
        assert!(eq(num(100)).implies(&parent));
        assert!(eq(Value::Number(Number::from_int(10))).implies(&parent));
        assert!(!eq(num(101)).implies(&parent));
        assert!(!eq(num(99)).implies(&parent));
        assert!(!eq(txt("10")).implies(&parent));
        assert!(eq(txt("a")).implies(&eq(txt("a"))));
        assert!(!eq(txt("a")).implies(&eq(txt("A"))));
    }

    #[test]
    fn row_eq_one_of() {
        let parent = eq(txt("EUR"));
        assert!(one_of(vec![txt("EUR")]).implies(&parent));
        assert!(!one_of(vec![txt("EUR"), txt("USD")]).implies(&parent));
        assert!(!one_of(vec![txt("USD")]).implies(&parent));
        let numeric = eq(num(5));
        assert!(one_of(vec![num(5)]).implies(&numeric));
        assert!(!one_of(vec![num(5), num(6)]).implies(&numeric));
    }

    #[test]
    fn row_prefix_prefix() {
        let parent = prefix("acct-");
        assert!(prefix("acct-").implies(&parent));
        assert!(prefix("acct-7").implies(&parent));
        assert!(!prefix("acct").implies(&parent));
        assert!(!prefix("acc-").implies(&parent));
    }

    #[test]
    fn row_prefix_eq() {
        let parent = prefix("acct-");
        assert!(eq(txt("acct-")).implies(&parent));
        assert!(eq(txt("acct-7")).implies(&parent));
        assert!(!eq(txt("acct")).implies(&parent));
        assert!(!eq(num(1)).implies(&parent));
    }

    #[test]
    fn row_prefix_one_of() {
        let parent = prefix("acct-");
        assert!(one_of(vec![txt("acct-"), txt("acct-9")]).implies(&parent));
        assert!(one_of(vec![txt("acct-1"), txt("acct-9")]).implies(&parent));
        assert!(!one_of(vec![txt("acct"), txt("acct-9")]).implies(&parent));
        assert!(!one_of(vec![num(1), txt("acct-9")]).implies(&parent));
    }

    #[test]
    fn unlisted_pairs_never_imply() {
        let all = [
            Rule::Max(d(0)),
            Rule::Min(d(0)),
            one_of(vec![num(0)]),
            eq(num(0)),
            prefix("a"),
        ];
        let listed: &[(u8, u8)] = &[
            (1, 1),
            (1, 4),
            (1, 3),
            (2, 2),
            (2, 4),
            (2, 3),
            (3, 3),
            (3, 4),
            (4, 4),
            (4, 3),
            (5, 5),
            (5, 4),
            (5, 3),
        ];
        for parent in &all {
            for child in &all {
                if !listed.contains(&(parent.kind(), child.kind())) {
                    assert!(!child.implies(parent), "{child} vs {parent}");
                }
            }
        }
        // Min does not imply Max even when the ranges would overlap tidily.
        assert!(!Rule::Min(d(5)).implies(&Rule::Max(d(5))));
        assert!(!Rule::Max(d(5)).implies(&Rule::Min(d(5))));
        // A bound does not imply a finite set.
        assert!(!Rule::Max(d(5)).implies(&one_of(vec![num(5)])));
        assert!(!prefix("a").implies(&eq(txt("a"))));
        // Non-canonical empty list never implies (not vacuous).
        assert!(!Rule::OneOf(vec![]).implies(&Rule::Max(d(5))));
    }

    #[test]
    fn one_of_normalization_and_canonical_check() {
        let r = one_of(vec![txt("b"), num(2), txt("a"), num(2), num(-1)]);
        assert_eq!(r, Rule::OneOf(vec![num(-1), num(2), txt("a"), txt("b")]));
        assert!(Rule::one_of_canonical(vec![num(-1), num(2), txt("a")], &lim()).is_ok());
        for bad in [
            vec![num(2), num(-1)],
            vec![txt("a"), num(1)],
            vec![num(1), num(1)],
            vec![txt("a"), txt("a")],
        ] {
            let err = Rule::one_of_canonical(bad, &lim()).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("not canonical")));
        }
        assert!(matches!(
            Rule::one_of(vec![], &lim()),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            Rule::OneOf(vec![num(2), num(1)]).validate(&lim()),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn one_of_limit_just_under_and_over() {
        let limits = Limits {
            max_one_of: 3,
            ..Limits::default()
        };
        let three = vec![num(1), num(2), num(3)];
        let four = vec![num(1), num(2), num(3), num(4)];
        assert!(Rule::one_of(three.clone(), &limits).is_ok());
        assert!(Rule::one_of_canonical(three, &limits).is_ok());
        assert!(matches!(
            Rule::one_of(four.clone(), &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(matches!(
            Rule::one_of_canonical(four, &limits),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn text_limits_in_rules() {
        let limits = Limits {
            max_text_bytes: 3,
            ..Limits::default()
        };
        assert!(Rule::prefix("abc", &limits).is_ok());
        assert!(matches!(
            Rule::prefix("abcd", &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(matches!(
            Rule::prefix("", &limits),
            Err(Error::InvalidArgument(_))
        ));
        assert!(Rule::equals(txt("abc"), &limits).is_ok());
        assert!(Rule::equals(txt("abcd"), &limits).is_err());
        assert!(Rule::one_of(vec![txt("abcd")], &limits).is_err());
        assert!(Rule::equals(num(123_456), &limits).is_ok());
    }

    #[test]
    fn constraints() {
        let c = Constraint::new("amount", Rule::OneOf(vec![num(2), num(1)]), &lim()).unwrap();
        assert_eq!(c.arg(), "amount");
        assert_eq!(c.rule(), &Rule::OneOf(vec![num(1), num(2)]));
        assert_eq!(c.sort_key(), (&b"amount"[..], 3));
        assert!(c.admits(&num(1)));
        assert!(
            Constraint::from_canonical("amount", Rule::OneOf(vec![num(2), num(1)]), &lim())
                .is_err()
        );
        let narrower = Constraint::new("amount", Rule::OneOf(vec![num(1)]), &lim()).unwrap();
        let other_arg = Constraint::new("fee", Rule::OneOf(vec![num(1)]), &lim()).unwrap();
        assert!(narrower.implies(&c));
        assert!(!other_arg.implies(&c));
        for ok in ["a", "A-Z_0.9", &"x".repeat(64)] {
            assert!(is_valid_arg_name(ok), "{ok}");
            assert!(Constraint::new(ok, Rule::Max(d(1)), &lim()).is_ok());
        }
        for bad in ["", "a b", "a/b", "a*", "\u{e9}", &"x".repeat(65)] {
            assert!(!is_valid_arg_name(bad), "{bad}");
            assert!(matches!(
                Constraint::new(bad, Rule::Max(d(1)), &lim()),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert_eq!(c.to_string(), "amount one_of [0.1, 0.2]");
        assert_eq!(
            Constraint::new("cur", prefix("E\"U"), &lim())
                .unwrap()
                .to_string(),
            "cur prefix \"E\\\"U\""
        );
    }

    /// splitmix64, for reproducible randomized properties.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const TEXTS: [&str; 8] = ["", "a", "ab", "abc", "b", "ba", "aa", "1"];

    fn rand_value(rng: &mut Rng) -> Value {
        if rng.below(2) == 0 {
            // -1.0 ..= 1.0 in steps of 0.1, with some integers.
            num(rng.below(21) as i64 - 10)
        } else {
            txt(TEXTS[rng.below(TEXTS.len() as u64) as usize])
        }
    }

    fn rand_rule(rng: &mut Rng) -> Rule {
        match rng.below(5) {
            0 => Rule::Max(d(rng.below(21) as i64 - 10)),
            1 => Rule::Min(d(rng.below(21) as i64 - 10)),
            2 => {
                let k = 1 + rng.below(3);
                one_of((0..k).map(|_| rand_value(rng)).collect())
            }
            3 => eq(rand_value(rng)),
            _ => prefix(TEXTS[1 + rng.below(TEXTS.len() as u64 - 1) as usize]),
        }
    }

    fn domain() -> Vec<Value> {
        let mut out: Vec<Value> = (-12..=12).map(num).collect();
        // Values between the grid points, to catch off-by-one-unit bugs.
        out.extend((-12..=12).map(|t| Value::Number(Number::from_parts(t * 10 + 5, -2).unwrap())));
        out.extend(TEXTS.iter().map(|t| txt(t)));
        out.extend(["abcd", "c", "bab", "10", "0.1"].iter().map(|t| txt(t)));
        out
    }

    #[test]
    fn implies_is_sound_randomized() {
        let mut rng = Rng(0x00c0_ffee);
        let dom = domain();
        let mut implied = 0;
        for _ in 0..200_000 {
            let parent = rand_rule(&mut rng);
            let child = rand_rule(&mut rng);
            if child.implies(&parent) {
                implied += 1;
                for v in &dom {
                    assert!(
                        !child.admits(v) || parent.admits(v),
                        "{child} implies {parent} but admits {v}"
                    );
                }
            }
        }
        // The property must not hold vacuously.
        assert!(implied > 10_000, "only {implied} implications sampled");
    }

    #[test]
    fn implies_is_reflexive_on_canonical_rules() {
        let mut rng = Rng(7);
        for _ in 0..10_000 {
            let r = rand_rule(&mut rng);
            assert!(r.implies(&r), "{r}");
        }
    }
}

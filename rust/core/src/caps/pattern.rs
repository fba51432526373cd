//! Resource paths and the patterns that grant them.
//!
//! A resource is a `/`-separated path of literal segments
//! (`bank/accounts/ops`). A pattern may also use two wildcards, each only as
//! a whole segment: `*` matches exactly one segment, and a trailing `**`
//! matches one or more remaining segments. Matching and subsumption are
//! decided segment by segment with byte equality, never with regular
//! expressions, so the decision is exact, linear in the path length and
//! identical in every implementation.
//!
//! Syntax shared by patterns, resources and purposes:
//! - one or more non-empty segments joined by `/`, with no leading or
//!   trailing `/`;
//! - segment bytes are printable ASCII `0x21..=0x7E` other than `/`;
//! - at most `max_pattern_bytes` bytes and `max_segments` segments
//!   ([`Error::LimitExceeded`]).
//!
//! A `*` byte is reserved for wildcards: in a pattern it may only form a
//! whole `*` or `**` segment, and `**` may only be the last segment; in a
//! resource or purpose it may not appear at all. Reserving the byte means a
//! literal segment can never look like a wildcard to another
//! implementation.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::{Error, Result};
use crate::limits::Limits;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Matches exactly this segment.
    Lit(String),
    /// `*`: matches any one segment.
    One,
    /// `**` (last only): matches one or more remaining segments.
    Rest,
}

/// Checks length, bytes and segment count, then splits into segments.
///
/// The limits are checked first, on the raw text, so oversize input is
/// refused before anything sized by it is allocated.
pub(crate) fn split_segments<'a>(s: &'a str, limits: &Limits, what: &str) -> Result<Vec<&'a str>> {
    if s.len() > limits.max_pattern_bytes {
        return Err(Error::LimitExceeded(format!(
            "{what} of {} bytes exceeds max_pattern_bytes {}",
            s.len(),
            limits.max_pattern_bytes
        )));
    }
    if s.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} is empty")));
    }
    if let Some(b) = s.bytes().find(|b| !(0x21..=0x7E).contains(b)) {
        return Err(Error::InvalidArgument(format!(
            "{what} contains byte 0x{b:02x} outside printable ASCII"
        )));
    }
    let count = s.bytes().filter(|&b| b == b'/').count() + 1;
    if count > limits.max_segments {
        return Err(Error::LimitExceeded(format!(
            "{what} has {count} segments, exceeds max_segments {}",
            limits.max_segments
        )));
    }
    let segments: Vec<&str> = s.split('/').collect();
    if segments.iter().any(|seg| seg.is_empty()) {
        return Err(Error::InvalidArgument(format!(
            "{what} has an empty segment (leading, trailing or doubled '/')"
        )));
    }
    Ok(segments)
}

/// Parses a concrete path (a resource or a purpose): no `*` anywhere.
pub(crate) fn parse_concrete(s: &str, limits: &Limits, what: &str) -> Result<Vec<String>> {
    let segments = split_segments(s, limits, what)?;
    if segments.iter().any(|seg| seg.contains('*')) {
        return Err(Error::InvalidArgument(format!(
            "{what} may not contain '*' (wildcards belong in patterns)"
        )));
    }
    Ok(segments.into_iter().map(str::to_owned).collect())
}

/// Whether a parent segment covers a child segment: every segment the child
/// matches is matched by the parent. A literal covers only itself; `*`
/// covers a literal or `*`. Neither covers `**`, which spans a variable
/// number of segments; a parent's trailing `**` is handled by the caller.
fn seg_covers(parent: &Seg, child: &Seg) -> bool {
    match (parent, child) {
        (Seg::Lit(p), Seg::Lit(c)) => p == c,
        (Seg::One, Seg::Lit(_) | Seg::One) => true,
        _ => false,
    }
}

/// A resource pattern granted by a capability, such as `bank/*/ops/**`.
///
/// Equality, ordering and hashing are those of the pattern text, which
/// determines the parsed form.
#[derive(Debug, Clone)]
pub struct ResourcePattern {
    text: String,
    segs: Vec<Seg>,
}

impl ResourcePattern {
    /// Parses a pattern (syntax in the [module docs](self)).
    ///
    /// Bad syntax is [`Error::InvalidArgument`]; more than
    /// `max_pattern_bytes` bytes or `max_segments` segments is
    /// [`Error::LimitExceeded`].
    pub fn parse(s: &str, limits: &Limits) -> Result<ResourcePattern> {
        let parts = split_segments(s, limits, "resource pattern")?;
        let last = parts.len().saturating_sub(1);
        let mut segs = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            let seg = match part {
                "*" => Seg::One,
                "**" if i == last => Seg::Rest,
                "**" => {
                    return Err(Error::InvalidArgument(
                        "'**' is only allowed as the last segment of a pattern".into(),
                    ))
                }
                p if p.contains('*') => {
                    return Err(Error::InvalidArgument(
                        "'*' is only allowed as a whole '*' or '**' segment".into(),
                    ))
                }
                p => Seg::Lit(p.to_owned()),
            };
            segs.push(seg);
        }
        Ok(ResourcePattern {
            text: s.to_owned(),
            segs,
        })
    }

    /// The pattern text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The number of segments, a trailing `**` included.
    pub fn segment_count(&self) -> usize {
        self.segs.len()
    }

    /// Whether the pattern contains no wildcard (it matches one resource).
    pub fn is_exact(&self) -> bool {
        self.segs.iter().all(|s| matches!(s, Seg::Lit(_)))
    }

    /// Whether the pattern matches the concrete resource.
    pub fn matches(&self, resource: &Resource) -> bool {
        let r = &resource.segs;
        for (i, seg) in self.segs.iter().enumerate() {
            match seg {
                // One or more remaining segments: `bank/**` does not match
                // `bank`, so a grant on a subtree never grants its root.
                Seg::Rest => return r.len() > i,
                Seg::One => {
                    if i >= r.len() {
                        return false;
                    }
                }
                Seg::Lit(l) => {
                    if r.get(i) != Some(l) {
                        return false;
                    }
                }
            }
        }
        r.len() == self.segs.len()
    }

    /// Whether every resource `child` matches is also matched by `self`.
    ///
    /// Decided segment by segment (exactly equivalent to set inclusion of
    /// the matched resources, which a brute-force test checks):
    /// - without a trailing `**`, the child must have the same number of
    ///   segments, no `**`, and each segment covered;
    /// - with `p1/../p(n-1)/**`, the child must have at least `n` segments
    ///   (its own trailing `**` counts as one), its first `n-1` segments
    ///   covered by `p1..p(n-1)`; anything from position `n-1` on, `**`
    ///   included, is covered by the parent's `**`.
    pub fn covers(&self, child: &ResourcePattern) -> bool {
        match self.segs.split_last() {
            Some((Seg::Rest, prefix)) => {
                // The child must match only paths at least `n` long, and its
                // first `n-1` segments must be covered; a child `**` before
                // position `n-1` fails `seg_covers` (it could stop early).
                child.segs.len() > prefix.len()
                    && prefix
                        .iter()
                        .zip(child.segs.iter())
                        .all(|(p, c)| seg_covers(p, c))
            }
            _ => {
                child.segs.len() == self.segs.len()
                    && self
                        .segs
                        .iter()
                        .zip(child.segs.iter())
                        .all(|(p, c)| seg_covers(p, c))
            }
        }
    }
}

impl PartialEq for ResourcePattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for ResourcePattern {}

impl Hash for ResourcePattern {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl Ord for ResourcePattern {
    /// Bytewise order of the pattern text.
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.as_bytes().cmp(other.text.as_bytes())
    }
}

impl PartialOrd for ResourcePattern {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A concrete resource named by an invocation, such as `bank/acct-7/ops`.
///
/// Same syntax as a pattern but with no `*` at all: an invocation acts on
/// one resource, never on a set.
#[derive(Debug, Clone)]
pub struct Resource {
    text: String,
    segs: Vec<String>,
}

impl Resource {
    /// Parses a concrete resource path.
    ///
    /// Bad syntax or any `*` is [`Error::InvalidArgument`]; more than
    /// `max_pattern_bytes` bytes or `max_segments` segments is
    /// [`Error::LimitExceeded`].
    pub fn parse(s: &str, limits: &Limits) -> Result<Resource> {
        let segs = parse_concrete(s, limits, "resource")?;
        Ok(Resource {
            text: s.to_owned(),
            segs,
        })
    }

    /// The resource text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[String] {
        &self.segs
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Resource {}

impl Hash for Resource {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl Ord for Resource {
    /// Bytewise order of the resource text.
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.as_bytes().cmp(other.text.as_bytes())
    }
}

impl PartialOrd for Resource {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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
    fn p(s: &str) -> ResourcePattern {
        ResourcePattern::parse(s, &lim()).unwrap()
    }
    fn r(s: &str) -> Resource {
        Resource::parse(s, &lim()).unwrap()
    }

    #[test]
    fn pattern_syntax() {
        for ok in [
            "a",
            "bank/accounts",
            "bank/*/ops",
            "bank/**",
            "*",
            "**",
            "*/**",
            "a/*/*/**",
            "!~/x.y_z-1:2@3",
        ] {
            assert!(ResourcePattern::parse(ok, &lim()).is_ok(), "{ok}");
            assert_eq!(p(ok).as_str(), ok);
        }
        for bad in [
            "",
            "/",
            "/a",
            "a/",
            "a//b",
            "a*",
            "*a",
            "a/***",
            "***",
            "**/a",
            "a/**/b",
            "a b",
            "a/\tb",
            "caf\u{e9}",
            "a\u{7f}",
            "a/**/**",
            "a/b*c",
        ] {
            assert!(
                matches!(
                    ResourcePattern::parse(bad, &lim()),
                    Err(Error::InvalidArgument(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn resource_syntax() {
        assert_eq!(r("bank/acct-7/ops").segments(), ["bank", "acct-7", "ops"]);
        assert_eq!(r("x").as_str(), "x");
        for bad in [
            "", "a/*", "*", "**", "a/**", "a*b", "/a", "a/", "a//b", "a b",
        ] {
            assert!(
                matches!(Resource::parse(bad, &lim()), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn limits_just_under_and_over() {
        let limits = Limits {
            max_pattern_bytes: 9,
            max_segments: 3,
            ..Limits::default()
        };
        // 9 bytes is fine, 10 is over.
        assert!(ResourcePattern::parse("abcdefghi", &limits).is_ok());
        assert!(matches!(
            ResourcePattern::parse("abcdefghij", &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(Resource::parse("abcdefghi", &limits).is_ok());
        assert!(matches!(
            Resource::parse("abcdefghij", &limits),
            Err(Error::LimitExceeded(_))
        ));
        // 3 segments fine, 4 over.
        assert!(ResourcePattern::parse("a/b/**", &limits).is_ok());
        assert!(matches!(
            ResourcePattern::parse("a/b/c/**", &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(Resource::parse("a/b/c", &limits).is_ok());
        assert!(matches!(
            Resource::parse("a/b/c/d", &limits),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn matching() {
        assert!(p("bank/*/ops").matches(&r("bank/a/ops")));
        assert!(!p("bank/*/ops").matches(&r("bank/ops")));
        assert!(!p("bank/*/ops").matches(&r("bank/a/b/ops")));
        assert!(p("bank/**").matches(&r("bank/a")));
        assert!(p("bank/**").matches(&r("bank/a/b/c")));
        assert!(!p("bank/**").matches(&r("bank")));
        assert!(!p("bank/**").matches(&r("bankx/a")));
        assert!(p("**").matches(&r("x")));
        assert!(p("*").matches(&r("x")));
        assert!(!p("*").matches(&r("x/y")));
        assert!(p("a").matches(&r("a")));
        assert!(!p("a").matches(&r("a/b")));
        assert!(!p("a/b").matches(&r("a")));
        // Literal comparison is exact bytes: no case folding, no prefixing.
        assert!(!p("Bank").matches(&r("bank")));
        assert!(!p("ban").matches(&r("bank")));
    }

    #[test]
    fn covering_examples() {
        assert!(p("bank/**").covers(&p("bank/**")));
        assert!(p("bank/**").covers(&p("bank/a")));
        assert!(p("bank/**").covers(&p("bank/*/**")));
        assert!(p("bank/**").covers(&p("bank/*")));
        assert!(!p("bank/**").covers(&p("bank")));
        assert!(!p("bank/**").covers(&p("**")));
        assert!(!p("bank/**").covers(&p("*/a")));
        assert!(p("bank/*").covers(&p("bank/a")));
        assert!(!p("bank/*").covers(&p("bank/**")));
        assert!(!p("bank/a").covers(&p("bank/*")));
        assert!(p("*/*").covers(&p("a/*")));
        assert!(!p("*/*").covers(&p("a/*/c")));
        assert!(p("a/*/**").covers(&p("a/b/c/**")));
        assert!(!p("a/*/**").covers(&p("a/**")));
        assert!(p("**").covers(&p("*")));
        assert!(p("**").covers(&p("a/b/**")));
    }

    /// All valid patterns over {a, b, *, **} of 1..=4 segments.
    fn all_patterns() -> Vec<ResourcePattern> {
        let alphabet = ["a", "b", "*", "**"];
        let mut out = Vec::new();
        let mut frontier: Vec<Vec<&str>> = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for s in alphabet {
                    let mut v = prefix.clone();
                    v.push(s);
                    let text = v.join("/");
                    if let Ok(pat) = ResourcePattern::parse(&text, &lim()) {
                        out.push(pat);
                    }
                    next.push(v);
                }
            }
            frontier = next;
        }
        out
    }

    /// All resources over {a, b, c} of 1..=5 segments; `c` never occurs in
    /// the patterns and so stands for "any other segment".
    fn all_resources() -> Vec<Resource> {
        let mut out = Vec::new();
        let mut frontier: Vec<String> = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for s in ["a", "b", "c"] {
                    let text = if prefix.is_empty() {
                        s.to_owned()
                    } else {
                        format!("{prefix}/{s}")
                    };
                    out.push(r(&text));
                    next.push(text);
                }
            }
            frontier = next;
        }
        out
    }

    #[test]
    fn covers_equals_inclusion_brute_force() {
        let pats = all_patterns();
        let ress = all_resources();
        // 4 + 16 + 64 + 256 candidates minus those with a non-final `**`.
        assert_eq!(pats.len(), 4 + 3 * 4 + 9 * 4 + 27 * 4);
        assert_eq!(ress.len(), 3 + 9 + 27 + 81 + 243);
        let matched: Vec<Vec<bool>> = pats
            .iter()
            .map(|pt| ress.iter().map(|rs| pt.matches(rs)).collect())
            .collect();
        let mut checked = 0;
        for (pi, parent) in pats.iter().enumerate() {
            for (ci, child) in pats.iter().enumerate() {
                let inclusion = matched[ci].iter().zip(&matched[pi]).all(|(&c, &p)| !c || p);
                assert_eq!(
                    parent.covers(child),
                    inclusion,
                    "parent {parent} child {child}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, pats.len() * pats.len());
    }

    /// An independent, recursive reading of the matching rules, written
    /// from the definition rather than from `matches`.
    fn reference_match(p: &[&str], r: &[&str]) -> bool {
        match (p.split_first(), r.split_first()) {
            (None, None) => true,
            (Some((&"**", [])), _) => !r.is_empty(),
            (Some((&"*", pt)), Some((_, rt))) => reference_match(pt, rt),
            (Some((lit, pt)), Some((seg, rt))) => lit == seg && reference_match(pt, rt),
            _ => false,
        }
    }

    #[test]
    fn matches_agrees_with_reference() {
        let ress = all_resources();
        for pt in all_patterns() {
            let ps: Vec<&str> = pt.as_str().split('/').collect();
            for rs in &ress {
                let segs: Vec<&str> = rs.segments().iter().map(String::as_str).collect();
                assert_eq!(pt.matches(rs), reference_match(&ps, &segs), "{pt} {rs}");
            }
        }
    }

    #[test]
    fn covers_is_reflexive_and_transitive() {
        let pats = all_patterns();
        for a in &pats {
            assert!(a.covers(a), "{a}");
        }
        for a in &pats {
            for b in pats.iter().filter(|b| a.covers(b)) {
                for c in pats.iter().filter(|c| b.covers(c)) {
                    assert!(a.covers(c), "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn equality_and_order_follow_text() {
        assert_eq!(p("a/*"), p("a/*"));
        assert_ne!(p("a/*"), p("a/**"));
        assert!(p("a/*") < p("a/b"));
        assert_eq!(p("a/b").to_string(), "a/b");
        assert_eq!(r("a/b").to_string(), "a/b");
        assert!(r("a") < r("b"));
        assert_eq!(p("a/*/**").segment_count(), 3);
        assert!(p("a/b").is_exact());
        assert!(!p("a/*").is_exact());
    }
}

//! Purposes: why a capability was delegated.
//!
//! A purpose is a `/`-separated path such as `treasury/liquidity-summary`,
//! with the syntax and limits of a concrete resource (no wildcards). Each
//! delegation hop may only keep or refine its parent's purpose, so an agent
//! handed a token for one task cannot re-delegate it for a broader one.

use std::fmt;

use crate::error::Result;
use crate::limits::Limits;

use super::pattern::parse_concrete;

/// A declared purpose, parsed into segments.
///
/// Equality is that of the text, which determines the segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purpose {
    // Field order matters for the derived traits: `text` comes first and
    // decides them, `segs` is a function of it.
    text: String,
    segs: Vec<String>,
}

impl Purpose {
    /// Parses a purpose. Bad syntax or any `*` is
    /// [`Error::InvalidArgument`](crate::error::Error::InvalidArgument); more
    /// than `max_pattern_bytes` bytes or `max_segments` segments is
    /// [`Error::LimitExceeded`](crate::error::Error::LimitExceeded).
    pub fn parse(s: &str, limits: &Limits) -> Result<Purpose> {
        let segs = parse_concrete(s, limits, "purpose")?;
        Ok(Purpose {
            text: s.to_owned(),
            segs,
        })
    }

    /// The purpose text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[String] {
        &self.segs
    }

    /// Whether `self` is `parent` or a refinement of it: `self`'s segments
    /// begin with all of `parent`'s.
    ///
    /// Compared by whole segments, not by text prefix, so
    /// `treasury/liquidity-summary2` does not refine
    /// `treasury/liquidity-summary`.
    pub fn refines(&self, parent: &Purpose) -> bool {
        self.segs.starts_with(&parent.segs)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
// Tests may unwrap: a panic there is a failing test, not a crashed verifier.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn pu(s: &str) -> Purpose {
        Purpose::parse(s, &Limits::default()).unwrap()
    }

    #[test]
    fn refinement() {
        let parent = pu("treasury/liquidity-summary");
        assert!(pu("treasury/liquidity-summary").refines(&parent));
        assert!(pu("treasury/liquidity-summary/charts").refines(&parent));
        assert!(pu("treasury/liquidity-summary/charts/q3").refines(&parent));
        assert!(!pu("treasury/liquidity-summary2").refines(&parent));
        assert!(!pu("treasury").refines(&parent));
        assert!(!pu("treasury/other").refines(&parent));
        assert!(!pu("Treasury/liquidity-summary").refines(&parent));
        assert!(parent.refines(&pu("treasury")));
        assert_eq!(parent.segments(), ["treasury", "liquidity-summary"]);
        assert_eq!(parent.as_str(), "treasury/liquidity-summary");
        assert_eq!(parent.to_string(), "treasury/liquidity-summary");
    }

    #[test]
    fn syntax_and_limits() {
        let d = Limits::default();
        for bad in ["", "/a", "a/", "a//b", "a/*", "a/**", "a b", "x*"] {
            assert!(
                matches!(Purpose::parse(bad, &d), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
        let limits = Limits {
            max_pattern_bytes: 5,
            max_segments: 2,
            ..Limits::default()
        };
        assert!(Purpose::parse("a/bcd", &limits).is_ok());
        assert!(matches!(
            Purpose::parse("a/bcde", &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(Purpose::parse("a/b", &limits).is_ok());
        assert!(matches!(
            Purpose::parse("a/b/c", &limits),
            Err(Error::LimitExceeded(_))
        ));
    }
}

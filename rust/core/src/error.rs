//! The one error type of the engine's API.
//!
//! These are errors of *use* (a bad argument, an undecodable input handed to
//! a decoding function). A token that fails verification is not an error: it
//! gets a [`Verdict`](crate::verifier::Verdict) with a reason code.

use std::fmt;

/// Every way a call into the engine can fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bytes or text that are not a valid encoding (truncated, non-canonical,
    /// unknown version, trailing data, wrong field type).
    Malformed(String),
    /// An input over one of the configured [`Limits`](crate::Limits).
    LimitExceeded(String),
    /// A key or signature of the wrong length, or a key that is not a valid,
    /// canonical point of large order.
    InvalidKey(String),
    /// An argument that is well-typed but not acceptable (an empty action
    /// list, a wildcard in a concrete resource, an expiry before not-before).
    InvalidArgument(String),
    /// The operating system's random number generator failed.
    Randomness(String),
    /// Minting refused a delegation or invocation that a verifier would
    /// refuse, with the reason code the verifier would give.
    Refused(crate::verdict::Refusal),
}

impl Error {
    /// The stable name of the error's kind, as used in messages and bindings.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::LimitExceeded(_) => "limit_exceeded",
            Error::InvalidKey(_) => "invalid_key",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::Randomness(_) => "randomness",
            Error::Refused(_) => "refused",
        }
    }

    /// The human-readable detail.
    pub fn message(&self) -> &str {
        match self {
            Error::Malformed(m)
            | Error::LimitExceeded(m)
            | Error::InvalidKey(m)
            | Error::InvalidArgument(m)
            | Error::Randomness(m) => m,
            Error::Refused(r) => &r.message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.message())
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of the engine's API.
pub type Result<T> = std::result::Result<T, Error>;

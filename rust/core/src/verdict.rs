//! Verdicts and their stable reason codes.

use std::sync::Arc;

use crate::invocation::Invocation;
use crate::token::Token;

/// Why a request was refused. The string codes are part of the public
/// contract: a code never changes meaning once published, and new situations
/// get new codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The token or invocation is not a valid encoding.
    Malformed,
    /// The input is over a configured size or count limit.
    LimitExceeded,
    /// A block's signature does not verify under the key that must have made it.
    SignatureInvalid,
    /// The invocation is not a valid proof of possession for this token.
    PopInvalid,
    /// Blocks do not link: a wrong parent hash, or a root in the middle. (A
    /// delegation block first names no key that could have signed it, so it
    /// is refused earlier, as `SIGNATURE_INVALID` at hop 0.)
    ChainBroken,
    /// The root key is not among the verifier's trusted roots.
    UntrustedRoot,
    /// A block id or a key in the chain has been revoked.
    Revoked,
    /// A block is not valid yet.
    NotYetValid,
    /// A block has expired.
    Expired,
    /// A block's validity window reaches outside its parent's.
    LifetimeWidened,
    /// The chain is longer than its root, a hop or the policy allows.
    DepthExceeded,
    /// A block names a different principal from the root's.
    PrincipalChanged,
    /// A block grants a capability its parent does not cover.
    CapabilityWidened,
    /// Strict attenuation is on and a block does not narrow its parent's
    /// capabilities.
    NotNarrowed,
    /// A purpose does not refine its parent's, or the service does not
    /// accept it.
    PurposeMismatch,
    /// An audience list widens its parent's, or does not name this service.
    AudienceMismatch,
    /// The invocation was issued outside the freshness window.
    InvocationStale,
    /// No capability of the leaf covers the requested action and resource.
    NotCovered,
    /// A capability covers the request but a constraint refuses an argument.
    ConstraintViolated,
    /// The invocation's nonce was already used.
    Replayed,
    /// The replay cache could not record the nonce (full of unexpired
    /// entries, or a shared store failed); refused rather than risk
    /// admitting a replay.
    ReplayCheckFailed,
}

impl Reason {
    /// Every reason, in check order.
    pub const ALL: [Reason; 21] = [
        Reason::Malformed,
        Reason::LimitExceeded,
        Reason::SignatureInvalid,
        Reason::PopInvalid,
        Reason::ChainBroken,
        Reason::UntrustedRoot,
        Reason::Revoked,
        Reason::NotYetValid,
        Reason::Expired,
        Reason::LifetimeWidened,
        Reason::DepthExceeded,
        Reason::PrincipalChanged,
        Reason::CapabilityWidened,
        Reason::NotNarrowed,
        Reason::PurposeMismatch,
        Reason::AudienceMismatch,
        Reason::InvocationStale,
        Reason::NotCovered,
        Reason::ConstraintViolated,
        Reason::Replayed,
        Reason::ReplayCheckFailed,
    ];

    /// The position of this reason in [`Reason::ALL`] (the check order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable string code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Malformed => "MALFORMED",
            Reason::LimitExceeded => "LIMIT_EXCEEDED",
            Reason::SignatureInvalid => "SIGNATURE_INVALID",
            Reason::PopInvalid => "POP_INVALID",
            Reason::ChainBroken => "CHAIN_BROKEN",
            Reason::UntrustedRoot => "UNTRUSTED_ROOT",
            Reason::Revoked => "REVOKED",
            Reason::NotYetValid => "NOT_YET_VALID",
            Reason::Expired => "EXPIRED",
            Reason::LifetimeWidened => "LIFETIME_WIDENED",
            Reason::DepthExceeded => "DEPTH_EXCEEDED",
            Reason::PrincipalChanged => "PRINCIPAL_CHANGED",
            Reason::CapabilityWidened => "CAPABILITY_WIDENED",
            Reason::NotNarrowed => "NOT_NARROWED",
            Reason::PurposeMismatch => "PURPOSE_MISMATCH",
            Reason::AudienceMismatch => "AUDIENCE_MISMATCH",
            Reason::InvocationStale => "INVOCATION_STALE",
            Reason::NotCovered => "NOT_COVERED",
            Reason::ConstraintViolated => "CONSTRAINT_VIOLATED",
            Reason::Replayed => "REPLAYED",
            Reason::ReplayCheckFailed => "REPLAY_CHECK_FAILED",
        }
    }
}

/// A refusal: the reason, the hop at fault and a message for people.
///
/// `hop` is the index of the block at fault (0 is the root); a fault in the
/// invocation has `hop` equal to the number of blocks; a fault that belongs
/// to no block (an undecodable token) has no hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The stable reason.
    pub reason: Reason,
    /// The hop at fault, if any.
    pub hop: Option<usize>,
    /// A human-readable explanation.
    pub message: String,
}

impl Refusal {
    /// A refusal at a hop.
    pub fn at(reason: Reason, hop: usize, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            hop: Some(hop),
            message: message.into(),
        }
    }

    /// A refusal that belongs to no hop.
    pub fn whole(reason: Reason, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            hop: None,
            message: message.into(),
        }
    }
}

/// The outcome of verifying one (token, invocation) pair.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Accepted: the token and invocation, kept as the evidence.
    Accepted {
        /// The verified token.
        token: Arc<Token>,
        /// The verified invocation.
        invocation: Arc<Invocation>,
    },
    /// Refused.
    Refused(Refusal),
}

impl Verdict {
    /// Whether the request was accepted.
    pub fn ok(&self) -> bool {
        matches!(self, Verdict::Accepted { .. })
    }

    /// The reason code, `None` when accepted.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Accepted { .. } => None,
            Verdict::Refused(r) => Some(r.reason),
        }
    }

    /// The hop at fault, `None` when accepted.
    pub fn hop(&self) -> Option<usize> {
        match self {
            Verdict::Accepted { .. } => None,
            Verdict::Refused(r) => r.hop,
        }
    }

    /// A message for people.
    pub fn message(&self) -> &str {
        match self {
            Verdict::Accepted { .. } => "accepted",
            Verdict::Refused(r) => &r.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_upper_snake() {
        let codes: HashSet<_> = Reason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Reason::ALL.len());
        for c in codes {
            assert!(c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'));
        }
    }
}

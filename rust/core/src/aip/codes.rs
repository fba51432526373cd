//! AIP's error codes, in the order the checks run, and their HTTP statuses.

/// Why an AIP request was refused. The first eight are the reference SDK's
/// codes (draft-prakash-aip-02 §6); the rest belong to chainproof's opt-in
/// protections and never appear unless one is turned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AipReason {
    /// No token (an empty string).
    TokenMissing,
    /// Not a well-formed token, or a claim of the wrong type or shape.
    TokenMalformed,
    /// A link's header, signature, `prev` hash or `iss` linkage is wrong.
    SignatureInvalid,
    /// The chain verified under a key configured for another issuer.
    IdentityUnresolvable,
    /// Expired, or a delegation extends the expiry.
    TokenExpired,
    /// A delegation widens tools or domains, or the request is outside them.
    ScopeInsufficient,
    /// A negative budget, or a delegation raises the budget.
    BudgetExceeded,
    /// More delegations than the authority link allows.
    DepthExceeded,
    /// A link's `jti` or a key of the chain is revoked (opt-in).
    KeyRevoked,
    /// The leaf holder is not this verifier (opt-in audience).
    AudienceMismatch,
    /// A proof of possession is required and none was given (opt-in).
    ProofMissing,
    /// The proof of possession does not verify or does not bind this
    /// request (opt-in).
    ProofInvalid,
    /// The proof's `jti` was already used (opt-in).
    ProofReplayed,
    /// The replay cache could not record the proof (full or unavailable).
    ReplayCheckFailed,
}

impl AipReason {
    /// Every code, in check order.
    pub const ALL: [AipReason; 14] = [
        AipReason::TokenMissing,
        AipReason::TokenMalformed,
        AipReason::SignatureInvalid,
        AipReason::TokenExpired,
        AipReason::DepthExceeded,
        AipReason::ScopeInsufficient,
        AipReason::BudgetExceeded,
        AipReason::IdentityUnresolvable,
        AipReason::KeyRevoked,
        AipReason::AudienceMismatch,
        AipReason::ProofMissing,
        AipReason::ProofInvalid,
        AipReason::ProofReplayed,
        AipReason::ReplayCheckFailed,
    ];

    /// The wire code, as the SDK spells it.
    pub fn code(self) -> &'static str {
        match self {
            AipReason::TokenMissing => "aip_token_missing",
            AipReason::TokenMalformed => "aip_token_malformed",
            AipReason::SignatureInvalid => "aip_signature_invalid",
            AipReason::IdentityUnresolvable => "aip_identity_unresolvable",
            AipReason::TokenExpired => "aip_token_expired",
            AipReason::ScopeInsufficient => "aip_scope_insufficient",
            AipReason::BudgetExceeded => "aip_budget_exceeded",
            AipReason::DepthExceeded => "aip_depth_exceeded",
            AipReason::KeyRevoked => "aip_key_revoked",
            AipReason::AudienceMismatch => "aip_audience_mismatch",
            AipReason::ProofMissing => "aip_proof_missing",
            AipReason::ProofInvalid => "aip_proof_invalid",
            AipReason::ProofReplayed => "aip_proof_replayed",
            AipReason::ReplayCheckFailed => "aip_replay_check_failed",
        }
    }

    /// The HTTP status, as `aip_mcp` maps codes: 403 (authorisation) for
    /// scope, budget and depth, 401 (authentication) for everything else.
    pub fn http_status(self) -> u16 {
        match self {
            AipReason::ScopeInsufficient | AipReason::BudgetExceeded | AipReason::DepthExceeded => {
                403
            }
            _ => 401,
        }
    }
}

/// A refusal: the code, the link at fault when known, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AipRefusal {
    /// The code.
    pub reason: AipReason,
    /// The index of the offending link (0 = the authority link), if any.
    pub link: Option<usize>,
    /// A message for people.
    pub message: String,
}

impl AipRefusal {
    /// A refusal blaming link `link`.
    pub fn at(reason: AipReason, link: usize, message: impl Into<String>) -> AipRefusal {
        AipRefusal {
            reason,
            link: Some(link),
            message: message.into(),
        }
    }

    /// A refusal blaming no particular link.
    pub fn whole(reason: AipReason, message: impl Into<String>) -> AipRefusal {
        AipRefusal {
            reason,
            link: None,
            message: message.into(),
        }
    }
}

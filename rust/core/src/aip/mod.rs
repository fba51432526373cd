//! The AIP adapter: verifies Agent Identity Protocol delegation tokens
//! (draft-prakash-aip-02; reference SDK `agent-identity-protocol` 0.6.0)
//! natively, with the SDK's verdicts and `aip_*` codes by default, plus
//! opt-in protections the SDK lacks (a leaf proof of possession, an
//! audience check, revocation).
//!
//! Both encodings the SDK verifies are handled: the JWT chain (links of
//! `typ` `aip-link+jwt` joined by `~`) and the legacy compact token (one
//! JWS of `typ` `aip+jwt`, read as a one-link chain). Biscuit-chained
//! tokens are not supported.
//!
//! Modules: [`jose`] (strict JWS), [`claims`] (typed claims in the SDK's
//! phases), [`walk`] (V3–V6), [`keyid`] (self-certifying issuer ids),
//! [`dpop`] (proofs of possession), [`inspect`] (decoding for people),
//! `decode` (a token up to its signatures), `eval` (the SDK's check order),
//! [`verifier`] (configuration, opt-in protections and the batch pipeline),
//! [`evidence`], [`codes`].

pub mod claims;
pub mod codes;
mod decode;
pub mod dpop;
mod eval;
pub mod evidence;
pub mod inspect;
pub mod jose;
pub mod keyid;
pub mod verifier;
pub mod walk;

#[cfg(test)]
mod tests;

pub use codes::{AipReason, AipRefusal};
pub use evidence::{AipEvidence, Mode};
pub use verifier::{AipLimits, AipPolicy, AipRequest, AipStats, AipVerdict, AipVerifier};

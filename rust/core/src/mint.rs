//! Minting: issuing root tokens, delegating, and signing invocations.
//!
//! Minting validates every field and, unless the caller opts out, runs the
//! verifier's own per-hop rules before signing, so a well-behaved issuer
//! never produces a token that verifiers will refuse. The opt-out exists for
//! tests and demonstrations that must build hostile tokens.

use std::collections::BTreeMap;

use crate::caps::{authorize, is_valid_arg_name, Capability, Check, Purpose, Resource, Value};
use crate::chain;
use crate::crypto::{self, SigningKey};
use crate::error::{Error, Result};
use crate::invocation::{args_digest, Invocation, InvocationBody, MAX_NONCE_LEN, MIN_NONCE_LEN};
use crate::limits::Limits;
use crate::token::{BlockBody, Token, BLOCK_ID_LEN};
use crate::verdict::{Reason, Refusal};
use crate::wire;

/// What a new block grants, before it is signed.
#[derive(Debug, Clone)]
pub struct BlockSpec {
    /// The next holder's public key.
    pub subject: [u8; 32],
    /// An optional readable id for the next holder.
    pub subject_id: Option<String>,
    /// The capabilities granted.
    pub capabilities: Vec<Capability>,
    /// The purpose path.
    pub purpose: String,
    /// Valid from (seconds since the Unix epoch).
    pub not_before: u64,
    /// Valid until, exclusive (seconds since the Unix epoch).
    pub expires: u64,
    /// Remaining delegation depth after this block.
    pub depth: u64,
    /// Services the chain may be presented to.
    pub audiences: Vec<String>,
    /// The block id; random when `None`.
    pub block_id: Option<[u8; BLOCK_ID_LEN]>,
    /// Why this block was made.
    pub reason: Option<String>,
    /// The principal: required on a root, optional (and then equal to the
    /// root's) on a delegation.
    pub principal: Option<String>,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| Error::Randomness(e.to_string()))?;
    Ok(out)
}

fn optional_text(s: Option<String>, limits: &Limits, what: &str) -> Result<Option<String>> {
    match s {
        Some(s) if s.is_empty() => Err(Error::InvalidArgument(format!("{what} must not be empty"))),
        Some(s) => {
            wire::check_text_len(&s, limits, what)?;
            Ok(Some(s))
        }
        None => Ok(None),
    }
}

impl BlockSpec {
    fn into_body(self, limits: &Limits) -> Result<BlockBody> {
        crypto::check_public_key(&self.subject)?;
        if self.capabilities.is_empty() {
            return Err(Error::InvalidArgument(
                "a block grants at least one capability".into(),
            ));
        }
        if self.capabilities.len() > limits.max_capabilities {
            return Err(Error::LimitExceeded(format!(
                "{} capabilities, at most {} allowed",
                self.capabilities.len(),
                limits.max_capabilities
            )));
        }
        if self.expires <= self.not_before {
            return Err(Error::InvalidArgument(
                "expires must be after not_before".into(),
            ));
        }
        let block_id = match self.block_id {
            Some(id) => id,
            None => random_bytes()?,
        };
        Ok(BlockBody {
            parent: None,
            issuer: None,
            principal: optional_text(self.principal, limits, "principal")?,
            subject: self.subject,
            subject_id: optional_text(self.subject_id, limits, "subject id")?,
            capabilities: self.capabilities,
            purpose: Purpose::parse(&self.purpose, limits)?,
            not_before: self.not_before,
            expires: self.expires,
            depth: self.depth,
            audiences: wire::canonical_texts(
                self.audiences,
                limits.max_audiences,
                limits,
                "audiences",
            )?,
            block_id,
            reason: optional_text(self.reason, limits, "reason")?,
        })
    }
}

/// Issues a root token signed by `root`. The spec must name a principal.
pub fn issue(root: &SigningKey, spec: BlockSpec, limits: &Limits) -> Result<Token> {
    if spec.principal.is_none() {
        return Err(Error::InvalidArgument(
            "a root token names its principal".into(),
        ));
    }
    Token::issue(root, spec.into_body(limits)?, limits)
}

/// Extends `token` with a block signed by `holder`.
///
/// With `checked`, the holder must be the token's current holder and the
/// new block must pass every per-hop rule of the verifier (with strict
/// attenuation when `strict`); a failure is [`Error::Refused`] carrying the
/// reason code a verifier would give.
pub fn delegate(
    token: &Token,
    holder: &SigningKey,
    spec: BlockSpec,
    limits: &Limits,
    checked: bool,
    strict: bool,
) -> Result<Token> {
    let body = spec.into_body(limits)?;
    if checked {
        let leaf = token.leaf().body();
        if holder.public_key() != leaf.subject {
            return Err(Error::InvalidKey(
                "the delegating key is not the token's current holder".into(),
            ));
        }
        let root_principal = token
            .blocks()
            .first()
            .and_then(|b| b.body().principal.as_deref());
        let hop = token.blocks().len();
        chain::check_delegation(root_principal, leaf, &body, hop, strict)
            .map_err(Error::Refused)?;
    }
    token.delegate(holder, body, limits)
}

/// What an invocation asks for, before it is signed.
#[derive(Debug, Clone)]
pub struct InvocationSpec {
    /// The receiving service.
    pub audience: String,
    /// The action.
    pub action: String,
    /// The concrete resource.
    pub resource: String,
    /// The constrained arguments.
    pub args: BTreeMap<String, Value>,
    /// SHA-256 of the full request; the digest of `args` when `None`.
    pub request_digest: Option<[u8; 32]>,
    /// Issue time (seconds since the Unix epoch).
    pub issued_at: u64,
    /// The nonce; 16 random bytes when `None`.
    pub nonce: Option<Vec<u8>>,
}

/// Signs an invocation of `token` by `holder`.
///
/// With `checked`, the holder must be the current holder, the audience must
/// be one of the leaf's, and the leaf's capabilities must allow the request
/// (a failure is [`Error::Refused`] with the verifier's reason code).
pub fn invoke(
    token: &Token,
    holder: &SigningKey,
    spec: InvocationSpec,
    limits: &Limits,
    checked: bool,
) -> Result<Invocation> {
    let resource = Resource::parse(&spec.resource, limits)?;
    if spec.audience.is_empty() || spec.action.is_empty() {
        return Err(Error::InvalidArgument(
            "audience and action must not be empty".into(),
        ));
    }
    wire::check_text_len(&spec.audience, limits, "audience")?;
    wire::check_text_len(&spec.action, limits, "action")?;
    for (name, value) in &spec.args {
        if !is_valid_arg_name(name) {
            return Err(Error::InvalidArgument(format!(
                "invalid argument name {name:?}: 1 to 64 bytes of A-Z a-z 0-9 _ . -"
            )));
        }
        value.check_limits(limits)?;
    }
    let nonce = match spec.nonce {
        Some(n) => n,
        None => random_bytes::<MIN_NONCE_LEN>()?.to_vec(),
    };
    if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
        return Err(Error::InvalidArgument(format!(
            "a nonce is {MIN_NONCE_LEN} to {MAX_NONCE_LEN} bytes"
        )));
    }
    let leaf = token.leaf();
    let hop = token.blocks().len();
    if checked {
        if holder.public_key() != leaf.body().subject {
            return Err(Error::InvalidKey(
                "the invoking key is not the token's current holder".into(),
            ));
        }
        if leaf.body().audiences.binary_search(&spec.audience).is_err() {
            return Err(Error::Refused(Refusal::at(
                Reason::AudienceMismatch,
                hop - 1,
                format!("{:?} is not among the token's audiences", spec.audience),
            )));
        }
        match authorize(
            &leaf.body().capabilities,
            &spec.action,
            &resource,
            &spec.args,
        ) {
            Check::Allowed => {}
            Check::NotCovered => {
                return Err(Error::Refused(Refusal::at(
                    Reason::NotCovered,
                    hop,
                    format!(
                        "no capability allows {:?} on {:?}",
                        spec.action, spec.resource
                    ),
                )))
            }
            Check::Violated { arg, rule } => {
                return Err(Error::Refused(Refusal::at(
                    Reason::ConstraintViolated,
                    hop,
                    format!("argument {arg:?} fails its {rule} constraint"),
                )))
            }
        }
    }
    let digest = spec
        .request_digest
        .unwrap_or_else(|| args_digest(&spec.args));
    let body = InvocationBody {
        token_hash: *leaf.hash(),
        audience: spec.audience,
        action: spec.action,
        resource,
        args: spec.args,
        args_digest: digest,
        issued_at: spec.issued_at,
        nonce,
    };
    Invocation::sign(body, holder, limits)
}

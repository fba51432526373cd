//! The AIP verifier: configuration, the batch pipeline, counters.
//!
//! Like the native verifier: decode every request (over the pool for large
//! batches), check every link signature of every token and every proof in
//! one strict batch (links through the verified-signature cache, proofs
//! never), evaluate each request in the reference SDK's order, then consult
//! the replay cache for proof `jti`s in input order.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::crypto::{check_public_key, verify_batch_cached_where, SignatureCache, SignatureItem};
use crate::error::{Error, Result};
use crate::json_parse::MAX_DEPTH;
use crate::replay::{ReplayCache, ReplayOutcome};

use super::claims::ClaimLimits;
use super::codes::{AipReason, AipRefusal};
use super::decode::{decode_token, Anchor, Body, LegacyBody};
use super::dpop::{self, Binding, Proof};
use super::eval::{evaluate_chain, evaluate_legacy};
use super::evidence::AipEvidence;
use super::jose::Typ;
use super::keyid::key_of_id;

/// Size and count limits. Every one is checked before the work it bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AipLimits {
    /// Longest token text, in bytes.
    pub max_token_bytes: usize,
    /// Most links in a chain.
    pub max_links: usize,
    /// Deepest JSON nesting in a payload.
    pub max_json_depth: usize,
    /// Most JSON values in one payload.
    pub max_json_values: usize,
    /// Most entries in `aip_tools`, `aip_domains` or `scope`.
    pub max_list_len: usize,
    /// Longest proof text, in bytes.
    pub max_proof_bytes: usize,
    /// Most requests in one batch.
    pub max_batch: usize,
}

impl Default for AipLimits {
    fn default() -> Self {
        AipLimits {
            max_token_bytes: 64 * 1024,
            max_links: 32,
            max_json_depth: 16,
            max_json_values: 1024,
            max_list_len: 256,
            max_proof_bytes: 4096,
            max_batch: 1_000_000,
        }
    }
}

/// What an AIP verifier accepts.
#[derive(Debug, Clone)]
pub struct AipPolicy {
    /// Issuer id → root public key.
    pub trusted_issuers: HashMap<String, [u8; 32]>,
    /// Bind an `aip:key:ed25519:z…` issuer to the key its id encodes.
    pub resolve_key_ids: bool,
    /// Opt-in (a): require a DPoP proof by the leaf holder.
    pub require_proof: bool,
    /// Opt-in (b): the verifier's own identity, which the leaf link's `sub`
    /// must equal.
    pub audience: Option<String>,
    /// How far a proof's `iat` may be from now, in seconds.
    pub proof_max_age: u64,
    /// Limits.
    pub limits: AipLimits,
}

impl AipPolicy {
    /// A policy trusting `trusted_issuers`, every option at its default.
    pub fn new(trusted_issuers: HashMap<String, [u8; 32]>) -> AipPolicy {
        AipPolicy {
            trusted_issuers,
            resolve_key_ids: true,
            require_proof: false,
            audience: None,
            proof_max_age: 300,
            limits: AipLimits::default(),
        }
    }
}

/// One request: a token, what it is used for, and optionally a proof.
#[derive(Debug, Clone, Default)]
pub struct AipRequest {
    /// The token text (a `~`-joined chain or a compact JWS).
    pub token: String,
    /// The tool requested.
    pub tool: String,
    /// The domain requested, if any.
    pub domain: Option<String>,
    /// A DPoP proof by the leaf holder.
    pub proof: Option<String>,
    /// The HTTP method the proof's `htm` must match.
    pub method: Option<String>,
    /// The URL the proof's `htu` must match.
    pub url: Option<String>,
}

/// The outcome of one request.
#[derive(Debug, Clone)]
pub enum AipVerdict {
    /// Accepted, with the chain as evidence.
    Accepted(Box<AipEvidence>),
    /// Refused.
    Refused(AipRefusal),
}

impl AipVerdict {
    /// Whether accepted.
    pub fn ok(&self) -> bool {
        matches!(self, AipVerdict::Accepted(_))
    }

    /// The refusal code, `None` when accepted.
    pub fn reason(&self) -> Option<AipReason> {
        match self {
            AipVerdict::Accepted(_) => None,
            AipVerdict::Refused(r) => Some(r.reason),
        }
    }

    /// The link at fault, when known.
    pub fn link(&self) -> Option<usize> {
        match self {
            AipVerdict::Accepted(_) => None,
            AipVerdict::Refused(r) => r.link,
        }
    }

    /// A message for people.
    pub fn message(&self) -> &str {
        match self {
            AipVerdict::Accepted(_) => "accepted",
            AipVerdict::Refused(r) => &r.message,
        }
    }

    /// The HTTP status `aip_mcp` would answer, `None` when accepted.
    pub fn http_status(&self) -> Option<u16> {
        self.reason().map(AipReason::http_status)
    }
}

/// Counters since the verifier was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AipStats {
    /// Calls of `verify_batch` (a single `verify` is one call).
    pub calls: u64,
    /// Requests seen.
    pub requests: u64,
    /// Requests accepted.
    pub accepted: u64,
    /// Refusals per code, every code listed, in check order.
    pub refused: Vec<(AipReason, u64)>,
    /// Signatures actually checked.
    pub signatures_checked: u64,
    /// Link signatures answered by the cache.
    pub link_cache_hits: u64,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    requests: AtomicU64,
    accepted: AtomicU64,
    refused: [AtomicU64; AipReason::ALL.len()],
    signatures: AtomicU64,
    cache_hits: AtomicU64,
}

/// Revoked link `jti`s and keys (opt-in (c)).
#[derive(Debug, Default, Clone)]
struct Revocations {
    jtis: HashSet<String>,
    keys: HashSet<[u8; 32]>,
}

struct Item {
    req: AipRequest,
    body: Body,
    proof: Option<std::result::Result<Proof, String>>,
}

/// Per item: one result index per link (`None`: no signature to check),
/// and the proof's.
#[derive(Default)]
struct SigSlots {
    links: Vec<Option<usize>>,
    proof: Option<usize>,
}

struct Outcome {
    verdict: AipVerdict,
    /// The proof's replay key and expiry, for an accepted request.
    replay: Option<([u8; 32], u64)>,
}

/// A configured AIP verifier.
pub struct AipVerifier {
    policy: AipPolicy,
    revocations: RwLock<Revocations>,
    replay: Option<Arc<dyn ReplayCache>>,
    cache: Option<SignatureCache>,
    pool: rayon::ThreadPool,
    counters: Counters,
}

impl std::fmt::Debug for AipVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AipVerifier")
            .field("issuers", &self.policy.trusted_issuers.len())
            .field("require_proof", &self.policy.require_proof)
            .field("threads", &self.pool.current_num_threads())
            .finish()
    }
}

impl AipVerifier {
    /// A verifier; `link_cache` is the capacity of the verified-link cache
    /// (`0` for none); `threads` `None` means all cores.
    pub fn new(
        policy: AipPolicy,
        replay: Option<Arc<dyn ReplayCache>>,
        link_cache: usize,
        threads: Option<usize>,
    ) -> Result<AipVerifier> {
        for (issuer, key) in &policy.trusted_issuers {
            check_public_key(key).map_err(|e| {
                Error::InvalidKey(format!("trusted issuer {issuer:?}: {}", e.message()))
            })?;
        }
        if threads == Some(0) {
            return Err(Error::InvalidArgument("threads must be at least 1".into()));
        }
        let l = &policy.limits;
        if l.max_token_bytes == 0 || l.max_links == 0 || l.max_json_depth == 0 || l.max_batch == 0 {
            return Err(Error::InvalidArgument(
                "max_token_bytes, max_links, max_json_depth and max_batch must be at least 1"
                    .into(),
            ));
        }
        if l.max_json_depth > MAX_DEPTH {
            return Err(Error::InvalidArgument(format!(
                "max_json_depth is at most {MAX_DEPTH}"
            )));
        }
        if policy.audience.as_deref() == Some("") {
            return Err(Error::InvalidArgument("audience must not be empty".into()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("chainproof-aip-{i}"))
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start the thread pool: {e}")))?;
        Ok(AipVerifier {
            policy,
            revocations: RwLock::new(Revocations::default()),
            replay,
            cache: (link_cache > 0).then(|| SignatureCache::new(link_cache)),
            pool,
            counters: Counters::default(),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &AipPolicy {
        &self.policy
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Revokes a link `jti`: any chain carrying it is refused.
    pub fn revoke_jti(&self, jti: impl Into<String>) {
        self.write_revocations().jtis.insert(jti.into());
    }

    /// Revokes a key, as root key or as any link's holder key.
    pub fn revoke_key(&self, key: [u8; 32]) {
        self.write_revocations().keys.insert(key);
    }

    fn write_revocations(&self) -> std::sync::RwLockWriteGuard<'_, Revocations> {
        self.revocations.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every cached link signature.
    pub fn clear_caches(&self) {
        if let Some(c) = &self.cache {
            c.clear();
        }
    }

    /// The number of link signatures cached.
    pub fn cached_links(&self) -> usize {
        self.cache.as_ref().map_or(0, SignatureCache::len)
    }

    /// Counters so far.
    pub fn stats(&self) -> AipStats {
        let c = &self.counters;
        AipStats {
            calls: c.calls.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            accepted: c.accepted.load(Ordering::Relaxed),
            refused: AipReason::ALL
                .iter()
                .zip(&c.refused)
                .map(|(r, n)| (*r, n.load(Ordering::Relaxed)))
                .collect(),
            signatures_checked: c.signatures.load(Ordering::Relaxed),
            link_cache_hits: c.cache_hits.load(Ordering::Relaxed),
        }
    }

    /// Verifies one request at `now` (seconds since the epoch).
    pub fn verify(&self, request: AipRequest, now: i64) -> AipVerdict {
        self.verify_batch(vec![request], now)
            .pop()
            .unwrap_or_else(|| {
                AipVerdict::Refused(AipRefusal::whole(AipReason::TokenMalformed, "no verdict"))
            })
    }

    /// Verifies many requests at `now`: one verdict per request, in order.
    pub fn verify_batch(&self, requests: Vec<AipRequest>, now: i64) -> Vec<AipVerdict> {
        if let Some(refused) = self.start_batch(requests.len()) {
            return refused;
        }
        self.verify_part(requests, now)
    }

    /// Starts a batch of `total` requests that the caller passes in parts,
    /// in order, to [`AipVerifier::verify_part`], so that memory holds one
    /// part at a time. Counts the call; returns the verdicts for the whole
    /// batch (all refused, and counted) when it is over the batch limit.
    pub fn start_batch(&self, total: usize) -> Option<Vec<AipVerdict>> {
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        if total <= self.policy.limits.max_batch {
            return None;
        }
        let message = format!(
            "a batch holds at most {} requests",
            self.policy.limits.max_batch
        );
        let verdicts: Vec<AipVerdict> = (0..total)
            .map(|_| {
                AipVerdict::Refused(AipRefusal::whole(
                    AipReason::TokenMalformed,
                    message.clone(),
                ))
            })
            .collect();
        self.record(&verdicts);
        Some(verdicts)
    }

    /// Verifies the next part of a batch started with
    /// [`AipVerifier::start_batch`]: one verdict per request, in order;
    /// proof replay is applied in input order across parts.
    pub fn verify_part(&self, requests: Vec<AipRequest>, now: i64) -> Vec<AipVerdict> {
        let items = crate::pool::map_in_order(&self.pool, requests, |r| self.prepare(r));
        let (slots, sig_ok) = self.check_signatures(&items);
        let outcomes = {
            let revocations = self.revocations.read().unwrap_or_else(|p| p.into_inner());
            let pairs: Vec<(Item, SigSlots)> = items.into_iter().zip(slots).collect();
            crate::pool::map_in_order(&self.pool, pairs, |(item, slots)| {
                self.evaluate(item, &slots, &sig_ok, &revocations, now)
            })
        };
        let verdicts = self.apply_replay(outcomes, now);
        self.record(&verdicts);
        verdicts
    }

    fn record(&self, verdicts: &[AipVerdict]) {
        let c = &self.counters;
        c.requests
            .fetch_add(verdicts.len() as u64, Ordering::Relaxed);
        for v in verdicts {
            match v.reason() {
                None => {
                    c.accepted.fetch_add(1, Ordering::Relaxed);
                }
                Some(r) => {
                    if let Some(slot) = AipReason::ALL
                        .iter()
                        .position(|x| *x == r)
                        .and_then(|i| c.refused.get(i))
                    {
                        slot.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }

    fn claim_limits(&self) -> ClaimLimits {
        let l = &self.policy.limits;
        ClaimLimits {
            max_json_depth: l.max_json_depth,
            max_json_values: l.max_json_values,
            max_list_len: l.max_list_len,
        }
    }

    /// The root key for a declared issuer: the configured one, else the key
    /// a self-certifying id encodes.
    fn anchor(&self, declared: Option<&str>) -> Anchor {
        let Some(issuer) = declared else {
            return Anchor::Unresolvable;
        };
        if let Some(key) = self.policy.trusted_issuers.get(issuer) {
            return Anchor::Key(*key);
        }
        match key_of_id(issuer).filter(|_| self.policy.resolve_key_ids) {
            Some(key) => Anchor::Key(key),
            None => Anchor::Unresolvable,
        }
    }

    /// Decodes a request: everything that needs no signature.
    fn prepare(&self, req: AipRequest) -> Item {
        let limits = &self.policy.limits;
        let proof = req.proof.as_ref().map(|p| {
            if p.len() > limits.max_proof_bytes {
                Err(format!(
                    "the proof exceeds {} bytes",
                    limits.max_proof_bytes
                ))
            } else {
                dpop::decode(p)
            }
        });
        let body = decode_token(
            &req.token,
            &self.policy.limits,
            &self.claim_limits(),
            &|declared| self.anchor(declared),
        );
        Item { req, body, proof }
    }

    /// Every signature of every item in one strict batch; link signatures
    /// go through the cache, proofs never.
    fn check_signatures(&self, items: &[Item]) -> (Vec<SigSlots>, Vec<bool>) {
        let mut sigs: Vec<SignatureItem<'_>> = Vec::new();
        let mut cacheable: Vec<bool> = Vec::new();
        let mut slots = Vec::with_capacity(items.len());
        for item in items {
            let mut slot = SigSlots::default();
            let token = item.req.token.as_str();
            match &item.body {
                Body::Early(_) => {}
                Body::Chain { links, anchor } => {
                    for (i, link) in links.iter().enumerate() {
                        let Ok(jws) = &link.jws else {
                            slot.links.push(None);
                            break;
                        };
                        let pinned = jws.header.alg_eddsa && jws.header.typ == Typ::Link;
                        let key: Option<&[u8; 32]> = if i == 0 {
                            match anchor {
                                Anchor::Key(k) => Some(k),
                                Anchor::Unresolvable => None,
                            }
                        } else {
                            match links.get(i - 1).and_then(|l| l.payload.as_ref()) {
                                Some(Ok(p)) => p.holder.as_ref().ok(),
                                _ => None,
                            }
                        };
                        let body = token
                            .get(link.segment.clone())
                            .and_then(|s| s.get(jws.signing_input.clone()))
                            .unwrap_or("");
                        match key.filter(|_| pinned) {
                            Some(key) => {
                                slot.links.push(Some(sigs.len()));
                                sigs.push(SignatureItem {
                                    public_key: key,
                                    signature: &jws.signature,
                                    domain: b"",
                                    body: body.as_bytes(),
                                });
                                cacheable.push(true);
                            }
                            None => slot.links.push(None),
                        }
                    }
                }
                Body::Legacy(legacy) => match &legacy.anchor {
                    Anchor::Key(key) if legacy.jws.header.alg_eddsa => {
                        let jws = &legacy.jws;
                        slot.links.push(Some(sigs.len()));
                        sigs.push(SignatureItem {
                            public_key: key,
                            signature: &jws.signature,
                            domain: b"",
                            body: token
                                .get(jws.signing_input.clone())
                                .unwrap_or("")
                                .as_bytes(),
                        });
                        cacheable.push(true);
                    }
                    _ => slot.links.push(None),
                },
            }
            if let (Some(Ok(proof)), Some(text)) = (&item.proof, &item.req.proof) {
                slot.proof = Some(sigs.len());
                sigs.push(SignatureItem {
                    public_key: &proof.key,
                    signature: &proof.signature,
                    domain: b"",
                    body: text
                        .get(proof.signing_input.clone())
                        .unwrap_or("")
                        .as_bytes(),
                });
                cacheable.push(false);
            }
            slots.push(slot);
        }
        let batch = crate::pool::check_signatures(&self.pool, sigs.len(), || {
            verify_batch_cached_where(&sigs, self.cache.as_ref(), |i| {
                cacheable.get(i).copied().unwrap_or(false)
            })
        });
        self.counters
            .signatures
            .fetch_add(batch.checked as u64, Ordering::Relaxed);
        self.counters
            .cache_hits
            .fetch_add(batch.cache_hits as u64, Ordering::Relaxed);
        (slots, batch.verdicts)
    }

    fn evaluate(
        &self,
        item: Item,
        slots: &SigSlots,
        sig_ok: &[bool],
        revocations: &Revocations,
        now: i64,
    ) -> Outcome {
        let ok_at = |slot: Option<&Option<usize>>| {
            slot.copied()
                .flatten()
                .and_then(|i| sig_ok.get(i).copied())
                .unwrap_or(false)
        };
        let refused = |r: AipRefusal| Outcome {
            verdict: AipVerdict::Refused(r),
            replay: None,
        };
        let Item { req, body, proof } = item;
        let chain = match body {
            Body::Early(r) => return refused(r),
            Body::Chain { links, anchor } => {
                evaluate_chain(&req, links, anchor, |i| ok_at(slots.links.get(i)), now)
            }
            Body::Legacy(legacy) => {
                let LegacyBody {
                    jws,
                    payload,
                    anchor,
                } = *legacy;
                evaluate_legacy(&req, &jws, payload, anchor, ok_at(slots.links.first()), now)
            }
        };
        let evidence = match chain {
            Ok(e) => e,
            Err(r) => return refused(r),
        };
        // Opt-in (c): revocation.
        if !revocations.jtis.is_empty() || !revocations.keys.is_empty() {
            if revocations.keys.contains(&evidence.root_key) {
                return refused(AipRefusal::at(
                    AipReason::KeyRevoked,
                    0,
                    "the root key is revoked",
                ));
            }
            for (i, link) in evidence.links.iter().enumerate() {
                if link
                    .jti
                    .as_ref()
                    .is_some_and(|j| revocations.jtis.contains(j))
                {
                    return refused(AipRefusal::at(
                        AipReason::KeyRevoked,
                        i,
                        "the link's jti is revoked",
                    ));
                }
                if link
                    .holder_key
                    .is_some_and(|k| revocations.keys.contains(&k))
                {
                    return refused(AipRefusal::at(
                        AipReason::KeyRevoked,
                        i,
                        "the link's holder key is revoked",
                    ));
                }
            }
        }
        let leaf = evidence.links.len().saturating_sub(1);
        // Opt-in (b): audience.
        if let Some(audience) = &self.policy.audience {
            if evidence.holder != *audience {
                return refused(AipRefusal::at(
                    AipReason::AudienceMismatch,
                    leaf,
                    format!(
                        "the leaf link delegates to {:?}, not to this verifier",
                        evidence.holder
                    ),
                ));
            }
        }
        // Opt-in (a): proof of possession.
        let replay = match (proof, self.policy.require_proof) {
            (None, false) => None,
            (None, true) => {
                return refused(AipRefusal::at(
                    AipReason::ProofMissing,
                    leaf,
                    "a proof of possession of the leaf key is required",
                ))
            }
            (Some(Err(m)), _) => return refused(AipRefusal::at(AipReason::ProofInvalid, leaf, m)),
            (Some(Ok(proof)), _) => {
                let Some(holder) = evidence.links.last().and_then(|l| l.holder_key) else {
                    return refused(AipRefusal::at(
                        AipReason::ProofInvalid,
                        leaf,
                        "a legacy compact token names no holder key",
                    ));
                };
                let binding = Binding {
                    token: &req.token,
                    tool: &req.tool,
                    method: req.method.as_deref(),
                    url: req.url.as_deref(),
                    holder,
                    now,
                    max_age: self.policy.proof_max_age,
                };
                if let Err(m) = dpop::check(&proof, &binding) {
                    return refused(AipRefusal::at(AipReason::ProofInvalid, leaf, m));
                }
                if !slots
                    .proof
                    .and_then(|i| sig_ok.get(i).copied())
                    .unwrap_or(false)
                {
                    return refused(AipRefusal::at(
                        AipReason::ProofInvalid,
                        leaf,
                        "the proof's signature does not verify",
                    ));
                }
                let expires = proof
                    .iat
                    .as_i64()
                    .unwrap_or(now)
                    .saturating_add(i64::try_from(self.policy.proof_max_age).unwrap_or(i64::MAX))
                    .saturating_add(1);
                Some((
                    dpop::replay_key(&proof),
                    u64::try_from(expires).unwrap_or(0),
                ))
            }
        };
        Outcome {
            verdict: AipVerdict::Accepted(evidence),
            replay,
        }
    }

    /// Proof `jti`s enter the cache in input order, accepted requests only.
    fn apply_replay(&self, outcomes: Vec<Outcome>, now: i64) -> Vec<AipVerdict> {
        let now = u64::try_from(now).unwrap_or(0);
        outcomes
            .into_iter()
            .map(|o| {
                let (Some((key, expires)), Some(cache)) = (o.replay, &self.replay) else {
                    return o.verdict;
                };
                let leaf = match &o.verdict {
                    AipVerdict::Accepted(e) => e.links.len().saturating_sub(1),
                    AipVerdict::Refused(_) => return o.verdict,
                };
                let refusal = match cache.check_and_insert(key, expires, now) {
                    ReplayOutcome::Fresh => return o.verdict,
                    ReplayOutcome::Replayed => {
                        (AipReason::ProofReplayed, "the proof's jti was already used")
                    }
                    ReplayOutcome::Full => (
                        AipReason::ReplayCheckFailed,
                        "the replay cache is full of unexpired entries",
                    ),
                    ReplayOutcome::Unavailable => (
                        AipReason::ReplayCheckFailed,
                        "the replay cache could not be consulted",
                    ),
                };
                AipVerdict::Refused(AipRefusal::at(refusal.0, leaf, refusal.1))
            })
            .collect()
    }
}

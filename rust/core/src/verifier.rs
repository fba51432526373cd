//! The verifier: a policy, revocations, a replay cache and the batch
//! pipeline.
//!
//! One path serves single and batch verification, so the two cannot
//! disagree: decode every pair, gather every signature of every token and
//! invocation into strict batch verifications (split over the thread pool),
//! evaluate the chain rules per pair in parallel, then consult the replay
//! cache in input order so that within a batch the first valid use of a
//! nonce wins.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use crate::caps::{authorize, Check, Purpose};
use crate::chain;
use crate::crypto::{self, SignatureCache, SignatureItem};
use crate::error::{Error, Result};
use crate::invocation::{Invocation, INVOCATION_DOMAIN};
use crate::limits::Limits;
use crate::replay::{ReplayCache, ReplayOutcome};
use crate::stats::{Counters, Stats};
use crate::token::{Token, BLOCK_DOMAIN, BLOCK_ID_LEN};
use crate::verdict::{Reason, Refusal, Verdict};

/// Domain prefix of replay-cache keys.
const REPLAY_DOMAIN: &[u8] = b"chainproof/v1/replay\x00";

/// What a verifier accepts. Immutable once the verifier is built; the
/// revocation set is the only state that changes at run time.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Root keys whose tokens are trusted (each checked under the strict
    /// key rule when the policy is built by the bindings).
    pub trusted_roots: HashSet<[u8; 32]>,
    /// This service's own audience id; invocations must name it and the
    /// leaf block must list it.
    pub audience: String,
    /// The purposes this service serves (refinements included); `None`
    /// accepts any purpose.
    pub purposes: Option<Vec<Purpose>>,
    /// Clock skew tolerated on every time comparison, in seconds.
    pub leeway: u64,
    /// How long after `issued_at` an invocation stays fresh, in seconds.
    pub freshness: u64,
    /// The most delegations (blocks after the root) accepted.
    pub max_delegations: usize,
    /// Require every hop to strictly narrow its parent's capabilities.
    pub strict_attenuation: bool,
    /// Size limits for decoding.
    pub limits: Limits,
}

impl Policy {
    /// A policy with default settings for the given roots and audience.
    pub fn new(trusted_roots: HashSet<[u8; 32]>, audience: impl Into<String>) -> Policy {
        Policy {
            trusted_roots,
            audience: audience.into(),
            purposes: None,
            leeway: 60,
            freshness: 300,
            max_delegations: 16,
            strict_attenuation: false,
            limits: Limits::default(),
        }
    }
}

/// Revoked block ids and keys. Revoking a block revokes every block below
/// it, since verification walks the whole chain.
#[derive(Debug, Default, Clone)]
pub struct Revocations {
    /// Revoked block ids.
    pub blocks: HashSet<[u8; BLOCK_ID_LEN]>,
    /// Revoked keys (as root issuer or as any block's subject).
    pub keys: HashSet<[u8; 32]>,
}

/// A token as handed to the verifier.
#[derive(Debug, Clone)]
pub enum TokenInput {
    /// Already decoded (and so already within the limits it was built under,
    /// taken to be the defaults): a verifier with a tighter limit decodes its
    /// encoding again under its own limits.
    Decoded(Arc<Token>),
    /// The binary form.
    Binary(Vec<u8>),
    /// The text form.
    Text(String),
}

/// An invocation as handed to the verifier.
#[derive(Debug, Clone)]
pub enum InvocationInput {
    /// Already decoded.
    Decoded(Arc<Invocation>),
    /// The binary form.
    Binary(Vec<u8>),
    /// The text form.
    Text(String),
}

/// One request to verify.
#[derive(Debug, Clone)]
pub struct Request {
    /// The token presented.
    pub token: TokenInput,
    /// The holder's invocation.
    pub invocation: InvocationInput,
    /// SHA-256 of the full request as the service received it; when given,
    /// it must equal the invocation's `args_digest`.
    pub request_digest: Option<[u8; 32]>,
}

/// A configured verifier.
pub struct Verifier {
    policy: Policy,
    revocations: RwLock<Revocations>,
    replay: Option<Arc<dyn ReplayCache>>,
    pool: rayon::ThreadPool,
    block_cache: SignatureCache,
    counters: Counters,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .field("replay_cache", &self.replay.is_some())
            .field("threads", &self.pool.current_num_threads())
            .field("block_cache", &self.block_cache.capacity())
            .finish()
    }
}

/// Signatures checked and answered by the block cache in one call.
struct SignatureCounts {
    checked: usize,
    cache_hits: usize,
}

struct Prepared {
    token: Arc<Token>,
    invocation: Arc<Invocation>,
    request_digest: Option<[u8; 32]>,
}

fn refusal_from_error(error: &Error, hop: Option<usize>) -> Refusal {
    let reason = match error {
        Error::LimitExceeded(_) => Reason::LimitExceeded,
        _ => Reason::Malformed,
    };
    Refusal {
        reason,
        hop,
        message: error.message().to_string(),
    }
}

impl Verifier {
    /// A verifier with its own thread pool of `threads` threads (all cores
    /// when `None`).
    pub fn new(
        policy: Policy,
        replay: Option<Arc<dyn ReplayCache>>,
        threads: Option<usize>,
    ) -> Result<Verifier> {
        if threads == Some(0) {
            return Err(Error::InvalidArgument("threads must be at least 1".into()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("chainproof-{i}"))
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start the thread pool: {e}")))?;
        Ok(Verifier {
            policy,
            revocations: RwLock::new(Revocations::default()),
            replay,
            pool,
            block_cache: SignatureCache::new(0),
            counters: Counters::default(),
        })
    }

    /// This verifier with a verified-block cache of `capacity` block
    /// signatures (0, the default, turns it off).
    ///
    /// A gateway sees the same delegation prefix on request after request;
    /// with the cache, a block whose exact signed bytes already verified
    /// under the same key and signature is not checked again, so a warm
    /// request costs about one signature check, the invocation's. Only the
    /// signature check is skipped: linkage, trust, revocation, time,
    /// attenuation and everything else are evaluated on every request.
    pub fn with_block_cache(mut self, capacity: usize) -> Verifier {
        self.block_cache = SignatureCache::new(capacity);
        self
    }

    /// The verified-block cache.
    pub fn block_cache(&self) -> &SignatureCache {
        &self.block_cache
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Revokes a block id (and so everything delegated below it).
    pub fn revoke_block(&self, block_id: [u8; BLOCK_ID_LEN]) {
        self.write_revocations().blocks.insert(block_id);
    }

    /// Revokes a key, as a root issuer or as any block's subject.
    pub fn revoke_key(&self, key: [u8; 32]) {
        self.write_revocations().keys.insert(key);
    }

    fn write_revocations(&self) -> std::sync::RwLockWriteGuard<'_, Revocations> {
        // The set stays a valid set even if a writer panicked.
        self.revocations.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Verifies one request at time `now` (seconds since the Unix epoch).
    pub fn verify(&self, request: Request, now: u64) -> Verdict {
        self.verify_batch(vec![request], now)
            .pop()
            .unwrap_or_else(|| Verdict::Refused(Refusal::whole(Reason::Malformed, "no verdict")))
    }

    /// Verifies many requests at time `now`: one verdict per request, in
    /// input order.
    pub fn verify_batch(&self, requests: Vec<Request>, now: u64) -> Vec<Verdict> {
        if let Some(refused) = self.start_batch(requests.len()) {
            return refused;
        }
        self.verify_part(requests, now)
    }

    /// Starts a batch of `total` requests that the caller will pass in
    /// parts, in order, to [`Verifier::verify_part`] (a front end does this
    /// to keep memory bounded: one part's decoded tokens at a time). Counts
    /// the call; returns the verdicts for the whole batch, all
    /// `LIMIT_EXCEEDED` and counted, when it is over the batch limit.
    ///
    /// Parts of one batch behave exactly as the whole batch would: replay is
    /// applied in input order across parts.
    pub fn start_batch(&self, total: usize) -> Option<Vec<Verdict>> {
        self.counters.record_call();
        if total <= self.policy.limits.max_batch {
            return None;
        }
        let message = format!(
            "a batch holds at most {} requests",
            self.policy.limits.max_batch
        );
        let verdicts: Vec<Verdict> = (0..total)
            .map(|_| Verdict::Refused(Refusal::whole(Reason::LimitExceeded, message.clone())))
            .collect();
        self.counters.record(&verdicts, 0, 0);
        Some(verdicts)
    }

    /// Verifies the next part of a batch started with
    /// [`Verifier::start_batch`]: one verdict per request, in order.
    pub fn verify_part(&self, requests: Vec<Request>, now: u64) -> Vec<Verdict> {
        let (mut verdicts, signatures) = self.verify_without_replay(requests, now);
        self.apply_replay_cache(&mut verdicts, now);
        self.counters
            .record(&verdicts, signatures.checked, signatures.cache_hits);
        verdicts
    }

    /// Drops `garbage` on this verifier's thread pool, not the calling
    /// thread, and returns when it is done: freeing thousands of decoded
    /// tokens is native work, which should not run on a thread the caller
    /// accounts as its own, nor outlive the call it belongs to.
    pub fn dispose<T: Send>(&self, garbage: T) {
        self.pool.install(move || drop(garbage));
    }

    /// What this verifier has done so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// The verdicts before replay checking, and the signature counts.
    fn verify_without_replay(
        &self,
        requests: Vec<Request>,
        now: u64,
    ) -> (Vec<Verdict>, SignatureCounts) {
        let limits = &self.policy.limits;
        // Decoded inputs were built or decoded under the default limits (all
        // the bindings use them); under any tighter limit they are decoded
        // again, so that a verdict never depends on the form of the input.
        let recheck = !limits.at_least(&Limits {
            max_batch: limits.max_batch,
            ..Limits::default()
        });
        let prepared =
            crate::pool::map_in_order(&self.pool, requests, |r| prepare(r, limits, recheck));
        let (signature_ok, signatures) = self.verify_all_signatures(&prepared);
        let revocations = self.revocations.read().unwrap_or_else(|p| p.into_inner());
        let pairs: Vec<_> = prepared.into_iter().zip(signature_ok).collect();
        let verdicts = crate::pool::map_in_order(&self.pool, pairs, |(item, sigs)| match item {
            Err(refusal) => Verdict::Refused(refusal),
            Ok(p) => match self.evaluate(&p, &sigs, &revocations, now) {
                Ok(()) => Verdict::Accepted {
                    token: p.token,
                    invocation: p.invocation,
                },
                Err(refusal) => Verdict::Refused(refusal),
            },
        });
        (verdicts, signatures)
    }

    /// Checks every signature of every decoded pair in strict batches (spread
    /// over the pool when there are enough, block signatures through the
    /// verified-block cache); returns, per pair, one flag per block plus one
    /// for the invocation (empty for pairs that did not decode), and the
    /// signature counts.
    fn verify_all_signatures(
        &self,
        prepared: &[std::result::Result<Prepared, Refusal>],
    ) -> (Vec<Vec<bool>>, SignatureCounts) {
        let mut items = Vec::new();
        // Invocations are signed once and used once: caching them would only
        // push out blocks.
        let mut is_block = Vec::new();
        let mut counts = Vec::with_capacity(prepared.len());
        for p in prepared {
            match p {
                Ok(p) => {
                    let before = items.len();
                    items.extend(signature_items(p));
                    is_block.resize(items.len() - 1, true);
                    is_block.push(false);
                    counts.push(items.len() - before);
                }
                Err(_) => counts.push(0),
            }
        }
        let cacheable = |i: usize| is_block.get(i).copied().unwrap_or(false);
        let batch = crate::pool::check_signatures(&self.pool, items.len(), || {
            crypto::verify_batch_cached_where(&items, Some(&self.block_cache), cacheable)
        });
        let mut out = Vec::with_capacity(prepared.len());
        let mut rest = batch.verdicts.as_slice();
        for count in counts {
            let (mine, tail) = rest.split_at(count.min(rest.len()));
            out.push(mine.to_vec());
            rest = tail;
        }
        let signature_counts = SignatureCounts {
            checked: batch.checked,
            cache_hits: batch.cache_hits,
        };
        (out, signature_counts)
    }

    fn apply_replay_cache(&self, verdicts: &mut [Verdict], now: u64) {
        let Some(cache) = &self.replay else {
            return;
        };
        let window = self.policy.freshness.saturating_add(self.policy.leeway);
        for verdict in verdicts.iter_mut() {
            let Verdict::Accepted { token, invocation } = verdict else {
                continue;
            };
            let hop = token.blocks().len();
            let key = replay_key(token, invocation);
            // Past this moment the invocation is stale anyway, so the entry
            // can go: the cache stays bounded by the request rate.
            let expires_at = invocation
                .body()
                .issued_at
                .saturating_add(window)
                .saturating_add(1);
            let refusal = match cache.check_and_insert(key, expires_at, now) {
                ReplayOutcome::Fresh => continue,
                ReplayOutcome::Replayed => Refusal::at(
                    Reason::Replayed,
                    hop,
                    "this invocation's nonce was already used",
                ),
                ReplayOutcome::Full => Refusal::at(
                    Reason::ReplayCheckFailed,
                    hop,
                    "the replay cache is full of unexpired entries",
                ),
                ReplayOutcome::Unavailable => Refusal::at(
                    Reason::ReplayCheckFailed,
                    hop,
                    "the replay cache could not be consulted",
                ),
            };
            *verdict = Verdict::Refused(refusal);
        }
    }

    fn evaluate(
        &self,
        p: &Prepared,
        signature_ok: &[bool],
        revocations: &Revocations,
        now: u64,
    ) -> std::result::Result<(), Refusal> {
        let policy = &self.policy;
        let blocks = p.token.blocks();
        let n = blocks.len();
        let leaf = p.token.leaf().body();
        let inv = p.invocation.body();

        // 1. Every signature, over the bytes as received.
        for (hop, ok) in signature_ok.iter().enumerate() {
            if !ok {
                return Err(if hop < n {
                    Refusal::at(
                        Reason::SignatureInvalid,
                        hop,
                        "the block's signature does not verify under the key that must have signed it",
                    )
                } else {
                    Refusal::at(
                        Reason::PopInvalid,
                        hop,
                        "the invocation is not signed by the token's current holder",
                    )
                });
            }
        }
        // 2. Linkage.
        chain::check_linkage(blocks)?;
        // 3. Root trust.
        let root = blocks.first().map(|b| b.body());
        let issuer = root.and_then(|b| b.issuer);
        if !issuer.is_some_and(|k| policy.trusted_roots.contains(&k)) {
            return Err(Refusal::at(
                Reason::UntrustedRoot,
                0,
                "the root key is not trusted by this verifier",
            ));
        }
        // 4. Revocation.
        if issuer.is_some_and(|k| revocations.keys.contains(&k)) {
            return Err(Refusal::at(Reason::Revoked, 0, "the root key is revoked"));
        }
        for (hop, block) in blocks.iter().enumerate() {
            let b = block.body();
            if revocations.blocks.contains(&b.block_id) {
                return Err(Refusal::at(Reason::Revoked, hop, "the block is revoked"));
            }
            if revocations.keys.contains(&b.subject) {
                return Err(Refusal::at(
                    Reason::Revoked,
                    hop,
                    "the block's subject key is revoked",
                ));
            }
        }
        // 5. Time.
        chain::check_time(blocks, now, policy.leeway)?;
        // 6. Depth.
        chain::check_depth(blocks, policy.max_delegations)?;
        // 7. Attenuation, hop by hop.
        chain::check_attenuation(blocks, policy.strict_attenuation)?;
        // 8. Purpose and audience, down the chain and at this service.
        chain::check_scope(blocks)?;
        if let Some(accepted) = &policy.purposes {
            if !chain::purpose_accepted(&leaf.purpose, accepted) {
                return Err(Refusal::at(
                    Reason::PurposeMismatch,
                    n - 1,
                    format!(
                        "this service does not serve purpose {:?}",
                        leaf.purpose.as_str()
                    ),
                ));
            }
        }
        if leaf.audiences.binary_search(&policy.audience).is_err() {
            return Err(Refusal::at(
                Reason::AudienceMismatch,
                n - 1,
                format!(
                    "this service ({:?}) is not among the token's audiences",
                    policy.audience
                ),
            ));
        }
        // 9. The invocation against the leaf.
        if inv.token_hash != *p.token.leaf().hash() {
            return Err(Refusal::at(
                Reason::PopInvalid,
                n,
                "the invocation was made for a different token",
            ));
        }
        if inv.audience != policy.audience {
            return Err(Refusal::at(
                Reason::AudienceMismatch,
                n,
                format!("the invocation is addressed to {:?}", inv.audience),
            ));
        }
        if inv.issued_at > now.saturating_add(policy.leeway)
            || inv
                .issued_at
                .saturating_add(policy.freshness)
                .saturating_add(policy.leeway)
                < now
        {
            return Err(Refusal::at(
                Reason::InvocationStale,
                n,
                format!(
                    "issued at {}, outside the freshness window at {now}",
                    inv.issued_at
                ),
            ));
        }
        if let Some(digest) = p.request_digest {
            if digest != inv.args_digest {
                return Err(Refusal::at(
                    Reason::PopInvalid,
                    n,
                    "the request does not match the invocation's digest",
                ));
            }
        }
        match authorize(&leaf.capabilities, &inv.action, &inv.resource, &inv.args) {
            Check::Allowed => Ok(()),
            Check::NotCovered => Err(Refusal::at(
                Reason::NotCovered,
                n,
                format!(
                    "no capability allows {:?} on {:?}",
                    inv.action,
                    inv.resource.as_str()
                ),
            )),
            Check::Violated { arg, rule } => Err(Refusal::at(
                Reason::ConstraintViolated,
                n,
                format!("argument {arg:?} fails its {rule} constraint"),
            )),
        }
    }
}

/// The replay-cache key: the holder and the nonce, so one holder cannot
/// burn another's nonces.
fn replay_key(token: &Token, invocation: &Invocation) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(REPLAY_DOMAIN);
    h.update(token.leaf().body().subject);
    h.update(&invocation.body().nonce);
    h.finalize().into()
}

/// Whether a refusal from decoding again an already-decoded input counts: a
/// limit it is over does; anything else (a hostile value built in code, never
/// decoded) is left to the rules that follow, as it would be without the
/// check.
fn over_limits(error: &Error) -> bool {
    matches!(error, Error::LimitExceeded(_))
}

fn prepare(
    request: Request,
    limits: &Limits,
    recheck: bool,
) -> std::result::Result<Prepared, Refusal> {
    let token = match request.token {
        // Decoded elsewhere, perhaps under looser limits: the sizes that
        // bound this verifier's work are checked again.
        TokenInput::Decoded(t) => {
            if t.blocks().len() > limits.max_blocks || t.encoded_len() > limits.max_token_bytes {
                return Err(Refusal::whole(
                    Reason::LimitExceeded,
                    "the token is over this verifier's size limits",
                ));
            }
            if recheck {
                if let Err(f) = Token::decode(&t.encode(), limits) {
                    if over_limits(&f.error) {
                        return Err(refusal_from_error(&f.error, f.hop));
                    }
                }
            }
            t
        }
        TokenInput::Binary(b) => {
            Arc::new(Token::decode(&b, limits).map_err(|f| refusal_from_error(&f.error, f.hop))?)
        }
        TokenInput::Text(s) => {
            Arc::new(Token::from_text(&s, limits).map_err(|f| refusal_from_error(&f.error, f.hop))?)
        }
    };
    let n = token.blocks().len();
    let invocation = match request.invocation {
        InvocationInput::Decoded(i) => {
            if i.encoded_len() > limits.max_invocation_bytes {
                return Err(Refusal::at(
                    Reason::LimitExceeded,
                    n,
                    "the invocation is over this verifier's size limits",
                ));
            }
            if recheck {
                if let Err(e) = Invocation::decode(&i.encode(), limits) {
                    if over_limits(&e) {
                        return Err(refusal_from_error(&e, Some(n)));
                    }
                }
            }
            i
        }
        InvocationInput::Binary(b) => {
            Arc::new(Invocation::decode(&b, limits).map_err(|e| refusal_from_error(&e, Some(n)))?)
        }
        InvocationInput::Text(s) => Arc::new(
            Invocation::from_text(&s, limits).map_err(|e| refusal_from_error(&e, Some(n)))?,
        ),
    };
    Ok(Prepared {
        token,
        invocation,
        request_digest: request.request_digest,
    })
}

/// The signatures of one prepared pair, in hop order, the invocation last.
fn signature_items(p: &Prepared) -> impl Iterator<Item = SignatureItem<'_>> {
    let blocks = p.token.blocks();
    let block_items = blocks.iter().enumerate().map(move |(i, block)| {
        // The root is signed by its stated issuer (trusted or not: trust is
        // checked later); every other block by its parent's subject.
        let key: &[u8] = if i == 0 {
            block.body().issuer.as_ref().map_or(&[], |k| k.as_slice())
        } else {
            blocks
                .get(i - 1)
                .map_or(&[], |parent| parent.body().subject.as_slice())
        };
        SignatureItem {
            public_key: key,
            signature: block.signature(),
            domain: BLOCK_DOMAIN,
            body: block.signed_bytes(),
        }
    });
    let invocation = std::iter::once(SignatureItem {
        public_key: &p.token.leaf().body().subject,
        signature: p.invocation.signature(),
        domain: INVOCATION_DOMAIN,
        body: p.invocation.signed_bytes(),
    });
    block_items.chain(invocation)
}

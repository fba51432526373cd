//! The verifier, its limits and its verdicts.

use std::collections::HashSet;
use std::sync::Arc;

use chainproof_core::caps::Purpose;
use chainproof_core::replay::{MemoryReplayCache, ReplayCache, ReplayOutcome};
use chainproof_core::text::{INVOCATION_PREFIX, TOKEN_PREFIX};
use chainproof_core::token::sha256;
use chainproof_core::verdict::{Reason, Refusal};
use chainproof_core::verifier::{InvocationInput, Policy, Request, TokenInput, Verifier};
use chainproof_core::Limits;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyString, PyTuple};

use crate::convert::{bytes_arg, now_or_clock, public_key_arg, str_arg, str_list_arg, u64_arg};
use crate::errors::{invalid, type_error, IntoPyResult};
use crate::gil::without_gil;
use crate::token::{encoded_arg, Encoded, PyInvocation, PyToken};
use crate::verdict::{Keep, PyVerdict, Slim};

/// Default bound on the in-memory replay cache.
const DEFAULT_REPLAY_CAPACITY: usize = 1_000_000;

/// Size and count limits applied to everything a verifier decodes.
#[pyclass(module = "chainproof._native", name = "Limits", frozen, get_all)]
#[derive(Clone)]
pub struct PyLimits {
    max_token_bytes: usize,
    max_invocation_bytes: usize,
    max_blocks: usize,
    max_capabilities: usize,
    max_actions: usize,
    max_constraints: usize,
    max_one_of: usize,
    max_pattern_bytes: usize,
    max_segments: usize,
    max_text_bytes: usize,
    max_audiences: usize,
    max_args: usize,
    max_batch: usize,
}

impl From<&Limits> for PyLimits {
    fn from(l: &Limits) -> Self {
        PyLimits {
            max_token_bytes: l.max_token_bytes,
            max_invocation_bytes: l.max_invocation_bytes,
            max_blocks: l.max_blocks,
            max_capabilities: l.max_capabilities,
            max_actions: l.max_actions,
            max_constraints: l.max_constraints,
            max_one_of: l.max_one_of,
            max_pattern_bytes: l.max_pattern_bytes,
            max_segments: l.max_segments,
            max_text_bytes: l.max_text_bytes,
            max_audiences: l.max_audiences,
            max_args: l.max_args,
            max_batch: l.max_batch,
        }
    }
}

impl From<&PyLimits> for Limits {
    fn from(l: &PyLimits) -> Self {
        Limits {
            max_token_bytes: l.max_token_bytes,
            max_invocation_bytes: l.max_invocation_bytes,
            max_blocks: l.max_blocks,
            max_capabilities: l.max_capabilities,
            max_actions: l.max_actions,
            max_constraints: l.max_constraints,
            max_one_of: l.max_one_of,
            max_pattern_bytes: l.max_pattern_bytes,
            max_segments: l.max_segments,
            max_text_bytes: l.max_text_bytes,
            max_audiences: l.max_audiences,
            max_args: l.max_args,
            max_batch: l.max_batch,
        }
    }
}

#[pymethods]
impl PyLimits {
    /// The defaults, with any limit overridden by keyword.
    #[new]
    #[pyo3(signature = (**overrides))]
    fn new(overrides: Option<&Bound<'_, pyo3::types::PyDict>>) -> PyResult<Self> {
        let mut limits = PyLimits::from(&Limits::default());
        if let Some(overrides) = overrides {
            for (k, v) in overrides.iter() {
                let name = str_arg(&k, "limit name")?;
                let value =
                    usize::try_from(u64_arg(&v, &name)?).map_err(|_| invalid("limit too large"))?;
                let slot = match name.as_str() {
                    "max_token_bytes" => &mut limits.max_token_bytes,
                    "max_invocation_bytes" => &mut limits.max_invocation_bytes,
                    "max_blocks" => &mut limits.max_blocks,
                    "max_capabilities" => &mut limits.max_capabilities,
                    "max_actions" => &mut limits.max_actions,
                    "max_constraints" => &mut limits.max_constraints,
                    "max_one_of" => &mut limits.max_one_of,
                    "max_pattern_bytes" => &mut limits.max_pattern_bytes,
                    "max_segments" => &mut limits.max_segments,
                    "max_text_bytes" => &mut limits.max_text_bytes,
                    "max_audiences" => &mut limits.max_audiences,
                    "max_args" => &mut limits.max_args,
                    "max_batch" => &mut limits.max_batch,
                    other => return Err(invalid(format!("unknown limit {other:?}"))),
                };
                *slot = value;
            }
        }
        Ok(limits)
    }

    fn __repr__(&self) -> String {
        format!(
            "Limits(max_token_bytes={}, max_blocks={}, max_capabilities={}, max_batch={}, ...)",
            self.max_token_bytes, self.max_blocks, self.max_capabilities, self.max_batch
        )
    }
}

/// A replay cache implemented in Python (for a store shared between worker
/// processes): any object with `check_and_insert(key: bytes, expires_at:
/// int, now: int) -> bool`, returning True when the key was fresh.
struct PythonReplayCache {
    store: Py<PyAny>,
}

impl ReplayCache for PythonReplayCache {
    fn check_and_insert(&self, key: [u8; 32], expires_at: u64, now: u64) -> ReplayOutcome {
        Python::attach(|py| {
            let answer = self.store.call_method1(
                py,
                "check_and_insert",
                (PyBytes::new(py, &key), expires_at, now),
            );
            match answer.and_then(|a| a.extract::<bool>(py)) {
                Ok(true) => ReplayOutcome::Fresh,
                Ok(false) => ReplayOutcome::Replayed,
                Err(err) => {
                    // Fail closed, but let the operator see why.
                    err.write_unraisable(py, Some(self.store.bind(py)));
                    ReplayOutcome::Unavailable
                }
            }
        })
    }
}

/// Checks tokens and invocations against a policy.
#[pyclass(module = "chainproof._native", name = "Verifier", frozen)]
pub struct PyVerifier {
    inner: Arc<Verifier>,
    /// The policy's limits, shared with accepted verdicts, which decode
    /// their evidence under them.
    limits: Arc<Limits>,
}

pub fn token_input(obj: &Bound<'_, PyAny>) -> PyResult<TokenInput> {
    if let Ok(t) = obj.cast::<PyToken>() {
        return Ok(TokenInput::Decoded(t.get().inner.clone()));
    }
    Ok(match encoded_arg(obj, "token", TOKEN_PREFIX)? {
        Encoded::Text(s) => TokenInput::Text(s),
        Encoded::Binary(b) => TokenInput::Binary(b),
    })
}

pub fn invocation_input(obj: &Bound<'_, PyAny>) -> PyResult<InvocationInput> {
    if let Ok(i) = obj.cast::<PyInvocation>() {
        return Ok(InvocationInput::Decoded(i.get().inner.clone()));
    }
    Ok(match encoded_arg(obj, "invocation", INVOCATION_PREFIX)? {
        Encoded::Text(s) => InvocationInput::Text(s),
        Encoded::Binary(b) => InvocationInput::Binary(b),
    })
}

fn request_digest(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<[u8; 32]>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(r) => Ok(Some(sha256(&bytes_arg(r, "request")?))),
    }
}

/// Pairs converted and verified at a time by `verify_batch`: enough for
/// full signature batches on every thread, few enough that one part's
/// decoded tokens stay in the tens of megabytes.
const PAIRS_PER_PART: usize = 4096;

/// Verified block signatures a verifier remembers unless told otherwise:
/// about 100 bytes each, so under 7 MiB.
const DEFAULT_BLOCK_CACHE: usize = 65_536;

/// `block_cache`: `None` or `True` for the default size, `False` or 0 for
/// none, or a capacity.
fn block_cache_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(DEFAULT_BLOCK_CACHE);
    };
    if let Ok(flag) = obj.cast::<pyo3::types::PyBool>() {
        return Ok(if flag.is_true() {
            DEFAULT_BLOCK_CACHE
        } else {
            0
        });
    }
    usize::try_from(u64_arg(obj, "block_cache")?).map_err(|_| invalid("block_cache too large"))
}

pub(crate) fn replay_cache_arg(
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<dyn ReplayCache>>> {
    // Replay protection is on unless explicitly turned off with False.
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Some(Arc::new(MemoryReplayCache::new(
            DEFAULT_REPLAY_CAPACITY,
        ))));
    };
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(b.is_true().then(|| {
            Arc::new(MemoryReplayCache::new(DEFAULT_REPLAY_CAPACITY)) as Arc<dyn ReplayCache>
        }));
    }
    if obj.is_instance_of::<pyo3::types::PyInt>() {
        let capacity = usize::try_from(u64_arg(obj, "replay_cache")?)
            .map_err(|_| invalid("replay_cache too large"))?;
        if capacity == 0 {
            return Err(invalid(
                "a replay cache holds at least one entry; pass False to turn it off",
            ));
        }
        return Ok(Some(Arc::new(MemoryReplayCache::new(capacity))));
    }
    if obj.hasattr("check_and_insert")? {
        return Ok(Some(Arc::new(PythonReplayCache {
            store: obj.clone().unbind(),
        })));
    }
    Err(type_error(
        "replay_cache",
        "True, False, a capacity (int) or an object with check_and_insert",
        obj,
    ))
}

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (trusted_roots, audience, purposes=None, *, leeway=None, freshness=None,
        max_depth=None, strict_attenuation=false, replay_cache=None, threads=None, limits=None,
        revoked_blocks=None, revoked_keys=None, block_cache=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        trusted_roots: &Bound<'_, PyAny>,
        audience: &Bound<'_, PyAny>,
        purposes: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        freshness: Option<&Bound<'_, PyAny>>,
        max_depth: Option<&Bound<'_, PyAny>>,
        strict_attenuation: bool,
        replay_cache: Option<&Bound<'_, PyAny>>,
        threads: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyLimits>>,
        revoked_blocks: Option<&Bound<'_, PyAny>>,
        revoked_keys: Option<&Bound<'_, PyAny>>,
        block_cache: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let limits: Limits = limits.map_or_else(Limits::default, |l| Limits::from(l.get()));
        if trusted_roots.is_instance_of::<PyBytes>() || trusted_roots.is_instance_of::<PyString>() {
            return Err(type_error(
                "trusted_roots",
                "an iterable of PublicKey or bytes",
                trusted_roots,
            ));
        }
        let mut roots = HashSet::new();
        for root in trusted_roots.try_iter().map_err(|_| {
            type_error(
                "trusted_roots",
                "an iterable of PublicKey or bytes",
                trusted_roots,
            )
        })? {
            roots.insert(public_key_arg(&root?, "trusted_roots")?);
        }
        let audience = str_arg(audience, "audience")?;
        if audience.is_empty() {
            return Err(invalid("audience must not be empty"));
        }
        let purposes = match purposes.filter(|p| !p.is_none()) {
            None => None,
            Some(p) => Some(
                non_empty(str_list_arg(p, "purposes")?)?
                    .iter()
                    .map(|s| Purpose::parse(s, &limits))
                    .collect::<Result<Vec<_>, _>>()
                    .py()?,
            ),
        };
        let mut policy = Policy::new(roots, audience);
        policy.purposes = purposes;
        if let Some(v) = leeway.filter(|v| !v.is_none()) {
            policy.leeway = u64_arg(v, "leeway")?;
        }
        if let Some(v) = freshness.filter(|v| !v.is_none()) {
            policy.freshness = u64_arg(v, "freshness")?;
        }
        if let Some(v) = max_depth.filter(|v| !v.is_none()) {
            policy.max_delegations = usize::try_from(u64_arg(v, "max_depth")?)
                .map_err(|_| invalid("max_depth too large"))?;
        }
        policy.strict_attenuation = strict_attenuation;
        policy.limits = limits;
        let threads = match threads.filter(|t| !t.is_none()) {
            None => None,
            Some(t) => Some(
                usize::try_from(u64_arg(t, "threads")?)
                    .map_err(|_| invalid("threads too large"))?,
            ),
        };
        let verifier = Verifier::new(policy, replay_cache_arg(replay_cache)?, threads)
            .py()?
            .with_block_cache(block_cache_arg(block_cache)?);
        if let Some(blocks) = revoked_blocks.filter(|b| !b.is_none()) {
            for id in blocks.try_iter()? {
                verifier.revoke_block(block_id(&id?)?);
            }
        }
        if let Some(keys) = revoked_keys.filter(|k| !k.is_none()) {
            for key in keys.try_iter()? {
                verifier.revoke_key(public_key_arg(&key?, "revoked_keys")?);
            }
        }
        Ok(PyVerifier {
            limits: Arc::new(verifier.policy().limits.clone()),
            inner: Arc::new(verifier),
        })
    }

    /// Verifies one (token, invocation) pair. `now` defaults to the system
    /// clock; `request` (bytes) must then match the invocation's digest.
    #[pyo3(signature = (token, invocation, now=None, request=None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        invocation: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        request: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyVerdict> {
        let req = Request {
            token: token_input(token)?,
            invocation: invocation_input(invocation)?,
            request_digest: request_digest(request)?,
        };
        let now = now_or_clock(now)?;
        let keep = [Keep::for_inputs(token, invocation)];
        let verifier = self.inner.clone();
        // The decoded forms not kept are freed here, without the lock.
        let mut slim = without_gil(py, move || {
            Slim::split(vec![verifier.verify(req, now)], &keep).0
        });
        let verdict = slim.pop().unwrap_or(Slim::Refused(Refusal::whole(
            Reason::Malformed,
            "no verdict",
        )));
        Ok(PyVerdict::new(verdict, token, invocation, &self.limits))
    }

    /// Verifies many pairs: each item is `(token, invocation)` or
    /// `(token, invocation, request)`. One verdict per item, in order.
    ///
    /// The pairs are converted and verified in parts of a few thousand, so
    /// memory holds one part's decoded tokens at a time however long the
    /// batch; parts are verified in order, exactly as the whole batch.
    #[pyo3(signature = (pairs, now=None))]
    fn verify_batch(
        &self,
        py: Python<'_>,
        pairs: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyVerdict>> {
        let now = now_or_clock(now)?;
        let mut items = Vec::new();
        for item in pairs
            .try_iter()
            .map_err(|_| type_error("pairs", "an iterable of pairs", pairs))?
        {
            let item = item?;
            let Ok(tuple) = item.cast::<PyTuple>().cloned() else {
                return Err(type_error("pairs", "(token, invocation) tuples", &item));
            };
            if tuple.len() != 2 && tuple.len() != 3 {
                return Err(type_error(
                    "pairs",
                    "(token, invocation[, request]) tuples",
                    &tuple,
                ));
            }
            items.push(tuple);
        }
        if let Some(refused) = self.inner.start_batch(items.len()) {
            return Ok(refused.into_iter().map(PyVerdict::refused).collect());
        }
        let mut verdicts = Vec::with_capacity(items.len());
        for part in items.chunks(PAIRS_PER_PART) {
            let mut requests = Vec::with_capacity(part.len());
            let mut inputs = Vec::with_capacity(part.len());
            let mut keep = Vec::with_capacity(part.len());
            for tuple in part {
                let (token, invocation) = (tuple.get_item(0)?, tuple.get_item(1)?);
                let request = match tuple.len() {
                    3 => Some(tuple.get_item(2)?),
                    _ => None,
                };
                requests.push(Request {
                    token: token_input(&token)?,
                    invocation: invocation_input(&invocation)?,
                    request_digest: request_digest(request.as_ref())?,
                });
                keep.push(Keep::for_inputs(&token, &invocation));
                inputs.push((token, invocation));
            }
            let verifier = Arc::clone(&self.inner);
            let part_verdicts = without_gil(py, move || {
                let (slim, garbage) = Slim::split(verifier.verify_part(requests, now), &keep);
                verifier.dispose(garbage);
                slim
            });
            verdicts.extend(
                part_verdicts
                    .into_iter()
                    .zip(&inputs)
                    .map(|(v, (t, i))| PyVerdict::new(v, t, i, &self.limits)),
            );
        }
        Ok(verdicts)
    }

    /// Revokes a block id (16 bytes) and so every block below it.
    fn revoke_block(&self, block_id_bytes: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.revoke_block(block_id(block_id_bytes)?);
        Ok(())
    }

    /// Revokes a key, as root issuer or as any block's subject.
    fn revoke_key(&self, key: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.revoke_key(public_key_arg(key, "key")?);
        Ok(())
    }

    /// What this verifier has done: `calls`, `requests`, `accepted`,
    /// `signatures` (checked) and `refused` (a dict from every reason code,
    /// in check order, to its count). `requests == accepted + sum(refused)`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let s = self.inner.stats();
        let d = pyo3::types::PyDict::new(py);
        d.set_item("calls", s.calls)?;
        d.set_item("requests", s.requests)?;
        d.set_item("accepted", s.accepted)?;
        d.set_item("signatures", s.signatures)?;
        d.set_item("cache_hits", s.cache_hits)?;
        let refused = pyo3::types::PyDict::new(py);
        for (reason, n) in s.refused {
            refused.set_item(reason.code(), n)?;
        }
        d.set_item("refused", refused)?;
        Ok(d)
    }

    /// Forgets every verified block signature (the process-wide cache of
    /// decoded public keys is cleared by `chainproof.clear_key_cache`).
    fn clear_block_cache(&self) {
        self.inner.block_cache().clear();
    }

    /// The most block signatures the verified-block cache holds (0: off).
    #[getter]
    fn block_cache_capacity(&self) -> usize {
        self.inner.block_cache().capacity()
    }

    /// The number of worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    /// This verifier's limits.
    #[getter]
    fn limits(&self) -> PyLimits {
        PyLimits::from(&self.inner.policy().limits)
    }

    fn __repr__(&self) -> String {
        let p = self.inner.policy();
        format!(
            "Verifier(audience={:?}, trusted_roots={}, threads={})",
            p.audience,
            p.trusted_roots.len(),
            self.inner.threads()
        )
    }
}

fn non_empty(purposes: Vec<String>) -> PyResult<Vec<String>> {
    if purposes.is_empty() {
        return Err(invalid(
            "purposes=[] would refuse every token; pass None to accept any purpose",
        ));
    }
    Ok(purposes)
}

fn block_id(obj: &Bound<'_, PyAny>) -> PyResult<[u8; 16]> {
    let raw = bytes_arg(obj, "block_id")?;
    <[u8; 16]>::try_from(raw.as_slice()).map_err(|_| invalid("a block id is 16 bytes"))
}

/// Every reason code, in check order.
#[pyfunction]
pub fn reason_codes() -> Vec<&'static str> {
    chainproof_core::verdict::Reason::ALL
        .iter()
        .map(|r| r.code())
        .collect()
}

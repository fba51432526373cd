//! The AIP adapter: verifier, request, verdict, inspection and proofs.

use std::collections::HashMap;
use std::sync::Arc;

use chainproof_core::aip::dpop::{self, ProofClaims};
use chainproof_core::aip::inspect::decode_links;
use chainproof_core::aip::{AipLimits, AipPolicy, AipReason, AipRequest, AipVerdict, AipVerifier};
use chainproof_core::json_parse::{parse_lenient, Int, ParseLimits, Value};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::convert::{json_to_py, now_or_clock, opt_str_arg, public_key_arg, str_arg, u64_arg};
use crate::errors::{invalid, type_error, IntoPyResult};
use crate::gil::without_gil;
use crate::keys::PySigningKey;
use crate::verifier::replay_cache_arg;

/// Default capacity of the verified-link cache.
const DEFAULT_LINK_CACHE: usize = 100_000;

fn json_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static JSON: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    JSON.get_or_try_init(py, || py.import("json").map(|m| m.unbind()))
        .map(|m| m.bind(py))
}

fn now_arg(now: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
    i64::try_from(now_or_clock(now)?).map_err(|_| invalid("now is too large"))
}

/// One request: a token, the tool (and domain) it is used for, and
/// optionally a DPoP proof with the HTTP method and URL it must bind.
#[pyclass(module = "chainproof._native", name = "AipRequest", frozen, get_all)]
#[derive(Clone)]
pub struct PyAipRequest {
    token: String,
    tool: String,
    domain: Option<String>,
    proof: Option<String>,
    method: Option<String>,
    url: Option<String>,
}

impl PyAipRequest {
    fn to_core(&self) -> AipRequest {
        AipRequest {
            token: self.token.clone(),
            tool: self.tool.clone(),
            domain: self.domain.clone(),
            proof: self.proof.clone(),
            method: self.method.clone(),
            url: self.url.clone(),
        }
    }
}

#[pymethods]
impl PyAipRequest {
    #[new]
    #[pyo3(signature = (token, tool, domain=None, proof=None, method=None, url=None))]
    fn new(
        token: &Bound<'_, PyAny>,
        tool: &Bound<'_, PyAny>,
        domain: Option<&Bound<'_, PyAny>>,
        proof: Option<&Bound<'_, PyAny>>,
        method: Option<&Bound<'_, PyAny>>,
        url: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(PyAipRequest {
            token: str_arg(token, "token")?,
            tool: str_arg(tool, "tool")?,
            domain: opt_str_arg(domain, "domain")?,
            proof: opt_str_arg(proof, "proof")?,
            method: opt_str_arg(method, "method")?,
            url: opt_str_arg(url, "url")?,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Request(tool={:?}, domain={:?}, proof={})",
            self.tool,
            self.domain,
            if self.proof.is_some() { "..." } else { "None" }
        )
    }
}

/// The outcome of one AIP request.
#[pyclass(module = "chainproof._native", name = "AipVerdict", frozen)]
pub struct PyAipVerdict {
    inner: AipVerdict,
}

#[pymethods]
impl PyAipVerdict {
    /// Whether the request was accepted.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// The `aip_*` code, `None` when accepted.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.inner.reason().map(AipReason::code)
    }

    /// 401 or 403 as `aip_mcp` maps the code; `None` when accepted.
    #[getter]
    fn http_status(&self) -> Option<u16> {
        self.inner.http_status()
    }

    /// The index of the offending link, when known.
    #[getter]
    fn link(&self) -> Option<usize> {
        self.inner.link()
    }

    /// A message for people.
    #[getter]
    fn message(&self) -> &str {
        self.inner.message()
    }

    /// On acceptance, the chain as data; otherwise `None`.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.inner {
            AipVerdict::Accepted(e) => Ok(Some(json_to_py(py, &e.to_json())?)),
            AipVerdict::Refused(_) => Ok(None),
        }
    }

    /// The verdict as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ok", self.ok())?;
        d.set_item("reason", self.reason())?;
        d.set_item("http_status", self.http_status())?;
        d.set_item("link", self.link())?;
        d.set_item("message", self.message())?;
        d.set_item("evidence", self.evidence(py)?)?;
        Ok(d)
    }

    /// The verdict as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let dict = self.to_dict(py)?;
        json_module(py)?.call_method1("dumps", (dict,))?.extract()
    }

    fn __bool__(&self) -> bool {
        self.inner.ok()
    }

    fn __repr__(&self) -> String {
        match self.inner.reason() {
            None => "Verdict(ok=True)".to_string(),
            Some(r) => format!(
                "Verdict(ok=False, reason={:?}, link={}, message={:?})",
                r.code(),
                self.inner
                    .link()
                    .map_or("None".to_string(), |l| l.to_string()),
                self.inner.message()
            ),
        }
    }
}

/// Requests converted and verified at a time by `verify_batch`: enough for
/// full signature batches on every thread, few enough to bound memory.
const REQUESTS_PER_PART: usize = 4096;

/// Verifies AIP tokens natively with the reference SDK's verdicts.
#[pyclass(module = "chainproof._native", name = "AipVerifier", frozen)]
pub struct PyAipVerifier {
    inner: Arc<AipVerifier>,
}

fn issuers_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<HashMap<String, [u8; 32]>> {
    let mut out = HashMap::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(out);
    };
    let dict = obj.cast::<PyDict>().map_err(|_| {
        type_error(
            "trusted_issuers",
            "a dict of issuer id to PublicKey or bytes",
            obj,
        )
    })?;
    for (k, v) in dict.iter() {
        let issuer = str_arg(&k, "trusted_issuers key")?;
        out.insert(issuer, public_key_arg(&v, "trusted_issuers value")?);
    }
    Ok(out)
}

fn link_cache_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(DEFAULT_LINK_CACHE);
    };
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(if b.is_true() { DEFAULT_LINK_CACHE } else { 0 });
    }
    if obj.is_instance_of::<PyInt>() {
        return usize::try_from(u64_arg(obj, "link_cache")?)
            .map_err(|_| invalid("link_cache too large"));
    }
    Err(type_error("link_cache", "a bool or a capacity (int)", obj))
}

fn usize_arg(obj: Option<&Bound<'_, PyAny>>, name: &str, default: usize) -> PyResult<usize> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(default),
        Some(o) => {
            usize::try_from(u64_arg(o, name)?).map_err(|_| invalid(format!("{name} too large")))
        }
    }
}

fn request_item(item: &Bound<'_, PyAny>) -> PyResult<AipRequest> {
    if let Ok(r) = item.cast::<PyAipRequest>() {
        return Ok(r.get().to_core());
    }
    let bad = || type_error("items", "(token, tool[, domain]) tuples or Request", item);
    let tuple = item.cast::<PyTuple>().map_err(|_| bad())?;
    let (token, tool, domain) = match tuple.len() {
        2 => (tuple.get_item(0)?, tuple.get_item(1)?, None),
        3 => (
            tuple.get_item(0)?,
            tuple.get_item(1)?,
            Some(tuple.get_item(2)?),
        ),
        _ => return Err(bad()),
    };
    Ok(AipRequest {
        token: str_arg(&token, "token")?,
        tool: str_arg(&tool, "tool")?,
        domain: opt_str_arg(domain.as_ref(), "domain")?,
        ..AipRequest::default()
    })
}

#[pymethods]
impl PyAipVerifier {
    #[new]
    #[pyo3(signature = (trusted_issuers=None, *, resolve_key_ids=true, require_proof=false,
        audience=None, revoked_jtis=None, revoked_keys=None, replay_cache=None, proof_max_age=None,
        link_cache=None, threads=None, max_token_bytes=None, max_links=None, max_json_depth=None,
        max_json_values=None, max_list_len=None, max_proof_bytes=None, max_batch=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        trusted_issuers: Option<&Bound<'_, PyAny>>,
        resolve_key_ids: bool,
        require_proof: bool,
        audience: Option<&Bound<'_, PyAny>>,
        revoked_jtis: Option<&Bound<'_, PyAny>>,
        revoked_keys: Option<&Bound<'_, PyAny>>,
        replay_cache: Option<&Bound<'_, PyAny>>,
        proof_max_age: Option<&Bound<'_, PyAny>>,
        link_cache: Option<&Bound<'_, PyAny>>,
        threads: Option<&Bound<'_, PyAny>>,
        max_token_bytes: Option<&Bound<'_, PyAny>>,
        max_links: Option<&Bound<'_, PyAny>>,
        max_json_depth: Option<&Bound<'_, PyAny>>,
        max_json_values: Option<&Bound<'_, PyAny>>,
        max_list_len: Option<&Bound<'_, PyAny>>,
        max_proof_bytes: Option<&Bound<'_, PyAny>>,
        max_batch: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let d = AipLimits::default();
        let limits = AipLimits {
            max_token_bytes: usize_arg(max_token_bytes, "max_token_bytes", d.max_token_bytes)?,
            max_links: usize_arg(max_links, "max_links", d.max_links)?,
            max_json_depth: usize_arg(max_json_depth, "max_json_depth", d.max_json_depth)?,
            max_json_values: usize_arg(max_json_values, "max_json_values", d.max_json_values)?,
            max_list_len: usize_arg(max_list_len, "max_list_len", d.max_list_len)?,
            max_proof_bytes: usize_arg(max_proof_bytes, "max_proof_bytes", d.max_proof_bytes)?,
            max_batch: usize_arg(max_batch, "max_batch", d.max_batch)?,
        };
        let mut policy = AipPolicy::new(issuers_arg(trusted_issuers)?);
        policy.resolve_key_ids = resolve_key_ids;
        policy.require_proof = require_proof;
        policy.audience = opt_str_arg(audience, "audience")?;
        if let Some(age) = proof_max_age.filter(|o| !o.is_none()) {
            policy.proof_max_age = u64_arg(age, "proof_max_age")?;
        }
        policy.limits = limits;
        let threads = match threads.filter(|t| !t.is_none()) {
            None => None,
            Some(t) => Some(
                usize::try_from(u64_arg(t, "threads")?)
                    .map_err(|_| invalid("threads too large"))?,
            ),
        };
        let verifier = AipVerifier::new(
            policy,
            replay_cache_arg(replay_cache)?,
            link_cache_arg(link_cache)?,
            threads,
        )
        .py()?;
        if let Some(jtis) = revoked_jtis.filter(|o| !o.is_none()) {
            if jtis.is_instance_of::<PyString>() {
                return Err(type_error("revoked_jtis", "an iterable of str", jtis));
            }
            for jti in jtis.try_iter()? {
                verifier.revoke_jti(str_arg(&jti?, "revoked_jtis")?);
            }
        }
        if let Some(keys) = revoked_keys.filter(|o| !o.is_none()) {
            for key in keys.try_iter()? {
                verifier.revoke_key(public_key_arg(&key?, "revoked_keys")?);
            }
        }
        Ok(PyAipVerifier {
            inner: Arc::new(verifier),
        })
    }

    /// Verifies one request.
    #[pyo3(signature = (token, tool, domain=None, now=None, *, proof=None, method=None, url=None))]
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        tool: &Bound<'_, PyAny>,
        domain: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        proof: Option<&Bound<'_, PyAny>>,
        method: Option<&Bound<'_, PyAny>>,
        url: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAipVerdict> {
        let req = AipRequest {
            token: str_arg(token, "token")?,
            tool: str_arg(tool, "tool")?,
            domain: opt_str_arg(domain, "domain")?,
            proof: opt_str_arg(proof, "proof")?,
            method: opt_str_arg(method, "method")?,
            url: opt_str_arg(url, "url")?,
        };
        let now = now_arg(now)?;
        let verifier = self.inner.clone();
        let inner = without_gil(py, move || verifier.verify(req, now));
        Ok(PyAipVerdict { inner })
    }

    /// Verifies many requests: `(token, tool)`, `(token, tool, domain)` or
    /// `Request` items; one verdict per item, in order.
    #[pyo3(signature = (items, now=None))]
    fn verify_batch(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyAipVerdict>> {
        let now = now_arg(now)?;
        let iter = items
            .try_iter()
            .map_err(|_| type_error("items", "an iterable of requests", items))?;
        let mut pending = Vec::with_capacity(items.len().unwrap_or(0));
        for item in iter {
            pending.push(item?);
        }
        if let Some(refused) = self.inner.start_batch(pending.len()) {
            return Ok(refused
                .into_iter()
                .map(|inner| PyAipVerdict { inner })
                .collect());
        }
        // In parts, so that one part's parsed links are alive at a time.
        let mut verdicts = Vec::with_capacity(pending.len());
        for part in pending.chunks(REQUESTS_PER_PART) {
            let requests = part
                .iter()
                .map(request_item)
                .collect::<PyResult<Vec<_>>>()?;
            let verifier = self.inner.clone();
            let part_verdicts = without_gil(py, move || verifier.verify_part(requests, now));
            verdicts.extend(
                part_verdicts
                    .into_iter()
                    .map(|inner| PyAipVerdict { inner }),
            );
        }
        Ok(verdicts)
    }

    /// Revokes a link `jti`.
    fn revoke_jti(&self, jti: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.revoke_jti(str_arg(jti, "jti")?);
        Ok(())
    }

    /// Revokes a key, as root key or as any link's holder key.
    fn revoke_key(&self, key: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.revoke_key(public_key_arg(key, "key")?);
        Ok(())
    }

    /// Forgets every cached link signature.
    fn clear_caches(&self) {
        self.inner.clear_caches();
    }

    /// Counters: `calls`, `requests`, `accepted`, `refused` (every code to
    /// its count), `signatures_checked`, `link_cache_hits`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("calls", s.calls)?;
        d.set_item("requests", s.requests)?;
        d.set_item("accepted", s.accepted)?;
        let refused = PyDict::new(py);
        for (reason, n) in s.refused {
            refused.set_item(reason.code(), n)?;
        }
        d.set_item("refused", refused)?;
        d.set_item("signatures_checked", s.signatures_checked)?;
        d.set_item("link_cache_hits", s.link_cache_hits)?;
        Ok(d)
    }

    /// The number of worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    fn __repr__(&self) -> String {
        let p = self.inner.policy();
        format!(
            "aip.Verifier(trusted_issuers={}, require_proof={}, audience={:?}, threads={})",
            p.trusted_issuers.len(),
            p.require_proof,
            p.audience,
            self.inner.threads()
        )
    }
}

fn value_to_py<'py>(py: Python<'py>, v: &Value<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(Int::Small(i)) => i.into_pyobject(py)?.into_any(),
        Value::Int(big) => py.get_type::<PyInt>().call1((big.to_string(),))?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (k, v) in members {
                dict.set_item(k.as_ref(), value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// The links of a token decoded WITHOUT verification: a list of dicts with
/// `header`, `claims` and `signature` (bytes). Raises `DecodeError`.
#[pyfunction]
pub fn aip_inspect<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let token = str_arg(token, "token")?;
    let links = decode_links(&token, &AipLimits::default()).py()?;
    let out = PyList::empty(py);
    let limits = ParseLimits::default();
    for (i, link) in links.iter().enumerate() {
        let not_json = |what: &str, e: chainproof_core::json_parse::ParseError| {
            crate::errors::to_pyerr(chainproof_core::Error::Malformed(format!(
                "link {i} {what} is not JSON: {e}"
            )))
        };
        let header = parse_lenient(&link.header, limits).map_err(|e| not_json("header", e))?;
        let claims = parse_lenient(&link.payload, limits).map_err(|e| not_json("payload", e))?;
        let d = PyDict::new(py);
        d.set_item("header", value_to_py(py, &header)?)?;
        d.set_item("claims", value_to_py(py, &claims)?)?;
        d.set_item("signature", pyo3::types::PyBytes::new(py, &link.signature))?;
        out.append(d)?;
    }
    Ok(out)
}

/// Every AIP code, in check order.
#[pyfunction]
pub fn aip_reason_codes() -> Vec<&'static str> {
    AipReason::ALL.iter().map(|r| r.code()).collect()
}

/// Signs a DPoP proof of possession of `holder` for `token`.
#[pyfunction]
#[pyo3(signature = (holder, token, *, method=None, url=None, tool=None, iat=None, jti=None))]
#[allow(clippy::too_many_arguments)]
pub fn aip_make_proof(
    holder: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    method: Option<&Bound<'_, PyAny>>,
    url: Option<&Bound<'_, PyAny>>,
    tool: Option<&Bound<'_, PyAny>>,
    iat: Option<&Bound<'_, PyAny>>,
    jti: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let holder = holder
        .cast::<PySigningKey>()
        .map_err(|_| type_error("holder", "SigningKey", holder))?;
    let claims = ProofClaims {
        method: opt_str_arg(method, "method")?,
        url: opt_str_arg(url, "url")?,
        tool: opt_str_arg(tool, "tool")?,
        iat: now_arg(iat)?,
        jti: opt_str_arg(jti, "jti")?,
    };
    dpop::make(&holder.get().inner, &str_arg(token, "token")?, &claims).py()
}

//! Tokens and invocations: minting, encoding, decoding, inspection.

use std::sync::Arc;

use chainproof_core::evidence::{chain_json, hex, invocation_fields};
use chainproof_core::invocation::Invocation;
use chainproof_core::mint::{self, BlockSpec, InvocationSpec};
use chainproof_core::token::{sha256, Token};
use chainproof_core::Limits;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::{
    args_arg, bytes_arg, capabilities_arg, json_to_py, now_or_clock, opt_str_arg, public_key_arg,
    str_arg, str_list_arg, u64_arg,
};
use crate::errors::{invalid, type_error, IntoPyResult};
use crate::keys::{PyPublicKey, PySigningKey};

fn opt<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// Resolves `expires_at` / `expires_in` (exactly one, or a default).
fn expiry(
    expires_at: Option<&Bound<'_, PyAny>>,
    expires_in: Option<&Bound<'_, PyAny>>,
    now: u64,
    default: Option<u64>,
) -> PyResult<u64> {
    match (opt(expires_at), opt(expires_in)) {
        (Some(_), Some(_)) => Err(invalid("give expires_at or expires_in, not both")),
        (Some(at), None) => u64_arg(at, "expires_at"),
        (None, Some(within)) => now
            .checked_add(u64_arg(within, "expires_in")?)
            .ok_or_else(|| invalid("expires_in is too large")),
        (None, None) => default.ok_or_else(|| invalid("expires_at or expires_in is required")),
    }
}

fn block_id_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<[u8; 16]>> {
    match opt(obj) {
        None => Ok(None),
        Some(o) => {
            let raw = bytes_arg(o, "block_id")?;
            <[u8; 16]>::try_from(raw.as_slice())
                .map(Some)
                .map_err(|_| invalid("block_id is 16 bytes"))
        }
    }
}

/// Bytes or text in, with the kind's text prefix deciding the form.
pub enum Encoded {
    /// The binary form.
    Binary(Vec<u8>),
    /// The text form.
    Text(String),
}

/// Reads `str` (text form) or bytes (binary form, or text form as ASCII).
pub fn encoded_arg(obj: &Bound<'_, PyAny>, name: &str, prefix: &str) -> PyResult<Encoded> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Encoded::Text(s.to_str()?.to_string()));
    }
    let raw = bytes_arg(obj, name).map_err(|_| type_error(name, "str or bytes", obj))?;
    if raw.starts_with(prefix.as_bytes()) {
        let text = String::from_utf8(raw)
            .map_err(|_| crate::errors::DecodeError::new_err("invalid text form"))?;
        return Ok(Encoded::Text(text));
    }
    Ok(Encoded::Binary(raw))
}

/// A delegation token: blocks, root first.
#[pyclass(module = "chainproof._native", name = "Token", frozen)]
pub struct PyToken {
    pub inner: Arc<Token>,
}

#[pymethods]
impl PyToken {
    /// Issues a root token, signed by `root_key`, to `subject`.
    #[staticmethod]
    #[pyo3(signature = (root_key, *, subject, capabilities, purpose, audiences, principal,
        expires_at=None, expires_in=None, not_before=None, max_depth=None, subject_id=None,
        reason=None, block_id=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn issue(
        root_key: &Bound<'_, PySigningKey>,
        subject: &Bound<'_, PyAny>,
        capabilities: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        audiences: &Bound<'_, PyAny>,
        principal: &Bound<'_, PyAny>,
        expires_at: Option<&Bound<'_, PyAny>>,
        expires_in: Option<&Bound<'_, PyAny>>,
        not_before: Option<&Bound<'_, PyAny>>,
        max_depth: Option<&Bound<'_, PyAny>>,
        subject_id: Option<&Bound<'_, PyAny>>,
        reason: Option<&Bound<'_, PyAny>>,
        block_id: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let limits = Limits::default();
        let now = now_or_clock(now)?;
        let spec = BlockSpec {
            subject: public_key_arg(subject, "subject")?,
            subject_id: opt_str_arg(subject_id, "subject_id")?,
            capabilities: capabilities_arg(capabilities, &limits)?,
            purpose: str_arg(purpose, "purpose")?,
            not_before: opt(not_before).map_or(Ok(now), |n| u64_arg(n, "not_before"))?,
            expires: expiry(expires_at, expires_in, now, None)?,
            depth: opt(max_depth).map_or(Ok(0), |d| u64_arg(d, "max_depth"))?,
            audiences: str_list_arg(audiences, "audiences")?,
            block_id: block_id_arg(block_id)?,
            reason: opt_str_arg(reason, "reason")?,
            principal: Some(str_arg(principal, "principal")?),
        };
        let token = mint::issue(&root_key.get().inner, spec, &limits).py()?;
        Ok(PyToken {
            inner: Arc::new(token),
        })
    }

    /// A new token with one more block, signed by `holder_key` (the current
    /// holder), granting `subject` what is given; omitted fields keep the
    /// parent's values (and `max_depth` its parent's minus one). With
    /// `check` (the default) the hop is refused with `RefusedError` if a
    /// verifier would refuse it.
    #[pyo3(signature = (holder_key, *, subject, capabilities=None, purpose=None, audiences=None,
        expires_at=None, expires_in=None, not_before=None, max_depth=None, subject_id=None,
        reason=None, block_id=None, principal=None, check=true, strict=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn delegate(
        &self,
        holder_key: &Bound<'_, PySigningKey>,
        subject: &Bound<'_, PyAny>,
        capabilities: Option<&Bound<'_, PyAny>>,
        purpose: Option<&Bound<'_, PyAny>>,
        audiences: Option<&Bound<'_, PyAny>>,
        expires_at: Option<&Bound<'_, PyAny>>,
        expires_in: Option<&Bound<'_, PyAny>>,
        not_before: Option<&Bound<'_, PyAny>>,
        max_depth: Option<&Bound<'_, PyAny>>,
        subject_id: Option<&Bound<'_, PyAny>>,
        reason: Option<&Bound<'_, PyAny>>,
        block_id: Option<&Bound<'_, PyAny>>,
        principal: Option<&Bound<'_, PyAny>>,
        check: bool,
        strict: bool,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let limits = Limits::default();
        let now = now_or_clock(now)?;
        let parent = self.inner.leaf().body();
        let spec = BlockSpec {
            subject: public_key_arg(subject, "subject")?,
            subject_id: opt_str_arg(subject_id, "subject_id")?,
            capabilities: match opt(capabilities) {
                Some(c) => capabilities_arg(c, &limits)?,
                None => parent.capabilities.clone(),
            },
            purpose: match opt(purpose) {
                Some(p) => str_arg(p, "purpose")?,
                None => parent.purpose.as_str().to_string(),
            },
            not_before: opt(not_before)
                .map_or(Ok(parent.not_before), |n| u64_arg(n, "not_before"))?,
            expires: expiry(expires_at, expires_in, now, Some(parent.expires))?,
            depth: opt(max_depth).map_or(Ok(parent.depth.saturating_sub(1)), |d| {
                u64_arg(d, "max_depth")
            })?,
            audiences: match opt(audiences) {
                Some(a) => str_list_arg(a, "audiences")?,
                None => parent.audiences.clone(),
            },
            block_id: block_id_arg(block_id)?,
            reason: opt_str_arg(reason, "reason")?,
            principal: opt_str_arg(principal, "principal")?,
        };
        let token = mint::delegate(
            &self.inner,
            &holder_key.get().inner,
            spec,
            &limits,
            check,
            strict,
        )
        .py()?;
        Ok(PyToken {
            inner: Arc::new(token),
        })
    }

    /// Signs an invocation of this token by its holder. `request` (bytes)
    /// is the full request to bind; without it the digest covers `args`.
    #[pyo3(signature = (holder_key, *, audience, action, resource, args=None, request=None,
        issued_at=None, nonce=None, check=true))]
    #[allow(clippy::too_many_arguments)]
    fn invoke(
        &self,
        holder_key: &Bound<'_, PySigningKey>,
        audience: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
        args: Option<&Bound<'_, PyAny>>,
        request: Option<&Bound<'_, PyAny>>,
        issued_at: Option<&Bound<'_, PyAny>>,
        nonce: Option<&Bound<'_, PyAny>>,
        check: bool,
    ) -> PyResult<PyInvocation> {
        let limits = Limits::default();
        let spec = InvocationSpec {
            audience: str_arg(audience, "audience")?,
            action: str_arg(action, "action")?,
            resource: str_arg(resource, "resource")?,
            args: args_arg(args, &limits)?,
            request_digest: opt(request)
                .map(|r| bytes_arg(r, "request").map(|b| sha256(&b)))
                .transpose()?,
            issued_at: now_or_clock(issued_at)?,
            nonce: opt(nonce).map(|n| bytes_arg(n, "nonce")).transpose()?,
        };
        let inv = mint::invoke(&self.inner, &holder_key.get().inner, spec, &limits, check).py()?;
        Ok(PyInvocation {
            inner: Arc::new(inv),
        })
    }

    /// Decodes a token from its text form (`str`) or binary form (`bytes`).
    #[staticmethod]
    fn decode(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let limits = Limits::default();
        let token = match encoded_arg(data, "data", chainproof_core::text::TOKEN_PREFIX)? {
            Encoded::Text(t) => Token::from_text(&t, &limits),
            Encoded::Binary(b) => Token::decode(&b, &limits),
        }
        .map_err(|f| crate::errors::to_pyerr(f.error))?;
        Ok(PyToken {
            inner: Arc::new(token),
        })
    }

    /// The text form (`cpt1.` + base64url).
    fn encode(&self) -> String {
        self.inner.to_text()
    }

    /// The binary form.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode())
    }

    /// The chain as data (principal, hops, RFC 8693 view).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &chain_json(&self.inner))
    }

    /// The chain as JSON text.
    fn to_json(&self) -> String {
        chain_json(&self.inner).to_text()
    }

    /// Number of delegations (blocks after the root).
    #[getter]
    fn depth(&self) -> usize {
        self.inner.blocks().len() - 1
    }

    /// The current holder's public key (the leaf block's subject).
    #[getter]
    fn holder(&self) -> PyPublicKey {
        PyPublicKey {
            bytes: self.inner.leaf().body().subject,
        }
    }

    /// The root key that signed the first block.
    #[getter]
    fn root_key(&self) -> Option<PyPublicKey> {
        self.inner
            .blocks()
            .first()
            .and_then(|b| b.body().issuer)
            .map(|bytes| PyPublicKey { bytes })
    }

    /// The block ids, root first (16 bytes each; the handles for revocation).
    #[getter]
    fn block_ids<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.inner
            .blocks()
            .iter()
            .map(|b| PyBytes::new(py, &b.body().block_id))
            .collect()
    }

    /// SHA-256 of the leaf block's signed bytes (what invocations bind to).
    #[getter]
    fn tip_hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.leaf().hash())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyToken>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        let h = self.inner.leaf().hash();
        u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    }

    fn __repr__(&self) -> String {
        format!(
            "Token(depth={}, tip={})",
            self.inner.blocks().len() - 1,
            &hex(self.inner.leaf().hash())[..16]
        )
    }
}

/// An invocation: the holder's signed statement of one request.
#[pyclass(module = "chainproof._native", name = "Invocation", frozen)]
pub struct PyInvocation {
    pub inner: Arc<Invocation>,
}

#[pymethods]
impl PyInvocation {
    /// Decodes an invocation from its text form (`str`) or binary form (`bytes`).
    #[staticmethod]
    fn decode(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let limits = Limits::default();
        let inv = match encoded_arg(data, "data", chainproof_core::text::INVOCATION_PREFIX)? {
            Encoded::Text(t) => Invocation::from_text(&t, &limits),
            Encoded::Binary(b) => Invocation::decode(&b, &limits),
        }
        .py()?;
        Ok(PyInvocation {
            inner: Arc::new(inv),
        })
    }

    /// The text form (`cpi1.` + base64url).
    fn encode(&self) -> String {
        self.inner.to_text()
    }

    /// The binary form.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode())
    }

    /// The receiving service.
    #[getter]
    fn audience(&self) -> String {
        self.inner.body().audience.clone()
    }

    /// The requested action.
    #[getter]
    fn action(&self) -> String {
        self.inner.body().action.clone()
    }

    /// The resource acted on.
    #[getter]
    fn resource(&self) -> String {
        self.inner.body().resource.as_str().to_string()
    }

    /// When the holder made the request.
    #[getter]
    fn issued_at(&self) -> u64 {
        self.inner.body().issued_at
    }

    /// The nonce.
    #[getter]
    fn nonce<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body().nonce)
    }

    /// The invocation's fields as data (the holder is not known without the
    /// token, so it is left out).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &invocation_fields(&self.inner))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyInvocation>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        let b = self.inner.body();
        format!(
            "Invocation(audience={:?}, action={:?}, resource={:?})",
            b.audience,
            b.action,
            b.resource.as_str()
        )
    }
}

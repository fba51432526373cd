//! `Verdict`: the outcome of one verification, as Python sees it.
//!
//! An accepted verdict does not keep the decoded token and invocation (about
//! ten times the size of their encodings): it keeps what the caller passed
//! in when that cannot change (a `str`, a `bytes`, a `Token` or `Invocation`
//! object) and decodes it again, under the verifier's limits, only when the
//! evidence is asked for. Inputs that could change after the call (a
//! `bytearray`, a `memoryview`) keep the decoded form, so evidence always
//! describes exactly the bytes that were verified. A batch of 100,000
//! accepted requests therefore costs little more than its input.

use std::sync::Arc;

use chainproof_core::evidence::evidence_json;
use chainproof_core::invocation::Invocation;
use chainproof_core::token::Token;
use chainproof_core::verdict::{Refusal, Verdict};
use chainproof_core::verifier::{InvocationInput, TokenInput};
use chainproof_core::Limits;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString};

use crate::convert::json_to_py;
use crate::errors::IntoPyResult;
use crate::token::{PyInvocation, PyToken};
use crate::verifier::{invocation_input, token_input};

/// Where the evidence of an accepted verdict comes from.
enum Source<T> {
    /// The caller's immutable input, decoded again on demand.
    Object(Py<PyAny>),
    /// The decoded form (shared with a `Token`/`Invocation` object, or kept
    /// because the input could change).
    Decoded(Arc<T>),
}

enum Outcome {
    Accepted {
        token: Source<Token>,
        invocation: Source<Invocation>,
        limits: Arc<Limits>,
    },
    Refused(Refusal),
}

/// The outcome of one verification.
#[pyclass(module = "chainproof._native", name = "Verdict", frozen)]
pub struct PyVerdict {
    outcome: Outcome,
}

/// Whether `obj` is an input that cannot change once the call returns.
fn immutable(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyString>() || obj.is_exact_instance_of::<PyBytes>()
}

/// Which decoded forms an accepted verdict must keep for one input pair:
/// decided with the lock held, applied without it by [`Slim::split`].
#[derive(Clone, Copy)]
pub struct Keep {
    token: bool,
    invocation: bool,
}

impl Keep {
    /// The decoded forms worth keeping for these inputs: those shared with
    /// a `Token`/`Invocation` object (free) and those of inputs that could
    /// change after the call.
    pub fn for_inputs(token: &Bound<'_, PyAny>, invocation: &Bound<'_, PyAny>) -> Keep {
        Keep {
            token: token.is_instance_of::<PyToken>() || !immutable(token),
            invocation: invocation.is_instance_of::<PyInvocation>() || !immutable(invocation),
        }
    }
}

/// A verdict without the decoded forms it does not need, built without the
/// lock; what it dropped goes to [`Slim::split`]'s garbage.
pub enum Slim {
    /// Accepted, with the decoded forms [`Keep`] asked for.
    Accepted(Option<Arc<Token>>, Option<Arc<Invocation>>),
    /// Refused.
    Refused(Refusal),
}

impl Slim {
    /// Slims `verdicts` (one per `keep`, in order); returns them and the
    /// decoded forms no longer needed, for the caller to free elsewhere.
    pub fn split(verdicts: Vec<Verdict>, keep: &[Keep]) -> (Vec<Slim>, Vec<Verdict>) {
        let mut garbage = Vec::new();
        let slim = verdicts
            .into_iter()
            .zip(keep)
            .map(|(verdict, keep)| match verdict {
                Verdict::Refused(refusal) => Slim::Refused(refusal),
                Verdict::Accepted { token, invocation } => {
                    let kept = Slim::Accepted(
                        keep.token.then(|| Arc::clone(&token)),
                        keep.invocation.then(|| Arc::clone(&invocation)),
                    );
                    garbage.push(Verdict::Accepted { token, invocation });
                    kept
                }
            })
            .collect();
        (slim, garbage)
    }
}

fn source_of<T>(obj: &Bound<'_, PyAny>) -> Source<T> {
    Source::Object(obj.clone().unbind())
}

impl PyVerdict {
    /// The Python verdict for `verdict`, given for the inputs `token` and
    /// `invocation` under `limits`.
    pub fn new(
        verdict: Slim,
        token: &Bound<'_, PyAny>,
        invocation: &Bound<'_, PyAny>,
        limits: &Arc<Limits>,
    ) -> PyVerdict {
        let outcome = match verdict {
            Slim::Refused(refusal) => Outcome::Refused(refusal),
            Slim::Accepted(decoded_token, decoded_invocation) => Outcome::Accepted {
                token: decoded_token.map_or_else(|| source_of(token), Source::Decoded),
                invocation: decoded_invocation
                    .map_or_else(|| source_of(invocation), Source::Decoded),
                limits: Arc::clone(limits),
            },
        };
        PyVerdict { outcome }
    }

    /// A refused verdict that no input backs (a whole batch over the limit).
    pub fn refused(verdict: Verdict) -> PyVerdict {
        let outcome = match verdict {
            Verdict::Refused(refusal) => Outcome::Refused(refusal),
            Verdict::Accepted { .. } => Outcome::Refused(Refusal::whole(
                chainproof_core::verdict::Reason::Malformed,
                "an acceptance without its inputs",
            )),
        };
        PyVerdict { outcome }
    }

    fn as_core(&self) -> Option<&Refusal> {
        match &self.outcome {
            Outcome::Refused(refusal) => Some(refusal),
            Outcome::Accepted { .. } => None,
        }
    }
}

fn decoded_token(py: Python<'_>, source: &Source<Token>, limits: &Limits) -> PyResult<Arc<Token>> {
    match source {
        Source::Decoded(token) => Ok(Arc::clone(token)),
        Source::Object(obj) => match token_input(obj.bind(py))? {
            TokenInput::Decoded(token) => Ok(token),
            TokenInput::Text(text) => Token::from_text(&text, limits)
                .map(Arc::new)
                .map_err(|f| f.error)
                .py(),
            TokenInput::Binary(bytes) => Token::decode(&bytes, limits)
                .map(Arc::new)
                .map_err(|f| f.error)
                .py(),
        },
    }
}

fn decoded_invocation(
    py: Python<'_>,
    source: &Source<Invocation>,
    limits: &Limits,
) -> PyResult<Arc<Invocation>> {
    match source {
        Source::Decoded(invocation) => Ok(Arc::clone(invocation)),
        Source::Object(obj) => match invocation_input(obj.bind(py))? {
            InvocationInput::Decoded(invocation) => Ok(invocation),
            InvocationInput::Text(text) => Invocation::from_text(&text, limits).map(Arc::new).py(),
            InvocationInput::Binary(bytes) => Invocation::decode(&bytes, limits).map(Arc::new).py(),
        },
    }
}

fn json_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static JSON: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    JSON.get_or_try_init(py, || py.import("json").map(|m| m.unbind()))
        .map(|m| m.bind(py))
}

#[pymethods]
impl PyVerdict {
    /// Whether the request was accepted.
    #[getter]
    fn ok(&self) -> bool {
        self.as_core().is_none()
    }

    /// The stable reason code, `None` when accepted.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.as_core().map(|r| r.reason.code())
    }

    /// The index of the hop at fault (the number of blocks for the
    /// invocation), `None` when accepted or when no hop is at fault.
    #[getter]
    fn hop(&self) -> Option<usize> {
        self.as_core().and_then(|r| r.hop)
    }

    /// A message for people.
    #[getter]
    fn message(&self) -> &str {
        self.as_core().map_or("accepted", |r| r.message.as_str())
    }

    /// On acceptance, the chain and the request as data; otherwise `None`.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.outcome {
            Outcome::Accepted {
                token,
                invocation,
                limits,
            } => {
                let token = decoded_token(py, token, limits)?;
                let invocation = decoded_invocation(py, invocation, limits)?;
                Ok(Some(json_to_py(py, &evidence_json(&token, &invocation))?))
            }
            Outcome::Refused(_) => Ok(None),
        }
    }

    /// The verdict as JSON text: `ok`, `reason`, `hop`, `message`, `evidence`.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let dict = self.to_dict(py)?;
        json_module(py)?.call_method1("dumps", (dict,))?.extract()
    }

    /// The verdict as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("ok", self.ok())?;
        d.set_item("reason", self.reason())?;
        d.set_item("hop", self.hop())?;
        d.set_item("message", self.message())?;
        d.set_item("evidence", self.evidence(py)?)?;
        Ok(d)
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    fn __repr__(&self) -> String {
        match self.as_core() {
            None => "Verdict(ok=True)".to_string(),
            Some(r) => format!(
                "Verdict(ok=False, reason={:?}, hop={}, message={:?})",
                r.reason.code(),
                r.hop.map_or("None".to_string(), |h| h.to_string()),
                r.message
            ),
        }
    }
}

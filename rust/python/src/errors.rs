//! The one place where engine errors become Python exceptions.

use chainproof_core::Error;
use pyo3::prelude::*;

pyo3::import_exception!(chainproof.errors, ArgumentTypeError);
pyo3::import_exception!(chainproof.errors, DecodeError);
pyo3::import_exception!(chainproof.errors, LimitExceededError);
pyo3::import_exception!(chainproof.errors, InvalidKeyError);
pyo3::import_exception!(chainproof.errors, InvalidArgumentError);
pyo3::import_exception!(chainproof.errors, RandomnessError);
pyo3::import_exception!(chainproof.errors, RefusedError);

/// Converts an engine error into the matching `chainproof.errors` class.
pub fn to_pyerr(error: Error) -> PyErr {
    match error {
        Error::Malformed(m) => DecodeError::new_err(m),
        Error::LimitExceeded(m) => LimitExceededError::new_err(m),
        Error::InvalidKey(m) => InvalidKeyError::new_err(m),
        Error::InvalidArgument(m) => InvalidArgumentError::new_err(m),
        Error::Randomness(m) => RandomnessError::new_err(m),
        Error::Refused(r) => RefusedError::new_err((r.message, r.reason.code(), r.hop)),
    }
}

/// A wrong Python type for a named argument.
pub fn type_error(name: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let got = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string());
    ArgumentTypeError::new_err(format!("{name} must be {expected}, not {got}"))
}

/// A well-typed argument with an unacceptable value.
pub fn invalid(message: impl Into<String>) -> PyErr {
    InvalidArgumentError::new_err(message.into())
}

/// Extension for results of the engine.
pub trait IntoPyResult<T> {
    /// Maps the engine error through [`to_pyerr`].
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}

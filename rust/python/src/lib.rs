//! PyO3 binding of chainproof-core, importable as `chainproof._native`.
//!
//! Only type conversion, lock release and error mapping live here; every
//! rule is in the core crate.
#![forbid(unsafe_code)]

mod aip;
mod convert;
mod errors;
mod gil;
mod keys;
mod raw;
mod token;
mod verdict;
mod verifier;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<keys::PyPublicKey>()?;
    m.add_class::<keys::PySigningKey>()?;
    m.add_class::<token::PyToken>()?;
    m.add_class::<token::PyInvocation>()?;
    m.add_class::<verifier::PyVerifier>()?;
    m.add_class::<verdict::PyVerdict>()?;
    m.add_class::<verifier::PyLimits>()?;
    m.add_function(wrap_pyfunction!(keys::verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(raw::verify_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(keys::clear_key_cache, m)?)?;
    m.add_function(wrap_pyfunction!(verifier::reason_codes, m)?)?;
    m.add_class::<aip::PyAipVerifier>()?;
    m.add_class::<aip::PyAipVerdict>()?;
    m.add_class::<aip::PyAipRequest>()?;
    m.add_function(wrap_pyfunction!(aip::aip_inspect, m)?)?;
    m.add_function(wrap_pyfunction!(aip::aip_reason_codes, m)?)?;
    m.add_function(wrap_pyfunction!(aip::aip_make_proof, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

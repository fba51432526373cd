//! The one helper through which every long native call releases the
//! Python lock.

use pyo3::marker::Ungil;
use pyo3::prelude::*;

/// Runs `work` with the Python lock released, so other Python threads run
/// while the engine verifies. `work` must own its inputs (no borrowed
/// Python objects cross into it).
pub fn without_gil<T, F>(py: Python<'_>, work: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    py.detach(work)
}

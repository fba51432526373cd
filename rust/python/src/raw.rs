//! `verify_signatures`: raw Ed25519 batches from lists or from contiguous
//! buffers (numpy arrays), without one Python object per signature.

use chainproof_core::crypto::{self, SignatureItem, Threads, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString, PyTuple};

use crate::convert::u64_arg;
use crate::errors::{invalid, type_error, IntoPyResult};
use crate::gil::without_gil;

/// Byte strings of one input: borrowed from `bytes` objects (which cannot
/// change), or copied out of anything mutable before the lock is released.
enum Rows {
    /// One object per row.
    Objects(Vec<PyBackedBytes>),
    /// `count` rows of `width` bytes, back to back.
    Packed { data: Vec<u8>, width: usize },
    /// Rows of varying length in one buffer, delimited by offsets.
    Offsets {
        data: PyBackedBytes,
        offsets: Vec<usize>,
    },
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::Objects(rows) => rows.len(),
            Rows::Packed { data, width } => data.len() / width,
            Rows::Offsets { offsets, .. } => offsets.len().saturating_sub(1),
        }
    }

    fn row(&self, index: usize) -> &[u8] {
        let row = match self {
            Rows::Objects(rows) => rows.get(index).map(|r| &r[..]),
            Rows::Packed { data, width } => data.get(index * width..(index + 1) * width),
            Rows::Offsets { data, offsets } => match (offsets.get(index), offsets.get(index + 1)) {
                (Some(&start), Some(&end)) => data.get(start..end),
                _ => None,
            },
        };
        // Lengths and offsets were validated when the rows were built.
        row.unwrap_or_default()
    }

    fn is_buffer(&self) -> bool {
        !matches!(self, Rows::Objects(_))
    }
}

/// A list or tuple of byte strings.
fn object_rows(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Rows> {
    let items = obj
        .try_iter()
        .map_err(|_| type_error(name, "a sequence of bytes or a uint8 array", obj))?;
    items
        .map(|item| {
            let item = item?;
            if item.is_instance_of::<PyBytes>() || item.is_instance_of::<PyByteArray>() {
                item.extract::<PyBackedBytes>()
                    .map_err(|_| type_error(name, "bytes", &item))
            } else if item.is_instance_of::<pyo3::types::PyMemoryView>() {
                item.call_method0("tobytes")?
                    .extract::<PyBackedBytes>()
                    .map_err(|_| type_error(name, "bytes", &item))
            } else {
                Err(type_error(name, "bytes", &item))
            }
        })
        .collect::<PyResult<Vec<_>>>()
        .map(Rows::Objects)
}

/// Keys or signatures: a sequence of byte strings, or a C-contiguous uint8
/// array of shape (n, `width`), copied once.
fn fixed_rows(obj: &Bound<'_, PyAny>, name: &str, width: usize) -> PyResult<Rows> {
    if is_bytes_like(obj) {
        // One byte string is not n keys, however many bytes it has.
        return Err(type_error(
            name,
            "a sequence of bytes or a uint8 array",
            obj,
        ));
    }
    let Some(buffer) = uint8_buffer(obj, name)? else {
        return object_rows(obj, name);
    };
    let shape = buffer.shape();
    if shape.len() != 2 || shape.get(1) != Some(&width) {
        return Err(invalid(format!(
            "{name} must have shape (n, {width}), got {shape:?}"
        )));
    }
    Ok(Rows::Packed {
        data: buffer.to_vec(obj.py())?,
        width,
    })
}

/// Messages: a sequence of byte strings, or one buffer cut by `offsets`.
fn message_rows(obj: &Bound<'_, PyAny>, offsets: Option<&Bound<'_, PyAny>>) -> PyResult<Rows> {
    let offsets = offsets.filter(|o| !o.is_none());
    let buffer = if obj.is_instance_of::<PyBytes>() {
        None
    } else {
        uint8_buffer(obj, "messages")?
    };
    let Some(offsets) = offsets else {
        if buffer.is_some() || obj.is_instance_of::<PyBytes>() {
            return Err(type_error(
                "messages",
                "a sequence of bytes, or one buffer with offsets",
                obj,
            ));
        }
        return object_rows(obj, "messages");
    };
    let data: PyBackedBytes = match buffer {
        // bytes cannot change: borrowed.
        None if obj.is_instance_of::<PyBytes>() => obj.extract()?,
        None => return Err(invalid("offsets applies only when messages is one buffer")),
        // Anything else may change under us once the lock is released.
        Some(buffer) => {
            if buffer.dimensions() != 1 {
                return Err(invalid("messages must be a one-dimensional buffer"));
            }
            PyBytes::new(obj.py(), &buffer.to_vec(obj.py())?).extract()?
        }
    };
    let offsets = offsets_arg(offsets)?;
    let well_formed = offsets.first() == Some(&0)
        && offsets.last() == Some(&data.len())
        && offsets.windows(2).all(|w| w[0] <= w[1]);
    if !well_formed {
        return Err(invalid(format!(
            "offsets must start at 0, never decrease and end at the length of messages ({})",
            data.len()
        )));
    }
    Ok(Rows::Offsets { data, offsets })
}

/// n + 1 offsets from a list of ints or an integer array.
fn offsets_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let list = if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        obj.clone()
    } else {
        // Any integer dtype: numpy converts exactly or raises.
        obj.call_method0("tolist")
            .map_err(|_| type_error("offsets", "a sequence of int", obj))?
    };
    list.try_iter()?
        .map(|o| {
            let o = o?;
            usize::try_from(u64_arg(&o, "offsets")?).map_err(|_| invalid("offset too large"))
        })
        .collect()
}

fn is_bytes_like(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyString>()
}

/// The object's buffer if it exposes one (`None` for lists, iterators and
/// other objects without the buffer protocol); an error if it exposes one
/// that is not C-contiguous bytes.
fn uint8_buffer(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<PyBuffer<u8>>> {
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Ok(None);
    }
    if obj.is_instance_of::<PyString>() {
        return Err(type_error(
            name,
            "a sequence of bytes or a uint8 array",
            obj,
        ));
    }
    let Ok(buffer) = PyBuffer::<u8>::get(obj) else {
        // No buffer of bytes: a plain iterable, or a buffer of another
        // item type, which must not be read as bytes.
        if PyBuffer::<i8>::get(obj).is_ok() || obj.hasattr("__array_interface__")? {
            return Err(type_error(name, "a uint8 array", obj));
        }
        return Ok(None);
    };
    if !buffer.is_c_contiguous() {
        return Err(invalid(format!("{name} must be C-contiguous")));
    }
    Ok(Some(buffer))
}

/// Strict-cofactored batch verification: one bool per signature, in order,
/// equal to what `verify_signature` gives each.
#[pyfunction]
#[pyo3(signature = (public_keys, messages, signatures, *, offsets=None, threads=None))]
pub fn verify_signatures(
    py: Python<'_>,
    public_keys: &Bound<'_, PyAny>,
    messages: &Bound<'_, PyAny>,
    signatures: &Bound<'_, PyAny>,
    offsets: Option<&Bound<'_, PyAny>>,
    threads: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let keys = fixed_rows(public_keys, "public_keys", PUBLIC_KEY_LEN)?;
    let messages = message_rows(messages, offsets)?;
    let signatures = fixed_rows(signatures, "signatures", SIGNATURE_LEN)?;
    if keys.len() != messages.len() || keys.len() != signatures.len() {
        return Err(invalid(format!(
            "public_keys, messages and signatures differ in length ({}, {}, {})",
            keys.len(),
            messages.len(),
            signatures.len()
        )));
    }
    let threads = match threads.filter(|t| !t.is_none()) {
        None => Threads::AllCores,
        Some(t) => Threads::Exactly(
            usize::try_from(u64_arg(t, "threads")?).map_err(|_| invalid("threads too large"))?,
        ),
    };
    let as_array = keys.is_buffer() || messages.is_buffer() || signatures.is_buffer();
    let verdicts = without_gil(py, move || {
        let items: Vec<SignatureItem<'_>> = (0..keys.len())
            .map(|i| SignatureItem {
                public_key: keys.row(i),
                signature: signatures.row(i),
                domain: b"",
                body: messages.row(i),
            })
            .collect();
        crypto::verify_batch_on(&items, threads)
    })
    .py()?;
    if as_array {
        let flags: Vec<u8> = verdicts.iter().map(|&ok| u8::from(ok)).collect();
        let numpy = py.import("numpy")?;
        let array = numpy.call_method1("frombuffer", (PyByteArray::new(py, &flags), "bool"))?;
        Ok(array.unbind())
    } else {
        Ok(verdicts.into_pyobject(py)?.into_any().unbind())
    }
}

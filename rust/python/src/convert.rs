//! Conversions between Python values and engine types.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use chainproof_core::caps::{
    Actions, Capability, Constraint, Number, ResourcePattern, Rule, Value,
};
use chainproof_core::json::Json;
use chainproof_core::Limits;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple, PyType};

use crate::errors::{invalid, type_error, IntoPyResult};
use crate::keys::PyPublicKey;

/// Bytes from `bytes`, `bytearray` or `memoryview`, copied so they can cross
/// into work that runs without the Python lock.
pub fn bytes_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if obj.is_instance_of::<pyo3::types::PyMemoryView>() {
        let b = obj.call_method0("tobytes")?;
        let b = b.cast::<PyBytes>()?;
        return Ok(b.as_bytes().to_vec());
    }
    Err(type_error(name, "bytes", obj))
}

/// A text argument.
pub fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_string()),
        Err(_) => Err(type_error(name, "str", obj)),
    }
}

/// An optional text argument.
pub fn opt_str_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => str_arg(o, name).map(Some),
    }
}

/// A non-negative integer argument that fits in `u64`.
pub fn u64_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(type_error(name, "int", obj));
    }
    obj.extract::<u64>()
        .map_err(|_| invalid(format!("{name} must be between 0 and 2**64-1")))
}

/// A list of texts from any iterable of `str` (but not a bare `str`).
pub fn str_list_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(type_error(name, "an iterable of str", obj));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| type_error(name, "an iterable of str", obj))?;
    iter.map(|item| str_arg(&item?, name)).collect()
}

/// A 32-byte public key from a `PublicKey` or raw bytes.
pub fn public_key_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<[u8; 32]> {
    if let Ok(pk) = obj.cast::<PyPublicKey>() {
        return Ok(pk.get().bytes);
    }
    let raw = bytes_arg(obj, name).map_err(|_| type_error(name, "PublicKey or bytes", obj))?;
    let key = <[u8; 32]>::try_from(raw.as_slice())
        .map_err(|_| crate::errors::InvalidKeyError::new_err(format!("{name} must be 32 bytes")))?;
    chainproof_core::crypto::check_public_key(&key).py()?;
    Ok(key)
}

/// Seconds since the Unix epoch, from the caller or the system clock.
pub fn now_or_clock(now: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    match now {
        Some(n) if !n.is_none() => u64_arg(n, "now"),
        _ => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)),
    }
}

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

/// A number from an `int` or a `decimal.Decimal` (floats are refused:
/// bounds must be exact).
pub fn number_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Number> {
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error(name, "int or decimal.Decimal", obj));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj
            .extract()
            .map_err(|_| invalid(format!("{name}: integers are limited to 64 bits")))?;
        return Ok(Number::from_int(v));
    }
    if obj.is_instance(decimal_type(obj.py())?)? {
        return decimal_to_number(obj, name);
    }
    Err(type_error(name, "int or decimal.Decimal", obj))
}

fn decimal_to_number(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Number> {
    let parts = obj.call_method0("as_tuple")?;
    let sign: i64 = parts.get_item(0)?.extract()?;
    let digits: Vec<i64> = parts.get_item(1)?.extract()?;
    let exponent: i64 = parts
        .get_item(2)?
        .extract()
        .map_err(|_| invalid(format!("{name}: NaN and infinity are not numbers")))?;
    let too_big = || {
        invalid(format!(
            "{name}: {obj} does not fit 64 bits with at most 18 decimals"
        ))
    };
    // Trailing zeros after the point carry no value; dropping them first
    // lets e.g. Decimal("1.000000000000000000000") through.
    let mut digits = digits.as_slice();
    let mut exponent = exponent;
    while exponent < 0 && digits.len() > 1 && digits.last() == Some(&0) {
        digits = &digits[..digits.len() - 1];
        exponent += 1;
    }
    let mut mantissa: i64 = 0;
    for d in digits {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(*d))
            .ok_or_else(too_big)?;
    }
    while exponent > 0 {
        mantissa = mantissa.checked_mul(10).ok_or_else(too_big)?;
        exponent -= 1;
    }
    if sign == 1 {
        mantissa = -mantissa;
    }
    let exponent = i8::try_from(exponent).map_err(|_| too_big())?;
    Number::from_parts(mantissa, exponent).map_err(|_| too_big())
}

/// A value from an `int`, a `decimal.Decimal` or a `str`.
pub fn value_arg(obj: &Bound<'_, PyAny>, name: &str, limits: &Limits) -> PyResult<Value> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Value::text(s.to_str()?, limits).py();
    }
    number_arg(obj, name)
        .map(Value::Number)
        .map_err(|_| type_error(name, "int, decimal.Decimal or str", obj))
}

/// An argument map (`dict[str, int | Decimal | str]`).
pub fn args_arg(
    obj: Option<&Bound<'_, PyAny>>,
    limits: &Limits,
) -> PyResult<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(out);
    };
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| type_error("args", "a dict", obj))?;
    if dict.len() > limits.max_args {
        return Err(crate::errors::LimitExceededError::new_err(format!(
            "at most {} arguments",
            limits.max_args
        )));
    }
    for (k, v) in dict.iter() {
        let name = str_arg(&k, "argument name")?;
        let value = value_arg(&v, &name, limits)?;
        out.insert(name, value);
    }
    Ok(out)
}

fn rule_arg(obj: &Bound<'_, PyAny>, arg: &str, limits: &Limits) -> PyResult<Rule> {
    let kind: String = obj
        .getattr("kind")
        .and_then(|k| k.extract())
        .map_err(|_| type_error("constraint", "Max, Min, Eq, OneOf or Prefix", obj))?;
    let value = obj.getattr("value")?;
    let rule = match kind.as_str() {
        "max" => Rule::Max(number_arg(&value, arg)?),
        "min" => Rule::Min(number_arg(&value, arg)?),
        "eq" => Rule::equals(value_arg(&value, arg, limits)?, limits).py()?,
        "prefix" => Rule::prefix(str_arg(&value, arg)?, limits).py()?,
        "one_of" => {
            let items = value
                .try_iter()
                .map_err(|_| type_error(arg, "an iterable", &value))?;
            let mut values = Vec::new();
            for item in items {
                if values.len() >= limits.max_one_of {
                    return Err(crate::errors::LimitExceededError::new_err(format!(
                        "one_of holds at most {} values",
                        limits.max_one_of
                    )));
                }
                values.push(value_arg(&item?, arg, limits)?);
            }
            Rule::one_of(values, limits).py()?
        }
        other => return Err(invalid(format!("unknown constraint kind {other:?}"))),
    };
    Ok(rule)
}

/// A capability from a `chainproof.Capability` (read by attribute, so the
/// Python class stays a plain value).
pub fn capability_arg(obj: &Bound<'_, PyAny>, limits: &Limits) -> PyResult<Capability> {
    let bad = || type_error("capabilities", "a sequence of Capability", obj);
    let resource = str_arg(&obj.getattr("resource").map_err(|_| bad())?, "resource")?;
    let actions = str_list_arg(&obj.getattr("actions").map_err(|_| bad())?, "actions")?;
    let constraints_obj = obj.getattr("constraints").map_err(|_| bad())?;
    let constraints_dict = constraints_obj.cast::<PyDict>().map_err(|_| bad())?;
    let mut constraints = Vec::new();
    for (name, group) in constraints_dict.iter() {
        let name = str_arg(&name, "constraint argument")?;
        let group = group.cast::<PyTuple>().map_err(|_| bad())?;
        for c in group.iter() {
            if constraints.len() >= limits.max_constraints {
                return Err(crate::errors::LimitExceededError::new_err(format!(
                    "a capability has at most {} constraints",
                    limits.max_constraints
                )));
            }
            constraints
                .push(Constraint::new(name.clone(), rule_arg(&c, &name, limits)?, limits).py()?);
        }
    }
    let pattern = ResourcePattern::parse(&resource, limits).py()?;
    let actions = Actions::new(actions, limits).py()?;
    Capability::new(pattern, actions, constraints, limits).py()
}

/// A list of capabilities from any iterable of `Capability`.
pub fn capabilities_arg(obj: &Bound<'_, PyAny>, limits: &Limits) -> PyResult<Vec<Capability>> {
    let iter = obj
        .try_iter()
        .map_err(|_| type_error("capabilities", "an iterable of Capability", obj))?;
    let mut out = Vec::new();
    for item in iter {
        if out.len() >= limits.max_capabilities {
            return Err(crate::errors::LimitExceededError::new_err(format!(
                "at most {} capabilities per block",
                limits.max_capabilities
            )));
        }
        out.push(capability_arg(&item?, limits)?);
    }
    Ok(out)
}

/// Renders engine JSON as Python objects (`dict`, `list`, `str`, `int`).
pub fn json_to_py<'py>(py: Python<'py>, json: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match json {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Json::Int(n) => n.into_pyobject(py)?.into_any(),
        Json::Str(s) => PyString::new(py, s).into_any(),
        Json::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Json::Object(fields) => {
            let dict = PyDict::new(py);
            for (k, v) in fields {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

//! Keys and raw signature verification.

use chainproof_core::crypto::{self, SignatureItem, SigningKey};
use chainproof_core::evidence::key_text;
use chainproof_core::text::{
    b64url_encode, decode_prefixed, PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::{bytes_arg, str_arg};
use crate::errors::{IntoPyResult, InvalidKeyError};

/// An Ed25519 public key, checked under the strict rule (canonical, not of
/// small order) when it is made.
#[pyclass(module = "chainproof._native", name = "PublicKey", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyPublicKey {
    pub bytes: [u8; 32],
}

#[pymethods]
impl PyPublicKey {
    /// A public key from its 32 bytes.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let raw = bytes_arg(data, "data")?;
        let bytes = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| {
            InvalidKeyError::new_err(format!("a public key is 32 bytes, got {}", raw.len()))
        })?;
        crypto::check_public_key(&bytes).py()?;
        Ok(PyPublicKey { bytes })
    }

    /// A public key from its text form (`cppk1.` + base64url).
    #[staticmethod]
    fn decode(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = str_arg(text, "text")?;
        let raw = decode_prefixed(&text, PUBLIC_KEY_PREFIX, "public key", 32).py()?;
        let bytes = <[u8; 32]>::try_from(raw.as_slice())
            .map_err(|_| InvalidKeyError::new_err("a public key is 32 bytes"))?;
        crypto::check_public_key(&bytes).py()?;
        Ok(PyPublicKey { bytes })
    }

    /// The text form (`cppk1.` + base64url).
    fn encode(&self) -> String {
        key_text(&self.bytes)
    }

    /// Strict-cofactored verification of one signature over `message`.
    fn verify(&self, message: &Bound<'_, PyAny>, signature: &Bound<'_, PyAny>) -> PyResult<bool> {
        let message = bytes_arg(message, "message")?;
        let signature = bytes_arg(signature, "signature")?;
        Ok(crypto::verify(&SignatureItem {
            public_key: &self.bytes,
            signature: &signature,
            domain: b"",
            body: &message,
        }))
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    fn __repr__(&self) -> String {
        format!("PublicKey({:?})", key_text(&self.bytes))
    }

    fn __str__(&self) -> String {
        key_text(&self.bytes)
    }
}

/// An Ed25519 signing key. Its secret never appears in `repr`.
#[pyclass(module = "chainproof._native", name = "SigningKey", frozen)]
pub struct PySigningKey {
    pub inner: SigningKey,
}

#[pymethods]
impl PySigningKey {
    /// A new key from the operating system's random generator.
    #[staticmethod]
    fn generate() -> PyResult<Self> {
        Ok(PySigningKey {
            inner: SigningKey::generate().py()?,
        })
    }

    /// The key derived from a 32-byte seed (RFC 8032).
    #[staticmethod]
    fn from_seed(seed: &Bound<'_, PyAny>) -> PyResult<Self> {
        let raw = bytes_arg(seed, "seed")?;
        let seed = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| {
            InvalidKeyError::new_err(format!("a seed is 32 bytes, got {}", raw.len()))
        })?;
        Ok(PySigningKey {
            inner: SigningKey::from_seed(&seed),
        })
    }

    /// A key from its text form (`cpsk1.` + base64url of the seed).
    #[staticmethod]
    fn decode(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = str_arg(text, "text")?;
        let raw = decode_prefixed(text.trim(), SIGNING_KEY_PREFIX, "signing key", 32).py()?;
        let seed = <[u8; 32]>::try_from(raw.as_slice())
            .map_err(|_| InvalidKeyError::new_err("a seed is 32 bytes"))?;
        Ok(PySigningKey {
            inner: SigningKey::from_seed(&seed),
        })
    }

    /// The text form of the secret seed (`cpsk1.` + base64url). Keep it secret.
    fn encode(&self) -> String {
        let mut s = String::from(SIGNING_KEY_PREFIX);
        s.push_str(&b64url_encode(self.inner.seed()));
        s
    }

    /// The 32-byte secret seed. Keep it secret.
    fn seed<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.seed())
    }

    /// The matching public key.
    #[getter]
    fn public_key(&self) -> PyPublicKey {
        PyPublicKey {
            bytes: self.inner.public_key(),
        }
    }

    /// An Ed25519 signature (64 bytes) over `message`.
    fn sign<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let message = bytes_arg(message, "message")?;
        Ok(PyBytes::new(py, &self.inner.sign(&message)))
    }

    fn __repr__(&self) -> String {
        format!(
            "SigningKey(public_key={:?})",
            key_text(&self.inner.public_key())
        )
    }
}

/// Strict-cofactored verification of one signature. Wrong lengths give
/// `False`; wrong types raise.
#[pyfunction]
pub fn verify_signature(
    public_key: &Bound<'_, PyAny>,
    message: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let key = bytes_arg(public_key, "public_key")?;
    let message = bytes_arg(message, "message")?;
    let signature = bytes_arg(signature, "signature")?;
    Ok(crypto::verify(&SignatureItem {
        public_key: &key,
        signature: &signature,
        domain: b"",
        body: &message,
    }))
}

/// Empties the process-wide cache of decoded public keys.
#[pyfunction]
pub fn clear_key_cache() {
    crypto::clear_key_cache();
}

//! chainproof-core: the verification engine for delegation-bound capability tokens.
//!
//! This crate holds every rule of the engine and no Python: the strict
//! Ed25519 layer ([`crypto`]), the capability algebra ([`caps`]), the strict
//! deterministic CBOR codec ([`cbor`]), the token and invocation formats
//! ([`token`], [`invocation`]), the chain rules ([`chain`]) and the verifier
//! with its batch pipeline ([`verifier`]). The wire format is specified in
//! `docs/FORMAT.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod aip;
pub mod bounded;
pub mod caps;
pub mod cbor;
pub mod chain;
pub mod crypto;
pub mod error;
pub mod evidence;
pub mod invocation;
pub mod json;
pub mod json_parse;
pub mod limits;
pub mod mint;
mod pool;
pub mod replay;
pub mod stats;
pub mod text;
pub mod token;
pub mod verdict;
pub mod verifier;
pub mod wire;

pub use error::Error;
pub use limits::Limits;

//! The capability algebra: what a token grants, and when one grant is
//! within another.
//!
//! Everything here is exact and deterministic, because every verifier of a
//! token must reach the same verdict:
//! - [`value`]: argument values, with fixed-point decimal numbers (no
//!   floats) and bytewise texts;
//! - [`pattern`]: resource paths and wildcard patterns, matched and
//!   compared segment by segment (no regular expressions);
//! - [`purpose`]: declared purposes, which a delegation may only refine;
//! - [`constraint`]: bounds on arguments and the table of when one bound
//!   implies another;
//! - [`capability`]: actions on resources under constraints, with coverage
//!   (may a child block hold this?) and checking (may this invocation run?).
//!
//! Every decision errs towards refusal: when a narrowing cannot be shown
//! with the simple rules here, it is treated as a widening.

pub mod capability;
pub mod constraint;
pub mod pattern;
pub mod purpose;
pub mod value;

pub use capability::{
    authorize, first_uncovered, is_narrowing, is_valid_action_name, Actions, Capability, Check,
    MAX_ACTION_NAME_BYTES,
};
pub use constraint::{is_valid_arg_name, Constraint, Rule, MAX_ARG_NAME_BYTES};
pub use pattern::{Resource, ResourcePattern};
pub use purpose::Purpose;
pub use value::{Number, Value, MAX_FRACTION_DIGITS};

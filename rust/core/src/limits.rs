//! Counted limits on every size the engine accepts.
//!
//! Every limit here is checked while decoding, before any allocation sized by
//! the input, so hostile input cannot make the engine allocate without bound.
//! Limits are counted, never timed: the same input gets the same verdict on a
//! busy machine and an idle one.

/// The size limits applied while decoding and building tokens and invocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest encoded token, in bytes (binary form).
    pub max_token_bytes: usize,
    /// Largest encoded invocation, in bytes (binary form).
    pub max_invocation_bytes: usize,
    /// Most blocks in one token (root included).
    pub max_blocks: usize,
    /// Most capabilities in one block.
    pub max_capabilities: usize,
    /// Most actions in one capability.
    pub max_actions: usize,
    /// Most constraints in one capability.
    pub max_constraints: usize,
    /// Most values in one `one_of` constraint.
    pub max_one_of: usize,
    /// Longest resource pattern, purpose or concrete resource, in bytes.
    pub max_pattern_bytes: usize,
    /// Most `/`-separated segments in a pattern, purpose or resource.
    pub max_segments: usize,
    /// Longest free-text string (names, ids, reasons, text values), in bytes.
    pub max_text_bytes: usize,
    /// Most audiences in one block.
    pub max_audiences: usize,
    /// Most arguments carried by one invocation.
    pub max_args: usize,
    /// Most (token, invocation) pairs in one batch call.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_bytes: 64 * 1024,
            max_invocation_bytes: 16 * 1024,
            max_blocks: 32,
            max_capabilities: 64,
            max_actions: 32,
            max_constraints: 32,
            max_one_of: 64,
            max_pattern_bytes: 512,
            max_segments: 32,
            max_text_bytes: 1024,
            max_audiences: 32,
            max_args: 64,
            max_batch: 1_000_000,
        }
    }
}

impl Limits {
    /// Whether every limit here is at least as generous as in `other`, so
    /// that anything within `other` is also within these limits.
    pub fn at_least(&self, other: &Limits) -> bool {
        self.max_token_bytes >= other.max_token_bytes
            && self.max_invocation_bytes >= other.max_invocation_bytes
            && self.max_blocks >= other.max_blocks
            && self.max_capabilities >= other.max_capabilities
            && self.max_actions >= other.max_actions
            && self.max_constraints >= other.max_constraints
            && self.max_one_of >= other.max_one_of
            && self.max_pattern_bytes >= other.max_pattern_bytes
            && self.max_segments >= other.max_segments
            && self.max_text_bytes >= other.max_text_bytes
            && self.max_audiences >= other.max_audiences
            && self.max_args >= other.max_args
            && self.max_batch >= other.max_batch
    }
}

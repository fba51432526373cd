//! Delegation tokens: blocks, their signed encoding, issuing and delegating.
//!
//! A token is its blocks, root first. Each block is a CBOR map (the *signed
//! bytes*) plus an Ed25519 signature over a domain prefix and those bytes.
//! Blocks after the root commit to the SHA-256 of their parent's signed
//! bytes. Decoding checks the encoding only; every semantic rule (linkage,
//! trust, attenuation) is the verifier's, so that a refused token always
//! gets a verdict with a reason code rather than a decoding error.

use sha2::{Digest, Sha256};

use crate::caps::{Capability, Purpose};
use crate::cbor::{head_len, Decoder, Encoder, MapKeys};
use crate::crypto::{SigningKey, SIGNATURE_LEN};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::text::{b64url_encode, decode_prefixed, TOKEN_PREFIX};
use crate::wire;

/// Domain-separation prefix of block signatures.
pub const BLOCK_DOMAIN: &[u8] = b"chainproof/v1/block\x00";
/// Version number of the binary token encoding.
pub const TOKEN_VERSION: u64 = 1;
/// Length of a block id.
pub const BLOCK_ID_LEN: usize = 16;

/// Keys of the block map (see `docs/FORMAT.md`).
mod key {
    pub const PARENT: u64 = 1;
    pub const ISSUER: u64 = 2;
    pub const PRINCIPAL: u64 = 3;
    pub const SUBJECT: u64 = 4;
    pub const SUBJECT_ID: u64 = 5;
    pub const CAPABILITIES: u64 = 6;
    pub const PURPOSE: u64 = 7;
    pub const NOT_BEFORE: u64 = 8;
    pub const EXPIRES: u64 = 9;
    pub const DEPTH: u64 = 10;
    pub const AUDIENCES: u64 = 11;
    pub const BLOCK_ID: u64 = 12;
    pub const REASON: u64 = 13;
}

/// The fields of one block, as signed.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockBody {
    /// SHA-256 of the parent block's signed bytes; `None` on the root.
    pub parent: Option<[u8; 32]>,
    /// The root's signing key; present on the root only.
    pub issuer: Option<[u8; 32]>,
    /// The accountable principal: required on the root; a later block may
    /// restate it but never change it.
    pub principal: Option<String>,
    /// The next holder's Ed25519 public key.
    pub subject: [u8; 32],
    /// An optional readable id of the next holder (SPIFFE id, URI).
    pub subject_id: Option<String>,
    /// What the holder may do.
    pub capabilities: Vec<Capability>,
    /// The purpose path.
    pub purpose: Purpose,
    /// Not valid before this time (seconds since the Unix epoch).
    pub not_before: u64,
    /// Not valid at or after this time (seconds since the Unix epoch).
    pub expires: u64,
    /// How many more delegations may follow this block.
    pub depth: u64,
    /// The services this chain may be presented to (sorted, unique).
    pub audiences: Vec<String>,
    /// A random id, the handle for revocation.
    pub block_id: [u8; BLOCK_ID_LEN],
    /// Free text: why this delegation was made.
    pub reason: Option<String>,
}

/// A decoded block: its fields, the exact bytes that were signed, the
/// signature and the hash that children commit to.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    body: BlockBody,
    signed: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
    hash: [u8; 32],
}

impl Block {
    /// The block's fields.
    pub fn body(&self) -> &BlockBody {
        &self.body
    }
    /// The exact signed bytes (without the domain prefix).
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed
    }
    /// The signature over [`BLOCK_DOMAIN`] followed by the signed bytes.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }
    /// SHA-256 of the signed bytes.
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }
}

/// A delegation token: its blocks, root first.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    blocks: Vec<Block>,
}

/// A token that failed to decode, with the index of the block at fault when
/// the fault lies inside one.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeFailure {
    /// Index of the offending block, if the fault lies inside one.
    pub hop: Option<usize>,
    /// What was wrong.
    pub error: Error,
}

impl From<Error> for DecodeFailure {
    fn from(error: Error) -> Self {
        DecodeFailure { hop: None, error }
    }
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl BlockBody {
    /// The deterministic encoding of the fields (the signed bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        let count = 8
            + usize::from(self.parent.is_some())
            + usize::from(self.issuer.is_some())
            + usize::from(self.principal.is_some())
            + usize::from(self.subject_id.is_some())
            + usize::from(self.reason.is_some());
        enc.map(count);
        if let Some(parent) = &self.parent {
            enc.uint(key::PARENT);
            enc.bytes(parent);
        }
        if let Some(issuer) = &self.issuer {
            enc.uint(key::ISSUER);
            enc.bytes(issuer);
        }
        if let Some(principal) = &self.principal {
            enc.uint(key::PRINCIPAL);
            enc.text(principal);
        }
        enc.uint(key::SUBJECT);
        enc.bytes(&self.subject);
        if let Some(id) = &self.subject_id {
            enc.uint(key::SUBJECT_ID);
            enc.text(id);
        }
        enc.uint(key::CAPABILITIES);
        enc.array(self.capabilities.len());
        for cap in &self.capabilities {
            wire::write_capability(&mut enc, cap);
        }
        enc.uint(key::PURPOSE);
        enc.text(self.purpose.as_str());
        enc.uint(key::NOT_BEFORE);
        enc.uint(self.not_before);
        enc.uint(key::EXPIRES);
        enc.uint(self.expires);
        enc.uint(key::DEPTH);
        enc.uint(self.depth);
        enc.uint(key::AUDIENCES);
        wire::write_texts(&mut enc, &self.audiences);
        enc.uint(key::BLOCK_ID);
        enc.bytes(&self.block_id);
        if let Some(reason) = &self.reason {
            enc.uint(key::REASON);
            enc.text(reason);
        }
        enc.into_bytes()
    }

    /// Decodes signed bytes, strictly.
    pub fn decode(signed: &[u8], limits: &Limits) -> Result<BlockBody> {
        let mut dec = Decoder::new(signed);
        let n = dec.schema_map(13, "block")?;
        let mut keys = MapKeys::new(n);
        let parent = if keys.field(&mut dec, key::PARENT)? {
            Some(dec.bytes_exact::<32>("parent hash")?)
        } else {
            None
        };
        let issuer = if keys.field(&mut dec, key::ISSUER)? {
            Some(dec.bytes_exact::<32>("issuer key")?)
        } else {
            None
        };
        if parent.is_some() == issuer.is_some() {
            return Err(Error::Malformed(
                "a block has either a parent hash (delegation) or an issuer key (root), not both or neither"
                    .into(),
            ));
        }
        let principal = if keys.field(&mut dec, key::PRINCIPAL)? {
            Some(non_empty(
                wire::read_text(&mut dec, limits, "principal")?,
                "principal",
            )?)
        } else {
            None
        };
        if issuer.is_some() && principal.is_none() {
            return Err(Error::Malformed(
                "the root block must name a principal".into(),
            ));
        }
        keys.required(&mut dec, key::SUBJECT, "subject")?;
        let subject = dec.bytes_exact::<32>("subject key")?;
        let subject_id = if keys.field(&mut dec, key::SUBJECT_ID)? {
            Some(non_empty(
                wire::read_text(&mut dec, limits, "subject id")?,
                "subject id",
            )?)
        } else {
            None
        };
        keys.required(&mut dec, key::CAPABILITIES, "capabilities")?;
        let count = dec.array(limits.max_capabilities, "capabilities")?;
        if count == 0 {
            return Err(Error::Malformed(
                "a block grants at least one capability".into(),
            ));
        }
        let mut capabilities = Vec::with_capacity(count);
        for _ in 0..count {
            capabilities.push(wire::read_capability(&mut dec, limits)?);
        }
        keys.required(&mut dec, key::PURPOSE, "purpose")?;
        let purpose = Purpose::parse(dec.text()?, limits)?;
        keys.required(&mut dec, key::NOT_BEFORE, "not_before")?;
        let not_before = dec.uint()?;
        keys.required(&mut dec, key::EXPIRES, "expires")?;
        let expires = dec.uint()?;
        if expires <= not_before {
            return Err(Error::Malformed(
                "a block expires after it becomes valid".into(),
            ));
        }
        keys.required(&mut dec, key::DEPTH, "depth")?;
        let depth = dec.uint()?;
        keys.required(&mut dec, key::AUDIENCES, "audiences")?;
        let audiences =
            wire::read_sorted_texts(&mut dec, limits.max_audiences, limits, "audiences")?;
        keys.required(&mut dec, key::BLOCK_ID, "block id")?;
        let block_id = dec.bytes_exact::<BLOCK_ID_LEN>("block id")?;
        let reason = if keys.field(&mut dec, key::REASON)? {
            Some(non_empty(
                wire::read_text(&mut dec, limits, "reason")?,
                "reason",
            )?)
        } else {
            None
        };
        keys.finish(&dec)?;
        dec.finish()?;
        Ok(BlockBody {
            parent,
            issuer,
            principal,
            subject,
            subject_id,
            capabilities,
            purpose,
            not_before,
            expires,
            depth,
            audiences,
            block_id,
            reason,
        })
    }
}

fn non_empty(s: &str, what: &str) -> Result<String> {
    if s.is_empty() {
        return Err(Error::Malformed(format!("{what} must not be empty")));
    }
    Ok(s.to_string())
}

impl Block {
    /// Signs a body with `signer` (the root key for a root block, the
    /// parent's subject key for a delegation).
    pub fn sign(body: BlockBody, signer: &SigningKey) -> Block {
        let signed = body.encode();
        let signature = signer.sign_parts(BLOCK_DOMAIN, &signed);
        let hash = sha256(&signed);
        Block {
            body,
            signed,
            signature,
            hash,
        }
    }

    /// Reassembles a block from parts received on the wire.
    pub fn from_parts(
        signed: &[u8],
        signature: [u8; SIGNATURE_LEN],
        limits: &Limits,
    ) -> Result<Block> {
        let body = BlockBody::decode(signed, limits)?;
        Ok(Block {
            body,
            signed: signed.to_vec(),
            signature,
            hash: sha256(signed),
        })
    }
}

impl Token {
    /// A token from blocks, root first (no rule is checked here: that is the
    /// verifier's job, so tests can build hostile chains).
    pub fn from_blocks(blocks: Vec<Block>) -> Result<Token> {
        if blocks.is_empty() {
            return Err(Error::InvalidArgument(
                "a token has at least one block".into(),
            ));
        }
        Ok(Token { blocks })
    }

    /// The blocks, root first.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The last block: the one naming the current holder.
    pub fn leaf(&self) -> &Block {
        // `blocks` is never empty: every constructor refuses that.
        &self.blocks[self.blocks.len() - 1]
    }

    /// A root token signed by `root`.
    pub fn issue(root: &SigningKey, mut body: BlockBody, limits: &Limits) -> Result<Token> {
        body.parent = None;
        body.issuer = Some(root.public_key());
        let block = Block::sign(body, root);
        check_block_size(&block, limits)?;
        let token = Token::from_blocks(vec![block])?;
        // The envelope adds a few bytes to the block: check the whole
        // encoding, as decoders will, not just the block.
        if token.encoded_len() > limits.max_token_bytes {
            return Err(Error::LimitExceeded(format!(
                "the token would be over {} bytes",
                limits.max_token_bytes
            )));
        }
        Ok(token)
    }

    /// This token extended by one block signed by `holder`, committing to the
    /// current leaf. The caller decides whether to check attenuation first.
    pub fn delegate(
        &self,
        holder: &SigningKey,
        mut body: BlockBody,
        limits: &Limits,
    ) -> Result<Token> {
        if self.blocks.len() >= limits.max_blocks {
            return Err(Error::LimitExceeded(format!(
                "a token has at most {} blocks",
                limits.max_blocks
            )));
        }
        body.parent = Some(*self.leaf().hash());
        body.issuer = None;
        let block = Block::sign(body, holder);
        check_block_size(&block, limits)?;
        let mut blocks = self.blocks.clone();
        blocks.push(block);
        let token = Token { blocks };
        if token.encoded_len() > limits.max_token_bytes {
            return Err(Error::LimitExceeded(format!(
                "the token would be over {} bytes",
                limits.max_token_bytes
            )));
        }
        Ok(token)
    }

    /// The length of [`Token::encode`]'s output, computed without encoding.
    pub fn encoded_len(&self) -> usize {
        let blocks = self.blocks.len();
        let mut len = head_len(blocks as u64 + 1) + head_len(TOKEN_VERSION);
        for block in &self.blocks {
            len += head_len(2)
                + head_len(block.signed.len() as u64)
                + block.signed.len()
                + head_len(SIGNATURE_LEN as u64)
                + SIGNATURE_LEN;
        }
        len
    }

    /// The binary encoding: `[version, [signed, signature], ...]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.array(self.blocks.len() + 1);
        enc.uint(TOKEN_VERSION);
        for block in &self.blocks {
            enc.array(2);
            enc.bytes(&block.signed);
            enc.bytes(&block.signature);
        }
        enc.into_bytes()
    }

    /// The versioned text form (`cpt1.` + base64url).
    pub fn to_text(&self) -> String {
        let mut s = String::from(TOKEN_PREFIX);
        s.push_str(&b64url_encode(&self.encode()));
        s
    }

    /// Decodes the binary form strictly.
    pub fn decode(bytes: &[u8], limits: &Limits) -> std::result::Result<Token, DecodeFailure> {
        if bytes.len() > limits.max_token_bytes {
            return Err(Error::LimitExceeded(format!(
                "token is {} bytes, at most {} allowed",
                bytes.len(),
                limits.max_token_bytes
            ))
            .into());
        }
        let mut dec = Decoder::new(bytes);
        let n = dec.array(limits.max_blocks.saturating_add(1), "token blocks")?;
        if n < 2 {
            return Err(
                Error::Malformed("a token has a version and at least one block".into()).into(),
            );
        }
        let version = dec.uint()?;
        if version != TOKEN_VERSION {
            return Err(Error::Malformed(format!("unknown token version {version}")).into());
        }
        let mut blocks = Vec::with_capacity(n - 1);
        for hop in 0..n - 1 {
            let block = decode_envelope(&mut dec, limits).map_err(|error| DecodeFailure {
                hop: Some(hop),
                error,
            })?;
            blocks.push(block);
        }
        dec.finish()?;
        Ok(Token { blocks })
    }

    /// Decodes the text form strictly.
    pub fn from_text(text: &str, limits: &Limits) -> std::result::Result<Token, DecodeFailure> {
        let bytes = decode_prefixed(text, TOKEN_PREFIX, "token", limits.max_token_bytes)?;
        Token::decode(&bytes, limits)
    }
}

fn decode_envelope(dec: &mut Decoder<'_>, limits: &Limits) -> Result<Block> {
    dec.fixed_array(2, "a block envelope")?;
    let signed = dec.bytes()?;
    let signature = dec.bytes()?;
    let signature = <[u8; SIGNATURE_LEN]>::try_from(signature).map_err(|_| {
        Error::Malformed(format!("a signature is 64 bytes, got {}", signature.len()))
    })?;
    Block::from_parts(signed, signature, limits)
}

fn check_block_size(block: &Block, limits: &Limits) -> Result<()> {
    if block.signed.len() + SIGNATURE_LEN > limits.max_token_bytes {
        return Err(Error::LimitExceeded(format!(
            "the block would be over the token limit of {} bytes",
            limits.max_token_bytes
        )));
    }
    Ok(())
}

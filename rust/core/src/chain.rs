//! The chain rules, one function per stage of the check order.
//!
//! The verifier runs each stage over every hop before the next stage, so the
//! reason code is the first failure in the fixed order of `docs/FORMAT.md`
//! and verdicts are deterministic. Minting code reuses the per-hop rules to
//! refuse a bad delegation before it is signed.

use crate::caps::{first_uncovered, is_narrowing, Purpose};
use crate::token::{Block, BlockBody};
use crate::verdict::{Reason, Refusal};

/// Linkage: the root first with no parent, every later block naming the
/// hash of the block before it.
pub fn check_linkage(blocks: &[Block]) -> Result<(), Refusal> {
    for (i, block) in blocks.iter().enumerate() {
        let body = block.body();
        match (i, body.parent) {
            (0, None) => {}
            (0, Some(_)) => {
                return Err(Refusal::at(
                    Reason::ChainBroken,
                    0,
                    "the first block is a delegation, not a root",
                ))
            }
            (_, None) => {
                return Err(Refusal::at(
                    Reason::ChainBroken,
                    i,
                    "a root block appears in the middle of the chain",
                ))
            }
            (_, Some(parent)) => {
                let expected = blocks.get(i - 1).map(|b| *b.hash());
                if expected != Some(parent) {
                    return Err(Refusal::at(
                        Reason::ChainBroken,
                        i,
                        "the parent hash does not match the previous block",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Time: every block valid at `now` (with `leeway` seconds of clock skew
/// either way), and every hop's window inside its parent's.
pub fn check_time(blocks: &[Block], now: u64, leeway: u64) -> Result<(), Refusal> {
    for (i, block) in blocks.iter().enumerate() {
        let b = block.body();
        if now.saturating_add(leeway) < b.not_before {
            return Err(Refusal::at(
                Reason::NotYetValid,
                i,
                format!("not valid before {} (now {now})", b.not_before),
            ));
        }
        if now >= b.expires.saturating_add(leeway) {
            return Err(Refusal::at(
                Reason::Expired,
                i,
                format!("expired at {} (now {now})", b.expires),
            ));
        }
    }
    for (i, pair) in blocks.windows(2).enumerate() {
        if let [parent, child] = pair {
            check_hop_lifetime(parent.body(), child.body(), i + 1)?;
        }
    }
    Ok(())
}

/// One hop's validity window must lie inside its parent's.
pub fn check_hop_lifetime(
    parent: &BlockBody,
    child: &BlockBody,
    hop: usize,
) -> Result<(), Refusal> {
    if child.expires > parent.expires {
        return Err(Refusal::at(
            Reason::LifetimeWidened,
            hop,
            format!(
                "expires at {}, after its parent ({})",
                child.expires, parent.expires
            ),
        ));
    }
    if child.not_before < parent.not_before {
        return Err(Refusal::at(
            Reason::LifetimeWidened,
            hop,
            format!(
                "valid from {}, before its parent ({})",
                child.not_before, parent.not_before
            ),
        ));
    }
    Ok(())
}

/// Depth: the chain within the policy's maximum, and the remaining depth
/// strictly decreasing down the chain.
pub fn check_depth(blocks: &[Block], max_delegations: usize) -> Result<(), Refusal> {
    let delegations = blocks.len().saturating_sub(1);
    if delegations > max_delegations {
        return Err(Refusal::at(
            Reason::DepthExceeded,
            max_delegations + 1,
            format!("{delegations} delegations, this verifier allows {max_delegations}"),
        ));
    }
    for (i, pair) in blocks.windows(2).enumerate() {
        if let [parent, child] = pair {
            check_hop_depth(parent.body(), child.body(), i + 1)?;
        }
    }
    Ok(())
}

/// One hop's remaining depth must be below its parent's.
pub fn check_hop_depth(parent: &BlockBody, child: &BlockBody, hop: usize) -> Result<(), Refusal> {
    if parent.depth == 0 {
        return Err(Refusal::at(
            Reason::DepthExceeded,
            hop,
            "the parent allows no further delegation",
        ));
    }
    if child.depth >= parent.depth {
        return Err(Refusal::at(
            Reason::DepthExceeded,
            hop,
            format!(
                "remaining depth {} is not below its parent's {}",
                child.depth, parent.depth
            ),
        ));
    }
    Ok(())
}

/// Attenuation: the principal never changes, and every capability of a hop
/// is covered by its parent's (strictly narrower when `strict`).
pub fn check_attenuation(blocks: &[Block], strict: bool) -> Result<(), Refusal> {
    let root_principal = blocks.first().and_then(|b| b.body().principal.as_deref());
    for (i, pair) in blocks.windows(2).enumerate() {
        if let [parent, child] = pair {
            check_hop_attenuation(root_principal, parent.body(), child.body(), i + 1, strict)?;
        }
    }
    Ok(())
}

/// One hop's attenuation rules.
pub fn check_hop_attenuation(
    root_principal: Option<&str>,
    parent: &BlockBody,
    child: &BlockBody,
    hop: usize,
    strict: bool,
) -> Result<(), Refusal> {
    if let Some(stated) = child.principal.as_deref() {
        if Some(stated) != root_principal {
            return Err(Refusal::at(
                Reason::PrincipalChanged,
                hop,
                match root_principal {
                    Some(root) => format!("names principal {stated:?}, the root names {root:?}"),
                    None => format!("names principal {stated:?}, the root names none"),
                },
            ));
        }
    }
    if let Some(index) = first_uncovered(&parent.capabilities, &child.capabilities) {
        let resource = child
            .capabilities
            .get(index)
            .map(|c| c.resource().as_str().to_string())
            .unwrap_or_default();
        return Err(Refusal::at(
            Reason::CapabilityWidened,
            hop,
            format!("capability {index} ({resource}) is not covered by the parent's capabilities"),
        ));
    }
    if strict && !is_narrowing(&parent.capabilities, &child.capabilities) {
        return Err(Refusal::at(
            Reason::NotNarrowed,
            hop,
            "strict attenuation: the hop keeps all of its parent's capabilities",
        ));
    }
    Ok(())
}

/// Purpose and audience down the chain: each purpose refines its parent's,
/// each audience list is a subset of its parent's.
pub fn check_scope(blocks: &[Block]) -> Result<(), Refusal> {
    for (i, pair) in blocks.windows(2).enumerate() {
        if let [parent, child] = pair {
            check_hop_scope(parent.body(), child.body(), i + 1)?;
        }
    }
    Ok(())
}

/// One hop's purpose and audience rules.
pub fn check_hop_scope(parent: &BlockBody, child: &BlockBody, hop: usize) -> Result<(), Refusal> {
    if !child.purpose.refines(&parent.purpose) {
        return Err(Refusal::at(
            Reason::PurposeMismatch,
            hop,
            format!(
                "purpose {:?} does not refine {:?}",
                child.purpose.as_str(),
                parent.purpose.as_str()
            ),
        ));
    }
    // Both lists are sorted and unique, so a binary search per name suffices.
    if let Some(extra) = child
        .audiences
        .iter()
        .find(|a| parent.audiences.binary_search(a).is_err())
    {
        return Err(Refusal::at(
            Reason::AudienceMismatch,
            hop,
            format!("audience {extra:?} is not among its parent's"),
        ));
    }
    Ok(())
}

/// Every rule that relates one new block to its parent, in check order:
/// what minting code runs before signing a delegation.
pub fn check_delegation(
    root_principal: Option<&str>,
    parent: &BlockBody,
    child: &BlockBody,
    hop: usize,
    strict: bool,
) -> Result<(), Refusal> {
    check_hop_lifetime(parent, child, hop)?;
    check_hop_depth(parent, child, hop)?;
    check_hop_attenuation(root_principal, parent, child, hop, strict)?;
    check_hop_scope(parent, child, hop)
}

/// Whether `purpose` equals or refines one of `accepted`.
pub fn purpose_accepted(purpose: &Purpose, accepted: &[Purpose]) -> bool {
    accepted.iter().any(|p| purpose.refines(p))
}

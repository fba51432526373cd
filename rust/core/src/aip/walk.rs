//! Steps V3–V6 on the typed link model: depth, the attenuation walk, the
//! delegation context and the request, in the reference SDK's order.
//!
//! The effective authority at the leaf is, per dimension, the nearest value
//! declared walking back from the leaf; each declared value must be covered
//! by the effective value above it.

use crate::json_parse::Int;

use super::claims::{python_space, LinkModel};
use super::codes::{AipReason, AipRefusal};

/// The authority in force after the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective<'a> {
    /// Tools (patterns) the leaf may call.
    pub tools: &'a [String],
    /// Domains, `None` when unrestricted.
    pub domains: Option<&'a [String]>,
    /// Budget ceiling in cents, `None` when none was declared.
    pub budget_cents: Option<&'a Int>,
    /// Expiry.
    pub expiry: &'a Int,
    /// The accountable principal, once declared.
    pub principal: Option<&'a str>,
}

/// Does an ancestor pattern permit a descendant value? `*` permits all; a
/// trailing `*` permits any value it prefixes; otherwise equality. A plain
/// value never covers a wildcard.
pub fn covers(pattern: &str, value: &str) -> bool {
    if pattern == value || pattern == "*" {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => false,
    }
}

fn malformed(link: usize, message: impl Into<String>) -> AipRefusal {
    AipRefusal::at(AipReason::TokenMalformed, link, message)
}

/// V3, V4 and V5 over `links` (root first) at `now`.
pub fn verify_links<'a>(links: &[&'a LinkModel], now: i64) -> Result<Effective<'a>, AipRefusal> {
    let Some(root) = links.first() else {
        return Err(AipRefusal::whole(
            AipReason::TokenMalformed,
            "chain has no links",
        ));
    };
    let Some(root_tools) = &root.tools else {
        return Err(malformed(0, "authority link declares no tools"));
    };
    let Some(root_expiry) = &root.expiry else {
        return Err(malformed(0, "authority link declares no expiry"));
    };
    let max_depth = match &root.max_depth {
        Some(d) if !d.is_negative() => d,
        _ => return Err(malformed(0, "authority link declares no max_depth")),
    };
    for (index, link) in links.iter().enumerate() {
        if link.tools.as_ref().is_some_and(Vec::is_empty) {
            return Err(malformed(index, "link declares an empty tools list"));
        }
        if link.domains.as_ref().is_some_and(Vec::is_empty) {
            return Err(malformed(index, "link declares an empty domains list"));
        }
    }
    // V3
    let delegations = i64::try_from(links.len() - 1).unwrap_or(i64::MAX);
    if Int::Small(delegations) > *max_depth {
        return Err(AipRefusal::at(
            AipReason::DepthExceeded,
            links.len() - 1,
            format!(
                "{delegations} delegations exceed the authority link's aip_max_depth {max_depth}"
            ),
        ));
    }
    if root.budget_cents.as_ref().is_some_and(Int::is_negative) {
        return Err(AipRefusal::at(
            AipReason::BudgetExceeded,
            0,
            "negative budget",
        ));
    }
    let now = Int::Small(now);
    if *root_expiry < now {
        return Err(AipRefusal::at(
            AipReason::TokenExpired,
            0,
            "token has expired",
        ));
    }

    let mut eff = Effective {
        tools: root_tools,
        domains: root.domains.as_deref(),
        budget_cents: root.budget_cents.as_ref(),
        expiry: root_expiry,
        principal: root.principal.as_deref(),
    };
    for (index, link) in links.iter().enumerate().skip(1) {
        if link.max_depth.is_some() {
            return Err(malformed(index, "delegation link declares aip_max_depth"));
        }
        // V5
        let has_context = link
            .context
            .as_deref()
            .is_some_and(|c| !c.trim_matches(python_space).is_empty());
        if !has_context {
            return Err(malformed(index, "delegation link has no context"));
        }
        // V4, one dimension at a time.
        if let Some(tools) = &link.tools {
            let mut widened: Vec<&str> = tools
                .iter()
                .filter(|c| !eff.tools.iter().any(|p| covers(p, c)))
                .map(String::as_str)
                .collect();
            if !widened.is_empty() {
                widened.sort_unstable();
                widened.dedup();
                return Err(AipRefusal::at(
                    AipReason::ScopeInsufficient,
                    index,
                    format!("link {index} widens tools: {}", widened.join(", ")),
                ));
            }
            eff.tools = tools;
        }
        if let Some(domains) = &link.domains {
            if let Some(parent) = eff.domains {
                let mut widened: Vec<&str> = domains
                    .iter()
                    .filter(|d| !parent.contains(d))
                    .map(String::as_str)
                    .collect();
                if !widened.is_empty() {
                    widened.sort_unstable();
                    widened.dedup();
                    return Err(AipRefusal::at(
                        AipReason::ScopeInsufficient,
                        index,
                        format!("link {index} widens domains: {}", widened.join(", ")),
                    ));
                }
            }
            eff.domains = Some(domains);
        }
        if let Some(budget) = &link.budget_cents {
            if budget.is_negative() || eff.budget_cents.is_some_and(|b| budget > b) {
                return Err(AipRefusal::at(
                    AipReason::BudgetExceeded,
                    index,
                    format!("link {index} raises the budget ceiling"),
                ));
            }
            eff.budget_cents = Some(budget);
        }
        if let Some(expiry) = &link.expiry {
            if expiry > eff.expiry || *expiry < now {
                return Err(AipRefusal::at(
                    AipReason::TokenExpired,
                    index,
                    format!("link {index} has expired or extends its parent's expiry"),
                ));
            }
            eff.expiry = expiry;
        }
        if let Some(principal) = &link.principal {
            if let Some(current) = eff.principal {
                if current != principal {
                    return Err(malformed(
                        index,
                        format!(
                            "link {index} substitutes the principal: {current} became {principal}"
                        ),
                    ));
                }
            }
            eff.principal = Some(principal);
        }
    }
    Ok(eff)
}

/// The structural part of V6: is the request inside the leaf's authority?
pub fn authorize(eff: &Effective<'_>, tool: &str, domain: Option<&str>) -> Result<(), AipRefusal> {
    if !eff.tools.iter().any(|p| covers(p, tool)) {
        return Err(AipRefusal::whole(
            AipReason::ScopeInsufficient,
            format!("insufficient scope: {tool}"),
        ));
    }
    if let (Some(domain), Some(domains)) = (domain, eff.domains) {
        if !domains.iter().any(|d| d == domain) {
            return Err(AipRefusal::whole(
                AipReason::ScopeInsufficient,
                format!("insufficient scope: {domain}"),
            ));
        }
    }
    Ok(())
}

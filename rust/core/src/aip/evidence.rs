//! What an accepted AIP request carries as evidence: the chain as data.

use crate::json::Json;
use crate::json_parse::Int;
use crate::text::b64url_encode;

use super::claims::LinkModel;
use super::walk::Effective;

/// Which encoding the token used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A `~`-joined chain of `aip-link+jwt` links (-02).
    JwtChain,
    /// A legacy `aip+jwt` compact token (-00/-01).
    Compact,
}

impl Mode {
    /// Its name in evidence.
    pub fn name(self) -> &'static str {
        match self {
            Mode::JwtChain => "jwt-chain",
            Mode::Compact => "compact",
        }
    }
}

/// One link, as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSummary {
    /// The link's claims.
    pub model: LinkModel,
    /// `jti`.
    pub jti: Option<String>,
    /// The key the link names as next holder (`None` for compact tokens).
    pub holder_key: Option<[u8; 32]>,
}

impl LinkSummary {
    /// From a verified link's parts.
    pub fn from_model(model: LinkModel, jti: Option<String>, holder_key: Option<[u8; 32]>) -> Self {
        LinkSummary {
            model,
            jti,
            holder_key,
        }
    }
}

/// The authority in force at the leaf, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSummary {
    /// Tools.
    pub tools: Vec<String>,
    /// Domains, `None` when unrestricted.
    pub domains: Option<Vec<String>>,
    /// Budget ceiling in cents.
    pub budget_cents: Option<Int>,
    /// Expiry.
    pub expiry: Int,
    /// Principal.
    pub principal: Option<String>,
}

impl Effective<'_> {
    /// An owned copy.
    pub fn to_owned_summary(&self) -> EffectiveSummary {
        EffectiveSummary {
            tools: self.tools.to_vec(),
            domains: self.domains.map(<[String]>::to_vec),
            budget_cents: self.budget_cents.cloned(),
            expiry: self.expiry.clone(),
            principal: self.principal.map(str::to_string),
        }
    }
}

/// The evidence of an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AipEvidence {
    /// The encoding.
    pub mode: Mode,
    /// The issuer (the authority link's `iss`).
    pub issuer: String,
    /// The root key that verified the authority link.
    pub root_key: [u8; 32],
    /// The links, authority first.
    pub links: Vec<LinkSummary>,
    /// The leaf holder (the last link's `sub`).
    pub holder: String,
    /// The authority in force at the leaf.
    pub effective: EffectiveSummary,
}

impl AipEvidence {
    /// Assembles the evidence.
    pub fn new(
        mode: Mode,
        root_key: [u8; 32],
        links: Vec<LinkSummary>,
        effective: EffectiveSummary,
    ) -> AipEvidence {
        let issuer = links
            .first()
            .map(|l| l.model.iss.clone())
            .unwrap_or_default();
        let holder = links
            .last()
            .map(|l| l.model.sub.clone())
            .unwrap_or_default();
        AipEvidence {
            mode,
            issuer,
            root_key,
            links,
            holder,
            effective,
        }
    }

    /// The evidence as JSON.
    pub fn to_json(&self) -> Json {
        let list = |v: &Option<Vec<String>>| {
            v.as_ref().map_or(Json::Null, |v| {
                Json::Array(v.iter().map(|s| Json::str(s.clone())).collect())
            })
        };
        let links = self
            .links
            .iter()
            .map(|l| {
                let m = &l.model;
                Json::Object(vec![
                    ("iss".into(), Json::str(m.iss.clone())),
                    ("sub".into(), Json::str(m.sub.clone())),
                    ("jti".into(), Json::opt_str(l.jti.as_deref())),
                    ("tools".into(), list(&m.tools)),
                    ("domains".into(), list(&m.domains)),
                    ("budget_cents".into(), int_json(m.budget_cents.as_ref())),
                    ("principal".into(), Json::opt_str(m.principal.as_deref())),
                    ("context".into(), Json::opt_str(m.context.as_deref())),
                    ("expires".into(), int_json(m.expiry.as_ref())),
                    (
                        "holder_key".into(),
                        l.holder_key
                            .map_or(Json::Null, |k| Json::str(b64url_encode(&k))),
                    ),
                ])
            })
            .collect();
        let e = &self.effective;
        Json::Object(vec![
            ("issuer".into(), Json::str(self.issuer.clone())),
            ("mode".into(), Json::str(self.mode.name())),
            (
                "depth".into(),
                Json::uint(self.links.len().saturating_sub(1) as u64),
            ),
            ("holder".into(), Json::str(self.holder.clone())),
            (
                "holder_key".into(),
                self.links
                    .last()
                    .and_then(|l| l.holder_key)
                    .map_or(Json::Null, |k| Json::str(b64url_encode(&k))),
            ),
            ("root_key".into(), Json::str(b64url_encode(&self.root_key))),
            ("links".into(), Json::Array(links)),
            (
                "effective".into(),
                Json::Object(vec![
                    (
                        "tools".into(),
                        Json::Array(e.tools.iter().map(|s| Json::str(s.clone())).collect()),
                    ),
                    ("domains".into(), list(&e.domains)),
                    ("budget_cents".into(), int_json(e.budget_cents.as_ref())),
                    ("expires".into(), int_json(Some(&e.expiry))),
                    ("principal".into(), Json::opt_str(e.principal.as_deref())),
                ]),
            ),
        ])
    }
}

/// An exact integer as JSON: a number when it fits an `i64`, else its
/// decimal text.
fn int_json(v: Option<&Int>) -> Json {
    match v {
        None => Json::Null,
        Some(Int::Small(i)) => Json::Int(*i),
        Some(big) => Json::str(big.to_string()),
    }
}

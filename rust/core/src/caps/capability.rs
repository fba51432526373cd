//! Capabilities: what a token lets its holder do, and when one set of
//! capabilities is within another.
//!
//! A capability grants a set of actions on the resources a pattern matches,
//! subject to constraints on the invocation's arguments. Delegation may
//! only narrow: every capability of a child block must be covered by a
//! single capability of its parent ([`first_uncovered`]). Coverage is
//! checked one capability at a time on purpose: a child capability that is
//! only covered by the union of several parent capabilities is refused,
//! because deciding union coverage exactly is costly and easy to get
//! wrong, and refusing it costs a delegator nothing (it can split the
//! child capability).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::limits::Limits;

use super::constraint::Constraint;
use super::pattern::{Resource, ResourcePattern};
use super::value::Value;

/// Longest action name, in bytes.
pub const MAX_ACTION_NAME_BYTES: usize = 64;

/// Whether `name` is a valid concrete action name: 1..=64 bytes of
/// `[a-z0-9_.:-]`. The wildcard `*` is not a concrete action.
pub fn is_valid_action_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ACTION_NAME_BYTES
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        })
}

/// The actions a capability grants.
///
/// In lists, `*` stands for [`Actions::All`], and only on its own: mixing
/// it with names would give one grant two spellings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actions {
    /// Every action (written `*`).
    All,
    /// These actions: non-empty, sorted by bytes, unique, at most
    /// `max_actions`.
    Set(Vec<String>),
}

impl Actions {
    /// Actions from names in any order: sorts and removes duplicates.
    ///
    /// `["*"]` (or `*` repeated) is [`Actions::All`]. An empty list, an
    /// invalid name, or `*` together with other names is
    /// [`Error::InvalidArgument`]; more than `max_actions` names (counted
    /// as given, before deduplication) is [`Error::LimitExceeded`].
    pub fn new(mut names: Vec<String>, limits: &Limits) -> Result<Actions> {
        check_action_count(names.len(), limits)?;
        names.sort();
        names.dedup();
        Actions::build(names)
    }

    /// Actions for decoders: the names must already be canonical (sorted
    /// by bytes, unique), otherwise [`Error::InvalidArgument`] "not
    /// canonical". Other errors as for [`Actions::new`].
    pub fn from_canonical(names: Vec<String>, limits: &Limits) -> Result<Actions> {
        check_action_count(names.len(), limits)?;
        if names.windows(2).any(|w| match w {
            [a, b] => a.as_bytes() >= b.as_bytes(),
            _ => false,
        }) {
            return Err(Error::InvalidArgument(
                "action list not canonical (must be sorted, without duplicates)".into(),
            ));
        }
        Actions::build(names)
    }

    /// Validates a sorted, deduplicated list.
    fn build(names: Vec<String>) -> Result<Actions> {
        if names.is_empty() {
            return Err(Error::InvalidArgument("action list is empty".into()));
        }
        if names.iter().any(|n| n == "*") {
            if names.len() == 1 {
                return Ok(Actions::All);
            }
            return Err(Error::InvalidArgument(
                "'*' (all actions) may not be listed with other actions".into(),
            ));
        }
        if !names.iter().all(|n| is_valid_action_name(n)) {
            return Err(Error::InvalidArgument(format!(
                "action names must be 1..={MAX_ACTION_NAME_BYTES} bytes of [a-z0-9_.:-], or '*' alone"
            )));
        }
        Ok(Actions::Set(names))
    }

    /// The canonical list of names: `["*"]` for [`Actions::All`].
    pub fn to_names(&self) -> Vec<String> {
        match self {
            Actions::All => vec!["*".to_owned()],
            Actions::Set(names) => names.clone(),
        }
    }

    /// Whether every action `child` grants, `self` grants. `All` covers
    /// everything; a set never covers `All`; a set covers a set that is a
    /// subset of it.
    pub fn covers(&self, child: &Actions) -> bool {
        match (self, child) {
            (Actions::All, _) => true,
            (Actions::Set(_), Actions::All) => false,
            (Actions::Set(parent), Actions::Set(names)) => {
                names.iter().all(|n| parent.iter().any(|p| p == n))
            }
        }
    }

    /// Whether the concrete action is granted.
    ///
    /// An invocation names one real action, so `*` (or any other invalid
    /// name) is never permitted, not even by [`Actions::All`]: otherwise an
    /// invocation of "`*`" could be read downstream as "everything".
    pub fn permits(&self, action: &str) -> bool {
        if !is_valid_action_name(action) {
            return false;
        }
        match self {
            Actions::All => true,
            Actions::Set(names) => names.iter().any(|n| n == action),
        }
    }
}

fn check_action_count(len: usize, limits: &Limits) -> Result<()> {
    if len > limits.max_actions {
        return Err(Error::LimitExceeded(format!(
            "{len} actions exceed max_actions {}",
            limits.max_actions
        )));
    }
    Ok(())
}

fn check_constraint_count(len: usize, limits: &Limits) -> Result<()> {
    if len > limits.max_constraints {
        return Err(Error::LimitExceeded(format!(
            "{len} constraints exceed max_constraints {}",
            limits.max_constraints
        )));
    }
    Ok(())
}

/// The outcome of checking an invocation against capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// No capability grants this action on this resource.
    NotCovered,
    /// A capability grants the action on the resource, but the argument
    /// `arg` fails (or lacks) its constraint of kind `rule`.
    Violated {
        /// The argument's name.
        arg: String,
        /// The failed rule's kind name (`max`, `min`, `one_of`, `eq`,
        /// `prefix`).
        rule: &'static str,
    },
    /// The invocation is allowed.
    Allowed,
}

/// One grant: actions on the resources a pattern matches, under
/// constraints on the arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Capability {
    resource: ResourcePattern,
    actions: Actions,
    constraints: Vec<Constraint>,
}

impl Capability {
    /// A capability, with its constraints sorted into canonical order
    /// (by argument bytes, then kind code).
    ///
    /// Two constraints with the same argument and kind are
    /// [`Error::InvalidArgument`] (which one would apply is ambiguous);
    /// more than `max_constraints` is [`Error::LimitExceeded`].
    pub fn new(
        resource: ResourcePattern,
        actions: Actions,
        mut constraints: Vec<Constraint>,
        limits: &Limits,
    ) -> Result<Capability> {
        check_constraint_count(constraints.len(), limits)?;
        constraints.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if constraints.windows(2).any(|w| match w {
            [a, b] => a.sort_key() == b.sort_key(),
            _ => false,
        }) {
            return Err(Error::InvalidArgument(
                "two constraints with the same argument and kind".into(),
            ));
        }
        Ok(Capability {
            resource,
            actions,
            constraints,
        })
    }

    /// A capability for decoders: the constraints must already be in
    /// canonical order with no repeated (argument, kind); otherwise
    /// [`Error::InvalidArgument`] "not canonical".
    pub fn from_canonical(
        resource: ResourcePattern,
        actions: Actions,
        constraints: Vec<Constraint>,
        limits: &Limits,
    ) -> Result<Capability> {
        check_constraint_count(constraints.len(), limits)?;
        if constraints.windows(2).any(|w| match w {
            [a, b] => a.sort_key() >= b.sort_key(),
            _ => false,
        }) {
            return Err(Error::InvalidArgument(
                "constraints not canonical (must be sorted by argument and kind, without repeats)"
                    .into(),
            ));
        }
        Ok(Capability {
            resource,
            actions,
            constraints,
        })
    }

    /// The resource pattern.
    pub fn resource(&self) -> &ResourcePattern {
        &self.resource
    }

    /// The actions.
    pub fn actions(&self) -> &Actions {
        &self.actions
    }

    /// The constraints, in canonical order.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Whether everything `child` allows, `self` allows.
    ///
    /// The resource pattern and the actions must be covered, and every
    /// constraint of `self` must be implied by some constraint of `child`
    /// on the same argument. The child may add constraints on other
    /// arguments (that only narrows), but may not drop one.
    pub fn covers(&self, child: &Capability) -> bool {
        self.resource.covers(&child.resource)
            && self.actions.covers(&child.actions)
            && self
                .constraints
                .iter()
                .all(|pc| child.constraints.iter().any(|cc| cc.implies(pc)))
    }

    /// Checks one invocation against this capability.
    ///
    /// [`Check::NotCovered`] if the action or resource is not granted;
    /// otherwise the first constraint (in canonical order) whose argument
    /// is missing or not admitted gives [`Check::Violated`]. A missing
    /// argument violates: the world is closed, and a bound the caller can
    /// avoid by omitting the argument would bound nothing.
    pub fn check(
        &self,
        action: &str,
        resource: &Resource,
        args: &BTreeMap<String, Value>,
    ) -> Check {
        if !self.actions.permits(action) || !self.resource.matches(resource) {
            return Check::NotCovered;
        }
        for c in &self.constraints {
            let admitted = args.get(c.arg()).is_some_and(|v| c.admits(v));
            if !admitted {
                return Check::Violated {
                    arg: c.arg().to_owned(),
                    rule: c.rule().kind_name(),
                };
            }
        }
        Check::Allowed
    }
}

/// The index of the first `child` capability not covered by any single
/// `parent` capability, or `None` if every one is covered.
pub fn first_uncovered(parent: &[Capability], child: &[Capability]) -> Option<usize> {
    child
        .iter()
        .position(|c| !parent.iter().any(|p| p.covers(c)))
}

/// Whether `child` is within `parent` and strictly narrower by the
/// capability-wise test: every child capability is covered by a parent
/// capability, and at least one parent capability is not covered by any
/// child capability.
pub fn is_narrowing(parent: &[Capability], child: &[Capability]) -> bool {
    first_uncovered(parent, child).is_none()
        && !parent.iter().all(|p| child.iter().any(|c| c.covers(p)))
}

/// Checks one invocation against a set of capabilities.
///
/// [`Check::Allowed`] if any capability allows it; otherwise the
/// [`Check::Violated`] of the first capability that granted the action on
/// the resource but failed a constraint (the most useful explanation);
/// otherwise [`Check::NotCovered`].
pub fn authorize(
    caps: &[Capability],
    action: &str,
    resource: &Resource,
    args: &BTreeMap<String, Value>,
) -> Check {
    let mut first_violation = None;
    for cap in caps {
        match cap.check(action, resource, args) {
            Check::Allowed => return Check::Allowed,
            v @ Check::Violated { .. } => {
                if first_violation.is_none() {
                    first_violation = Some(v);
                }
            }
            Check::NotCovered => {}
        }
    }
    first_violation.unwrap_or(Check::NotCovered)
}

#[cfg(test)]
// Tests may unwrap: a panic there is a failing test, not a crashed verifier.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::caps::constraint::Rule;
    use crate::caps::value::Number;

    fn lim() -> Limits {
        Limits::default()
    }
    fn pat(s: &str) -> ResourcePattern {
        ResourcePattern::parse(s, &lim()).unwrap()
    }
    fn res(s: &str) -> Resource {
        Resource::parse(s, &lim()).unwrap()
    }
    fn acts(names: &[&str]) -> Actions {
        Actions::new(names.iter().map(|s| s.to_string()).collect(), &lim()).unwrap()
    }
    fn d(tenths: i64) -> Number {
        Number::from_parts(tenths, -1).unwrap()
    }
    fn num(tenths: i64) -> Value {
        Value::Number(d(tenths))
    }
    fn txt(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn con(arg: &str, rule: Rule) -> Constraint {
        Constraint::new(arg, rule, &lim()).unwrap()
    }
    fn cap(p: &str, a: &[&str], cs: Vec<Constraint>) -> Capability {
        Capability::new(pat(p), acts(a), cs, &lim()).unwrap()
    }
    fn args(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The reference capability every widening/narrowing test starts from.
    fn base() -> Capability {
        cap(
            "bank/*/ops/**",
            &["pay", "read"],
            vec![
                con("amount", Rule::Max(d(1000))),
                con("amount", Rule::Min(d(0))),
                con(
                    "currency",
                    Rule::one_of(vec![txt("EUR"), txt("USD")], &lim()).unwrap(),
                ),
                con("memo", Rule::prefix("inv-", &lim()).unwrap()),
            ],
        )
    }

    #[test]
    fn actions_construction() {
        assert_eq!(
            acts(&["read", "pay", "read"]),
            Actions::Set(strings(&["pay", "read"]))
        );
        assert_eq!(acts(&["*"]), Actions::All);
        assert_eq!(acts(&["*", "*"]), Actions::All);
        for bad in [
            vec![],
            vec!["*", "read"],
            vec!["Read"],
            vec![""],
            vec!["a b"],
            vec!["a/b"],
            vec!["**"],
        ] {
            assert!(
                matches!(
                    Actions::new(strings(&bad), &lim()),
                    Err(Error::InvalidArgument(_))
                ),
                "{bad:?}"
            );
        }
        let long = "a".repeat(64);
        assert!(Actions::new(vec![long.clone()], &lim()).is_ok());
        assert!(Actions::new(vec![format!("{long}a")], &lim()).is_err());
        assert!(Actions::new(strings(&["db:read", "x.y_z-1"]), &lim()).is_ok());
        assert_eq!(acts(&["*"]).to_names(), ["*"]);
        assert_eq!(acts(&["b", "a"]).to_names(), ["a", "b"]);
    }

    #[test]
    fn actions_from_canonical() {
        assert!(Actions::from_canonical(strings(&["a", "b"]), &lim()).is_ok());
        assert_eq!(
            Actions::from_canonical(strings(&["*"]), &lim()).unwrap(),
            Actions::All
        );
        for bad in [vec!["b", "a"], vec!["a", "a"], vec!["*", "*"]] {
            let err = Actions::from_canonical(strings(&bad), &lim()).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument(ref m) if m.contains("not canonical")),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Actions::from_canonical(strings(&["*", "a"]), &lim()),
            Err(Error::InvalidArgument(_))
        ));
        assert!(Actions::from_canonical(vec![], &lim()).is_err());
    }

    #[test]
    fn actions_limit_just_under_and_over() {
        let limits = Limits {
            max_actions: 3,
            ..Limits::default()
        };
        assert!(Actions::new(strings(&["a", "b", "c"]), &limits).is_ok());
        assert!(Actions::from_canonical(strings(&["a", "b", "c"]), &limits).is_ok());
        assert!(matches!(
            Actions::new(strings(&["a", "b", "c", "d"]), &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(matches!(
            Actions::from_canonical(strings(&["a", "b", "c", "d"]), &limits),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn actions_cover_and_permit() {
        assert!(Actions::All.covers(&Actions::All));
        assert!(Actions::All.covers(&acts(&["x"])));
        assert!(!acts(&["x"]).covers(&Actions::All));
        assert!(acts(&["x", "y"]).covers(&acts(&["y"])));
        assert!(!acts(&["x"]).covers(&acts(&["x", "y"])));
        assert!(Actions::All.permits("pay"));
        assert!(!Actions::All.permits("*"));
        assert!(!Actions::All.permits(""));
        assert!(!Actions::All.permits("PAY"));
        assert!(!acts(&["pay"]).permits("*"));
        assert!(acts(&["pay"]).permits("pay"));
        assert!(!acts(&["pay"]).permits("pa"));
        assert!(!acts(&["pay"]).permits("payx"));
    }

    #[test]
    fn capability_canonical_order_and_duplicates() {
        let c = base();
        let keys: Vec<(String, u8)> = c
            .constraints()
            .iter()
            .map(|k| (k.arg().to_owned(), k.rule().kind()))
            .collect();
        assert_eq!(
            keys,
            [
                ("amount".to_string(), 1),
                ("amount".to_string(), 2),
                ("currency".to_string(), 3),
                ("memo".to_string(), 5)
            ]
        );
        assert_eq!(c.resource().as_str(), "bank/*/ops/**");
        assert_eq!(c.actions(), &acts(&["pay", "read"]));
        let dup = Capability::new(
            pat("a"),
            acts(&["r"]),
            vec![con("x", Rule::Max(d(1))), con("x", Rule::Max(d(2)))],
            &lim(),
        );
        assert!(matches!(dup, Err(Error::InvalidArgument(_))));
        // Same arg, different kinds is fine.
        assert!(Capability::new(
            pat("a"),
            acts(&["r"]),
            vec![con("x", Rule::Min(d(1))), con("x", Rule::Max(d(2)))],
            &lim()
        )
        .is_ok());
        // from_canonical accepts the canonical order, refuses anything else.
        let ok =
            Capability::from_canonical(pat("a"), acts(&["r"]), c.constraints().to_vec(), &lim());
        assert!(ok.is_ok());
        let mut reversed = c.constraints().to_vec();
        reversed.reverse();
        for bad in [
            reversed,
            vec![con("x", Rule::Max(d(1))), con("x", Rule::Max(d(2)))],
            vec![con("x", Rule::Min(d(1))), con("x", Rule::Max(d(2)))],
            vec![con("b", Rule::Max(d(1))), con("a", Rule::Max(d(2)))],
        ] {
            let err = Capability::from_canonical(pat("a"), acts(&["r"]), bad, &lim()).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("not canonical")));
        }
        // Byte order of names: "B" < "a" < "ab".
        let cc = cap(
            "a",
            &["r"],
            vec![
                con("ab", Rule::Max(d(1))),
                con("a", Rule::Max(d(1))),
                con("B", Rule::Max(d(1))),
            ],
        );
        let names: Vec<&str> = cc.constraints().iter().map(|k| k.arg()).collect();
        assert_eq!(names, ["B", "a", "ab"]);
    }

    #[test]
    fn constraints_limit_just_under_and_over() {
        let limits = Limits {
            max_constraints: 2,
            ..Limits::default()
        };
        let two = vec![con("a", Rule::Max(d(1))), con("b", Rule::Max(d(1)))];
        let mut three = two.clone();
        three.push(con("c", Rule::Max(d(1))));
        assert!(Capability::new(pat("x"), acts(&["r"]), two.clone(), &limits).is_ok());
        assert!(Capability::from_canonical(pat("x"), acts(&["r"]), two, &limits).is_ok());
        assert!(matches!(
            Capability::new(pat("x"), acts(&["r"]), three.clone(), &limits),
            Err(Error::LimitExceeded(_))
        ));
        assert!(matches!(
            Capability::from_canonical(pat("x"), acts(&["r"]), three, &limits),
            Err(Error::LimitExceeded(_))
        ));
    }

    /// Rebuilds `base()` with one part replaced.
    fn variant(p: Option<&str>, a: Option<Actions>, cs: Option<Vec<Constraint>>) -> Capability {
        let b = base();
        Capability::new(
            p.map(pat).unwrap_or_else(|| b.resource().clone()),
            a.unwrap_or_else(|| b.actions().clone()),
            cs.unwrap_or_else(|| b.constraints().to_vec()),
            &lim(),
        )
        .unwrap()
    }

    /// `base()`'s constraints with the one of key (arg, kind) replaced (or
    /// dropped when `with` is None).
    fn replace(arg: &str, kind: u8, with: Option<Constraint>) -> Vec<Constraint> {
        let mut out: Vec<Constraint> = base()
            .constraints()
            .iter()
            .filter(|c| !(c.arg() == arg && c.rule().kind() == kind))
            .cloned()
            .collect();
        out.extend(with);
        out
    }

    #[test]
    fn widenings_are_refused() {
        let parent = base();
        let one_of = |v: Vec<Value>| Rule::one_of(v, &lim()).unwrap();
        let widenings: Vec<(&str, Capability)> = vec![
            ("wider resource", variant(Some("bank/**"), None, None)),
            ("wider resource *", variant(Some("*/*/ops/**"), None, None)),
            ("shorter resource", variant(Some("bank/*/ops"), None, None)),
            (
                "extra action",
                variant(None, Some(acts(&["pay", "read", "close"])), None),
            ),
            (
                "* action under a set",
                variant(None, Some(Actions::All), None),
            ),
            (
                "dropped constraint",
                variant(None, None, Some(replace("memo", 5, None))),
            ),
            ("dropped all constraints", variant(None, None, Some(vec![]))),
            (
                "looser max",
                variant(
                    None,
                    None,
                    Some(replace(
                        "amount",
                        1,
                        Some(con("amount", Rule::Max(d(1001)))),
                    )),
                ),
            ),
            (
                "looser min",
                variant(
                    None,
                    None,
                    Some(replace("amount", 2, Some(con("amount", Rule::Min(d(-1)))))),
                ),
            ),
            (
                "larger one_of",
                variant(
                    None,
                    None,
                    Some(replace(
                        "currency",
                        3,
                        Some(con(
                            "currency",
                            one_of(vec![txt("EUR"), txt("GBP"), txt("USD")]),
                        )),
                    )),
                ),
            ),
            (
                "shorter prefix",
                variant(
                    None,
                    None,
                    Some(replace(
                        "memo",
                        5,
                        Some(con("memo", Rule::prefix("inv", &lim()).unwrap())),
                    )),
                ),
            ),
            (
                "type mismatch: eq text for max",
                variant(
                    None,
                    None,
                    Some(replace(
                        "amount",
                        1,
                        Some(con("amount", Rule::equals(txt("5"), &lim()).unwrap())),
                    )),
                ),
            ),
            (
                "type mismatch: numeric one_of for currency",
                variant(
                    None,
                    None,
                    Some(replace(
                        "currency",
                        3,
                        Some(con("currency", one_of(vec![num(1)]))),
                    )),
                ),
            ),
            (
                "constraint moved to another arg",
                variant(
                    None,
                    None,
                    Some(replace(
                        "memo",
                        5,
                        Some(con("memo2", Rule::prefix("inv-", &lim()).unwrap())),
                    )),
                ),
            ),
            (
                "min in place of max",
                variant(
                    None,
                    None,
                    Some({
                        let mut v = replace("amount", 1, None);
                        v.retain(|c| c.arg() != "amount");
                        v.push(con("amount", Rule::Min(d(0))));
                        v
                    }),
                ),
            ),
        ];
        for (what, child) in &widenings {
            assert!(!parent.covers(child), "accepted widening: {what}");
            assert_eq!(
                first_uncovered(std::slice::from_ref(&parent), std::slice::from_ref(child)),
                Some(0),
                "{what}"
            );
            assert!(!is_narrowing(
                std::slice::from_ref(&parent),
                std::slice::from_ref(child)
            ));
        }
    }

    #[test]
    fn narrowings_are_accepted() {
        let parent = base();
        let one_of = |v: Vec<Value>| Rule::one_of(v, &lim()).unwrap();
        let narrowings: Vec<(&str, Capability)> = vec![
            (
                "narrower resource",
                variant(Some("bank/acct-1/ops/**"), None, None),
            ),
            (
                "deeper resource",
                variant(Some("bank/*/ops/x/**"), None, None),
            ),
            ("exact resource", variant(Some("bank/a/ops/b"), None, None)),
            ("fewer actions", variant(None, Some(acts(&["read"])), None)),
            (
                "tighter max",
                variant(
                    None,
                    None,
                    Some(replace("amount", 1, Some(con("amount", Rule::Max(d(999)))))),
                ),
            ),
            (
                "tighter min",
                variant(
                    None,
                    None,
                    Some(replace("amount", 2, Some(con("amount", Rule::Min(d(1)))))),
                ),
            ),
            (
                "smaller one_of",
                variant(
                    None,
                    None,
                    Some(replace(
                        "currency",
                        3,
                        Some(con("currency", one_of(vec![txt("EUR")]))),
                    )),
                ),
            ),
            (
                "eq inside one_of",
                variant(
                    None,
                    None,
                    Some(replace(
                        "currency",
                        3,
                        Some(con("currency", Rule::equals(txt("USD"), &lim()).unwrap())),
                    )),
                ),
            ),
            (
                "longer prefix",
                variant(
                    None,
                    None,
                    Some(replace(
                        "memo",
                        5,
                        Some(con("memo", Rule::prefix("inv-2024", &lim()).unwrap())),
                    )),
                ),
            ),
            (
                "extra constraint on a new arg",
                variant(
                    None,
                    None,
                    Some({
                        let mut v = base().constraints().to_vec();
                        v.push(con("payee", Rule::prefix("acct-", &lim()).unwrap()));
                        v
                    }),
                ),
            ),
            (
                "extra constraint kind on the same arg",
                variant(
                    None,
                    None,
                    Some({
                        let mut v = base().constraints().to_vec();
                        v.push(con(
                            "amount",
                            Rule::one_of(vec![num(5), num(10)], &lim()).unwrap(),
                        ));
                        v
                    }),
                ),
            ),
        ];
        for (what, child) in &narrowings {
            assert!(parent.covers(child), "refused narrowing: {what}");
            assert_eq!(
                first_uncovered(std::slice::from_ref(&parent), std::slice::from_ref(child)),
                None
            );
            assert!(
                is_narrowing(std::slice::from_ref(&parent), std::slice::from_ref(child)),
                "{what}"
            );
        }
        // Identity covers but is not a narrowing.
        assert!(parent.covers(&parent));
        assert!(!is_narrowing(
            std::slice::from_ref(&parent),
            std::slice::from_ref(&parent)
        ));
    }

    #[test]
    fn set_level_functions() {
        let read = cap("db/**", &["read"], vec![]);
        let write = cap("db/logs/*", &["write"], vec![]);
        let parent = vec![read.clone(), write.clone()];
        assert_eq!(first_uncovered(&parent, &[]), None);
        assert_eq!(first_uncovered(&parent, std::slice::from_ref(&read)), None);
        let both = cap("db/logs/x", &["read", "write"], vec![]);
        // Covered only by the union of two parents: refused by design.
        assert_eq!(
            first_uncovered(&parent, &[read.clone(), both.clone()]),
            Some(1)
        );
        assert_eq!(first_uncovered(&parent, &[both, read.clone()]), Some(0));
        assert!(is_narrowing(&parent, std::slice::from_ref(&read)));
        assert!(is_narrowing(&parent, &[]));
        assert!(!is_narrowing(&parent, &parent));
        assert!(!is_narrowing(&parent, &[write.clone(), read.clone()]));
        assert!(!is_narrowing(&[], &[]));
        assert!(!is_narrowing(&[], std::slice::from_ref(&read)));
        // Splitting a parent into equivalent pieces is not a narrowing;
        // duplicates in the child change nothing.
        assert!(!is_narrowing(&parent, &[read.clone(), read, write]));
    }

    #[test]
    fn check_invocations() {
        let c = base();
        let good = args(&[
            ("amount", num(1000)),
            ("currency", txt("EUR")),
            ("memo", txt("inv-7")),
            ("extra", txt("ignored")),
        ]);
        let r = res("bank/a1/ops/transfer");
        assert_eq!(c.check("pay", &r, &good), Check::Allowed);
        assert_eq!(c.check("close", &r, &good), Check::NotCovered);
        assert_eq!(c.check("*", &r, &good), Check::NotCovered);
        assert_eq!(
            c.check("pay", &res("bank/a1/ops"), &good),
            Check::NotCovered
        );
        assert_eq!(
            c.check("pay", &res("bank/a1/x/y"), &good),
            Check::NotCovered
        );
        let mut over = good.clone();
        over.insert("amount".into(), num(1001));
        assert_eq!(
            c.check("pay", &r, &over),
            Check::Violated {
                arg: "amount".into(),
                rule: "max"
            }
        );
        let mut neg = good.clone();
        neg.insert("amount".into(), num(-1));
        assert_eq!(
            c.check("pay", &r, &neg),
            Check::Violated {
                arg: "amount".into(),
                rule: "min"
            }
        );
        let mut wrong_type = good.clone();
        wrong_type.insert("amount".into(), txt("5"));
        assert_eq!(
            c.check("pay", &r, &wrong_type),
            Check::Violated {
                arg: "amount".into(),
                rule: "max"
            }
        );
        let mut missing = good.clone();
        missing.remove("memo");
        assert_eq!(
            c.check("pay", &r, &missing),
            Check::Violated {
                arg: "memo".into(),
                rule: "prefix"
            }
        );
        let mut cur = good.clone();
        cur.insert("currency".into(), txt("GBP"));
        assert_eq!(
            c.check("pay", &r, &cur),
            Check::Violated {
                arg: "currency".into(),
                rule: "one_of"
            }
        );
        // All permits real actions, never "*".
        let all = cap("x", &["*"], vec![]);
        assert_eq!(all.check("anything", &res("x"), &args(&[])), Check::Allowed);
        assert_eq!(all.check("*", &res("x"), &args(&[])), Check::NotCovered);
    }

    #[test]
    fn authorize_picks_the_best_explanation() {
        let small = cap("bank/**", &["pay"], vec![con("amount", Rule::Max(d(10)))]);
        let big = cap(
            "bank/vip/**",
            &["pay"],
            vec![
                con("amount", Rule::Max(d(1000))),
                con("tier", Rule::Min(d(10))),
            ],
        );
        let other = cap("db/**", &["read"], vec![]);
        let caps = vec![other.clone(), small.clone(), big.clone()];
        let vip = res("bank/vip/1");
        assert_eq!(
            authorize(&caps, "pay", &vip, &args(&[("amount", num(5))])),
            Check::Allowed
        );
        assert_eq!(
            authorize(
                &caps,
                "pay",
                &vip,
                &args(&[("amount", num(500)), ("tier", num(10))])
            ),
            Check::Allowed
        );
        // Both bank capabilities match and fail: the first one's violation.
        assert_eq!(
            authorize(&caps, "pay", &vip, &args(&[("amount", num(500))])),
            Check::Violated {
                arg: "amount".into(),
                rule: "max"
            }
        );
        assert_eq!(
            authorize(
                &[other.clone(), big, small],
                "pay",
                &vip,
                &args(&[("amount", num(500))])
            ),
            Check::Violated {
                arg: "tier".into(),
                rule: "min"
            }
        );
        assert_eq!(
            authorize(&caps, "pay", &res("shop/1"), &args(&[])),
            Check::NotCovered
        );
        assert_eq!(
            authorize(&caps, "write", &res("db/x"), &args(&[])),
            Check::NotCovered
        );
        assert_eq!(
            authorize(&[], "read", &res("db/x"), &args(&[])),
            Check::NotCovered
        );
        assert_eq!(
            authorize(&[other], "read", &res("db/x"), &args(&[])),
            Check::Allowed
        );
    }

    /// splitmix64, for reproducible randomized properties.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    fn rand_cap(rng: &mut Rng) -> Capability {
        const PATS: [&str; 7] = ["a/**", "a/*", "a/b", "*/b", "**", "a/b/**", "b/*"];
        const ACTS: [&[&str]; 4] = [&["*"], &["r"], &["w"], &["r", "w"]];
        let p = PATS[rng.below(PATS.len() as u64)];
        let a = ACTS[rng.below(ACTS.len() as u64)];
        let mut cs = Vec::new();
        if rng.below(2) == 0 {
            cs.push(con("n", Rule::Max(d(rng.below(5) as i64))));
        }
        if rng.below(2) == 0 {
            cs.push(con("n", Rule::Min(d(rng.below(5) as i64))));
        }
        if rng.below(3) == 0 {
            let k = 1 + rng.below(3);
            let vals = (0..k).map(|_| num(rng.below(5) as i64)).collect();
            cs.push(con("n", Rule::one_of(vals, &lim()).unwrap()));
        }
        if rng.below(3) == 0 {
            let t = ["x", "xy", "y"][rng.below(3)];
            cs.push(con("t", Rule::prefix(t, &lim()).unwrap()));
        }
        cap(p, a, cs)
    }

    /// Soundness of `covers` end to end: whenever a parent covers a child,
    /// every invocation (over a finite domain) the child allows, the
    /// parent allows.
    #[test]
    fn covers_is_sound_randomized() {
        let mut rng = Rng(42);
        let resources: Vec<Resource> = ["a", "b", "a/b", "a/c", "b/b", "c/b", "a/b/c", "a/b/c/d"]
            .iter()
            .map(|s| res(s))
            .collect();
        let mut arg_sets = Vec::new();
        for n in -1..=5 {
            for t in [None, Some("x"), Some("xyz"), Some("y")] {
                let mut m = args(&[("n", num(n))]);
                if let Some(t) = t {
                    m.insert("t".into(), txt(t));
                }
                arg_sets.push(m);
            }
        }
        arg_sets.push(args(&[]));
        let mut covered = 0;
        for _ in 0..20_000 {
            let parent = rand_cap(&mut rng);
            let child = rand_cap(&mut rng);
            if !parent.covers(&child) {
                continue;
            }
            covered += 1;
            for r in &resources {
                for action in ["r", "w", "z"] {
                    for a in &arg_sets {
                        if child.check(action, r, a) == Check::Allowed {
                            assert_eq!(
                                parent.check(action, r, a),
                                Check::Allowed,
                                "{parent:?} covers {child:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(covered > 500, "only {covered} coverings sampled");
    }
}

"""The capability algebra, row by row, through delegation, verification and invocation.

Every row of the subsumption table is exercised end to end: a root block
granting the parent rule, a delegation granting the child rule, and a
verifier that accepts (the child rule implies the parent's) or refuses with
CAPABILITY_WIDENED at hop 1. Each row has the equal boundary, one step
stricter and one step wider.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainproof as cp

NOW = 1_800_000_000
AUD = "svc"


def sk(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed((2000 + i).to_bytes(32, "big"))


ROOT, A, B = sk(0), sk(1), sk(2)
VERIFIER = cp.Verifier([ROOT.public_key], AUD, replay_cache=False)


def root_token(caps: list[cp.Capability]) -> cp.Token:
    return cp.Token.issue(
        ROOT,
        subject=A.public_key,
        capabilities=caps,
        purpose="tests",
        audiences=[AUD],
        principal="alice",
        not_before=NOW - 10,
        expires_at=NOW + 600,
        max_depth=4,
        now=NOW,
    )


def delegated(parent: list[cp.Capability], child: list[cp.Capability], *, check: bool = False) -> cp.Token:
    return root_token(parent).delegate(A, subject=B.public_key, capabilities=child, check=check, now=NOW)


def verify_leaf(token: cp.Token, action: str, resource: str, args: dict[str, Any]) -> cp.Verdict:
    key = A if token.depth == 0 else B
    inv = token.invoke(
        key, audience=AUD, action=action, resource=resource, args=args, issued_at=NOW, check=False
    )
    return VERIFIER.verify(token, inv, now=NOW)


def on_x(rule: cp.Constraint | list[cp.Constraint] | None, resource: str = "svc/items/*") -> cp.Capability:
    return cp.Capability(resource, ["use"], {} if rule is None else {"x": rule})


def assert_ok(v: cp.Verdict) -> None:
    assert v.ok, (v.reason, v.hop, v.message)


def assert_refused(v: cp.Verdict, reason: str, hop: int) -> None:
    assert (v.ok, v.reason, v.hop) == (False, reason, hop), v.message


def admitted_value(rule: cp.Constraint) -> Any:
    """A value the rule admits (the boundary)."""
    if isinstance(rule, cp.OneOf):
        return rule.values[0]
    assert isinstance(rule, (cp.Max, cp.Min, cp.Eq, cp.Prefix))
    return rule.value


# (parent rule, child rule, implied). Each group: equal boundary, one step stricter, one step wider.
D = Decimal
ROWS: list[tuple[str, cp.Constraint, cp.Constraint, bool]] = [
    # max(a) <- max(b): b <= a
    ("max<-max equal", cp.Max(10), cp.Max(10), True),
    ("max<-max stricter", cp.Max(10), cp.Max(9), True),
    ("max<-max wider", cp.Max(10), cp.Max(11), False),
    ("max<-max negative", cp.Max(-5), cp.Max(-6), True),
    ("max<-max negative wider", cp.Max(-5), cp.Max(-4), False),
    # max(a) <- eq(v): v a number <= a
    ("max<-eq equal", cp.Max(10), cp.Eq(10), True),
    ("max<-eq stricter", cp.Max(10), cp.Eq(9), True),
    ("max<-eq wider", cp.Max(10), cp.Eq(11), False),
    ("max<-eq text", cp.Max(10), cp.Eq("5"), False),
    # max(a) <- one_of(T): all numbers <= a
    ("max<-one_of equal", cp.Max(10), cp.OneOf([3, 10]), True),
    ("max<-one_of stricter", cp.Max(10), cp.OneOf([3, 9]), True),
    ("max<-one_of wider", cp.Max(10), cp.OneOf([3, 11]), False),
    ("max<-one_of text member", cp.Max(10), cp.OneOf([3, "4"]), False),
    # min(a) <- min(b): b >= a
    ("min<-min equal", cp.Min(10), cp.Min(10), True),
    ("min<-min stricter", cp.Min(10), cp.Min(11), True),
    ("min<-min wider", cp.Min(10), cp.Min(9), False),
    # min(a) <- eq(v)
    ("min<-eq equal", cp.Min(10), cp.Eq(10), True),
    ("min<-eq stricter", cp.Min(10), cp.Eq(11), True),
    ("min<-eq wider", cp.Min(10), cp.Eq(9), False),
    ("min<-eq text", cp.Min(10), cp.Eq("50"), False),
    # min(a) <- one_of(T)
    ("min<-one_of equal", cp.Min(10), cp.OneOf([10, 20]), True),
    ("min<-one_of stricter", cp.Min(10), cp.OneOf([11, 20]), True),
    ("min<-one_of wider", cp.Min(10), cp.OneOf([9, 20]), False),
    ("min<-one_of text member", cp.Min(10), cp.OneOf([20, "x"]), False),
    # one_of(S) <- one_of(T): T subset of S
    ("one_of<-one_of equal", cp.OneOf(["EUR", "GBP", "USD"]), cp.OneOf(["USD", "EUR", "GBP"]), True),
    ("one_of<-one_of stricter", cp.OneOf(["EUR", "GBP", "USD"]), cp.OneOf(["EUR", "USD"]), True),
    ("one_of<-one_of wider", cp.OneOf(["EUR", "GBP", "USD"]), cp.OneOf(["CHF", "EUR", "GBP", "USD"]), False),
    ("one_of<-one_of other", cp.OneOf(["EUR", "GBP", "USD"]), cp.OneOf(["CHF"]), False),
    ("one_of<-one_of numbers", cp.OneOf([1, 2, 3]), cp.OneOf([1, 3]), True),
    ("one_of<-one_of number vs text", cp.OneOf([1, 2, 3]), cp.OneOf(["1"]), False),
    # one_of(S) <- eq(v): v in S
    ("one_of<-eq member", cp.OneOf(["EUR", "USD"]), cp.Eq("USD"), True),
    ("one_of<-eq singleton", cp.OneOf(["EUR"]), cp.Eq("EUR"), True),
    ("one_of<-eq non-member", cp.OneOf(["EUR", "USD"]), cp.Eq("GBP"), False),
    ("one_of<-eq type", cp.OneOf([1, 2]), cp.Eq("1"), False),
    # eq(v) <- eq(v)
    ("eq<-eq equal", cp.Eq(10), cp.Eq(10), True),
    ("eq<-eq equal decimal", cp.Eq(D("10.50")), cp.Eq(D("10.5")), True),
    ("eq<-eq below", cp.Eq(10), cp.Eq(9), False),
    ("eq<-eq above", cp.Eq(10), cp.Eq(11), False),
    ("eq<-eq type", cp.Eq(10), cp.Eq("10"), False),
    ("eq<-eq text", cp.Eq("acct-7"), cp.Eq("acct-7"), True),
    ("eq<-eq other text", cp.Eq("acct-7"), cp.Eq("acct-8"), False),
    # eq(v) <- one_of([v])
    ("eq<-one_of singleton", cp.Eq(10), cp.OneOf([10]), True),
    ("eq<-one_of duplicate", cp.Eq(10), cp.OneOf([10, 10]), True),
    ("eq<-one_of wider", cp.Eq(10), cp.OneOf([10, 11]), False),
    ("eq<-one_of other", cp.Eq(10), cp.OneOf([9]), False),
    # prefix(p) <- prefix(q): q starts with p
    ("prefix<-prefix equal", cp.Prefix("inv/"), cp.Prefix("inv/"), True),
    ("prefix<-prefix stricter", cp.Prefix("inv/"), cp.Prefix("inv/2"), True),
    ("prefix<-prefix wider", cp.Prefix("inv/"), cp.Prefix("inv"), False),
    ("prefix<-prefix other", cp.Prefix("inv/"), cp.Prefix("inx/"), False),
    ("prefix<-prefix case", cp.Prefix("inv/"), cp.Prefix("INV/"), False),
    # prefix(p) <- eq(text v): v starts with p
    ("prefix<-eq equal", cp.Prefix("inv/"), cp.Eq("inv/"), True),
    ("prefix<-eq stricter", cp.Prefix("inv/"), cp.Eq("inv/7"), True),
    ("prefix<-eq wider", cp.Prefix("inv/"), cp.Eq("inv"), False),
    ("prefix<-eq number", cp.Prefix("1"), cp.Eq(12), False),
    # prefix(p) <- one_of(texts all starting with p)
    ("prefix<-one_of equal", cp.Prefix("inv/"), cp.OneOf(["inv/", "inv/9"]), True),
    ("prefix<-one_of stricter", cp.Prefix("inv/"), cp.OneOf(["inv/1", "inv/9"]), True),
    ("prefix<-one_of wider", cp.Prefix("inv/"), cp.OneOf(["inv", "inv/9"]), False),
    ("prefix<-one_of number", cp.Prefix("1"), cp.OneOf(["12", 13]), False),
    # type mismatches never imply
    ("max<-prefix", cp.Max(10), cp.Prefix("1"), False),
    ("prefix<-max", cp.Prefix("1"), cp.Max(1), False),
    ("eq text<-max", cp.Eq("10"), cp.Max(10), False),
    # anything else never, even where harmless
    ("max<-min", cp.Max(10), cp.Min(20), False),
    ("min<-max", cp.Min(10), cp.Max(5), False),
    ("min<-max equal bound", cp.Min(10), cp.Max(10), False),
    ("eq<-max", cp.Eq(10), cp.Max(10), False),
    ("eq<-min", cp.Eq(10), cp.Min(10), False),
    ("eq<-prefix", cp.Eq("inv/7"), cp.Prefix("inv/7"), False),
    ("one_of<-max", cp.OneOf([1, 2]), cp.Max(1), False),
    ("one_of<-prefix", cp.OneOf(["a", "ab"]), cp.Prefix("ab"), False),
    ("max<-max-and-min needs the max", cp.Max(10), cp.Min(0), False),
    # exact decimals
    ("decimal max<-int max", cp.Max(D("10.50")), cp.Max(10), True),
    ("decimal max<-equal decimal", cp.Max(D("10.50")), cp.Max(D("10.5")), True),
    ("decimal max<-one hundredth wider", cp.Max(D("10.50")), cp.Max(D("10.51")), False),
    ("int max<-equal decimal", cp.Max(10), cp.Max(D("10.00")), True),
    ("int max<-decimal stricter", cp.Max(10), cp.Max(D("9.99")), True),
    ("int max<-decimal wider", cp.Max(10), cp.Max(D("10.01")), False),
    ("int max<-tiny fraction wider", cp.Max(9), cp.Max(D("9.000000000000000001")), False),
    ("decimal min<-decimal", cp.Min(D("0.05")), cp.Min(D("0.050")), True),
    ("decimal min<-wider", cp.Min(D("0.05")), cp.Min(D("0.04")), False),
    ("max<-eq decimal", cp.Max(10), cp.Eq(D("9.5")), True),
]


@pytest.mark.parametrize(("parent", "child", "implied"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_subsumption_row_through_delegation(
    parent: cp.Constraint, child: cp.Constraint, implied: bool
) -> None:
    token = delegated([on_x(parent)], [on_x(child)])
    v = verify_leaf(token, "use", "svc/items/1", {"x": admitted_value(child)})
    if implied:
        assert_ok(v)
        # The checked path mints the same hop.
        delegated([on_x(parent)], [on_x(child)], check=True)
    else:
        assert_refused(v, "CAPABILITY_WIDENED", 1)
        with pytest.raises(cp.RefusedError) as err:
            delegated([on_x(parent)], [on_x(child)], check=True)
        assert (err.value.reason, err.value.hop) == ("CAPABILITY_WIDENED", 1)


# After an implied hop the child's stricter rule governs: a value the parent admits but the child
# does not is refused at the invocation.
TIGHTER = [
    (cp.Max(10), cp.Max(9), 10),
    (cp.Max(10), cp.Eq(9), 8),
    (cp.Min(10), cp.OneOf([11, 20]), 10),
    (cp.OneOf(["EUR", "USD"]), cp.Eq("EUR"), "USD"),
    (cp.Prefix("inv/"), cp.Prefix("inv/2"), "inv/3"),
    (cp.Prefix("inv/"), cp.OneOf(["inv/1"]), "inv/2"),
    (cp.Max(D("10.50")), cp.Max(10), D("10.25")),
]


@pytest.mark.parametrize(("parent", "child", "value"), TIGHTER)
def test_child_rule_governs_after_an_implied_hop(
    parent: cp.Constraint, child: cp.Constraint, value: Any
) -> None:
    assert_ok(verify_leaf(root_token([on_x(parent)]), "use", "svc/items/1", {"x": value}))
    token = delegated([on_x(parent)], [on_x(child)], check=True)
    assert_ok(verify_leaf(token, "use", "svc/items/1", {"x": admitted_value(child)}))
    assert_refused(verify_leaf(token, "use", "svc/items/1", {"x": value}), "CONSTRAINT_VIOLATED", 2)


def test_child_may_add_constraints_on_new_arguments() -> None:
    parent = [on_x(cp.Max(10))]
    child = [cp.Capability("svc/items/*", ["use"], {"x": cp.Max(10), "y": cp.OneOf(["a"]), "z": cp.Min(1)})]
    token = delegated(parent, child, check=True)
    assert_ok(verify_leaf(token, "use", "svc/items/1", {"x": 5, "y": "a", "z": 1}))
    # The added constraint binds the invocation (closed world: omitting it fails).
    assert_refused(verify_leaf(token, "use", "svc/items/1", {"x": 5, "z": 1}), "CONSTRAINT_VIOLATED", 2)
    assert_refused(
        verify_leaf(token, "use", "svc/items/1", {"x": 5, "y": "b", "z": 1}), "CONSTRAINT_VIOLATED", 2
    )
    # A parent without constraints accepts any constrained child.
    assert_ok(verify_leaf(delegated([on_x(None)], [on_x(cp.Eq(3))]), "use", "svc/items/1", {"x": 3}))


@pytest.mark.parametrize(
    ("parent", "child", "implied"),
    [
        ([cp.Min(1), cp.Max(10)], [cp.Min(1), cp.Max(10)], True),
        ([cp.Min(1), cp.Max(10)], [cp.Min(2), cp.Max(9)], True),
        ([cp.Min(1), cp.Max(10)], [cp.Eq(5)], True),
        ([cp.Min(1), cp.Max(10)], [cp.OneOf([1, 10])], True),
        ([cp.Min(1), cp.Max(10)], [cp.Max(9)], False),
        ([cp.Min(1), cp.Max(10)], [cp.Min(2)], False),
        ([cp.Min(1), cp.Max(10)], [cp.Min(0), cp.Max(10)], False),
        ([cp.Min(1), cp.Max(10)], [cp.OneOf([0, 5])], False),
        ([cp.Max(10)], [], False),
        ([cp.Prefix("a")], [], False),
    ],
)
def test_every_parent_constraint_must_be_kept(
    parent: list[cp.Constraint], child: list[cp.Constraint], implied: bool
) -> None:
    child_cap = on_x(child if child else None)
    token = delegated([on_x(parent)], [child_cap])
    v = verify_leaf(token, "use", "svc/items/1", {"x": admitted_value(child[0]) if child else 5})
    if implied:
        assert_ok(v)
    else:
        assert_refused(v, "CAPABILITY_WIDENED", 1)


def test_dropping_a_constraint_on_one_argument_widens_even_if_others_are_kept() -> None:
    parent = cp.Capability("svc/items/*", ["use"], {"x": cp.Max(10), "y": cp.Eq("a")})
    child = cp.Capability("svc/items/*", ["use"], {"x": cp.Max(5)})
    assert_refused(
        verify_leaf(delegated([parent], [child]), "use", "svc/items/1", {"x": 1, "y": "a"}),
        "CAPABILITY_WIDENED",
        1,
    )


# --- invocation checking (admits) -------------------------------------------------------------

ADMITS: list[tuple[cp.Constraint, Any, bool]] = [
    (cp.Max(10), 10, True),
    (cp.Max(10), 9, True),
    (cp.Max(10), 11, False),
    (cp.Max(10), D("10.0"), True),
    (cp.Max(10), D("10.01"), False),
    (cp.Max(10), "5", False),
    (cp.Max(D("10.50")), D("10.5"), True),
    (cp.Max(D("10.50")), D("10.501"), False),
    (cp.Min(10), 10, True),
    (cp.Min(10), 11, True),
    (cp.Min(10), 9, False),
    (cp.Min(10), D("9.99"), False),
    (cp.Min(10), "10", False),
    (cp.OneOf([1, 2]), 1, True),
    (cp.OneOf([1, 2]), D("2.00"), True),
    (cp.OneOf([1, 2]), 3, False),
    (cp.OneOf([1, 2]), "1", False),
    (cp.OneOf(["EUR", "USD"]), "EUR", True),
    (cp.OneOf(["EUR", "USD"]), "GBP", False),
    (cp.OneOf(["EUR", "USD"]), "eur", False),
    (cp.Eq(5), 5, True),
    (cp.Eq(5), D("5.000"), True),
    (cp.Eq(5), 4, False),
    (cp.Eq(5), 6, False),
    (cp.Eq(5), "5", False),
    (cp.Eq("x"), "x", True),
    (cp.Eq("x"), "xy", False),
    (cp.Prefix("inv/"), "inv/", True),
    (cp.Prefix("inv/"), "inv/7", True),
    (cp.Prefix("inv/"), "inv", False),
    (cp.Prefix("inv/"), "Inv/7", False),
    (cp.Prefix("1"), 12, False),
]


@pytest.mark.parametrize(("rule", "value", "admitted"), ADMITS)
def test_invocation_admits(rule: cp.Constraint, value: Any, admitted: bool) -> None:
    token = root_token([on_x(rule)])
    v = verify_leaf(token, "use", "svc/items/1", {"x": value})
    if admitted:
        assert_ok(v)
        token.invoke(A, audience=AUD, action="use", resource="svc/items/1", args={"x": value}, issued_at=NOW)
    else:
        assert_refused(v, "CONSTRAINT_VIOLATED", 1)
        with pytest.raises(cp.RefusedError) as err:
            token.invoke(
                A, audience=AUD, action="use", resource="svc/items/1", args={"x": value}, issued_at=NOW
            )
        assert (err.value.reason, err.value.hop) == ("CONSTRAINT_VIOLATED", 1)


@pytest.mark.parametrize("rule", [cp.Max(10), cp.Min(0), cp.OneOf([1]), cp.Eq(1), cp.Prefix("a")])
def test_constrained_argument_omitted_is_violated(rule: cp.Constraint) -> None:
    token = root_token([on_x(rule)])
    assert_refused(verify_leaf(token, "use", "svc/items/1", {}), "CONSTRAINT_VIOLATED", 1)
    assert_refused(
        verify_leaf(token, "use", "svc/items/1", {"y": admitted_value(rule)}), "CONSTRAINT_VIOLATED", 1
    )


def test_floats_are_refused() -> None:
    with pytest.raises(cp.ArgumentTypeError):
        cp.Max(10.5)  # type: ignore[arg-type]
    with pytest.raises(cp.ArgumentTypeError):
        cp.Min(0.0)  # type: ignore[arg-type]
    with pytest.raises(cp.ArgumentTypeError):
        cp.Eq(1.0)  # type: ignore[arg-type]
    with pytest.raises(cp.ArgumentTypeError):
        cp.OneOf([1, 2.5])  # type: ignore[list-item]
    with pytest.raises(cp.ArgumentTypeError):
        cp.Max(True)
    token = root_token([on_x(cp.Max(10))])
    floaty: dict[str, Any] = {"x": 1.5}
    with pytest.raises(cp.ArgumentTypeError):
        token.invoke(A, audience=AUD, action="use", resource="svc/items/1", args=floaty, issued_at=NOW)
    with pytest.raises(cp.ArgumentTypeError):
        token.invoke(
            A, audience=AUD, action="use", resource="svc/items/1", args=floaty, issued_at=NOW, check=False
        )
    with pytest.raises(TypeError):
        token.invoke(A, audience=AUD, action="use", resource="svc/items/1", args={"x": True}, issued_at=NOW)
    # The engine refuses a float bound even if the Python-side check is bypassed.
    sneaky = object.__new__(cp.Max)
    object.__setattr__(sneaky, "value", 10.5)
    with pytest.raises(cp.ArgumentTypeError):
        root_token([cp.Capability("svc/items/*", ["use"], {"x": sneaky})])


# --- resource patterns ------------------------------------------------------------------------

PATTERNS: list[tuple[str, str, bool]] = [
    # `*` is exactly one segment
    ("bank/*", "bank/*", True),
    ("bank/*", "bank/x", True),
    ("bank/*", "bank/x/y", False),
    ("bank/*", "bank", False),
    ("bank/*", "*/x", False),
    # `*` never covers `**`
    ("bank/*", "bank/**", False),
    ("*", "**", False),
    ("*/*", "*/**", False),
    # literal vs `*`
    ("bank/x", "bank/x", True),
    ("bank/x", "bank/*", False),
    ("bank/x", "bank/y", False),
    ("bank/x", "bank/xx", False),
    ("*/x", "a/x", True),
    ("*/x", "*/x", True),
    ("*/x", "*/*", False),
    ("*", "bank", True),
    ("*", "bank/x", False),
    # trailing `**` is one or more segments
    ("bank/**", "bank/**", True),
    ("bank/**", "bank/x", True),
    ("bank/**", "bank/x/y/z", True),
    ("bank/**", "bank/*", True),
    ("bank/**", "bank/*/**", True),
    ("bank/**", "bank/x/**", True),
    ("bank/**", "bank", False),
    ("bank/**", "**", False),
    ("bank/**", "*/x", False),
    ("bank/**", "other/x", False),
    ("bank/*/**", "bank/x/y", True),
    ("bank/*/**", "bank/x/**", True),
    ("bank/*/**", "bank/**", False),
    ("bank/*/**", "bank/x", False),
    ("**", "a", True),
    ("**", "a/b/c", True),
    ("**", "*/**", True),
    ("**", "**", True),
    # lengths must match without `**`
    ("bank/*/*", "bank/*", False),
    ("bank/x/y", "bank/x", False),
    ("bank/x", "bank/x/y", False),
]


@pytest.mark.parametrize(("parent", "child", "covered"), PATTERNS)
def test_resource_pattern_coverage(parent: str, child: str, covered: bool) -> None:
    token = delegated([cp.Capability(parent, ["use"])], [cp.Capability(child, ["use"])])
    concrete = "/".join("k" if seg in ("*", "**") else seg for seg in child.split("/"))
    v = verify_leaf(token, "use", concrete, {})
    if covered:
        assert_ok(v)
    else:
        assert_refused(v, "CAPABILITY_WIDENED", 1)


MATCHES: list[tuple[str, str, bool]] = [
    ("bank/**", "bank", False),
    ("bank/**", "bank/a", True),
    ("bank/**", "bank/a/b/c", True),
    ("bank/*", "bank/a", True),
    ("bank/*", "bank/a/b", False),
    ("bank/*", "bank", False),
    ("bank/a", "bank/a", True),
    ("bank/a", "bank/b", False),
    ("bank/a", "bank/a/b", False),
    ("bank/a", "bank", False),
    ("*", "bank", True),
    ("*", "bank/a", False),
    ("**", "a", True),
    ("**", "a/b", True),
    ("*/a/**", "x/a/b", True),
    ("*/a/**", "x/a", False),
    ("*/a/**", "x/b/c", False),
]


@pytest.mark.parametrize(("pattern", "resource", "matched"), MATCHES)
def test_resource_pattern_matching(pattern: str, resource: str, matched: bool) -> None:
    v = verify_leaf(root_token([cp.Capability(pattern, ["use"])]), "use", resource, {})
    if matched:
        assert_ok(v)
    else:
        assert_refused(v, "NOT_COVERED", 1)


# --- actions ----------------------------------------------------------------------------------

ACTIONS: list[tuple[list[str], list[str], bool]] = [
    (["*"], ["*"], True),
    (["*"], ["pay", "read"], True),
    (["*"], ["delete"], True),
    (["pay", "read"], ["pay", "read"], True),
    (["pay", "read"], ["pay"], True),
    (["pay", "read"], ["*"], False),
    (["pay", "read"], ["delete", "pay"], False),
    (["pay"], ["read"], False),
]


@pytest.mark.parametrize(("parent", "child", "covered"), ACTIONS)
def test_action_coverage(parent: list[str], child: list[str], covered: bool) -> None:
    token = delegated([cp.Capability("svc/x", parent)], [cp.Capability("svc/x", child)])
    v = verify_leaf(token, "pay" if child == ["*"] else child[0], "svc/x", {})
    if covered:
        assert_ok(v)
    else:
        assert_refused(v, "CAPABILITY_WIDENED", 1)


def test_action_permission_at_invocation() -> None:
    everything = root_token([cp.Capability("svc/x", "*")])
    assert_ok(verify_leaf(everything, "delete", "svc/x", {}))
    # An invocation names one real action: "*" is never permitted, not even by "*".
    assert_refused(verify_leaf(everything, "*", "svc/x", {}), "NOT_COVERED", 1)
    some = root_token([cp.Capability("svc/x", ["pay", "read"])])
    assert_ok(verify_leaf(some, "read", "svc/x", {}))
    assert_refused(verify_leaf(some, "write", "svc/x", {}), "NOT_COVERED", 1)
    assert_refused(verify_leaf(some, "Pay", "svc/x", {}), "NOT_COVERED", 1)


def test_child_capability_must_be_covered_by_a_single_parent_capability() -> None:
    parent = [cp.Capability("svc/x", ["pay"]), cp.Capability("svc/x", ["read"])]
    assert_ok(verify_leaf(delegated(parent, parent), "read", "svc/x", {}))
    assert_refused(
        verify_leaf(delegated(parent, [cp.Capability("svc/x", ["pay", "read"])]), "read", "svc/x", {}),
        "CAPABILITY_WIDENED",
        1,
    )


# --- property: random narrowing verifies, random widening is refused ----------------------------
#
# Parent capability i lives under its own first segment "r<i>", so a child capability derived from
# parent i can only ever be covered by parent i: narrowing and widening are then well defined.

Draw = Callable[..., Any]
NUM_ARGS = ("n", "m")
TEXT_ARG = "t"
TEXTS = ("a", "ab", "abc", "b", "ba")


@st.composite
def number_rule(draw: st.DrawFn) -> cp.Constraint:
    kind = draw(st.sampled_from(["max", "min", "eq", "one_of"]))
    if kind == "max":
        return cp.Max(draw(st.integers(-3, 10)))
    if kind == "min":
        return cp.Min(draw(st.integers(-3, 10)))
    if kind == "eq":
        return cp.Eq(draw(st.integers(-3, 10)))
    return cp.OneOf(draw(st.lists(st.integers(-3, 10), min_size=1, max_size=4, unique=True)))


@st.composite
def text_rule(draw: st.DrawFn) -> cp.Constraint:
    kind = draw(st.sampled_from(["prefix", "eq", "one_of"]))
    if kind == "prefix":
        return cp.Prefix(draw(st.sampled_from(TEXTS)))
    if kind == "eq":
        return cp.Eq(draw(st.sampled_from(TEXTS)))
    return cp.OneOf(draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3, unique=True)))


@st.composite
def parent_capability(draw: st.DrawFn, index: int) -> cp.Capability:
    tail = draw(st.lists(st.sampled_from(["a", "b", "*"]), max_size=2))
    if draw(st.booleans()):
        tail.append("**")
    resource = "/".join([f"r{index}", *tail])
    if draw(st.integers(0, 3)) == 0:
        actions: list[str] = ["*"]
    else:
        actions = draw(
            st.lists(st.sampled_from(["pay", "read", "write"]), min_size=1, max_size=3, unique=True)
        )
    constraints: dict[str, cp.Constraint] = {}
    for arg in draw(st.lists(st.sampled_from(NUM_ARGS), unique=True, max_size=2)):
        constraints[arg] = draw(number_rule())
    if draw(st.booleans()):
        constraints[TEXT_ARG] = draw(text_rule())
    return cp.Capability(resource, actions, constraints)


def narrow_rule(draw: Draw, rule: cp.Constraint) -> cp.Constraint:
    if isinstance(rule, cp.Max):
        a = int(rule.value)
        choice = draw(st.sampled_from(["max", "eq", "one_of"]))
        if choice == "max":
            return cp.Max(draw(st.integers(a - 3, a)))
        if choice == "eq":
            return cp.Eq(draw(st.integers(a - 3, a)))
        return cp.OneOf(draw(st.lists(st.integers(a - 3, a), min_size=1, max_size=3, unique=True)))
    if isinstance(rule, cp.Min):
        a = int(rule.value)
        choice = draw(st.sampled_from(["min", "eq", "one_of"]))
        if choice == "min":
            return cp.Min(draw(st.integers(a, a + 3)))
        if choice == "eq":
            return cp.Eq(draw(st.integers(a, a + 3)))
        return cp.OneOf(draw(st.lists(st.integers(a, a + 3), min_size=1, max_size=3, unique=True)))
    if isinstance(rule, cp.OneOf):
        members = list(rule.values)
        if draw(st.booleans()):
            return cp.Eq(draw(st.sampled_from(members)))
        return cp.OneOf(draw(st.lists(st.sampled_from(members), min_size=1, unique=True)))
    if isinstance(rule, cp.Eq):
        return rule if draw(st.booleans()) else cp.OneOf([rule.value])
    assert isinstance(rule, cp.Prefix)
    longer = rule.value + draw(st.sampled_from(["", "a", "b", "zz"]))
    choice = draw(st.sampled_from(["prefix", "eq", "one_of"]))
    if choice == "prefix":
        return cp.Prefix(longer)
    if choice == "eq":
        return cp.Eq(longer)
    return cp.OneOf(sorted({longer, rule.value + "q"}))


def narrow_resource(draw: Draw, pattern: str) -> str:
    out = []
    for seg in pattern.split("/"):
        if seg == "*":
            out.append(draw(st.sampled_from(["*", "a", "b"])))
        elif seg == "**":
            out.append(draw(st.sampled_from(["**", "*", "a", "a/**", "*/**", "a/b"])))
        else:
            out.append(seg)
    return "/".join(out)


def narrow(draw: Draw, parent: cp.Capability) -> cp.Capability:
    if parent.actions == ("*",):
        actions = draw(
            st.one_of(
                st.just(["*"]),
                st.lists(
                    st.sampled_from(["pay", "read", "write", "delete"]), min_size=1, max_size=3, unique=True
                ),
            )
        )
    else:
        actions = draw(st.lists(st.sampled_from(list(parent.actions)), min_size=1, unique=True))
    constraints: dict[str, cp.Constraint] = {}
    for arg, (rule,) in parent.constraints.items():
        constraints[arg] = narrow_rule(draw, rule)
    if draw(st.booleans()):
        constraints["extra"] = cp.Max(draw(st.integers(0, 5)))
    return cp.Capability(narrow_resource(draw, parent.resource), actions, constraints)


def widen(draw: Draw, parent: cp.Capability, child: cp.Capability) -> cp.Capability:
    """``child`` (covered by ``parent``) changed in one way so that ``parent`` no longer covers it."""
    head = parent.resource.split("/")[0]
    resource, actions = child.resource, list(child.actions)
    constraints = {arg: rules[0] for arg, rules in child.constraints.items()}
    options = ["elsewhere"]
    if parent.actions != ("*",):
        options.append("action")
    if parent.resource != f"{head}/**":
        options.append("resource")
    if parent.constraints:
        options += ["loosen", "drop"]
    choice = draw(st.sampled_from(options))
    if choice == "elsewhere":
        resource = "zz/**"
    elif choice == "action":
        actions = ["*"] if draw(st.booleans()) else [*actions, "admin"]
    elif choice == "resource":
        resource = f"{head}/**"
    else:
        arg = draw(st.sampled_from(sorted(parent.constraints)))
        (rule,) = parent.constraints[arg]
        if choice == "drop":
            del constraints[arg]
        elif isinstance(rule, cp.Max):
            constraints[arg] = cp.Max(int(rule.value) + draw(st.integers(1, 3)))
        elif isinstance(rule, cp.Min):
            constraints[arg] = cp.Min(int(rule.value) - draw(st.integers(1, 3)))
        elif isinstance(rule, cp.OneOf):
            outside: Any = 100 if isinstance(rule.values[0], int) else "zzz"
            constraints[arg] = cp.OneOf([*rule.values, outside])
        elif isinstance(rule, cp.Eq):
            value = rule.value
            constraints[arg] = cp.Eq(value + 1 if isinstance(value, int) else f"{value}z")
        else:
            assert isinstance(rule, cp.Prefix)
            constraints[arg] = cp.Prefix(rule.value[:-1]) if len(rule.value) > 1 else cp.Eq("zzz")
    return cp.Capability(resource, actions, constraints)


def satisfying_invocation(capability: cp.Capability) -> tuple[str, str, dict[str, Any]]:
    resource = "/".join("k" if seg in ("*", "**") else seg for seg in capability.resource.split("/"))
    action = "pay" if capability.actions == ("*",) else capability.actions[0]
    args: dict[str, Any] = {}
    for arg, (rule,) in capability.constraints.items():
        args[arg] = admitted_value(rule)
    return action, resource, args


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_random_narrowing_verifies_and_random_widening_is_refused(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 3))
    parents = [data.draw(parent_capability(i)) for i in range(count)]
    picks = data.draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=3))
    children = [narrow(data.draw, parents[i]) for i in picks]

    token = delegated(parents, children, check=True)
    action, resource, args = satisfying_invocation(children[0])
    assert_ok(verify_leaf(token, action, resource, args))

    victim = data.draw(st.integers(0, len(children) - 1))
    widened = list(children)
    widened[victim] = widen(data.draw, parents[picks[victim]], children[victim])
    bad = delegated(parents, widened)
    action, resource, args = satisfying_invocation(widened[0])
    assert_refused(verify_leaf(bad, action, resource, args), "CAPABILITY_WIDENED", 1)
    with pytest.raises(cp.RefusedError) as err:
        delegated(parents, widened, check=True)
    assert (err.value.reason, err.value.hop) == ("CAPABILITY_WIDENED", 1)

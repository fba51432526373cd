"""chainproof.aip against the reference AIP SDK (agent-identity-protocol 0.6.0), live.

Every case of ``aip_sdk_cases.build_cases()`` is verified by the SDK (its verdict is
computed while the cases are built) and by chainproof.aip with the same fixed clock; the
verdicts (ok, ``aip_*`` code, HTTP status) must be equal. The few ``hygiene`` cases are
the RFC 8725 strictness issue 3 asks for: the SDK accepts them, chainproof must refuse
them with the code the case names. The SDK's behaviour is written up in
/work/scratch/aip_sdk_behaviour.md.
"""

from __future__ import annotations

import functools
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import aip_sdk_cases as sdk
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_aip_vectors import REQUIRED_KINDS

import chainproof as cp
from chainproof import aip

REPO = Path(__file__).resolve().parent.parent
CASES = sdk.build_cases()
BY_NAME = {c.name: c for c in CASES}
STATUS_403 = {"aip_scope_insufficient", "aip_budget_exceeded", "aip_depth_exceeded"}


def trust_key(trusted: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    return tuple(sorted(trusted.items()))


@functools.cache
def verifier_for(trusted: tuple[tuple[str, bytes], ...]) -> aip.Verifier:
    return aip.Verifier(trusted_issuers=dict(trusted))


def status_of(reason: str | None) -> int | None:
    if reason is None:
        return None
    return 403 if reason in STATUS_403 else 401


def chainproof_verdict(case: sdk.Case) -> tuple[bool, str | None, int | None]:
    v = verifier_for(trust_key(case.trusted))
    got = v.verify(case.token, case.tool, case.domain, now=case.now)
    return got.ok, got.reason, got.http_status


# ------------------------------------------------------------------ the generator itself


def test_forger_reproduces_sdk_bytes() -> None:
    # Forged cases are only meaningful if the forger signs exactly as the SDK does.
    assert sdk.forged_matches_sdk(3)
    assert sdk.forged_matches_sdk(0)
    assert sdk.compact_forger_matches_sdk()


def test_cases_cover_every_required_kind() -> None:
    kinds = {c.kind for c in CASES}
    assert REQUIRED_KINDS <= kinds, REQUIRED_KINDS - kinds
    depths = {c.token.count("~") for c in CASES if c.kind == "valid"}
    assert set(range(6)) <= depths
    # the SDK really refuses every invalid kind and accepts every valid one
    for c in CASES:
        assert c.sdk is not None
        if c.kind in ("valid", "compact_valid", "header_extra", "extra_claims", "compact_coercion"):
            assert c.sdk.ok, c.name
        elif not c.hygiene:
            assert not c.sdk.ok, c.name


def test_oracle_agrees_with_sdk_middleware() -> None:
    # For JWT chains from a trusted issuer with no domain, the oracle is exactly
    # aip_mcp.middleware.verify_request (which takes one key and no clock): check it.
    checked = 0
    for c in CASES:
        key = sdk.resolve_root_key(sdk.declared_issuer(c.token), c.trusted)
        if c.domain is not None or key is None or c.token == "" or sdk.mode_of(c.token) != "jwt-chain":
            continue
        assert c.sdk is not None
        assert sdk.middleware_reason(c.token, c.tool, key, c.now) == c.sdk.reason, c.name
        checked += 1
    assert checked > 100


def test_sdk_status_mapping() -> None:
    for c in CASES:
        assert c.sdk is not None
        assert c.sdk.http_status == status_of(c.sdk.reason), c.name


# ----------------------------------------------------------------- chainproof vs the SDK


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_verdict_matches_sdk(name: str) -> None:
    case = BY_NAME[name]
    ok, reason = case.expected()
    got = chainproof_verdict(case)
    assert got == (ok, reason, status_of(reason)), f"{name}: sdk={case.sdk} chainproof={got}"


def test_hygiene_cases_are_accepted_by_the_sdk() -> None:
    # These are the only places chainproof may differ, and only by refusing.
    hygiene = [c for c in CASES if c.hygiene]
    assert len(hygiene) >= 10
    for c in hygiene:
        assert c.sdk is not None and c.sdk.ok, c.name
        assert c.chainproof_reason is not None


def test_batch_equals_single() -> None:
    groups: dict[tuple[tuple[tuple[str, bytes], ...], int], list[sdk.Case]] = defaultdict(list)
    for c in CASES:
        groups[(trust_key(c.trusted), c.now)].append(c)
    big = max(groups.values(), key=len)
    assert len(big) > 150
    rng = random.Random(3)
    for (trusted, now), cases in groups.items():
        v = aip.Verifier(trusted_issuers=dict(trusted))
        items = [(c.token, c.tool, c.domain) for c in cases] * 2
        order = list(range(len(items)))
        rng.shuffle(order)
        batch = v.verify_batch([items[i] for i in order], now=now)
        assert len(batch) == len(items)
        # single verification, with and without the verified-link cache, one thread
        single = aip.Verifier(trusted_issuers=dict(trusted))
        uncached = aip.Verifier(trusted_issuers=dict(trusted), link_cache=False, threads=1)
        for i, got in zip(order, batch, strict=True):
            token, tool, domain = items[i]
            for v1 in (single, uncached):
                one = v1.verify(token, tool, domain, now=now)
                assert (got.ok, got.reason, got.http_status, got.link) == (
                    one.ok,
                    one.reason,
                    one.http_status,
                    one.link,
                ), cases[i % len(cases)].name


def test_batch_accepts_request_objects() -> None:
    v = aip.Verifier(trusted_issuers={sdk.ISSUER: sdk.pub("root")})
    cases = [c for c in CASES if trust_key(c.trusted) == trust_key({sdk.ISSUER: sdk.pub("root")})]
    cases = [c for c in cases if c.now == sdk.NOW][:40]
    assert len({c.sdk.ok for c in cases if c.sdk is not None}) == 2
    got = v.verify_batch([aip.Request(c.token, c.tool, domain=c.domain) for c in cases], now=sdk.NOW)
    tuples = v.verify_batch([(c.token, c.tool, c.domain) for c in cases], now=sdk.NOW)
    assert [(g.ok, g.reason, g.link) for g in got] == [(t.ok, t.reason, t.link) for t in tuples]


# --------------------------------------------------------------------------- prefixes


def test_sdk_accepts_every_prefix_and_so_does_chainproof_by_default() -> None:
    token, _ = sdk.valid_chain(4)
    links = token.split("~")
    v = aip.Verifier(trusted_issuers={sdk.ISSUER: sdk.pub("root")})
    for k in range(1, len(links) + 1):
        prefix = "~".join(links[:k])
        assert sdk.sdk_verify(prefix, "tool:search", None, {sdk.ISSUER: sdk.pub("root")}, sdk.NOW).ok
        got = v.verify(prefix, "tool:search", now=sdk.NOW)
        assert got.ok, (k, got.reason)


def test_require_proof_makes_a_prefix_useless() -> None:
    token, seeds = sdk.valid_chain(3)
    links = token.split("~")
    trusted = {sdk.ISSUER: sdk.pub("root")}
    v = aip.Verifier(trusted_issuers=trusted, require_proof=True)
    leaf = cp.SigningKey.from_seed(seeds[3])
    assert bytes(leaf.public_key) == sdk.pub(sdk.holder_label(3))
    counter = iter(range(1000))

    def proof(holder: cp.SigningKey, tok: str) -> str:
        return aip.make_proof(holder, tok, tool="tool:search", iat=sdk.NOW, jti=f"proof-{next(counter):04d}")

    # the full chain with the leaf holder's proof passes; without a proof it does not
    assert v.verify(token, "tool:search", now=sdk.NOW, proof=proof(leaf, token)).ok
    assert not v.verify(token, "tool:search", now=sdk.NOW).ok
    # the holder of the full chain presents a prefix: its own key is not the prefix's cnf
    for k in range(1, 4):
        prefix = "~".join(links[:k])
        assert not v.verify(prefix, "tool:search", now=sdk.NOW).ok
        got = v.verify(prefix, "tool:search", now=sdk.NOW, proof=proof(leaf, prefix))
        assert not got.ok
        assert got.reason in aip.reason_codes()
        # a proof for the full chain does not transfer to the prefix either (ath binds the token)
        assert not v.verify(prefix, "tool:search", now=sdk.NOW, proof=proof(leaf, token)).ok
        # the prefix's rightful holder can still use it
        holder = cp.SigningKey.from_seed(seeds[k - 1])
        assert v.verify(prefix, "tool:search", now=sdk.NOW, proof=proof(holder, prefix)).ok
    # and the default verifier, like the SDK, takes the prefix without any proof
    assert aip.Verifier(trusted_issuers=trusted).verify(links[0], "tool:search", now=sdk.NOW).ok


# ---------------------------------------------------------------------------- mutation

BASES = [
    BY_NAME["valid-depth0"].token,
    BY_NAME["valid-depth2"].token,
    BY_NAME["valid-narrowed-domain"].token,
    BY_NAME["compact-valid"].token,
]
MUTATION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~.=+/ é\x00"
TRUSTED = {sdk.ISSUER: sdk.pub("root")}


@functools.cache
def mutation_verifier() -> aip.Verifier:
    return aip.Verifier(trusted_issuers=TRUSTED)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(range(len(BASES))),
    pos=st.integers(min_value=0, max_value=10**6),
    char=st.sampled_from(MUTATION_ALPHABET),
    delete=st.booleans(),
)
def test_mutation_never_separates_sdk_and_chainproof(base: int, pos: int, char: str, delete: bool) -> None:
    token = BASES[base]
    pos %= len(token)
    mutated = token[:pos] + ("" if delete else char) + token[pos + 1 :]
    if mutated == token:
        return
    domain = "b.example" if base == 2 else None
    tool = "tool:read_file" if base == 2 else "tool:search"
    want = sdk.sdk_verify(mutated, tool, domain, TRUSTED, sdk.NOW)
    got = mutation_verifier().verify(mutated, tool, domain, now=sdk.NOW)
    # never accept what the SDK refuses, never refuse what it accepts, and say why the same way
    assert (got.ok, got.reason, got.http_status) == (want.ok, want.reason, want.http_status), (
        pos,
        char,
        delete,
    )


EDIT_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    1,
    5,
    10**20,
    1.5,
    "",
    " ",
    "tool:search",
    "*",
    "user:alice",
    [],
    ["tool:search"],
    ["*"],
    ["tool:read_*"],
    ["tool:read_file"],
    ["a.example"],
    ["a.example", "b.example"],
    {},
    sdk.NOW,
    sdk.NOW + 10,
    sdk.NOW + sdk.TTL,
    sdk.NOW + sdk.TTL + 1,
    sdk.NOW - 1,
    1000,
    2**63,
]
EDIT_NAMES = [
    "iss",
    "sub",
    "exp",
    "jti",
    "prev",
    "aip_ctx",
    "cnf",
    "aip_tools",
    "aip_domains",
    "aip_budget_cents",
    "aip_principal",
    "aip_max_depth",
    "aud",
]
DROP = object()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(min_value=0, max_value=4),
    max_depth=st.sampled_from([0, 1, 2, 3, 5]),
    domains=st.sampled_from([None, ["a.example", "b.example"]]),
    budget=st.sampled_from([None, 1000]),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4),
            st.sampled_from(EDIT_NAMES),
            st.sampled_from([DROP, *EDIT_VALUES]),
        ),
        min_size=1,
        max_size=3,
    ),
    wrong_signer=st.sampled_from([None, 0, 1, 2]),
    tool=st.sampled_from(["tool:search", "tool:read_file", "tool:write", "*"]),
    domain=st.sampled_from([None, "a.example", "c.example"]),
    now=st.sampled_from([sdk.NOW, sdk.NOW + 11, sdk.NOW + sdk.TTL, sdk.NOW + sdk.TTL + 1]),
)
def test_resigned_claim_edits_agree_with_sdk(
    depth: int,
    max_depth: int,
    domains: list[str] | None,
    budget: int | None,
    edits: list[tuple[int, str, object]],
    wrong_signer: int | None,
    tool: str,
    domain: str | None,
    now: int,
) -> None:
    # Links whose claims were edited and then properly re-signed: the semantic checks
    # (linkage, types, depth, attenuation, context, authorisation) must give the SDK's code.
    claims = sdk.chain_claims("edit", depth, max_depth=max_depth, domains=domains, budget=budget)
    for index, name, value in edits:
        link = claims[index % len(claims)]
        if value is DROP:
            link.pop(name, None)
        else:
            link[name] = value
    signers = {} if wrong_signer is None or wrong_signer > depth else {wrong_signer: sdk.keypair("mallory")}
    token = sdk.sign_chain(claims, signers=signers)
    want = sdk.sdk_verify(token, tool, domain, TRUSTED, now)
    got = mutation_verifier().verify(token, tool, domain, now=now)
    assert (got.ok, got.reason, got.http_status) == (want.ok, want.reason, want.http_status), (
        claims,
        got.message,
    )


@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.text(
            alphabet="eyJABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=", max_size=400
        ),
        st.lists(st.sampled_from(BASES[1].split("~") + BASES[1].split(".")), max_size=6).map("~".join),
        st.lists(st.sampled_from(BASES[1].split("~") + BASES[1].split(".")), max_size=6).map(".".join),
    )
)
def test_hostile_text_never_crashes_and_agrees(text: str) -> None:
    want = sdk.sdk_verify(text, "tool:search", None, TRUSTED, sdk.NOW)
    got = mutation_verifier().verify(text, "tool:search", now=sdk.NOW)
    assert (got.ok, got.reason) == (want.ok, want.reason)


# ----------------------------------------------------------------------------- vectors


def test_vector_file_matches_the_sdk() -> None:
    # scripts/make_aip_vectors.py --check re-derives every expectation with the SDK.
    # It lives here (not in test_aip_vectors.py) because that file must run without the SDK.
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_aip_vectors.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr

"""Every security rule of the verifier, through the public Python API.

Each test names a rule and fails if that rule were dropped from the engine.
Every verification passes an explicit ``now``; no test reads the wall clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainproof as cp

NOW = 1_800_000_000
AUD = "bank"
PURPOSE = "payments/invoices"
PRINCIPAL = "alice"
RESOURCE = "bank/invoices/17"


def sk(i: int) -> cp.SigningKey:
    """Deterministic key number ``i`` (distinct from the conftest keys)."""
    return cp.SigningKey.from_seed((1000 + i).to_bytes(32, "big"))


ROOT = sk(0)
OTHER_ROOT = sk(1)
STRANGER = sk(2)


def holder(i: int) -> cp.SigningKey:
    """The subject of block ``i`` in chains built by :func:`build`."""
    return sk(10 + i)


def cap(
    amount: int = 1000, actions: Sequence[str] = ("pay", "read"), resource: str = "bank/invoices/*"
) -> cp.Capability:
    return cp.Capability(resource, list(actions), {"amount": cp.Max(amount)})


def issue(
    *,
    root: cp.SigningKey = ROOT,
    subject: cp.SigningKey | None = None,
    capabilities: Sequence[cp.Capability] | None = None,
    purpose: str = PURPOSE,
    audiences: Sequence[str] = (AUD,),
    principal: str = PRINCIPAL,
    not_before: int = NOW - 100,
    expires_at: int = NOW + 3600,
    max_depth: int = 8,
    **kw: Any,
) -> cp.Token:
    return cp.Token.issue(
        root,
        subject=(subject or holder(0)).public_key,
        capabilities=list(capabilities) if capabilities is not None else [cap()],
        purpose=purpose,
        audiences=list(audiences),
        principal=principal,
        not_before=not_before,
        expires_at=expires_at,
        max_depth=max_depth,
        now=NOW,
        **kw,
    )


def build(depth: int, **root_kw: Any) -> list[cp.Token]:
    """``tokens[i]`` holds blocks 0..i; block ``i`` names ``holder(i)``. Hops keep the parent's grant."""
    tokens = [issue(**root_kw)]
    for i in range(1, depth + 1):
        tokens.append(tokens[-1].delegate(holder(i - 1), subject=holder(i).public_key, now=NOW))
    return tokens


def invoke(
    token: cp.Token,
    key: cp.SigningKey | None = None,
    *,
    audience: str = AUD,
    action: str = "pay",
    resource: str = RESOURCE,
    args: dict[str, Any] | None = None,
    issued_at: int = NOW,
    nonce: bytes | None = None,
    request: bytes | None = None,
    check: bool = True,
) -> cp.Invocation:
    """An invocation of ``token`` signed by ``key`` (default: the holder of a :func:`build` chain)."""
    return token.invoke(
        key or holder(token.depth),
        audience=audience,
        action=action,
        resource=resource,
        args={"amount": 100} if args is None else args,
        issued_at=issued_at,
        nonce=nonce,
        request=request,
        check=check,
    )


def verifier(**kw: Any) -> cp.Verifier:
    kw.setdefault("replay_cache", False)
    roots = kw.pop("roots", [ROOT.public_key])
    return cp.Verifier(roots, AUD, **kw)


def check(token: Any, inv: Any, **kw: Any) -> cp.Verdict:
    now = kw.pop("now", NOW)
    request = kw.pop("request", None)
    return verifier(**kw).verify(token, inv, now=now, request=request)


def accepted(v: cp.Verdict) -> None:
    assert v.ok, (v.reason, v.hop, v.message)
    assert v.reason is None and v.hop is None
    assert bool(v) is True


def refused(v: cp.Verdict, reason: str, hop: int | None) -> None:
    assert not v.ok, "accepted, expected " + reason
    assert (v.reason, v.hop) == (reason, hop), v.message
    assert v.evidence is None
    assert bool(v) is False


# --- raw wire surgery (for splicing, reordering and truncating blocks) -------------------------


def _head(data: bytes, pos: int) -> tuple[int, int, int]:
    first = data[pos]
    major, info = first >> 5, first & 31
    if info < 24:
        return major, info, pos + 1
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return major, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def _enc_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(value)


def blocks_of(token: cp.Token) -> list[bytes]:
    """The encoded ``[signed, signature]`` items of a token, root first."""
    data = token.to_bytes()
    major, count, pos = _head(data, 0)
    assert major == 4
    major, version, pos = _head(data, pos)
    assert (major, version) == (0, 1)
    items = []
    for _ in range(count - 1):
        start = pos
        major, n, pos = _head(data, pos)
        assert (major, n) == (4, 2)
        for _ in range(2):
            major, length, pos = _head(data, pos)
            assert major == 2
            pos += length
        items.append(data[start:pos])
    assert pos == len(data)
    return items


def token_of(items: Sequence[bytes]) -> cp.Token:
    return cp.Token.decode(_enc_head(4, len(items) + 1) + b"\x01" + b"".join(items))


# --- acceptance and evidence ------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 3, 5])
def test_accepted_chain_carries_full_evidence(depth: int) -> None:
    tokens = [
        issue(max_depth=depth, reason="root grant", subject_id="spiffe://agents/h0"),
    ]
    for i in range(1, depth + 1):
        tokens.append(
            tokens[-1].delegate(
                holder(i - 1),
                subject=holder(i).public_key,
                capabilities=[cap(1000 - i)],
                purpose=PURPOSE + "".join(f"/s{j}" for j in range(1, i + 1)),
                expires_at=NOW + 3600 - i,
                reason=f"hop {i}",
                subject_id=f"spiffe://agents/h{i}" if i % 2 == 0 else None,
                now=NOW,
            )
        )
    token = tokens[-1]
    inv = invoke(token, args={"amount": 100, "memo": "q3"})
    v = check(token, inv)
    accepted(v)
    ev = v.evidence
    assert ev is not None
    assert ev["principal"] == PRINCIPAL
    assert ev["root_key"] == ROOT.public_key.encode()
    assert ev["holder"] == holder(depth).public_key.encode()
    assert ev["depth"] == depth
    assert ev["tip_hash"] == token.tip_hash.hex()
    hops = ev["hops"]
    assert len(hops) == depth + 1
    for i, hop in enumerate(hops):
        signer = ROOT if i == 0 else holder(i - 1)
        assert hop["index"] == i
        assert hop["issuer"] == signer.public_key.encode()
        assert hop["subject"] == holder(i).public_key.encode()
        assert hop["capabilities"] == [
            {
                "resource": "bank/invoices/*",
                "actions": ["pay", "read"],
                "constraints": [{"arg": "amount", "kind": "max", "value": 1000 - i}],
            }
        ]
        assert hop["purpose"] == PURPOSE + "".join(f"/s{j}" for j in range(1, i + 1))
        assert hop["expires"] == NOW + 3600 - i
        assert hop["not_before"] == NOW - 100
        assert hop["block_hash"] == tokens[i].tip_hash.hex()
        assert hop["block_id"] == token.block_ids[i].hex()
        assert hop["parent_hash"] == (None if i == 0 else tokens[i - 1].tip_hash.hex())
        assert hop["reason"] == ("root grant" if i == 0 else f"hop {i}")
        assert hop["audiences"] == [AUD]
    # RFC 8693: sub is the principal; nested act claims name the agents, outermost the current holder.
    rfc = ev["rfc8693"]
    assert rfc["sub"] == PRINCIPAL
    assert rfc["iss"] == ROOT.public_key.encode()
    names = []
    act: dict[str, Any] | None = rfc["act"]
    while act is not None:
        names.append(act["sub"])
        act = act.get("act")

    def label(i: int) -> str:
        return f"spiffe://agents/h{i}" if i % 2 == 0 else holder(i).public_key.encode()

    assert names == [label(i) for i in reversed(range(depth + 1))]
    assert ev["invocation"]["holder"] == holder(depth).public_key.encode()
    assert ev["invocation"]["action"] == "pay"
    assert ev["invocation"]["resource"] == RESOURCE
    assert ev["invocation"]["args"] == {"amount": 100, "memo": "q3"}
    assert ev["invocation"]["token_hash"] == token.tip_hash.hex()
    parsed = json.loads(v.to_json())
    assert parsed == {"ok": True, "reason": None, "hop": None, "message": v.message, "evidence": ev}
    assert v.to_dict()["evidence"] == ev


def test_accepts_text_and_binary_forms() -> None:
    token = build(2)[-1]
    inv = invoke(token)
    accepted(check(token.encode(), inv.encode()))
    accepted(check(token.to_bytes(), inv.to_bytes()))
    accepted(check(token.encode().encode(), inv.encode().encode()))
    accepted(check(token, inv))


def test_refused_verdict_serialises() -> None:
    token = build(1)[-1]
    v = check(token, invoke(token, STRANGER, check=False))
    refused(v, "POP_INVALID", 2)
    assert json.loads(v.to_json()) == {
        "ok": False,
        "reason": "POP_INVALID",
        "hop": 2,
        "message": v.message,
        "evidence": None,
    }


# --- SIGNATURE_INVALID ------------------------------------------------------------------------


def test_block_signed_by_a_non_holder_is_signature_invalid() -> None:
    tokens = build(1)
    forged = tokens[1].delegate(STRANGER, subject=holder(2).public_key, check=False, now=NOW)
    refused(check(forged, invoke(forged)), "SIGNATURE_INVALID", 2)
    with pytest.raises(cp.InvalidKeyError):
        tokens[1].delegate(STRANGER, subject=holder(2).public_key, now=NOW)


def test_forged_middle_block_is_reported_at_its_hop() -> None:
    root = issue()
    forged = root.delegate(STRANGER, subject=holder(1).public_key, check=False, now=NOW)
    leaf = forged.delegate(holder(1), subject=holder(2).public_key, now=NOW)
    refused(check(leaf, invoke(leaf)), "SIGNATURE_INVALID", 1)


def test_signature_is_checked_over_the_received_bytes() -> None:
    token = build(1, reason="aaaa")[-1]
    data = token.to_bytes()
    assert data.count(b"aaaa") == 1
    tampered = data.replace(b"aaaa", b"aaab")
    inv = invoke(token)
    accepted(check(data, inv))
    # The root's signed bytes changed: its signature no longer holds (and linkage breaks too,
    # but signatures come first).
    refused(check(tampered, inv), "SIGNATURE_INVALID", 0)


# --- POP_INVALID ------------------------------------------------------------------------------


def test_invocation_signed_by_a_non_holder_is_pop_invalid() -> None:
    tokens = build(2)
    token = tokens[-1]
    refused(check(token, invoke(token, STRANGER, check=False)), "POP_INVALID", 3)
    # An earlier holder of the chain is not the current holder either.
    refused(check(token, invoke(token, holder(1), check=False)), "POP_INVALID", 3)
    refused(check(token, invoke(token, ROOT, check=False)), "POP_INVALID", 3)
    with pytest.raises(cp.InvalidKeyError):
        invoke(token, holder(1))


def test_invocation_made_for_another_token_is_pop_invalid() -> None:
    # Two grants to the same holder: its signature holds for both, the token hash does not.
    first = issue(capabilities=[cap(1000)])
    second = issue(capabilities=[cap(10)])
    inv = invoke(first)
    accepted(check(first, inv))
    refused(check(second, inv), "POP_INVALID", 1)


def test_request_bytes_must_match_the_invocation_digest() -> None:
    token = build(1)[-1]
    body = b'{"amount": 100, "to": "acct-7"}'
    inv = invoke(token, request=body)
    accepted(check(token, inv, request=body))
    refused(check(token, inv, request=b'{"amount": 100, "to": "acct-9"}'), "POP_INVALID", 2)
    # Without request bytes there is nothing to compare.
    accepted(check(token, inv))
    # An invocation bound to its args (no request given) does not match other request bytes.
    plain = invoke(token)
    refused(check(token, plain, request=body), "POP_INVALID", 2)
    # The same through the batch API's 3-tuples.
    verdicts = verifier().verify_batch([(token, inv, body), (token, inv, b"other")], now=NOW)
    accepted(verdicts[0])
    refused(verdicts[1], "POP_INVALID", 2)


# --- CHAIN_BROKEN -----------------------------------------------------------------------------


def test_spliced_block_is_chain_broken() -> None:
    # Two chains root -> A -> B and root -> A -> C: A signs both delegations. Chain 2's root grant
    # has been revoked; C tries to re-attach its delegation to chain 1's (still valid) root block.
    a, b, c = holder(0), sk(50), sk(51)
    chain1 = issue(subject=a).delegate(a, subject=b.public_key, now=NOW)
    chain2 = issue(subject=a).delegate(a, subject=c.public_key, capabilities=[cap(500)], now=NOW)
    revoked = [chain2.block_ids[0]]
    inv = invoke(chain2, c)
    accepted(check(chain2, inv))
    refused(check(chain2, inv, revoked_blocks=revoked), "REVOKED", 0)
    accepted(check(chain1, invoke(chain1, b), revoked_blocks=revoked))
    # Chain 1's root with chain 2's delegation: the signature holds (A signed it), the parent hash
    # does not. Every other rule would pass: the block is within chain 1's grant.
    spliced = token_of([blocks_of(chain1)[0], blocks_of(chain2)[1]])
    assert spliced.tip_hash == chain2.tip_hash
    refused(check(spliced, inv, revoked_blocks=revoked), "CHAIN_BROKEN", 1)


def _self_delegated(n: int) -> cp.Token:
    """root -> A, then ``n`` hops A -> A: every block after the root is signed by A and names A."""
    a = holder(0)
    token = issue(subject=a)
    for i in range(n):
        token = token.delegate(a, subject=a.public_key, reason=f"self {i}", now=NOW)
    return token


def test_reordered_blocks_are_chain_broken() -> None:
    token = _self_delegated(2)
    accepted(check(token, invoke(token, holder(0))))
    r, b1, b2 = blocks_of(token)
    swapped = token_of([r, b2, b1])
    refused(check(swapped, invoke(swapped, holder(0), check=False)), "CHAIN_BROKEN", 1)


def test_dropped_middle_block_is_chain_broken() -> None:
    token = _self_delegated(2)
    r, _, b2 = blocks_of(token)
    shortened = token_of([r, b2])
    refused(check(shortened, invoke(shortened, holder(0), check=False)), "CHAIN_BROKEN", 1)


def test_root_block_in_the_middle_is_chain_broken() -> None:
    a = holder(0)
    first = issue(subject=a)
    # A root block signed by A (so the signature under the previous subject holds).
    second = issue(root=a, subject=holder(1))
    joined = token_of([blocks_of(first)[0], blocks_of(second)[0]])
    refused(check(joined, invoke(joined, holder(1), check=False)), "CHAIN_BROKEN", 1)


# --- UNTRUSTED_ROOT ---------------------------------------------------------------------------


def test_untrusted_root() -> None:
    token = build(1, root=OTHER_ROOT)[-1]
    inv = invoke(token)
    refused(check(token, inv), "UNTRUSTED_ROOT", 0)
    accepted(check(token, inv, roots=[ROOT.public_key, OTHER_ROOT.public_key]))
    accepted(check(token, inv, roots=[bytes(OTHER_ROOT.public_key)]))


# --- REVOKED ----------------------------------------------------------------------------------


def test_revoked_block_ids() -> None:
    tokens = build(3)
    token = tokens[-1]
    inv = invoke(token)
    accepted(check(token, inv))
    for hop, block_id in enumerate(token.block_ids):
        v = verifier()
        v.revoke_block(block_id)
        refused(v.verify(token, inv, now=NOW), "REVOKED", hop)
        refused(check(token, inv, revoked_blocks=[block_id]), "REVOKED", hop)


def test_revoking_a_middle_block_revokes_everything_below_it_only() -> None:
    tokens = build(2)
    # A sibling branch from the same block 1.
    sibling = tokens[1].delegate(holder(1), subject=sk(60).public_key, now=NOW)
    v = verifier(revoked_blocks=[tokens[2].block_ids[1]])
    refused(v.verify(tokens[2], invoke(tokens[2]), now=NOW), "REVOKED", 1)
    refused(v.verify(sibling, invoke(sibling, sk(60)), now=NOW), "REVOKED", 1)
    refused(v.verify(tokens[1], invoke(tokens[1]), now=NOW), "REVOKED", 1)
    # Above the revoked block the chain still stands.
    accepted(v.verify(tokens[0], invoke(tokens[0]), now=NOW))


def test_revoked_keys() -> None:
    tokens = build(2)
    token = tokens[-1]
    inv = invoke(token)
    v = verifier()
    v.revoke_key(holder(1).public_key)
    refused(v.verify(token, inv, now=NOW), "REVOKED", 1)
    refused(check(token, inv, revoked_keys=[holder(2).public_key]), "REVOKED", 2)
    refused(check(token, inv, revoked_keys=[bytes(ROOT.public_key)]), "REVOKED", 0)
    accepted(check(token, inv, revoked_keys=[STRANGER.public_key]))


# --- NOT_YET_VALID / EXPIRED / LIFETIME_WIDENED -----------------------------------------------


@pytest.mark.parametrize(("offset", "ok"), [(60, True), (61, False)])
def test_not_yet_valid_with_leeway(offset: int, ok: bool) -> None:
    token = build(1, not_before=NOW + offset)[-1]
    inv = invoke(token)
    v = check(token, inv)
    if ok:
        accepted(v)
    else:
        refused(v, "NOT_YET_VALID", 0)
    refused(check(token, inv, leeway=offset - 1), "NOT_YET_VALID", 0)


def test_not_yet_valid_middle_hop() -> None:
    root = issue()
    later = root.delegate(holder(0), subject=holder(1).public_key, not_before=NOW + 500, now=NOW)
    leaf = later.delegate(holder(1), subject=holder(2).public_key, now=NOW)
    refused(check(leaf, invoke(leaf)), "NOT_YET_VALID", 1)
    accepted(check(leaf, invoke(leaf, issued_at=NOW + 440), now=NOW + 440))


@pytest.mark.parametrize(
    ("expires", "leeway", "ok"),
    [(NOW - 59, 60, True), (NOW - 60, 60, False), (NOW + 1, 0, True), (NOW, 0, False)],
)
def test_expired_middle_hop_with_leeway(expires: int, leeway: int, ok: bool) -> None:
    root = issue()
    middle = root.delegate(holder(0), subject=holder(1).public_key, expires_at=expires, now=NOW)
    leaf = middle.delegate(holder(1), subject=holder(2).public_key, now=NOW)
    v = check(leaf, invoke(leaf), leeway=leeway)
    if ok:
        accepted(v)
    else:
        refused(v, "EXPIRED", 1)


def test_lifetime_widened_expiry() -> None:
    root = issue(expires_at=NOW + 3600)
    child = root.delegate(
        holder(0), subject=holder(1).public_key, expires_at=NOW + 3601, check=False, now=NOW
    )
    refused(check(child, invoke(child)), "LIFETIME_WIDENED", 1)
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, expires_at=NOW + 3601, now=NOW)
    assert (err.value.reason, err.value.hop) == ("LIFETIME_WIDENED", 1)
    accepted(
        check(*_pair(root.delegate(holder(0), subject=holder(1).public_key, expires_at=NOW + 3600, now=NOW)))
    )


def test_lifetime_widened_not_before() -> None:
    root = issue(not_before=NOW - 100)
    child = root.delegate(holder(0), subject=holder(1).public_key, not_before=NOW - 101, check=False, now=NOW)
    refused(check(child, invoke(child)), "LIFETIME_WIDENED", 1)
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, not_before=NOW - 101, now=NOW)
    assert (err.value.reason, err.value.hop) == ("LIFETIME_WIDENED", 1)


def _pair(token: cp.Token) -> tuple[cp.Token, cp.Invocation]:
    return token, invoke(token, check=False)


# --- DEPTH_EXCEEDED ---------------------------------------------------------------------------


def test_root_max_depth_bounds_the_chain() -> None:
    tokens = build(1, max_depth=1)
    accepted(check(*_pair(tokens[1])))
    too_deep = tokens[1].delegate(holder(1), subject=holder(2).public_key, check=False, now=NOW)
    refused(check(*_pair(too_deep)), "DEPTH_EXCEEDED", 2)
    with pytest.raises(cp.RefusedError) as err:
        tokens[1].delegate(holder(1), subject=holder(2).public_key, now=NOW)
    assert (err.value.reason, err.value.hop) == ("DEPTH_EXCEEDED", 2)
    # A root without max_depth allows no delegation at all.
    leafless = cp.Token.issue(
        ROOT,
        subject=holder(0).public_key,
        capabilities=[cap()],
        purpose=PURPOSE,
        audiences=[AUD],
        principal=PRINCIPAL,
        expires_at=NOW + 60,
        now=NOW,
    )
    child = leafless.delegate(holder(0), subject=holder(1).public_key, check=False, now=NOW)
    refused(check(*_pair(child)), "DEPTH_EXCEEDED", 1)


def test_remaining_depth_must_strictly_decrease() -> None:
    root = issue(max_depth=3)
    same = root.delegate(holder(0), subject=holder(1).public_key, max_depth=3, check=False, now=NOW)
    refused(check(*_pair(same)), "DEPTH_EXCEEDED", 1)
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, max_depth=3, now=NOW)
    assert (err.value.reason, err.value.hop) == ("DEPTH_EXCEEDED", 1)
    accepted(check(*_pair(root.delegate(holder(0), subject=holder(1).public_key, max_depth=2, now=NOW))))


@pytest.mark.parametrize(("max_depth", "ok"), [(3, True), (2, False)])
def test_verifier_max_depth(max_depth: int, ok: bool) -> None:
    token = build(3)[-1]
    v = check(*_pair(token), max_depth=max_depth)
    if ok:
        accepted(v)
    else:
        refused(v, "DEPTH_EXCEEDED", 3)


# --- PRINCIPAL_CHANGED / principal substitution -----------------------------------------------


def test_delegation_may_not_change_the_principal() -> None:
    tokens = build(1)
    changed = tokens[1].delegate(
        holder(1), subject=holder(2).public_key, principal="mallory", check=False, now=NOW
    )
    refused(check(*_pair(changed)), "PRINCIPAL_CHANGED", 2)
    with pytest.raises(cp.RefusedError) as err:
        tokens[1].delegate(holder(1), subject=holder(2).public_key, principal="mallory", now=NOW)
    assert (err.value.reason, err.value.hop) == ("PRINCIPAL_CHANGED", 2)
    restated = tokens[1].delegate(holder(1), subject=holder(2).public_key, principal=PRINCIPAL, now=NOW)
    v = check(*_pair(restated))
    accepted(v)
    assert v.evidence is not None and v.evidence["principal"] == PRINCIPAL


def test_principal_substitution_by_swapping_the_root_block() -> None:
    # Same trusted root key, same subject, another principal: the delegation below is bound to the
    # original root by its parent hash.
    alice = build(1)
    mallory_root = issue(principal="mallory")
    swapped = token_of([blocks_of(mallory_root)[0], blocks_of(alice[1])[1]])
    accepted(check(*_pair(alice[1])))
    refused(check(swapped, invoke(alice[1])), "CHAIN_BROKEN", 1)


# --- CAPABILITY_WIDENED / NOT_NARROWED --------------------------------------------------------


WIDENINGS = {
    "wider resource": [cp.Capability("bank/invoices/**", ["pay", "read"], {"amount": cp.Max(1000)})],
    "other resource": [cp.Capability("bank/payroll/*", ["pay", "read"], {"amount": cp.Max(1000)})],
    "extra action": [cap(actions=["delete", "pay", "read"])],
    "all actions": [cp.Capability("bank/invoices/*", "*", {"amount": cp.Max(1000)})],
    "looser max": [cap(1001)],
    "dropped constraint": [cp.Capability("bank/invoices/*", ["pay", "read"])],
    "one of two widened": [cap(10), cap(2000)],
}


@pytest.mark.parametrize("name", list(WIDENINGS))
def test_capability_widened(name: str) -> None:
    tokens = build(1)
    caps = WIDENINGS[name]
    child = tokens[1].delegate(
        holder(1), subject=holder(2).public_key, capabilities=caps, check=False, now=NOW
    )
    refused(check(*_pair(child)), "CAPABILITY_WIDENED", 2)
    with pytest.raises(cp.RefusedError) as err:
        tokens[1].delegate(holder(1), subject=holder(2).public_key, capabilities=caps, now=NOW)
    assert (err.value.reason, err.value.hop) == ("CAPABILITY_WIDENED", 2)


def test_each_hop_is_compared_with_its_parent_not_the_root() -> None:
    root = issue(capabilities=[cap(1000)])
    narrowed = root.delegate(holder(0), subject=holder(1).public_key, capabilities=[cap(500)], now=NOW)
    rewidened = narrowed.delegate(
        holder(1), subject=holder(2).public_key, capabilities=[cap(1000)], check=False, now=NOW
    )
    refused(check(*_pair(rewidened)), "CAPABILITY_WIDENED", 2)


def test_strict_attenuation_requires_narrowing() -> None:
    root = issue()
    same = root.delegate(holder(0), subject=holder(1).public_key, now=NOW)
    narrower = root.delegate(holder(0), subject=holder(1).public_key, capabilities=[cap(999)], now=NOW)
    accepted(check(*_pair(same)))
    refused(check(*_pair(same), strict_attenuation=True), "NOT_NARROWED", 1)
    accepted(check(*_pair(narrower), strict_attenuation=True))
    # Dropping one of two capabilities narrows too.
    two = issue(capabilities=[cap(), cap(resource="bank/payroll/*")])
    one = two.delegate(holder(0), subject=holder(1).public_key, capabilities=[cap()], now=NOW)
    accepted(check(*_pair(one), strict_attenuation=True))
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, strict=True, now=NOW)
    assert (err.value.reason, err.value.hop) == ("NOT_NARROWED", 1)
    root.delegate(holder(0), subject=holder(1).public_key, capabilities=[cap(999)], strict=True, now=NOW)


# --- PURPOSE_MISMATCH -------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["payments/refunds", "payments", "payments/invoices2", "hr/invoices"])
def test_child_purpose_must_refine_its_parent(purpose: str) -> None:
    root = issue()
    child = root.delegate(holder(0), subject=holder(1).public_key, purpose=purpose, check=False, now=NOW)
    refused(check(*_pair(child)), "PURPOSE_MISMATCH", 1)
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, purpose=purpose, now=NOW)
    assert (err.value.reason, err.value.hop) == ("PURPOSE_MISMATCH", 1)


def test_purpose_refinement_and_served_purposes() -> None:
    root = issue()
    refined = root.delegate(holder(0), subject=holder(1).public_key, purpose=PURPOSE + "/q3", now=NOW)
    accepted(check(*_pair(refined)))
    accepted(check(*_pair(refined), purposes=["payments"]))
    accepted(check(*_pair(refined), purposes=["hr", PURPOSE + "/q3"]))
    refused(check(*_pair(refined), purposes=["hr"]), "PURPOSE_MISMATCH", 1)
    refused(check(*_pair(refined), purposes=["payments/invoices/q4"]), "PURPOSE_MISMATCH", 1)
    # A service serving only a refinement does not accept the broader purpose.
    refused(check(*_pair(root), purposes=[PURPOSE + "/q3"]), "PURPOSE_MISMATCH", 0)


# --- AUDIENCE_MISMATCH ------------------------------------------------------------------------


def test_invocation_addressed_to_another_service() -> None:
    token = build(1, audiences=[AUD, "shop"])[-1]
    accepted(check(*_pair(token)))
    refused(check(token, invoke(token, audience="shop")), "AUDIENCE_MISMATCH", 2)


def test_leaf_audiences_must_name_the_verifier() -> None:
    root = issue(audiences=[AUD, "shop"])
    shop_only = root.delegate(holder(0), subject=holder(1).public_key, audiences=["shop"], now=NOW)
    refused(check(shop_only, invoke(shop_only, check=False)), "AUDIENCE_MISMATCH", 1)
    with pytest.raises(cp.RefusedError) as err:
        invoke(shop_only)
    assert (err.value.reason, err.value.hop) == ("AUDIENCE_MISMATCH", 1)


def test_child_audiences_may_not_widen() -> None:
    root = issue(audiences=[AUD])
    wider = root.delegate(
        holder(0), subject=holder(1).public_key, audiences=[AUD, "shop"], check=False, now=NOW
    )
    refused(check(*_pair(wider)), "AUDIENCE_MISMATCH", 1)
    with pytest.raises(cp.RefusedError) as err:
        root.delegate(holder(0), subject=holder(1).public_key, audiences=[AUD, "shop"], now=NOW)
    assert (err.value.reason, err.value.hop) == ("AUDIENCE_MISMATCH", 1)


# --- INVOCATION_STALE -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_at", "kw", "ok"),
    [
        (NOW - 360, {}, True),
        (NOW - 361, {}, False),
        (NOW + 60, {}, True),
        (NOW + 61, {}, False),
        (NOW - 15, {"freshness": 10, "leeway": 5}, True),
        (NOW - 16, {"freshness": 10, "leeway": 5}, False),
        (NOW + 5, {"freshness": 10, "leeway": 5}, True),
        (NOW + 6, {"freshness": 10, "leeway": 5}, False),
    ],
)
def test_invocation_freshness(issued_at: int, kw: dict[str, int], ok: bool) -> None:
    token = build(1)[-1]
    v = check(token, invoke(token, issued_at=issued_at), **kw)
    if ok:
        accepted(v)
    else:
        refused(v, "INVOCATION_STALE", 2)


# --- NOT_COVERED (ghost permissions) ----------------------------------------------------------


def test_ghost_permissions_are_not_covered() -> None:
    # The root grants delete on all of bank; the leaf was narrowed to paying invoices.
    root = issue(capabilities=[cp.Capability("bank/**", ["delete", "pay", "read"], {"amount": cp.Max(1000)})])
    leaf = root.delegate(
        holder(0), subject=holder(1).public_key, capabilities=[cap(actions=["pay"])], now=NOW
    )
    accepted(check(*_pair(leaf)))
    for action, resource in [
        ("delete", RESOURCE),
        ("read", RESOURCE),
        ("pay", "bank/payroll/1"),
        ("pay", "bank/invoices"),
    ]:
        inv = invoke(leaf, action=action, resource=resource, check=False)
        refused(check(leaf, inv), "NOT_COVERED", 2)
        with pytest.raises(cp.RefusedError) as err:
            invoke(leaf, action=action, resource=resource)
        assert (err.value.reason, err.value.hop) == ("NOT_COVERED", 2)
    # An action no hop ever granted.
    refused(check(leaf, invoke(leaf, action="transfer", check=False)), "NOT_COVERED", 2)


# --- CONSTRAINT_VIOLATED ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ok"),
    [
        ({"amount": 1000}, True),
        ({"amount": Decimal("1000.00")}, True),
        ({"amount": -5}, True),
        ({"amount": 7, "memo": "extra args are fine"}, True),
        ({"amount": 1001}, False),
        ({"amount": Decimal("1000.01")}, False),
        ({}, False),
        ({"memo": "amount omitted"}, False),
        ({"amount": "100"}, False),
    ],
)
def test_constraint_violations(args: dict[str, Any], ok: bool) -> None:
    token = build(1)[-1]
    v = check(token, invoke(token, args=args, check=False))
    if ok:
        accepted(v)
        invoke(token, args=args)
    else:
        refused(v, "CONSTRAINT_VIOLATED", 2)
        with pytest.raises(cp.RefusedError) as err:
            invoke(token, args=args)
        assert (err.value.reason, err.value.hop) == ("CONSTRAINT_VIOLATED", 2)


# --- REPLAYED ---------------------------------------------------------------------------------


def test_second_presentation_is_replayed() -> None:
    token = build(2)[-1]
    inv = invoke(token)
    v = cp.Verifier([ROOT.public_key], AUD)
    accepted(v.verify(token, inv, now=NOW))
    refused(v.verify(token, inv, now=NOW), "REPLAYED", 3)
    refused(v.verify(token.encode(), inv.encode(), now=NOW + 10), "REPLAYED", 3)
    # A new nonce is a new request.
    accepted(v.verify(token, invoke(token), now=NOW))


def test_within_a_batch_the_first_valid_use_wins() -> None:
    token = build(1)[-1]
    nonce = b"\x42" * 16
    good = invoke(token, nonce=nonce)
    bad = invoke(token, nonce=nonce, args={"amount": 5000}, check=False)
    v = cp.Verifier([ROOT.public_key], AUD)
    verdicts = v.verify_batch(
        [(token, bad), (token, good), (token, good), (token, bad), (token, good)], now=NOW
    )
    refused(verdicts[0], "CONSTRAINT_VIOLATED", 2)
    accepted(verdicts[1])
    refused(verdicts[2], "REPLAYED", 2)
    refused(verdicts[3], "CONSTRAINT_VIOLATED", 2)
    refused(verdicts[4], "REPLAYED", 2)


def test_an_invalid_use_does_not_burn_the_nonce() -> None:
    token = build(1)[-1]
    nonce = b"\x43" * 16
    bad = invoke(token, nonce=nonce, args={"amount": 5000}, check=False)
    good = invoke(token, nonce=nonce)
    v = cp.Verifier([ROOT.public_key], AUD)
    refused(v.verify(token, bad, now=NOW), "CONSTRAINT_VIOLATED", 2)
    # A refused presentation of the valid invocation (wrong request bytes) burns nothing either.
    refused(v.verify(token, good, now=NOW, request=b"not it"), "POP_INVALID", 2)
    accepted(v.verify(token, good, now=NOW))
    refused(v.verify(token, good, now=NOW), "REPLAYED", 2)


# --- prefix truncation ------------------------------------------------------------------------


def test_prefix_truncation() -> None:
    # root grants A up to 1000; A narrows B to 100. B presents only the root block.
    a, b = holder(0), holder(1)
    root = issue(subject=a, capabilities=[cap(1000)])
    full = root.delegate(a, subject=b.public_key, capabilities=[cap(100, actions=["pay"])], now=NOW)
    prefix = token_of(blocks_of(full)[:1])
    assert prefix == root
    leaf_inv = invoke(full, b)
    accepted(check(full, leaf_inv))
    # The leaf's invocation with the prefix: signed by B, but the prefix's holder is A.
    refused(check(prefix, leaf_inv), "POP_INVALID", 1)
    # B re-signing for the prefix, trying the wider authority only the prefix grants.
    for args, action in [({"amount": 100}, "pay"), ({"amount": 900}, "pay"), ({"amount": 1}, "read")]:
        refused(check(prefix, invoke(prefix, b, args=args, action=action, check=False)), "POP_INVALID", 1)
    # The wider authority needs the prefix holder's own key.
    accepted(check(prefix, invoke(prefix, a, args={"amount": 900})))
    refused(check(full, invoke(full, b, args={"amount": 900}, check=False)), "CONSTRAINT_VIOLATED", 2)


# --- check order ------------------------------------------------------------------------------


def _expired_and_widened() -> tuple[cp.Token, cp.Invocation]:
    root = issue()
    child = root.delegate(
        holder(0),
        subject=holder(1).public_key,
        capabilities=[cap(5000)],
        expires_at=NOW - 61,
        check=False,
        now=NOW,
    )
    return child, invoke(child, check=False)


def _forged_under_untrusted_root() -> tuple[cp.Token, cp.Invocation]:
    root = issue(root=OTHER_ROOT)
    child = root.delegate(STRANGER, subject=holder(1).public_key, check=False, now=NOW)
    return child, invoke(child)


def _widened_then_expired_later() -> tuple[cp.Token, cp.Invocation]:
    root = issue()
    wide = root.delegate(
        holder(0), subject=holder(1).public_key, capabilities=[cap(5000)], check=False, now=NOW
    )
    old = wide.delegate(holder(1), subject=holder(2).public_key, expires_at=NOW - 61, check=False, now=NOW)
    return old, invoke(old, check=False)


def _untrusted_revoked_expired() -> tuple[cp.Token, cp.Invocation]:
    token = build(1, root=OTHER_ROOT, expires_at=NOW - 61, block_id=b"\x99" * 16)[-1]
    return token, invoke(token)


def _broken_and_untrusted() -> tuple[cp.Token, cp.Invocation]:
    token = token_of([blocks_of(issue(root=OTHER_ROOT))[0], blocks_of(_self_delegated(2))[2]])
    return token, invoke(token, holder(0), check=False)


def _bad_pop_and_broken() -> tuple[cp.Token, cp.Invocation]:
    token = token_of([blocks_of(issue())[0], blocks_of(_self_delegated(2))[2]])
    return token, invoke(token, STRANGER, check=False)


def _revoked_and_expired() -> tuple[cp.Token, cp.Invocation]:
    token = build(1, expires_at=NOW - 61, block_id=b"\x99" * 16)[-1]
    return token, invoke(token)


def _lifetime_and_depth() -> tuple[cp.Token, cp.Invocation]:
    root = issue(max_depth=1)
    child = root.delegate(
        holder(0), subject=holder(1).public_key, expires_at=NOW + 7200, max_depth=5, check=False, now=NOW
    )
    return child, invoke(child)


def _depth_and_widened() -> tuple[cp.Token, cp.Invocation]:
    root = issue(max_depth=0)
    child = root.delegate(
        holder(0), subject=holder(1).public_key, capabilities=[cap(5000)], check=False, now=NOW
    )
    return child, invoke(child)


def _principal_and_widened() -> tuple[cp.Token, cp.Invocation]:
    root = issue()
    child = root.delegate(
        holder(0),
        subject=holder(1).public_key,
        capabilities=[cap(5000)],
        principal="mallory",
        check=False,
        now=NOW,
    )
    return child, invoke(child)


def _widened_and_purpose() -> tuple[cp.Token, cp.Invocation]:
    root = issue()
    child = root.delegate(
        holder(0), subject=holder(1).public_key, capabilities=[cap(5000)], purpose="hr", check=False, now=NOW
    )
    return child, invoke(child)


def _purpose_and_audience() -> tuple[cp.Token, cp.Invocation]:
    root = issue()
    child = root.delegate(
        holder(0), subject=holder(1).public_key, purpose="hr", audiences=[AUD, "shop"], check=False, now=NOW
    )
    return child, invoke(child)


def _leaf_audience_and_stale() -> tuple[cp.Token, cp.Invocation]:
    token = build(1, audiences=["shop"])[-1]
    return token, invoke(token, audience=AUD, issued_at=NOW - 5000, check=False)


def _wrong_token_and_stale() -> tuple[cp.Token, cp.Invocation]:
    token = build(1)[-1]
    other = issue(subject=holder(1))
    return token, invoke(other, holder(1), issued_at=NOW - 5000)


def _stale_and_uncovered() -> tuple[cp.Token, cp.Invocation]:
    token = build(1)[-1]
    return token, invoke(token, action="delete", issued_at=NOW - 5000, check=False)


def _malformed_invocation_and_bad_chain() -> tuple[cp.Token, bytes]:
    child = issue().delegate(STRANGER, subject=holder(1).public_key, check=False, now=NOW)
    return child, invoke(child).to_bytes()[:-1]


ORDER_CASES = {
    "expired beats widened": (_expired_and_widened, "EXPIRED", 1),
    "bad signature beats untrusted root": (_forged_under_untrusted_root, "SIGNATURE_INVALID", 1),
    "stage beats hop order": (_widened_then_expired_later, "EXPIRED", 2),
    "untrusted beats expired": (_untrusted_revoked_expired, "UNTRUSTED_ROOT", 0),
    "broken beats untrusted": (_broken_and_untrusted, "CHAIN_BROKEN", 1),
    "invocation signature beats broken chain": (_bad_pop_and_broken, "POP_INVALID", 2),
    "revoked beats expired": (_revoked_and_expired, "REVOKED", 0),
    "lifetime beats depth": (_lifetime_and_depth, "LIFETIME_WIDENED", 1),
    "depth beats widened": (_depth_and_widened, "DEPTH_EXCEEDED", 1),
    "principal beats widened": (_principal_and_widened, "PRINCIPAL_CHANGED", 1),
    "widened beats purpose": (_widened_and_purpose, "CAPABILITY_WIDENED", 1),
    "purpose beats audience": (_purpose_and_audience, "PURPOSE_MISMATCH", 1),
    "leaf audience beats stale": (_leaf_audience_and_stale, "AUDIENCE_MISMATCH", 1),
    "wrong token beats stale": (_wrong_token_and_stale, "POP_INVALID", 2),
    "stale beats uncovered": (_stale_and_uncovered, "INVOCATION_STALE", 2),
    "malformed beats everything": (_malformed_invocation_and_bad_chain, "MALFORMED", 2),
}


@pytest.mark.parametrize("name", list(ORDER_CASES))
def test_check_order_reports_the_earliest_stage(name: str) -> None:
    make, reason, hop = ORDER_CASES[name]
    token, inv = make()
    refused(check(token, inv, revoked_blocks=[b"\x99" * 16]), reason, hop)


def test_reason_codes_are_listed_in_check_order() -> None:
    assert cp.reason_codes() == [
        "MALFORMED",
        "LIMIT_EXCEEDED",
        "SIGNATURE_INVALID",
        "POP_INVALID",
        "CHAIN_BROKEN",
        "UNTRUSTED_ROOT",
        "REVOKED",
        "NOT_YET_VALID",
        "EXPIRED",
        "LIFETIME_WIDENED",
        "DEPTH_EXCEEDED",
        "PRINCIPAL_CHANGED",
        "CAPABILITY_WIDENED",
        "NOT_NARROWED",
        "PURPOSE_MISMATCH",
        "AUDIENCE_MISMATCH",
        "INVOCATION_STALE",
        "NOT_COVERED",
        "CONSTRAINT_VIOLATED",
        "REPLAYED",
        "REPLAY_CHECK_FAILED",
    ]


# --- hop index semantics ----------------------------------------------------------------------


def test_hop_is_the_block_index_and_the_invocation_is_the_block_count() -> None:
    for depth in range(4):
        tokens = build(depth)
        token = tokens[-1]
        n = len(token.block_ids)
        assert n == depth + 1 == token.depth + 1
        refused(check(token, invoke(token, STRANGER, check=False)), "POP_INVALID", n)
        refused(check(token, invoke(token, args={"amount": 5000}, check=False)), "CONSTRAINT_VIOLATED", n)
        refused(check(token, invoke(token, audience="shop", check=False)), "AUDIENCE_MISMATCH", n)
        refused(check(token, invoke(token).to_bytes()[:5]), "MALFORMED", n)
        for hop, block_id in enumerate(token.block_ids):
            refused(check(token, invoke(token), revoked_blocks=[block_id]), "REVOKED", hop)
    # A token that does not decode has no block to blame.
    assert check(b"\x00garbage", invoke(build(0)[0])).hop is None


# --- minting refuses what verifiers refuse ----------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"capabilities": [cap(1001)]}, "CAPABILITY_WIDENED"),
        ({"expires_at": NOW + 3601}, "LIFETIME_WIDENED"),
        ({"not_before": NOW - 101}, "LIFETIME_WIDENED"),
        ({"max_depth": 7}, "DEPTH_EXCEEDED"),
        ({"principal": "mallory"}, "PRINCIPAL_CHANGED"),
        ({"purpose": "hr"}, "PURPOSE_MISMATCH"),
        ({"audiences": ["shop"]}, "AUDIENCE_MISMATCH"),
    ],
)
def test_delegate_check_refuses_with_reason_and_hop(kw: dict[str, Any], reason: str) -> None:
    tokens = build(1)  # root max_depth 8, hop 1 has 7
    with pytest.raises(cp.RefusedError) as err:
        tokens[1].delegate(holder(1), subject=holder(2).public_key, now=NOW, **kw)
    assert (err.value.reason, err.value.hop) == (reason, 2)
    assert isinstance(err.value, ValueError) and isinstance(err.value, cp.ChainproofError)
    # The same hop minted unchecked gets the same verdict from a verifier.
    forced = tokens[1].delegate(holder(1), subject=holder(2).public_key, now=NOW, check=False, **kw)
    refused(check(forced, invoke(forced, check=False)), reason, 2)


# --- batch == single, threads -----------------------------------------------------------------


def _pool() -> list[tuple[Any, ...]]:
    tokens = build(2)
    t0, t1, t2 = tokens
    untrusted = build(1, root=OTHER_ROOT)[-1]
    forged = t1.delegate(STRANGER, subject=holder(2).public_key, check=False, now=NOW)
    widened = t1.delegate(
        holder(1), subject=holder(2).public_key, capabilities=[cap(5000)], check=False, now=NOW
    )
    expired = build(1, expires_at=NOW - 61)[-1]
    body = b"request body"
    broken = token_of([blocks_of(t0)[0], blocks_of(_self_delegated(2))[2]])
    pool: list[tuple[Any, ...]] = [
        (t0, invoke(t0, nonce=b"\x01" * 16)),
        (t1, invoke(t1, nonce=b"\x02" * 16)),
        (t2, invoke(t2, nonce=b"\x03" * 16)),
        (t2.encode(), invoke(t2, nonce=b"\x04" * 16).encode()),
        (t2.to_bytes(), invoke(t2, nonce=b"\x05" * 16).to_bytes()),
        (t2, invoke(t2, nonce=b"\x06" * 16, request=body), body),
        (t2, invoke(t2, nonce=b"\x07" * 16, request=body), b"tampered"),
        (t2, invoke(t2, STRANGER, check=False)),
        (t2, invoke(t1)),
        (t1, invoke(t2)),
        (untrusted, invoke(untrusted)),
        (forged, invoke(forged)),
        (widened, invoke(widened, check=False)),
        (expired, invoke(expired)),
        (t2, invoke(t2, args={"amount": 1001}, check=False)),
        (t2, invoke(t2, action="delete", check=False)),
        (t2, invoke(t2, issued_at=NOW - 4000)),
        (b"\x00garbage", invoke(t2)),
        (t2.to_bytes()[:-7], invoke(t2)),
        ("cpt1.!!!", invoke(t2)),
        (t2, b"\xa1\x01\x02"),
        (t2, invoke(t2).to_bytes()[:-1]),
        (token_of(blocks_of(t2)[:1] + blocks_of(t2)[2:]), invoke(t2)),
        _broken_and_untrusted(),
        _bad_pop_and_broken(),
        (broken, invoke(broken, holder(0), check=False)),
    ]
    return pool


POOL = _pool()
SINGLE = verifier()
BATCH_1 = verifier(threads=1)
BATCH_2 = verifier(threads=2)
#: The others keep their verified-block caches warm across examples; this one has none.
UNCACHED = verifier(block_cache=False)


def _summary(v: cp.Verdict) -> tuple[bool, str | None, int | None, str, Any]:
    return (v.ok, v.reason, v.hop, v.message, v.evidence)


def test_pool_covers_accepted_and_refused() -> None:
    reasons = {
        SINGLE.verify(item[0], item[1], now=NOW, request=item[2] if len(item) == 3 else None).reason
        for item in POOL
    }
    assert None in reasons
    assert {"MALFORMED", "SIGNATURE_INVALID", "POP_INVALID", "CHAIN_BROKEN", "UNTRUSTED_ROOT"} <= reasons
    assert {
        "EXPIRED",
        "CAPABILITY_WIDENED",
        "CONSTRAINT_VIOLATED",
        "NOT_COVERED",
        "INVOCATION_STALE",
    } <= reasons


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(POOL) - 1), max_size=24))
def test_batch_verdicts_equal_single_verdicts(indices: list[int]) -> None:
    items = [POOL[i] for i in indices]
    singles = [
        _summary(SINGLE.verify(item[0], item[1], now=NOW, request=item[2] if len(item) == 3 else None))
        for item in items
    ]
    one = [_summary(v) for v in BATCH_1.verify_batch(items, now=NOW)]
    two = [_summary(v) for v in BATCH_2.verify_batch(iter(items), now=NOW)]
    uncached = [_summary(v) for v in UNCACHED.verify_batch(items, now=NOW)]
    assert len(one) == len(items)
    assert one == singles
    assert two == singles
    assert uncached == singles
    # With replay protection on, a batch behaves like the same requests verified one by one in order.
    sequential, batched = verifier(replay_cache=True, threads=1), verifier(replay_cache=True, threads=2)
    one_by_one = [
        _summary(sequential.verify(item[0], item[1], now=NOW, request=item[2] if len(item) == 3 else None))
        for item in items
    ]
    assert [_summary(v) for v in batched.verify_batch(items, now=NOW)] == one_by_one


def test_threads_setting() -> None:
    assert BATCH_1.threads == 1
    assert BATCH_2.threads == 2
    assert verifier(threads=3).threads == 3
    with pytest.raises(cp.InvalidArgumentError):
        verifier(threads=0)
    with pytest.raises(ValueError):
        verifier(threads=0)


def test_empty_batch() -> None:
    assert verifier().verify_batch([], now=NOW) == []

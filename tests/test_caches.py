"""The verified-block cache and the decoded-key cache skip work, never change a verdict."""

from __future__ import annotations

import pytest

import chainproof as cp

from conftest import (
    AUDIENCE,
    FIXED_NOW,
    Chain,
    cbor_decode,
    cbor_encode,
    key,
    make_chain,
    make_invocation,
    make_verifier,
)


def nonce(i: int) -> bytes:
    return i.to_bytes(16, "little")


def warm(depth: int = 3, **kwargs: object) -> tuple[Chain, cp.Verifier]:
    """A chain and a verifier that has already accepted it once."""
    chain = make_chain(depth)
    verifier = make_verifier(chain, **kwargs)
    first = verifier.verify(chain.token, make_invocation(chain, nonce=nonce(0)), now=FIXED_NOW)
    assert first.ok, first.message
    return chain, verifier


def test_a_warm_request_checks_only_the_invocation() -> None:
    chain, verifier = warm(3)
    before = verifier.stats()
    assert before["cache_hits"] == 0 and before["signatures"] == 5
    verdict = verifier.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW)
    assert verdict.ok
    after = verifier.stats()
    assert after["cache_hits"] == 4  # root + 3 delegations
    assert after["signatures"] - before["signatures"] == 1  # the invocation


def test_invocations_are_never_answered_by_the_cache() -> None:
    chain, verifier = warm(1)
    inv = make_invocation(chain, nonce=nonce(0))  # the same invocation again (replay cache off)
    assert verifier.verify(chain.token, inv, now=FIXED_NOW).ok
    assert verifier.stats()["signatures"] == 3 + 1


def test_revoking_a_cached_block_refuses() -> None:
    chain, verifier = warm(3)
    verifier.revoke_block(chain.token.block_ids[2])
    verdict = verifier.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW)
    assert (verdict.reason, verdict.hop) == ("REVOKED", 2)


def test_revoking_the_root_key_after_a_warm_hit_refuses() -> None:
    chain, verifier = warm(2)
    verifier.revoke_key(chain.root_key.public_key)
    verdict = verifier.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW)
    assert verdict.reason == "REVOKED"


def test_expiry_is_checked_on_cached_blocks() -> None:
    chain, verifier = warm(2)
    later = FIXED_NOW + 3600 + 120
    verdict = verifier.verify(chain.token, make_invocation(chain, later, nonce=nonce(1)), now=later)
    assert verdict.reason == "EXPIRED"
    assert verifier.stats()["cache_hits"] == 3


def test_a_policy_that_refuses_is_not_overridden_by_a_warm_cache() -> None:
    # The same token, warm in one verifier, against a verifier with a stricter policy.
    chain, verifier = warm(3)
    strict = make_verifier(chain, max_depth=2)
    inv = make_invocation(chain, nonce=nonce(1))
    assert verifier.verify(chain.token, inv, now=FIXED_NOW).ok
    assert strict.verify(chain.token, inv, now=FIXED_NOW).reason == "DEPTH_EXCEEDED"


def test_a_refused_signature_is_never_cached() -> None:
    chain = make_chain(2)
    verifier = make_verifier(chain)
    wire = bytearray(chain.token.to_bytes())
    wire[-1] ^= 1  # the last byte is in the leaf block's signature
    inv = make_invocation(chain, nonce=nonce(0))
    for _ in range(2):
        verdict = verifier.verify(bytes(wire), inv, now=FIXED_NOW)
        assert verdict.reason == "SIGNATURE_INVALID"
    # the root and the first delegation were good and are cached; the bad one never is
    assert verifier.stats()["cache_hits"] == 2


def graft(root_of: cp.Token, rest_of: cp.Token) -> bytes:
    """The root envelope of one token followed by the delegation envelopes of another."""
    root_wire, rest_wire = cbor_decode(root_of.to_bytes()), cbor_decode(rest_of.to_bytes())
    return cbor_encode([1, root_wire[1], *rest_wire[2:]])


def other_root(subject: cp.PublicKey) -> cp.Token:
    return cp.Token.issue(
        key(90),
        subject=subject,
        capabilities=[cp.Capability("bank/invoices/*", ["pay", "read"], {"amount": cp.Max(1000)})],
        purpose="payments/invoices",
        audiences=[AUDIENCE],
        principal="alice",
        expires_at=FIXED_NOW + 3600,
        not_before=FIXED_NOW - 10,
        max_depth=1,
        now=FIXED_NOW,
    )


@pytest.mark.parametrize(
    ("same_subject", "expected"), [(False, ("SIGNATURE_INVALID", 1, 0)), (True, ("CHAIN_BROKEN", 1, 1))]
)
def test_a_cached_block_grafted_under_another_root_is_refused(
    same_subject: bool, expected: tuple[str, int, int]
) -> None:
    # Chain A's delegation block is verified and cached. Grafted under another
    # trusted root, it is checked against that root's subject: a different
    # subject misses the cache and fails; the same subject hits the cache
    # (the signature really is valid under that key) and linkage refuses it.
    chain_a = make_chain(1)
    subject = chain_a.holders[0].public_key if same_subject else key(91).public_key
    grafted = graft(other_root(subject), chain_a.token)
    verifier = cp.Verifier([chain_a.root_key.public_key, key(90).public_key], AUDIENCE, replay_cache=False)
    assert verifier.verify(chain_a.token, make_invocation(chain_a, nonce=nonce(5)), now=FIXED_NOW).ok
    hits_before = verifier.stats()["cache_hits"]
    verdict = verifier.verify(grafted, make_invocation(chain_a, nonce=nonce(6)), now=FIXED_NOW)
    reason, hop, hits = expected
    assert (verdict.reason, verdict.hop) == (reason, hop)
    assert verifier.stats()["cache_hits"] - hits_before == hits


def test_block_cache_off() -> None:
    chain, verifier = warm(2, block_cache=False)
    assert verifier.block_cache_capacity == 0
    assert verifier.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW).ok
    stats = verifier.stats()
    assert stats["cache_hits"] == 0 and stats["signatures"] == 8


@pytest.mark.parametrize(("setting", "capacity"), [(None, 65_536), (True, 65_536), (0, 0), (4096, 4096)])
def test_block_cache_capacity(setting: bool | int | None, capacity: int) -> None:
    chain = make_chain(1)
    assert make_verifier(chain, block_cache=setting).block_cache_capacity == capacity


@pytest.mark.parametrize("bad", [-1, "big", 1.5])
def test_block_cache_rejects_bad_settings(bad: object) -> None:
    chain = make_chain(1)
    with pytest.raises(cp.ChainproofError):
        make_verifier(chain, block_cache=bad)


def test_clear_block_cache_makes_the_next_request_cold() -> None:
    chain, verifier = warm(2)
    verifier.clear_block_cache()
    assert verifier.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW).ok
    assert verifier.stats()["cache_hits"] == 0


def test_verifiers_do_not_share_their_block_cache() -> None:
    chain, _ = warm(2)
    fresh = make_verifier(chain)
    assert fresh.verify(chain.token, make_invocation(chain, nonce=nonce(1)), now=FIXED_NOW).ok
    assert fresh.stats()["cache_hits"] == 0


def test_warm_batch_keeps_order_and_one_verdict_per_input() -> None:
    chain, verifier = warm(3)
    good = [(chain.token, make_invocation(chain, nonce=nonce(i))) for i in range(1, 41)]
    bad_inv = chain.token.invoke(
        chain.holder,
        audience=AUDIENCE,
        action="pay",
        resource="bank/invoices/17",
        args={"amount": 10**9},
        issued_at=FIXED_NOW,
        nonce=nonce(99),
        check=False,
    )
    items: list[tuple[object, object]] = []
    for i, pair in enumerate(good):
        items.append(pair)
        if i % 7 == 0:
            items.append((b"garbage", pair[1]))
            items.append((chain.token, bad_inv))
    verdicts = verifier.verify_batch(items, now=FIXED_NOW)  # type: ignore[arg-type]
    assert len(verdicts) == len(items)
    expected = [
        "MALFORMED" if t == b"garbage" else ("CONSTRAINT_VIOLATED" if i is bad_inv else None)
        for t, i in items
    ]
    assert [v.reason for v in verdicts] == expected
    assert verifier.stats()["cache_hits"] == 4 * (len(items) - sum(1 for t, _ in items if t == b"garbage"))


def test_cached_and_uncached_verifiers_agree_on_corrupted_tokens() -> None:
    chain = make_chain(2)
    wire = chain.token.to_bytes()
    inv = make_invocation(chain)
    warm_verifier = make_verifier(chain)
    cold_verifier = make_verifier(chain, block_cache=False)
    warm_verifier.verify(chain.token, inv, now=FIXED_NOW)
    for pos in range(0, len(wire), 3):
        mutated = bytearray(wire)
        mutated[pos] ^= 0x40
        a = warm_verifier.verify(bytes(mutated), inv, now=FIXED_NOW)
        b = cold_verifier.verify(bytes(mutated), inv, now=FIXED_NOW)
        assert (a.reason, a.hop) == (b.reason, b.hop), pos
        assert not a.ok


# --- the process-wide decoded-key cache -------------------------------------------


SMALL_ORDER_POINT = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def test_a_small_order_key_stays_refused_when_cached() -> None:
    sk = key(5)
    msg = b"m"
    sig = sk.sign(msg)
    for _ in range(3):
        assert cp.verify_signature(SMALL_ORDER_POINT, msg, sig) is False
        assert cp.verify_signatures([SMALL_ORDER_POINT, bytes(sk.public_key)], [msg, msg], [sig, sig]) == [
            False,
            True,
        ]


def test_key_cache_clear_changes_nothing_but_speed() -> None:
    sk = key(6)
    sig = sk.sign(b"x")
    assert cp.verify_signature(bytes(sk.public_key), b"x", sig)
    cp.clear_key_cache()
    assert cp.verify_signature(bytes(sk.public_key), b"x", sig)
    assert not cp.verify_signature(bytes(sk.public_key), b"y", sig)

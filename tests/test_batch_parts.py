"""Long batches are verified in parts; nothing about the verdicts may show it."""

from __future__ import annotations

import chainproof as cp

from conftest import AUDIENCE, FIXED_NOW, make_chain, make_invocation, make_verifier

PART = 4096  # PAIRS_PER_PART in rust/python/src/verifier.rs


def nonce(i: int) -> bytes:
    return i.to_bytes(16, "little")


def test_a_batch_longer_than_a_part_keeps_order_count_and_replay_across_parts() -> None:
    chain = make_chain(1)
    invocations = [make_invocation(chain, nonce=nonce(i)).encode() for i in range(PART + 50)]
    token = chain.token.encode()
    pairs: list[tuple[object, object]] = [(token, inv) for inv in invocations]
    pairs[PART + 10] = (token, invocations[7])  # replays an invocation of the first part
    pairs[PART + 20] = ("cpt1.garbage", invocations[PART + 20])
    verifier = make_verifier(chain, replay_cache=True)
    verdicts = verifier.verify_batch(pairs, now=FIXED_NOW)  # type: ignore[arg-type]
    assert len(verdicts) == len(pairs)
    expected: list[str | None] = [None] * len(pairs)
    expected[PART + 10] = "REPLAYED"
    expected[PART + 20] = "MALFORMED"
    assert [v.reason for v in verdicts] == expected
    stats = verifier.stats()
    assert (stats["calls"], stats["requests"], stats["accepted"]) == (1, len(pairs), len(pairs) - 2)
    assert stats["refused"]["REPLAYED"] == 1 and stats["refused"]["MALFORMED"] == 1


def test_the_batch_limit_applies_to_the_whole_batch_not_a_part() -> None:
    chain = make_chain(1)
    inv = make_invocation(chain)
    limits = cp.Limits(max_batch=PART + 1)
    verifier = make_verifier(chain, limits=limits)
    ok = verifier.verify_batch([(chain.token, inv)] * (PART + 1), now=FIXED_NOW)
    assert all(v.ok for v in ok)
    over = verifier.verify_batch([(chain.token, inv)] * (PART + 2), now=FIXED_NOW)
    assert len(over) == PART + 2
    assert {v.reason for v in over} == {"LIMIT_EXCEEDED"}
    assert verifier.stats()["calls"] == 2


def test_evidence_describes_the_bytes_verified_even_if_the_input_changes_later() -> None:
    chain = make_chain(2)
    inv = make_invocation(chain)
    token_bytes = bytearray(chain.token.to_bytes())
    verdict = make_verifier(chain).verify(token_bytes, inv, now=FIXED_NOW)
    assert verdict.ok
    before = verdict.evidence
    token_bytes[:] = b"\x00" * len(token_bytes)  # the caller reuses its buffer
    assert verdict.evidence == before
    assert before is not None and len(before["hops"]) == 3


def test_evidence_is_the_same_from_text_bytes_and_objects() -> None:
    chain = make_chain(2)
    inv = make_invocation(chain)
    verifier = make_verifier(chain)
    forms = [
        (chain.token, inv),
        (chain.token.encode(), inv.encode()),
        (chain.token.to_bytes(), inv.to_bytes()),
        (chain.token.encode().encode(), inv.encode()),
    ]
    evidence = [verifier.verify(t, i, now=FIXED_NOW).evidence for t, i in forms]
    assert evidence[0] is not None
    assert all(e == evidence[0] for e in evidence)
    batch = verifier.verify_batch(forms, now=FIXED_NOW)  # type: ignore[arg-type]
    assert [v.evidence for v in batch] == evidence
    assert evidence[0]["invocation"]["audience"] == AUDIENCE

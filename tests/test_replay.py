"""Replay protection: the pluggable store, the bounded in-memory cache, and turning it off."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import chainproof as cp

NOW = 1_800_000_000
AUD = "bank"
LEEWAY = 60
FRESHNESS = 300


def sk(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed((3000 + i).to_bytes(32, "big"))


ROOT, AGENT, OTHER_AGENT = sk(0), sk(1), sk(2)


def grant(subject: cp.SigningKey = AGENT) -> cp.Token:
    return cp.Token.issue(
        ROOT,
        subject=subject.public_key,
        capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(1000)})],
        purpose="payments",
        audiences=[AUD],
        principal="alice",
        not_before=NOW - 10,
        expires_at=NOW + 86_400,
        now=NOW,
    )


TOKEN = grant()


def invocation(
    nonce: bytes,
    *,
    issued_at: int = NOW,
    amount: int = 100,
    token: cp.Token = TOKEN,
    key: cp.SigningKey = AGENT,
) -> cp.Invocation:
    return token.invoke(
        key,
        audience=AUD,
        action="pay",
        resource="bank/invoices/1",
        args={"amount": amount},
        issued_at=issued_at,
        nonce=nonce,
        check=False,
    )


def nonce(i: int) -> bytes:
    return i.to_bytes(16, "big")


def verifier(replay_cache: Any) -> cp.Verifier:
    return cp.Verifier([ROOT.public_key], AUD, leeway=LEEWAY, freshness=FRESHNESS, replay_cache=replay_cache)


def assert_ok(v: cp.Verdict) -> None:
    assert v.ok, (v.reason, v.hop, v.message)


def assert_refused(v: cp.Verdict, reason: str) -> None:
    # Replay verdicts blame the invocation: hop == number of blocks (1 here).
    assert (v.ok, v.reason, v.hop) == (False, reason, 1), v.message


class RecordingStore:
    """A dict-backed store that records every call (a stand-in for a shared store)."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, int, int]] = []
        self.seen: dict[bytes, int] = {}

    def check_and_insert(self, key: bytes, expires_at: int, now: int) -> bool:
        self.calls.append((key, expires_at, now))
        if key in self.seen and self.seen[key] > now:
            return False
        self.seen[key] = expires_at
        return True


def test_custom_store_is_called_once_per_accepted_request() -> None:
    store = RecordingStore()
    v = verifier(store)
    first, second = invocation(nonce(1)), invocation(nonce(2), issued_at=NOW - 100)
    assert_ok(v.verify(TOKEN, first, now=NOW))
    assert len(store.calls) == 1
    key, expires_at, now = store.calls[0]
    assert isinstance(key, bytes) and len(key) == 32
    assert now == NOW
    assert expires_at > NOW
    # The entry outlives the invocation's freshness window: at issued_at + freshness + leeway the
    # invocation still verifies, so its nonce must still be remembered.
    assert expires_at > NOW + FRESHNESS + LEEWAY
    # Refused requests never reach the store.
    assert_refused(v.verify(TOKEN, invocation(nonce(3), amount=5000), now=NOW), "CONSTRAINT_VIOLATED")
    assert_refused(v.verify(TOKEN, invocation(nonce(4), key=OTHER_AGENT), now=NOW), "POP_INVALID")
    assert_refused(v.verify(TOKEN, invocation(nonce(5), issued_at=NOW - 5000), now=NOW), "INVOCATION_STALE")
    assert len(store.calls) == 1
    # A batch consults the store in input order, once per accepted item.
    verdicts = v.verify_batch(
        [(TOKEN, second), (TOKEN, invocation(nonce(6), amount=5000)), (TOKEN, first)], now=NOW
    )
    assert [x.reason for x in verdicts] == [None, "CONSTRAINT_VIOLATED", "REPLAYED"]
    assert len(store.calls) == 3
    assert store.calls[2][0] == key
    assert store.calls[1][0] != key
    assert store.calls[1][1] > NOW - 100 + FRESHNESS + LEEWAY


def test_replay_key_is_per_holder_and_nonce() -> None:
    store = RecordingStore()
    v = verifier(store)
    other = grant(OTHER_AGENT)
    # The same nonce used by two different holders: neither burns the other's.
    assert_ok(v.verify(TOKEN, invocation(nonce(9)), now=NOW))
    assert_ok(v.verify(other, invocation(nonce(9), token=other, key=OTHER_AGENT), now=NOW))
    # Same holder and nonce, different request: still a replay.
    assert_refused(v.verify(TOKEN, invocation(nonce(9), amount=7), now=NOW), "REPLAYED")
    keys = [c[0] for c in store.calls]
    assert keys[0] != keys[1] and keys[2] == keys[0]


def test_store_answering_false_is_replayed() -> None:
    class Refusing:
        def __init__(self) -> None:
            self.count = 0

        def check_and_insert(self, key: bytes, expires_at: int, now: int) -> bool:
            self.count += 1
            return False

    store = Refusing()
    v = verifier(store)
    assert_refused(v.verify(TOKEN, invocation(nonce(1)), now=NOW), "REPLAYED")
    assert store.count == 1


class Broken(Exception):
    pass


def test_store_raising_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def check_and_insert(self, key: bytes, expires_at: int, now: int) -> bool:
            raise Broken("store unavailable")

    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    v = verifier(Down())
    assert_refused(v.verify(TOKEN, invocation(nonce(1)), now=NOW), "REPLAY_CHECK_FAILED")
    verdicts = v.verify_batch(
        [(TOKEN, invocation(nonce(2))), (TOKEN, invocation(nonce(3), amount=5000))], now=NOW
    )
    assert_refused(verdicts[0], "REPLAY_CHECK_FAILED")
    assert_refused(verdicts[1], "CONSTRAINT_VIOLATED")
    # The operator gets to see why.
    assert len(reported) == 2
    assert all(isinstance(r.exc_value, Broken) for r in reported)


def test_store_returning_a_non_bool_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Odd:
        def check_and_insert(self, key: bytes, expires_at: int, now: int) -> object:
            return "yes"

    monkeypatch.setattr(sys, "unraisablehook", lambda _: None)
    assert_refused(verifier(Odd()).verify(TOKEN, invocation(nonce(1)), now=NOW), "REPLAY_CHECK_FAILED")


def test_bounded_memory_cache_fails_closed_when_full_and_recovers() -> None:
    v = verifier(2)
    a, b, c = invocation(nonce(1)), invocation(nonce(2)), invocation(nonce(3))
    assert_ok(v.verify(TOKEN, a, now=NOW))
    assert_ok(v.verify(TOKEN, b, now=NOW))
    # Full of unexpired entries: refusing is the only safe answer (forgetting one would admit a replay).
    assert_refused(v.verify(TOKEN, c, now=NOW), "REPLAY_CHECK_FAILED")
    # Still full at the last second the first two are fresh; they are still replays then.
    last_fresh = NOW + FRESHNESS + LEEWAY
    assert_refused(v.verify(TOKEN, a, now=last_fresh), "REPLAYED")
    late = invocation(nonce(4), issued_at=last_fresh)
    assert_refused(v.verify(TOKEN, late, now=last_fresh), "REPLAY_CHECK_FAILED")
    # One second later a and b are stale; their entries expire and make room.
    later = last_fresh + 1
    assert_refused(v.verify(TOKEN, a, now=later), "INVOCATION_STALE")
    fresh = invocation(nonce(3), issued_at=later)  # the nonce refused earlier was not burned
    assert_ok(v.verify(TOKEN, fresh, now=later))
    assert_ok(v.verify(TOKEN, invocation(nonce(5), issued_at=later), now=later))
    assert_refused(v.verify(TOKEN, fresh, now=later), "REPLAYED")
    assert_refused(v.verify(TOKEN, invocation(nonce(6), issued_at=later), now=later), "REPLAY_CHECK_FAILED")


def test_batch_fills_the_bounded_cache_in_input_order() -> None:
    v = verifier(2)
    items = [(TOKEN, invocation(nonce(i))) for i in range(4)]
    verdicts = v.verify_batch([items[0], items[1], items[0], items[2], items[3]], now=NOW)
    assert [x.reason for x in verdicts] == [
        None,
        None,
        "REPLAYED",
        "REPLAY_CHECK_FAILED",
        "REPLAY_CHECK_FAILED",
    ]


def test_replay_cache_off() -> None:
    v = verifier(False)
    inv = invocation(nonce(1))
    for _ in range(3):
        assert_ok(v.verify(TOKEN, inv, now=NOW))
    assert all(x.ok for x in v.verify_batch([(TOKEN, inv)] * 3, now=NOW))


@pytest.mark.parametrize("setting", [None, True])
def test_replay_cache_on_by_default(setting: Any) -> None:
    v = verifier(setting)
    inv = invocation(nonce(1))
    assert_ok(v.verify(TOKEN, inv, now=NOW))
    assert_refused(v.verify(TOKEN, inv, now=NOW), "REPLAYED")


def test_cache_is_per_verifier() -> None:
    inv = invocation(nonce(1))
    first = verifier(None)
    assert_ok(first.verify(TOKEN, inv, now=NOW))
    assert_refused(first.verify(TOKEN, inv, now=NOW), "REPLAYED")
    # A fresh verifier (another worker process, say) has not seen it: why a shared store exists.
    assert_ok(verifier(None).verify(TOKEN, inv, now=NOW))
    shared = RecordingStore()
    assert_ok(verifier(shared).verify(TOKEN, inv, now=NOW))
    assert_refused(verifier(shared).verify(TOKEN, inv, now=NOW), "REPLAYED")


def test_bad_replay_cache_arguments() -> None:
    with pytest.raises(ValueError):
        verifier(0)
    with pytest.raises(TypeError):
        verifier("memory")
    with pytest.raises(TypeError):
        verifier(object())

"""Hostile input: truncation, garbage, deep nesting, oversized input, wrong
Python types, and every counted limit just under and just over.

Bad input is never a crash: decoding raises a typed ``ChainproofError``; the
verifier answers with a verdict (``MALFORMED`` or ``LIMIT_EXCEEDED``).
Exceptions are kept for wrong Python types (``ArgumentTypeError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainproof as cp

from conftest import (
    AUDIENCE,
    FIXED_NOW,
    PRINCIPAL,
    PURPOSE,
    CborMap,
    Chain,
    Raw,
    cbor_decode,
    cbor_encode,
    default_capability,
    key,
    make_chain,
    make_invocation,
    make_verifier,
)

CHAIN = make_chain(2)
INVOCATION = make_invocation(CHAIN)
VERIFIER = make_verifier(CHAIN)
TOKEN = CHAIN.token.to_bytes()
INV = INVOCATION.to_bytes()
BAD_INPUT = {"MALFORMED", "LIMIT_EXCEEDED"}


def test_positive_control() -> None:
    forms: list[tuple[Any, Any]] = [
        (CHAIN.token, INVOCATION),
        (TOKEN, INV),
        (CHAIN.token.encode(), INVOCATION.encode()),
    ]
    for token, inv in forms:
        assert VERIFIER.verify(token, inv, now=FIXED_NOW).ok


# --- empty and truncated input -----------------------------------------------------


@pytest.mark.parametrize("empty", [b"", "", bytearray(), memoryview(b"")], ids=repr)
def test_empty_input(empty: Any) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(empty)
    with pytest.raises(cp.DecodeError):
        cp.Invocation.decode(empty)
    v = VERIFIER.verify(empty, INVOCATION, now=FIXED_NOW)
    assert (v.ok, v.reason, v.hop) == (False, "MALFORMED", None)
    v = VERIFIER.verify(CHAIN.token, empty, now=FIXED_NOW)
    assert (v.ok, v.reason, v.hop) == (False, "MALFORMED", 3)


def test_every_truncation_of_a_token() -> None:
    for n in range(len(TOKEN)):
        with pytest.raises(cp.DecodeError):
            cp.Token.decode(TOKEN[:n])
    verdicts = VERIFIER.verify_batch([(TOKEN[:n], INVOCATION) for n in range(len(TOKEN))], now=FIXED_NOW)
    assert len(verdicts) == len(TOKEN)
    assert all(not v.ok and v.reason in BAD_INPUT for v in verdicts)
    assert VERIFIER.verify(TOKEN, INVOCATION, now=FIXED_NOW).ok


def test_every_truncation_of_a_token_text() -> None:
    text = CHAIN.token.encode()
    for n in range(len(text)):
        with pytest.raises(cp.DecodeError):
            cp.Token.decode(text[:n])
    verdicts = VERIFIER.verify_batch([(text[:n], INVOCATION) for n in range(len(text))], now=FIXED_NOW)
    assert all(not v.ok and v.reason in BAD_INPUT for v in verdicts)


def test_every_truncation_of_an_invocation() -> None:
    for n in range(len(INV)):
        with pytest.raises(cp.DecodeError):
            cp.Invocation.decode(INV[:n])
    verdicts = VERIFIER.verify_batch([(CHAIN.token, INV[:n]) for n in range(len(INV))], now=FIXED_NOW)
    assert all(not v.ok and v.reason in BAD_INPUT and v.hop == 3 for v in verdicts)
    text = INVOCATION.encode()
    for n in range(len(text)):
        with pytest.raises(cp.DecodeError):
            cp.Invocation.decode(text[:n])


# --- garbage -------------------------------------------------------------------------


def garbage() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=400),
        # Start like a token or an invocation, to get past the first checks.
        st.binary(max_size=300).map(lambda b: b"\x84\x01" + b),
        st.binary(max_size=300).map(lambda b: b"\x82\x01\x82\x59" + b),
        st.binary(max_size=300).map(lambda b: b"\x83\x01\x58\x80" + b),
        st.binary(max_size=300).map(lambda b: TOKEN[: len(TOKEN) // 2] + b),
    )


@settings(max_examples=200, deadline=None)
@given(garbage())
def test_garbage_bytes_never_verify(data: bytes) -> None:
    with pytest.raises((cp.DecodeError, cp.LimitExceededError)):
        cp.Token.decode(data)
    with pytest.raises((cp.DecodeError, cp.LimitExceededError)):
        cp.Invocation.decode(data)
    v = VERIFIER.verify(data, INVOCATION, now=FIXED_NOW)
    assert not v.ok and v.reason in BAD_INPUT
    v = VERIFIER.verify(CHAIN.token, data, now=FIXED_NOW)
    assert not v.ok and v.reason in BAD_INPUT


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_garbage_text_never_verifies(text: str) -> None:
    for candidate in (text, "cpt1." + text):
        with pytest.raises((cp.DecodeError, cp.LimitExceededError)):
            cp.Token.decode(candidate)
        v = VERIFIER.verify(candidate, INVOCATION, now=FIXED_NOW)
        assert not v.ok and v.reason in BAD_INPUT


# --- deep nesting --------------------------------------------------------------------


def nested_arrays(depth: int) -> bytes:
    return b"\x81" * depth + b"\x00"


@pytest.mark.parametrize(
    "data",
    [
        nested_arrays(60_000),
        b"\xa1\x01" * 30_000 + b"\x00",  # nested maps
        b"\xc4" * 60_000 + b"\x00",  # nested tags
        b"\x84\x01" + nested_arrays(60_000),  # inside the token array
        cbor_encode([1, [nested_arrays(60_000), bytes(64)]]),  # as the signed bytes of a block
        b"\x9f" * 60_000,  # nested indefinite arrays
    ],
    ids=["arrays", "maps", "tags", "in-token", "in-block", "indefinite"],
)
def test_deep_nesting_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(data)
    with pytest.raises((cp.DecodeError, cp.LimitExceededError)):
        cp.Invocation.decode(data)
    assert VERIFIER.verify(data, INVOCATION, now=FIXED_NOW).reason == "MALFORMED"


def test_deep_nesting_over_the_size_limit() -> None:
    data = nested_arrays(100_000)
    with pytest.raises(cp.LimitExceededError):
        cp.Token.decode(data)
    assert VERIFIER.verify(data, INVOCATION, now=FIXED_NOW).reason == "LIMIT_EXCEEDED"
    # With the size limit lifted the nesting itself is refused, without recursion.
    roomy = make_verifier(CHAIN, limits=cp.Limits(max_token_bytes=10**6, max_invocation_bytes=10**6))
    assert roomy.verify(data, INVOCATION, now=FIXED_NOW).reason == "MALFORMED"
    assert roomy.verify(nested_arrays(500_000), INVOCATION, now=FIXED_NOW).reason == "MALFORMED"
    assert roomy.verify(CHAIN.token, nested_arrays(500_000), now=FIXED_NOW).reason == "MALFORMED"


def test_nesting_inside_an_invocation_argument() -> None:
    items = cbor_decode(INV)
    signed = cbor_decode(items[1])

    def with_amount(value: bytes) -> bytes:
        body = cbor_encode(signed.set(5, CborMap([("amount", Raw(value))])))
        return cbor_encode([1, body, items[2]])

    # The positive control: the same construction with a plain value decodes.
    assert cp.Invocation.decode(with_amount(b"\x05")).to_dict()["args"] == {"amount": 5}
    for nested in (nested_arrays(10_000), b"\xa1\x61a" * 5_000 + b"\x00", b"\xc4" * 10_000 + b"\x00"):
        data = with_amount(nested)
        with pytest.raises(cp.DecodeError):
            cp.Invocation.decode(data)
        assert VERIFIER.verify(CHAIN.token, data, now=FIXED_NOW).reason == "MALFORMED"


# --- oversized input -----------------------------------------------------------------


def test_oversized_token_and_invocation() -> None:
    limits = cp.Limits()
    for size in (limits.max_token_bytes + 1, 10 * limits.max_token_bytes):
        data = TOKEN + bytes(size - len(TOKEN))
        with pytest.raises(cp.LimitExceededError):
            cp.Token.decode(data)
        assert VERIFIER.verify(data, INVOCATION, now=FIXED_NOW).reason == "LIMIT_EXCEEDED"
    huge_text = "cpt1." + "A" * (4 * limits.max_token_bytes)
    with pytest.raises(cp.LimitExceededError):
        cp.Token.decode(huge_text)
    assert VERIFIER.verify(huge_text, INVOCATION, now=FIXED_NOW).reason == "LIMIT_EXCEEDED"
    data = INV + bytes(limits.max_invocation_bytes + 1 - len(INV))
    with pytest.raises(cp.LimitExceededError):
        cp.Invocation.decode(data)
    v = VERIFIER.verify(CHAIN.token, data, now=FIXED_NOW)
    assert (v.reason, v.hop) == ("LIMIT_EXCEEDED", 3)
    huge_text = "cpi1." + "A" * (4 * limits.max_invocation_bytes)
    with pytest.raises(cp.LimitExceededError):
        cp.Invocation.decode(huge_text)
    assert VERIFIER.verify(CHAIN.token, huge_text, now=FIXED_NOW).reason == "LIMIT_EXCEEDED"
    # Just at the limit, trailing zeros are a decoding error, not a size error.
    data = TOKEN + bytes(limits.max_token_bytes - len(TOKEN))
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(data)


@pytest.mark.parametrize("count", [1, 2**32, 2**64 - 1])
def test_huge_announced_lengths_are_refused_without_allocating(count: int) -> None:
    for major in (2, 3, 4, 5):
        width = 8 if count >= 2**32 else (4 if count >= 2**16 else 0)
        head = bytes([major << 5 | (27 if width == 8 else 26 if width == 4 else count)])
        if width:
            head += count.to_bytes(width, "big")
        for data in (head, b"\x84\x01" + head, cbor_encode([1, []])[:-1] + head):
            with pytest.raises((cp.DecodeError, cp.LimitExceededError)):
                cp.Token.decode(data)
            assert VERIFIER.verify(data, INVOCATION, now=FIXED_NOW).reason in BAD_INPUT


# --- wrong Python types ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, 5, 1.5, ["cpt1."], {"a": 1}, object(), key(1), key(1).public_key], ids=repr
)
def test_wrong_types_for_decode(value: Any) -> None:
    with pytest.raises(cp.ArgumentTypeError) as info:
        cp.Token.decode(value)
    assert isinstance(info.value, TypeError)
    with pytest.raises(cp.ArgumentTypeError):
        cp.Invocation.decode(value)


def test_a_token_is_not_an_invocation_and_vice_versa() -> None:
    inv_as_token: Any = INVOCATION
    token_as_inv: Any = CHAIN.token
    with pytest.raises(cp.ArgumentTypeError):
        cp.Token.decode(token_as_inv)
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify(inv_as_token, INVOCATION, now=FIXED_NOW)
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify(CHAIN.token, token_as_inv, now=FIXED_NOW)


@pytest.mark.parametrize(
    "args",
    [
        (None, INVOCATION),
        (5, INVOCATION),
        ([TOKEN], INVOCATION),
        (CHAIN.token, None),
        (CHAIN.token, 5.0),
        (CHAIN.token, {"inv": INV}),
    ],
    ids=["token-None", "token-int", "token-list", "inv-None", "inv-float", "inv-dict"],
)
def test_wrong_types_for_verify(args: tuple[Any, Any]) -> None:
    with pytest.raises(cp.ArgumentTypeError) as info:
        VERIFIER.verify(*args, now=FIXED_NOW)
    assert isinstance(info.value, TypeError) and isinstance(info.value, cp.ChainproofError)


@pytest.mark.parametrize("now", ["1800000000", 1.8e9, True, b"\x00"], ids=repr)
def test_wrong_type_for_now(now: Any) -> None:
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify(CHAIN.token, INVOCATION, now=now)
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify_batch([(CHAIN.token, INVOCATION)], now=now)


def test_wrong_type_for_request() -> None:
    body: Any = "body"
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify(CHAIN.token, INVOCATION, now=FIXED_NOW, request=body)
    with pytest.raises(cp.ArgumentTypeError):
        VERIFIER.verify_batch([(CHAIN.token, INVOCATION, body)], now=FIXED_NOW)


@pytest.mark.parametrize(
    "pairs",
    [
        5,
        None,
        [5],
        [None],
        [CHAIN.token],
        [(CHAIN.token,)],
        [()],
        [(CHAIN.token, INVOCATION, b"", b"")],
        [[CHAIN.token, INVOCATION]],
        [{"token": CHAIN.token, "invocation": INVOCATION}],
        [(CHAIN.token, 5)],
        [(5, INVOCATION)],
        [(CHAIN.token, INVOCATION), "ab"],
        "ab",
    ],
    ids=lambda p: repr(p)[:40],
)
def test_wrong_shapes_for_verify_batch(pairs: Any) -> None:
    with pytest.raises(cp.ArgumentTypeError) as info:
        VERIFIER.verify_batch(pairs, now=FIXED_NOW)
    assert isinstance(info.value, TypeError)


def test_verify_batch_accepts_any_iterable_of_pairs() -> None:
    pairs: Any = iter([(CHAIN.token, INVOCATION), (TOKEN, INV, None)])
    verdicts = VERIFIER.verify_batch(pairs, now=FIXED_NOW)
    assert [v.ok for v in verdicts] == [True, True]
    assert VERIFIER.verify_batch([], now=FIXED_NOW) == []


# --- every limit, just under and just over -------------------------------------------------

ROOT, HOLDER, NEXT = key(0), key(1), key(2)


def issue(**overrides: Any) -> cp.Token:
    spec: dict[str, Any] = {
        "subject": HOLDER.public_key,
        "capabilities": [default_capability()],
        "purpose": PURPOSE,
        "audiences": [AUDIENCE],
        "principal": PRINCIPAL,
        "expires_at": FIXED_NOW + 3600,
        "not_before": FIXED_NOW - 10,
        "max_depth": 1,
        "now": FIXED_NOW,
    }
    spec.update(overrides)
    return cp.Token.issue(ROOT, **spec)


def invoke(token: cp.Token, holder: cp.SigningKey = HOLDER, **overrides: Any) -> cp.Invocation:
    spec: dict[str, Any] = {
        "audience": AUDIENCE,
        "action": "pay",
        "resource": "bank/invoices/17",
        "args": {"amount": 5},
        "issued_at": FIXED_NOW,
        "nonce": b"\x01" * 16,
    }
    spec.update(overrides)
    return token.invoke(holder, **spec)


def verify_under(
    token: cp.Token, inv: cp.Invocation, *, max_depth: int = 16, **limits: int
) -> list[tuple[str | None, int | None]]:
    """(reason, hop) for the pair in every input form, under the given limits."""
    verifier = cp.Verifier(
        [ROOT.public_key], AUDIENCE, replay_cache=False, max_depth=max_depth, limits=cp.Limits(**limits)
    )
    forms: list[tuple[Any, Any]] = [
        (token, inv),
        (token.to_bytes(), inv.to_bytes()),
        (token.encode(), inv.encode()),
        (token.encode().encode(), inv),
        (token, inv.encode()),
    ]
    out = []
    for t, i in forms:
        v = verifier.verify(t, i, now=FIXED_NOW)
        out.append((v.reason, v.hop))
    batch = verifier.verify_batch(forms, now=FIXED_NOW)
    assert [(v.reason, v.hop) for v in batch] == out
    return out


def assert_limit(
    token: cp.Token,
    inv: cp.Invocation,
    name: str,
    n: int,
    *,
    over_hop: int | None = None,
    max_depth: int = 16,
) -> None:
    """Accepted with the limit at ``n``; LIMIT_EXCEEDED at ``n - 1`` in every form."""
    assert all(r == (None, None) for r in verify_under(token, inv, max_depth=max_depth, **{name: n})), name
    refused = verify_under(token, inv, max_depth=max_depth, **{name: n - 1})
    assert all(reason == "LIMIT_EXCEEDED" for reason, _ in refused), (name, refused)
    if over_hop is not None:
        assert all(hop == over_hop for _, hop in refused[1:3]), (name, refused)


def assert_mint_limit(make: Callable[[int], object], n: int) -> None:
    """``make(n)`` mints; ``make(n + 1)`` is refused with LimitExceededError."""
    make(n)
    with pytest.raises(cp.LimitExceededError):
        make(n + 1)


def test_limit_defaults() -> None:
    limits = cp.Limits()
    assert (limits.max_token_bytes, limits.max_invocation_bytes, limits.max_blocks) == (65536, 16384, 32)
    assert (limits.max_capabilities, limits.max_actions, limits.max_constraints) == (64, 32, 32)
    assert (limits.max_one_of, limits.max_pattern_bytes, limits.max_segments) == (64, 512, 32)
    assert (limits.max_text_bytes, limits.max_audiences, limits.max_args) == (1024, 32, 64)
    assert limits.max_batch == 1_000_000
    assert cp.Limits(max_args=3).max_args == 3
    with pytest.raises(cp.InvalidArgumentError):
        cp.Limits(max_tokens=3)
    text: Any = "3"
    with pytest.raises(cp.ArgumentTypeError):
        cp.Limits(max_args=text)


# max_token_bytes ---------------------------------------------------------------------------

BIG_ACTIONS = [f"{j:02d}" + "a" * 62 for j in range(32)]  # 32 actions of 64 bytes


def big_capabilities() -> list[cp.Capability]:
    caps = [cp.Capability(f"bank/c{i:02d}", BIG_ACTIONS) for i in range(30)]
    return [*caps, cp.Capability("bank/zz", BIG_ACTIONS[:8])]


def tuned(make: Callable[[int], cp.Token], target: int) -> int:
    """The reason length that makes ``make(length)`` exactly ``target`` bytes long."""
    probe = 300  # lengths 256..1023 all take a 3-byte text head: size is linear here
    length = probe + target - len(make(probe).to_bytes())
    assert 256 <= length <= 1024
    return length


def test_max_token_bytes_when_issuing() -> None:
    def make(reason_len: int) -> cp.Token:
        return issue(capabilities=big_capabilities(), reason="r" * reason_len)

    limit = cp.Limits().max_token_bytes
    length = tuned(make, limit)
    token = make(length)
    assert len(token.to_bytes()) == limit
    # What a minter produces, a default decoder and verifier accept.
    assert cp.Token.decode(token.to_bytes()) == token
    inv = invoke(token, action=BIG_ACTIONS[0], resource="bank/c00", args={})
    assert verify_under(token, inv) == [(None, None)] * 5
    assert_limit(token, inv, "max_token_bytes", limit, over_hop=None)
    for extra in range(1, 9):
        with pytest.raises(cp.LimitExceededError):
            make(length + extra)


def test_max_token_bytes_when_delegating() -> None:
    root = issue(capabilities=[cp.Capability("bank/**", "*")], max_depth=1)

    def make(reason_len: int) -> cp.Token:
        return root.delegate(
            HOLDER,
            subject=NEXT.public_key,
            capabilities=big_capabilities(),
            reason="r" * reason_len,
            now=FIXED_NOW,
        )

    limit = cp.Limits().max_token_bytes
    length = tuned(make, limit)
    token = make(length)
    assert len(token.to_bytes()) == limit
    inv = invoke(token, NEXT, action=BIG_ACTIONS[3], resource="bank/c07", args={})
    assert_limit(token, inv, "max_token_bytes", limit)
    with pytest.raises(cp.LimitExceededError):
        make(length + 1)


# max_invocation_bytes ------------------------------------------------------------------------


def test_max_invocation_bytes() -> None:
    token = issue(capabilities=[cp.Capability("bank/**", "*")])
    filler = {**{f"f{i:02d}": "x" * 1000 for i in range(15)}, "g": "z" * 700}

    def make(n: int) -> cp.Invocation:
        return invoke(token, args={**filler, "last": "y" * n})

    limit = cp.Limits().max_invocation_bytes
    probe = 300
    n = probe + limit - len(make(probe).to_bytes())
    assert 256 <= n <= 1024
    inv = make(n)
    assert len(inv.to_bytes()) == limit
    assert cp.Invocation.decode(inv.to_bytes()) == inv
    with pytest.raises(cp.LimitExceededError):
        make(n + 1)
    assert_limit(token, inv, "max_invocation_bytes", limit, over_hop=1)
    small = invoke(token)
    assert_limit(token, small, "max_invocation_bytes", len(small.to_bytes()), over_hop=1)


# max_blocks -------------------------------------------------------------------------------------


def test_max_blocks_when_delegating() -> None:
    limit = cp.Limits().max_blocks
    chain = make_chain(limit - 1, max_depth=limit)
    assert len(chain.token.block_ids) == limit
    extra = key(99)
    with pytest.raises(cp.LimitExceededError):
        chain.token.delegate(chain.holder, subject=extra.public_key, max_depth=0, now=FIXED_NOW)
    inv = make_invocation(chain)
    assert_limit(chain.token, inv, "max_blocks", limit, max_depth=limit)


def test_max_blocks_when_decoding() -> None:
    limit = cp.Limits().max_blocks
    chain = make_chain(limit - 1)
    items = cbor_decode(chain.token.to_bytes())
    assert len(items) == limit + 1
    assert cp.Token.decode(cbor_encode(items)) == chain.token
    # One more envelope (a copy: decoding checks the encoding, not the chain).
    over = cbor_encode([*items, items[-1]])
    with pytest.raises(cp.LimitExceededError):
        cp.Token.decode(over)
    verifier = make_verifier(chain, max_depth=64)
    assert verifier.verify(over, make_invocation(chain), now=FIXED_NOW).reason == "LIMIT_EXCEEDED"
    roomy = make_verifier(chain, max_depth=64, limits=cp.Limits(max_blocks=limit + 1))
    # Past the decoder, the copied block fails its signature check (signed by the wrong key).
    v = roomy.verify(over, make_invocation(chain), now=FIXED_NOW)
    assert (v.reason, v.hop) == ("SIGNATURE_INVALID", limit)


def test_max_blocks_small_chain() -> None:
    chain = make_chain(3)
    assert_limit(chain.token, make_invocation(chain), "max_blocks", 4)


# per-block counts -----------------------------------------------------------------------------------


def test_max_capabilities() -> None:
    limit = cp.Limits().max_capabilities
    assert_mint_limit(
        lambda n: issue(capabilities=[cp.Capability(f"bank/c{i}", ["pay"]) for i in range(n)]), limit
    )
    token = issue(capabilities=[cp.Capability(f"bank/c{i}", ["pay"]) for i in range(3)])
    assert_limit(token, invoke(token, resource="bank/c1", args={}), "max_capabilities", 3, over_hop=0)


def test_max_capabilities_in_a_delegated_block() -> None:
    root = issue(capabilities=[cp.Capability("bank/**", "*")])
    token = root.delegate(
        HOLDER, subject=NEXT.public_key, capabilities=[cp.Capability(f"bank/c{i}", ["pay"]) for i in range(5)]
    )
    inv = invoke(token, NEXT, resource="bank/c4", args={})
    assert_limit(token, inv, "max_capabilities", 5, over_hop=1)


def test_max_actions() -> None:
    limit = cp.Limits().max_actions
    assert_mint_limit(
        lambda n: issue(capabilities=[cp.Capability("bank/x", [f"act{i}" for i in range(n)])]),
        limit,
    )
    token = issue(capabilities=[cp.Capability("bank/x", ["a", "b", "pay"])])
    assert_limit(token, invoke(token, resource="bank/x", args={}), "max_actions", 3, over_hop=0)


def test_max_constraints() -> None:
    limit = cp.Limits().max_constraints
    assert_mint_limit(
        lambda n: issue(
            capabilities=[cp.Capability("bank/x", ["pay"], {f"a{i}": cp.Max(5) for i in range(n)})]
        ),
        limit,
    )
    # Several constraints on one argument count one by one.
    with pytest.raises(cp.LimitExceededError):
        issue(capabilities=[cp.Capability("bank/x", ["pay"], {"a": [cp.Min(i) for i in range(limit + 1)]})])
    cap = cp.Capability("bank/x", ["pay"], {"amount": [cp.Min(0), cp.Max(10)], "memo": cp.Prefix("inv-")})
    token = issue(capabilities=[cp.Capability("bank/x", ["pay"]), cap])
    inv = invoke(token, resource="bank/x", args={"amount": 5, "memo": "inv-1"})
    assert_limit(token, inv, "max_constraints", 3, over_hop=0)


def test_max_one_of() -> None:
    limit = cp.Limits().max_one_of
    assert_mint_limit(
        lambda n: issue(capabilities=[cp.Capability("bank/x", ["pay"], {"to": cp.OneOf(range(n))})]),
        limit,
    )
    token = issue(capabilities=[cp.Capability("bank/x", ["pay"], {"to": cp.OneOf(["a", "b", "c"])})])
    inv = invoke(token, resource="bank/x", args={"to": "b"})
    assert_limit(token, inv, "max_one_of", 3, over_hop=0)


def test_max_audiences() -> None:
    limit = cp.Limits().max_audiences
    assert_mint_limit(lambda n: issue(audiences=[f"svc{i:02d}" for i in range(n)]), limit)
    token = issue(audiences=["alpha", AUDIENCE, "zeta"])
    assert_limit(token, invoke(token), "max_audiences", 3, over_hop=0)


# pattern bytes and segments -----------------------------------------------------------------------------


def test_max_pattern_bytes_when_minting() -> None:
    limit = cp.Limits().max_pattern_bytes

    def pattern(n: int) -> str:
        return "bank/" + "p" * (n - 5)

    assert_mint_limit(lambda n: issue(capabilities=[cp.Capability(pattern(n), ["pay"])]), limit)
    assert_mint_limit(lambda n: issue(purpose=pattern(n)), limit)
    token = issue(capabilities=[cp.Capability("bank/**", ["pay"])])
    assert_mint_limit(lambda n: invoke(token, resource=pattern(n), args={}), limit)


def test_max_pattern_bytes_when_verifying() -> None:
    # The capability pattern is the longest: only the token goes over.
    pattern = "bank/" + "p" * 40 + "/**"
    token = issue(capabilities=[cp.Capability(pattern, ["pay"])])
    inv = invoke(token, resource="bank/" + "p" * 40 + "/1", args={})
    assert_limit(token, inv, "max_pattern_bytes", len(pattern), over_hop=0)
    # The purpose is the longest.
    purpose = "payments/" + "q" * 60
    token = issue(purpose=purpose)
    assert_limit(token, invoke(token), "max_pattern_bytes", len(purpose), over_hop=0)
    # The invocation's resource is the longest: only the invocation goes over.
    token = issue(capabilities=[cp.Capability("bank/**", ["pay"])])
    resource = "bank/" + "r" * 70
    assert_limit(
        token, invoke(token, resource=resource, args={}), "max_pattern_bytes", len(resource), over_hop=1
    )


def test_max_segments_when_minting() -> None:
    limit = cp.Limits().max_segments

    def path(n: int) -> str:
        return "/".join(["bank", *["s"] * (n - 1)])

    assert_mint_limit(lambda n: issue(capabilities=[cp.Capability(path(n), ["pay"])]), limit)
    assert_mint_limit(lambda n: issue(purpose=path(n)), limit)
    token = issue(capabilities=[cp.Capability("bank/**", ["pay"])])
    assert_mint_limit(lambda n: invoke(token, resource=path(n), args={}), limit)


def test_max_segments_when_verifying() -> None:
    token = issue(capabilities=[cp.Capability("bank/a/b/c/d/**", ["pay"])])
    assert_limit(token, invoke(token, resource="bank/a/b/c/d/e", args={}), "max_segments", 6, over_hop=0)
    token = issue(purpose="p/a/b/c/d/e/f")
    assert_limit(token, invoke(token), "max_segments", 7, over_hop=0)
    token = issue(capabilities=[cp.Capability("bank/**", ["pay"])])
    assert_limit(token, invoke(token, resource="bank/1/2/3/4/5/6/7", args={}), "max_segments", 8, over_hop=1)


# text bytes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reason", "principal", "subject_id"])
def test_max_text_bytes_in_a_block(field: str) -> None:
    limit = cp.Limits().max_text_bytes
    assert_mint_limit(lambda n: issue(**{field: "t" * n}), limit)
    token = issue(**{field: "t" * 100})
    assert_limit(token, invoke(token), "max_text_bytes", 100, over_hop=0)


def test_max_text_bytes_in_a_delegated_reason() -> None:
    limit = cp.Limits().max_text_bytes
    root = issue()
    assert_mint_limit(lambda n: root.delegate(HOLDER, subject=NEXT.public_key, reason="d" * n), limit)
    token = root.delegate(HOLDER, subject=NEXT.public_key, reason="d" * 100, now=FIXED_NOW)
    assert_limit(token, invoke(token, NEXT), "max_text_bytes", 100, over_hop=1)


def test_max_text_bytes_for_audiences_and_constraint_values() -> None:
    limit = cp.Limits().max_text_bytes
    assert_mint_limit(lambda n: issue(audiences=[AUDIENCE, "a" * n]), limit)
    assert_mint_limit(
        lambda n: issue(capabilities=[cp.Capability("bank/x", ["pay"], {"memo": cp.Eq("m" * n)})]),
        limit,
    )
    token = issue(audiences=[AUDIENCE, "a" * 100])
    assert_limit(token, invoke(token), "max_text_bytes", 100, over_hop=0)
    token = issue(capabilities=[cp.Capability("bank/x", ["pay"], {"memo": cp.Prefix("m" * 100)})])
    inv = invoke(token, resource="bank/x", args={"memo": "m" * 100})
    assert_limit(token, inv, "max_text_bytes", 100)


def test_max_text_bytes_in_an_invocation() -> None:
    limit = cp.Limits().max_text_bytes
    token = issue(capabilities=[cp.Capability("bank/**", "*")])
    assert_mint_limit(lambda n: invoke(token, resource="bank/x", args={"memo": "v" * n}), limit)
    assert_mint_limit(lambda n: invoke(token, audience="a" * n, check=False), limit)
    inv = invoke(token, resource="bank/x", args={"memo": "v" * 100})
    assert_limit(token, inv, "max_text_bytes", 100, over_hop=1)


# arguments and batches ---------------------------------------------------------------


def test_max_args() -> None:
    limit = cp.Limits().max_args
    token = issue(capabilities=[cp.Capability("bank/**", ["pay"])])
    assert_mint_limit(lambda n: invoke(token, resource="bank/x", args={f"a{i}": i for i in range(n)}), limit)
    inv = invoke(token, resource="bank/x", args={"a": 1, "b": 2, "c": 3})
    assert_limit(token, inv, "max_args", 3, over_hop=1)


def test_max_batch() -> None:
    chain: Chain = CHAIN
    pairs = [(chain.token, make_invocation(chain, nonce=bytes([i]) * 16)) for i in range(4)]
    verifier = make_verifier(chain, limits=cp.Limits(max_batch=4))
    assert all(v.ok for v in verifier.verify_batch(pairs, now=FIXED_NOW))
    verifier = make_verifier(chain, limits=cp.Limits(max_batch=3))
    verdicts = verifier.verify_batch(pairs, now=FIXED_NOW)
    assert len(verdicts) == 4
    assert all(v.reason == "LIMIT_EXCEEDED" and v.hop is None for v in verdicts)
    assert all(v.ok for v in verifier.verify_batch(pairs[:3], now=FIXED_NOW))
    # The replay cache is left untouched by a refused batch.
    cached = make_verifier(chain, replay_cache=True, limits=cp.Limits(max_batch=3))
    assert not any(v.ok for v in cached.verify_batch(pairs, now=FIXED_NOW))
    assert all(v.ok for v in cached.verify_batch(pairs[:3], now=FIXED_NOW))

"""The wire format: round trips, the text form, and the strict binary decoder.

Hostile encodings are crafted with the small CBOR reader/writer in
``conftest.py``: decode a valid token into Python structures, change one
thing, encode again. A changed block is no longer validly signed, so the
decoder is tested with ``Token.decode`` (which does not check signatures) and
the verifier must answer ``MALFORMED`` (decoding comes before signatures).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from decimal import Decimal
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
    Tag,
    cbor_decode,
    cbor_encode,
    cbor_head,
    default_capability,
    key,
    make_chain,
    make_invocation,
    make_verifier,
)

CHAIN = make_chain(2)
INVOCATION = make_invocation(CHAIN)
VERIFIER = make_verifier(CHAIN)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def verdict(token: Any, invocation: Any = None) -> cp.Verdict:
    return VERIFIER.verify(token, INVOCATION if invocation is None else invocation, now=FIXED_NOW)


def test_valid_chain_verifies() -> None:
    # The positive control for every refusal below.
    assert verdict(CHAIN.token).ok
    assert verdict(CHAIN.token.to_bytes(), INVOCATION.to_bytes()).ok
    assert verdict(CHAIN.token.encode(), INVOCATION.encode()).ok


# --- round trips ---------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_token_round_trips(depth: int) -> None:
    token = make_chain(depth).token
    binary = token.to_bytes()
    text = token.encode()
    assert text == "cpt1." + b64(binary)
    for form in (
        text,
        text.encode(),
        binary,
        bytearray(binary),
        memoryview(binary),
        bytearray(text.encode()),
    ):
        decoded = cp.Token.decode(form)
        assert decoded == token
        assert hash(decoded) == hash(token)
        assert decoded.to_bytes() == binary
        assert decoded.encode() == text
        assert decoded.depth == depth
        assert decoded.block_ids == token.block_ids
        assert decoded.tip_hash == token.tip_hash
        assert decoded.holder == token.holder
        assert decoded.root_key == key(0).public_key
        assert decoded.to_dict() == token.to_dict()


def test_invocation_round_trips() -> None:
    inv = INVOCATION
    binary = inv.to_bytes()
    text = inv.encode()
    assert text == "cpi1." + b64(binary)
    for form in (text, text.encode(), binary, bytearray(binary), memoryview(binary)):
        decoded = cp.Invocation.decode(form)
        assert decoded == inv
        assert decoded.to_bytes() == binary
        assert decoded.encode() == text
        assert (decoded.audience, decoded.action, decoded.resource) == (AUDIENCE, "pay", "bank/invoices/17")
        assert decoded.issued_at == FIXED_NOW
        assert decoded.nonce == b"\x07" * 16
        assert decoded.to_dict() == inv.to_dict()


def test_decimal_values_round_trip() -> None:
    holder = key(1)
    token = cp.Token.issue(
        key(0),
        subject=holder.public_key,
        capabilities=[cp.Capability("bank/x", ["pay"], {"amount": cp.Max(Decimal("10.5"))})],
        purpose=PURPOSE,
        audiences=[AUDIENCE],
        principal=PRINCIPAL,
        expires_at=FIXED_NOW + 60,
        now=FIXED_NOW,
    )
    inv = token.invoke(
        holder, audience=AUDIENCE, action="pay", resource="bank/x", args={"amount": Decimal("10.25")}
    )
    assert cp.Token.decode(token.to_bytes()) == token
    assert cp.Invocation.decode(inv.to_bytes()) == inv
    # Stored as tag 4 [exponent, mantissa] in normal form.
    cap = block_map(token.to_bytes(), 0).get(6)[0]
    assert CborMap(cap).get(3) == [["amount", 1, Tag(4, [-1, 105])]]
    assert CborMap(invocation_map(inv.to_bytes()).get(5)).get("amount") == Tag(4, [-2, 1025])


def test_equality() -> None:
    a = make_chain(1).token
    b = make_chain(1).token  # same fields, fresh random block ids
    assert a == a
    assert a != b
    assert a != a.to_bytes()
    assert a != a.encode()
    assert cp.Token.decode(a.encode()) != b
    assert len({a, cp.Token.decode(a.to_bytes())}) == 1
    inv1 = make_invocation(CHAIN)
    inv2 = make_invocation(CHAIN, nonce=b"\x08" * 16)
    assert inv1 == INVOCATION
    assert inv1 != inv2
    assert inv1 != inv1.to_bytes()
    assert INVOCATION != CHAIN.token


def test_the_reencoder_reproduces_valid_encodings_exactly() -> None:
    # Every crafted input below differs from a valid one only where a test
    # changes it: re-encoding what was decoded gives back the same bytes.
    data = CHAIN.token.to_bytes()
    items = cbor_decode(data)
    assert cbor_encode(items) == data
    assert items[0] == 1
    for signed, signature in items[1:]:
        assert cbor_encode(cbor_decode(signed)) == signed
        assert len(signature) == 64
    rebuilt = rebuild_token(data, 1, lambda m: m)
    assert rebuilt == data
    inv = INVOCATION.to_bytes()
    assert rebuild_invocation(inv, lambda m: m) == inv


# --- the text form -----------------------------------------------------------------

TOKEN_TEXT = CHAIN.token.encode()
TOKEN_BODY = TOKEN_TEXT.removeprefix("cpt1.")
INV_TEXT = INVOCATION.encode()
INV_BODY = INV_TEXT.removeprefix("cpi1.")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cpt1.",
        TOKEN_BODY,
        "cpt2." + TOKEN_BODY,
        "cpt0." + TOKEN_BODY,
        "cpt11." + TOKEN_BODY,
        "cpi1." + TOKEN_BODY,
        "CPT1." + TOKEN_BODY,
        "cpt1" + TOKEN_BODY,
        "cpt1:" + TOKEN_BODY,
        " cpt1." + TOKEN_BODY,
        "cpt1.." + TOKEN_BODY,
    ],
    ids=lambda t: repr(t[:7]),
)
def test_token_text_needs_its_prefix(text: str) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(text)
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(text.encode())
    assert verdict(text).reason == "MALFORMED"


@pytest.mark.parametrize(
    "text",
    ["", "cpi1.", INV_BODY, "cpi2." + INV_BODY, "cpt1." + INV_BODY, "CPI1." + INV_BODY, "cpi1" + INV_BODY],
    ids=lambda t: repr(t[:7]),
)
def test_invocation_text_needs_its_prefix(text: str) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Invocation.decode(text)
    v = verdict(CHAIN.token, text)
    assert v.reason == "MALFORMED"
    assert v.hop == 3


def test_token_prefix_is_not_an_invocation_prefix() -> None:
    with pytest.raises(cp.DecodeError):
        cp.Invocation.decode(TOKEN_TEXT)
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(INV_TEXT)


def token_with_length_mod3(residue: int) -> cp.Token:
    for n in range(1, 4):
        token = cp.Token.issue(
            key(0),
            subject=key(1).public_key,
            capabilities=[default_capability()],
            purpose=PURPOSE,
            audiences=[AUDIENCE],
            principal=PRINCIPAL,
            expires_at=FIXED_NOW + 3600,
            reason="r" * n,
            now=FIXED_NOW,
        )
        if len(token.to_bytes()) % 3 == residue:
            return token
    raise AssertionError("unreachable: three consecutive lengths cover every residue")


def non_canonical_variants(text: str, prefix: str) -> list[str]:
    body = text.removeprefix(prefix)
    mid = len(body) // 2
    std = base64.b64encode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))).decode()
    out = [
        text + "=",
        text + "==",
        text + "\n",
        text + " ",
        prefix + " " + body,
        prefix + body[:mid] + "\n" + body[mid:],
        prefix + body[:mid] + " " + body[mid:],
        prefix + body[:mid] + "\t" + body[mid:],
        prefix + body[:mid] + "+" + body[mid + 1 :],
        prefix + body[:mid] + "/" + body[mid + 1 :],
        prefix + body[:mid] + "." + body[mid + 1 :],
        prefix + body[:-1],  # one character short: an impossible length or lost bits
        prefix + body + "A",
        prefix + body + "AA",
    ]
    if "+" in std or "/" in std:
        out.append(prefix + std.rstrip("="))  # standard base64, not base64url
    return out


@pytest.mark.parametrize("residue", [0, 1, 2])
def test_token_text_is_strict_base64url(residue: int) -> None:
    token = token_with_length_mod3(residue)
    text = token.encode()
    assert cp.Token.decode(text) == token
    inv = token.invoke(
        key(1),
        audience=AUDIENCE,
        action="pay",
        resource="bank/invoices/1",
        args={"amount": 1},
        issued_at=FIXED_NOW,
    )
    verifier = cp.Verifier([key(0).public_key], AUDIENCE, replay_cache=False)
    assert verifier.verify(text, inv, now=FIXED_NOW).ok
    for bad in non_canonical_variants(text, "cpt1."):
        with pytest.raises(cp.DecodeError):
            cp.Token.decode(bad)
        assert verifier.verify(bad, inv, now=FIXED_NOW).reason == "MALFORMED", bad[-8:]


@pytest.mark.parametrize("residue", [1, 2])
def test_non_zero_trailing_bits_are_refused(residue: int) -> None:
    token = token_with_length_mod3(residue)
    text = token.encode()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(text[-1])
    unused_bits = 4 if residue == 1 else 2
    assert last & ((1 << unused_bits) - 1) == 0
    for bit in range(unused_bits):
        bad = text[:-1] + alphabet[last | (1 << bit)]
        # A lax decoder would read the same bytes from this text.
        assert base64.urlsafe_b64decode(bad[5:] + "=" * (-len(bad[5:]) % 4)) == token.to_bytes()
        with pytest.raises(cp.DecodeError):
            cp.Token.decode(bad)


def test_invocation_text_is_strict_base64url() -> None:
    for bad in non_canonical_variants(INV_TEXT, "cpi1."):
        with pytest.raises(cp.DecodeError):
            cp.Invocation.decode(bad)
        assert verdict(CHAIN.token, bad).reason == "MALFORMED"


# --- the binary decoder ---------------------------------------------------------------


def block_map(token_bytes: bytes, hop: int) -> CborMap:
    items = cbor_decode(token_bytes)
    result = cbor_decode(items[1 + hop][0])
    assert isinstance(result, CborMap)
    return result


def invocation_map(inv_bytes: bytes) -> CborMap:
    result = cbor_decode(cbor_decode(inv_bytes)[1])
    assert isinstance(result, CborMap)
    return result


def rebuild_token(data: bytes, hop: int, change: Callable[[CborMap], Any]) -> bytes:
    """The token with block ``hop``'s map replaced by ``change(map)`` (a map,
    or raw bytes for the signed-bytes string)."""
    items = cbor_decode(data)
    signed, signature = items[1 + hop]
    new = change(cbor_decode(signed))
    items[1 + hop] = [new if isinstance(new, bytes) else cbor_encode(new), signature]
    return cbor_encode(items)


def rebuild_invocation(data: bytes, change: Callable[[CborMap], Any]) -> bytes:
    items = cbor_decode(data)
    new = change(cbor_decode(items[1]))
    items[1] = new if isinstance(new, bytes) else cbor_encode(new)
    return cbor_encode(items)


def assert_token_malformed(data: bytes, hop: int | None) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(data)
    with pytest.raises(cp.DecodeError):
        cp.Token.decode("cpt1." + b64(data))
    for form in (data, "cpt1." + b64(data)):
        v = verdict(form)
        assert not v.ok
        assert v.reason == "MALFORMED", v.message
        assert v.hop == hop


def assert_invocation_malformed(data: bytes) -> None:
    with pytest.raises(cp.DecodeError):
        cp.Invocation.decode(data)
    for form in (data, "cpi1." + b64(data)):
        v = verdict(CHAIN.token, form)
        assert v.reason == "MALFORMED", v.message
        assert v.hop == 3


TOKEN = CHAIN.token.to_bytes()
TOKEN_ITEMS = cbor_decode(TOKEN)


def swap_pairs(m: CborMap, a: int, b: int) -> CborMap:
    out = CborMap(m)
    ia = next(i for i, (k, _) in enumerate(out) if k == a)
    ib = next(i for i, (k, _) in enumerate(out) if k == b)
    out[ia], out[ib] = out[ib], out[ia]
    return out


def duplicate_key(m: CborMap, k: int) -> CborMap:
    out = CborMap(m)
    i = next(i for i, (key_, _) in enumerate(out) if key_ == k)
    out.insert(i + 1, out[i])
    return out


def wide_int(value: int, width: int) -> Raw:
    return Raw(cbor_head(0, value, width))


def envelope(i: int) -> list[bytes]:
    signed, sig = TOKEN_ITEMS[1 + i]
    assert isinstance(signed, bytes) and isinstance(sig, bytes)
    return [signed, sig]


# Whole-token mutations: (name, bytes, expected hop of the verdict).
TOKEN_CASES: list[tuple[str, bytes, int | None]] = [
    ("trailing zero byte", TOKEN + b"\x00", None),
    ("trailing copy of a block", TOKEN + cbor_encode(envelope(2)), None),
    ("version 2", cbor_encode([2, *TOKEN_ITEMS[1:]]), None),
    ("version 0", cbor_encode([0, *TOKEN_ITEMS[1:]]), None),
    ("version as text", cbor_encode(["1", *TOKEN_ITEMS[1:]]), None),
    ("version non-shortest (1 byte)", cbor_encode([wide_int(1, 1), *TOKEN_ITEMS[1:]]), None),
    ("version non-shortest (8 bytes)", cbor_encode([wide_int(1, 8), *TOKEN_ITEMS[1:]]), None),
    ("outer array non-shortest", cbor_head(4, 4, 1) + TOKEN[1:], None),
    ("outer array indefinite", b"\x9f" + TOKEN[1:] + b"\xff", None),
    ("outer array is a map", b"\xa2" + TOKEN[1:], None),
    ("only a version", cbor_encode([1]), None),
    ("empty array", cbor_encode([]), None),
    ("envelope non-shortest", cbor_encode([1, Raw(cbor_head(4, 2, 1) + cbor_encode(envelope(0))[1:])]), 0),
    ("envelope indefinite", cbor_encode([1, Raw(b"\x9f" + cbor_encode(envelope(0))[1:] + b"\xff")]), 0),
    ("envelope of three", cbor_encode([1, [*envelope(0), b""], *TOKEN_ITEMS[2:]]), 0),
    ("envelope of one", cbor_encode([1, envelope(0)[:1], *TOKEN_ITEMS[2:]]), 0),
    (
        "signature 63 bytes",
        cbor_encode([1, envelope(0), [envelope(1)[0], envelope(1)[1][:63]], envelope(2)]),
        1,
    ),
    (
        "signature 65 bytes",
        cbor_encode([1, envelope(0), envelope(1), [envelope(2)[0], envelope(2)[1] + b"\0"]]),
        2,
    ),
    ("signature 0 bytes", cbor_encode([1, [envelope(0)[0], b""], envelope(1), envelope(2)]), 0),
    (
        "signature as text",
        cbor_encode([1, [envelope(0)[0], envelope(0)[1].hex()], envelope(1), envelope(2)]),
        0,
    ),
    (
        "signature length non-shortest",
        cbor_encode(
            [1, [envelope(0)[0], Raw(cbor_head(2, 64, 2) + envelope(0)[1])], envelope(1), envelope(2)]
        ),
        0,
    ),
    (
        "signed bytes indefinite",
        cbor_encode(
            [1, [Raw(b"\x5f" + cbor_encode(envelope(0)[0]) + b"\xff"), envelope(0)[1]], *TOKEN_ITEMS[2:]]
        ),
        0,
    ),
    (
        "signed bytes length non-shortest",
        cbor_encode([1, [Raw(cbor_head(2, len(envelope(0)[0]), 4) + envelope(0)[0]), envelope(0)[1]]]),
        0,
    ),
]


@pytest.mark.parametrize(("name", "data", "hop"), TOKEN_CASES, ids=[c[0] for c in TOKEN_CASES])
def test_token_decoder_refuses(name: str, data: bytes, hop: int | None) -> None:
    assert data != TOKEN
    assert_token_malformed(data, hop)


# Block-map mutations: (name, change). Applied to each block in turn.
BLOCK_CASES: list[tuple[str, Callable[[CborMap], Any]]] = [
    ("duplicate subject key", lambda m: duplicate_key(m, 4)),
    ("duplicate block id", lambda m: duplicate_key(m, 12)),
    ("unsorted purpose/not_before", lambda m: swap_pairs(m, 7, 8)),
    ("unsorted subject/capabilities", lambda m: swap_pairs(m, 4, 6)),
    ("reversed", lambda m: CborMap(reversed(m))),
    ("unknown key 14", lambda m: m.set(14, "x")),
    ("unknown key 0", lambda m: CborMap([(0, 1), *m])),
    ("unknown key 5000", lambda m: m.set(5000, 1)),
    ("text key", lambda m: m.set("x", 1)),
    ("missing subject", lambda m: m.without(4)),
    ("missing block id", lambda m: m.without(12)),
    ("missing capabilities", lambda m: m.without(6)),
    ("no capabilities", lambda m: m.set(6, [])),
    (
        "parent and issuer",
        lambda m: CborMap(sorted([*m.without(1).without(2), (1, bytes(32)), (2, bytes(32))])),
    ),
    ("not_before non-shortest", lambda m: m.set(8, wide_int(m.get(8), 8))),
    ("expires non-shortest", lambda m: m.set(9, wide_int(m.get(9), 8))),
    ("depth non-shortest", lambda m: m.set(10, wide_int(m.get(10), 1))),
    ("map key non-shortest", lambda m: CborMap([(wide_int(k, 1), v) for k, v in m])),
    ("map header non-shortest", lambda m: cbor_head(5, len(m), 1) + cbor_encode(m)[1:]),
    ("map indefinite", lambda m: b"\xbf" + cbor_encode(m)[1:] + b"\xff"),
    ("trailing byte in signed bytes", lambda m: cbor_encode(m) + b"\x00"),
    ("block id 15 bytes", lambda m: m.set(12, m.get(12)[:15])),
    ("subject 31 bytes", lambda m: m.set(4, m.get(4)[:31])),
    ("expires before not_before", lambda m: m.set(9, m.get(8))),
    ("negative depth", lambda m: m.set(10, -1)),
    ("audiences unsorted", lambda m: m.set(11, ["zeta", "bank"])),
    ("audiences duplicated", lambda m: m.set(11, ["bank", "bank"])),
    ("audiences empty", lambda m: m.set(11, [])),
    ("float not_before", lambda m: m.set(8, Raw(b"\xfb" + bytes(8)))),
    ("text with invalid utf-8", lambda m: m.set(7, Raw(b"\x62\xc3\x28"))),
    ("unknown tag on depth", lambda m: m.set(10, Tag(2, b"\x01"))),
    ("empty reason", lambda m: m.set(13, "")),
]


@pytest.mark.parametrize("hop", [0, 1, 2])
@pytest.mark.parametrize(("name", "change"), BLOCK_CASES, ids=[c[0] for c in BLOCK_CASES])
def test_block_decoder_refuses(name: str, change: Callable[[CborMap], Any], hop: int) -> None:
    data = rebuild_token(TOKEN, hop, change)
    assert data != TOKEN
    assert_token_malformed(data, hop)


def test_unknown_key_13_is_the_reason_and_accepted_only_as_text() -> None:
    # Key 13 (reason) is known: a text reason decodes (the signature then
    # fails, since the block changed); an integer reason is malformed.
    data = rebuild_token(TOKEN, 1, lambda m: m.set(13, "why"))
    assert cp.Token.decode(data).to_dict()["hops"][1]["reason"] == "why"
    v = verdict(data)
    assert (v.reason, v.hop) == ("SIGNATURE_INVALID", 1)
    assert_token_malformed(rebuild_token(TOKEN, 1, lambda m: m.set(13, 5)), 1)


def decimal_token() -> tuple[Chain, bytes]:
    holder = key(1)
    token = cp.Token.issue(
        key(0),
        subject=holder.public_key,
        capabilities=[
            cp.Capability("bank/x", ["pay"], {"amount": [cp.Min(Decimal("0.5")), cp.Max(Decimal("10.5"))]})
        ],
        purpose=PURPOSE,
        audiences=[AUDIENCE],
        principal=PRINCIPAL,
        expires_at=FIXED_NOW + 60,
        now=FIXED_NOW,
    )
    return Chain(key(0), [holder], token), token.to_bytes()


def with_max(m: CborMap, value: Any) -> CborMap:
    cap = CborMap(m.get(6)[0])
    constraints = [list(c) for c in cap.get(3)]
    max_index = next(i for i, c in enumerate(constraints) if c[1] == 1)
    constraints[max_index][2] = value
    return m.set(6, [cap.set(3, constraints)])


@pytest.mark.parametrize(
    "value",
    [
        Tag(4, [-2, 1050]),  # 10.50: trailing zero in the mantissa
        Tag(4, [-1, 100]),  # 10.0: an integer must be an integer
        Tag(4, [0, 10]),  # exponent 0
        Tag(4, [1, 1]),  # positive exponent
        Tag(4, [-1]),
        Tag(4, [-1, 105, 0]),
        Tag(4, Raw(b"\x9f\x20\x18\x69\xff")),  # indefinite [-1, 105]
        Tag(4, [-1, "105"]),
        Tag(5, [-1, 105]),  # bigfloat, not a decimal
        Tag(2, b"\x0a"),  # bignum
        Tag(4, [-200, 1]),  # exponent out of range
    ],
    ids=repr,
)
def test_decimal_not_in_normal_form_is_refused(value: Any) -> None:
    chain, data = decimal_token()
    original = block_map(data, 0)
    assert ["amount", 1, Tag(4, [-1, 105])] in CborMap(original.get(6)[0]).get(3)
    assert cbor_decode(rebuild_token(data, 0, lambda m: with_max(m, Tag(4, [-1, 105])))) == cbor_decode(data)
    bad = rebuild_token(data, 0, lambda m: with_max(m, value))
    with pytest.raises(cp.DecodeError):
        cp.Token.decode(bad)
    inv = chain.token.invoke(
        key(1), audience=AUDIENCE, action="pay", resource="bank/x", args={"amount": 1}, issued_at=FIXED_NOW
    )
    verifier = make_verifier(chain)
    assert verifier.verify(data, inv, now=FIXED_NOW).ok
    assert verifier.verify(bad, inv, now=FIXED_NOW).reason == "MALFORMED"


# --- the invocation decoder ------------------------------------------------------------

INV = INVOCATION.to_bytes()
INV_ITEMS = cbor_decode(INV)

INVOCATION_CASES: list[tuple[str, bytes]] = [
    ("trailing byte", INV + b"\x00"),
    ("version 2", cbor_encode([2, *INV_ITEMS[1:]])),
    ("version 0", cbor_encode([0, *INV_ITEMS[1:]])),
    ("version non-shortest", cbor_encode([wide_int(1, 1), *INV_ITEMS[1:]])),
    ("array indefinite", b"\x9f" + INV[1:] + b"\xff"),
    ("array non-shortest", cbor_head(4, 3, 1) + INV[1:]),
    ("array of four", cbor_encode([*INV_ITEMS, b""])),
    ("array of two", cbor_encode(INV_ITEMS[:2])),
    ("signature 63 bytes", cbor_encode([1, INV_ITEMS[1], INV_ITEMS[2][:63]])),
    ("signature 65 bytes", cbor_encode([1, INV_ITEMS[1], INV_ITEMS[2] + b"\x00"])),
    (
        "signed bytes indefinite",
        cbor_encode([1, Raw(b"\x5f" + cbor_encode(INV_ITEMS[1]) + b"\xff"), INV_ITEMS[2]]),
    ),
    ("duplicate audience", rebuild_invocation(INV, lambda m: duplicate_key(m, 2))),
    ("unsorted action/resource", rebuild_invocation(INV, lambda m: swap_pairs(m, 3, 4))),
    ("unknown key 9", rebuild_invocation(INV, lambda m: m.set(9, 1))),
    ("unknown key 0", rebuild_invocation(INV, lambda m: CborMap([(0, 1), *m]))),
    ("missing nonce", rebuild_invocation(INV, lambda m: m.without(8))),
    ("missing token hash", rebuild_invocation(INV, lambda m: m.without(1))),
    ("issued_at non-shortest", rebuild_invocation(INV, lambda m: m.set(7, wide_int(m.get(7), 8)))),
    ("map key non-shortest", rebuild_invocation(INV, lambda m: CborMap([(wide_int(k, 1), v) for k, v in m]))),
    ("map indefinite", rebuild_invocation(INV, lambda m: b"\xbf" + cbor_encode(m)[1:] + b"\xff")),
    ("trailing byte in signed bytes", rebuild_invocation(INV, lambda m: cbor_encode(m) + b"\x00")),
    ("nonce 15 bytes", rebuild_invocation(INV, lambda m: m.set(8, bytes(15)))),
    ("nonce 33 bytes", rebuild_invocation(INV, lambda m: m.set(8, bytes(33)))),
    ("token hash 31 bytes", rebuild_invocation(INV, lambda m: m.set(1, bytes(31)))),
    ("empty args map", rebuild_invocation(INV, lambda m: m.set(5, CborMap()))),
    ("empty action", rebuild_invocation(INV, lambda m: m.set(3, ""))),
    (
        "args unsorted",
        rebuild_invocation(INV, lambda m: m.set(5, CborMap([("b", 1), ("a", 1)]))),
    ),
    (
        "args duplicated",
        rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", 1), ("amount", 1)]))),
    ),
    (
        "args bytewise but not length-first",
        rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", 1), ("b", 1)]))),
    ),
    (
        "arg value float",
        rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", Raw(b"\xf9\x00\x00"))]))),
    ),
    ("arg value bytes", rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", b"\x01")])))),
    (
        "decimal arg 10.50",
        rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", Tag(4, [-2, 1050]))]))),
    ),
    ("decimal arg 1.0", rebuild_invocation(INV, lambda m: m.set(5, CborMap([("amount", Tag(4, [-1, 10]))])))),
    ("empty arg name", rebuild_invocation(INV, lambda m: m.set(5, CborMap([("", 1)])))),
    ("arg name with a space", rebuild_invocation(INV, lambda m: m.set(5, CborMap([("a b", 1)])))),
    ("arg name of 65 bytes", rebuild_invocation(INV, lambda m: m.set(5, CborMap([("a" * 65, 1)])))),
]


@pytest.mark.parametrize(("name", "data"), INVOCATION_CASES, ids=[c[0] for c in INVOCATION_CASES])
def test_invocation_decoder_refuses(name: str, data: bytes) -> None:
    assert data != INV
    assert_invocation_malformed(data)


@pytest.mark.parametrize("name", ["", "a b", "a" * 65, "amount/x"])
def test_invoke_refuses_an_argument_name_no_constraint_could_name(name: str) -> None:
    with pytest.raises(cp.InvalidArgumentError):
        CHAIN.token.invoke(
            CHAIN.holder,
            audience=AUDIENCE,
            action="pay",
            resource="bank/invoices/17",
            args={"amount": 1, name: 1},
            issued_at=FIXED_NOW,
        )


def test_delegate_refuses_an_empty_reason() -> None:
    # Absent and empty would be two encodings of "no reason".
    with pytest.raises(cp.InvalidArgumentError):
        CHAIN.token.delegate(CHAIN.holder, subject=key(50).public_key, reason="", now=FIXED_NOW)


def test_args_in_deterministic_order_decode() -> None:
    # The positive control for the argument-order cases: "b" before "amount"
    # (shorter first) is the deterministic order and decodes.
    data = rebuild_invocation(INV, lambda m: m.set(5, CborMap([("b", 1), ("amount", 1)])))
    assert cp.Invocation.decode(data).to_dict()["args"] == {"amount": 1, "b": 1}


# --- property: one flipped byte never verifies --------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    target=st.sampled_from(["token", "invocation"]),
    position=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_flipping_any_byte_never_verifies(target: str, position: int, mask: int) -> None:
    data = bytearray(TOKEN if target == "token" else INV)
    data[position % len(data)] ^= mask
    if target == "token":
        v = VERIFIER.verify(bytes(data), INV, now=FIXED_NOW)
    else:
        v = VERIFIER.verify(TOKEN, bytes(data), now=FIXED_NOW)
    assert not v.ok
    assert v.reason in cp.reason_codes()


def test_flipping_every_byte_of_the_invocation_never_verifies() -> None:
    # Exhaustive over positions (one mask each), in one batch.
    pairs = []
    for i in range(len(INV)):
        data = bytearray(INV)
        data[i] ^= 0x01 << (i % 8)
        pairs.append((TOKEN, bytes(data)))
    assert not any(v.ok for v in VERIFIER.verify_batch(pairs, now=FIXED_NOW))
    assert VERIFIER.verify(TOKEN, INV, now=FIXED_NOW).ok

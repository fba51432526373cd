"""The strict-cofactored Ed25519 layer, as seen from Python.

Every vector of ``tests/vectors/ed25519/strict_cofactored_expected.json`` gets
its verdict one by one, in a batch of its own kind, and inside a batch of valid
signatures; the batch and the single check agree on random corruptions; keys
are refused exactly when the strict rule says so (checked here against an
independent pure-Python decoder); and signatures interoperate with libsodium
(PyNaCl) in both directions.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainproof as cp

VECTORS_FILE = Path(__file__).parent / "vectors" / "ed25519" / "strict_cofactored_expected.json"


def load_vectors() -> list[dict[str, Any]]:
    data = json.loads(VECTORS_FILE.read_text())
    assert data["policy"].startswith("strict-cofactored")
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


VECTORS = load_vectors()


def vector_id(v: dict[str, Any]) -> str:
    return f"{v['source'].split()[0]}-{v['id']}"


def parts(v: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    return bytes.fromhex(v["public_key"]), bytes.fromhex(v["message"]), bytes.fromhex(v["signature"])


# --- an independent, pure-Python reading of the strict key rule ----------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, -1, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P
    return x3, y3


def _decompress(b: bytes) -> tuple[int, int] | None:
    """The point (x, y) for 32 bytes, reducing y mod p and ignoring a sign on
    x = 0 the way lax decoders do; ``None`` if no curve point has this y."""
    n = int.from_bytes(b, "little")
    sign = n >> 255
    y = (n & ((1 << 255) - 1)) % P
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, -1, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if x * x % P != x2:
        x = x * SQRT_M1 % P
    if x * x % P != x2:
        return None
    if x & 1 != sign:
        x = (P - x) % P
    return x, y


def _compress(pt: tuple[int, int]) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def strict_key_ok(b: bytes) -> bool:
    """32 bytes, a curve point, in the one canonical encoding, not of small order."""
    if len(b) != 32:
        return False
    pt = _decompress(b)
    if pt is None or _compress(pt) != b:
        return False
    q = pt
    for _ in range(3):
        q = _add(q, q)
    return q != (0, 1)


def small_order_points() -> list[bytes]:
    """The 8 points of order dividing 8, found as [L]P for points P of full order."""
    found: set[bytes] = {_compress((0, 1))}
    y = 2
    while len(found) < 8:
        pt = _decompress(y.to_bytes(32, "little"))
        y += 1
        if pt is None:
            continue
        # [L]P by double-and-add: the torsion component of P.
        acc, base, k = (0, 1), pt, L
        while k:
            if k & 1:
                acc = _add(acc, base)
            base = _add(base, base)
            k >>= 1
        found.add(_compress(acc))
    return sorted(found)


SMALL_ORDER = small_order_points()


def non_canonical_aliases() -> list[bytes]:
    """Encodings that decode to a point but are not what compress gives back:
    y + p for small y, and the sign bit set on x = 0."""
    out = []
    for y in range(19):
        enc = (y + P).to_bytes(32, "little")
        if _decompress(enc) is not None:
            out.append(enc)
    for y in (1, P - 1):
        out.append((y | (1 << 255)).to_bytes(32, "little"))
    return out


NON_CANONICAL = non_canonical_aliases()


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def key(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(i.to_bytes(32, "little"))


def valid_items(n: int, seed: int = 0) -> list[tuple[bytes, bytes, bytes]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sk = key(1000 + seed * 100 + i)
        msg = rng.randbytes(rng.randrange(0, 100))
        out.append((bytes(sk.public_key), msg, sk.sign(msg)))
    return out


# --- the pure-Python model itself ----------------------------------------------


def test_model_finds_the_eight_small_order_points() -> None:
    assert len(SMALL_ORDER) == 8
    assert bytes.fromhex("01" + "00" * 31) in SMALL_ORDER  # the identity
    assert bytes.fromhex("ec" + "ff" * 30 + "7f") in SMALL_ORDER  # order 2
    assert not any(strict_key_ok(b) for b in SMALL_ORDER)
    assert len(NON_CANONICAL) >= 4
    assert strict_key_ok(bytes(key(1).public_key))


# --- the vectors ---------------------------------------------------------------


def test_vector_file_has_all_163_vectors() -> None:
    assert len(VECTORS) == 163
    assert sum(v["accept"] for v in VECTORS) == 91


@pytest.mark.parametrize("v", VECTORS, ids=vector_id)
def test_vector_single(v: dict[str, Any]) -> None:
    pk, msg, sig = parts(v)
    assert cp.verify_signature(pk, msg, sig) is v["accept"]


@pytest.mark.parametrize("v", VECTORS, ids=vector_id)
def test_vector_alone_in_batch(v: dict[str, Any]) -> None:
    pk, msg, sig = parts(v)
    assert cp.verify_signatures([pk], [msg], [sig]) == [v["accept"]]


def test_all_vectors_in_one_batch() -> None:
    pks, msgs, sigs = zip(*(parts(v) for v in VECTORS), strict=True)
    assert cp.verify_signatures(list(pks), list(msgs), list(sigs)) == [v["accept"] for v in VECTORS]


@pytest.mark.parametrize("v", VECTORS, ids=vector_id)
def test_vector_inside_a_batch_of_valid_signatures(v: dict[str, Any]) -> None:
    rng = random.Random(v["id"])
    items = valid_items(6, seed=v["id"] % 7)
    position = rng.randrange(len(items) + 1)
    items.insert(position, parts(v))
    pks, msgs, sigs = (list(x) for x in zip(*items, strict=True))
    expected = [True] * len(items)
    expected[position] = v["accept"]
    assert cp.verify_signatures(pks, msgs, sigs) == expected


@pytest.mark.parametrize("v", VECTORS, ids=vector_id)
def test_public_key_from_bytes_follows_the_strict_key_rule(v: dict[str, Any]) -> None:
    pk = bytes.fromhex(v["public_key"])
    if strict_key_ok(pk):
        assert bytes(cp.PublicKey.from_bytes(pk)) == pk
    else:
        with pytest.raises(cp.InvalidKeyError):
            cp.PublicKey.from_bytes(pk)


def test_vectors_exercise_both_sides_of_the_key_rule() -> None:
    keys = {v["public_key"] for v in VECTORS}
    assert any(strict_key_ok(bytes.fromhex(k)) for k in keys)
    assert any(not strict_key_ok(bytes.fromhex(k)) for k in keys)


def test_accepted_vectors_have_strictly_valid_keys() -> None:
    for v in VECTORS:
        if v["accept"]:
            assert strict_key_ok(bytes.fromhex(v["public_key"])), vector_id(v)


@pytest.mark.parametrize("enc", SMALL_ORDER + NON_CANONICAL, ids=lambda b: b.hex()[:8] + b.hex()[-4:])
def test_small_order_and_non_canonical_keys_are_refused(enc: bytes) -> None:
    with pytest.raises(cp.InvalidKeyError):
        cp.PublicKey.from_bytes(enc)
    # Also as a signer: nothing verifies under such a key, not even a
    # signature built to satisfy the cofactored equation trivially (R = A, S = 0).
    for sig in (enc + bytes(32), bytes(32) + bytes(32), SMALL_ORDER[0] + bytes(32)):
        assert cp.verify_signature(enc, b"", sig) is False
        assert cp.verify_signatures([enc], [b""], [sig]) == [False]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(min_size=32, max_size=32),
        st.sampled_from(SMALL_ORDER + NON_CANONICAL),
        # A valid key with its sign bit flipped: the other point with this y.
        st.integers(0, 2**16).map(lambda i: flip_bit(bytes(key(i).public_key), 255)),
    )
)
def test_public_key_from_bytes_agrees_with_the_model_on_random_bytes(enc: bytes) -> None:
    if strict_key_ok(enc):
        assert bytes(cp.PublicKey.from_bytes(enc)) == enc
    else:
        with pytest.raises(cp.InvalidKeyError):
            cp.PublicKey.from_bytes(enc)


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_public_key_of_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(cp.InvalidKeyError):
        cp.PublicKey.from_bytes(bytes(key(1).public_key)[:length].ljust(length, b"\x01"))


def test_public_key_round_trips() -> None:
    pk = key(5).public_key
    assert cp.PublicKey.from_bytes(bytes(pk)) == pk
    assert cp.PublicKey.from_bytes(bytearray(bytes(pk))) == pk
    assert cp.PublicKey.from_bytes(memoryview(bytes(pk))) == pk
    assert cp.PublicKey.decode(pk.encode()) == pk
    assert pk.verify(b"m", key(5).sign(b"m"))
    assert not pk.verify(b"m", key(6).sign(b"m"))


# --- RFC 8032 and libsodium ------------------------------------------------------

RFC8032_TEST1 = {
    "secret": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "signature": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
}


def test_rfc8032_test_vector_1() -> None:
    sk = cp.SigningKey.from_seed(bytes.fromhex(RFC8032_TEST1["secret"]))
    assert bytes(sk.public_key) == bytes.fromhex(RFC8032_TEST1["public"])
    sig = sk.sign(b"")
    assert sig == bytes.fromhex(RFC8032_TEST1["signature"])
    assert cp.verify_signature(bytes(sk.public_key), b"", sig)
    assert not cp.verify_signature(bytes(sk.public_key), b"\x00", sig)


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300))
def test_pynacl_and_chainproof_agree(seed: bytes, message: bytes) -> None:
    ours = cp.SigningKey.from_seed(seed)
    theirs = nacl.signing.SigningKey(seed)
    pk = bytes(theirs.verify_key)
    assert bytes(ours.public_key) == pk
    their_sig = theirs.sign(message).signature
    our_sig = ours.sign(message)
    # Ed25519 is deterministic: the same key and message give the same bytes.
    assert our_sig == their_sig
    assert cp.verify_signature(pk, message, their_sig)
    assert cp.verify_signatures([pk], [message], [their_sig]) == [True]
    assert theirs.verify_key.verify(message, our_sig) == message
    tampered = message + b"!"
    assert not cp.verify_signature(pk, tampered, their_sig)
    with pytest.raises(nacl.exceptions.BadSignatureError):
        theirs.verify_key.verify(tampered, our_sig)


# --- batch equals single under random corruptions ----------------------------------

CORRUPTIONS = [
    "none",
    "flip_key",
    "flip_signature",
    "flip_message",
    "s_plus_l",
    "small_order_key",
    "short_signature",
    "long_signature",
    "short_key",
    "long_key",
]


def corrupt(kind: str, pk: bytes, msg: bytes, sig: bytes, bit: int) -> tuple[bytes, bytes, bytes]:
    if kind == "flip_key":
        return flip_bit(pk, bit), msg, sig
    if kind == "flip_signature":
        return pk, msg, flip_bit(sig, bit)
    if kind == "flip_message":
        return pk, (flip_bit(msg, bit) if msg else b"\x00"), sig
    if kind == "s_plus_l":
        s = int.from_bytes(sig[32:], "little") + L
        assert s < 2**256  # S < L, so S + L always fits in 32 bytes
        return pk, msg, sig[:32] + s.to_bytes(32, "little")
    if kind == "small_order_key":
        return SMALL_ORDER[bit % 8], msg, sig
    if kind == "short_signature":
        return pk, msg, sig[:63]
    if kind == "long_signature":
        return pk, msg, sig + b"\x00"
    if kind == "short_key":
        return pk[:31], msg, sig
    if kind == "long_key":
        return pk + b"\x00", msg, sig
    return pk, msg, sig


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**32),
            st.binary(max_size=64),
            st.sampled_from(CORRUPTIONS),
            st.integers(0, 1023),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_batch_equals_single_and_flags_exactly_the_corrupted(
    items: list[tuple[int, bytes, str, int]],
) -> None:
    pks, msgs, sigs, expected = [], [], [], []
    for seed, msg, kind, bit in items:
        sk = key(seed)
        pk, m, s = corrupt(kind, bytes(sk.public_key), msg, sk.sign(msg), bit)
        pks.append(pk)
        msgs.append(m)
        sigs.append(s)
        expected.append(kind == "none")
    batch = cp.verify_signatures(pks, msgs, sigs)
    single = [cp.verify_signature(k, m, s) for k, m, s in zip(pks, msgs, sigs, strict=True)]
    assert batch == single
    assert batch == expected


def test_s_plus_l_is_refused_even_though_the_equation_holds() -> None:
    sk = key(9)
    msg = b"malleability"
    sig = sk.sign(msg)
    s = int.from_bytes(sig[32:], "little")
    forged = sig[:32] + (s + L).to_bytes(32, "little")
    pk = bytes(sk.public_key)
    assert cp.verify_signature(pk, msg, sig)
    assert not cp.verify_signature(pk, msg, forged)
    assert cp.verify_signatures([pk, pk], [msg, msg], [sig, forged]) == [True, False]


def test_batch_of_many_signatures_under_one_key() -> None:
    # The batch merges terms under the same key; one bad signature among them
    # must still be named, and only it.
    sk = key(3)
    pk = bytes(sk.public_key)
    msgs = [bytes([i]) * i for i in range(30)]
    sigs = [sk.sign(m) for m in msgs]
    sigs[17] = flip_bit(sigs[17], 5)
    expected = [i != 17 for i in range(30)]
    assert cp.verify_signatures([pk] * 30, msgs, sigs) == expected


def test_empty_batch() -> None:
    assert cp.verify_signatures([], [], []) == []


def test_batch_accepts_any_bytes_like_and_sequence() -> None:
    (pk, msg, sig), *_ = valid_items(1)
    signatures: Any = iter([sig])
    assert cp.verify_signatures((bytearray(pk),), [memoryview(msg)], signatures) == [True]
    assert cp.verify_signature(bytearray(pk), memoryview(msg), bytearray(sig))


# --- type misuse ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "lengths", [(1, 2, 2), (2, 1, 2), (2, 2, 1), (0, 1, 1), (3, 3, 0)], ids=lambda x: "-".join(map(str, x))
)
def test_mismatched_lengths_raise_invalid_argument(lengths: tuple[int, int, int]) -> None:
    items = valid_items(3)
    pks = [i[0] for i in items][: lengths[0]]
    msgs = [i[1] for i in items][: lengths[1]]
    sigs = [i[2] for i in items][: lengths[2]]
    with pytest.raises(cp.InvalidArgumentError):
        cp.verify_signatures(pks, msgs, sigs)


def test_str_instead_of_bytes_raises_argument_type_error() -> None:
    (pk, msg, sig), *_ = valid_items(1)
    bad_calls: list[tuple[Any, Any, Any]] = [
        (pk.hex(), msg, sig),
        (pk, "message", sig),
        (pk, msg, sig.hex()),
        (pk, msg, None),
        (pk, 5, sig),
    ]
    for args in bad_calls:
        with pytest.raises(cp.ArgumentTypeError) as info:
            cp.verify_signature(*args)
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, cp.ChainproofError)
    batch_calls: list[tuple[Any, Any, Any]] = [
        ([pk.hex()], [msg], [sig]),
        ([pk], ["message"], [sig]),
        ([pk], [msg], [sig.hex()]),
        ([pk], [msg], [None]),
        (pk, [msg], [sig]),  # a bare bytes object is not a sequence of keys
        ("abc", ["a"], ["b"]),
        (5, [msg], [sig]),
    ]
    for args in batch_calls:
        with pytest.raises(cp.ArgumentTypeError) as info:
            cp.verify_signatures(*args)
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, cp.ChainproofError)
    text: Any = pk.hex()
    with pytest.raises(cp.ArgumentTypeError):
        cp.PublicKey.from_bytes(text)
    with pytest.raises(cp.ArgumentTypeError):
        cp.SigningKey.from_seed(text[:32])

"""Shared deterministic fixtures for the chainproof test suite.

Everything here is stable: other test files rely on these names and values.

* ``FIXED_NOW`` / ``fixed_now``: the clock every test uses (1_800_000_000).
* ``key(i)`` / ``keys``: ``SigningKey.from_seed(i.to_bytes(32, "little"))``.
* ``make_chain(depth, now=FIXED_NOW)``: a valid token of ``depth`` delegations
  below the root block, returned as ``Chain(root_key, holders, token)``.
  ``holders[0]`` is the root block's subject, ``holders[-1]`` the current holder
  (``len(holders) == depth + 1``). Every hop keeps the root's capabilities.
* ``make_invocation(chain, ...)``: the holder's valid invocation of that token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

import chainproof as cp

FIXED_NOW = 1_800_000_000
AUDIENCE = "bank"
PURPOSE = "payments/invoices"
PRINCIPAL = "alice"


def key(i: int) -> cp.SigningKey:
    """The deterministic signing key number ``i``."""
    return cp.SigningKey.from_seed(i.to_bytes(32, "little"))


def default_capability() -> cp.Capability:
    return cp.Capability("bank/invoices/*", ["pay", "read"], {"amount": cp.Max(1000)})


class Chain(NamedTuple):
    root_key: cp.SigningKey
    holders: list[cp.SigningKey]
    token: cp.Token

    @property
    def holder(self) -> cp.SigningKey:
        return self.holders[-1]


def make_chain(depth: int, now: int = FIXED_NOW, *, max_depth: int | None = None) -> Chain:
    """A valid chain: root key 0 issues to key 1, which delegates to key 2, ...

    The root block allows ``max_depth`` further hops (default ``max(depth, 1)``).
    """
    root = key(0)
    holders = [key(i + 1) for i in range(depth + 1)]
    token = cp.Token.issue(
        root,
        subject=holders[0].public_key,
        capabilities=[default_capability()],
        purpose=PURPOSE,
        audiences=[AUDIENCE],
        principal=PRINCIPAL,
        expires_at=now + 3600,
        not_before=now - 10,
        max_depth=max(depth, 1) if max_depth is None else max_depth,
        now=now,
    )
    for i in range(depth):
        token = token.delegate(holders[i], subject=holders[i + 1].public_key, now=now)
    return Chain(root, holders, token)


def make_invocation(
    chain: Chain,
    now: int = FIXED_NOW,
    *,
    action: str = "pay",
    resource: str = "bank/invoices/17",
    amount: int = 100,
    nonce: bytes = b"\x07" * 16,
) -> cp.Invocation:
    """The holder's invocation of ``chain.token`` (valid for a verifier at ``now``)."""
    return chain.token.invoke(
        chain.holder,
        audience=AUDIENCE,
        action=action,
        resource=resource,
        args={"amount": amount},
        issued_at=now,
        nonce=nonce,
    )


def make_verifier(chain: Chain, **kwargs: Any) -> cp.Verifier:
    """A verifier trusting the chain's root, audience "bank", no replay cache by default."""
    kwargs.setdefault("replay_cache", False)
    return cp.Verifier([chain.root_key.public_key], AUDIENCE, **kwargs)


@pytest.fixture
def fixed_now() -> int:
    return FIXED_NOW


@pytest.fixture
def keys() -> Callable[[int], cp.SigningKey]:
    return key


@pytest.fixture
def chain() -> Chain:
    """A depth-2 chain (root + 2 delegations) at FIXED_NOW."""
    return make_chain(2)


# --- a tiny CBOR reader and writer, for crafting hostile encodings -------------
#
# Enough of RFC 8949 for the token format: integers, byte and text strings,
# arrays, maps (kept as ordered pairs so tests can misorder or duplicate keys)
# and tags. ``Raw`` injects pre-encoded bytes; ``Head`` overrides the width of
# an item's head, to write non-shortest or indefinite forms.


class Tag(NamedTuple):
    tag: int
    value: Any


class Raw(NamedTuple):
    """Bytes written as they are."""

    data: bytes


class CborMap(list[tuple[Any, Any]]):
    """A CBOR map as its pairs, in encoding order."""

    def get(self, key: Any) -> Any:
        for k, v in self:
            if k == key:
                return v
        raise KeyError(key)

    def set(self, key: Any, value: Any) -> CborMap:
        """A copy with ``key``'s value replaced (or the pair appended)."""
        out = CborMap(self)
        for i, (k, _) in enumerate(out):
            if k == key:
                out[i] = (key, value)
                return out
        out.append((key, value))
        return out

    def without(self, key: Any) -> CborMap:
        return CborMap((k, v) for k, v in self if k != key)


def cbor_head(major: int, value: int, width: int | None = None) -> bytes:
    """The head of an item; ``width`` (0, 1, 2, 4 or 8 extra bytes) forces a form."""
    if width is None:
        if value < 24:
            width = 0
        elif value < 2**8:
            width = 1
        elif value < 2**16:
            width = 2
        elif value < 2**32:
            width = 4
        else:
            width = 8
    if width == 0:
        assert value < 24
        return bytes([major << 5 | value])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | info]) + value.to_bytes(width, "big")


def cbor_encode(obj: Any) -> bytes:
    """Deterministic encoding, except where the value asks otherwise (CborMap
    keeps its order; Raw is copied as is)."""
    if isinstance(obj, Raw):
        return obj.data
    if isinstance(obj, bool):
        raise TypeError("no booleans in this format")
    if isinstance(obj, int):
        return cbor_head(0, obj) if obj >= 0 else cbor_head(1, -1 - obj)
    if isinstance(obj, bytes):
        return cbor_head(2, len(obj)) + obj
    if isinstance(obj, str):
        raw = obj.encode()
        return cbor_head(3, len(raw)) + raw
    if isinstance(obj, list | tuple) and not isinstance(obj, CborMap | Tag):
        return cbor_head(4, len(obj)) + b"".join(cbor_encode(x) for x in obj)
    if isinstance(obj, CborMap):
        return cbor_head(5, len(obj)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in obj)
    if isinstance(obj, dict):
        pairs = sorted((cbor_encode(k), cbor_encode(v)) for k, v in obj.items())
        return cbor_head(5, len(pairs)) + b"".join(k + v for k, v in pairs)
    if isinstance(obj, Tag):
        return cbor_head(6, obj.tag) + cbor_encode(obj.value)
    raise TypeError(f"cannot encode {type(obj).__name__}")


def cbor_decode(data: bytes) -> Any:
    """Decodes one item (definite lengths only) and requires the input to end there."""
    value, pos = _cbor_item(data, 0)
    if pos != len(data):
        raise ValueError("trailing bytes")
    return value


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    pos += 1
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        width = 1 << (info - 24)
        arg = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    else:
        raise ValueError(f"unsupported additional information {info}")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        raw = data[pos : pos + arg]
        if len(raw) != arg:
            raise ValueError("truncated")
        return (raw if major == 2 else raw.decode()), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _cbor_item(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        pairs = CborMap()
        for _ in range(arg):
            k, pos = _cbor_item(data, pos)
            v, pos = _cbor_item(data, pos)
            pairs.append((k, v))
        return pairs, pos
    if major == 6:
        inner, pos = _cbor_item(data, pos)
        return Tag(arg, inner), pos
    raise ValueError(f"unsupported major type {major}")

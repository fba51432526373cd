#!/usr/bin/env python3
"""Deterministic generator of the native-format test vectors.

Writes ``tests/vectors/native/vectors.json`` (verification cases with their
expected verdicts) and ``tests/vectors/native/worked_example.json`` (the exact
bytes of one token and invocation, shown in ``docs/FORMAT.md``).

Everything is fixed: keys come from ``SigningKey.from_seed``, block ids and
nonces are derived from labels, every time is relative to ``NOW`` and Ed25519
signing is deterministic, so two runs give byte-identical files. Nothing here
reads the clock or a random source.

Tokens are minted through the public Python API where it can express the
case (``check=False`` builds hostile hops). Cases the API refuses to build
(non-canonical encodings, splices, over-limit chains) are assembled with the
small CBOR codec below, written from ``docs/FORMAT.md``; the generator also
checks that this codec re-creates the API's bytes exactly for the worked
example, so the document and the engine cannot disagree unnoticed.

Every case's expected verdict is written here by hand and checked against the
engine while generating: a disagreement stops the generator.

    python scripts/make_vectors.py           # write the files
    python scripts/make_vectors.py --check   # exit 1 if the files differ
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import chainproof as cp

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "vectors" / "native"
VECTORS_PATH = OUT_DIR / "vectors.json"
WORKED_PATH = OUT_DIR / "worked_example.json"

NOW = 1_800_000_000
BLOCK_DOMAIN = b"chainproof/v1/block\x00"
INVOCATION_DOMAIN = b"chainproof/v1/invocation\x00"
REPLAY_DOMAIN = b"chainproof/v1/replay\x00"
ED25519_L = 2**252 + 27742317777372353535851937790883648493

# ---------------------------------------------------------------------------
# A small deterministic-CBOR codec (only what the format uses), with escape
# hatches for writing the non-canonical encodings the decoder must refuse.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    number: int
    item: Any


@dataclass
class Map:
    """A CBOR map as ordered pairs (the order is written as given)."""

    pairs: list[tuple[Any, Any]]

    def get(self, key: Any) -> Any:
        for k, v in self.pairs:
            if k == key:
                return v
        raise KeyError(key)

    def has(self, key: Any) -> bool:
        return any(k == key for k, _ in self.pairs)

    def set(self, key: int, value: Any) -> None:
        """Replaces the value of ``key``, or inserts it in ascending key order."""
        for i, (k, _) in enumerate(self.pairs):
            if k == key:
                self.pairs[i] = (key, value)
                return
        self.pairs.append((key, value))
        self.pairs.sort(key=lambda kv: kv[0])

    def remove(self, key: Any) -> None:
        self.pairs = [(k, v) for k, v in self.pairs if k != key]


@dataclass(frozen=True)
class Raw:
    """Bytes written verbatim."""

    data: bytes


@dataclass(frozen=True)
class Head:
    """An integer head with a forced additional-information value (24..27),
    to write non-shortest forms."""

    major: int
    value: int
    info: int


@dataclass(frozen=True)
class Indefinite:
    """An indefinite-length array."""

    items: list[Any]


def _head(major: int, value: int) -> bytes:
    m = major << 5
    if value < 24:
        return bytes([m | value])
    if value <= 0xFF:
        return bytes([m | 24, value])
    if value <= 0xFFFF:
        return bytes([m | 25]) + value.to_bytes(2, "big")
    if value <= 0xFFFFFFFF:
        return bytes([m | 26]) + value.to_bytes(4, "big")
    return bytes([m | 27]) + value.to_bytes(8, "big")


def cbor(item: Any) -> bytes:
    """The deterministic encoding of ``item`` (maps keep their given order)."""
    if isinstance(item, bool):
        raise TypeError("booleans are not part of the format")
    if isinstance(item, int):
        return _head(0, item) if item >= 0 else _head(1, -1 - item)
    if isinstance(item, bytes):
        return _head(2, len(item)) + item
    if isinstance(item, str):
        raw = item.encode()
        return _head(3, len(raw)) + raw
    if isinstance(item, list):
        return _head(4, len(item)) + b"".join(cbor(x) for x in item)
    if isinstance(item, Map):
        return _head(5, len(item.pairs)) + b"".join(cbor(k) + cbor(v) for k, v in item.pairs)
    if isinstance(item, Tag):
        return _head(6, item.number) + cbor(item.item)
    if isinstance(item, Raw):
        return item.data
    if isinstance(item, Head):
        width = {24: 1, 25: 2, 26: 4, 27: 8}[item.info]
        return bytes([(item.major << 5) | item.info]) + item.value.to_bytes(width, "big")
    if isinstance(item, Indefinite):
        return bytes([0x9F]) + b"".join(cbor(x) for x in item.items) + b"\xff"
    raise TypeError(f"cannot encode {type(item).__name__}")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def item(self) -> Any:
        first = self.take(1)[0]
        major, info = first >> 5, first & 0x1F
        if info < 24:
            value = info
        elif info in (24, 25, 26, 27):
            value = int.from_bytes(self.take({24: 1, 25: 2, 26: 4, 27: 8}[info]), "big")
        else:
            raise ValueError("not part of the deterministic subset")
        if major == 0:
            return value
        if major == 1:
            return -1 - value
        if major == 2:
            return self.take(value)
        if major == 3:
            return self.take(value).decode()
        if major == 4:
            return [self.item() for _ in range(value)]
        if major == 5:
            return Map([(self.item(), self.item()) for _ in range(value)])
        if major == 6:
            return Tag(value, self.item())
        raise ValueError("not part of the deterministic subset")


def uncbor(data: bytes) -> Any:
    reader = _Reader(data)
    out = reader.item()
    if reader.pos != len(data):
        raise ValueError("trailing bytes")
    return out


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# Fixed keys, ids, nonces and shared values
# ---------------------------------------------------------------------------


def key(n: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(bytes([n]) * 32)


ROOT = key(0x01)
OTHER_ROOT = key(0x02)
AGENTS = [key(0x11), key(0x12), key(0x13), key(0x14)]
MALLORY = key(0x66)
CHAIN_KEYS = [key(0x80 + i) for i in range(40)]  # for the long chains


def bid(label: str) -> bytes:
    """A fixed 16-byte block id for a label."""
    return sha256(b"chainproof-vectors/block-id/" + label.encode())[:16]


def nonce(label: str, length: int = 16) -> bytes:
    return sha256(b"chainproof-vectors/nonce/" + label.encode())[:length]


AUDIENCE = "bank"
AUDIENCES = ["bank", "ledger"]
PURPOSE = "payments/invoices"
PRINCIPAL = "alice"
NOT_BEFORE = NOW - 100
EXPIRES = NOW + 3600


def base_capability() -> cp.Capability:
    return cp.Capability(
        "bank/invoices/*",
        ["pay", "read"],
        {"amount": [cp.Min(1), cp.Max(1000)], "currency": cp.OneOf(["USD", "EUR"])},
    )


BASE_ARGS: dict[str, int | Decimal | str] = {"amount": 120, "currency": "EUR"}


def issue(label: str, **overrides: Any) -> cp.Token:
    """The base root block (issued by ROOT to AGENTS[0]) with overrides."""
    fields: dict[str, Any] = {
        "subject": AGENTS[0].public_key,
        "capabilities": [base_capability()],
        "purpose": PURPOSE,
        "audiences": AUDIENCES,
        "principal": PRINCIPAL,
        "not_before": NOT_BEFORE,
        "expires_at": EXPIRES,
        "max_depth": 3,
        "block_id": bid(label + "/0"),
        "now": NOW,
    }
    root = overrides.pop("root", ROOT)
    fields.update(overrides)
    return cp.Token.issue(root, **fields)


def delegate(
    token: cp.Token, holder: cp.SigningKey, subject: cp.SigningKey, label: str, **kw: Any
) -> cp.Token:
    kw.setdefault("block_id", bid(f"{label}/{token.depth + 1}"))
    kw.setdefault("now", NOW)
    return token.delegate(holder, subject=subject.public_key, **kw)


def chain(depth: int, label: str = "base", **root_overrides: Any) -> tuple[cp.Token, cp.SigningKey]:
    """A valid chain of ``depth`` delegations: ROOT -> A0 -> A1 -> ...; returns (token, holder)."""
    token = issue(label, **root_overrides)
    for i in range(depth):
        token = delegate(token, AGENTS[i], AGENTS[i + 1], label)
    return token, AGENTS[depth]


def invoke(token: cp.Token, holder: cp.SigningKey, label: str, **kw: Any) -> cp.Invocation:
    kw.setdefault("audience", AUDIENCE)
    kw.setdefault("action", "pay")
    kw.setdefault("resource", "bank/invoices/17")
    kw.setdefault("args", BASE_ARGS)
    kw.setdefault("issued_at", NOW)
    kw.setdefault("nonce", nonce(label))
    return token.invoke(holder, **kw)


# ---------------------------------------------------------------------------
# Hand assembly of blocks, tokens and invocations (docs/FORMAT.md)
# ---------------------------------------------------------------------------


def number_item(v: int | Decimal) -> Any:
    """An integer as a CBOR integer; a decimal as tag 4 [exponent, mantissa] in normal form."""
    if isinstance(v, int):
        return v
    sign, digits, exp = v.as_tuple()
    assert isinstance(exp, int)
    mantissa = int("".join(map(str, digits)))
    while exp < 0 and mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    if mantissa == 0 or exp == 0:
        return -mantissa if sign else mantissa
    assert -18 <= exp < 0
    return Tag(4, [exp, -mantissa if sign else mantissa])


def value_sort_key(v: int | Decimal | str) -> tuple[int, Any]:
    if isinstance(v, str):
        return (1, v.encode())
    return (0, Decimal(v))


KIND_CODES = {"max": 1, "min": 2, "one_of": 3, "eq": 4, "prefix": 5}


def capability_item(
    resource: str, actions: Sequence[str], constraints: Sequence[tuple[str, str, Any]] = ()
) -> Map:
    """Capability map; ``constraints`` as (arg, kind name, python value), sorted here."""
    pairs: list[tuple[Any, Any]] = [(1, resource), (2, sorted(set(actions), key=str.encode))]
    triples = []
    for arg, kind, value in sorted(constraints, key=lambda c: (c[0].encode(), KIND_CODES[c[1]])):
        if kind == "one_of":
            item: Any = [
                number_item(x) if not isinstance(x, str) else x for x in sorted(value, key=value_sort_key)
            ]
        elif kind in ("max", "min") or (kind == "eq" and not isinstance(value, str)):
            item = number_item(value)
        else:
            item = value
        triples.append([arg, KIND_CODES[kind], item])
    if triples:
        pairs.append((3, triples))
    return Map(pairs)


def block_item(
    *,
    subject: bytes,
    capabilities: list[Any],
    purpose: str,
    not_before: int,
    expires: int,
    depth: int,
    audiences: Sequence[str],
    block_id: bytes,
    parent: bytes | None = None,
    issuer: bytes | None = None,
    principal: str | None = None,
    subject_id: str | None = None,
    reason: str | None = None,
) -> Map:
    pairs: list[tuple[Any, Any]] = []
    if parent is not None:
        pairs.append((1, parent))
    if issuer is not None:
        pairs.append((2, issuer))
    if principal is not None:
        pairs.append((3, principal))
    pairs.append((4, subject))
    if subject_id is not None:
        pairs.append((5, subject_id))
    pairs += [
        (6, capabilities),
        (7, purpose),
        (8, not_before),
        (9, expires),
        (10, depth),
        (11, sorted(set(audiences), key=str.encode)),
        (12, block_id),
    ]
    if reason is not None:
        pairs.append((13, reason))
    return Map(pairs)


def sign_block(signed: bytes, signer: cp.SigningKey) -> list[bytes]:
    return [signed, signer.sign(BLOCK_DOMAIN + signed)]


def token_bytes(envelopes: list[list[bytes]], version: int = 1) -> bytes:
    return cbor([version, *envelopes])


def envelopes_of(token: cp.Token) -> list[list[bytes]]:
    decoded = uncbor(token.to_bytes())
    assert decoded[0] == 1
    return [list(e) for e in decoded[1:]]


def tok_text(data: bytes) -> str:
    return "cpt1." + b64(data)


def inv_text(data: bytes) -> str:
    return "cpi1." + b64(data)


def args_item(args: dict[str, int | Decimal | str]) -> Map:
    pairs: list[tuple[Any, Any]] = []
    for name in sorted(args, key=lambda n: (len(n.encode()), n.encode())):
        value = args[name]
        pairs.append((name, value if isinstance(value, str) else number_item(value)))
    return Map(pairs)


def invocation_item(
    *,
    token_hash: bytes,
    audience: str = AUDIENCE,
    action: str = "pay",
    resource: str = "bank/invoices/17",
    args: dict[str, int | Decimal | str] | None = None,
    args_digest: bytes | None = None,
    issued_at: int = NOW,
    nonce_bytes: bytes,
) -> Map:
    args = BASE_ARGS if args is None else args
    pairs: list[tuple[Any, Any]] = [(1, token_hash), (2, audience), (3, action), (4, resource)]
    if args:
        pairs.append((5, args_item(args)))
    digest = args_digest if args_digest is not None else sha256(cbor(args_item(args)))
    pairs += [(6, digest), (7, issued_at), (8, nonce_bytes)]
    return Map(pairs)


def invocation_bytes(signed: bytes, signer: cp.SigningKey, version: int = 1) -> bytes:
    return cbor([version, signed, signer.sign(INVOCATION_DOMAIN + signed)])


def inv_parts(inv: cp.Invocation) -> tuple[bytes, bytes]:
    decoded = uncbor(inv.to_bytes())
    return decoded[1], decoded[2]


def resign_block(token: cp.Token, hop: int, mutate: Callable[[Map], Any], signer: cp.SigningKey) -> bytes:
    """Token bytes with block ``hop`` decoded, changed by ``mutate`` (which edits the map in place
    or returns a replacement item or raw bytes), re-encoded and re-signed by ``signer``."""
    envs = envelopes_of(token)
    body = uncbor(envs[hop][0])
    replaced = mutate(body)
    if replaced is None:
        replaced = body
    signed = replaced if isinstance(replaced, bytes) else cbor(replaced)
    envs[hop] = sign_block(signed, signer)
    return token_bytes(envs)


def resign_invocation(inv: cp.Invocation, mutate: Callable[[Map], Any], signer: cp.SigningKey) -> bytes:
    signed, _ = inv_parts(inv)
    body = uncbor(signed)
    replaced = mutate(body)
    if replaced is None:
        replaced = body
    new_signed = replaced if isinstance(replaced, bytes) else cbor(replaced)
    return invocation_bytes(new_signed, signer)


def first_cap(body: Map) -> Map:
    caps = body.get(6)
    assert isinstance(caps[0], Map)
    return caps[0]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@dataclass
class Policy:
    trusted_roots: list[cp.PublicKey] = field(default_factory=lambda: [ROOT.public_key])
    audience: str = AUDIENCE
    purposes: list[str] | None = None
    leeway: int = 60
    freshness: int = 300
    max_depth: int = 16
    strict_attenuation: bool = False
    revoked_blocks: list[bytes] = field(default_factory=list)
    revoked_keys: list[cp.PublicKey] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)
    replay_cache: bool | int = False

    def to_json(self) -> dict[str, Any]:
        return {
            "trusted_roots": [k.encode() for k in self.trusted_roots],
            "audience": self.audience,
            "purposes": self.purposes,
            "leeway": self.leeway,
            "freshness": self.freshness,
            "max_depth": self.max_depth,
            "strict_attenuation": self.strict_attenuation,
            "revoked_blocks": [b.hex() for b in self.revoked_blocks],
            "revoked_keys": [k.encode() for k in self.revoked_keys],
            "limits": dict(sorted(self.limits.items())),
            "replay_cache": self.replay_cache,
        }


def build_verifier(spec: dict[str, Any]) -> cp.Verifier:
    """A verifier from a case's ``verifier`` object (the test suite does the same)."""
    return cp.Verifier(
        [cp.PublicKey.decode(k) for k in spec["trusted_roots"]],
        spec["audience"],
        spec["purposes"],
        leeway=spec["leeway"],
        freshness=spec["freshness"],
        max_depth=spec["max_depth"],
        strict_attenuation=spec["strict_attenuation"],
        revoked_blocks=[bytes.fromhex(b) for b in spec["revoked_blocks"]],
        revoked_keys=[cp.PublicKey.decode(k) for k in spec["revoked_keys"]],
        limits=cp.Limits(**spec["limits"]),
        replay_cache=spec["replay_cache"],
    )


Expected = tuple[str, int | None] | None  # None: accepted


def _expected_json(expected: Expected) -> dict[str, Any]:
    if expected is None:
        return {"ok": True, "reason": None, "hop": None}
    return {"ok": False, "reason": expected[0], "hop": expected[1]}


def _as_text(obj: cp.Token | cp.Invocation | str | bytes, prefix: str) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, bytes):
        return prefix + b64(obj)
    return obj.encode()


class Cases:
    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.names: set[str] = set()

    def _check_name(self, name: str) -> None:
        assert name not in self.names, f"duplicate case name {name}"
        self.names.add(name)

    def add(
        self,
        name: str,
        description: str,
        token: cp.Token | str | bytes,
        invocation: cp.Invocation | str | bytes,
        expected: Expected,
        *,
        policy: Policy | None = None,
        now: int = NOW,
        request: bytes | None = None,
    ) -> None:
        self._check_name(name)
        case: dict[str, Any] = {
            "name": name,
            "description": description,
            "token": _as_text(token, "cpt1."),
            "invocation": _as_text(invocation, "cpi1."),
            "verifier": (policy or Policy()).to_json(),
            "now": now,
            "request": None if request is None else request.hex(),
            "expected": _expected_json(expected),
        }
        verdict = build_verifier(case["verifier"]).verify(
            case["token"], case["invocation"], now=now, request=request
        )
        _compare(name, verdict, case["expected"])
        self.cases.append(case)

    def sequence(
        self,
        name: str,
        description: str,
        steps: list[tuple[cp.Token | str, cp.Invocation | str, int, Expected]],
        *,
        policy: Policy,
    ) -> None:
        self._check_name(name)
        verifier_json = policy.to_json()
        verifier = build_verifier(verifier_json)
        out = []
        for i, (token, invocation, now, expected) in enumerate(steps):
            step: dict[str, Any] = {
                "token": _as_text(token, "cpt1."),
                "invocation": _as_text(invocation, "cpi1."),
                "now": now,
                "request": None,
                "expected": _expected_json(expected),
            }
            verdict = verifier.verify(step["token"], step["invocation"], now=now)
            _compare(f"{name}[{i}]", verdict, step["expected"])
            out.append(step)
        self.cases.append(
            {"name": name, "description": description, "verifier": verifier_json, "sequence": out}
        )


def _compare(name: str, verdict: cp.Verdict, expected: dict[str, Any]) -> None:
    got = {"ok": verdict.ok, "reason": verdict.reason, "hop": verdict.hop}
    if got != expected:
        raise AssertionError(f"case {name}: expected {expected}, engine says {got} ({verdict.message})")


# ---------------------------------------------------------------------------


def valid_cases(c: Cases) -> None:
    for depth in range(4):
        token, holder = chain(depth, f"valid-d{depth}")
        c.add(
            f"valid_depth_{depth}",
            f"A well-formed chain of {depth} delegation(s) below the root, every hop keeping its "
            "parent's capabilities; the holder's invocation is inside every constraint.",
            token,
            invoke(token, holder, f"valid-d{depth}"),
            None,
        )

    # Every hop narrows; decimals in bounds and arguments; refined purpose; optional fields.
    token = issue(
        "narrowing",
        capabilities=[
            cp.Capability(
                "bank/**",
                ["pay", "read", "refund"],
                {"amount": cp.Max(Decimal("2500.50")), "memo": cp.Prefix("inv-")},
            ),
            cp.Capability("ledger/reports/*", "*"),
        ],
        subject_id="spiffe://example.org/planner",
        reason="quarterly close",
    )
    token = delegate(
        token,
        AGENTS[0],
        AGENTS[1],
        "narrowing",
        capabilities=[
            cp.Capability(
                "bank/invoices/**",
                ["pay", "read"],
                {
                    "amount": [cp.Max(Decimal("999.99")), cp.Min(Decimal("0.01"))],
                    "memo": cp.Prefix("inv-2025-"),
                },
            )
        ],
        purpose="payments/invoices/eu",
        audiences=["bank"],
        expires_at=EXPIRES - 600,
        not_before=NOT_BEFORE + 10,
        principal=PRINCIPAL,
        subject_id="spiffe://example.org/analyst",
        reason="pay the EU invoices",
        strict=True,
    )
    token = delegate(
        token,
        AGENTS[1],
        AGENTS[2],
        "narrowing",
        capabilities=[
            cp.Capability(
                "bank/invoices/*",
                ["pay"],
                {
                    "amount": [cp.Max(500), cp.Min(Decimal("0.01"))],
                    "memo": cp.Eq("inv-2025-0042"),
                    "currency": cp.OneOf(["EUR"]),
                },
            )
        ],
        purpose="payments/invoices/eu/q3",
        strict=True,
    )
    narrowing_inv = invoke(
        token,
        AGENTS[2],
        "narrowing",
        args={"amount": Decimal("499.95"), "memo": "inv-2025-0042", "currency": "EUR"},
    )
    c.add(
        "valid_strictly_narrowing_chain",
        "Each hop narrows (resource, actions, decimal bounds, prefix to eq, an added one_of, refined "
        "purpose, fewer audiences, shorter lifetime); verified with strict attenuation and a purpose "
        "policy the leaf refines.",
        token,
        narrowing_inv,
        None,
        policy=Policy(strict_attenuation=True, purposes=["payments/invoices"]),
    )

    token, holder = chain(1, "request-bound")
    request = b'{"amount":120,"currency":"EUR","invoice":17}'
    c.add(
        "valid_request_bound",
        "The invocation's args_digest is SHA-256 of the full request bytes; the service passes the "
        "same bytes.",
        token,
        invoke(token, holder, "request-bound", request=request),
        None,
        request=request,
    )
    token, holder = chain(1, "args-digest")
    args_inv = invoke(token, holder, "args-digest")
    c.add(
        "valid_args_digest_with_request",
        "Without a separate request the args_digest is SHA-256 of the deterministic encoding of the "
        "args map; a service passing exactly those bytes as the request accepts.",
        token,
        args_inv,
        None,
        request=cbor(args_item(BASE_ARGS)),
    )
    token, holder = chain(0, "no-args", capabilities=[cp.Capability("bank/status", ["read"])])
    c.add(
        "valid_no_args",
        "An invocation without arguments omits key 5; its args_digest is SHA-256 of 0xa0.",
        token,
        invoke(token, holder, "no-args", action="read", resource="bank/status", args={}),
        None,
    )
    token, holder = chain(1, "restated-principal")
    token2 = delegate(token, holder, AGENTS[2], "restated-principal", principal=PRINCIPAL)
    c.add(
        "valid_principal_restated",
        "A delegation may restate the root's principal unchanged.",
        token2,
        invoke(token2, AGENTS[2], "restated-principal"),
        None,
    )
    token, holder = chain(0, "doublestar", capabilities=[cp.Capability("bank/**", "*")])
    c.add(
        "valid_trailing_doublestar",
        "A trailing ** matches one or more remaining segments; * in actions allows any valid action.",
        token,
        invoke(token, holder, "doublestar", action="archive", resource="bank/invoices/17/pdf", args={}),
        None,
    )
    token, holder = chain(2, "other-audience")
    c.add(
        "valid_second_audience",
        "The leaf lists several audiences; a verifier whose own id is one of them accepts.",
        token,
        invoke(token, holder, "other-audience", audience="ledger"),
        None,
        policy=Policy(audience="ledger"),
    )


def time_cases(c: Cases) -> None:
    token, holder = chain(1, "time")
    # Validity window with 60 s leeway: NOT_BEFORE - 60 <= now < EXPIRES + 60.
    early_inv = invoke(token, holder, "time-early", issued_at=NOT_BEFORE - 60)
    c.add(
        "time_not_before_minus_leeway_ok",
        "now = not_before - leeway is inside the window.",
        token,
        early_inv,
        None,
        now=NOT_BEFORE - 60,
    )
    too_early_inv = invoke(token, holder, "time-too-early", issued_at=NOT_BEFORE - 61)
    c.add(
        "time_not_yet_valid",
        "now = not_before - leeway - 1: the root is not valid yet.",
        token,
        too_early_inv,
        ("NOT_YET_VALID", 0),
        now=NOT_BEFORE - 61,
    )
    late_ok = invoke(token, holder, "time-late", issued_at=EXPIRES + 59)
    c.add(
        "time_expires_plus_leeway_minus_one_ok",
        "now = expires + leeway - 1 is still inside the window (expiry is exclusive).",
        token,
        late_ok,
        None,
        now=EXPIRES + 59,
    )
    late = invoke(token, holder, "time-expired", issued_at=EXPIRES + 60)
    c.add(
        "time_expired",
        "now = expires + leeway: expired.",
        token,
        late,
        ("EXPIRED", 0),
        now=EXPIRES + 60,
    )
    c.add(
        "time_expired_zero_leeway",
        "With leeway 0 a block is expired exactly at its expiry time.",
        token,
        invoke(token, holder, "time-expired-0", issued_at=EXPIRES),
        ("EXPIRED", 0),
        now=EXPIRES,
        policy=Policy(leeway=0),
    )
    # A child that starts later than now while its parent is valid.
    root = issue("time-child")
    child = delegate(root, AGENTS[0], AGENTS[1], "time-child", not_before=NOW + 120)
    c.add(
        "time_child_not_yet_valid",
        "The root is valid but the delegation starts 120 s from now (leeway 60).",
        child,
        invoke(child, AGENTS[1], "time-child"),
        ("NOT_YET_VALID", 1),
    )
    # A child whose expiry has passed while the root is valid.
    child = delegate(root, AGENTS[0], AGENTS[1], "time-child-expired", expires_at=NOW - 60)
    c.add(
        "time_child_expired",
        "The delegation expired at now - leeway.",
        child,
        invoke(child, AGENTS[1], "time-child-expired"),
        ("EXPIRED", 1),
    )
    widened = delegate(root, AGENTS[0], AGENTS[1], "lifetime-after", expires_at=EXPIRES + 1, check=False)
    c.add(
        "lifetime_widened_expiry",
        "A delegation expires one second after its parent.",
        widened,
        invoke(widened, AGENTS[1], "lifetime-after"),
        ("LIFETIME_WIDENED", 1),
    )
    widened = delegate(root, AGENTS[0], AGENTS[1], "lifetime-before", not_before=NOT_BEFORE - 1, check=False)
    c.add(
        "lifetime_widened_not_before",
        "A delegation becomes valid one second before its parent.",
        widened,
        invoke(widened, AGENTS[1], "lifetime-before"),
        ("LIFETIME_WIDENED", 1),
    )
    # Validity of every block comes before window containment.
    two = delegate(widened, AGENTS[1], AGENTS[2], "lifetime-then-expired", expires_at=NOW - 61, check=False)
    c.add(
        "time_validity_before_containment",
        "Hop 1 widens its parent's window and hop 2 is expired: every block's validity is checked "
        "before any hop's containment, so the verdict is EXPIRED at hop 2.",
        two,
        invoke(two, AGENTS[2], "lifetime-then-expired"),
        ("EXPIRED", 2),
    )

    # Freshness: now - freshness - leeway <= issued_at <= now + leeway.
    token, holder = chain(1, "fresh")
    for name, issued, expected, what in [
        ("freshness_oldest_ok", NOW - 360, None, "issued_at = now - freshness - leeway is fresh."),
        (
            "invocation_stale_old",
            NOW - 361,
            ("INVOCATION_STALE", 2),
            "issued_at = now - freshness - leeway - 1 is stale.",
        ),
        ("freshness_future_ok", NOW + 60, None, "issued_at = now + leeway is fresh."),
        (
            "invocation_stale_future",
            NOW + 61,
            ("INVOCATION_STALE", 2),
            "issued_at = now + leeway + 1 is from the future.",
        ),
    ]:
        c.add(name, what, token, invoke(token, holder, name, issued_at=issued), expected)


def signature_cases(c: Cases) -> None:
    token, holder = chain(3, "sig")
    inv = invoke(token, holder, "sig")
    for hop in (0, 2):
        envs = envelopes_of(token)
        sig = bytearray(envs[hop][1])
        sig[0] ^= 0x01
        envs[hop][1] = bytes(sig)
        c.add(
            f"signature_invalid_hop_{hop}",
            f"One bit of block {hop}'s signature flipped.",
            token_bytes(envs),
            inv,
            ("SIGNATURE_INVALID", hop),
        )
    envs = envelopes_of(token)
    r, s = envs[1][1][:32], int.from_bytes(envs[1][1][32:], "little")
    envs[1][1] = r + (s + ED25519_L).to_bytes(32, "little")
    c.add(
        "signature_s_not_reduced",
        "Block 1's signature with S replaced by S + L (same value mod L): refused by the strict rule "
        "(S must be below L).",
        token_bytes(envs),
        inv,
        ("SIGNATURE_INVALID", 1),
    )
    root = issue("sig-wrong-signer")
    forged = delegate(root, MALLORY, AGENTS[1], "sig-wrong-signer", check=False)
    c.add(
        "signature_wrong_signer",
        "A delegation signed by a key other than its parent's subject.",
        forged,
        invoke(forged, AGENTS[1], "sig-wrong-signer"),
        ("SIGNATURE_INVALID", 1),
    )
    # Small-order issuer key: the identity point (y = 1).
    small = bytes([1]) + bytes(31)
    body = block_item(
        issuer=small,
        principal=PRINCIPAL,
        subject=bytes(AGENTS[0].public_key),
        capabilities=[capability_item("bank/invoices/*", ["pay"])],
        purpose=PURPOSE,
        not_before=NOT_BEFORE,
        expires=EXPIRES,
        depth=0,
        audiences=[AUDIENCE],
        block_id=bid("small-order/0"),
    )
    signed = cbor(body)
    forged_bytes = token_bytes([[signed, bytes(32) + bytes(32)]])
    forged_tok = cp.Token.decode(forged_bytes)
    c.add(
        "signature_small_order_issuer",
        "A root naming the identity point as issuer, with R = 0 and S = 0 (a signature that the "
        "cofactorless equation with a small-order key would accept for any message); the strict "
        "rule refuses small-order keys.",
        forged_bytes,
        invoke(forged_tok, AGENTS[0], "small-order", args={"amount": 5}, check=False),
        ("SIGNATURE_INVALID", 0),
        policy=Policy(trusted_roots=[ROOT.public_key]),
    )
    # A delegation block presented alone: no issuer key, so no key can have signed it.
    envs = envelopes_of(token)
    alone = token_bytes([envs[1]])
    c.add(
        "signature_first_block_is_delegation",
        "Block 1 of a chain presented as a whole token: the first block has no issuer key, so its "
        "signature cannot verify (the signature stage runs before linkage).",
        alone,
        inv,
        ("SIGNATURE_INVALID", 0),
    )

    # Proof of possession.
    token, holder = chain(2, "pop")
    wrong = token.invoke(
        MALLORY,
        audience=AUDIENCE,
        action="pay",
        resource="bank/invoices/17",
        args=BASE_ARGS,
        issued_at=NOW,
        nonce=nonce("pop-wrong"),
        check=False,
    )
    c.add(
        "pop_wrong_key",
        "The invocation is signed by a key that is not the leaf's subject.",
        token,
        wrong,
        ("POP_INVALID", 3),
    )
    good = invoke(token, holder, "pop-flip")
    raw = bytearray(good.to_bytes())
    raw[-1] ^= 0x80
    c.add(
        "pop_signature_flipped",
        "One bit of the invocation's signature flipped.",
        token,
        bytes(raw),
        ("POP_INVALID", 3),
    )
    # Prefix truncation: the holder of hop 2 presents the chain without its last block.
    truncated = token_bytes(envelopes_of(token)[:2])
    c.add(
        "pop_prefix_truncation",
        "The last block is dropped (presenting a shorter, possibly wider chain); the holder's "
        "invocation no longer verifies under the new leaf's subject.",
        truncated,
        good,
        ("POP_INVALID", 2),
    )
    # Invocation made for a different token held by the same key.
    other = delegate(
        cp.Token.decode(token_bytes(envelopes_of(token)[:2])),
        AGENTS[1],
        AGENTS[2],
        "pop-other",
        capabilities=[
            cp.Capability(
                "bank/invoices/*",
                ["read"],
                {"amount": [cp.Min(1), cp.Max(100)], "currency": cp.OneOf(["EUR"])},
            )
        ],
    )
    c.add(
        "pop_token_hash_mismatch",
        "The holder has two tokens; an invocation made for one is presented with the other.",
        token,
        invoke(other, AGENTS[2], "pop-other", action="read", args={"amount": 50, "currency": "EUR"}),
        ("POP_INVALID", 3),
    )
    request = b'{"amount":120,"currency":"EUR","invoice":17}'
    bound = invoke(token, holder, "pop-request", request=request)
    c.add(
        "pop_request_mismatch",
        "The invocation binds one request; the service received different bytes.",
        token,
        bound,
        ("POP_INVALID", 3),
        request=request.replace(b"120", b"990"),
    )
    c.add(
        "pop_args_digest_vs_request",
        "The invocation's digest covers its args map only; the service passes the full request, "
        "which differs.",
        token,
        invoke(token, holder, "pop-args"),
        ("POP_INVALID", 3),
        request=request,
    )


def chain_cases(c: Cases) -> None:
    # Splice: hop 2 of chain Y appended to hops 0-1 of chain X (same keys, different hop 1).
    x, _ = chain(2, "splice-x")
    y_root = issue("splice-y")
    y1 = delegate(y_root, AGENTS[0], AGENTS[1], "splice-y", reason="a different decision")
    y2 = delegate(y1, AGENTS[1], AGENTS[2], "splice-y")
    spliced = token_bytes(envelopes_of(x)[:2] + envelopes_of(y2)[2:])
    spliced_tok = cp.Token.decode(spliced)
    c.add(
        "chain_broken_splice",
        "Blocks from two chains of the same keys joined: block 2's signature is valid but its parent "
        "hash names a block that is not block 1.",
        spliced,
        invoke(spliced_tok, AGENTS[2], "splice"),
        ("CHAIN_BROKEN", 2),
    )
    # A root block in the middle, signed by the previous block's subject.
    mid_root = issue("mid-root", root=AGENTS[1], subject=AGENTS[2].public_key, block_id=bid("mid-root/2"))
    base, _ = chain(1, "mid-root")
    spliced = token_bytes(envelopes_of(base) + envelopes_of(mid_root))
    spliced_tok = cp.Token.decode(spliced)
    c.add(
        "chain_broken_root_in_middle",
        "Block 2 is a root block (issuer key, no parent hash) signed by block 1's subject.",
        spliced,
        invoke(spliced_tok, AGENTS[2], "mid-root"),
        ("CHAIN_BROKEN", 2),
    )
    token, holder = chain(1, "untrusted", root=OTHER_ROOT)
    c.add(
        "untrusted_root",
        "A well-formed chain from a root key the verifier does not trust.",
        token,
        invoke(token, holder, "untrusted"),
        ("UNTRUSTED_ROOT", 0),
    )
    token, holder = chain(2, "revoked")
    inv = invoke(token, holder, "revoked")
    c.add(
        "revoked_block_id",
        "Block 1's id is revoked: the whole chain below it is refused.",
        token,
        inv,
        ("REVOKED", 1),
        policy=Policy(revoked_blocks=[bid("revoked/1")]),
    )
    c.add(
        "revoked_root_key",
        "The (trusted) root key is revoked.",
        token,
        inv,
        ("REVOKED", 0),
        policy=Policy(revoked_keys=[ROOT.public_key]),
    )
    c.add(
        "revoked_holder_key",
        "The leaf's subject key (the holder) is revoked.",
        token,
        inv,
        ("REVOKED", 2),
        policy=Policy(revoked_keys=[holder.public_key]),
    )
    c.add(
        "revoked_before_time",
        "Revocation is checked before time: an expired chain with a revoked block gets REVOKED.",
        token,
        inv,
        ("REVOKED", 1),
        now=EXPIRES + 3600,
        policy=Policy(revoked_blocks=[bid("revoked/1")]),
    )


def depth_cases(c: Cases) -> None:
    root = issue("depth-zero", max_depth=0)
    over = delegate(root, AGENTS[0], AGENTS[1], "depth-zero", max_depth=0, check=False)
    c.add(
        "depth_exceeded_parent_zero",
        "The root allows no delegation (depth 0) but has a child.",
        over,
        invoke(over, AGENTS[1], "depth-zero"),
        ("DEPTH_EXCEEDED", 1),
    )
    root = issue("depth-equal", max_depth=2)
    same = delegate(root, AGENTS[0], AGENTS[1], "depth-equal", max_depth=2, check=False)
    c.add(
        "depth_exceeded_not_decreasing",
        "A child's remaining depth equals its parent's instead of being below it.",
        same,
        invoke(same, AGENTS[1], "depth-equal"),
        ("DEPTH_EXCEEDED", 1),
    )
    token, holder = chain(3, "depth-policy")
    inv = invoke(token, holder, "depth-policy")
    c.add(
        "depth_policy_at_limit_ok",
        "Three delegations with a verifier max_depth of 3.",
        token,
        inv,
        None,
        policy=Policy(max_depth=3),
    )
    c.add(
        "depth_exceeded_policy",
        "Three delegations with a verifier max_depth of 2: the hop at fault is max_depth + 1.",
        token,
        inv,
        ("DEPTH_EXCEEDED", 3),
        policy=Policy(max_depth=2),
    )


def attenuation_cases(c: Cases) -> None:
    root = issue("attenuation")

    def hop(label: str, **kw: Any) -> tuple[cp.Token, cp.Invocation]:
        child = delegate(root, AGENTS[0], AGENTS[1], label, check=False, **kw)
        return child, invoke(child, AGENTS[1], label, check=False)

    child, inv = hop("principal", principal="mallory")
    c.add(
        "principal_changed", "A delegation names a different principal.", child, inv, ("PRINCIPAL_CHANGED", 1)
    )
    widenings: list[tuple[str, str, cp.Capability]] = [
        (
            "widened_max",
            "The child raises the amount bound from 1000 to 1001.",
            cp.Capability(
                "bank/invoices/*",
                ["pay", "read"],
                {"amount": [cp.Min(1), cp.Max(1001)], "currency": cp.OneOf(["EUR", "USD"])},
            ),
        ),
        (
            "widened_dropped_constraint",
            "The child drops the currency constraint.",
            cp.Capability("bank/invoices/*", ["pay", "read"], {"amount": [cp.Min(1), cp.Max(1000)]}),
        ),
        (
            "widened_resource",
            "The child's resource pattern bank/invoices/** matches more than bank/invoices/*.",
            cp.Capability(
                "bank/invoices/**",
                ["pay", "read"],
                {"amount": [cp.Min(1), cp.Max(1000)], "currency": cp.OneOf(["EUR", "USD"])},
            ),
        ),
        (
            "widened_action",
            "The child adds the refund action.",
            cp.Capability(
                "bank/invoices/*",
                ["pay", "read", "refund"],
                {"amount": [cp.Min(1), cp.Max(1000)], "currency": cp.OneOf(["EUR", "USD"])},
            ),
        ),
        (
            "widened_one_of",
            "The child's currency one_of adds GBP.",
            cp.Capability(
                "bank/invoices/*",
                ["pay", "read"],
                {"amount": [cp.Min(1), cp.Max(1000)], "currency": cp.OneOf(["EUR", "GBP", "USD"])},
            ),
        ),
        (
            "widened_type_mismatch",
            'The child replaces max 1000 by eq "1000" (a text never implies a numeric bound).',
            cp.Capability(
                "bank/invoices/*",
                ["pay", "read"],
                {"amount": [cp.Min(1), cp.Eq("1000")], "currency": cp.OneOf(["EUR", "USD"])},
            ),
        ),
    ]
    for name, what, cap in widenings:
        child, inv = hop(name, capabilities=[cap])
        c.add(f"capability_{name}", what, child, inv, ("CAPABILITY_WIDENED", 1))
    child, inv = hop("second-uncovered", capabilities=[base_capability(), cp.Capability("bank/**", ["read"])])
    c.add(
        "capability_widened_second_capability",
        "The child keeps the parent's capability and adds one the parent does not cover.",
        child,
        inv,
        ("CAPABILITY_WIDENED", 1),
    )
    token, holder = chain(1, "not-narrowed")
    c.add(
        "not_narrowed_strict",
        "Strict attenuation: a hop that keeps all of its parent's capabilities.",
        token,
        invoke(token, holder, "not-narrowed"),
        ("NOT_NARROWED", 1),
        policy=Policy(strict_attenuation=True),
    )
    child, inv = hop("purpose", purpose="payments/payroll")
    c.add(
        "purpose_mismatch_hop",
        "A delegation's purpose does not refine its parent's.",
        child,
        inv,
        ("PURPOSE_MISMATCH", 1),
    )
    child, inv = hop("purpose-text-prefix", purpose="payments/invoices2")
    c.add(
        "purpose_mismatch_text_prefix",
        "payments/invoices2 is not a refinement of payments/invoices (whole segments, not text).",
        child,
        inv,
        ("PURPOSE_MISMATCH", 1),
    )
    token, holder = chain(1, "purpose-policy")
    inv = invoke(token, holder, "purpose-policy")
    c.add(
        "purpose_mismatch_policy",
        "The service serves payments/payroll only.",
        token,
        inv,
        ("PURPOSE_MISMATCH", 1),
        policy=Policy(purposes=["payments/payroll"]),
    )
    c.add(
        "purpose_policy_parent_ok",
        "The service serves payments; the leaf's payments/invoices refines it.",
        token,
        inv,
        None,
        policy=Policy(purposes=["payments/payroll", "payments"]),
    )
    child, inv = hop("audience-added", audiences=["bank", "ledger", "treasury"])
    c.add(
        "audience_mismatch_hop",
        "A delegation lists an audience its parent does not.",
        child,
        inv,
        ("AUDIENCE_MISMATCH", 1),
    )
    token, holder = chain(1, "audience-leaf")
    inv = invoke(token, holder, "audience-leaf")
    c.add(
        "audience_mismatch_service",
        "The verifier's own audience (treasury) is not among the leaf's audiences.",
        token,
        inv,
        ("AUDIENCE_MISMATCH", 1),
        policy=Policy(audience="treasury"),
    )
    c.add(
        "audience_mismatch_invocation",
        "The invocation is addressed to ledger (listed by the token) but presented to bank.",
        token,
        invoke(token, holder, "audience-inv", audience="ledger"),
        ("AUDIENCE_MISMATCH", 2),
    )
    c.add(
        "purpose_before_audience_at_service",
        "Both the service purposes and the service audience fail: the purpose is checked first.",
        token,
        inv,
        ("PURPOSE_MISMATCH", 1),
        policy=Policy(audience="treasury", purposes=["payments/payroll"]),
    )


def invocation_cases(c: Cases) -> None:
    token, holder = chain(1, "inv")

    def inv(label: str, **kw: Any) -> cp.Invocation:
        return invoke(token, holder, label, check=False, **kw)

    rows: list[tuple[str, str, dict[str, Any], Expected]] = [
        ("not_covered_action", "The action refund is not granted.", {"action": "refund"}, ("NOT_COVERED", 2)),
        (
            "not_covered_resource_depth",
            "bank/invoices/* does not match bank/invoices/17/pdf (one segment only).",
            {"resource": "bank/invoices/17/pdf"},
            ("NOT_COVERED", 2),
        ),
        (
            "not_covered_resource_other",
            "bank/invoices/* does not match bank/payroll/1.",
            {"resource": "bank/payroll/1"},
            ("NOT_COVERED", 2),
        ),
        (
            "not_covered_wildcard_action",
            "An invocation names one real action; * is never permitted.",
            {"action": "*"},
            ("NOT_COVERED", 2),
        ),
        (
            "constraint_violated_max",
            "amount 1001 is over max 1000.",
            {"args": {"amount": 1001, "currency": "EUR"}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_max_edge_ok",
            "amount 1000 equals max 1000.",
            {"args": {"amount": 1000, "currency": "EUR"}},
            None,
        ),
        (
            "constraint_violated_min",
            "amount 0 is under min 1.",
            {"args": {"amount": 0, "currency": "EUR"}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_violated_decimal",
            "amount 1000.01 (a decimal) is over max 1000.",
            {"args": {"amount": Decimal("1000.01"), "currency": "EUR"}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_violated_missing",
            "The constrained argument currency is missing (closed world).",
            {"args": {"amount": 120}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_violated_type",
            'amount is the text "120", not a number.',
            {"args": {"amount": "120", "currency": "EUR"}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_violated_one_of",
            "currency GBP is not in one_of [EUR, USD].",
            {"args": {"amount": 120, "currency": "GBP"}},
            ("CONSTRAINT_VIOLATED", 2),
        ),
        (
            "constraint_extra_argument_ok",
            "Arguments no constraint names are allowed.",
            {"args": {"amount": 120, "currency": "USD", "note": "thanks"}},
            None,
        ),
    ]
    for name, what, kw, expected in rows:
        c.add(name, what, token, inv(name, **kw), expected)


def malformed_cases(c: Cases) -> None:
    token, holder = chain(1, "mal")
    inv = invoke(token, holder, "mal")
    tbytes = token.to_bytes()
    ttext = token.encode()
    ibytes = inv.to_bytes()
    itext = inv.encode()

    def bad_token(name: str, what: str, data: bytes | str, expected: Expected = ("MALFORMED", None)) -> None:
        c.add(name, what, data, inv, expected)

    def bad_inv(name: str, what: str, data: bytes | str, expected: Expected = ("MALFORMED", 2)) -> None:
        c.add(name, what, token, data, expected)

    # Text forms.
    bad_token("malformed_token_prefix", "The token text starts with cpt2.", "cpt2." + ttext[5:])
    bad_token("malformed_token_no_prefix", "The token text without its prefix.", ttext[5:])
    bad_token("malformed_token_padding", "base64url padding (=) is refused.", ttext + "==")
    bad_token(
        "malformed_token_alphabet",
        "A standard-base64 character (+) is refused.",
        ttext[:10] + "+" + ttext[11:],
    )
    bad_token("malformed_token_whitespace", "A trailing newline is refused.", ttext + "\n")
    extra = (1 - len(ttext[5:])) % 4 or 4
    bad_token("malformed_token_text_length", "A text of length 1 mod 4 is impossible.", ttext + "A" * extra)
    # Non-zero unused bits in the last character: needs a text with a partial final group.
    body = ttext[5:]
    i = 0
    while len(body) % 4 == 0:
        i += 1
        body = chain(1, f"mal-bits-{i}")[0].encode()[5:]
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(body[-1])
    bumped = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1]
    assert bumped != body[-1]
    bad_token(
        "malformed_token_trailing_bits",
        "The last base64url character has a non-zero unused low bit (two texts for one value).",
        "cpt1." + body[:-1] + bumped,
    )
    bad_inv("malformed_invocation_prefix", "The invocation text starts with cpt1.", "cpt1." + itext[5:])

    # Envelope.
    bad_token("malformed_truncated", "The binary token without its last byte.", tbytes[:-1], ("MALFORMED", 1))
    bad_token("malformed_trailing_bytes", "One byte (0x00) after the token array.", tbytes + b"\x00")
    bad_token("malformed_version", "Token version 2.", token_bytes(envelopes_of(token), version=2))
    bad_token("malformed_no_blocks", "A token array with the version only.", cbor([1]))
    bad_token("malformed_not_array", "A token that is a map, not an array.", cbor(Map([(1, 1)])))
    envs = envelopes_of(token)
    bad_token(
        "malformed_indefinite_array",
        "The token array with indefinite length (0x9f ... 0xff).",
        cbor(Indefinite([1, *envs])),
    )
    bad_token(
        "malformed_version_non_shortest",
        "The version 1 written as 0x18 0x01 (not the shortest form).",
        cbor([Head(0, 1, 24), *envs]),
    )
    short_sig = [envs[0][0], envs[0][1][:63]]
    bad_token(
        "malformed_signature_length",
        "Block 0's signature is 63 bytes.",
        token_bytes([short_sig, envs[1]]),
        ("MALFORMED", 0),
    )
    bad_token(
        "malformed_envelope_arity",
        "Block 1's envelope has three items.",
        token_bytes([envs[0], [*envs[1], b""]]),
        ("MALFORMED", 1),
    )

    # Block maps (each re-signed by the right key, so only the encoding is at fault).
    def mutate(name: str, what: str, hop: int, fn: Callable[[Map], Any]) -> None:
        signer = ROOT if hop == 0 else AGENTS[hop - 1]
        bad_token(name, what, resign_block(token, hop, fn, signer), ("MALFORMED", hop))

    def swap_keys(m: Map) -> None:
        i = [k for k, _ in m.pairs].index(8)
        m.pairs[i], m.pairs[i + 1] = m.pairs[i + 1], m.pairs[i]

    mutate("malformed_map_key_order", "Keys 8 and 9 of the root block swapped.", 0, swap_keys)
    mutate(
        "malformed_duplicate_key",
        "Key 7 (purpose) twice.",
        0,
        _dup_purpose,
    )
    mutate("malformed_unknown_key", "An extra key 14 in the root block.", 0, lambda m: m.set(14, "x"))
    mutate("malformed_missing_block_id", "The root block without key 12.", 0, lambda m: m.remove(12))
    mutate("malformed_root_without_principal", "A root block without a principal.", 0, lambda m: m.remove(3))
    mutate(
        "malformed_parent_and_issuer",
        "A delegation block with both a parent hash and an issuer key.",
        1,
        lambda m: m.set(2, bytes(ROOT.public_key)),
    )
    mutate("malformed_empty_principal", "A root block whose principal is empty.", 0, lambda m: m.set(3, ""))
    mutate(
        "malformed_expires_not_after_not_before",
        "A block whose expiry equals its not_before.",
        0,
        lambda m: m.set(9, m.get(8)),
    )
    mutate("malformed_block_id_length", "A 15-byte block id.", 0, lambda m: m.set(12, bid("x")[:15]))
    mutate(
        "malformed_audiences_unsorted",
        "Audiences [ledger, bank].",
        0,
        lambda m: m.set(11, ["ledger", "bank"]),
    )
    mutate(
        "malformed_audiences_duplicate", "Audiences [bank, bank].", 0, lambda m: m.set(11, ["bank", "bank"])
    )
    mutate("malformed_audiences_empty", "An empty audience list.", 0, lambda m: m.set(11, []))
    mutate("malformed_no_capabilities", "An empty capability list.", 0, lambda m: m.set(6, []))
    mutate(
        "malformed_actions_unsorted",
        "Actions [read, pay].",
        0,
        lambda m: first_cap(m).set(2, ["read", "pay"]),
    )
    mutate(
        "malformed_actions_star_with_names",
        "Actions [*, pay]: * stands alone.",
        0,
        lambda m: first_cap(m).set(2, ["*", "pay"]),
    )
    mutate(
        "malformed_constraints_order",
        "Constraints of one argument in the wrong kind order (min before max).",
        0,
        lambda m: first_cap(m).set(
            3, [first_cap(m).get(3)[1], first_cap(m).get(3)[0], first_cap(m).get(3)[2]]
        ),
    )
    mutate(
        "malformed_constraint_repeat",
        "Two max constraints on amount.",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, 900], ["amount", 1, 1000], first_cap(m).get(3)[2]]),
    )
    mutate(
        "malformed_constraints_empty",
        "An empty constraint list is encoded instead of omitted.",
        0,
        lambda m: first_cap(m).set(3, []),
    )
    mutate(
        "malformed_constraint_kind",
        "Constraint kind code 6 does not exist.",
        0,
        lambda m: first_cap(m).set(3, [["amount", 6, 1]]),
    )
    mutate(
        "malformed_constraint_arity",
        "A constraint with four items.",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, 1000, 0]]),
    )
    mutate(
        "malformed_constraint_arg_name",
        'A constraint on the argument name "a b" (outside [A-Za-z0-9_.-]).',
        0,
        lambda m: first_cap(m).set(3, [["a b", 1, 1000]]),
    )
    mutate(
        "malformed_one_of_unsorted",
        "one_of [USD, EUR].",
        0,
        lambda m: first_cap(m).set(3, [*first_cap(m).get(3)[:2], ["currency", 3, ["USD", "EUR"]]]),
    )
    mutate(
        "malformed_one_of_text_before_number",
        'one_of ["a", 1]: numbers sort before texts.',
        0,
        lambda m: first_cap(m).set(3, [*first_cap(m).get(3)[:2], ["currency", 3, ["a", 1]]]),
    )
    mutate(
        "malformed_one_of_empty",
        "An empty one_of.",
        0,
        lambda m: first_cap(m).set(3, [*first_cap(m).get(3)[:2], ["currency", 3, []]]),
    )
    mutate(
        "malformed_decimal_not_normal",
        "max written as 4([-1, 10000]) (1000.0) instead of the integer 1000.",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Tag(4, [-1, 10000])], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_decimal_exponent_zero",
        "max written as 4([0, 1000]).",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Tag(4, [0, 1000])], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_decimal_exponent_range",
        "max written as 4([-19, 1]) (more than 18 fractional digits).",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Tag(4, [-19, 1])], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_decimal_arity",
        "A decimal fraction with three items.",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Tag(4, [-1, 1, 0])], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_unknown_tag",
        "A bound under tag 5 (bigfloat).",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Tag(5, [-1, 1])], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_float",
        "A bound written as a half-precision float 1.0 (0xf9 0x3c00).",
        0,
        lambda m: first_cap(m).set(3, [["amount", 1, Raw(b"\xf9\x3c\x00")], *first_cap(m).get(3)[1:]]),
    )
    mutate(
        "malformed_integer_non_shortest",
        "not_before written with a 64-bit head although it fits 32 bits.",
        0,
        lambda m: m.set(8, Head(0, NOT_BEFORE, 27)),
    )
    mutate(
        "malformed_invalid_utf8",
        "The purpose text holds the invalid UTF-8 bytes 0xc3 0x28.",
        0,
        lambda m: m.set(7, Raw(b"\x62\xc3\x28")),
    )
    mutate(
        "malformed_pattern_wildcard",
        "The resource pattern bank/inv*.",
        0,
        lambda m: first_cap(m).set(1, "bank/inv*"),
    )
    mutate(
        "malformed_pattern_inner_doublestar",
        "The pattern **/invoices.",
        0,
        lambda m: first_cap(m).set(1, "**/invoices"),
    )
    mutate("malformed_purpose_wildcard", "The purpose payments/*.", 0, lambda m: m.set(7, "payments/*"))
    mutate(
        "malformed_purpose_empty_segment",
        "The purpose payments//invoices.",
        0,
        lambda m: m.set(7, "payments//invoices"),
    )
    mutate(
        "malformed_capability_unknown_key",
        "A capability map with an extra key 4.",
        0,
        lambda m: first_cap(m).set(4, 0),
    )
    mutate(
        "malformed_block_map_oversized",
        "A block map announcing 14 pairs (the schema has 13 keys).",
        0,
        lambda m: Map([*m.pairs, (5, "id"), (13, "r"), (14, 0), (15, 0)]),
    )

    # Invocations.
    def inv_mutate(name: str, what: str, fn: Callable[[Map], Any]) -> None:
        bad_inv(name, what, resign_invocation(inv, fn, holder))

    bad_inv("malformed_invocation_truncated", "The binary invocation without its last byte.", ibytes[:-1])
    bad_inv("malformed_invocation_trailing", "One byte after the invocation array.", ibytes + b"\x00")
    signed, sig = inv_parts(inv)
    bad_inv("malformed_invocation_version", "Invocation version 2.", cbor([2, signed, sig]))
    bad_inv("malformed_invocation_arity", "An invocation array of four items.", cbor([1, signed, sig, 0]))
    inv_mutate("malformed_nonce_short", "A 15-byte nonce.", lambda m: m.set(8, nonce("short", 15)))
    inv_mutate("malformed_nonce_long", "A 33-byte nonce.", lambda m: m.set(8, b"\x01" * 33))
    inv_mutate(
        "malformed_args_order",
        "Argument names out of deterministic order (currency before amount: longer first).",
        lambda m: m.set(5, Map(list(reversed(m.get(5).pairs)))),
    )
    inv_mutate(
        "malformed_args_bytewise_only",
        "Arguments ordered bytewise (ab, b) instead of shorter-first (b, ab).",
        lambda m: m.set(5, Map([("ab", 1), ("b", 2)])),
    )
    inv_mutate(
        "malformed_args_empty",
        "An empty args map is encoded instead of omitted.",
        lambda m: m.set(5, Map([])),
    )
    inv_mutate(
        "malformed_resource_wildcard",
        "The invocation resource bank/invoices/*.",
        lambda m: m.set(4, "bank/invoices/*"),
    )
    inv_mutate("malformed_empty_action", "An empty action.", lambda m: m.set(3, ""))
    inv_mutate("malformed_token_hash_length", "A 31-byte token hash.", lambda m: m.set(1, m.get(1)[:31]))
    inv_mutate(
        "malformed_invocation_unknown_key",
        "Key 9 (unknown) in place of the optional key 5.",
        _args_to_unknown_key,
    )
    inv_mutate(
        "malformed_invocation_map_oversized",
        "An invocation map announcing 9 pairs (the schema has 8 keys).",
        lambda m: Map([*m.pairs, (9, 0)]),
    )
    inv_mutate(
        "malformed_arg_value_bytes",
        "An argument whose value is a byte string.",
        lambda m: m.set(5, Map([("amount", b"\x01"), ("currency", "EUR")])),
    )


def _args_to_unknown_key(m: Map) -> None:
    m.remove(5)
    m.set(9, 0)


def _dup_purpose(m: Map) -> Map:
    i = [k for k, _ in m.pairs].index(7)
    return Map([*m.pairs[: i + 1], (7, PURPOSE), *m.pairs[i + 1 :]])


def limit_cases(c: Cases) -> None:
    # Default limits: 32 blocks (31 delegations) verify with a verifier allowing 31 hops; 33 do not decode.
    keys = CHAIN_KEYS
    token = issue("long", subject=keys[0].public_key, max_depth=40)
    for i in range(31):
        token = delegate(token, keys[i], keys[i + 1], "long")
    assert token.depth == 31
    c.add(
        "limit_blocks_32_ok",
        "32 blocks (the default max_blocks) with a verifier max_depth of 31.",
        token,
        invoke(token, keys[31], "long"),
        None,
        policy=Policy(max_depth=31),
    )
    envs = envelopes_of(token)
    leaf = uncbor(envs[-1][0])
    body = block_item(
        parent=sha256(envs[-1][0]),
        subject=bytes(keys[32].public_key),
        capabilities=leaf.get(6),
        purpose=PURPOSE,
        not_before=NOT_BEFORE,
        expires=EXPIRES,
        depth=leaf.get(10) - 1,
        audiences=AUDIENCES,
        block_id=bid("long/32"),
    )
    long_bytes = token_bytes([*envs, sign_block(cbor(body), keys[31])])
    long_inv = invocation_bytes(
        cbor(invocation_item(token_hash=sha256(cbor(body)), nonce_bytes=nonce("long-33"))), keys[32]
    )
    c.add(
        "limit_blocks_33",
        "33 blocks: over the default max_blocks (32); refused while decoding, with no hop.",
        long_bytes,
        long_inv,
        ("LIMIT_EXCEEDED", None),
        policy=Policy(max_depth=40),
    )
    c.add(
        "limit_token_text_oversized",
        "A token text whose length alone shows it is over max_token_bytes (here 1000) is refused "
        "before it is decoded (2000 characters would be 1500 bytes).",
        "cpt1." + "A" * 2000,
        invoke(*chain(0, "oversized-text"), "oversized-text"),
        ("LIMIT_EXCEEDED", None),
        policy=Policy(limits={"max_token_bytes": 1000}),
    )

    # Tight limits: the token and invocation below use exactly these sizes, so each limit verifies
    # as given and fails one below.
    long_text = "x" * 40
    cap_a = cp.Capability(
        "bank/invoices/2025/q3/*",  # 23 bytes, 5 segments
        ["pay", "read", "void"],  # 3 actions
        {
            "amount": [cp.Min(1), cp.Max(1000)],
            "currency": cp.OneOf(["CHF", "EUR", "USD", "GBP"]),  # 4 values, 4 constraints in all
            "memo": cp.Prefix(long_text),  # the longest text: 40 bytes
        },
    )
    cap_b = cp.Capability("bank/status", ["read"])
    token = issue(
        "tight",
        capabilities=[cap_a, cap_b, cp.Capability("ledger/*", ["read"])],  # 3 capabilities
        audiences=["bank", "ledger", "treasury"],  # 3 audiences
        purpose="payments/invoices",
    )
    holder = AGENTS[0]
    tight_inv = invoke(
        token,
        holder,
        "tight",
        resource="bank/invoices/2025/q3/17",  # 24 bytes, 5 segments: the longest pattern/resource
        args={"amount": 120, "currency": "EUR", "memo": long_text, "x": 1},  # 4 args
    )
    tight = {
        "max_capabilities": 3,
        "max_actions": 3,
        "max_constraints": 4,
        "max_one_of": 4,
        "max_pattern_bytes": 24,
        "max_segments": 5,
        "max_text_bytes": 40,
        "max_audiences": 3,
        "max_args": 4,
        "max_blocks": 1,
        "max_token_bytes": len(token.to_bytes()),
        "max_invocation_bytes": len(tight_inv.to_bytes()),
    }
    c.add(
        "limit_all_at_exact_size",
        "Every decoding limit set exactly to what this token and invocation use: accepted.",
        token,
        tight_inv,
        None,
        policy=Policy(limits=tight),
    )
    for name, value in tight.items():
        limits = dict(tight)
        limits[name] = value - 1
        c.add(
            f"limit_{name}_minus_one",
            f"{name} one below what the token and invocation use.",
            token,
            tight_inv,
            ("LIMIT_EXCEEDED", _tight_hop(name)),
            policy=Policy(limits=limits),
        )


def _tight_hop(name: str) -> int | None:
    """Where each tight limit fails: the token as a whole, its block 0, or the invocation (hop 1)."""
    if name in ("max_blocks", "max_token_bytes"):
        return None
    if name in ("max_invocation_bytes", "max_args"):
        return 1
    if name == "max_pattern_bytes":
        return 1  # the invocation's resource (24 bytes) is the longest path
    return 0


def replay_cases(c: Cases) -> None:
    token, holder = chain(1, "replay")
    first = invoke(token, holder, "replay")
    c.sequence(
        "replayed_second_use",
        "The same invocation presented twice to one verifier with a replay cache: the second use is "
        "REPLAYED at the invocation's hop.",
        [(token, first, NOW, None), (token, first, NOW + 1, ("REPLAYED", 2))],
        policy=Policy(replay_cache=True),
    )
    a = invoke(token, holder, "replay-full-a")
    b = invoke(token, holder, "replay-full-b")
    later = NOW + 300 + 60 + 1
    c_inv = invoke(token, holder, "replay-full-c", issued_at=later)
    c.sequence(
        "replay_cache_full",
        "A replay cache of capacity 1: a second, different nonce while the first entry is unexpired "
        "is REPLAY_CHECK_FAILED (refused rather than risk forgetting an entry); once the first entry "
        "expires (issued_at + freshness + leeway + 1) a new nonce is accepted.",
        [(token, a, NOW, None), (token, b, NOW, ("REPLAY_CHECK_FAILED", 2)), (token, c_inv, later, None)],
        policy=Policy(replay_cache=1),
    )
    refused = invoke(token, holder, "replay-refused", args={"amount": 5000, "currency": "EUR"}, check=False)
    c.sequence(
        "replay_refused_not_recorded",
        "A refused request does not enter the replay cache: after CONSTRAINT_VIOLATED, a valid "
        "invocation is unaffected, and the refused one is refused again for the same reason.",
        [
            (token, refused, NOW, ("CONSTRAINT_VIOLATED", 2)),
            (token, refused, NOW, ("CONSTRAINT_VIOLATED", 2)),
            (token, first, NOW, None),
        ],
        policy=Policy(replay_cache=True),
    )


# ---------------------------------------------------------------------------
# Worked example
# ---------------------------------------------------------------------------


BLOCK_KEYS = {
    1: "parent",
    2: "issuer",
    3: "principal",
    4: "subject",
    5: "subject_id",
    6: "capabilities",
    7: "purpose",
    8: "not_before",
    9: "expires",
    10: "depth",
    11: "audiences",
    12: "block_id",
    13: "reason",
}
CAPABILITY_KEYS = {1: "resource", 2: "actions", 3: "constraints"}
INVOCATION_KEYS = {
    1: "token_hash",
    2: "audience",
    3: "action",
    4: "resource",
    5: "args",
    6: "args_digest",
    7: "issued_at",
    8: "nonce",
}


def annotate(data: bytes, top_keys: dict[int, str]) -> list[str]:
    """A diagnostic listing of one encoded map: ``offset  bytes  meaning``, one line per item."""
    lines: list[str] = []
    reader = _Reader(data)

    def walk(depth: int, keys: dict[int, str] | None, context: str) -> None:
        start = reader.pos
        first = reader.take(1)[0]
        major, info = first >> 5, first & 0x1F
        value = info
        if info >= 24:
            value = int.from_bytes(reader.take({24: 1, 25: 2, 26: 4, 27: 8}[info]), "big")
        head = data[start : reader.pos].hex()
        payload = b""
        if major == 0:
            desc = f"unsigned {value}"
        elif major == 1:
            desc = f"negative {-1 - value}"
        elif major == 2:
            payload = reader.take(value)
            desc = f"bytes({value})"
        elif major == 3:
            payload = reader.take(value)
            desc = f"text({value}) {payload.decode()!r}"
        elif major == 4:
            desc = f"array({value})"
        elif major == 5:
            desc = f"map({value})"
        else:
            desc = f"tag({value})"
        hexpart = head + (" " + payload.hex() if payload else "")
        if len(hexpart) > 40:
            hexpart = hexpart[:37] + "..."
        lines.append(f"{start:4d}  {'  ' * depth}{hexpart:<{44 - 2 * depth}}{context}{desc}")
        if major == 4:
            child_keys = CAPABILITY_KEYS if keys is CAPABILITY_KEYS else None
            for i in range(value):
                walk(depth + 1, child_keys, f"[{i}] ")
        elif major == 5:
            for _ in range(value):
                k = _Reader(data[reader.pos :]).item()
                name = keys.get(k, "?") if keys is not None and isinstance(k, int) else None
                walk(depth + 1, None, "key " if name is None else f"key ({name}) ")
                nested = CAPABILITY_KEYS if name == "capabilities" else None
                walk(depth + 1, nested, f"{name} = " if name else "value = ")
        elif major == 6:
            walk(depth + 1, None, "")

    walk(0, top_keys, "")
    assert reader.pos == len(data)
    return lines


def worked_example() -> dict[str, Any]:
    cap = cp.Capability(
        "bank/invoices/*",
        ["read", "pay"],
        {
            "amount": cp.Max(Decimal("2500.5")),
            "currency": cp.OneOf(["USD", "EUR"]),
            "memo": cp.Prefix("inv-"),
        },
    )
    token = cp.Token.issue(
        ROOT,
        subject=AGENTS[0].public_key,
        capabilities=[cap],
        purpose=PURPOSE,
        audiences=["ledger", "bank"],
        principal=PRINCIPAL,
        not_before=NOT_BEFORE,
        expires_at=EXPIRES,
        max_depth=1,
        subject_id="spiffe://example.org/planner",
        reason="quarterly close",
        block_id=bid("worked/0"),
        now=NOW,
    )
    token = delegate(
        token,
        AGENTS[0],
        AGENTS[1],
        "worked",
        capabilities=[
            cp.Capability(
                "bank/invoices/*",
                ["pay"],
                {
                    "amount": cp.Max(500),
                    "currency": cp.OneOf(["USD", "EUR"]),
                    "memo": cp.Prefix("inv-"),
                },
            )
        ],
    )
    invocation = invoke(
        token, AGENTS[1], "worked", args={"amount": Decimal("120.50"), "currency": "EUR", "memo": "inv-17"}
    )
    envs = envelopes_of(token)
    root_signed, root_sig = envs[0]
    # The same block, written independently from docs/FORMAT.md: must match byte for byte.
    expected_root = cbor(
        block_item(
            issuer=bytes(ROOT.public_key),
            principal=PRINCIPAL,
            subject=bytes(AGENTS[0].public_key),
            subject_id="spiffe://example.org/planner",
            capabilities=[
                capability_item(
                    "bank/invoices/*",
                    ["read", "pay"],
                    [
                        ("memo", "prefix", "inv-"),
                        ("currency", "one_of", ["USD", "EUR"]),
                        ("amount", "max", Decimal("2500.5")),
                    ],
                )
            ],
            purpose=PURPOSE,
            not_before=NOT_BEFORE,
            expires=EXPIRES,
            depth=1,
            audiences=["ledger", "bank"],
            block_id=bid("worked/0"),
            reason="quarterly close",
        )
    )
    assert expected_root == root_signed, "the FORMAT.md encoding disagrees with the engine"
    assert ROOT.public_key.verify(BLOCK_DOMAIN + root_signed, root_sig)
    child_signed = envs[1][0]
    assert uncbor(child_signed).get(1) == sha256(root_signed)
    inv_signed, inv_sig = inv_parts(invocation)
    args: dict[str, int | Decimal | str] = {"amount": Decimal("120.50"), "currency": "EUR", "memo": "inv-17"}
    expected_inv = cbor(
        invocation_item(token_hash=sha256(child_signed), args=args, nonce_bytes=nonce("worked"))
    )
    assert expected_inv == inv_signed, "the FORMAT.md invocation encoding disagrees with the engine"
    assert AGENTS[1].public_key.verify(INVOCATION_DOMAIN + inv_signed, inv_sig)
    replay_key = sha256(REPLAY_DOMAIN + bytes(AGENTS[1].public_key) + nonce("worked"))
    return {
        "description": "A root block and one delegation, and the holder's invocation. Keys are "
        "SigningKey.from_seed(bytes([n]) * 32): root n=0x01, holder of block 0 n=0x11, holder of "
        "block 1 n=0x12.",
        "root_seed": (bytes([0x01]) * 32).hex(),
        "root_public_key": ROOT.public_key.encode(),
        "root_public_key_hex": bytes(ROOT.public_key).hex(),
        "block0_signed_hex": root_signed.hex(),
        "block0_signature_hex": root_sig.hex(),
        "block0_hash_hex": sha256(root_signed).hex(),
        "block0_annotated": annotate(root_signed, BLOCK_KEYS),
        "block1_signed_hex": child_signed.hex(),
        "block1_signature_hex": envs[1][1].hex(),
        "block1_hash_hex": sha256(child_signed).hex(),
        "token_hex": token.to_bytes().hex(),
        "token_text": token.encode(),
        "invocation_signed_hex": inv_signed.hex(),
        "invocation_annotated": annotate(inv_signed, INVOCATION_KEYS),
        "invocation_signature_hex": inv_sig.hex(),
        "args_digest_hex": sha256(cbor(args_item(args))).hex(),
        "invocation_hex": invocation.to_bytes().hex(),
        "invocation_text": invocation.encode(),
        "replay_key_hex": replay_key.hex(),
        "replay_expires_at": NOW + 300 + 60 + 1,
        "now": NOW,
    }


# ---------------------------------------------------------------------------


def generate() -> dict[Path, str]:
    c = Cases()
    valid_cases(c)
    time_cases(c)
    signature_cases(c)
    chain_cases(c)
    depth_cases(c)
    attenuation_cases(c)
    invocation_cases(c)
    malformed_cases(c)
    limit_cases(c)
    replay_cases(c)
    vectors = {
        "format": "chainproof native verification vectors",
        "version": 1,
        "generator": "scripts/make_vectors.py",
        "notes": "Each case: build a Verifier from 'verifier' (limits are Limits(**limits) overrides; "
        "replay_cache false|true|capacity), call verify(token, invocation, now=now, "
        "request=bytes.fromhex(request) or None) and compare ok/reason/hop. A case with 'sequence' "
        "runs its steps in order against one verifier.",
        "cases": c.cases,
    }
    return {
        VECTORS_PATH: json.dumps(vectors, indent=1, ensure_ascii=False) + "\n",
        WORKED_PATH: json.dumps(worked_example(), indent=1, ensure_ascii=False) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the checked-in files differ")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"{p.relative_to(REPO)} differs from the generator's output", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for p, text in files.items():
        p.write_text(text, encoding="utf-8")
    n = len(json.loads(files[VECTORS_PATH])["cases"])
    print(f"wrote {n} cases to {VECTORS_PATH.relative_to(REPO)} and {WORKED_PATH.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""AIP interop cases built with the reference SDK (``agent-identity-protocol`` 0.6.0).

Everything is deterministic: keys come from fixed seeds, every time is ``NOW`` or an
offset of it, and the SDK's random ``jti`` is replaced by a value derived from the case
name while minting. Valid chains are minted through the SDK's own ``JwtChain`` /
``CompactToken`` API. Invalid ones are forged the way PyJWT signs (sorted compact header,
compact payload in insertion order), using the right keys, so that exactly one rule is
broken; ``forged_matches_sdk()`` proves that this signer re-creates the SDK's bytes.

Every case carries the SDK's own verdict, computed live by ``sdk_verify``: the
verification the SDK documents (``JwtChain.verify`` with the root key resolved for the
issuer the chain declares, then ``authorize``), with the SDK's HTTP mapping
(``aip_mcp.proxy._status_for``). See /work/scratch/aip_sdk_behaviour.md for the rules.

This module imports the SDK; ``tests/test_aip_vectors.py`` must not import it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import json
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import base58
import jwt
import jwt.api_jwt
from aip_core.crypto import KeyPair
from aip_core.identity import AipId
from aip_mcp.middleware import detect_mode, verify_request
from aip_mcp.proxy import _status_for
from aip_token import jwt_chain
from aip_token.claims import AipClaims
from aip_token.compact import CompactToken
from aip_token.error import TokenError
from aip_token.jwt_chain import JwtChain
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NOW = 1_800_000_000
TTL = 3600
ISSUER = "aip:web:example.com/root"
OTHER_ISSUER = "aip:web:other.example/root"
LINK_HEADER: dict[str, Any] = {"alg": "EdDSA", "typ": "aip-link+jwt"}
LEGACY_HEADER: dict[str, Any] = {"alg": "EdDSA", "typ": "aip+jwt"}
ROOT_TOOLS = ["tool:read_*", "tool:search", "tool:write"]
PREV = object()  # placeholder: "the hash of the previous segment as signed"

# --------------------------------------------------------------------------- keys


def seed(label: str) -> bytes:
    """The 32-byte Ed25519 seed of a named key."""
    return hashlib.sha256(b"chainproof/aip-interop/" + label.encode()).digest()


def keypair(label: str) -> KeyPair:
    return KeyPair(Ed25519PrivateKey.from_private_bytes(seed(label)))


def pub(label: str) -> bytes:
    return bytes(keypair(label).public_key_bytes())


def holder_label(i: int) -> str:
    """Key named by link i's cnf (h0 is the root link's delegate)."""
    return f"h{i}"


def agent(i: int) -> str:
    return f"aip:web:example.com/agent{i}"


def key_id(public_key: bytes) -> str:
    return "aip:key:ed25519:z" + base58.b58encode(public_key).decode("ascii")


#: A key no case ever signs with: what the oracle verifies against when no key resolves.
UNKNOWN_KEY = pub("oracle-unknown-issuer")
#: Small-order point (the identity): OpenSSL accepts (R=identity, S=0) on any message for it.
SMALL_ORDER_KEY = bytes([1]) + bytes(31)
SMALL_ORDER_SIG = bytes([1]) + bytes(63)

# ------------------------------------------------------------------------ encoding


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def header_bytes(header: dict[str, Any]) -> bytes:
    """PyJWT's header serialisation (sorted keys, compact separators)."""
    return json.dumps(header, separators=(",", ":"), sort_keys=True).encode()


def payload_bytes(claims: dict[str, Any]) -> bytes:
    """PyJWT's payload serialisation (insertion order, compact separators)."""
    return json.dumps(claims, separators=(",", ":")).encode("utf-8")


def jws(header: bytes | str, payload: bytes | str, signer: KeyPair | None, sig: bytes | None = None) -> str:
    """A JWS compact serialisation; ``header``/``payload`` given as bytes are base64url-encoded."""
    h = header if isinstance(header, str) else b64u(header)
    p = payload if isinstance(payload, str) else b64u(payload)
    signing_input = f"{h}.{p}"
    if sig is None:
        assert signer is not None
        sig = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64u(sig)}"


def prev_hash(segment: str) -> str:
    return b64u(hashlib.sha256(segment.encode("ascii")).digest())


def jwk(public_key: bytes) -> dict[str, Any]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u(public_key)}


def jti(case: str, index: int) -> str:
    return b64u(hashlib.sha256(f"{case}/{index}".encode()).digest()[:16])


def decode_segment(segment: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, p, _ = segment.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p))


# ------------------------------------------------------------------- claim builders


def root_claims(
    case: str,
    *,
    tools: list[str] | None = None,
    max_depth: int = 5,
    exp: int = NOW + TTL,
    holder: bytes | None = None,
    domains: list[str] | None = None,
    budget: int | None = None,
    principal: str | None = None,
    iss: str = ISSUER,
) -> dict[str, Any]:
    """Link 0 exactly as ``JwtChain.create_root`` writes it."""
    claims: dict[str, Any] = {
        "iss": iss,
        "sub": agent(0),
        "iat": NOW,
        "exp": exp,
        "jti": jti(case, 0),
        "aip_tools": sorted(ROOT_TOOLS if tools is None else tools),
        "aip_max_depth": max_depth,
        "cnf": {"jwk": jwk(pub(holder_label(0)) if holder is None else holder)},
    }
    if domains is not None:
        claims["aip_domains"] = sorted(domains)
    if budget is not None:
        claims["aip_budget_cents"] = budget
    if principal is not None:
        claims["aip_principal"] = principal
    return claims


def link_claims(
    case: str,
    i: int,
    *,
    tools: list[str] | None = None,
    domains: list[str] | None = None,
    budget: int | None = None,
    exp: int | None = None,
    principal: str | None = None,
    ctx: str | None = "summarise the quarterly report",
    holder: bytes | None = None,
) -> dict[str, Any]:
    """Delegation link i exactly as ``JwtChain.append`` writes it."""
    claims: dict[str, Any] = {
        "iss": agent(i - 1),
        "sub": agent(i),
        "iat": NOW,
        "jti": jti(case, i),
        "prev": PREV,
        "aip_ctx": ctx,
        "cnf": {"jwk": jwk(pub(holder_label(i)) if holder is None else holder)},
    }
    if ctx is None:
        del claims["aip_ctx"]
    if exp is not None:
        claims["exp"] = exp
    if tools is not None:
        claims["aip_tools"] = sorted(tools)
    if domains is not None:
        claims["aip_domains"] = sorted(domains)
    if budget is not None:
        claims["aip_budget_cents"] = budget
    if principal is not None:
        claims["aip_principal"] = principal
    return claims


def chain_claims(case: str, depth: int, **root_kw: Any) -> list[dict[str, Any]]:
    return [root_claims(case, **root_kw)] + [link_claims(case, i) for i in range(1, depth + 1)]


def signer_for(i: int) -> KeyPair:
    """Who signs link i: the root key, then the holder named by link i-1."""
    return keypair("root") if i == 0 else keypair(holder_label(i - 1))


def sign_chain(
    claims: list[dict[str, Any]],
    *,
    signers: dict[int, KeyPair] | None = None,
    headers: dict[int, dict[str, Any]] | None = None,
    raw_payloads: dict[int, bytes] | None = None,
) -> str:
    """Sign every link with the right key (unless overridden), filling ``prev`` as it goes."""
    segments: list[str] = []
    for i, c in enumerate(claims):
        c = {k: (prev_hash(segments[-1]) if v is PREV else v) for k, v in c.items()}
        signer = (signers or {}).get(i, signer_for(i))
        header = header_bytes((headers or {}).get(i, LINK_HEADER))
        payload = (raw_payloads or {}).get(i, payload_bytes(c))
        segments.append(jws(header, payload, signer))
    return "~".join(segments)


# --------------------------------------------------------------------- SDK minting


@contextlib.contextmanager
def fixed_jtis(case: str) -> Iterator[None]:
    """Make ``JwtChain`` draw ``jti(case, 0), jti(case, 1), ...`` instead of random ones."""
    counter = iter(range(1000))
    fake = types.SimpleNamespace(token_urlsafe=lambda _n=16: jti(case, next(counter)))
    with mock.patch.object(jwt_chain, "secrets", fake):
        yield


def sdk_mint(
    case: str,
    depth: int,
    *,
    tools: list[str] | None = None,
    max_depth: int = 5,
    domains: list[str] | None = None,
    budget: int | None = None,
    principal: str | None = None,
    links: dict[int, dict[str, Any]] | None = None,
) -> JwtChain:
    """A chain minted by the SDK itself (it refuses anything its verifier would refuse)."""
    with fixed_jtis(case):
        chain = JwtChain.create_root(
            issuer=ISSUER,
            delegate=agent(0),
            tools=ROOT_TOOLS if tools is None else tools,
            max_depth=max_depth,
            ttl_seconds=TTL,
            issuer_keypair=keypair("root"),
            holder_public_key=pub(holder_label(0)),
            budget_cents=budget,
            domains=domains,
            principal=principal,
            now=NOW,
        )
        for i in range(1, depth + 1):
            kw = (links or {}).get(i, {})
            chain = chain.append(
                holder_keypair=keypair(holder_label(i - 1)),
                delegate=agent(i),
                next_holder_public_key=pub(holder_label(i)),
                context=kw.get("context", "summarise the quarterly report"),
                tools=kw.get("tools"),
                domains=kw.get("domains"),
                budget_cents=kw.get("budget_cents"),
                ttl_seconds=kw.get("ttl_seconds"),
                principal=kw.get("principal"),
                now=NOW,
            )
    return chain


def compact_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": agent(0),
        "scope": ["tool:search", "tool:read_*"],
        "budget_usd": 2.5,
        "max_depth": 0,
        "iat": NOW - 60,
        "exp": NOW + TTL,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def sdk_compact(**overrides: Any) -> str:
    return str(CompactToken.create(AipClaims(**compact_claims(**overrides)), keypair("root")))


def forge_compact(
    claims: dict[str, Any] | None = None,
    *,
    header: dict[str, Any] | None = None,
    raw_payload: bytes | None = None,
    signer: str = "root",
) -> str:
    payload = raw_payload if raw_payload is not None else payload_bytes(claims or compact_claims())
    return jws(header_bytes(header or LEGACY_HEADER), payload, keypair(signer))


# ------------------------------------------------------------------------- oracle


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None
    http_status: int | None


@contextlib.contextmanager
def sdk_clock(now: int) -> Iterator[None]:
    """Fix every clock the SDK reads: ``time.time`` in jwt_chain and PyJWT's ``datetime.now``."""

    class FixedDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> FixedDatetime:
            return cls.fromtimestamp(now, tz)

    fake_time = types.SimpleNamespace(time=lambda: float(now))
    with (
        mock.patch.object(jwt.api_jwt, "datetime", FixedDatetime),
        mock.patch.object(jwt_chain, "time", fake_time),
    ):
        yield


def declared_issuer(token: str) -> str | None:
    """``iss`` of link 0, read without verification (PyJWT parse); None when unreadable."""
    try:
        claims = jwt.decode(token.split("~")[0], options={"verify_signature": False})
    except Exception:
        return None
    iss = claims.get("iss")
    return iss if isinstance(iss, str) else None


def resolve_root_key(
    issuer: str | None, trusted: dict[str, bytes], resolve_key_ids: bool = True
) -> bytes | None:
    """V2: the configured key for the declared issuer, else the key an ``aip:key:ed25519:z...`` id encodes."""
    if issuer is None:
        return None
    if issuer in trusted:
        return trusted[issuer]
    if not resolve_key_ids:
        return None
    try:
        aid = AipId.parse(issuer)
        if aid.scheme != "key" or aid.algorithm != "ed25519" or aid.public_key_multibase is None:
            return None
        key = KeyPair.decode_multibase(aid.public_key_multibase)
    except Exception:
        return None
    return key if len(key) == 32 else None


def _code(run: Callable[[], object]) -> str | None:
    try:
        run()
    except TokenError as e:
        return str(e.wire_code)
    except Exception:
        return "aip_signature_invalid"  # what aip_mcp.proxy answers for anything else
    return None


def sdk_verify(
    token: str,
    tool: str,
    domain: str | None,
    trusted: dict[str, bytes],
    now: int,
    resolve_key_ids: bool = True,
) -> Verdict:
    """The SDK's verdict: V2 key resolution, ``JwtChain.verify`` (V1, V3-V5), ``authorize`` (V6)."""
    with sdk_clock(now):
        if token == "":
            reason: str | None = "aip_token_missing"
        else:
            key = resolve_root_key(declared_issuer(token), trusted, resolve_key_ids)
            if key is None:
                reason = _code(lambda: JwtChain.verify(token, UNKNOWN_KEY, now=now))
                if reason in (None, "aip_signature_invalid"):
                    reason = "aip_identity_unresolvable"
            else:
                root_key = key
                reason = _code(lambda: JwtChain.verify(token, root_key, now=now).authorize(tool, domain))
    return Verdict(reason is None, reason, None if reason is None else _status_for(reason))


def middleware_reason(token: str, tool: str, key: bytes, now: int) -> str | None:
    """``aip_mcp.middleware.verify_request`` with the clock fixed (a cross-check of the oracle)."""
    with sdk_clock(now):
        return _code(lambda: verify_request({"X-AIP-Token": token}, key, tool))


def mode_of(token: str) -> str:
    try:
        return str(detect_mode(token))
    except TokenError:
        return "malformed"


# -------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    kind: str
    token: str
    tool: str = "tool:search"
    domain: str | None = None
    trusted: dict[str, bytes] = field(default_factory=lambda: {ISSUER: pub("root")})
    now: int = NOW
    hygiene: bool = False
    chainproof_reason: str | None = None  # only for hygiene cases: chainproof is stricter on purpose
    note: str = ""
    sdk: Verdict | None = None

    def expected(self) -> tuple[bool, str | None]:
        """What chainproof.aip (default options) must answer."""
        assert self.sdk is not None
        if self.hygiene:
            return False, self.chainproof_reason
        return self.sdk.ok, self.sdk.reason

    def to_json(self) -> dict[str, Any]:
        assert self.sdk is not None
        ok, reason = self.expected()
        return {
            "name": self.name,
            "kind": self.kind,
            "token": self.token,
            "tool": self.tool,
            "domain": self.domain,
            "trusted_issuers": {k: v.hex() for k, v in sorted(self.trusted.items())},
            "now": self.now,
            "sdk": {"ok": self.sdk.ok, "reason": self.sdk.reason, "http_status": self.sdk.http_status},
            "hygiene": self.hygiene,
            "expected": {
                "ok": ok,
                "reason": reason,
                "http_status": None if reason is None else _status_for(reason),
            },
            "note": self.note,
        }


def _replace_segment(token: str, index: int, new: str) -> str:
    segs = token.split("~")
    segs[index] = new
    return "~".join(segs)


def _flip_char(text: str, pos: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    c = text[pos]
    repl = alphabet[(alphabet.index(c) + 1) % 64] if c in alphabet else "A"
    return text[:pos] + repl + text[pos + 1 :]


def _raw(claims: dict[str, Any], prev_segment: str | None = None) -> dict[str, Any]:
    return {k: (prev_hash(prev_segment) if v is PREV and prev_segment else v) for k, v in claims.items()}


def build_cases() -> list[Case]:
    cases: list[Case] = []

    def add(case: Case) -> None:
        cases.append(case)

    # ---- valid JWT chains at depths 0-5, minted by the SDK
    for depth in range(6):
        chain = sdk_mint(f"valid-d{depth}", depth)
        add(Case(f"valid-depth{depth}", "valid", chain.serialize()))
        add(Case(f"valid-depth{depth}-prefix-tool", "valid", chain.serialize(), tool="tool:read_file"))
    narrowed = sdk_mint(
        "valid-narrow",
        4,
        domains=["a.example", "b.example", "c.example"],
        budget=5000,
        principal="user:alice",
        links={
            1: {"tools": ["tool:read_*", "tool:search"], "domains": ["a.example", "b.example"]},
            2: {"tools": ["tool:read_file"], "budget_cents": 1000, "ttl_seconds": 600},
            3: {"budget_cents": 1000, "principal": "user:alice", "ttl_seconds": 600},
            4: {"domains": ["b.example"], "budget_cents": 0},
        },
    )
    nt = narrowed.serialize()
    add(Case("valid-narrowed-domain", "valid", nt, tool="tool:read_file", domain="b.example"))
    add(Case("valid-narrowed-no-domain", "valid", nt, tool="tool:read_file"))
    add(Case("tool-not-covered-after-narrowing", "tool_not_covered", nt, tool="tool:search"))
    add(Case("domain-not-covered", "domain_not_covered", nt, tool="tool:read_file", domain="a.example"))
    add(Case("domain-not-covered-case", "domain_not_covered", nt, tool="tool:read_file", domain="B.example"))
    add(Case("tool-not-covered-prefix-literal", "tool_not_covered", nt, tool="tool:read_"))
    wild = sdk_mint(
        "valid-wild", 2, tools=["*"], links={1: {"tools": ["tool:*"]}, 2: {"tools": ["tool:db.*"]}}
    )
    add(Case("valid-wildcard-chain", "valid", wild.serialize(), tool="tool:db.query"))
    add(Case("tool-not-covered-wildcard", "tool_not_covered", wild.serialize(), tool="tool:fs.read"))
    add(Case("valid-wildcard-star-in-middle", "valid", wild.serialize(), tool="tool:db.*"))
    add(
        Case(
            "tool-not-covered-depth0", "tool_not_covered", sdk_mint("nc0", 0).serialize(), tool="tool:delete"
        )
    )
    add(
        Case(
            "valid-domain-ignored-without-domains",
            "valid",
            sdk_mint("dom0", 1).serialize(),
            domain="x.example",
        )
    )
    add(Case("valid-expiry-boundary", "valid", sdk_mint("exp-b", 2).serialize(), now=NOW + TTL))
    add(Case("expired-root", "expired", sdk_mint("exp-r", 2).serialize(), now=NOW + TTL + 1))
    add(Case("expired-root-depth0", "expired", sdk_mint("exp-r0", 0).serialize(), now=NOW + TTL + 1))
    add(Case("valid-before-iat", "valid", sdk_mint("pre-iat", 1).serialize(), now=NOW - 86400))
    leaf_exp = sdk_mint("exp-l", 2, links={2: {"ttl_seconds": 60}})
    add(Case("expired-link", "expired", leaf_exp.serialize(), now=NOW + 61))
    add(Case("valid-link-exp-boundary", "valid", leaf_exp.serialize(), now=NOW + 60))

    # aip:key issuers resolve to the key their identifier encodes
    kid_iss = key_id(pub("root"))
    t = sign_chain([root_claims("keyid", iss=kid_iss), link_claims("keyid", 1)])
    add(Case("valid-aip-key-issuer", "valid", t, trusted={}))
    add(Case("valid-aip-key-issuer-untouched-trust", "valid", t))
    t = sign_chain([root_claims("keyid-w", iss=key_id(pub("mallory"))), link_claims("keyid-w", 1)])
    add(Case("aip-key-issuer-wrong-signer", "wrong_root_key", t, trusted={}))
    for nm, iss in [
        ("aip-key-bad-base58", "aip:key:ed25519:z0OIl"),
        ("aip-key-short", "aip:key:ed25519:z" + base58.b58encode(pub("root")[:31]).decode()),
        ("aip-key-other-alg", "aip:key:ED25519:z" + base58.b58encode(pub("root")).decode()),
        ("aip-key-no-z", "aip:key:ed25519:" + base58.b58encode(pub("root")).decode()),
    ]:
        add(Case(nm, "unknown_issuer", sign_chain([root_claims(nm, iss=iss)]), trusted={}))
    # trust configured for an aip:key id overrides what the id encodes
    t = sign_chain([root_claims("keyid-cfg", iss=kid_iss)], signers={0: keypair("mallory")})
    add(Case("aip-key-configured-key-wins", "valid", t, trusted={kid_iss: pub("mallory")}))
    add(
        Case(
            "aip-key-configured-key-wrong",
            "wrong_root_key",
            sign_chain([root_claims("kc2", iss=kid_iss)]),
            trusted={kid_iss: pub("mallory")},
        )
    )

    # ---- root binding
    base2 = sign_chain(chain_claims("rb", 2))
    add(Case("wrong-root-key", "wrong_root_key", base2, trusted={ISSUER: pub("mallory")}))
    add(Case("unknown-issuer", "unknown_issuer", base2, trusted={OTHER_ISSUER: pub("root")}))
    add(Case("no-trusted-issuers", "unknown_issuer", base2, trusted={}))
    t = sign_chain([root_claims("rb-o", iss=OTHER_ISSUER), link_claims("rb-o", 1)])
    add(
        Case(
            "issuer-claims-other-trusted",
            "wrong_root_key",
            t,
            trusted={ISSUER: pub("root"), OTHER_ISSUER: pub("other-root")},
        )
    )
    t = sign_chain(chain_claims("rb-m", 1), signers={0: keypair("mallory")})
    add(Case("root-signed-by-mallory", "wrong_root_key", t))
    add(
        Case(
            "unknown-issuer-and-garbage-link1",
            "unknown_issuer",
            base2.split("~")[0] + "~e30.e30.AAAA",
            trusted={},
        )
    )

    # ---- widening (forged: the SDK refuses to mint these)
    def forged(case: str, depth: int, at: int, root_kw: dict[str, Any] | None = None, **link_kw: Any) -> str:
        claims = chain_claims(case, depth, **(root_kw or {}))
        claims[at] = link_claims(case, at, **link_kw)
        return sign_chain(claims)

    add(Case("widen-tools-new", "widen_tools", forged("wt1", 2, 1, tools=["tool:search", "tool:delete"])))
    add(Case("widen-tools-star", "widen_tools", forged("wt2", 2, 2, tools=["*"])))
    add(Case("widen-tools-prefix", "widen_tools", forged("wt3", 3, 3, tools=["tool:read*"])))
    claims = chain_claims("wt4", 3)
    claims[1] = link_claims("wt4", 1, tools=["tool:search"])
    claims[2] = link_claims("wt4", 2, tools=["tool:write"])
    add(Case("widen-tools-against-effective", "widen_tools", sign_chain(claims), tool="tool:write"))
    add(
        Case(
            "widen-tools-depth5", "widen_tools", forged("wt5", 5, 5, tools=["tool:admin"]), tool="tool:admin"
        )
    )
    dom = {"domains": ["a.example"]}
    add(
        Case(
            "widen-domains",
            "widen_domains",
            forged("wd1", 2, 2, dom, domains=["a.example", "evil.example"]),
            domain="a.example",
        )
    )
    claims = chain_claims("wd2", 3, domains=["a.example", "b.example"])
    claims[1] = link_claims("wd2", 1, domains=["a.example"])
    claims[3] = link_claims("wd2", 3, domains=["b.example"])
    add(Case("widen-domains-against-effective", "widen_domains", sign_chain(claims), domain="b.example"))
    add(
        Case(
            "valid-domains-declared-below-root",
            "valid",
            forged("wd3", 2, 1, domains=["x.example"]),
            domain="x.example",
        )
    )
    add(Case("widen-budget", "widen_budget", forged("wb1", 2, 2, {"budget": 1000}, budget=1001)))
    claims = chain_claims("wb2", 3, budget=1000)
    claims[1] = link_claims("wb2", 1, budget=10)
    claims[3] = link_claims("wb2", 3, budget=11)
    add(Case("widen-budget-against-effective", "widen_budget", sign_chain(claims)))
    add(Case("negative-budget-link", "widen_budget", forged("wb3", 1, 1, budget=-1)))
    add(Case("negative-budget-root", "widen_budget", sign_chain(chain_claims("wb4", 1, budget=-5))))
    add(Case("valid-budget-declared-below-root", "valid", forged("wb5", 2, 2, budget=10**6)))
    add(Case("widen-expiry", "widen_expiry", forged("we1", 2, 1, exp=NOW + TTL + 1)))
    claims = chain_claims("we2", 3)
    claims[1] = link_claims("we2", 1, exp=NOW + 100)
    claims[2] = link_claims("we2", 2, exp=NOW + 200)
    add(Case("widen-expiry-against-effective", "widen_expiry", sign_chain(claims)))
    add(Case("expired-link-forged", "expired", forged("we3", 2, 2, exp=NOW - 1)))
    add(
        Case(
            "principal-change",
            "principal_change",
            forged("pc1", 2, 2, {"principal": "user:alice"}, principal="user:mallory"),
        )
    )
    claims = chain_claims("pc2", 3)
    claims[1] = link_claims("pc2", 1, principal="user:alice")
    claims[3] = link_claims("pc2", 3, principal="user:bob")
    add(Case("principal-change-below-root", "principal_change", sign_chain(claims)))
    add(Case("valid-principal-declared-late", "valid", forged("pc3", 2, 2, principal="user:carol")))

    # ---- depth and delegation-link rules
    add(Case("depth-exceeded", "depth_exceeded", sign_chain(chain_claims("dx1", 3, max_depth=2))))
    add(Case("depth-exceeded-zero", "depth_exceeded", sign_chain(chain_claims("dx2", 1, max_depth=0))))
    add(Case("valid-depth-at-limit", "valid", sign_chain(chain_claims("dx3", 3, max_depth=3))))
    claims = chain_claims("dx4", 2, max_depth=2)
    claims[1]["aip_max_depth"] = 9
    add(Case("max-depth-on-delegation-link", "max_depth_on_link", sign_chain(claims)))
    claims = chain_claims("dx5", 2)
    claims[2]["aip_max_depth"] = 0
    add(Case("max-depth-zero-on-delegation-link", "max_depth_on_link", sign_chain(claims)))
    claims = chain_claims("dx6", 1)
    claims[1]["aip_max_depth"] = None
    add(Case("valid-max-depth-null-on-link", "valid", sign_chain(claims)))
    add(Case("depth-negative-root", "malformed_claims", sign_chain(chain_claims("dx7", 0, max_depth=-1))))
    claims = chain_claims("dx8", 4, max_depth=2)
    claims[2] = link_claims("dx8", 2, tools=["tool:nope"])
    add(Case("depth-before-attenuation", "depth_exceeded", sign_chain(claims)))
    for nm, ctx in [
        ("ctx-empty", ""),
        ("ctx-blank", " \t\n"),
        ("ctx-missing", None),
        ("ctx-unicode-space", "\u2003"),
    ]:
        add(Case(f"empty-context-{nm}", "empty_context", forged(nm, 2, 2, ctx=ctx)))
    claims = chain_claims("ctx-n", 1)
    claims[1]["aip_ctx"] = 5
    add(Case("context-not-string", "malformed_claims", sign_chain(claims)))

    # ---- linkage
    claims = chain_claims("lk1", 2)
    claims[2]["prev"] = prev_hash("not-the-previous-link")
    add(Case("wrong-prev", "wrong_prev", sign_chain(claims)))
    claims = chain_claims("lk2", 3)
    del claims[1]["prev"]
    add(Case("missing-prev", "wrong_prev", sign_chain(claims)))
    claims = chain_claims("lk3", 2)
    claims[2]["prev"] = PREV
    good = sign_chain(claims).split("~")
    claims[2]["prev"] = prev_hash(good[1]) + "="
    add(Case("prev-padded", "wrong_prev", sign_chain(claims)))
    claims = chain_claims("lk4", 2)
    claims[2]["iss"] = agent(7)
    add(Case("iss-not-previous-sub", "iss_not_prev_sub", sign_chain(claims)))
    claims = chain_claims("lk5", 2)
    del claims[2]["iss"]
    add(Case("iss-missing-on-link", "iss_not_prev_sub", sign_chain(claims)))
    t = sign_chain(chain_claims("lk6", 3), signers={2: keypair("mallory")})
    add(Case("link-signed-by-wrong-key", "wrong_signer", t))
    t = sign_chain(chain_claims("lk7", 2), signers={2: keypair("root")})
    add(Case("link-signed-by-root-key", "wrong_signer", t))
    t = sign_chain(chain_claims("lk8", 2), signers={1: keypair(holder_label(1))})
    add(Case("link-signed-by-own-holder", "wrong_signer", t))
    a = sign_chain(chain_claims("splice-a", 2)).split("~")
    b = sign_chain(chain_claims("splice-b", 2)).split("~")
    add(Case("spliced-links", "wrong_prev", "~".join([a[0], a[1], b[2]])))
    add(Case("reordered-links", "wrong_signer", "~".join([a[0], a[2], a[1]])))
    add(Case("duplicated-link", "wrong_signer", "~".join([a[0], a[1], a[1]])))

    # ---- tampering (bytes changed after signing)
    v3 = sdk_mint("tamper", 3).serialize()
    segs = v3.split("~")
    h, p, s = segs[0].split(".")
    add(
        Case(
            "tamper-payload-link0-iss",
            "tamper_payload",
            _replace_segment(v3, 0, f"{h}.{_flip_char(p, 10)}.{s}"),
            note="the flipped byte is in iss: no key resolves",
        )
    )
    for li in (0, 2, 3):
        h, p, s = segs[li].split(".")
        mid = len(p) // 2
        add(
            Case(
                f"tamper-payload-link{li}",
                "tamper_payload",
                _replace_segment(v3, li, f"{h}.{_flip_char(p, mid)}.{s}"),
            )
        )
        add(
            Case(
                f"tamper-signature-link{li}",
                "tamper_signature",
                _replace_segment(v3, li, f"{h}.{p}.{_flip_char(s, 5)}"),
            )
        )
    h, p, s = segs[1].split(".")
    add(Case("tamper-header-link1", "tamper_header", _replace_segment(v3, 1, f"{_flip_char(h, 12)}.{p}.{s}")))
    add(
        Case(
            "tamper-header-link0-typ",
            "tamper_header",
            _replace_segment(
                v3, 0, f"{b64u(header_bytes({'alg': 'EdDSA', 'typ': 'JWT'}))}.{segs[0].split('.', 1)[1]}"
            ),
        )
    )
    add(
        Case(
            "tamper-signature-zeroed",
            "tamper_signature",
            _replace_segment(v3, 1, f"{h}.{p}.{b64u(bytes(64))}"),
        )
    )
    add(
        Case(
            "tamper-signature-truncated",
            "tamper_signature",
            _replace_segment(v3, 1, f"{h}.{p}.{b64u(bytes(32))}"),
        )
    )
    add(Case("tamper-signature-empty", "tamper_signature", _replace_segment(v3, 1, f"{h}.{p}.")))
    add(Case("tamper-last-signature-char", "tamper_signature", v3[:-1] + ("A" if v3[-1] != "A" else "Q")))
    add(Case("tamper-prefix-of-chain-truncated", "tamper_payload", v3[: len(v3) - 20]))

    # ---- header variations (re-signed with the right key)
    c1 = chain_claims("hdr", 1)
    header_variants: list[tuple[str, dict[str, Any], str]] = [
        ("alg-none", {"alg": "none", "typ": "aip-link+jwt"}, "header"),
        ("alg-hs256", {"alg": "HS256", "typ": "aip-link+jwt"}, "header"),
        ("alg-ed25519", {"alg": "Ed25519", "typ": "aip-link+jwt"}, "header"),
        ("typ-missing", {"alg": "EdDSA"}, "header"),
        ("typ-jwt", {"alg": "EdDSA", "typ": "JWT"}, "header"),
        ("typ-legacy-in-chain", {"alg": "EdDSA", "typ": "aip+jwt"}, "header"),
        ("typ-case", {"alg": "EdDSA", "typ": "AIP-LINK+JWT"}, "header"),
        ("extra-kid", {"alg": "EdDSA", "typ": "aip-link+jwt", "kid": "k1"}, "header_extra"),
        ("extra-cty", {"alg": "EdDSA", "typ": "aip-link+jwt", "cty": "x", "zzz": [1, 2]}, "header_extra"),
        ("kid-not-string", {"alg": "EdDSA", "typ": "aip-link+jwt", "kid": 7}, "header"),
        ("crit-unknown", {"alg": "EdDSA", "typ": "aip-link+jwt", "crit": ["exp"], "exp": 1}, "header"),
        ("crit-empty", {"alg": "EdDSA", "typ": "aip-link+jwt", "crit": []}, "header"),
        ("b64-true", {"alg": "EdDSA", "typ": "aip-link+jwt", "b64": True}, "header_extra"),
        ("b64-false", {"alg": "EdDSA", "typ": "aip-link+jwt", "b64": False, "crit": ["b64"]}, "header"),
        (
            "jwk-in-header",
            {"alg": "EdDSA", "typ": "aip-link+jwt", "jwk": jwk(pub("mallory"))},
            "header_extra",
        ),
    ]
    for nm, hdr, kind in header_variants:
        for li in (0, 1):
            add(Case(f"header-{nm}-link{li}", kind, sign_chain(c1, headers={li: hdr})))
    # non-object / non-JSON header, signed
    for nm, raw in [("array", b"[]"), ("not-json", b"{alg:EdDSA}"), ("string", b'"EdDSA"')]:
        t = jws(raw, payload_bytes(root_claims("hdr-raw")), keypair("root"))
        add(Case(f"header-{nm}", "malformed_encoding", t))

    # ---- claim types and required claims
    def with_claim(case: str, index: int, name: str, value: Any, depth: int = 1) -> str:
        claims = chain_claims(case, depth)
        if value is _DROP:
            del claims[index][name]
        else:
            claims[index][name] = value
        return sign_chain(claims)

    for nm, idx, name, value, kind in [
        ("root-no-tools", 0, "aip_tools", _DROP, "malformed_claims"),
        ("root-empty-tools", 0, "aip_tools", [], "malformed_claims"),
        ("link-empty-tools", 1, "aip_tools", [], "malformed_claims"),
        ("link-empty-domains", 1, "aip_domains", [], "malformed_claims"),
        ("tools-not-list", 0, "aip_tools", "tool:search", "malformed_claims"),
        ("tools-not-strings", 1, "aip_tools", ["tool:search", 5], "malformed_claims"),
        ("root-no-exp", 0, "exp", _DROP, "malformed_claims"),
        ("root-exp-float", 0, "exp", float(NOW + TTL), "malformed_claims"),
        ("root-exp-string", 0, "exp", str(NOW + TTL), "malformed_claims"),
        ("root-exp-bool", 0, "exp", True, "malformed_claims"),
        ("root-exp-null", 0, "exp", None, "malformed_claims"),
        ("root-no-max-depth", 0, "aip_max_depth", _DROP, "malformed_claims"),
        ("root-max-depth-bool", 0, "aip_max_depth", True, "malformed_claims"),
        ("budget-float", 0, "aip_budget_cents", 10.0, "malformed_claims"),
        ("budget-bool", 1, "aip_budget_cents", False, "malformed_claims"),
        ("no-iss", 0, "iss", _DROP, "malformed_claims"),
        ("no-sub-leaf", 1, "sub", _DROP, "malformed_claims"),
        ("sub-not-string", 1, "sub", 5, "malformed_claims"),
        ("jti-not-string", 1, "jti", 5, "malformed_claims"),
        ("principal-not-string", 1, "aip_principal", ["a"], "malformed_claims"),
        ("aud-present", 1, "aud", "aip:web:api.example", "malformed_claims"),
        ("aud-empty", 1, "aud", "", "extra_claims"),
        ("iat-missing", 1, "iat", _DROP, "extra_claims"),
        ("iat-garbage", 0, "iat", "yesterday", "extra_claims"),
        ("jti-missing", 0, "jti", _DROP, "extra_claims"),
        ("nbf-future", 0, "nbf", NOW + 10**6, "extra_claims"),
        ("extra-claim", 1, "x_vendor", {"nested": [1, 2, {"a": None}]}, "extra_claims"),
        ("anchor", 0, "aip_anchor", {"type": "x"}, "extra_claims"),
        ("tools-null", 1, "aip_tools", None, "extra_claims"),
        ("exp-huge", 0, "exp", 2**70, "extra_claims"),
        (
            "tools-unsorted-dupes",
            0,
            "aip_tools",
            ["tool:write", "tool:search", "tool:search"],
            "extra_claims",
        ),
    ]:
        add(Case(f"claim-{nm}", kind, with_claim(nm, idx, name, value)))
    claims = chain_claims("exp-h2", 1)
    claims[0]["exp"] = 2**70
    claims[1]["exp"] = 2**70 + 1
    add(Case("claim-exp-huge-widened", "widen_expiry", sign_chain(claims)))

    # ---- cnf
    for nm, cnf, kind in [
        ("missing", _DROP, "malformed_claims"),
        ("not-object", "k", "malformed_claims"),
        ("kty-ec", {"jwk": {**jwk(pub("h0")), "kty": "EC"}}, "malformed_claims"),
        ("crv-x25519", {"jwk": {**jwk(pub("h0")), "crv": "X25519"}}, "malformed_claims"),
        ("x-padded", {"jwk": {**jwk(pub("h0")), "x": b64u(pub("h0")) + "="}}, "malformed_claims"),
        ("x-short", {"jwk": jwk(pub("h0")[:31])}, "malformed_claims"),
        ("x-long", {"jwk": jwk(pub("h0") + b"\0")}, "malformed_claims"),
        ("x-std-alphabet", {"jwk": {**jwk(pub("h0")), "x": "+" + b64u(pub("h0"))[1:]}}, "malformed_claims"),
        ("x-not-string", {"jwk": {**jwk(pub("h0")), "x": 5}}, "malformed_claims"),
        ("extra-members", {"jwk": {**jwk(pub("h0")), "kid": "a", "use": "sig"}, "x5t": "q"}, "extra_claims"),
    ]:
        claims = chain_claims(f"cnf-{nm}", 1)
        if cnf is _DROP:
            del claims[0]["cnf"]
        else:
            claims[0]["cnf"] = cnf
        add(Case(f"cnf-{nm}-root", kind, sign_chain(claims)))
    # leaf cnf problems matter too (the leaf key is parsed even though nothing uses it)
    claims = chain_claims("cnf-leaf", 1)
    claims[1]["cnf"] = {"jwk": {"kty": "OKP", "crv": "Ed25519"}}
    add(Case("cnf-leaf-no-x", "malformed_claims", sign_chain(claims)))
    claims = chain_claims("cnf-leaf-pt", 1)
    claims[1]["cnf"] = {"jwk": jwk(b"\xff" * 32)}
    add(Case("cnf-leaf-not-a-point", "extra_claims", sign_chain(claims), note="SDK never loads the leaf key"))

    # ---- malformed encodings
    v1 = sdk_mint("enc", 1).serialize()
    s0, s1 = v1.split("~")
    h1, p1, g1 = s1.split(".")
    add(Case("empty-token", "malformed_encoding", ""))
    for nm, tok in [
        ("trailing-tilde", v1 + "~"),
        ("leading-tilde", "~" + v1),
        ("double-tilde", s0 + "~~" + s1),
        ("two-segments", f"{h1}.{p1}"),
        ("four-segments", f"{s0}.{g1[:4]}~{s1}"),
        ("not-base64-header", "!!!." + s0.split(".", 1)[1]),
        ("space-in-token", v1[:40] + " " + v1[41:]),
        ("non-ascii", s0 + "~" + h1 + ".é" + p1[1:] + "." + g1),
        ("std-base64-signature", s0 + "~" + f"{h1}.{p1}." + g1.replace("-", "+").replace("_", "/")),
        ("signature-len-mod4-1", s0 + "~" + f"{h1}.{p1}.{g1}AAA"),
        ("payload-len-mod4-1", s0 + "~" + f"{h1}.{p1}A.{g1}"),
        ("garbage", "hello"),
        ("json-token", '{"iss":"x"}'),
        ("only-dots", ".."),
    ]:
        add(Case(f"encoding-{nm}", "malformed_encoding", tok))
    # non-canonical trailing bits (PyJWT re-encodes and compares)
    last = g1[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    noncanon = alphabet[alphabet.index(last) | 1]
    add(
        Case(
            "encoding-signature-noncanonical-bits",
            "malformed_encoding",
            f"{s0}~{h1}.{p1}.{g1[:-1]}{noncanon}",
        )
    )
    # signed segments with odd JSON
    root_c = root_claims("json")
    good_payload = payload_bytes(root_c)
    for nm, raw, kind, hyg in [
        ("payload-not-json", b"not json", "malformed_encoding", None),
        ("payload-array", b"[1,2]", "malformed_encoding", None),
        ("payload-trailing-garbage", good_payload + b"x", "malformed_encoding", None),
        ("payload-trailing-space", good_payload + b" ", "valid", None),
        ("payload-bom", b"\xef\xbb\xbf" + good_payload, "json_extension", "aip_token_malformed"),
        ("payload-utf16", good_payload.decode().encode("utf-16-le"), "json_extension", "aip_token_malformed"),
        ("payload-invalid-utf8", good_payload[:-1] + b',"x":"\xff"}', "malformed_encoding", None),
        ("payload-pretty", json.dumps(root_c, indent=2).encode(), "valid", None),
        (
            "payload-duplicate-member",
            good_payload[:-1] + b',"aip_tools":["tool:search"]}',
            "duplicate_member",
            "aip_token_malformed",
        ),
        (
            "payload-duplicate-iss",
            b'{"iss":"aip:web:evil.example",' + good_payload[1:],
            "duplicate_member",
            "aip_token_malformed",
        ),
        ("payload-nan", good_payload[:-1] + b',"x_score":NaN}', "json_extension", "aip_token_malformed"),
        (
            "payload-infinity",
            good_payload[:-1] + b',"x_score":-Infinity}',
            "json_extension",
            "aip_token_malformed",
        ),
        (
            "payload-lone-surrogate",
            good_payload[:-1] + b',"x_note":"\\ud800"}',
            "json_extension",
            "aip_token_malformed",
        ),
        ("payload-exp-nan", good_payload.replace(str(NOW + TTL).encode(), b"NaN"), "malformed_claims", None),
    ]:
        t = jws(header_bytes(LINK_HEADER), raw, keypair("root"))
        add(Case(f"json-{nm}", kind, t, hygiene=hyg is not None, chainproof_reason=hyg))
    for nm, raw in [
        ("header-duplicate-typ", b'{"alg":"EdDSA","typ":"JWT","typ":"aip-link+jwt"}'),
        ("header-duplicate-alg", b'{"alg":"none","alg":"EdDSA","typ":"aip-link+jwt"}'),
    ]:
        t = jws(raw, good_payload, keypair("root"))
        add(Case(f"json-{nm}", "duplicate_member", t, hygiene=True, chainproof_reason="aip_token_malformed"))
    t = jws(b"\xef\xbb\xbf" + header_bytes(LINK_HEADER), good_payload, keypair("root"))
    add(Case("json-header-bom", "json_extension", t, hygiene=True, chainproof_reason="aip_token_malformed"))
    c1 = chain_claims("json-l1", 1)
    for nm, raw in [("not-json", b"not json"), ("array", b"[]"), ("invalid-utf8", b'{"iss":"\xff"}')]:
        t = sign_chain(c1, raw_payloads={1: raw})
        add(Case(f"json-link1-payload-{nm}", "malformed_encoding", t))
    # a UTF-16 surrogate encoded as UTF-8 bytes (ED A0 80): invalid UTF-8, but Python's json.loads(bytes)
    # decodes with "surrogatepass", so the SDK accepts it. Link 0's payload is then unreadable for
    # chainproof, so no issuer is declared; at link 1 it is malformed.
    cesu = b"\xed\xa0\x80"
    t = jws(header_bytes(LINK_HEADER), good_payload[:-1] + b',"x_note":"' + cesu + b'"}', keypair("root"))
    add(
        Case(
            "json-payload-encoded-surrogate",
            "json_extension",
            t,
            hygiene=True,
            chainproof_reason="aip_identity_unresolvable",
        )
    )
    link1 = _raw(c1[1], sign_chain(c1[:1]))
    raw1 = payload_bytes({**link1, "aip_ctx": "summary"}).replace(b'"summary"', b'"summ' + cesu + b'ary"')
    t = sign_chain(c1, raw_payloads={1: raw1})
    add(
        Case(
            "json-link1-payload-encoded-surrogate",
            "json_extension",
            t,
            hygiene=True,
            chainproof_reason="aip_token_malformed",
        )
    )
    link1_bom = b"\xef\xbb\xbf" + payload_bytes(link1)
    add(
        Case(
            "json-link1-payload-bom",
            "json_extension",
            sign_chain(c1, raw_payloads={1: link1_bom}),
            hygiene=True,
            chainproof_reason="aip_token_malformed",
        )
    )
    t = jws(b'{"typ":"aip-link+jwt","alg":"EdDSA"}', good_payload, keypair("root"))
    add(Case("json-header-member-order", "header_extra", t))
    t = jws(b'{ "alg" : "EdDSA", "typ" : "aip-link+jwt" }', good_payload, keypair("root"))
    add(Case("json-header-whitespace", "header_extra", t))
    # padded segments (the signature covers the padded text, so re-signed)
    hp = b64u(header_bytes(LINK_HEADER))
    pp = b64u(good_payload)
    pad_h = hp + "=" * (-len(hp) % 4)
    pad_p = pp + "=" * (-len(pp) % 4)
    assert pad_h != hp or pad_p != pp
    for nm, hh, ppp in [("header", pad_h, pp), ("payload", hp, pad_p)]:
        if hh == hp and ppp == pp:
            continue
        t = jws(hh, ppp, keypair("root"))
        add(Case(f"padding-{nm}", "padding", t, hygiene=True, chainproof_reason="aip_token_malformed"))
    sig = keypair("root").sign(f"{hp}.{pp}".encode())
    sig_text = b64u(sig)
    add(
        Case(
            "padding-signature",
            "padding",
            f"{hp}.{pp}.{sig_text}" + "=" * (-len(sig_text) % 4),
            hygiene=True,
            chainproof_reason="aip_token_malformed",
        )
    )
    add(Case("padding-signature-too-much", "malformed_encoding", f"{hp}.{pp}.{sig_text}===="))
    # cnf.x with non-canonical trailing bits: same key bytes, different text
    x = b64u(pub("h0"))
    x_nc = x[:-1] + alphabet[alphabet.index(x[-1]) | 1]
    assert x_nc != x and b64u_decode(x_nc) == b64u_decode(x)
    claims = chain_claims("cnf-nc", 1)
    claims[0]["cnf"] = {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": x_nc}}
    add(
        Case(
            "cnf-x-noncanonical-bits",
            "noncanonical",
            sign_chain(claims),
            hygiene=True,
            chainproof_reason="aip_token_malformed",
        )
    )
    # small-order key in cnf: anyone can forge the next link (OpenSSL accepts R=identity, S=0)
    claims = chain_claims("so", 1)
    claims[0]["cnf"] = {"jwk": jwk(SMALL_ORDER_KEY)}
    seg0 = sign_chain(claims[:1])
    forged_payload = payload_bytes(_raw(link_claims("so", 1), seg0))
    seg1 = jws(header_bytes(LINK_HEADER), forged_payload, None, sig=SMALL_ORDER_SIG)
    add(
        Case(
            "small-order-cnf-forgery",
            "small_order",
            f"{seg0}~{seg1}",
            hygiene=True,
            chainproof_reason="aip_signature_invalid",
        )
    )
    add(Case("small-order-cnf-leaf", "extra_claims", seg0, note="never used: accepted"))

    # ---- legacy compact tokens
    add(Case("compact-valid", "compact_valid", sdk_compact()))
    add(Case("compact-valid-wildcard", "compact_valid", sdk_compact(), tool="tool:read_file"))
    add(Case("compact-valid-domain-ignored", "compact_valid", sdk_compact(), domain="x.example"))
    add(Case("compact-valid-no-budget", "compact_valid", sdk_compact(budget_usd=None)))
    add(Case("compact-valid-star", "compact_valid", sdk_compact(scope=["*"]), tool="anything"))
    add(Case("compact-tool-not-covered", "tool_not_covered", sdk_compact(), tool="tool:write"))
    add(Case("compact-expired", "expired", sdk_compact(), now=NOW + TTL + 1))
    add(Case("compact-expired-at-exp", "expired", sdk_compact(), now=NOW + TTL, note="PyJWT: exp <= now"))
    add(Case("compact-iat-future", "malformed_claims", sdk_compact(), now=NOW - 61))
    add(Case("compact-valid-iat-now", "compact_valid", sdk_compact(), now=NOW - 60))
    add(Case("compact-wrong-key", "wrong_root_key", sdk_compact(), trusted={ISSUER: pub("mallory")}))
    add(Case("compact-unknown-issuer", "unknown_issuer", sdk_compact(), trusted={OTHER_ISSUER: pub("root")}))
    add(Case("compact-aip-key-issuer", "compact_valid", sdk_compact(iss=kid_iss), trusted={}))
    add(Case("compact-empty-scope", "malformed_claims", sdk_compact(scope=[])))
    add(Case("compact-negative-budget", "widen_budget", sdk_compact(budget_usd=-0.01)))
    add(Case("compact-negative-max-depth", "malformed_claims", sdk_compact(max_depth=-1)))
    add(Case("compact-valid-big-max-depth", "compact_valid", sdk_compact(max_depth=9)))
    ct = sdk_compact()
    ch, cp_, cs = ct.split(".")
    add(Case("compact-tamper-payload-iss", "tamper_payload", f"{ch}.{_flip_char(cp_, 10)}.{cs}"))
    add(Case("compact-tamper-payload", "tamper_payload", f"{ch}.{_flip_char(cp_, len(cp_) // 2)}.{cs}"))
    add(Case("compact-tamper-signature", "tamper_signature", f"{ch}.{cp_}.{_flip_char(cs, 3)}"))
    add(Case("compact-in-chain", "header", f"{ct}~{ct}"))
    for nm, claims_, kind in [
        ("no-exp", compact_claims(exp=_DROP), "malformed_claims"),
        ("no-iat", compact_claims(iat=_DROP), "malformed_claims"),
        ("no-scope", compact_claims(scope=_DROP), "malformed_claims"),
        ("no-max-depth", compact_claims(max_depth=_DROP), "compact_valid"),
        ("budget-missing", compact_claims(budget_usd=_DROP), "compact_valid"),
        ("max-depth-string", compact_claims(max_depth="1"), "compact_coercion"),
        ("max-depth-float-int", compact_claims(max_depth=1.0), "compact_coercion"),
        ("max-depth-float-frac", compact_claims(max_depth=1.5), "malformed_claims"),
        ("max-depth-bool", compact_claims(max_depth=True), "compact_coercion"),
        ("budget-string", compact_claims(budget_usd="1.25"), "compact_coercion"),
        ("budget-int", compact_claims(budget_usd=3), "compact_valid"),
        ("iat-string", compact_claims(iat=str(NOW - 60)), "compact_coercion"),
        ("exp-float", compact_claims(exp=float(NOW + TTL)), "compact_coercion"),
        ("scope-not-list", compact_claims(scope="tool:search"), "malformed_claims"),
        ("scope-not-strings", compact_claims(scope=["tool:search", 1]), "malformed_claims"),
        ("iss-not-string", compact_claims(iss=5), "malformed_claims"),
        ("nbf-future", {**compact_claims(), "nbf": NOW + 100}, "malformed_claims"),
        ("nbf-past", {**compact_claims(), "nbf": NOW - 100}, "compact_valid"),
        ("aud", {**compact_claims(), "aud": "x"}, "malformed_claims"),
        ("extra", {**compact_claims(), "aip_tools": ["tool:other"], "cnf": 1}, "compact_valid"),
        # pydantic v2 lax numbers: Python-style numeric strings, floats only inside the i64 range
        ("budget-string-spaces", compact_claims(budget_usd=" 4 "), "compact_coercion"),
        ("budget-string-exponent", compact_claims(budget_usd="1e3"), "compact_coercion"),
        ("budget-string-leading-dot", compact_claims(budget_usd=".5"), "compact_coercion"),
        ("budget-string-underscore", compact_claims(budget_usd="1_000"), "compact_coercion"),
        ("budget-string-underscore-frac", compact_claims(budget_usd="1_000.5_0"), "compact_coercion"),
        ("budget-string-double-underscore", compact_claims(budget_usd="1__0"), "malformed_claims"),
        ("budget-string-hex", compact_claims(budget_usd="0x10"), "malformed_claims"),
        ("budget-string-inf", compact_claims(budget_usd="inf"), "malformed_claims"),
        ("max-depth-string-plus", compact_claims(max_depth="+3"), "compact_coercion"),
        ("max-depth-string-underscore", compact_claims(max_depth="1_000"), "compact_coercion"),
        ("max-depth-string-float", compact_claims(max_depth="3.0"), "compact_coercion"),
        ("max-depth-string-negative", compact_claims(max_depth="-1"), "malformed_claims"),
        ("max-depth-float-beyond-i64", compact_claims(max_depth=1e19), "malformed_claims"),
        ("max-depth-huge-int", compact_claims(max_depth=2**70), "compact_coercion"),
        ("iat-string-underscore", compact_claims(iat="1_799_999_940"), "compact_coercion"),
        ("iat-string-float", compact_claims(iat="1799999940.0"), "malformed_claims"),
        ("exp-huge-int", compact_claims(exp=2**70), "compact_coercion"),
        ("exp-string-underscore", compact_claims(exp="1_800_003_600"), "compact_coercion"),
        ("exp-float-in-i64", compact_claims(exp=9.2e18), "compact_coercion"),
        ("exp-float-beyond-i64", compact_claims(exp=1e19), "malformed_claims"),
        ("exp-float-1e300", compact_claims(exp=1e300), "malformed_claims"),
        ("exp-float-frac", compact_claims(exp=NOW + TTL + 0.5), "malformed_claims"),
    ]:
        add(Case(f"compact-{nm}", kind, forge_compact(claims_)))
    add(
        Case(
            "compact-budget-nan",
            "malformed_claims",
            forge_compact(raw_payload=payload_bytes(compact_claims()).replace(b"2.5", b"NaN")),
        )
    )
    add(
        Case(
            "compact-budget-infinity",
            "malformed_claims",
            forge_compact(raw_payload=payload_bytes(compact_claims()).replace(b"2.5", b"Infinity")),
        )
    )
    for nm, hdr, kind in [
        ("alg-none", {"alg": "none", "typ": "aip+jwt"}, "header"),
        ("alg-hs256", {"alg": "HS256", "typ": "aip+jwt"}, "header"),
        ("extra-kid", {"alg": "EdDSA", "typ": "aip+jwt", "kid": "k"}, "header_extra"),
        ("typ-jwt", {"alg": "EdDSA", "typ": "JWT"}, "header"),
        ("typ-missing", {"alg": "EdDSA"}, "header"),
    ]:
        add(Case(f"compact-header-{nm}", kind, forge_compact(compact_claims(), header=hdr)))

    for c in cases:
        c.sdk = sdk_verify(c.token, c.tool, c.domain, c.trusted, c.now)
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


# ---------------------------------------------------------------------- helpers for tests


def valid_chain(depth: int, case: str = "prefix") -> tuple[str, list[bytes]]:
    """An SDK-minted chain and the seeds of its holders (index i = key named by link i)."""
    chain = sdk_mint(case, depth)
    return chain.serialize(), [seed(holder_label(i)) for i in range(depth + 1)]


def forged_matches_sdk(depth: int = 3) -> bool:
    """The forger re-creates the SDK's bytes exactly for the same claims."""
    minted = sdk_mint("forger-check", depth).serialize()
    return bool(sign_chain(chain_claims("forger-check", depth, max_depth=5)) == minted)


def compact_forger_matches_sdk() -> bool:
    return forge_compact(compact_claims()) == sdk_compact()

"""Equivalent delegation chains for every peer, and the call each peer's
benchmark times.

One function per peer mints a chain of ``depth`` delegations (``index``
makes the holder keys, and so the tokens, distinct) and returns a case: the
wire form plus what a relying party has next to it (the request, the holder's
proof of possession). A second function per peer builds the relying party's
reusable state once (trusted root, authorizer) and returns ``verify(case)``,
which does what that party would do per request and raises on any refusal.

"Equivalent" means, for every peer:

- the same shape: a root grant and ``depth`` delegations, ``depth + 1``
  signed blocks/links/warrants, every key derived from a fixed seed;
- one capability carrying one numeric bound (``amount <= 100,000`` at the
  root), each hop narrowing the bound by one (``100,000 - hop``), the same
  action (``pay``) at every hop, an expiry on the root;
- the request: action ``pay`` with ``amount = 500``, which every hop allows;
- the wire form is what crosses the network: each timed call starts from it
  (text or bytes) and decodes it, so no peer is handed pre-parsed objects.

What each peer's timed call includes is spelled out at its verify function
(and in docs/BENCHMARKS.md). chainproof's own chains are made by
``conftest.depth_chain`` with the same shape.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

NOW = 1_800_000_000
ROOT_BOUND = 100_000
AMOUNT = 500
ACTION = "pay"
TTL = 3_600


def seed(tag: int, index: int, hop: int) -> bytes:
    """A 32-byte key seed unique per (peer tag, chain index, hop)."""
    return (tag * 1_000_000_007 + index * 64 + hop).to_bytes(32, "little")


# ---------------------------------------------------------------------------
# AIP reference SDK (agent-identity-protocol), JWT-chain mode
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AipCase:
    """A depth-d AIP JWT chain and one request by its leaf holder."""

    token: str  #: the chain as transmitted: JWS links joined by "~"
    root_public_key: bytes  #: the issuer's raw Ed25519 key (the relying party's trust anchor)
    issuer: str  #: the issuer id the root link declares
    tool: str  #: the tool the request calls
    amount: int  #: the request's amount, in cents (checked against the effective budget)
    now: int  #: verification time
    holder_seed: bytes  #: 32-byte Ed25519 seed of the leaf holder (to build any proof of possession)
    request: bytes  #: the request body the holder signs
    pop: bytes  #: the holder's Ed25519 signature over ``request``


def aip_sdk_chain(depth: int, index: int) -> AipCase:
    """Mint a depth-``depth`` chain with the SDK's own ``JwtChain`` (root link
    with ``aip_tools=["pay"]``, ``aip_budget_cents=100000``; every delegation
    link narrows ``aip_budget_cents`` by one and names the next holder's key
    in ``cnf``)."""
    from aip_core.crypto import KeyPair
    from aip_token.jwt_chain import JwtChain
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def keypair(s: bytes) -> KeyPair:
        return KeyPair(Ed25519PrivateKey.from_private_bytes(s))

    root = keypair(seed(1, 0, 0))
    holders = [keypair(seed(1, index + 1, hop)) for hop in range(depth + 1)]
    issuer = "aip:web:bench.example/root"
    chain = JwtChain.create_root(
        issuer=issuer,
        delegate="agent-0",
        tools=[ACTION],
        max_depth=depth,
        ttl_seconds=TTL,
        issuer_keypair=root,
        holder_public_key=holders[0].public_key_bytes(),
        budget_cents=ROOT_BOUND,
        principal="acme-corp",
        now=NOW,
    )
    for hop in range(1, depth + 1):
        chain = chain.append(
            holder_keypair=holders[hop - 1],
            delegate=f"agent-{hop}",
            next_holder_public_key=holders[hop].public_key_bytes(),
            context=f"hop {hop}",
            budget_cents=ROOT_BOUND - hop,
            now=NOW,
        )
    request = json.dumps(
        {"tool": ACTION, "args": {"amount": AMOUNT}, "invoice": index, "iat": NOW}, sort_keys=True
    ).encode()
    leaf = holders[depth]
    return AipCase(
        token=chain.serialize(),
        root_public_key=root.public_key_bytes(),
        issuer=issuer,
        tool=ACTION,
        amount=AMOUNT,
        now=NOW,
        holder_seed=seed(1, index + 1, depth),
        request=request,
        pop=leaf.sign(request),
    )


def aip_sdk_verifier(*, pop: bool = False) -> Callable[[AipCase], None]:
    """The SDK's relying-party path: ``JwtChain.verify(token, root_key, now)``
    (split the chain, per link: pinned JWS header, PyJWT decode with the
    Ed25519 signature check against the previous link's ``cnf`` key, ``prev``
    hash and ``iss``/``sub`` linkage; then depth, attenuation and expiry on
    the link model) followed by ``.authorize(tool)``, and the budget
    comparison the SDK leaves to the caller (``amount <= effective budget``).

    The SDK has no proof of possession (its own docs call its JWT chains
    bearer-equivalent and tell the relying party to verify one against
    ``leaf_holder_key()``). ``pop=True`` adds that caller-side check: the
    leaf holder's Ed25519 signature over the request, verified with
    ``cryptography`` against ``chain.leaf_holder_key()``.
    """
    from aip_token.error import TokenError
    from aip_token.jwt_chain import JwtChain
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def verify(case: AipCase) -> None:
        chain = JwtChain.verify(case.token, case.root_public_key, now=case.now)
        chain.authorize(case.tool)
        budget = chain.effective.budget_cents
        if budget is None or case.amount > budget:
            raise TokenError.budget_exceeded()
        if pop:
            # raises cryptography.exceptions.InvalidSignature on a bad proof
            Ed25519PublicKey.from_public_bytes(chain.leaf_holder_key()).verify(case.pop, case.request)

    return verify


# ---------------------------------------------------------------------------
# Tenuo
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TenuoCase:
    """A depth-d Tenuo warrant chain as its wire stack, and a PoP for one call."""

    stack: str  #: ``encode_warrant_stack([root, ..., leaf])``: base64 CBOR, what a client sends
    pop: bytes  #: the leaf holder's proof of possession for (tool, args, timestamp)
    tool: str
    amount: int
    as_of: int  #: verification time (the PoP's timestamp; Tenuo issues warrants on the wall clock)


def _tenuo_root() -> object:
    import tenuo_core

    return tenuo_core.SigningKey.from_bytes(seed(2, 0, 0))


def tenuo_chain(depth: int, index: int) -> TenuoCase:
    """Mint with Tenuo's own API: ``Warrant.issue`` with capability
    ``{"pay": {"amount": Range(max=100000)}}`` bound to the first holder,
    then ``depth`` times ``warrant.attenuate({"pay": {"amount":
    Range(max=100000 - hop)}}, holder_key, holder=next_key)``; the PoP is
    ``leaf.sign(leaf_key, "pay", {"amount": 500}, timestamp)``."""
    import tenuo_core as t

    root = _tenuo_root()
    holders = [t.SigningKey.from_bytes(seed(2, index + 1, hop)) for hop in range(depth + 1)]
    warrant = t.Warrant.issue(
        keypair=root,
        capabilities={ACTION: {"amount": t.Range(max=ROOT_BOUND)}},
        ttl_seconds=TTL,
        holder=holders[0].public_key,
    )
    chain = [warrant]
    for hop in range(1, depth + 1):
        chain.append(
            chain[-1].attenuate(
                {ACTION: {"amount": t.Range(max=ROOT_BOUND - hop)}},
                holders[hop - 1],
                holder=holders[hop].public_key,
            )
        )
    stamp = int(time.time())
    pop = bytes(chain[-1].sign(holders[depth], ACTION, {"amount": AMOUNT}, stamp))
    return TenuoCase(stack=t.encode_warrant_stack(chain), pop=pop, tool=ACTION, amount=AMOUNT, as_of=stamp)


def tenuo_verifier() -> Callable[[TenuoCase], None]:
    """Tenuo's enforcement path for a delegated warrant: one ``Authorizer``
    trusting the root (built once), and per request
    ``decode_warrant_stack_base64(stack)`` then ``authorizer.check_chain(chain,
    tool, args, signature=pop, as_of=t)``, which verifies every warrant's
    signature, root trust, linkage, depth, expiry, monotonic attenuation,
    the leaf's constraint on the arguments and the holder's PoP signature."""
    import tenuo_core as t

    authorizer = t.Authorizer(trusted_roots=[_tenuo_root().public_key])  # type: ignore[attr-defined]

    def verify(case: TenuoCase) -> None:
        chain = t.decode_warrant_stack_base64(case.stack)
        authorizer.check_chain(
            chain, case.tool, {"amount": case.amount}, signature=case.pop, as_of=case.as_of
        )

    return verify


# ---------------------------------------------------------------------------
# biscuit-python
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BiscuitCase:
    """A biscuit with ``depth`` attenuation blocks, as bytes."""

    data: bytes
    amount: int
    now: int


def _biscuit_root() -> object:
    import biscuit_auth as b

    return b.KeyPair.from_private_key(b.PrivateKey.from_bytes(seed(3, 0, 0), b.Algorithm.Ed25519))  # type: ignore[call-arg, attr-defined]  # the stubs lag the 0.4 runtime


def biscuit_chain(depth: int, index: int) -> BiscuitCase:
    """Authority block ``right("pay"); check if amount($a), $a <= 100000;
    check if time($t), $t <= expiry;`` (plus a per-token ``token(index)``
    fact so tokens are distinct), then ``depth`` appended blocks each with
    ``check if amount($a), $a <= 100000 - hop``. Biscuit attenuation is
    offline and bearer: blocks are signed with fresh ephemeral keys carried
    in the token, so there is no holder proof of possession."""
    import biscuit_auth as b

    root = _biscuit_root()
    builder = b.BiscuitBuilder(
        'token({index}); right("pay"); check if amount($a), $a <= {bound}; check if time($t), $t <= {exp};',
        {"index": index, "bound": ROOT_BOUND, "exp": NOW + TTL},
    )
    token = builder.build(root.private_key)  # type: ignore[attr-defined]
    for hop in range(1, depth + 1):
        token = token.append(
            b.BlockBuilder("check if amount($a), $a <= {bound};", {"bound": ROOT_BOUND - hop})
        )
    return BiscuitCase(data=bytes(token.to_bytes()), amount=AMOUNT, now=NOW)


def biscuit_verifier() -> Callable[[BiscuitCase], None]:
    """biscuit-python's path: ``Biscuit.from_bytes(data, root_public_key)``
    (parse every block and verify every block signature), then an
    ``AuthorizerBuilder`` with the request's facts (``time``, ``operation``,
    ``amount``) and the policy ``allow if right($op), operation($op)``,
    ``.build(token).authorize()`` (runs the Datalog: every block's checks
    and the policy)."""
    import biscuit_auth as b

    root_public = _biscuit_root().public_key  # type: ignore[attr-defined]
    source = 'time({now}); operation("pay"); amount({amount}); allow if right($op), operation($op);'
    # The authorizer's default run-time limit (1 ms of Datalog) refuses
    # requests when a busy machine preempts it; one second keeps the verdict
    # independent of load without changing the work done.
    limits = b.AuthorizerBuilder("").limits()  # type: ignore[attr-defined]
    limits.max_time = datetime.timedelta(seconds=1)

    def verify(case: BiscuitCase) -> None:
        token = b.Biscuit.from_bytes(case.data, root_public)
        builder = b.AuthorizerBuilder(source, {"now": case.now, "amount": case.amount})
        builder.set_limits(limits)  # type: ignore[attr-defined]
        builder.build(token).authorize()

    return verify

"""``chainproof demo``: a payer delegates one invoice payment to AI agents.

ACME Corp's treasury (principal ``acme-corp``) authorises a bookkeeper agent
to pay invoices up to EUR 50,000 at the bank's API; the bookkeeper delegates
one invoice (EUR 1,250) to a banking agent, which pays it. The bank's
verifier accepts the payment and prints the chain as evidence. Then every
failure mode the design rules out is attempted and must be refused with its
exact reason code and hop.

Everything is fixed (keys from fixed seeds, block ids, nonces and the clock),
so the output is the same on every run. :func:`run` returns 0 only when the
payment is accepted and every attack is refused exactly as expected.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from ._native import Invocation, SigningKey, Token, Verdict, Verifier
from .capability import Capability, Max, OneOf, Value
from .cli import format_capability, format_chain, format_refusal, iso_time

__all__ = ["NOW", "Agents", "Case", "Scenario", "build_cases", "build_scenario", "evaluate", "run"]

NOW = 1_772_443_800
"""The demo's clock: 2026-03-02T09:30:00Z."""

BANK = "bank-api"
PAYROLL = "payroll-api"
PRINCIPAL = "acme-corp"
INVOICE = "INV-2026-0042"
INVOICE_RESOURCE = f"bank/invoices/{INVOICE}"
PURPOSE = "accounts-payable/invoices"
INVOICE_PURPOSE = f"{PURPOSE}/{INVOICE}"
BOOKKEEPER_ID = "spiffe://acme.example/agents/bookkeeper"
BANKING_ID = "spiffe://acme.example/agents/banking"


def _key(name: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(b"chainproof demo key: " + name.encode()).digest())


def _fixed(kind: str, label: str) -> bytes:
    """16 fixed bytes (a block id or a nonce) derived from a label."""
    return hashlib.sha256(f"chainproof demo {kind}: {label}".encode()).digest()[:16]


def _invoice_cap(resource: str, limit: int) -> Capability:
    return Capability(resource, ["pay"], {"amount": Max(limit), "currency": OneOf(["EUR"])})


# --------------------------------------------------------------------------
# the binary envelope, just enough to cut and splice blocks (FORMAT: a CBOR
# array [version, [signed, signature], ...] with definite lengths)


def _head(data: bytes, pos: int) -> tuple[int, int, int]:
    """(major type, argument, position after the head) of the CBOR item at ``pos``."""
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    if info < 24:
        return major, info, pos + 1
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return major, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def _encode_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError("value too large")


def split_blocks(token: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The version and the (signed bytes, signature) pairs of a binary token."""
    major, count, pos = _head(token, 0)
    assert major == 4, "a token is a CBOR array"
    _, version, pos = _head(token, pos)
    blocks: list[tuple[bytes, bytes]] = []
    for _ in range(count - 1):
        _, _, pos = _head(token, pos)  # the two-item envelope
        parts: list[bytes] = []
        for _ in range(2):
            _, length, pos = _head(token, pos)
            parts.append(token[pos : pos + length])
            pos += length
        blocks.append((parts[0], parts[1]))
    return version, blocks


def join_blocks(version: int, blocks: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The binary token made of ``blocks`` (the inverse of :func:`split_blocks`)."""
    out = bytearray(_encode_head(4, len(blocks) + 1) + _encode_head(0, version))
    for signed, signature in blocks:
        out += _encode_head(4, 2)
        out += _encode_head(2, len(signed)) + signed
        out += _encode_head(2, len(signature)) + signature
    return bytes(out)


# --------------------------------------------------------------------------
# the scenario


@dataclass(frozen=True)
class Agents:
    """The three keys and the payer's root token, with the minting steps the
    honest run and the attacks vary."""

    payer: SigningKey
    bookkeeper: SigningKey
    banking: SigningKey
    root_token: Token

    def delegate_to_banking(
        self,
        root: Token | None = None,
        *,
        limit: int = 1_250,
        resource: str = INVOICE_RESOURCE,
        expires_at: int = NOW + 3_600,
        principal: str | None = None,
        check: bool = True,
        label: str,
    ) -> Token:
        """The bookkeeper's hop to the banking agent (variations for the attacks)."""
        return (root or self.root_token).delegate(
            self.bookkeeper,
            subject=self.banking.public_key,
            subject_id=BANKING_ID,
            capabilities=[_invoice_cap(resource, limit)],
            purpose=INVOICE_PURPOSE,
            expires_at=expires_at,
            max_depth=0,
            reason=f"pay invoice {INVOICE} from Globex GmbH, EUR 1,250.00",
            block_id=_fixed("block", label),
            principal=principal,
            check=check,
            now=NOW,
        )

    def invoke(
        self,
        token: Token,
        *,
        audience: str = BANK,
        action: str = "pay",
        resource: str = INVOICE_RESOURCE,
        amount: int = 1_250,
        issued_at: int = NOW,
        label: str,
    ) -> Invocation:
        """An invocation by the banking agent, unchecked (an attacker mints what it likes)."""
        args: dict[str, Value] = {"amount": amount, "currency": "EUR"}
        return token.invoke(
            self.banking,
            audience=audience,
            action=action,
            resource=resource,
            args=args,
            issued_at=issued_at,
            nonce=_fixed("nonce", label),
            check=False,
        )


@dataclass(frozen=True)
class Scenario:
    """The honest delegation chain, the payment and the bank's verifier."""

    agents: Agents
    token: Token
    invocation: Invocation
    bank: Verifier
    names: dict[str, str]


def _payer_root(payer: SigningKey, bookkeeper: SigningKey, *, limit: int, reason: str, label: str) -> Token:
    """A root token from the payer to the bookkeeper: any invoice up to ``limit``."""
    return Token.issue(
        payer,
        subject=bookkeeper.public_key,
        subject_id=BOOKKEEPER_ID,
        capabilities=[_invoice_cap("bank/invoices/*", limit)],
        purpose=PURPOSE,
        audiences=[BANK],
        principal=PRINCIPAL,
        not_before=NOW - 300,
        expires_at=NOW + 8 * 3_600,
        max_depth=2,
        reason=reason,
        block_id=_fixed("block", label),
        now=NOW,
    )


def build_scenario() -> Scenario:
    """The payer's root token, the bookkeeper's delegation, the banking agent's payment."""
    payer, bookkeeper, banking = _key("acme payer root"), _key("bookkeeper agent"), _key("banking agent")
    root_token = _payer_root(
        payer, bookkeeper, limit=50_000, reason="payer: ACME Corp treasury", label="root"
    )
    agents = Agents(payer, bookkeeper, banking, root_token)
    names = {
        payer.public_key.encode(): "ACME payer root key",
        bookkeeper.public_key.encode(): "bookkeeper agent",
        banking.public_key.encode(): "banking agent",
    }
    bank = Verifier([payer.public_key], audience=BANK, purposes=["accounts-payable"])
    token = agents.delegate_to_banking(label="delegation")
    invocation = agents.invoke(token, label="payment")
    return Scenario(agents, token, invocation, bank, names)


@dataclass(frozen=True)
class Case:
    """One attack: what is tried, the reason code and hop it must get."""

    name: str
    expected: str
    expected_hop: int
    attempt: Callable[[], Verdict]

    def matches(self, verdict: Verdict) -> bool:
        """Whether ``verdict`` is the refusal this case expects."""
        return (not verdict.ok) and verdict.reason == self.expected and verdict.hop == self.expected_hop


def _tampered(token: Token) -> bytes:
    """The token's bytes with one byte of the root's signed purpose changed."""
    data = bytearray(token.to_bytes())
    at = bytes(data).index(PURPOSE.encode())
    data[at] ^= 0x03  # "accounts-..." becomes "bccounts-...": still a valid purpose, no longer signed
    return bytes(data)


def _spliced(a: Agents) -> Token:
    """The honest root followed by a hop from another chain of the same payer.

    The bookkeeper signed that hop too (so its signature is valid), but it
    commits to the other chain's root, not to this one."""
    other_root = _payer_root(
        a.payer,
        a.bookkeeper,
        limit=250_000,
        reason="payer: ACME Corp treasury, quarter-end batch",
        label="other root",
    )
    other = a.delegate_to_banking(
        other_root, resource="bank/invoices/INV-2026-0077", limit=90_000, label="other chain"
    )
    version, ours = split_blocks(a.root_token.to_bytes())
    _, theirs = split_blocks(other.to_bytes())
    return Token.decode(join_blocks(version, [ours[0], theirs[1]]))


def build_cases(s: Scenario) -> list[Case]:
    """Every attack of the demo. The replay case expects the honest payment to
    have been accepted by ``s.bank`` first (as :func:`evaluate` does)."""
    a = s.agents
    bank, payroll = s.bank, Verifier([a.payer.public_key], audience=PAYROLL)
    late = NOW + 2 * 3_600

    def at_bank(token: Token | bytes, inv: Invocation, now: int = NOW) -> Callable[[], Verdict]:
        return lambda: bank.verify(token, inv, now=now)

    widened = a.delegate_to_banking(limit=100_000, check=False, label="widened")
    swapped = a.delegate_to_banking(principal="mallory-ltd", check=False, label="swapped")
    short = a.delegate_to_banking(expires_at=NOW + 900, label="short-lived")
    spliced = _spliced(a)
    return [
        Case(
            "ghost permission: the banking agent asks for a refund no hop granted",
            "NOT_COVERED",
            2,
            at_bank(s.token, a.invoke(s.token, action="refund", label="refund")),
        ),
        Case(
            "ghost permission: the banking agent pays a different invoice",
            "NOT_COVERED",
            2,
            at_bank(
                s.token, a.invoke(s.token, resource="bank/invoices/INV-2026-0043", label="other invoice")
            ),
        ),
        Case(
            "scope drift: the payment is sent to payroll-api, a service the chain never named",
            "AUDIENCE_MISMATCH",
            1,
            lambda: payroll.verify(s.token, a.invoke(s.token, audience=PAYROLL, label="payroll"), now=NOW),
        ),
        Case(
            "widening hop: the bookkeeper grants EUR 100,000 out of a EUR 50,000 limit",
            "CAPABILITY_WIDENED",
            1,
            at_bank(widened, a.invoke(widened, amount=75_000, label="widened")),
        ),
        Case(
            "truncated chain: the bookkeeper's wider prefix with the banking agent's invocation",
            "POP_INVALID",
            1,
            at_bank(a.root_token, a.invoke(a.root_token, amount=40_000, label="truncated")),
        ),
        Case(
            "replay: the accepted payment presented again",
            "REPLAYED",
            2,
            at_bank(s.token, s.invocation, now=NOW + 30),
        ),
        Case(
            "tampered byte: one byte of the root's purpose changed in transit",
            "SIGNATURE_INVALID",
            0,
            at_bank(_tampered(s.token), a.invoke(s.token, label="tampered")),
        ),
        Case(
            "spliced block: a hop from another ACME chain (same signer, other parent)",
            "CHAIN_BROKEN",
            1,
            at_bank(
                spliced,
                a.invoke(spliced, resource="bank/invoices/INV-2026-0077", amount=90_000, label="spliced"),
            ),
        ),
        Case(
            "principal swap: a hop restates the principal as mallory-ltd",
            "PRINCIPAL_CHANGED",
            1,
            at_bank(swapped, a.invoke(swapped, label="swapped")),
        ),
        Case(
            "expired hop: the banking agent's 15-minute grant used two hours later",
            "EXPIRED",
            1,
            at_bank(short, a.invoke(short, issued_at=late, label="late"), now=late),
        ),
        Case(
            "over the limit: EUR 1,251 against a EUR 1,250 grant",
            "CONSTRAINT_VIOLATED",
            2,
            at_bank(s.token, a.invoke(s.token, amount=1_251, label="over limit")),
        ),
    ]


def evaluate(s: Scenario | None = None) -> tuple[Scenario, Verdict, list[tuple[Case, Verdict]]]:
    """Verifies the honest payment, then attempts every case, in order."""
    s = s or build_scenario()
    accepted = s.bank.verify(s.token, s.invocation, now=NOW)
    return s, accepted, [(case, case.attempt()) for case in build_cases(s)]


# --------------------------------------------------------------------------
# output


def _symbols(out: TextIO) -> tuple[str, str, str]:
    """(tick, cross, dash): Unicode when the stream can encode it, ASCII otherwise."""
    encoding = getattr(out, "encoding", None)
    if encoding:
        try:
            "\u2713\u2717\u2014".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return "[ok]", "[!!]", "-"
    return "\u2713", "\u2717", "\u2014"


def _act_chain(rfc: object) -> str:
    """``sub <- act <- act ...`` from the RFC 8693 claims (outermost actor first)."""
    if not isinstance(rfc, dict):
        return "(none)"
    parts = [f"sub={rfc.get('sub')}"]
    act = rfc.get("act")
    while isinstance(act, dict):
        parts.append(f"act={act.get('sub')}")
        act = act.get("act")
    return " <- ".join(parts)


def run(out: TextIO = sys.stdout) -> int:
    """Prints the demo to ``out``; 0 when every step behaved as expected."""
    tick, cross, dash = _symbols(out)

    def say(line: str = "") -> None:
        print(line, file=out)

    s, accepted, results = evaluate()
    say("chainproof demo: a payer delegates one invoice payment to AI agents")
    say(
        f"clock fixed at {iso_time(NOW)}; keys, block ids and nonces are fixed, so the output is reproducible"
    )
    say()
    say(f"1. ACME Corp treasury (principal {PRINCIPAL}) authorises the bookkeeper agent ({BOOKKEEPER_ID}):")
    say(f"     {format_capability(s.agents.root_token.to_dict()['hops'][0]['capabilities'][0])}")
    say(f"     purpose {PURPOSE}, audience {BANK} only, at most 2 further delegations")
    say("2. The bookkeeper delegates one invoice to the banking agent:")
    say(f"     {format_capability(s.token.to_dict()['hops'][1]['capabilities'][0])}")
    say(f"     purpose {INVOICE_PURPOSE}, no further delegation")
    say(f"3. The banking agent pays {INVOICE}: pay {INVOICE_RESOURCE} amount=1250 currency=EUR at {BANK}")
    say()
    say(f"The bank's verifier (trusts ACME's root key, audience {BANK}, purposes accounts-payable):")
    failures = 0
    if accepted.ok:
        say(f"  {tick} accepted. Evidence (who delegated what to whom, under which limits, why):")
        evidence = accepted.evidence or {}
        for line in format_chain(evidence, s.names):
            say(f"    {line}")
        say(f"  RFC 8693 act chain: {_act_chain(evidence.get('rfc8693'))}")
        say(f"    {json.dumps(evidence.get('rfc8693'), sort_keys=True)}")
    else:
        failures += 1
        say(f"  {cross} UNEXPECTED: the honest payment was {format_refusal(accepted)}")
    say()
    say("Attacks (each must be refused with exactly this reason code and hop):")
    for case, verdict in results:
        if case.matches(verdict):
            say(f"  {tick} refused as expected: {verdict.reason} (hop {verdict.hop}) {dash} {case.name}")
            say(f"      {verdict.message}")
        else:
            failures += 1
            got = "accepted" if verdict.ok else f"{verdict.reason} (hop {verdict.hop}): {verdict.message}"
            say(
                f"  {cross} UNEXPECTED: {case.name}: expected {case.expected} (hop {case.expected_hop}), "
                f"got {got}"
            )
    say()
    total = len(results) + 1
    if failures:
        say(f"{cross} {failures} of {total} checks did not behave as expected")
        return 1
    say(f"{tick} all {total} checks behaved as expected: payment accepted, {len(results)} attacks refused")
    return 0

"""``chainproof demo``: the payer -> bookkeeper -> banking agent story and its attacks."""

from __future__ import annotations

import io

import chainproof as cp
from chainproof import demo

# The failure modes the demo must show, each with the one code the verifier must give.
REQUIRED = {
    "ghost permission": "NOT_COVERED",
    "scope drift": "AUDIENCE_MISMATCH",
    "widening hop": "CAPABILITY_WIDENED",
    "truncated chain": "POP_INVALID",
    "replay": "REPLAYED",
    "tampered byte": "SIGNATURE_INVALID",
    "spliced block": "CHAIN_BROKEN",
    "principal swap": "PRINCIPAL_CHANGED",
    "expired hop": "EXPIRED",
    "over the limit": "CONSTRAINT_VIOLATED",
}


def test_run_returns_0_and_names_every_expected_code() -> None:
    out = io.StringIO()
    assert demo.run(out) == 0
    text = out.getvalue()
    assert "\u2713 accepted" in text
    assert "UNEXPECTED" not in text
    for code in REQUIRED.values():
        assert f"refused as expected: {code} (hop " in text, code
    assert "all 12 checks behaved as expected" in text


def test_every_case_is_listed_with_its_expected_code_and_hop() -> None:
    _, accepted, results = demo.evaluate()
    assert accepted.ok
    cases = [case for case, _ in results]
    by_kind: dict[str, set[str]] = {}
    for case in cases:
        by_kind.setdefault(case.name.split(":")[0], set()).add(case.expected)
    assert by_kind == {kind: {code} for kind, code in REQUIRED.items()}
    out = io.StringIO()
    demo.run(out)
    lines = out.getvalue().splitlines()
    for case, verdict in results:
        assert verdict.ok is False, case.name
        assert verdict.reason == case.expected, case.name
        assert verdict.hop == case.expected_hop, case.name
        expected = (
            f"  \u2713 refused as expected: {case.expected} (hop {case.expected_hop}) \u2014 {case.name}"
        )
        assert expected in lines, case.name


def test_output_is_reproducible() -> None:
    first, second = io.StringIO(), io.StringIO()
    demo.run(first)
    demo.run(second)
    assert first.getvalue() == second.getvalue()


def test_accepted_evidence_is_printed_readably() -> None:
    out = io.StringIO()
    demo.run(out)
    text = out.getvalue()
    assert "principal: acme-corp" in text
    assert "ACME payer root key -> bookkeeper agent (spiffe://acme.example/agents/bookkeeper)" in text
    assert "capabilities: bank/invoices/*:pay;amount<=50000;currency in EUR" in text
    assert "capabilities: bank/invoices/INV-2026-0042:pay;amount<=1250;currency in EUR" in text
    assert "purpose:      accounts-payable/invoices/INV-2026-0042" in text
    assert "reason:       payer: ACME Corp treasury" in text
    assert (
        "RFC 8693 act chain: sub=acme-corp <- act=spiffe://acme.example/agents/banking"
        " <- act=spiffe://acme.example/agents/bookkeeper"
    ) in text


def test_matches_requires_the_exact_code_and_hop() -> None:
    _, accepted, results = demo.evaluate()
    over_limit = next(c for c, _ in results if c.expected == "CONSTRAINT_VIOLATED")
    verdict = over_limit.attempt()  # a fresh nonce is not needed: refused requests never enter the cache
    assert over_limit.matches(verdict)
    assert not over_limit.matches(accepted)
    wrong_hop = demo.Case(
        over_limit.name, over_limit.expected, over_limit.expected_hop - 1, over_limit.attempt
    )
    assert not wrong_hop.matches(verdict)
    wrong_code = demo.Case(over_limit.name, "NOT_COVERED", over_limit.expected_hop, over_limit.attempt)
    assert not wrong_code.matches(verdict)


def test_replay_case_is_refused_only_because_of_the_earlier_acceptance() -> None:
    s = demo.build_scenario()
    replay = next(c for c in demo.build_cases(s) if c.expected == "REPLAYED")
    first = replay.attempt()  # the bank has not seen the payment yet
    assert first.ok
    second = replay.attempt()
    assert replay.matches(second)


def test_attack_artifacts_are_what_they_claim() -> None:
    s = demo.build_scenario()
    original = s.token.to_bytes()
    tampered = demo._tampered(s.token)
    assert len(tampered) == len(original)
    assert sum(a != b for a, b in zip(original, tampered, strict=True)) == 1
    # the same token untampered, with a fresh verifier, is accepted
    fresh = cp.Verifier([s.agents.payer.public_key], audience="bank-api")
    assert fresh.verify(original, s.invocation, now=demo.NOW).ok

    spliced = demo._spliced(s.agents).to_dict()["hops"]
    honest = s.token.to_dict()["hops"]
    assert spliced[0] == honest[0]
    assert spliced[1]["issuer"] == honest[0]["subject"]  # signed by the right key...
    assert spliced[1]["parent_hash"] != honest[0]["block_hash"]  # ...but for another parent


def test_binary_envelope_helpers_round_trip() -> None:
    s = demo.build_scenario()
    data = s.token.to_bytes()
    version, blocks = demo.split_blocks(data)
    assert version == 1 and len(blocks) == 2
    assert all(len(sig) == 64 for _, sig in blocks)
    assert demo.join_blocks(version, blocks) == data
    prefix = cp.Token.decode(demo.join_blocks(version, blocks[:1]))
    assert prefix == s.agents.root_token


def test_ascii_fallback_when_the_stream_cannot_encode_unicode() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    assert demo.run(stream) == 0
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "[ok] refused as expected: REPLAYED (hop 2) - replay" in text
    assert "\u2713" not in text

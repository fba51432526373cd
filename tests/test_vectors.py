"""The native-format test vectors (tests/vectors/native/).

Each case in ``vectors.json`` names a token and an invocation (text forms), a
verifier configuration, a clock and an optional request, and the verdict the
engine must give (``ok``, ``reason``, ``hop``). ``sequence`` cases run their
steps in order against one verifier with a replay cache. The files are
produced by ``scripts/make_vectors.py``; ``--check`` proves the checked-in
copies are exactly what the generator writes today.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import chainproof as cp

REPO = Path(__file__).resolve().parent.parent
NATIVE = REPO / "tests" / "vectors" / "native"
VECTORS: dict[str, Any] = json.loads((NATIVE / "vectors.json").read_text(encoding="utf-8"))
WORKED: dict[str, Any] = json.loads((NATIVE / "worked_example.json").read_text(encoding="utf-8"))
FORMAT_DOC = REPO / "docs" / "FORMAT.md"

SINGLE = [c for c in VECTORS["cases"] if "sequence" not in c]
SEQUENCES = [c for c in VECTORS["cases"] if "sequence" in c]


def build_verifier(spec: dict[str, Any]) -> cp.Verifier:
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


def request_of(item: dict[str, Any]) -> bytes | None:
    return None if item["request"] is None else bytes.fromhex(item["request"])


def outcome(verdict: cp.Verdict) -> dict[str, Any]:
    return {"ok": verdict.ok, "reason": verdict.reason, "hop": verdict.hop}


@pytest.mark.parametrize("case", SINGLE, ids=[c["name"] for c in SINGLE])
def test_vector(case: dict[str, Any]) -> None:
    verifier = build_verifier(case["verifier"])
    verdict = verifier.verify(case["token"], case["invocation"], now=case["now"], request=request_of(case))
    assert outcome(verdict) == case["expected"], f"{case['description']} ({verdict.message})"
    # Accepted verdicts carry evidence; refused ones never do.
    assert (verdict.evidence is not None) == case["expected"]["ok"]


@pytest.mark.parametrize("case", SEQUENCES, ids=[c["name"] for c in SEQUENCES])
def test_sequence_vector(case: dict[str, Any]) -> None:
    verifier = build_verifier(case["verifier"])
    for i, step in enumerate(case["sequence"]):
        verdict = verifier.verify(
            step["token"], step["invocation"], now=step["now"], request=request_of(step)
        )
        assert outcome(verdict) == step["expected"], f"step {i}: {case['description']} ({verdict.message})"


def test_batches_give_the_single_verdicts() -> None:
    """Cases that share a verifier and a clock, verified as one batch, get their own verdicts."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in SINGLE:
        groups[json.dumps([case["verifier"], case["now"]], sort_keys=True)].append(case)
    batched = 0
    for cases in groups.values():
        if len(cases) < 2:
            continue
        verifier = build_verifier(cases[0]["verifier"])
        pairs: list[tuple[str, str] | tuple[str, str, bytes]] = []
        for c in cases:
            req = request_of(c)
            pairs.append((c["token"], c["invocation"]) if req is None else (c["token"], c["invocation"], req))
        verdicts = verifier.verify_batch(pairs, now=cases[0]["now"])
        assert [outcome(v) for v in verdicts] == [c["expected"] for c in cases]
        batched += len(cases)
    assert batched > len(SINGLE) // 2


def test_every_reason_code_has_a_vector() -> None:
    seen = {c["expected"]["reason"] for c in SINGLE}
    seen |= {s["expected"]["reason"] for c in SEQUENCES for s in c["sequence"]}
    assert set(cp.reason_codes()) <= seen
    assert None in seen
    for depth in range(4):
        token = cp.Token.decode(next(c for c in SINGLE if c["name"] == f"valid_depth_{depth}")["token"])
        assert token.depth == depth


def test_vector_names_are_unique() -> None:
    names = [c["name"] for c in VECTORS["cases"]]
    assert len(names) == len(set(names))


def test_checked_in_vectors_match_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_vectors.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_worked_example_decodes_and_verifies() -> None:
    token = cp.Token.decode(WORKED["token_text"])
    assert token.to_bytes().hex() == WORKED["token_hex"]
    hops = token.to_dict()["hops"]
    assert [h["block_hash"] for h in hops] == [WORKED["block0_hash_hex"], WORKED["block1_hash_hex"]]
    assert hops[1]["parent_hash"] == WORKED["block0_hash_hex"]
    assert token.tip_hash.hex() == WORKED["block1_hash_hex"]
    assert WORKED["block0_signed_hex"] in WORKED["token_hex"]
    invocation = cp.Invocation.decode(WORKED["invocation_text"])
    assert invocation.to_bytes().hex() == WORKED["invocation_hex"]
    assert invocation.to_dict()["args_digest"] == WORKED["args_digest_hex"]
    root = cp.PublicKey.decode(WORKED["root_public_key"])
    assert bytes(root).hex() == WORKED["root_public_key_hex"]
    assert cp.SigningKey.from_seed(bytes.fromhex(WORKED["root_seed"])).public_key == root
    verdict = cp.Verifier([root], "bank", replay_cache=False).verify(token, invocation, now=WORKED["now"])
    assert verdict.ok, verdict.message


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_format_doc_shows_the_generated_worked_example() -> None:
    """docs/FORMAT.md quotes the worked example; it must be today's bytes."""
    doc = _compact(FORMAT_DOC.read_text(encoding="utf-8"))
    for field in (
        "root_public_key_hex",
        "block0_signed_hex",
        "block0_signature_hex",
        "block0_hash_hex",
        "invocation_signed_hex",
        "args_digest_hex",
        "replay_key_hex",
    ):
        assert WORKED[field] in doc, f"FORMAT.md does not show the current {field}"
    for line in WORKED["block0_annotated"]:
        assert _compact(line) in doc, f"FORMAT.md does not show the annotation line {line!r}"

"""chainproof.aip over the recorded AIP interop vectors (tests/vectors/aip/cases.json).

The file is written by ``scripts/make_aip_vectors.py`` from tokens minted (or forged
with the exact encoding of) the reference SDK ``agent-identity-protocol`` 0.6.0, with the
SDK's own verdict recorded for each case. This module deliberately does not import the
SDK, so it runs where the SDK is not installed (e.g. other architectures under
emulation); ``test_aip_interop.py`` runs the generator's ``--check`` against the live SDK.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from chainproof import aip

REPO = Path(__file__).resolve().parent.parent
DOC: dict[str, Any] = json.loads(
    (REPO / "tests" / "vectors" / "aip" / "cases.json").read_text(encoding="utf-8")
)
CASES: list[dict[str, Any]] = DOC["cases"]
BY_NAME = {c["name"]: c for c in CASES}
STATUS_403 = {"aip_scope_insufficient", "aip_budget_exceeded", "aip_depth_exceeded"}

#: What issue 3 asks the interop suite to cover; each kind must have at least one case.
REQUIRED_KINDS = {
    "valid",
    "compact_valid",
    "widen_tools",
    "widen_domains",
    "widen_budget",
    "widen_expiry",
    "principal_change",
    "max_depth_on_link",
    "depth_exceeded",
    "empty_context",
    "wrong_prev",
    "iss_not_prev_sub",
    "wrong_signer",
    "tamper_payload",
    "tamper_header",
    "tamper_signature",
    "wrong_root_key",
    "unknown_issuer",
    "expired",
    "tool_not_covered",
    "domain_not_covered",
    "malformed_encoding",
    "malformed_claims",
    "padding",
    "duplicate_member",
    "header",
}


def trusted_of(case: dict[str, Any]) -> dict[str, bytes]:
    return {iss: bytes.fromhex(k) for iss, k in case["trusted_issuers"].items()}


def mode_of(token: str) -> str:
    """The encoding: compact for a single JWS whose header says typ aip+jwt, else jwt-chain."""
    if "~" in token:
        return "jwt-chain"
    header = token.split(".")[0]
    typ = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("typ")
    return "compact" if typ == "aip+jwt" else "jwt-chain"


def verifier(case: dict[str, Any]) -> aip.Verifier:
    return aip.Verifier(trusted_issuers=trusted_of(case))


def test_file_shape() -> None:
    assert DOC["format"] == "chainproof-aip-interop-vectors/1"
    assert len(CASES) == len(BY_NAME) >= 250
    kinds = Counter(c["kind"] for c in CASES)
    assert REQUIRED_KINDS <= set(kinds), REQUIRED_KINDS - set(kinds)
    for c in CASES:
        exp = c["expected"]
        if not c["hygiene"]:
            assert (exp["ok"], exp["reason"], exp["http_status"]) == (
                c["sdk"]["ok"],
                c["sdk"]["reason"],
                c["sdk"]["http_status"],
            ), c["name"]
        else:
            assert c["sdk"]["ok"] and not exp["ok"], c["name"]
        assert exp["http_status"] == (
            None if exp["reason"] is None else 403 if exp["reason"] in STATUS_403 else 401
        )


@pytest.mark.parametrize("name", [c["name"] for c in CASES])
def test_vector(name: str) -> None:
    case = BY_NAME[name]
    got = verifier(case).verify(case["token"], case["tool"], case["domain"], now=case["now"])
    exp = case["expected"]
    assert (got.ok, got.reason, got.http_status) == (exp["ok"], exp["reason"], exp["http_status"]), (
        f"{name}: sdk={case['sdk']} expected={exp}"
    )
    if got.ok:
        assert got.evidence is not None
        assert got.evidence["mode"] == mode_of(case["token"])
        assert len(got.evidence["links"]) == case["token"].count("~") + 1


def test_vectors_in_batches() -> None:
    # one verify_batch per (trust, clock) group gives exactly what single verification gives
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for c in CASES:
        groups[(json.dumps(c["trusted_issuers"], sort_keys=True), c["now"])].append(c)
    assert max(len(g) for g in groups.values()) > 150
    for cases in groups.values():
        got = verifier(cases[0]).verify_batch(
            [(c["token"], c["tool"], c["domain"]) for c in cases], now=cases[0]["now"]
        )
        single = verifier(cases[0])
        want = [single.verify(c["token"], c["tool"], c["domain"], now=c["now"]) for c in cases]
        assert [(g.ok, g.reason, g.http_status, g.link) for g in got] == [
            (w.ok, w.reason, w.http_status, w.link) for w in want
        ]


def test_reason_codes_cover_the_vectors() -> None:
    codes = set(aip.reason_codes())
    assert {c["expected"]["reason"] for c in CASES} - {None} <= codes

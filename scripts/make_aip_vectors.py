#!/usr/bin/env python3
"""Write (or ``--check``) the AIP interop vectors, ``tests/vectors/aip/cases.json``.

The cases come from ``tests/aip_sdk_cases.py``: tokens minted by the reference SDK
(``agent-identity-protocol`` 0.6.0) or forged with its exact encoding, with fixed keys,
fixed ``iat``/``exp``/``jti`` and a fixed clock, so two runs write identical bytes. Each
case records the SDK's own verdict, computed live here, and the verdict chainproof.aip
must give (the SDK's, except for the few ``hygiene`` cases where chainproof is stricter
on purpose). ``tests/test_aip_vectors.py`` replays the file without the SDK.

    python scripts/make_aip_vectors.py           # write the file
    python scripts/make_aip_vectors.py --check   # re-derive with the SDK; exit 1 on any difference
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import aip_sdk_cases as sdk  # noqa: E402

OUT = REPO / "tests" / "vectors" / "aip" / "cases.json"
FORMAT = "chainproof-aip-interop-vectors/1"


def build() -> dict[str, Any]:
    cases = sdk.build_cases()
    assert sdk.forged_matches_sdk(3) and sdk.compact_forger_matches_sdk(), "forger drifted from the SDK"
    return {
        "format": FORMAT,
        "generator": "scripts/make_aip_vectors.py (cases: tests/aip_sdk_cases.py)",
        "sdk_versions": {
            name: metadata.version(name)
            for name in ("agent-identity-protocol", "PyJWT", "cryptography", "pydantic")
        },
        "now": sdk.NOW,
        "http_status": "403: aip_scope_insufficient, aip_budget_exceeded, aip_depth_exceeded; 401: others",
        "cases": [c.to_json() for c in cases],
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def check(doc: dict[str, Any]) -> int:
    if not OUT.exists():
        print(f"{OUT} is missing; run without --check", file=sys.stderr)
        return 1
    stored = json.loads(OUT.read_text(encoding="utf-8"))
    problems: list[str] = []
    if stored.get("sdk_versions") != doc["sdk_versions"]:
        print(f"note: recorded with {stored.get('sdk_versions')}, checking with {doc['sdk_versions']}")
    for key in ("format", "now", "http_status"):
        if stored.get(key) != doc[key]:
            problems.append(f"{key}: file {stored.get(key)!r} != generator {doc[key]!r}")
    old = {c["name"]: c for c in stored.get("cases", [])}
    new = {c["name"]: c for c in doc["cases"]}
    for name in sorted(old.keys() - new.keys()):
        problems.append(f"case {name}: in the file, no longer generated")
    for name in sorted(new.keys() - old.keys()):
        problems.append(f"case {name}: generated, missing from the file")
    for name in sorted(old.keys() & new.keys()):
        for field in sorted(set(old[name]) | set(new[name])):
            if old[name].get(field) != new[name].get(field):
                problems.append(
                    f"case {name}: {field}: file {old[name].get(field)!r} != SDK {new[name].get(field)!r}"
                )
    if [c["name"] for c in stored.get("cases", [])] != [c["name"] for c in doc["cases"]] and not problems:
        problems.append("case order differs")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} difference(s); regenerate with scripts/make_aip_vectors.py", file=sys.stderr)
        return 1
    print(f"{OUT.relative_to(REPO)}: {len(new)} cases agree with the SDK")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="re-derive with the SDK and compare")
    args = parser.parse_args(argv)
    doc = build()
    if args.check:
        return check(doc)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(doc), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)} ({len(doc['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

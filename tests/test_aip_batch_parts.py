"""Long AIP batches are verified in parts; nothing about the verdicts may show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chainproof import aip

PART = 4096  # REQUESTS_PER_PART in rust/python/src/aip.rs
CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "vectors" / "aip" / "cases.json").read_text(encoding="utf-8")
)["cases"]
VALID = next(c for c in CASES if c["name"] == "valid-depth0")
REFUSED = next(
    c
    for c in CASES
    if c["sdk"]["reason"] == "aip_signature_invalid" and c["trusted_issuers"] == VALID["trusted_issuers"]
)


def verifier(**kwargs: Any) -> aip.Verifier:
    trusted = {iss: bytes.fromhex(k) for iss, k in VALID["trusted_issuers"].items()}
    return aip.Verifier(trusted_issuers=trusted, **kwargs)


def test_a_batch_longer_than_a_part_keeps_order_and_count() -> None:
    items: list[tuple[str, str]] = [(VALID["token"], VALID["tool"])] * (PART + 40)
    bad_at = {5, PART - 1, PART, PART + 39}
    for i in bad_at:
        items[i] = (REFUSED["token"], REFUSED["tool"])
    items[PART + 7] = ("not a token", VALID["tool"])
    v = verifier()
    verdicts = v.verify_batch(items, now=VALID["now"])
    assert len(verdicts) == len(items)
    expected: list[str | None] = [None] * len(items)
    for i in bad_at:
        expected[i] = REFUSED["sdk"]["reason"]
    expected[PART + 7] = "aip_token_malformed"
    assert [x.reason for x in verdicts] == expected
    stats = v.stats()
    assert (stats["calls"], stats["requests"], stats["accepted"]) == (1, len(items), len(items) - 5)


def test_the_batch_limit_applies_to_the_whole_batch() -> None:
    v = verifier(max_batch=PART + 1)
    item = (VALID["token"], VALID["tool"])
    assert all(x.ok for x in v.verify_batch([item] * (PART + 1), now=VALID["now"]))
    over = v.verify_batch([item] * (PART + 2), now=VALID["now"])
    assert len(over) == PART + 2 and not any(x.ok for x in over)

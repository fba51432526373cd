"""Token verification: batches of depth-3 chains with invocations, and single verify.

The verifiers here run without a replay cache so that the same pairs can be
verified round after round; the cache costs one hash-map insert per accepted
request and is measured separately in later suites.
"""

from __future__ import annotations

import os

import pytest

import chainproof as cp

from conftest import NOW, QUICK, depth_chain, key

BATCH = 100 if QUICK else 1_000
ROOT = key(1)


@pytest.fixture(scope="module")
def wire_pairs() -> list[tuple[str, str]]:
    pairs = [depth_chain(3, i, ROOT) for i in range(BATCH)]
    return [(t.encode(), i.encode()) for t, i in pairs]


def verifier(threads: int | None) -> cp.Verifier:
    return cp.Verifier([ROOT.public_key], audience="bank-api", replay_cache=False, threads=threads)


@pytest.mark.parametrize("threads", [1, os.cpu_count() or 1], ids=lambda n: f"threads={n}")
def test_verify_batch_depth3(benchmark, wire_pairs, threads: int) -> None:  # type: ignore[no-untyped-def]
    v = verifier(threads)
    benchmark.group = f"verify_batch, {BATCH} depth-3 tokens with invocations"
    benchmark.extra_info.update(items=BATCH, baseline="test_verify_batch_depth3[threads=1]")
    verdicts = benchmark(v.verify_batch, wire_pairs, NOW)
    assert len(verdicts) == len(wire_pairs) and all(verdicts)


def test_verify_single_depth3(benchmark, wire_pairs) -> None:  # type: ignore[no-untyped-def]
    v = verifier(1)
    benchmark.group = "single verify, depth-3 token with invocation"
    benchmark.extra_info.update(items=1)
    token, invocation = wire_pairs[0]
    assert benchmark(v.verify, token, invocation, NOW).ok

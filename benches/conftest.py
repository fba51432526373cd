"""Shared data and timing helpers for the benchmark suites.

Sizes and rounds come from the mode: the full suite (``scripts/bench.sh``)
or CI's quick mode (``CHAINPROOF_BENCH_QUICK=1``: small sizes, few rounds,
only depths 0 and 3; it keeps the suite from rotting, its numbers are not
results).

Every benchmark records in ``extra_info``: ``items`` (signatures or tokens
per timed call, so that rows of one group compare per item), ``label`` (the
row's name in the tables), ``threads``, a stable ``row`` id (the target
table finds its rows by it), and ``baseline: True`` on the peer rows the
tables compute ratios against. ``scripts/bench_table.py`` reads them.

The peers' equivalent chains and verify calls are in ``peers.py``; this
directory is put on ``sys.path`` so that ``import peers`` works from any
working directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import chainproof as cp

sys.path.insert(0, str(Path(__file__).parent))

NOW = 1_800_000_000
QUICK = os.environ.get("CHAINPROOF_BENCH_QUICK") == "1"
ALL_THREADS = os.cpu_count() or 1
#: Thread counts measured: one and all; CHAINPROOF_BENCH_ONE_THREAD=1 keeps one
#: (scripts/bench.sh's CPU-time run, where multi-threaded rows mean nothing).
THREADS = [1] if os.environ.get("CHAINPROOF_BENCH_ONE_THREAD") == "1" else sorted({1, ALL_THREADS})

#: Chain depths measured (number of delegations after the root grant).
DEPTHS = (0, 3) if QUICK else (0, 1, 3, 5)
#: Tokens per chainproof batch; the depth-3 batch is the issue's 10,000-token target batch.
BATCH = 64 if QUICK else 1_000
TARGET_BATCH = 64 if QUICK else 10_000
#: Tokens per loop of single calls (every peer, and chainproof's single verify).
LOOP = 16 if QUICK else 256
#: Timed rounds and untimed warm-up rounds of every heavy benchmark.
ROUNDS = 2 if QUICK else 7
WARMUP = 0 if QUICK else 1

ROOT_BOUND = 100_000
AMOUNT = 500


def key(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(i.to_bytes(32, "little"))


ROOT = key(1)


def depth_chain(depth: int, index: int, root: cp.SigningKey = ROOT) -> tuple[cp.Token, cp.Invocation]:
    """A chain of ``depth`` delegations under ``root``, each hop narrowing the
    amount bound by one, and an invocation by its holder: the same shape as
    the peers' chains in ``peers.py`` (one capability, one numeric bound,
    action ``pay``, amount 500)."""
    holders = [key(1_000_000 + index * 16 + h) for h in range(depth + 1)]
    token = cp.Token.issue(
        root,
        subject=holders[0].public_key,
        capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(ROOT_BOUND)})],
        purpose="accounts-payable/invoices",
        audiences=["bank-api"],
        principal="acme-corp",
        not_before=NOW - 60,
        expires_at=NOW + 3600,
        max_depth=depth,
        now=NOW,
    )
    for hop in range(1, depth + 1):
        token = token.delegate(
            holders[hop - 1],
            subject=holders[hop].public_key,
            capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(ROOT_BOUND - hop)})],
            reason=f"hop {hop}",
            now=NOW,
        )
    return token, invoke(token, holders[depth], index)


def invoke(token: cp.Token, holder: cp.SigningKey, index: int, nonce: int | None = None) -> cp.Invocation:
    """The holder's request: pay invoice ``index``, amount 500."""
    return token.invoke(
        holder,
        audience="bank-api",
        action="pay",
        resource=f"bank/invoices/{index}",
        args={"amount": AMOUNT},
        issued_at=NOW,
        nonce=None if nonce is None else nonce.to_bytes(16, "little"),
    )


_chains: dict[int, list[tuple[cp.Token, cp.Invocation]]] = {}


def chains(depth: int, count: int) -> list[tuple[cp.Token, cp.Invocation]]:
    """The first ``count`` distinct chains of ``depth`` (minted once per process)."""
    have = _chains.setdefault(depth, [])
    have.extend(depth_chain(depth, i) for i in range(len(have), count))
    return have[:count]


def leaf_holder(depth: int, index: int) -> cp.SigningKey:
    return key(1_000_000 + index * 16 + depth)


def verifier(**options: Any) -> cp.Verifier:
    """A chainproof verifier trusting ``ROOT`` for the chains above (audience
    ``bank-api``); ``options`` go to ``Verifier`` as keywords."""
    return cp.Verifier([ROOT.public_key], audience="bank-api", **options)


def record(benchmark: Any, group: str, label: str, items: int, *, row: str, **extra: Any) -> None:
    """Name a benchmark for the tables: its group, its label, the items each
    timed call handles and a stable row id (``scripts/bench_table.py`` finds
    the target comparisons by it)."""
    benchmark.group = group
    benchmark.extra_info.update(label=label, items=items, row=row, **extra)


PEER_PACKAGES = (
    "chainproof",
    "PyNaCl",
    "cryptography",
    "numpy",
    "PyJWT",
    "agent-identity-protocol",
    "tenuo",
    "biscuit-python",
    "pytest-benchmark",
)


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    """Record the versions of chainproof and every peer, the thread count and
    the mode next to the results."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in PEER_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    machine_info["chainproof_bench"] = {
        "versions": versions,
        "all_threads": ALL_THREADS,
        "quick": QUICK,
        "rounds": ROUNDS,
        "warmup_rounds": WARMUP,
        # Other processes on the machine skew absolute times and thread scaling most.
        "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def heavy(
    benchmark: Any,
    fn: Callable[[], Any],
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
    cold_keys: bool = False,
) -> Any:
    """Time ``fn`` for a fixed number of rounds (one call each) after warm-up
    rounds: for calls of milliseconds to seconds, where auto-calibration
    would waste minutes. ``cold_keys`` empties chainproof's process-wide
    cache of decoded public keys before every round (untimed), so every key
    is decoded and checked again as if never seen."""
    setup = cp.clear_key_cache if cold_keys else None
    return benchmark.pedantic(fn, setup=setup, rounds=rounds, iterations=1, warmup_rounds=warmup)


def cycle(items: list[Any]) -> Iterator[Any]:
    """Each item once, in order; raises StopIteration when they run out (so
    a benchmark never silently reuses an invocation)."""
    return iter(items)

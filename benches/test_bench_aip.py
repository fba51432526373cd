"""AIP JWT chains: ``chainproof.aip`` against the AIP reference SDK on the
same SDK-minted chains (``peers.aip_sdk_chain``), depths 0, 1, 3 and 5
(quick: 0 and 3).

Both sides do the SDK's relying-party work on the chain text: split the
links, check every link's JWS signature against the previous link's key,
the ``prev`` hashes and linkage, depth, attenuation and expiry, then
authorize the tool. The SDK's row is ``JwtChain.verify(token, root_key,
now).authorize(tool)`` in a loop (no PoP: the SDK has none; the budget
comparison of ``peers.aip_sdk_verifier`` is left out, as ``chainproof.aip``
does not compare amounts either). chainproof's rows use one
``aip.Verifier`` trusting the issuer, replay cache off (no proofs are sent):

- ``verify_batch``, cold: ``link_cache=False`` and the decoded-key cache
  emptied before every round, so every round checks every signature;
- ``verify_batch``, warm: the link cache on and warmed by a first pass, so
  the same chains verify from cached link signatures (a gateway seeing the
  same tokens again);
- single ``verify``, cold: a loop of single calls, ``link_cache=False``,
  keys cold.

The issue's target (issue 3): at least 20 times the SDK at depth 3 on one
core (cold batch, one thread).
"""

from __future__ import annotations

from typing import Any

import peers
import pytest

from chainproof import aip

from conftest import BATCH, DEPTHS, LOOP, THREADS, heavy, record

_cases: dict[int, list[peers.AipCase]] = {}


def cases(depth: int, count: int) -> list[peers.AipCase]:
    """The first ``count`` SDK-minted chains of ``depth`` (minted once)."""
    have = _cases.setdefault(depth, [])
    have.extend(peers.aip_sdk_chain(depth, i) for i in range(len(have), count))
    return have[:count]


def group(depth: int) -> str:
    return f"AIP JWT chain (chainproof.aip against the SDK), depth {depth}"


def verifier(case: peers.AipCase, **options: Any) -> aip.Verifier:
    return aip.Verifier(trusted_issuers={case.issuer: case.root_public_key}, replay_cache=False, **options)


depth_param = pytest.mark.parametrize("depth", DEPTHS, ids=lambda d: f"depth={d}")


@depth_param
@pytest.mark.parametrize("threads", THREADS, ids=lambda n: f"threads={n}")
@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_aip_verify_batch(benchmark: Any, depth: int, threads: int, cache: str) -> None:
    chains = cases(depth, BATCH)
    items = [(c.token, c.tool) for c in chains]
    v = verifier(chains[0], link_cache=cache == "warm", threads=threads)
    if cache == "warm":
        assert all(verdict.ok for verdict in v.verify_batch(items, now=peers.NOW))
    what = "link cache off, keys cold" if cache == "cold" else "links cached"
    record(
        benchmark,
        group(depth),
        f"chainproof.aip verify_batch ({len(items):,} chains), threads={threads}, {cache} ({what})",
        len(items),
        row=f"aip-d{depth}:batch{'' if cache == 'cold' else '-warm'}:t{threads}",
        threads=threads,
    )
    verdicts = heavy(benchmark, lambda: v.verify_batch(items, now=peers.NOW), cold_keys=cache == "cold")
    assert len(verdicts) == len(items) and all(verdict.ok for verdict in verdicts)


@depth_param
def test_aip_verify_single_cold(benchmark: Any, depth: int) -> None:
    chains = cases(depth, LOOP)
    v = verifier(chains[0], link_cache=False)
    record(
        benchmark,
        group(depth),
        "chainproof.aip verify, single calls, cold (link cache off, keys cold)",
        LOOP,
        row=f"aip-d{depth}:single:cold",
        threads=1,
    )

    def loop() -> int:
        return sum(v.verify(c.token, c.tool, now=c.now).ok for c in chains)

    assert heavy(benchmark, loop, cold_keys=True) == LOOP


@depth_param
def test_aip_sdk(benchmark: Any, depth: int) -> None:
    from aip_token.jwt_chain import JwtChain

    chains = cases(depth, LOOP)
    record(
        benchmark,
        group(depth),
        "AIP SDK JwtChain.verify + authorize",
        LOOP,
        row=f"aip-d{depth}:sdk",
        threads=1,
        baseline=True,
    )

    def loop() -> int:
        for c in chains:
            JwtChain.verify(c.token, c.root_public_key, now=c.now).authorize(c.tool)
        return len(chains)

    assert heavy(benchmark, loop) == LOOP

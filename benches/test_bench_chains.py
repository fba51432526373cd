"""Delegation chains at depths 0, 1, 3 and 5 (quick: 0 and 3), each with
proof of possession where the peer has it: chainproof's ``verify_batch``
(one thread and all threads) and single ``verify`` (cold and warm through the
block cache) against the AIP reference SDK, Tenuo and biscuit-python on
equivalent chains (see ``peers.py``).

Every row of a group reports per token, so batches and loops of single
calls compare directly:

- ``verify_batch``: ``BATCH`` distinct chains (the depth-3 group uses the
  issue's 10,000-token batch) in their text forms, replay cache and block
  cache off and the key cache emptied before every round, so every round
  decodes every key and verifies every signature again;
- single ``verify``, cold: ``LOOP`` distinct chains, one call each, on a
  verifier with ``block_cache=False`` and ``replay_cache=False``, the key
  cache emptied before every round: every call checks every signature of
  its chain and invocation;
- single ``verify``, warm: the default verifier (block cache and replay cache
  on), one chain warmed by one verification, then a fresh invocation per
  call: the gateway path, where only the invocation's signature is new (and
  a replay-cache insert, which the cold row does not pay);
- peers: a loop of single calls over ``LOOP`` distinct chains, decoding from
  the wire form every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peers
import pytest

from conftest import (
    BATCH,
    DEPTHS,
    LOOP,
    NOW,
    ROUNDS,
    TARGET_BATCH,
    THREADS,
    WARMUP,
    chains,
    cycle,
    depth_chain,
    heavy,
    invoke,
    leaf_holder,
    record,
    verifier,
)


def batch_size(depth: int) -> int:
    return TARGET_BATCH if depth == 3 else BATCH


def group(depth: int) -> str:
    return f"delegation chain, depth {depth}"


def text_pairs(depth: int) -> list[tuple[str, str]]:
    return [(t.encode(), i.encode()) for t, i in chains(depth, batch_size(depth))]


depth_param = pytest.mark.parametrize("depth", DEPTHS, ids=lambda d: f"depth={d}")


@depth_param
@pytest.mark.parametrize("threads", THREADS, ids=lambda n: f"threads={n}")
def test_chainproof_verify_batch(benchmark: Any, depth: int, threads: int) -> None:
    pairs = text_pairs(depth)
    v = verifier(replay_cache=False, block_cache=False, threads=threads)
    record(
        benchmark,
        group(depth),
        f"chainproof verify_batch ({len(pairs):,} tokens), threads={threads}",
        len(pairs),
        row=f"d{depth}:batch:t{threads}",
        threads=threads,
    )
    verdicts = heavy(benchmark, lambda: v.verify_batch(pairs, NOW), cold_keys=True)
    assert len(verdicts) == len(pairs) and all(verdicts)


def fresh_invocations(depth: int) -> tuple[str, list[str]]:
    """One chain's token text and enough distinct invocations for every call
    of every round."""
    token, _ = depth_chain(depth, 0)
    holder = leaf_holder(depth, 0)
    count = LOOP * (ROUNDS + WARMUP) + 1
    return token.encode(), [invoke(token, holder, 0, nonce=n).encode() for n in range(count)]


@depth_param
def test_chainproof_verify_single_cold(benchmark: Any, depth: int) -> None:
    pairs = text_pairs(depth)[:LOOP]
    v = verifier(block_cache=False, replay_cache=False)
    record(
        benchmark,
        group(depth),
        "chainproof verify, single calls, cold (distinct chains, block cache off, keys cold)",
        LOOP,
        row=f"d{depth}:single:cold",
        threads=1,
    )

    def loop() -> int:
        return sum(v.verify(token, invocation, NOW).ok for token, invocation in pairs)

    assert heavy(benchmark, loop, cold_keys=True) == LOOP


@depth_param
def test_chainproof_verify_single_warm(benchmark: Any, depth: int) -> None:
    token, invocations = fresh_invocations(depth)
    v = verifier()
    stream = cycle(invocations)
    assert v.verify(token, next(stream), NOW).ok  # the verifier now holds the chain's blocks
    record(
        benchmark,
        group(depth),
        "chainproof verify, single calls, warm (one chain, blocks cached, fresh invocation per call)",
        LOOP,
        row=f"d{depth}:single:warm",
        threads=1,
    )

    def loop() -> int:
        return sum(v.verify(token, next(stream), NOW).ok for _ in range(LOOP))

    assert heavy(benchmark, loop) == LOOP


PEERS: dict[str, tuple[str, Callable[[int, int], Any], Callable[[], Callable[[Any], None]], bool]] = {
    "aip": (
        "AIP SDK JwtChain.verify + authorize (no PoP)",
        peers.aip_sdk_chain,
        peers.aip_sdk_verifier,
        True,
    ),
    "aip_pop": (
        "AIP SDK JwtChain.verify + authorize + caller PoP",
        peers.aip_sdk_chain,
        lambda: peers.aip_sdk_verifier(pop=True),
        False,
    ),
    "tenuo": ("Tenuo decode + Authorizer.check_chain (PoP)", peers.tenuo_chain, peers.tenuo_verifier, True),
    "biscuit": (
        "biscuit-python from_bytes + authorize (no PoP)",
        peers.biscuit_chain,
        peers.biscuit_verifier,
        True,
    ),
}


@depth_param
@pytest.mark.parametrize("peer", list(PEERS))
def test_peer(benchmark: Any, depth: int, peer: str) -> None:
    label, mint, make_verifier, baseline = PEERS[peer]
    cases = [mint(depth, i) for i in range(LOOP)]
    verify = make_verifier()
    record(
        benchmark, group(depth), label, LOOP, row=f"d{depth}:{peer}", threads=1, baseline=baseline, peer=peer
    )

    def loop() -> int:
        for case in cases:
            verify(case)
        return len(cases)

    assert heavy(benchmark, loop) == LOOP

"""Shared data for the benchmark suites: deterministic keys and chains."""

from __future__ import annotations

import os

import chainproof as cp

NOW = 1_800_000_000
#: Benchmark sizes; CI's quick mode shrinks them with CHAINPROOF_BENCH_QUICK=1.
QUICK = os.environ.get("CHAINPROOF_BENCH_QUICK") == "1"


def key(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(i.to_bytes(32, "little"))


def depth_chain(depth: int, index: int, root: cp.SigningKey) -> tuple[cp.Token, cp.Invocation]:
    """A chain of `depth` delegations under `root`, each hop narrowing the amount,
    and an invocation by its holder."""
    holders = [key(1_000_000 + index * 16 + h) for h in range(depth + 1)]
    token = cp.Token.issue(
        root,
        subject=holders[0].public_key,
        capabilities=[cp.Capability("bank/invoices/*", ["pay", "read"], {"amount": cp.Max(100_000)})],
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
            capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(100_000 - hop)})],
            reason=f"hop {hop}",
            now=NOW,
        )
    invocation = token.invoke(
        holders[depth],
        audience="bank-api",
        action="pay",
        resource=f"bank/invoices/{index}",
        args={"amount": 500},
        issued_at=NOW,
    )
    return token, invocation

"""Peak memory of one ``Verifier.verify_batch`` over N distinct depth-3 tokens.

    python scripts/bench_memory.py N [--json OUT] [--threads T]

Mints N distinct depth-3 chains with their invocations in text form
(``cpt1.`` / ``cpi1.``), writes them to a temporary file, and verifies them
in one ``verify_batch`` in a fresh Python process. That process imports
chainproof, reads the N pairs into a list of strings (the input), records
its resident set as the baseline, resets the peak (``/proc/self/clear_refs``
on Linux), runs the batch, and reads the peak resident set (``VmHWM``;
``ru_maxrss`` where /proc is missing). Reported: the input size (the sum of
the text bytes), the peak minus the baseline, and the issue's target for it:
3 times the input plus 50 MB. The target is reported, not enforced: the
exit status is non-zero only on an error (including any token refused).

Minting is made fast by sharing: a few depth-2 prefixes (root grant and two
delegations) are minted once, and every token adds its own third delegation
to its own holder key (from a seed) and that holder's invocation, so all N
tokens and invocations are distinct while most of the cost is one
delegation and one invocation per token. The verifier is the default one
(block cache and replay cache on, all threads), as a gateway would run it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import chainproof as cp

NOW = 1_800_000_000
PREFIXES = 64
MB = 1024 * 1024


def key(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(i.to_bytes(32, "little"))


def mint(count: int, out: Path) -> int:
    """Write ``count`` (token, invocation) text pairs, one tab-separated pair
    per line; return the input size in bytes."""
    root = key(1)
    prefixes = []
    for p in range(min(PREFIXES, count)):
        h0, h1, h2 = (key(10_000 + p * 4 + h) for h in range(3))
        token = cp.Token.issue(
            root,
            subject=h0.public_key,
            capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(100_000)})],
            purpose="accounts-payable/invoices",
            audiences=["bank-api"],
            principal="acme-corp",
            not_before=NOW - 60,
            expires_at=NOW + 3600,
            max_depth=3,
            now=NOW,
        )
        for hop, (holder, subject) in enumerate(((h0, h1), (h1, h2)), start=1):
            token = token.delegate(
                holder,
                subject=subject.public_key,
                capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(100_000 - hop)})],
                reason=f"hop {hop}",
                now=NOW,
            )
        prefixes.append((token, h2))
    size = 0
    with out.open("w", encoding="ascii") as f:
        for i in range(count):
            prefix, holder = prefixes[i % len(prefixes)]
            leaf = key(1_000_000 + i)
            token = prefix.delegate(
                holder,
                subject=leaf.public_key,
                capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(100_000 - 3)})],
                reason=f"leaf {i}",
                now=NOW,
            )
            invocation = token.invoke(
                leaf,
                audience="bank-api",
                action="pay",
                resource=f"bank/invoices/{i}",
                args={"amount": 500},
                issued_at=NOW,
            )
            t, v = token.encode(), invocation.encode()
            size += len(t) + len(v)
            f.write(f"{t}\t{v}\n")
    return size


def status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def child(path: Path, threads: int | None) -> dict[str, object]:
    """Runs in the fresh process: read the input, measure around one batch."""
    pairs = []
    with path.open(encoding="ascii") as f:
        for line in f:
            t, v = line.rstrip("\n").split("\t")
            pairs.append((t, v))
    input_bytes = sum(len(t) + len(v) for t, v in pairs)
    verifier = cp.Verifier([key(1).public_key], audience="bank-api", threads=threads)
    gc.collect()
    rss = status_kb("VmRSS")
    reset = False
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        reset = True
    except OSError:
        pass
    baseline = rss * 1024 if rss is not None and reset else maxrss_bytes()
    start = time.perf_counter()
    verdicts = verifier.verify_batch(pairs, NOW)
    seconds = time.perf_counter() - start
    hwm = status_kb("VmHWM")
    peak = hwm * 1024 if hwm is not None and reset else maxrss_bytes()
    accepted = sum(1 for v in verdicts if v.ok)
    return {
        "tokens": len(pairs),
        "accepted": accepted,
        "input_bytes": input_bytes,
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": peak,
        "peak_delta_bytes": peak - baseline,
        "limit_bytes": 3 * input_bytes + 50 * MB,
        "seconds": seconds,
        "threads": verifier.threads,
        "peak_source": "VmHWM after clear_refs" if reset else "ru_maxrss",
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", type=int, help="number of distinct depth-3 tokens (with invocations)")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    parser.add_argument("--threads", type=int, default=None, help="verifier threads (default: all cores)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv[1:])
    if args.child is not None:
        print(json.dumps(child(args.child, args.threads)))
        return 0
    if args.count < 1:
        parser.error("count must be at least 1")
    with tempfile.TemporaryDirectory(prefix="chainproof-mem-") as tmp:
        path = Path(tmp) / "pairs.tsv"
        start = time.perf_counter()
        mint(args.count, path)
        minted = time.perf_counter() - start
        command = [sys.executable, os.path.abspath(__file__), str(args.count), "--child", str(path)]
        if args.threads is not None:
            command += ["--threads", str(args.threads)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        print(f"bench_memory: the measuring process failed (exit {done.returncode})", file=sys.stderr)
        return 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["mint_seconds"] = minted
    if result["accepted"] != result["tokens"]:
        print(f"bench_memory: {result['tokens'] - result['accepted']} tokens refused", file=sys.stderr)
        return 1
    peak, limit = result["peak_delta_bytes"], result["limit_bytes"]
    verdict = "met" if peak <= limit else f"MISSED by {peak / limit:.2f}x"
    print(
        f"memory: verify_batch of {result['tokens']:,} depth-3 tokens ({result['threads']} threads, "
        f"{result['seconds']:.2f} s): input {result['input_bytes'] / MB:.1f} MB, "
        f"peak RSS +{peak / MB:.1f} MB over baseline ({result['peak_source']}); "
        f"target <= 3x input + 50 MB = {limit / MB:.1f} MB: {verdict}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

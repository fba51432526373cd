#!/usr/bin/env bash
# Criterion benchmarks of the native core (rust/core/benches), then a compact
# Markdown table of their medians: per signature against batch size (warm and
# cold decoded-key cache, one shared key, 1 and 2 threads), the verifier
# pipeline per request and per hop (block cache off and on), and decoding.
#
#   bash scripts/bench_native.sh                  # run (~4-6 min on 2 busy cores), then tabulate
#   CHAINPROOF_NATIVE_NO_RUN=1 bash scripts/bench_native.sh   # tabulate the last run only
#   bash scripts/bench_native.sh -- pipeline      # extra args go to criterion (a filter here)
#   CHAINPROOF_BENCH_CPU=1 bash scripts/bench_native.sh        # CPU time instead of wall time
#
# On a machine shared with other jobs, wall time counts the time the bench is
# descheduled; CHAINPROOF_BENCH_CPU=1 times every single-threaded group in
# process CPU time instead (the thread comparison stays in wall time).
#
# Reads target/criterion/**/new/{benchmark,estimates}.json; writes the table
# to stdout and to bench-results/native-table.md. Times are medians of
# criterion's samples, per element (signature, request or token).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${CHAINPROOF_NATIVE_NO_RUN:-0}" != 1 ]]; then
    # Criterion measures wall time: on a shared machine, other load inflates
    # it, so the load average around the run goes into the table.
    load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
    cargo bench -p chainproof-core --bench signatures --bench chains "$@"
    load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
    export CHAINPROOF_NATIVE_LOAD="load average (1/5/15 min) before the run: $load_before; after: $load_after"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p bench-results

python3 - "$target_dir/criterion" bench-results/native-table.md <<'PY'
import json
import os
import platform
import sys
from pathlib import Path

root, out_path = Path(sys.argv[1]), Path(sys.argv[2])
if not root.is_dir():
    sys.exit(f"no criterion results under {root}: run the benches first")

# full id ("group/function") -> (median ns per element, MAD % of median)
results: dict[str, tuple[float, float]] = {}
for bench_json in root.glob("**/new/benchmark.json"):
    meta = json.loads(bench_json.read_text())
    est = json.loads((bench_json.parent / "estimates.json").read_text())
    elements = (meta.get("throughput") or {}).get("Elements") or 1
    median = est["median"]["point_estimate"]
    mad = est["median_abs_dev"]["point_estimate"]
    results[meta["full_id"]] = (median / elements, 100.0 * mad / median if median else 0.0)


def us(full_id: str) -> float | None:
    r = results.get(full_id)
    return None if r is None else r[0] / 1000.0


def fmt_us(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def fmt_rate(v: float | None) -> str:
    return "–" if not v else f"{1e6 / v:,.0f}"


def noise(full_id: str) -> str:
    r = results.get(full_id)
    return "–" if r is None else f"{r[1]:.0f}%"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}×"


lines: list[str] = []
add = lines.append
cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
add(f"# Native core benchmarks (criterion medians)\n")
add(f"Machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}.")
if os.environ.get("CHAINPROOF_NATIVE_LOAD"):
    add(f"{os.environ['CHAINPROOF_NATIVE_LOAD']}.")
if os.environ.get("CHAINPROOF_BENCH_CPU") == "1":
    add("Clock: process CPU time (`CHAINPROOF_BENCH_CPU=1`), except the Threads table (wall time).")
else:
    add("Clock: wall time.")
add("Times are medians per element; `noise` is the median absolute deviation as % of the median.\n")

single_warm, single_cold = us("sig_single/verify/warm"), us("sig_single/verify/cold")
add("## One signature, `crypto::verify`\n")
add("| case | µs | sig/s | noise |")
add("|---|---:|---:|---:|")
for label, fid, is_signature in [
    ("warm key (decoded-key cache hit)", "sig_single/verify/warm", True),
    ("cold key (cache emptied before each call)", "sig_single/verify/cold", True),
    ("key decode alone (`check_public_key`)", "sig_single/key_decode", False),
]:
    v = us(fid)
    add(f"| {label} | {fmt_us(v)} | {fmt_rate(v) if is_signature else '–'} | {noise(fid)} |")

add("\n## Batch size curve, `crypto::verify_batch`, distinct keys, 1 thread\n")
add("| n | warm µs/sig | warm sig/s | warm vs single | cold µs/sig | cold sig/s | cold vs single cold | noise warm/cold |")
add("|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]:
    w, c = f"sig_batch_distinct/warm/{n}", f"sig_batch_distinct/cold/{n}"
    wv, cv = us(w), us(c)
    add(
        f"| {n} | {fmt_us(wv)} | {fmt_rate(wv)} | {ratio(single_warm, wv)} | {fmt_us(cv)} | "
        f"{fmt_rate(cv)} | {ratio(single_cold, cv)} | {noise(w)}/{noise(c)} |"
    )

add("\n## One shared key, `crypto::verify_batch`, 1 thread\n")
add("| n | µs/sig | sig/s | vs distinct warm | noise |")
add("|---:|---:|---:|---:|---:|")
for n in [64, 1024]:
    fid = f"sig_batch_shared_key/warm/{n}"
    v = us(fid)
    add(f"| {n} | {fmt_us(v)} | {fmt_rate(v)} | {ratio(us(f'sig_batch_distinct/warm/{n}'), v)} | {noise(fid)} |")

add("\n## Threads, `crypto::verify_batch_on(items, Threads::Exactly(t))`, distinct warm keys\n")
add("| n | t=1 µs/sig | t=2 µs/sig | t=1 sig/s | t=2 sig/s | speed-up | noise t1/t2 |")
add("|---:|---:|---:|---:|---:|---:|---:|")
for n in [128, 256, 1024, 4096]:
    a, b = f"sig_batch_threads/warm/{n}/t1", f"sig_batch_threads/warm/{n}/t2"
    av, bv = us(a), us(b)
    add(f"| {n} | {fmt_us(av)} | {fmt_us(bv)} | {fmt_rate(av)} | {fmt_rate(bv)} | {ratio(av, bv)} | {noise(a)}/{noise(b)} |")

add("\n## Verifier pipeline, `Verifier::verify_batch`, 256 decoded requests, 1 thread\n")
add("Each request: a distinct chain (one root issuer) plus its invocation: depth + 2 signatures.")
add("Block cache on = warmed, so only the invocation signature is checked.\n")
add("| depth | signatures | cache off µs/req | cache on µs/req | off µs/signature | req/s off | req/s on | noise off/on |")
add("|---:|---:|---:|---:|---:|---:|---:|---:|")
depths = [0, 1, 3, 5]
off = {d: us(f"pipeline/cache_off/depth{d}") for d in depths}
on = {d: us(f"pipeline/cache_on/depth{d}") for d in depths}
for d in depths:
    sigs = d + 2
    per_sig = None if off[d] is None else off[d] / sigs
    add(
        f"| {d} | {sigs} | {fmt_us(off[d])} | {fmt_us(on[d])} | {fmt_us(per_sig)} | {fmt_rate(off[d])} | "
        f"{fmt_rate(on[d])} | {noise(f'pipeline/cache_off/depth{d}')}/{noise(f'pipeline/cache_on/depth{d}')} |"
    )


def slope(series: dict[int, float | None]) -> float | None:
    pts = [(d, v) for d, v in series.items() if v is not None]
    if len(pts) < 2:
        return None
    mx = sum(d for d, _ in pts) / len(pts)
    my = sum(v for _, v in pts) / len(pts)
    den = sum((d - mx) ** 2 for d, _ in pts)
    return sum((d - mx) * (v - my) for d, v in pts) / den


s_off, s_on = slope(off), slope(on)
text3 = us("pipeline/cache_on_text/depth3")
add(
    f"\nPer hop (least-squares slope over depth): cache off **{fmt_us(s_off)} µs**, "
    f"cache on **{fmt_us(s_on)} µs** (chain rules + cache lookup); "
    f"difference {fmt_us(None if s_off is None or s_on is None else s_off - s_on)} µs ≈ one block signature in the batch."
)
add(
    f"Depth 3, cache on, from text forms (`cpt1.`/`cpi1.`): {fmt_us(text3)} µs/req vs {fmt_us(on[3])} decoded "
    f"(decode inside the pipeline: {fmt_us(None if text3 is None or on[3] is None else text3 - on[3])} µs/req)."
)

add("\n## Decoding alone (default limits)\n")
add("| input | µs | noise |")
add("|---|---:|---:|")
for label, fid in [
    ("token text, depth 0 (1 block)", "decode/token_text/depth0"),
    ("token text, depth 3 (4 blocks)", "decode/token_text/depth3"),
    ("token binary, depth 0", "decode/token_binary/depth0"),
    ("token binary, depth 3", "decode/token_binary/depth3"),
    ("invocation text", "decode/invocation_text"),
]:
    add(f"| {label} | {fmt_us(us(fid))} | {noise(fid)} |")
t0, t3 = us("decode/token_text/depth0"), us("decode/token_text/depth3")
b0, b3 = us("decode/token_binary/depth0"), us("decode/token_binary/depth3")
if None not in (t0, t3, b0, b3):
    add(f"\nPer extra block: text {fmt_us((t3 - t0) / 3)} µs, binary {fmt_us((b3 - b0) / 3)} µs.")

table = "\n".join(lines) + "\n"
out_path.write_text(table)
print(table)
print(f"(written to {out_path})", file=sys.stderr)
PY

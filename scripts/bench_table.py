"""Turns pytest-benchmark JSON from ``benches/`` into the Markdown tables of
docs/BENCHMARKS.md.

    python scripts/bench_table.py bench-results/full.json \\
        [--cpu bench-results/full-cpu.json] [--memory bench-results/memory.json]

``full.json`` is a run with pytest-benchmark's default wall-clock timer. The
optional ``--cpu`` file is a second run of the one-thread benchmarks with
``--benchmark-timer=time.process_time`` (``scripts/bench.sh`` makes both):
CPU time is what a benchmark costs even when other jobs share the machine,
so ratios between rows that were timed minutes apart stay comparable.

Prints, for each benchmark group, one row per benchmark: its median time per
timed call, the time per item (signature or token: each benchmark records in
``extra_info["items"]`` how many one call handles, so batches and loops of
single calls compare directly) in wall-clock and, where measured, CPU time,
and its speed ratio per item against every **baseline** row of the group
(the peers: PyNaCl and ``cryptography`` for raw signatures; the AIP SDK,
Tenuo and biscuit-python for chains). Ratio = baseline time per item / row
time per item (above 1: faster than that peer), on CPU time when both rows
have it, else on wall-clock time (marked †: the multi-threaded rows). Then
the throughput issue's targets with the measured value, whether each is met,
and by how much. Targets are reported, never enforced: the exit status is
non-zero only on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

X = "\N{MULTIPLICATION SIGN}"
WALL = "\N{DAGGER}"


@dataclass(frozen=True)
class Row:
    group: str
    row: str
    label: str
    median: float  #: wall-clock seconds per timed call
    items: int
    baseline: bool
    cpu_median: float | None = None  #: CPU seconds per timed call, from the CPU-time run
    signatures_per_token: float = 0.0
    calling_thread_cpu: float | None = None  #: seconds per item on the calling thread, when measured

    @property
    def per_item(self) -> float:
        return self.median / self.items

    @property
    def cpu_per_item(self) -> float | None:
        return None if self.cpu_median is None else self.cpu_median / self.items


def load_rows(data: dict[str, Any], cpu: dict[str, Any] | None) -> list[Row]:
    cpu_medians: dict[str, float] = {}
    for b in (cpu or {}).get("benchmarks", []):
        cpu_medians[str(b.get("extra_info", {}).get("row", b["name"]))] = float(b["stats"]["median"])
    out = []
    for b in data["benchmarks"]:
        extra = b.get("extra_info", {})
        row = str(extra.get("row", b["name"]))
        out.append(
            Row(
                group=b.get("group") or "",
                row=row,
                label=str(extra.get("label", b["name"])),
                median=float(b["stats"]["median"]),
                items=int(extra.get("items", 1)),
                baseline=bool(extra.get("baseline", False)),
                cpu_median=cpu_medians.get(row),
                signatures_per_token=float(extra.get("signatures_per_token", 0.0)),
                calling_thread_cpu=(
                    float(extra["calling_thread_cpu_per_token"])
                    if "calling_thread_cpu_per_token" in extra
                    else None
                ),
            )
        )
    return out


def compare(slow: Row, fast: Row) -> tuple[float, bool]:
    """How many times faster per item ``fast`` is than ``slow``, and whether
    that is on CPU time (both rows have it) rather than wall-clock time."""
    if slow.cpu_per_item is not None and fast.cpu_per_item is not None:
        return slow.cpu_per_item / fast.cpu_per_item, True
    return slow.per_item / fast.per_item, False


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


def group_order(group: str) -> tuple[int, str]:
    for rank, start in enumerate(("raw signatures", "delegation chain", "batch overhead", "AIP JWT chain")):
        if group.startswith(start):
            return rank, group
    return 4, group


def short(label: str) -> str:
    """A peer's name, for column headings."""
    for name in ("PyNaCl", "cryptography", "AIP SDK", "Tenuo", "biscuit-python"):
        if label.startswith(name):
            return name
    return label


def group_tables(rows: list[Row]) -> list[str]:
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.group, []).append(r)
    any_cpu = any(r.cpu_median is not None for r in rows)
    lines: list[str] = []
    for name in sorted(groups, key=group_order):
        members = groups[name]
        baselines = [r for r in members if r.baseline]
        thread_cpu = any(r.calling_thread_cpu is not None for r in members)
        head = "| benchmark | median per call | per item | items/s |"
        rule = "|---|---:|---:|---:|"
        if any_cpu:
            head += " per item, CPU time |"
            rule += "---:|"
        if thread_cpu:
            head += " calling thread's CPU per item |"
            rule += "---:|"
        for b in baselines:
            head += f" vs {short(b.label)} |"
            rule += "---:|"
        lines += [f"### {name}", ""]
        if baselines:
            lines += [
                "Ratios are per item against " + ", ".join(f"**{b.label}**" for b in baselines) + ".",
                "",
            ]
        lines += [head, rule]
        wall_used = False
        for r in sorted(members, key=lambda r: r.per_item):
            cells = f"| {r.label} | {duration(r.median)} | {duration(r.per_item)} | {1 / r.per_item:,.0f} |"
            if any_cpu:
                cells += f" {duration(r.cpu_per_item)} |"
            if thread_cpu:
                cells += f" {duration(r.calling_thread_cpu)} |"
            for b in baselines:
                if b is r:
                    cells += " baseline |"
                    continue
                ratio, on_cpu = compare(b, r)
                wall_used |= any_cpu and not on_cpu
                cells += f" {ratio:.2f}{X}{'' if on_cpu or not any_cpu else WALL} |"
            lines.append(cells)
        if wall_used:
            lines += [
                "",
                f"{WALL} wall-clock ratio (a multi-threaded row: CPU time would not show its speed-up).",
            ]
        lines.append("")
    return lines


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    required: str
    met: bool | None  #: None when not measured or not a target
    margin: str


def ratio_target(
    rows: dict[str, Row], name: str, fast: str, slow: str, need: float, wall: bool = False
) -> Target:
    if fast not in rows or slow not in rows:
        return Target(name, "not measured", f"≥ {need:g}{X}", None, f"rows {fast} / {slow} missing")
    if wall:
        ratio, on_cpu = rows[slow].per_item / rows[fast].per_item, False
    else:
        ratio, on_cpu = compare(rows[slow], rows[fast])
    met = ratio >= need
    margin = f"{ratio / need:.2f}{X} the target" if met else f"missed: {need / ratio:.2f}{X} short"
    timer = "CPU time" if on_cpu else "wall clock"
    return Target(name, f"{ratio:.2f}{X} ({timer})", f"≥ {need:g}{X}", met, margin)


def at_most(name: str, us: float, limit: float) -> Target:
    met = us <= limit
    margin = f"{limit / us:.2f}{X} under" if met else f"missed: {us / limit:.2f}{X} over"
    return Target(name, f"{us:.2f} µs", f"≤ {limit:.2f} µs", met, margin)


def overhead_targets(by_row: dict[str, Row]) -> list[Target]:
    """The Python-side cost per token of a batch whose blocks are all cached:
    the calling thread's CPU time per token (the native work runs on the
    verifier's pool with the lock released). The whole time per token of
    that batch follows for reference, without a verdict: it includes
    decoding and the invocation's signature, which no cache can skip."""
    out = []
    for row, what in (("overhead:text", "text inputs"), ("overhead:objects", "decoded objects")):
        r = by_row.get(row)
        name = f"per-token Python overhead, cached batch, {what} (calling thread's CPU per token)"
        if r is None or r.calling_thread_cpu is None:
            out.append(Target(name, "not measured", "≤ 1.50 µs", None, ""))
        else:
            out.append(at_most(name, r.calling_thread_cpu * 1e6, 1.5))
    total = by_row.get("overhead:text")
    if total is not None:
        out.append(
            Target(
                "for reference: whole time per token of that batch, text inputs "
                f"(decoding, {total.signatures_per_token:g} signature check, chain rules, Python)",
                f"{total.per_item * 1e6:.2f} µs wall, {duration(total.cpu_per_item)} CPU",
                "—",
                None,
                "not a target",
            )
        )
    return out


def targets(data: dict[str, Any], rows: list[Row], memory: dict[str, Any] | None) -> list[Target]:
    by_row = {r.row: r for r in rows}
    machine = data.get("machine_info", {})
    flags = set(machine.get("cpu", {}).get("flags", []))
    threads = int(machine.get("chainproof_bench", {}).get("all_threads", 1))
    ifma = "avx512ifma" in flags
    out = [
        ratio_target(
            by_row,
            "raw batch, distinct keys (cold), 1 thread, vs PyNaCl loop"
            + (f" (IFMA CPU: 5{X})" if ifma else ""),
            "sig-distinct:batch:t1",
            "sig-distinct:pynacl",
            5.0 if ifma else 3.0,
        ),
        ratio_target(
            by_row,
            "raw batch, one shared key, 1 thread, vs PyNaCl loop",
            "sig-shared:batch:t1",
            "sig-shared:pynacl",
            6.0,
        ),
        ratio_target(by_row, "verify_batch depth 3, 1 thread, vs AIP SDK", "d3:batch:t1", "d3:aip", 10.0),
        ratio_target(by_row, "verify_batch depth 3, 1 thread, vs Tenuo", "d3:batch:t1", "d3:tenuo", 4.0),
    ]
    if threads >= 2:
        out.append(
            ratio_target(
                by_row,
                f"verify_batch depth 3, {threads} threads vs 1 thread",
                f"d3:batch:t{threads}",
                "d3:batch:t1",
                1.7,
                wall=True,
            )
        )
    out.append(
        ratio_target(
            by_row,
            "single verify depth 3: cold time / warm time (blocks cached)",
            "d3:single:warm",
            "d3:single:cold",
            3.0,
        )
    )
    out += overhead_targets(by_row)
    if "aip-d3:sdk" in by_row:
        out.append(
            ratio_target(
                by_row,
                "chainproof.aip verify_batch depth 3, 1 thread, cold, vs AIP SDK (issue 3)",
                "aip-d3:batch:t1",
                "aip-d3:sdk",
                20.0,
            )
        )
    if memory is not None:
        mb = 1024 * 1024
        peak, limit = memory["peak_delta_bytes"], memory["limit_bytes"]
        met = peak <= limit
        margin = f"{limit / peak:.2f}{X} under" if met else f"missed: {peak / limit:.2f}{X} over"
        out.append(
            Target(
                f"memory, verify_batch of {memory['tokens']:,} tokens "
                f"(input {memory['input_bytes'] / mb:.1f} MB), peak RSS over baseline",
                f"{peak / mb:.1f} MB",
                f"≤ {limit / mb:.1f} MB (3{X} input + 50 MB)",
                met,
                margin,
            )
        )
    return out


def target_table(items: list[Target]) -> list[str]:
    lines = ["| target | measured | required | met | margin |", "|---|---:|---:|---|---|"]
    for t in items:
        met = "—" if t.met is None else ("met" if t.met else "**missed**")
        lines.append(f"| {t.name} | {t.measured} | {t.required} | {met} | {t.margin} |")
    return lines


def header(data: dict[str, Any], cpu: dict[str, Any] | None) -> list[str]:
    machine = data.get("machine_info", {})
    info = machine.get("cpu", {})
    bench = machine.get("chainproof_bench", {})
    flags = set(info.get("flags", []))
    simd = (
        ", ".join(f for f in ("avx2", "avx512f", "avx512ifma", "neon", "asimd") if f in flags)
        or "none listed"
    )
    versions = ", ".join(f"{k} {v}" for k, v in bench.get("versions", {}).items())
    mode = "quick mode (CI: small sizes, few rounds; not results)" if bench.get("quick") else "full suite"
    lines = [f"{mode}; {data.get('datetime', '?')}", ""]
    lines.append(
        f"- machine: {info.get('brand_raw', '?')} ({info.get('arch', '?')}), "
        f"{info.get('count', '?')} logical cores; SIMD flags: {simd}"
    )
    for run, what in ((data, "wall-clock run"), (cpu, "CPU-time run")):
        if run is None:
            continue
        load = run.get("machine_info", {}).get("chainproof_bench", {}).get("load_average_at_end")
        if load:
            lines.append(
                f"- load average at the end of the {what} (1/5/15 min): {'/'.join(f'{x:.1f}' for x in load)}"
            )
    lines += [
        f"- Python {machine.get('python_version', '?')}; {versions}",
        f"- rounds: {bench.get('rounds', '?')} timed after {bench.get('warmup_rounds', '?')} warm-up "
        "(heavy benchmarks; micro-benchmarks auto-calibrated), medians reported",
        "",
    ]
    return lines


def render(data: dict[str, Any], cpu: dict[str, Any] | None, memory: dict[str, Any] | None) -> str:
    rows = load_rows(data, cpu)
    lines = header(data, cpu) + group_tables(rows)
    lines += ["### Targets", "", *target_table(targets(data, rows, memory))]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", type=Path, help="pytest-benchmark JSON from benches/ (wall-clock timer)")
    parser.add_argument("--cpu", type=Path, help="the same benchmarks timed with time.process_time")
    parser.add_argument("--memory", type=Path, help="JSON written by scripts/bench_memory.py --json")
    args = parser.parse_args(argv[1:])
    try:
        data = json.loads(args.results.read_text(encoding="utf-8"))
        cpu = json.loads(args.cpu.read_text(encoding="utf-8")) if args.cpu else None
        memory = json.loads(args.memory.read_text(encoding="utf-8")) if args.memory else None
    except (OSError, ValueError) as exc:
        print(f"bench_table: {exc}", file=sys.stderr)
        return 2
    print(render(data, cpu, memory))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

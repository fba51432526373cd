"""Turns a pytest-benchmark JSON file into the ratio table of docs/BENCHMARKS.md.

    python scripts/bench_table.py bench-results/full.json

Prints a Markdown table: for each benchmark its median time, the items per
second it stands for (signatures or tokens, read from the benchmark's
``extra_info["items"]``), and its speed relative to the baseline of its
group (``extra_info["baseline"]`` names it). Ratios are what to compare
across machines; absolute times drift on shared hardware.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def rows(data: dict[str, Any]) -> list[tuple[str, str, float, float, str]]:
    benches = data["benchmarks"]
    by_name = {b["name"]: b for b in benches}
    out = []
    for b in benches:
        extra = b.get("extra_info", {})
        median = float(b["stats"]["median"])
        items = int(extra.get("items", 1))
        baseline = by_name.get(extra.get("baseline", ""))
        ratio = ""
        if baseline is not None and baseline is not b:
            ratio = f"{float(baseline['stats']['median']) / median:.2f}x vs {baseline['name']}"
        out.append((b.get("group") or "", b["name"], median, items / median, ratio))
    return out


def table(data: dict[str, Any]) -> str:
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw", "?")
    lines = [
        f"machine: {cpu}, {machine.get('cpu', {}).get('count', '?')} logical cores, "
        f"Python {machine.get('python_version', '?')}",
        "",
        "| group | benchmark | median | items/s | speed-up |",
        "|---|---|---:|---:|---|",
    ]
    for group, name, median, rate, ratio in rows(data):
        lines.append(f"| {group} | {name} | {median * 1e3:.3f} ms | {rate:,.0f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(json.loads(Path(argv[1]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

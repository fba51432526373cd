#!/usr/bin/env bash
# The full benchmark suite, as recorded in docs/BENCHMARKS.md: installs the
# package and the benchmark tools, runs every suite twice (all cores, then
# one core for every native call via RAYON_NUM_THREADS=1), and prints the
# ratio tables. Machine-readable results land in bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install --quiet ".[bench]"
mkdir -p bench-results
run() {
    local name=$1
    shift
    env "$@" "$PY" -m pytest -q -p no:cacheprovider benches \
        --benchmark-warmup=on --benchmark-min-rounds=10 --benchmark-max-time=2 \
        --benchmark-json="bench-results/$name.json" > "bench-results/$name.log"
    echo "## $name"
    "$PY" scripts/bench_table.py "bench-results/$name.json" | tee "bench-results/$name-table.md"
    echo
}
run all-cores CHAINPROOF_BENCH=full
run one-core RAYON_NUM_THREADS=1

#!/usr/bin/env bash
# The benchmark suite of docs/BENCHMARKS.md in one command: chainproof against
# every peer (PyNaCl, cryptography, the AIP SDK, Tenuo, biscuit-python) on the
# same inputs in one process, one thread and all threads, then the memory
# benchmark in a fresh process, then the ratio and target tables.
#
#   bash scripts/bench.sh                          # full suite (~5 min on 2 cores)
#   CHAINPROOF_BENCH_QUICK=1 bash scripts/bench.sh # CI's quick mode (seconds)
#
# Full: bench-results/full.json (pytest-benchmark, wall clock), full-cpu.json
# (the one-thread benchmarks again in CPU time), *.log, memory.json,
# full-table.md. Quick: bench-results/quick.json, quick-memory.json,
# quick-table.md. Targets are reported in the tables, never enforced: the
# exit status is non-zero only when a benchmark fails (a wrong result, a
# missing peer, a crash). CHAINPROOF_BENCH_NO_INSTALL=1 skips installing the
# package and the bench extras (use it when they are installed already).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [[ "${CHAINPROOF_BENCH_NO_INSTALL:-0}" != 1 ]]; then
    "$PY" -m pip install --quiet ".[bench]"
fi
mkdir -p bench-results

if [[ "${CHAINPROOF_BENCH_QUICK:-0}" == 1 ]]; then
    name=quick
    memory_json=bench-results/quick-memory.json
    tokens=5000
    timing=(--benchmark-min-rounds=3 --benchmark-max-time=0.05 --benchmark-warmup=off)
else
    name=full
    memory_json=bench-results/memory.json
    tokens=${CHAINPROOF_BENCH_MEMORY_TOKENS:-100000}
    timing=(--benchmark-min-rounds=10 --benchmark-max-time=2 --benchmark-warmup=on)
fi

benches() { # output name, then extra pytest arguments
    local out=$1
    shift
    if ! "$PY" -m pytest -q -p no:cacheprovider benches "${timing[@]}" "$@" \
        --benchmark-json="bench-results/$out.json" > "bench-results/$out.log" 2>&1; then
        tail -n 60 "bench-results/$out.log"
        echo "benchmarks failed; full output in bench-results/$out.log" >&2
        exit 1
    fi
    tail -n 1 "bench-results/$out.log"
}

echo "== benches ($name, wall-clock timer)"
benches "$name"
cpu=()
if [[ "$name" == full ]]; then
    # The one-thread benchmarks again, timed in CPU time: on a shared machine
    # it drifts far less than wall-clock time, so ratios between rows timed
    # minutes apart stay fair. Multi-threaded rows keep wall-clock only.
    echo "== benches ($name, CPU-time timer, one thread)"
    CHAINPROOF_BENCH_ONE_THREAD=1 benches "$name-cpu" --benchmark-timer=time.process_time
    cpu=(--cpu "bench-results/$name-cpu.json")
fi
echo "== memory ($tokens tokens)"
"$PY" scripts/bench_memory.py "$tokens" --json "$memory_json"
echo "== tables"
"$PY" scripts/bench_table.py "bench-results/$name.json" "${cpu[@]}" --memory "$memory_json" \
    | tee "bench-results/$name-table.md"

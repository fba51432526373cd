#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds
# the native module once in release mode, then runs lint, Rust tests and
# pytest. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

echo "== install (release build of the native module, test and lint tools)"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet ".[test,lint,bench]"

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --release -- -D warnings
echo "== ruff"
"$PY" -m ruff check python tests benches scripts
"$PY" -m ruff format --check python tests benches scripts
echo "== mypy --strict"
"$PY" -m mypy --strict python/chainproof

echo "== cargo test (core, release)"
cargo test -p chainproof-core --release

echo "== benchmarks (quick mode: small sizes, few rounds, no targets enforced)"
# Writes bench-results/quick.json, quick-memory.json and quick-table.md.
CHAINPROOF_BENCH_QUICK=1 CHAINPROOF_BENCH_NO_INSTALL=1 PYTHON="$PY" bash scripts/bench.sh

echo "== pytest"
# The sources live under python/, so `import chainproof` resolves to the
# installed build (with its native module), not to the source tree.
"$PY" -m pytest -q -p no:cacheprovider --rootdir=. tests "$@"

#!/usr/bin/env bash
# aarch64 (64-bit ARM: Raspberry Pi 4/5, Debian arm64) cross-build and tests
# under emulation, on a Debian bookworm x86_64 machine.
#
#   bash scripts/aarch64.sh          # install, cross-build, run Rust + Python tests under qemu
#   bash scripts/aarch64.sh wheel    # install and build the aarch64 wheel only
#   bash scripts/aarch64.sh all tests/test_vectors.py   # pytest only the named files
#
# What it does, from a clean machine (nothing cached; running it twice is fine):
#  1. apt: Debian's rustc-web/cargo-web (with the arm64 std), the aarch64 GCC
#     (the linker) and qemu-user-static.
#  2. An arm64 root folder: libc6:arm64, python3.11-minimal:arm64,
#     libpython3.11-stdlib:arm64 and their library dependencies, unpacked with
#     `dpkg -x`. It is qemu's `-L` root (its glibc, not the cross toolchain's,
#     is the one that runs threads correctly under qemu 7.2) and PyO3's
#     cross-compilation sysconfig (PYO3_CROSS_LIB_DIR).
#  3. `cargo test -p chainproof-core --release --target aarch64-unknown-linux-gnu`
#     with qemu as the runner.
#  4. The aarch64 wheel with maturin, installed with pip into a folder next to
#     aarch64 wheels of the test dependencies (pyproject.toml's `test` extra).
#  5. pytest (by default the whole tests/ suite, as CI runs it on x86) with the
#     aarch64 CPython 3.11 under qemu. The vector tests assert exact verdicts,
#     so a pass means aarch64 gives the same answers as x86.
# Prints one summary line and exits non-zero on any failure.
#
# Everything lands in target/aarch64/ (AARCH64_DIR overrides). The x86 build is
# untouched: the Debian toolchain is named explicitly, never through rustup,
# and builds into its own target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
MODE=${1:-all}
if [ $# -gt 0 ]; then shift; fi
case "$MODE" in
all | wheel) ;;
*)
    echo "usage: bash scripts/aarch64.sh [all [PYTEST ARGS...] | wheel]" >&2
    exit 2
    ;;
esac

TRIPLE=aarch64-unknown-linux-gnu
PYVER=3.11
PYTAG=cp${PYVER/./}
OUT=${AARCH64_DIR:-$REPO/target/aarch64}
ROOT=$OUT/sysroot
SHIMS=$OUT/bin
LAUNCHER=$SHIMS/python$PYVER-aarch64
HOST_PY=${PYTHON:-python3}
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
START=$SECONDS
STEP=start
step() {
    STEP=$*
    echo "== aarch64: $* ($((SECONDS - START)) s)"
}
trap 'echo "aarch64: FAILED during: $STEP" >&2' ERR

# ------------------------------------------------------------------ 1. apt
step "apt: toolchain, linker, emulator"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    rustc-web cargo-web libstd-rust-web-dev:arm64 \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static >/dev/null

# Debian's binaries, found through their packages so that rustup's `cargo`
# (first on PATH) cannot shadow them; the shims folder goes first on PATH for
# maturin, which calls plain `cargo`.
deb_bin() { dpkg -L "$1" | grep -x "/usr/bin/$2"; }
mkdir -p "$SHIMS"
ln -sf "$(deb_bin cargo-web cargo)" "$SHIMS/cargo"
ln -sf "$(deb_bin rustc-web rustc)" "$SHIMS/rustc"
ln -sf "$(deb_bin rustc-web rustdoc)" "$SHIMS/rustdoc"
export PATH="$SHIMS:$PATH"
export CARGO="$SHIMS/cargo" RUSTC="$SHIMS/rustc" RUSTDOC="$SHIMS/rustdoc"
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER
# Flags meant for the x86 build (a CI-wide RUSTFLAGS) must not reach the
# aarch64 one; `[target.'cfg(target_arch = "x86_64")']` entries in
# .cargo/config.toml do not match this target. Extra aarch64 flags, if ever
# needed, go in CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET
export CARGO_TARGET_DIR="$OUT/cargo"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L $ROOT"
"$CARGO" --version
"$RUSTC" --version

# ------------------------------------------------------------ 2. arm64 root
step "arm64 root: libc6 + python$PYVER from Debian, dpkg -x"
# The runtime closure of the interpreter, from the package database (no list
# to keep up to date by hand); tools and headers are left out.
mapfile -t PKGS < <(
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances \
        "python$PYVER-minimal:arm64" "libpython$PYVER-stdlib:arm64" libc6:arm64 libstdc++6:arm64 |
        grep -E '^[a-z0-9][a-z0-9.+-]*:arm64$' |
        grep -vE '^(dpkg|tar|install-info|rpcsvc-proto|perl[a-z0-9.-]*)(:arm64)$|-(dev|bin):arm64$' |
        sort -u
)
rm -rf "$OUT/debs" "$ROOT"
mkdir -p "$OUT/debs" "$ROOT"
# apt-get download writes into the current folder (a warning that it runs
# "unsandboxed as root" is expected when _apt cannot write there).
(cd "$OUT/debs" && apt-get download -qq "${PKGS[@]}")
for deb in "$OUT"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
test -x "$ROOT/usr/bin/python$PYVER"
echo "${#PKGS[@]} packages unpacked into $ROOT"
cat >"$LAUNCHER" <<EOF
#!/bin/sh
# aarch64 CPython $PYVER under the emulator (written by scripts/aarch64.sh).
exec qemu-aarch64-static -L "$ROOT" "$ROOT/usr/bin/python$PYVER" "\$@"
EOF
chmod +x "$LAUNCHER"
"$LAUNCHER" -c 'import platform, sys; print("emulated:", platform.machine(), sys.version.split()[0])'

# ------------------------------------------------------- 3. Rust core tests
RUST_PASSED=0
if [ "$MODE" = all ]; then
    step "cargo test -p chainproof-core --release --target $TRIPLE (qemu)"
    "$CARGO" test -p chainproof-core --release --target "$TRIPLE" 2>&1 | tee "$OUT/cargo-test.log"
    RUST_PASSED=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$OUT/cargo-test.log" |
        awk '{s += $1} END {print s + 0}')
fi

# ------------------------------------------------------------------ 4. wheel
step "maturin build --release --target $TRIPLE"
if [ ! -x "$OUT/tools/bin/maturin" ]; then
    "$HOST_PY" -m venv "$OUT/tools"
    "$OUT/tools/bin/python" -m pip install --quiet "maturin>=1.9,<2"
fi
# PyO3 reads the target interpreter's sysconfig from the arm64 root; the
# extension is per-version (not abi3), built for CPython $PYVER.
export PYO3_CROSS_LIB_DIR="$ROOT/usr/lib/python$PYVER"
export PYO3_CROSS_PYTHON_VERSION=$PYVER
rm -rf "$OUT/wheels"
"$OUT/tools/bin/maturin" build --release --target "$TRIPLE" -i "python$PYVER" --out "$OUT/wheels"
WHEEL=$(ls "$OUT"/wheels/chainproof-*-"$PYTAG"-*_aarch64.whl)
echo "wheel: $WHEEL"
if [ "$MODE" = wheel ]; then
    echo "aarch64: built $WHEEL"
    exit 0
fi

# ------------------------------------------- 5. Python tests under emulation
step "pip: the wheel and the test dependencies (aarch64 wheels) into folders"
# The wheel's own platform tag (manylinux_2_NN_aarch64) plus the older ones
# the dependencies publish.
WHEEL_PLAT=$(basename "$WHEEL" .whl | awk -F- '{print $NF}')
PIP_ARM=(--quiet --no-warn-script-location --only-binary=:all: --python-version "$PYVER"
    --implementation cp --abi "$PYTAG" --abi abi3 --abi none
    --platform "$WHEEL_PLAT" --platform manylinux_2_28_aarch64 --platform manylinux2014_aarch64)
rm -rf "$OUT/site" "$OUT/pydeps"
"$HOST_PY" -m pip install "${PIP_ARM[@]}" --no-deps --target "$OUT/site" "$WHEEL"
# pyproject.toml's `test` extra, read from the file so the two cannot drift.
mapfile -t TEST_DEPS < <("$HOST_PY" -c 'import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["test"]))')
"$HOST_PY" -m pip install "${PIP_ARM[@]}" --target "$OUT/pydeps" "${TEST_DEPS[@]}"
test -f "$OUT/site/chainproof/_native.cpython-${PYTAG#cp}-aarch64-linux-gnu.so"

step "pytest ${*:-tests} with the aarch64 CPython $PYVER (qemu)"
export PYTHONPATH="$REPO/scripts/aarch64:$OUT/site:$OUT/pydeps"
export CHAINPROOF_AARCH64_PYTHON="$LAUNCHER"
export PYTHONDONTWRITEBYTECODE=1
"$LAUNCHER" -c 'import chainproof._native as n, platform; assert platform.machine() == "aarch64", platform.machine(); print("import ok:", n.__file__)'
PYTEST_RC=0
"$LAUNCHER" -m pytest -q -p no:cacheprovider --rootdir=. "${@:-tests}" 2>&1 | tee "$OUT/pytest.log" ||
    PYTEST_RC=$?
if [ "$PYTEST_RC" -ne 0 ]; then
    echo "aarch64: FAILED: Python tests under qemu (pytest exit $PYTEST_RC); see $OUT/pytest.log" >&2
    exit 1
fi
PY_PASSED=$(grep -E '^[0-9]+ passed' "$OUT/pytest.log" | tail -1 | sed 's/ passed.*//')

echo "aarch64: $RUST_PASSED Rust tests passed, $PY_PASSED Python tests passed" \
    "(qemu-aarch64-static, CPython $PYVER, $((SECONDS - START)) s)"

"""Imported at start-up by the aarch64 CPython that scripts/aarch64.sh runs under qemu.

No binfmt handler is registered on the build machine, so the host kernel cannot
execute an aarch64 binary: a test that starts ``sys.executable`` in a child
process (the CLI tests, the vector generator's ``--check``) would fail with
"Exec format error". The script writes a small launcher that runs the aarch64
interpreter through the emulator and names it in ``CHAINPROOF_AARCH64_PYTHON``;
pointing ``sys.executable`` at it makes child interpreters aarch64 too.
"""

from __future__ import annotations

import os
import sys

_launcher = os.environ.get("CHAINPROOF_AARCH64_PYTHON")
if _launcher:
    sys.executable = _launcher

"""What every benchmark script does so that it leaves nothing behind, however it stops."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile


def unwind_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C (``SystemExit(143)``), so that every ``finally`` and
    exit hook runs: schemas dropped, stores, queues and directories removed, children stopped."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def own_directory(variable: str, prefix: str) -> str:
    """``$variable`` if it is set; else a temporary directory made for this run, set in the
    environment, and removed when the script exits."""
    configured = os.environ.get(variable)
    if configured:
        return configured
    made = os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made

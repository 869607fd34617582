"""A child of ``dutytrail up`` stops when its supervisor dies, however it dies.

The supervisor starts each child in a process group of its own (so that Ctrl-C in a terminal
reaches the supervisor alone, which then stops the children in order), so a supervisor killed
outright (SIGKILL, the OOM killer, a test's clean-up) would leave its services and relays
running: still consuming the broker's queues, holding the leader locks and the database
connections, and refusing the next ``up``'s single instance. Linux tells a process of its
parent's death when the process asks (``prctl(PR_SET_PDEATHSIG)``); the child asks for SIGTERM,
its ordinary, graceful stop.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

# Set by the supervisor in each child's environment: its own pid, whose death stops the child.
SUPERVISOR_PID = "DUTYTRAIL_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1


def supervisor_environment() -> dict[str, str]:
    """What the supervisor adds to each child's environment."""
    return {SUPERVISOR_PID: str(os.getpid())}


def stop_with_supervisor() -> None:
    """Under ``dutytrail up``, have SIGTERM sent to this process when the supervisor dies;
    exit at once if it died already (before the request could be made)."""
    wanted = os.environ.get(SUPERVISOR_PID, "")
    if not wanted or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(wanted):
        raise SystemExit(f"the supervisor (pid {wanted}) is gone; not starting")

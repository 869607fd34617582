"""psycopg's waits under eventlet, without a trip through the hub when the socket is ready.

A service runs under eventlet, so psycopg must wait for its socket cooperatively: its C wait
would hold the whole hub for every round trip (``PSYCOPG_WAIT_FUNC=wait_select``,
docs/operations.md). But ``wait_select`` goes through eventlet's green ``select`` at every
step of every statement, ready or not: it registers the socket with the hub, switches to the
hub and back, and unregisters it. A pipelined page of a read model's rows is hundreds of
statements whose socket is nearly always ready at once, and a py-spy profile of a rebuild on
PostgreSQL put 63 % of its time in those waits (bench/README.md).

:func:`wait_ready_first` asks the socket first with the real (unpatched) ``select`` and a
zero timeout, which never blocks; only a socket that is not ready yet goes to eventlet's
green ``select``, which lets the hub run while the server works. So that a long pipeline,
or a long result already in the socket's buffer, cannot hold the hub either, a wait
:data:`HOLD_SECONDS` after the last one that let the hub run goes through the green
``select`` even when the socket is ready.
"""

from __future__ import annotations

import os
import select as green
from collections.abc import Generator
from time import monotonic
from typing import TypeVar

import eventlet.patcher
import psycopg.waiting
from psycopg import errors
from psycopg.waiting import READY_R, READY_W, WAIT_R, WAIT_W

RV = TypeVar("RV")

# How long waits may go on without letting the hub run (a ping's share of a page), one
# after another: a pipeline is a wait per statement.
HOLD_SECONDS = 0.002

# When a wait last let the hub run (the process has one hub: a plain global).
_hub_ran_at = 0.0


# The real select, whatever eventlet patched: it asks without the hub.
_select = eventlet.patcher.original("select").select


def wait_ready_first(
    gen: Generator[int, int, RV], fileno: int, interval: float = 0.0,
    timeout: float | None = None,
) -> RV:
    """psycopg's ``wait_select``, asking the socket without the hub first (see above)."""
    global _hub_ran_at
    deadline = None if timeout is None else monotonic() + timeout
    sockets = (fileno,)
    nothing: tuple[int, ...] = ()
    try:
        state = next(gen)
        while True:
            reads = sockets if state & WAIT_R else nothing
            writes = sockets if state & WAIT_W else nothing
            readable, writable, broken = _select(reads, writes, sockets, 0)
            now = monotonic()
            if not (readable or writable or broken) or now - _hub_ran_at > HOLD_SECONDS:
                wait = interval if deadline is None else max(0.0, min(interval, deadline - now))
                readable, writable, broken = green.select(reads, writes, sockets, wait)
                _hub_ran_at = monotonic()
            if broken:
                raise errors.OperationalError("connection socket closed")
            state = gen.send((READY_R if readable else 0) | (READY_W if writable else 0))
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except OSError as error:
        raise errors.OperationalError("connection socket closed") from error
    except StopIteration as done:
        result: RV = done.value
        return result


def install() -> bool:
    """Make psycopg wait with :func:`wait_ready_first` in a process eventlet has patched
    (and psycopg was told to wait cooperatively); True if it does now."""
    if not eventlet.patcher.is_monkey_patched("select"):
        return False  # plain threads: psycopg's own wait releases the GIL
    if os.environ.get("PSYCOPG_WAIT_FUNC", "wait_select") != "wait_select":
        return False  # an operator's explicit choice stands
    psycopg.waiting.wait = wait_ready_first
    return True

"""The machine's own stalls, noted beside a measurement: late wake-ups and slow disk flushes.

A latency measured on a shared machine includes moments when the machine itself held
everything up: the vCPU a process runs on not running it, or the disk taking long to flush.
This probe is a process of its own with two threads that do nothing else:

* **wake**: sleeps a millisecond at a time and notes each wake-up ``--late-ms`` (5) or more
  late;
* **flush**: every ``--flush-every`` seconds (0.05) writes a byte to a file of its own in
  ``--dir`` and ``fsync``s it, as a store does at each commit, and notes each flush that took
  ``--slow-flush-ms`` (10, some twenty times a quiet one here) or more.

One line per note, written at once, stamped with ``time.monotonic()`` (the clock the other
bench scripts stamp with, on Linux)::

    <monotonic seconds> <wake|flush> <ms>

A benchmark starts it (:class:`StallProbe`) and, after a timed phase, asks what fell inside
it (:meth:`StallProbe.within`): when its slowest commands coincide with the probe's notes,
the machine, not the code under test, held them up. Its flushes add 20 small ``fsync``s a
second to the disk's load.

    .venv/bin/python bench/stall_probe.py [--late-ms 5] [--dir DIR] > stalls.txt
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

TICK = 0.001
LATE_MS = 5.0  # a wake-up this late is noted
SLOW_FLUSH_MS = 10.0  # a flush this slow is noted (a quiet one takes 0.4 ms here)
FLUSH_EVERY = 0.05


class _Notes:
    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()

    def write(self, kind: str, at: float, ms: float) -> None:
        with self._lock:
            self._out.write(f"{at:.6f} {kind} {ms:.2f}\n")
            self._out.flush()


def watch_wakeups(late_ms: float, notes: _Notes) -> None:
    late = late_ms / 1000
    while True:
        before = time.monotonic()
        time.sleep(TICK)
        after = time.monotonic()
        if after - before - TICK >= late:
            notes.write("wake", after, 1000 * (after - before - TICK))


def watch_flushes(directory: Path, every: float, slow_ms: float, notes: _Notes) -> None:
    slow = slow_ms / 1000
    fd, name = tempfile.mkstemp(prefix="stall-probe-", dir=directory)
    os.unlink(name)  # the descriptor keeps it; nothing is left behind
    while True:
        time.sleep(every)
        before = time.monotonic()
        os.pwrite(fd, b"x", 0)
        os.fsync(fd)
        after = time.monotonic()
        if after - before >= slow:
            notes.write("flush", after, 1000 * (after - before))


def probe(args: argparse.Namespace, out: IO[str]) -> None:
    """Until the process that started this one is gone (a benchmark killed outright leaves
    no probe behind)."""
    notes = _Notes(out)
    parent = os.getppid()
    threading.Thread(target=watch_wakeups, args=(args.late_ms, notes), daemon=True).start()
    threading.Thread(
        target=watch_flushes, args=(Path(args.dir), args.flush_every, args.slow_flush_ms, notes),
        daemon=True,
    ).start()
    while os.getppid() == parent:
        time.sleep(1.0)


@dataclass(frozen=True)
class Stalls:
    """What the probe noted within one window, in milliseconds each."""

    wakes: list[float] = field(default_factory=list)
    flushes: list[float] = field(default_factory=list)

    def summary(self) -> str:
        wake = (f"wake-ups late >= {LATE_MS:g} ms: {len(self.wakes)}, longest "
                f"{max(self.wakes):.0f} ms" if self.wakes else f"no wake-up {LATE_MS:g} ms late")
        flush = (f"fsyncs >= {SLOW_FLUSH_MS:g} ms: {len(self.flushes)}, longest "
                 f"{max(self.flushes):.0f} ms" if self.flushes
                 else f"no fsync of {SLOW_FLUSH_MS:g} ms")
        return f"{wake}; {flush}"


class StallProbe:
    """This script as a child process, writing its notes to ``path``; its flushes go to a file
    in ``path``'s directory (the disk the benchmark's stores are on when it is theirs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--dir", str(path.parent)], stdout=self._out,
        )

    def within(self, start: float, end: float) -> Stalls:
        """The notes stamped between two ``time.monotonic()`` readings."""
        found = Stalls()
        for line in self.path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and start <= float(parts[0]) <= end:
                (found.wakes if parts[1] == "wake" else found.flushes).append(float(parts[2]))
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._out.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--late-ms", type=float, default=LATE_MS,
                        help=f"note wake-ups at least this late (default {LATE_MS:g})")
    parser.add_argument("--dir", default=".", help="where the flushed file lives (default .)")
    parser.add_argument("--flush-every", type=float, default=FLUSH_EVERY,
                        help=f"seconds between flushes (default {FLUSH_EVERY:g})")
    parser.add_argument("--slow-flush-ms", type=float, default=SLOW_FLUSH_MS,
                        help=f"note flushes at least this slow (default {SLOW_FLUSH_MS:g})")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a person stops it
        probe(parser.parse_args(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

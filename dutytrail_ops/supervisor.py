"""`dutytrail up`: every service and its relay as supervised child processes.

Children are restarted when they crash, their output is tagged with the process name, and
Ctrl-C or SIGTERM stops them all cleanly (SIGTERM, then SIGKILL after a grace period). Each
child gets the port of its /metrics in ``DUTYTRAIL_METRICS_PORT``: the one its service declares,
unless the operator fixed another (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any

from dutytrail_ops.registry import declaration
from shared.settings import env, metrics_port_variable

GRACE_SECONDS = 10.0
# Each child's /metrics port, read by the child (shared.settings.metrics_port).
METRICS_PORT_VARIABLE = "DUTYTRAIL_METRICS_PORT"


@dataclass
class Child:
    tag: str
    argv: list[str]
    # Variables set in the child's environment on top of the supervisor's own.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    pump: threading.Thread | None = field(default=None, repr=False)


def _pump(tag: str, stream: IO[bytes], out: IO[str], lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        with lock:
            out.write(f"[{tag}] {line}\n")
            out.flush()


class Supervisor:
    def __init__(self, children: list[Child], out: IO[str] | None = None) -> None:
        self.children = children
        self.out = out or sys.stdout
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(f"[dutytrail] {text}\n")
            self.out.flush()

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, **child.env},
        )
        child.started_at = time.monotonic()
        assert child.process.stdout is not None
        child.pump = threading.Thread(
            target=_pump, args=(child.tag, child.process.stdout, self.out, self._lock),
            daemon=True,
        )
        child.pump.start()
        self.say(f"started {child.tag} (pid {child.process.pid})")

    def run(self) -> int:
        def request_stop(signum: int, frame: Any) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        for child in self.children:
            self.start(child)
        while not self.stopping.wait(0.5):
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    continue
                # Back off when a child keeps dying at once, so a broken config is visible.
                quick = time.monotonic() - child.started_at < 5
                delay = min(30.0, 2.0 ** min(child.restarts, 5)) if quick else 1.0
                self.say(f"{child.tag} exited with {code}; restarting in {delay:.0f}s")
                if self.stopping.wait(delay):
                    break
                child.restarts += 1
                self.start(child)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        self.say("stopping")
        live = [c for c in self.children if c.process is not None and c.process.poll() is None]
        for child in live:
            assert child.process is not None
            child.process.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for child in live:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.tag} did not stop in time; killing it")
                child.process.kill()
                child.process.wait()
        for child in self.children:
            if child.pump is not None:
                child.pump.join(timeout=2)
        self.say("stopped")


def child_metrics_port(service: str, *, relay: bool) -> int:
    """The operator's ``DUTYTRAIL_<NAME>[_RELAY]_METRICS_PORT`` if set, else the port the
    service declares for its process or its relay's, so that no two children collide."""
    declared = declaration(service)  # an unknown name is refused before anything starts
    default = declared.relay_metrics_port if relay else declared.metrics_port
    return int(env(metrics_port_variable(service, relay), str(default)))


def children_for(services: list[str]) -> list[Child]:
    """A service child and a relay child for each declared service named."""
    python = sys.executable
    children = []
    for service in services:
        for relay in (False, True):
            port = child_metrics_port(service, relay=relay)
            children.append(Child(
                f"{service}-relay" if relay else service,
                [python, "-m", "dutytrail_ops.cli", "relay" if relay else "run", service],
                {METRICS_PORT_VARIABLE: str(port)},
            ))
    return children

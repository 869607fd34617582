"""`dutytrail up`: every service and its relay as supervised child processes.

Children are restarted when they crash, their output is tagged with the process name, and
Ctrl-C or SIGTERM stops them all cleanly (SIGTERM, then SIGKILL after a grace period). Each
child gets the port of its /metrics in ``DUTYTRAIL_METRICS_PORT``: the one its service declares,
unless the operator fixed another (docs/operations.md).

The supervisor says which store and broker it uses (never a password) and reports each
child's readiness as it changes: a service's ``/readyz`` on the port its log says it answers
HTTP on (``<service> answers HTTP on <host>:<port>``), a relay's on its metrics port
(``metrics on http://<host>:<port>/metrics``); so a port 0 (any free port) works too. Before
starting anything, :func:`instance_problem` refuses to start beside a live instance on the same
virtual host, unless told the new one is a replica.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote, urlparse

from dutytrail_ops.registry import declaration
from dutytrail_ops.supervised import supervisor_environment
from shared.settings import StoreSettings, amqp_uri, env, metrics_port_variable

GRACE_SECONDS = 10.0
# Each child's /metrics port, read by the child (shared.settings.metrics_port).
METRICS_PORT_VARIABLE = "DUTYTRAIL_METRICS_PORT"
# Seconds between two looks at every child's /readyz: often while one is not ready, seldom
# once all are (each look is a request in the child's access log).
READINESS_INTERVAL = 2.0
READY_INTERVAL = 15.0
# Where a child's log says its /readyz is (shared/nameko_kit/http.py, shared/metrics.py).
SERVICE_HTTP_LINE = re.compile(r"answers HTTP on (?P<host>[^\s:]+|\[[^\]]+\]):(?P<port>\d+)")
RELAY_METRICS_LINE = re.compile(r"metrics on http://(?P<host>[^\s:/]+|\[[^\]]+\]):(?P<port>\d+)/")


@dataclass
class Child:
    tag: str
    argv: list[str]
    # Variables set in the child's environment on top of the supervisor's own.
    env: dict[str, str] = field(default_factory=dict)
    relay: bool = False
    # The service this child runs, or whose relay it is (the stop order follows services).
    service: str = ""
    # False for a child that serves no /readyz (a relay whose metrics port is 0).
    probed: bool = True
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    pump: threading.Thread | None = field(default=None, repr=False)
    # This run's /readyz, once its log named the port; and what it answered last.
    readyz: str | None = None
    ready: bool | None = None

    def notice(self, line: str) -> None:
        """Learn where this run's /readyz is from one line of its log."""
        if self.readyz is not None:
            return
        found = (RELAY_METRICS_LINE if self.relay else SERVICE_HTTP_LINE).search(line)
        if found and int(found["port"]) > 0:
            host = found["host"]
            if host in ("0.0.0.0", "[::]", "::"):  # every interface: this host answers too
                host = "127.0.0.1"
            self.readyz = f"http://{host}:{found['port']}/readyz"


def _pump(
    tag: str, stream: IO[bytes], out: IO[str], lock: threading.Lock,
    notice: Callable[[str], None],
) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        notice(line)
        with lock:
            out.write(f"[{tag}] {line}\n")
            out.flush()


def probe_readiness(url: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Whether a /readyz answers 200, and the problems it names if not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200, ""
    except urllib.error.HTTPError as error:
        try:
            problems = json.loads(error.read() or b"{}").get("problems") or []
        except ValueError:
            problems = []
        return False, "; ".join(map(str, problems)) or f"HTTP {error.code}"
    except OSError as error:
        return False, f"no answer ({error})"


class Supervisor:
    def __init__(
        self, children: list[Child], out: IO[str] | None = None,
        upstreams: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.children = children
        # What each child's service consumes (its declaration's upstreams unless given).
        self.upstreams = dict(upstreams) if upstreams is not None else {
            c.service: declaration(c.service).upstreams for c in children if c.service
        }
        self.out = out or sys.stdout
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(f"[dutytrail] {text}\n")
            self.out.flush()

    def start(self, child: Child) -> None:
        child.readyz, child.ready = None, None  # a new run says where again
        child.process = subprocess.Popen(
            child.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, **child.env, **supervisor_environment()},
            # A process group of its own: Ctrl-C in a terminal signals the foreground group,
            # which is then the supervisor alone, and the supervisor stops the children in
            # their order (stop_all) instead of all of them at once.
            process_group=0,
        )
        child.started_at = time.monotonic()
        assert child.process.stdout is not None
        child.pump = threading.Thread(
            target=_pump,
            args=(child.tag, child.process.stdout, self.out, self._lock, child.notice),
            daemon=True,
        )
        child.pump.start()
        self.say(f"started {child.tag} (pid {child.process.pid})")

    def check_readiness(self) -> None:
        """Ask every running child's /readyz once; say what changed, and when all are ready."""
        for child in self.children:
            url = child.readyz
            if url is None or child.process is None or child.process.poll() is not None:
                continue
            ready, why = probe_readiness(url)
            if url != child.readyz or ready == child.ready:
                continue  # restarted meanwhile, or nothing new
            was = child.ready
            child.ready = ready
            self.say(f"{child.tag} ready" if ready else f"{child.tag} not ready: {why}")
            if ready and was is not True and self.all_ready():
                probed = [c for c in self.children if c.probed]
                self.say(f"all {len(probed)} processes ready")

    def all_ready(self) -> bool:
        return all(c.ready for c in self.children if c.probed)

    def _watch_readiness(self) -> None:
        for child in self.children:
            if not child.probed:
                self.say(f"{child.tag} serves no /readyz (its metrics port is 0)")
        while not self.stopping.wait(READINESS_INTERVAL / 4):
            self.check_readiness()
            ready = self.all_ready()
            if self.stopping.wait(READY_INTERVAL if ready else READINESS_INTERVAL * 3 / 4):
                return

    def run(self, store: StoreSettings | None = None, broker: str | None = None) -> int:
        def request_stop(signum: int, frame: Any) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        # The terminal closed: the children, in groups of their own, are not told; stop them.
        signal.signal(signal.SIGHUP, request_stop)
        self.say(f"store: {describe_store(store or StoreSettings.from_environ())}")
        self.say(f"broker: {describe_broker(broker or amqp_uri())}")
        for child in self.children:
            self.start(child)
        watcher = threading.Thread(target=self._watch_readiness, name="readiness", daemon=True)
        watcher.start()
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
        watcher.join(timeout=5)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        """Stop the children wave by wave (:func:`stop_waves`): consumers while the services
        they pull from still answer, so that a pull in flight ends at once rather than at its
        timeout; each relay once its service stored its last event."""
        self.say("stopping")
        for wave in stop_waves(self.children, self.upstreams):
            live = [c for c in wave if c.process is not None and c.process.poll() is None]
            if live:
                self.stop_wave(live)
        for child in self.children:
            if child.pump is not None:
                child.pump.join(timeout=2)
        self.say("stopped")

    def stop_wave(self, live: list[Child]) -> None:
        """SIGTERM to every child of one wave, then SIGKILL to any not gone after the grace."""
        started = time.monotonic()
        for child in live:
            assert child.process is not None
            child.process.terminate()
        deadline = started + GRACE_SECONDS
        for child in live:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.tag} did not stop in time; killing it")
                child.process.kill()
                child.process.wait()
        tags = ", ".join(c.tag for c in live)
        self.say(f"stopped {tags} in {time.monotonic() - started:.1f}s")


def stop_waves(
    children: list[Child], upstreams: Mapping[str, tuple[str, ...]]
) -> list[list[Child]]:
    """The order to stop ``children`` in, as waves stopped one after the other (the children
    of a wave together): a service once every service that consumes its events (``upstreams``
    names what each consumes) has stopped, a relay once its own service has. A child of no
    known service, or a cycle, goes in the last wave."""
    services = {c.service for c in children if not c.relay and c.service}
    consumers = {name: {s for s in services if name in upstreams.get(s, ())}
                 for name in services}
    stopped: set[str] = set()
    remaining = list(children)
    waves: list[list[Child]] = []
    while remaining:
        wave = [c for c in remaining if (
            c.service in stopped if c.relay else consumers.get(c.service, set()) <= stopped
        ) and c.service in services]
        if not wave:
            wave = remaining
        waves.append(wave)
        remaining = [c for c in remaining if c not in wave]
        stopped |= {c.service for c in wave if not c.relay}
    return waves


def child_metrics_port(service: str, *, relay: bool) -> int:
    """The operator's ``DUTYTRAIL_<NAME>[_RELAY]_METRICS_PORT`` if set, else the port the
    service declares for its process or its relay's, so that no two children collide."""
    declared = declaration(service)  # an unknown name is refused before anything starts
    default = declared.relay_metrics_port if relay else declared.metrics_port
    return int(env(metrics_port_variable(service, relay), str(default)))


def children_for(services: list[str]) -> list[Child]:
    """A service child and a relay child for each declared service named. A replica's relays
    are candidates too: only the one holding the service's leader lock publishes, the others
    stand by (shared/leadership.py)."""
    python = sys.executable
    children = []
    for service in services:
        for relay in (False, True):
            port = child_metrics_port(service, relay=relay)
            children.append(Child(
                f"{service}-relay" if relay else service,
                [python, "-m", "dutytrail_ops.cli", "relay" if relay else "run", service],
                {METRICS_PORT_VARIABLE: str(port)},
                relay=relay,
                service=service,
                probed=port > 0 or not relay,  # a service answers /readyz on its HTTP port
            ))
    return children


def describe_store(settings: StoreSettings) -> str:
    """Which store the children use, for the log: never the password."""
    if settings.backend == "sqlite":
        return f"SQLite, one file per service in {settings.var_dir} (<service>.sqlite)"
    schemas = f"{settings.pg_schema_prefix}<service>"
    return (
        f"PostgreSQL {settings.pg_user}@{settings.pg_host}:{settings.pg_port} "
        f"database {settings.pg_dbname!r}, schemas {schemas!r}"
    )


def describe_broker(uri: str) -> str:
    """The broker and virtual host, for the log: never the password."""
    parts = urlparse(uri)
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    user = unquote(parts.username or "guest")
    return f"RabbitMQ {user}@{parts.hostname or '127.0.0.1'}:{parts.port or 5672} vhost {vhost!r}"


def rpc_queue(service: str) -> str:
    """nameko's RPC queue of a service: every running instance consumes it."""
    return f"rpc-{service}"


def live_instances(services: list[str], uri: str) -> dict[str, int]:
    """The services whose RPC queue on this virtual host has consumers now, with how many:
    instances of them are running (asked with a passive declare, which needs no
    permission to create the queue and creates nothing)."""
    from amqp.exceptions import NotFound
    from kombu.connection import Connection

    found: dict[str, int] = {}
    with Connection(uri, connect_timeout=5) as connection:
        for service in services:
            channel = connection.channel()
            try:
                reply = channel.queue_declare(rpc_queue(service), passive=True)
            except NotFound:  # never declared: nothing ever ran here
                continue
            finally:
                with contextlib.suppress(Exception):  # a refused declare closed it already
                    channel.close()
            if reply.consumer_count:
                found[service] = int(reply.consumer_count)
    return found


def instance_problem(
    services: list[str], *, replica: bool, uri: str | None = None,
    store: StoreSettings | None = None,
) -> str | None:
    """None if ``up`` may start ``services`` here, else why not: an instance of one of them
    already runs on this virtual host (two would compete for the same RPC queues, each with
    its own store), unless this one is a ``replica`` of it, which needs the shared
    PostgreSQL store."""
    uri = uri or amqp_uri()
    store = store or StoreSettings.from_environ()
    if replica:
        if store.backend != "postgres":
            return ("--replica needs DUTYTRAIL_STORE=postgres: replicas share one store, and "
                    "the SQLite stores are files of one host")
        return None
    live = live_instances(services, uri)
    if not live:
        return None
    running = ", ".join(f"{name} ({count} consumers on {rpc_queue(name)})"
                        for name, count in sorted(live.items()))
    return (f"{running} already running on {describe_broker(uri)}. Stop it first, start this "
            "one on another virtual host, or add --replica to run beside it on the same "
            "PostgreSQL store")

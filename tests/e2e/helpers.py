"""Helpers of the end-to-end tests: real `dutytrail` processes, a private RabbitMQ virtual host
per test, and an outside subscriber that speaks plain AMQP through pika.

Every test gets its own virtual host, so that the fixed names of the contract (the RPC queue
``rpc-responsibility``, the exchange ``responsibility.events``, the demo's subscriber queue)
never meet another run's services or relays on the same broker.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pika

from dutytrail_ops.acting import Acting
from dutytrail_ops.registry import service_names
from shared.envelope import parse_position
from shared.roles import AUDITOR, PARTY_COMMITTEE
from shared.settings import StoreSettings
from tests.conftest import DEV_KEY_VARIABLES, environ_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The console script installed next to the interpreter running the tests (.venv/bin/dutytrail).
_SCRIPT = Path(sys.executable).with_name("dutytrail")
DUTYTRAIL: list[str] = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "dutytrail_ops.cli"]

STARTED = re.compile(r"\[dutytrail\] started (?P<tag>[\w-]+) \(pid (?P<pid>\d+)\)")


# A private virtual host.


def _rabbitmqctl(*args: str) -> None:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        msg = "rabbitmqctl is not on PATH: the end-to-end tests make a private vhost with it"
        raise RuntimeError(msg)
    done = subprocess.run(
        [tool, "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        msg = f"rabbitmqctl {' '.join(args)} failed: {done.stdout}{done.stderr}"
        raise RuntimeError(msg)


def private_vhost(base_uri: str) -> Iterator[str]:
    """Yield an AMQP URI for a fresh virtual host (deleted afterwards, with its queues)."""
    parts = urlparse(base_uri)
    user = parts.username or "guest"
    name = f"dutytrail-e2e-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", name)
    try:
        _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
        yield f"{parts.scheme}://{parts.netloc}/{quote(name, safe='')}"
    finally:
        _rabbitmqctl("delete_vhost", name)


# Processes.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_env(
    settings: StoreSettings,
    amqp_uri: str,
    metrics_port: int = 0,
    relay_metrics_port: int = 0,
) -> dict[str, str]:
    """The environment of a `dutytrail` child: nothing inherited that names a store, a broker or
    a port, then exactly the given ones. Metrics port 0 = no metrics endpoint; only the
    responsibility service and its relay get the ports given."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DUTYTRAIL_", "POSTGRES_", "AMQP_URI", "PSYCOPG_"))
    }
    env.update(environ_for(settings))
    env.update(AMQP_URI=amqp_uri, PYTHONUNBUFFERED="1")
    # As deploy/demo.sh: the demo's commission (unit D01) owes no quarterly report itself.
    env["DUTYTRAIL_COMMISSION_UNIT_CODE"] = "D01"
    # The session's development keys (tests/conftest.py): children sign and verify alike.
    env.update({key: os.environ[key] for key in DEV_KEY_VARIABLES if key in os.environ})
    for service in service_names():  # the declared ports would collide with any other run
        env[f"DUTYTRAIL_{service.upper()}_METRICS_PORT"] = "0"
        env[f"DUTYTRAIL_{service.upper()}_RELAY_METRICS_PORT"] = "0"
        env[f"DUTYTRAIL_{service.upper()}_HTTP_PORT"] = "0"  # a free port (shared/nameko_kit/http.py)
    env["DUTYTRAIL_RESPONSIBILITY_METRICS_PORT"] = str(metrics_port)
    env["DUTYTRAIL_RESPONSIBILITY_RELAY_METRICS_PORT"] = str(relay_metrics_port)
    return env


@dataclass
class Proc:
    """A child process in its own session (so its whole group can be killed), its output
    (stdout and stderr) going to a file that the test reads."""

    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]
    _log: Any = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_for(
        self, pattern: str | re.Pattern[str], timeout: float, start: int = 0
    ) -> re.Match[str]:
        """The first match of ``pattern`` in the output from character ``start`` on."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.output(), start)
            if found:
                return found
            if self.popen.poll() is not None:
                found = regex.search(self.output(), start)
                if found:
                    return found
                msg = f"{self.argv} exited with {self.popen.returncode} before {regex.pattern!r}"
                raise AssertionError(f"{msg}; output:\n{self.tail()}")
            if time.monotonic() > deadline:
                msg = f"no {regex.pattern!r} from {self.argv} within {timeout:.0f}s"
                raise AssertionError(f"{msg}; output:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()


class Launcher:
    """Starts `dutytrail` processes and kills every one of them (and their children) at the
    end of the test, whatever happened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.procs: list[Proc] = []

    def start(self, args: list[str], env: dict[str, str], name: str) -> Proc:
        log_path = self.directory / f"{name}-{len(self.procs)}.log"
        log = log_path.open("wb")
        argv = [*DUTYTRAIL, *args]
        popen = subprocess.Popen(
            argv, env=env, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        proc = Proc(argv, log_path, popen, log)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.kill_group()


def run_cli(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DUTYTRAIL, *args], env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0; it has exited all the same.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return status != "Z"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


# RPC.


def rpc_config(amqp_uri: str) -> dict[str, Any]:
    from shared.nameko_kit.config import service_config

    return service_config(AMQP_URI=amqp_uri)


def wait_for_ping(rpc: Any, timeout: float) -> None:
    """Until the responsibility service answers (before it consumes, nameko's standalone
    proxy is refused at once: nobody is bound to the RPC queue yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rpc.responsibility.ping()
            return
        except Exception as error:
            if time.monotonic() > deadline:  # any failure until then means: not up yet
                raise AssertionError(f"responsibility did not answer ping: {error!r}") from error
            time.sleep(0.2)


def stored_events(rpc: Any, service: str = "responsibility") -> list[dict[str, Any]]:
    """Every event ``service`` stored, through the catch-up RPC (as an auditor), by pages."""
    auditor = Acting(rpc).as_(uuid.uuid4(), uuid.uuid4(), AUDITOR)
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = getattr(auditor, service).events_after({"after": after, "limit": 500})
        events += page
        if len(page) < 500:
            return events
        after = parse_position(page[-1]["sequence"])


def committee(rpc: Any) -> Any:
    """The services as a new clerk of the party committee: each call carries their token
    (the session's development keys, which the children share: tests/conftest.py)."""
    return Acting(rpc).as_(uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE)


# The outside subscriber.


@dataclass
class Delivery:
    routing_key: str
    content_type: str | None
    content_encoding: str | None
    delivery_mode: int | None
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


class Subscriber:
    """An outside system: its own durable queue bound with ``#`` to ``<service>.events``,
    read with plain AMQP (pika) and deduplicated by ``id`` by whoever reads it."""

    def __init__(self, amqp_uri: str, exchange: str = "responsibility.events") -> None:
        parameters = pika.URLParameters(amqp_uri)
        # A blocking connection answers heartbeats only inside its own calls, and this one
        # sits idle while a demo plays for minutes: without heartbeats the broker keeps it.
        parameters.heartbeat = 0
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.queue = f"outside.{uuid.uuid4().hex[:8]}"
        # The same attributes the relay and nameko declare the exchange with.
        self.channel.exchange_declare(exchange, "topic", durable=True)
        self.channel.queue_declare(self.queue, durable=True)
        self.channel.queue_bind(self.queue, exchange, routing_key="#")
        self.deliveries: list[Delivery] = []

    def ready(self) -> int:
        """Messages waiting in the queue (nothing consumes until :meth:`receive`)."""
        declared = self.channel.queue_declare(self.queue, durable=True, passive=True)
        count: int = declared.method.message_count
        return count

    def receive(self, until: Callable[[list[Delivery]], bool], timeout: float) -> list[Delivery]:
        """Take messages until ``until(all received so far)`` holds or nothing came for
        ``timeout`` seconds."""
        if until(self.deliveries):
            return self.deliveries
        for method, properties, body in self.channel.consume(
            self.queue, inactivity_timeout=timeout
        ):
            if method is None:
                break
            self.deliveries.append(Delivery(
                method.routing_key, properties.content_type, properties.content_encoding,
                properties.delivery_mode, body,
            ))
            self.channel.basic_ack(method.delivery_tag)
            if until(self.deliveries):
                break
        self.channel.cancel()
        return self.deliveries

    def close(self) -> None:
        try:
            self.channel.queue_delete(self.queue)
            self.connection.close()
        except Exception:  # noqa: BLE001 - the vhost goes away anyway
            pass


def first_of_each(deliveries: list[Delivery]) -> tuple[list[dict[str, Any]], int]:
    """Deduplicate by ``id`` as an outside subscriber does: the first copy of each event in
    arrival order, and how many copies were dropped. Every copy must equal the first."""
    seen: dict[str, bytes] = {}
    unique: list[dict[str, Any]] = []
    duplicates = 0
    for delivery in deliveries:
        event = delivery.event
        if event["id"] in seen:
            duplicates += 1
            assert json.loads(seen[event["id"]]) == event, f"copies of {event['id']} differ"
            continue
        seen[event["id"]] = delivery.body
        unique.append(event)
    return unique, duplicates


def assert_unbroken_chain(events: list[dict[str, Any]]) -> None:
    """Ordered by position, each event names the one before it; the first names none."""
    ordered = sorted(events, key=lambda e: parse_position(e["sequence"]))
    assert ordered[0]["prevsequence"] == ""
    for before, event in itertools.pairwise(ordered):
        assert event["prevsequence"] == before["sequence"], (
            f"{event['id']} at {event['sequence']} follows {event['prevsequence']!r}, "
            f"but the event before it is at {before['sequence']}"
        )

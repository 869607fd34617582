"""End to end: RPC register_unit -> stored -> published by the relay -> received by a subscriber.

In one run, at each concurrency (default 1, 10 and 20 callers):

* **no-op RPC**: ``ping`` calls per second, the framework's ceiling at that concurrency;
* **end to end**: ``register_unit`` commands per second, timed from the first call to the last
  of their events received by an outside subscriber (py-amqp, on its own queue bound to
  ``responsibility.events`` with ``#``); also the RPC-side rate (call to stored);

and once, the store's raw save rate (``Responsibilities.register_unit`` in-process, one
thread, on the same backend; ``bench/store_rate.py`` as a child process, before the services
start).

The service and its relay run as child processes (``dutytrail run responsibility``,
``dutytrail relay responsibility``) on a fresh store: SQLite in a temporary
``DUTYTRAIL_VAR_DIR`` (default), or with ``--backend postgres`` schemas of their own in the
database ``POSTGRES_DBNAME`` (default ``test``), dropped at the end; callers are
eventlet green threads, each with its own nameko ``ClusterRpcProxy``. At each level the ping
and register_unit phases alternate for ``--rounds`` rounds, so that the machine's noise falls
on both alike; rates pool the rounds.

    .venv/bin/python bench/end_to_end.py [--backend sqlite|postgres] [--concurrency 1,10,20]
        [--seconds 3] [--rounds 5]

This script's own garbage collector is held off while a phase is timed (and runs between
phases): see :func:`timed_without_collections`.

Run it against a broker (or vhost, ``--amqp-uri``) where no other responsibility service is
running: the script refuses to measure if ``rpc-responsibility`` has another consumer.

Every call carries a token, as in production (docs/roles.md): the commands a party-committee
clerk's, signed with DEVELOPMENT keys generated in the temporary ``DUTYTRAIL_VAR_DIR``
(``DUTYTRAIL_DEV_KEYS=1`` for the script and its children alike); ``ping`` is open to all.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import ctypes  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import amqp  # noqa: E402
from cleanup import unwind_on_sigterm  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from dutytrail_ops.acting import Acting  # noqa: E402
from shared.nameko_kit import service_config  # noqa: E402
from shared.persistence import drop_postgres_schemas  # noqa: E402
from shared.relay import AmqpTarget, event_exchange_name  # noqa: E402
from shared.roles import PARTY_COMMITTEE  # noqa: E402
from shared.settings import StoreSettings, amqp_uri  # noqa: E402

# py-amqp warns about confirms that arrive while a timed-out proxy closes; harmless here.
logging.getLogger("amqp").setLevel(logging.ERROR)

SERVICE = "responsibility"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN_DIR = Path(sys.executable).parent
# Issue 8's aims: end to end at >= 70 % (SQLite) and >= 50 % (PostgreSQL) of the no-op RPC
# rate at 10 and 20 callers.
AIM_RATIOS = {"sqlite": 0.7, "postgres": 0.5}
AIM_FROM_CALLERS = 10
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- child processes


@dataclass
class Child:
    tag: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            msg = f"{self.tag} exited with {code}; its log ends:\n{self.log_tail()}"
            raise RuntimeError(msg)

    def stop(self, grace: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                print(f"  {self.tag} did not stop in {grace:.0f}s; killing it")
                self.process.kill()
                self.process.wait()


def attempt(what: str, step: Callable[[], Any]) -> None:
    try:
        step()
    except Exception as error:  # noqa: BLE001 - clean-up goes on; the failure is shown
        print(f"  clean-up: {what} failed: {error!r}")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0.0 elsewhere)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK


def find_broker_pid() -> int | None:
    """The local RabbitMQ if this machine runs it and /proc shows it: the oldest beam.smp
    (``rabbitmqctl`` runs short-lived ones of its own)."""
    found: list[tuple[int, int]] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "beam.smp":
                    continue
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                found.append((int(fields[19]), int(entry.name)))  # (start time, pid)
            except (OSError, ValueError, IndexError):
                continue
    return min(found)[1] if found else None


class CpuMeter:
    """CPU used by each process of the benchmark between two moments, as a share of one core
    (the machine's share is of all its cores)."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids

    def snapshot(self) -> dict[str, float]:
        shot = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        shot["machine"] = machine_busy_seconds()
        return shot

    def used_since(self, before: dict[str, float]) -> dict[str, float]:
        """CPU seconds used since ``before``; the machine's divided by its number of cores."""
        after = self.snapshot()
        used = {name: after[name] - before[name] for name in before}
        used["machine"] /= os.cpu_count() or 1
        return used


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when this script dies, however it dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_child(tag: str, argv: list[str], environ: dict[str, str], log_dir: Path) -> Child:
    log_path = log_dir / f"{tag}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
    return Child(tag, process, log_path)


# --------------------------------------------------------------------------- the subscriber


class Subscriber:
    """An outside subscriber: its own durable queue bound to ``<service>.events`` with ``#``.

    It counts each event once (by CloudEvent ``id``) under the phase named in the unit code
    (``b<run>.<phase>.<caller>.<n>``) and remembers when the last one of each phase arrived.
    Events of other runs or other writers on the exchange are counted as foreign and ignored.
    """

    def __init__(self, uri: str, run_id: str, queue_type: str) -> None:
        target = AmqpTarget.from_uri(uri)
        self.prefix = f"b{run_id}"
        self.queue = f"dutytrail.bench.e2e.{run_id}"
        self.connection = amqp.Connection(
            host=target.host, userid=target.userid, password=target.password,
            virtual_host=target.virtual_host, connect_timeout=5, heartbeat=0,
        )
        self.connection.connect()
        channel = self.connection.channel()
        exchange = event_exchange_name(SERVICE)
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        # Durable like a real subscriber's queue; x-expires removes it if this script dies.
        channel.queue_declare(
            self.queue, durable=True, auto_delete=False,
            arguments={"x-expires": 600_000, "x-queue-type": queue_type},
        )
        channel.queue_bind(self.queue, exchange, "#")
        self.consumer_tag = channel.basic_consume(
            self.queue, callback=self._on_message, no_ack=True
        )
        self.channel = channel
        self.seen: dict[str, set[str]] = {}
        self.last_at: dict[str, float] = {}
        self.duplicates = 0
        self.foreign = 0
        self.received = 0
        self._stopping = False
        self._thread = eventlet.spawn(self._loop)

    def _on_message(self, message: amqp.Message) -> None:
        now = time.perf_counter()
        self.received += 1
        event = json.loads(message.body)
        parts = str(event.get("data", {}).get("code", "")).split(".")
        if len(parts) < 2 or parts[0] != self.prefix:
            self.foreign += 1
            return
        ids = self.seen.setdefault(parts[1], set())
        if event["id"] in ids:
            self.duplicates += 1
            return
        ids.add(event["id"])
        self.last_at[parts[1]] = now

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue

    def count(self, phase: str) -> int:
        return len(self.seen.get(phase, ()))

    def wait_for(self, phase: str, expected: int, timeout: float) -> float:
        """Wait until ``expected`` events of ``phase`` arrived; return when the last did."""
        deadline = time.perf_counter() + timeout
        while self.count(phase) < expected:
            if self._thread.dead:
                self._thread.wait()  # re-raises the subscriber's failure
            if time.perf_counter() > deadline:
                msg = (f"only {self.count(phase)} of {expected} events of phase {phase} "
                       f"arrived within {timeout:.0f}s")
                raise TimeoutError(msg)
            eventlet.sleep(0.005)
        return self.last_at[phase]

    def close(self) -> None:
        self._stopping = True
        self._thread.wait()
        try:
            self.channel.basic_cancel(self.consumer_tag)
            self.channel.queue_delete(self.queue)
        finally:
            self.connection.close()


# --------------------------------------------------------------------------- callers


@dataclass
class PhaseResult:
    """One timed phase: ``calls`` calls between ``started`` and ``finished``; for commands,
    ``last_event_at`` is when the subscriber received the last of their events."""

    calls: int
    started: float
    finished: float
    latencies: list[float]
    last_event_at: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def end_to_end_seconds(self) -> float:
        return self.last_event_at - self.started


Call = Callable[[Any, int, int], Any]


def run_callers(proxies: list[Any], concurrency: int, seconds: float, call: Call) -> PhaseResult:
    """``concurrency`` green threads, each calling through its own proxy until the deadline."""
    latencies: list[float] = []

    def caller(index: int) -> int:
        proxy = proxies[index]
        n = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            call(proxy, index, n)
            latencies.append(time.perf_counter() - t0)
            n += 1
        return n

    started = time.perf_counter()
    deadline = started + seconds
    threads = [eventlet.spawn(caller, i) for i in range(concurrency)]
    try:
        calls = sum(t.wait() for t in threads)
    finally:
        for thread in threads:  # on an error or a signal, stop every caller before clean-up
            thread.kill()
    return PhaseResult(calls, started, time.perf_counter(), latencies)


@contextlib.contextmanager
def timed_without_collections() -> Iterator[None]:
    """While a phase is timed, this script's own cyclic garbage collector waits (it runs just
    before), as ``timeit`` does. This script is the instrument: a full collection of its own
    took 55-66 ms, during which no caller called and every event that arrived was stamped
    late, the measuring process's pause counted as the system's. The service and the relay
    collect as they always do."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def ping(proxy: Any, index: int, n: int) -> Any:
    return proxy.responsibility.ping()


def register(phase: str, prefix: str) -> Call:
    """``register_unit`` by the proxy's caller (a party-committee clerk's token)."""

    def call(proxy: Any, index: int, n: int) -> Any:
        return proxy.responsibility.register_unit({
            "code": f"{prefix}.{phase}.{index}.{n}",
            "name": f"bench unit {phase}/{index}/{n}",
            "kind": "district_department",
            "parent_unit_id": None,
        })

    return call


def wait_until_serving(config: dict[str, Any], children: list[Child], timeout: float) -> None:
    """Until the service answers ping (its queue may not exist yet: retry with short calls)."""
    uri = config["AMQP_URI"]
    deadline = time.perf_counter() + timeout
    while True:
        for child in children:
            child.check_alive()
        proxy = ClusterRpcProxy(config, timeout=2)
        try:
            proxy.start().responsibility.ping()
            return
        except Exception:  # not up yet (RpcTimeout, connection refused, ...)
            if time.perf_counter() > deadline:
                raise
        finally:
            proxy.stop()
            names = [name] if (name := reply_queue(proxy)) else []
            attempt("deleting a reply queue", functools.partial(delete_queues, uri, names))
        eventlet.sleep(0.2)


def connect(uri: str) -> amqp.Connection:
    target = AmqpTarget.from_uri(uri)
    connection = amqp.Connection(
        host=target.host, userid=target.userid, password=target.password,
        virtual_host=target.virtual_host, connect_timeout=5,
    )
    connection.connect()
    return connection


def rpc_consumers(uri: str) -> int:
    connection = connect(uri)
    try:
        _, _, consumers = connection.channel().queue_declare(f"rpc-{SERVICE}", passive=True)
        return int(consumers)
    finally:
        connection.close()


def reply_queue(client: ClusterRpcProxy) -> str | None:
    """The name of a standalone proxy's reply queue (nameko lets it expire after 5 minutes)."""
    queue = getattr(getattr(client, "_reply_listener", None), "queue", None)
    name = getattr(queue, "name", None)
    return name if isinstance(name, str) else None


def delete_queues(uri: str, names: list[str]) -> None:
    connection = connect(uri)
    try:
        channel = connection.channel()
        for name in names:
            channel.queue_delete(name)
    finally:
        connection.close()


# --------------------------------------------------------------------------- the run


def percentile_ms(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Row:
    """One concurrency level: its ping and register_unit phases, alternated round by round.
    Rates pool the rounds (all calls over all their time)."""

    concurrency: int
    pings: list[PhaseResult] = field(default_factory=list)
    commands: list[PhaseResult] = field(default_factory=list)

    @property
    def ping_rate(self) -> float:
        return sum(p.calls for p in self.pings) / sum(p.seconds for p in self.pings)

    @property
    def call_rate(self) -> float:
        return sum(c.calls for c in self.commands) / sum(c.seconds for c in self.commands)

    @property
    def end_to_end_rate(self) -> float:
        seconds = sum(c.end_to_end_seconds for c in self.commands)
        return sum(c.calls for c in self.commands) / seconds

    @property
    def ratio(self) -> float:
        return self.end_to_end_rate / self.ping_rate

    def round_ratios(self) -> list[float]:
        return [
            (c.calls / c.end_to_end_seconds) / (p.calls / p.seconds)
            for p, c in zip(self.pings, self.commands, strict=True)
        ]

    def mean_tail_ms(self) -> float:
        return 1000 * statistics.fmean(c.last_event_at - c.finished for c in self.commands)

    def latencies(self, phases: list[PhaseResult]) -> list[float]:
        return [x for p in phases for x in p.latencies]

    def cpu_share(self, phases: list[PhaseResult], name: str, end_to_end: bool) -> float:
        wall = sum(p.end_to_end_seconds if end_to_end else p.seconds for p in phases)
        return sum(p.cpu_seconds.get(name, 0.0) for p in phases) / wall


def store_rate(backend: str, events: int) -> dict[str, Any]:
    script = Path(__file__).with_name("store_rate.py")
    out = subprocess.run(
        [sys.executable, str(script), "--backend", backend, "--events", str(events), "--json"],
        cwd=PROJECT_ROOT, check=True, capture_output=True, text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def measure(args: argparse.Namespace, levels: list[int]) -> tuple[list[Row], dict[str, Any]]:
    run_id = uuid.uuid4().hex[:8]
    var_dir = Path(tempfile.mkdtemp(prefix="dutytrail-bench-e2e-"))
    environ = dict(os.environ)
    postgres = StoreSettings.postgres(f"bench{run_id}_") if args.backend == "postgres" else None
    environ.update({
        "AMQP_URI": args.amqp_uri,
        "DUTYTRAIL_STORE": args.backend,
        "DUTYTRAIL_VAR_DIR": str(var_dir),
        f"DUTYTRAIL_{SERVICE.upper()}_METRICS_PORT": "0",
        f"DUTYTRAIL_{SERVICE.upper()}_RELAY_METRICS_PORT": "0",
        "DUTYTRAIL_LOG_LEVEL": "WARNING",
        # DEVELOPMENT keys, in the temporary store: the service verifies the tokens this
        # script signs, and signs the events the relay publishes.
        "DUTYTRAIL_DEV_KEYS": "1",
        "DUTYTRAIL_KEY_DIR": str(var_dir / "keys"),
    })
    os.environ.update({key: environ[key] for key in ("DUTYTRAIL_DEV_KEYS", "DUTYTRAIL_KEY_DIR")})
    if postgres is not None:
        environ.update({
            "DUTYTRAIL_SCHEMA_PREFIX": postgres.pg_schema_prefix,
            "POSTGRES_HOST": postgres.pg_host, "POSTGRES_PORT": postgres.pg_port,
            "POSTGRES_USER": postgres.pg_user, "POSTGRES_DBNAME": postgres.pg_dbname,
        })
    if args.max_workers:
        environ["DUTYTRAIL_MAX_WORKERS"] = str(args.max_workers)
    if postgres is None:
        print(f"  store: SQLite in {var_dir}; run id {run_id}")
    else:
        print(f"  store: PostgreSQL, database {postgres.pg_dbname}, schemas "
              f"{postgres.pg_schema_prefix}*; run id {run_id}")

    print(f"  raw store save rate ({args.store_events} saves, {args.backend}, one thread) ...")
    raw = store_rate(args.backend, args.store_events)

    children: list[Child] = []
    subscriber: Subscriber | None = None
    clients: list[ClusterRpcProxy] = []
    proxies: list[Any] = []
    rows: list[Row] = []
    try:
        dutytrail = str(BIN_DIR / "dutytrail")
        children.append(start_child("service", [dutytrail, "run", SERVICE], environ, var_dir))
        children.append(start_child("relay", [dutytrail, "relay", SERVICE], environ, var_dir))
        service, relay = children
        subscriber = Subscriber(args.amqp_uri, run_id, args.queue)
        config = service_config(AMQP_URI=args.amqp_uri)
        wait_until_serving(config, children, timeout=60)
        consumers = rpc_consumers(args.amqp_uri)
        if consumers != 1:
            msg = (f"rpc-{SERVICE} has {consumers} consumers: another {SERVICE} service runs on "
                   "this broker/vhost and would answer some calls; use --amqp-uri with a vhost "
                   "of its own")
            raise RuntimeError(msg)
        clients = [ClusterRpcProxy(config, timeout=60) for _ in range(max(levels))]
        # One party-committee clerk, calling through every proxy (each with its token).
        clerk, committee = uuid.uuid4(), uuid.uuid4()
        proxies = [
            Acting(client.start()).as_(clerk, committee, PARTY_COMMITTEE) for client in clients
        ]
        prefix = subscriber.prefix

        # Warm-up: every proxy, the store's tables, the relay and the subscriber's queue.
        run_callers(proxies, len(proxies), 1.0, ping)
        warm = run_callers(proxies, len(proxies), 1.0, register("warm", prefix))
        subscriber.wait_for("warm", warm.calls, timeout=60)

        meter = CpuMeter({
            "bench": os.getpid(), "service": service.process.pid,
            "relay": relay.process.pid, "broker": find_broker_pid(),
        })
        for level in levels:
            row = Row(level)
            rows.append(row)
            print(f"  {level} callers: {args.rounds} x (ping {args.seconds:g}s, "
                  f"register_unit {args.seconds:g}s + until its last event arrived) ...")
            for n in range(args.rounds):
                with timed_without_collections():
                    before = meter.snapshot()
                    pinged = run_callers(proxies, level, args.seconds, ping)
                    pinged.cpu_seconds = meter.used_since(before)
                row.pings.append(pinged)

                phase = f"c{level}r{n}"
                with timed_without_collections():
                    before = meter.snapshot()
                    done = run_callers(proxies, level, args.seconds, register(phase, prefix))
                    done.last_event_at = subscriber.wait_for(phase, done.calls, timeout=120)
                    done.cpu_seconds = meter.used_since(before)
                row.commands.append(done)
                for child in children:
                    child.check_alive()
        if subscriber.duplicates:
            print(f"  note: the subscriber received {subscriber.duplicates} duplicates")
        if subscriber.foreign:
            print(f"  note: {subscriber.foreign} events of other writers were on the exchange")
    finally:
        # Every step on its own, so that one failure never leaves a process or queue behind.
        for client in clients:
            attempt("stopping an RPC proxy", client.stop)
        replies = [name for name in map(reply_queue, clients) if name]
        if replies:
            attempt("deleting the reply queues", lambda: delete_queues(args.amqp_uri, replies))
        if subscriber is not None:
            attempt("closing the subscriber", subscriber.close)
        for child in reversed(children):
            attempt(f"stopping the {child.tag}", child.stop)
        if args.keep:
            print(f"  kept {var_dir} (store and child logs)")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
            if postgres is not None:
                attempt("dropping the schemas", lambda: drop_postgres_schemas(postgres))
    return rows, raw


def report(rows: list[Row], raw: dict[str, Any], backend: str) -> bool:
    aim = AIM_RATIOS[backend]
    header = (
        f"{'callers':>7} | {'ping/s':>7} {'p50 ms':>6} | {'call->stored/s':>14} {'p50 ms':>6} "
        f"{'p95 ms':>6} | {'end-to-end/s':>12} {'tail ms':>7} | {'e2e/ping':>8} "
        f"{'(rounds)':>21}"
    )
    print(header)
    print("-" * len(header))
    met = True
    for r in rows:
        pings, commands = r.latencies(r.pings), r.latencies(r.commands)
        rounds = "/".join(f"{x:.0%}" for x in r.round_ratios())
        print(
            f"{r.concurrency:>7} | {r.ping_rate:>7,.0f} {percentile_ms(pings, 0.5):>6.1f} | "
            f"{r.call_rate:>14,.0f} {percentile_ms(commands, 0.5):>6.1f} "
            f"{percentile_ms(commands, 0.95):>6.1f} | {r.end_to_end_rate:>12,.0f} "
            f"{r.mean_tail_ms():>7.0f} | {r.ratio:>8.1%} {'(' + rounds + ')':>21}"
        )
        met = met and (r.concurrency < AIM_FROM_CALLERS or r.ratio >= aim)
    print()
    names = ("bench", "service", "relay", "broker")
    print("CPU, share of one core (machine: busy share of all its cores, whoever used them):")
    print(f"{'callers':>7} {'phase':>10} | " + " ".join(f"{n:>7}" for n in names)
          + f" | {'machine':>7}")
    for r in rows:
        for label, phases, e2e in (("ping", r.pings, False), ("end-to-end", r.commands, True)):
            shares = " ".join(f"{r.cpu_share(phases, n, e2e):>7.0%}" for n in names)
            print(f"{r.concurrency:>7} {label:>10} | {shares} | "
                  f"{r.cpu_share(phases, 'machine', e2e):>7.0%}")
    print()
    print(f"raw store save rate (Responsibilities.register_unit in-process, one thread, "
          f"{backend}): "
          f"{raw['per_second']:,.0f} events/s ({raw['events']} saves)")
    commands_done = ", ".join(f"{sum(c.calls for c in r.commands)} at {r.concurrency}"
                              for r in rows)
    print(f"commands (= events received) per level: {commands_done}")
    verdict = "MET" if met else "NOT MET"
    ratios = ", ".join(f"{r.ratio:.1%} at {r.concurrency}" for r in rows)
    print(f"aim ({backend}): end to end >= {aim:.0%} of the no-op RPC rate at equal "
          f"concurrency, from {AIM_FROM_CALLERS} callers: {verdict} ({ratios})")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="the service's store (default sqlite)")
    parser.add_argument("--concurrency", default="1,10,20",
                        help="comma-separated numbers of concurrent callers (default 1,10,20)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="duration of each ping and each register_unit phase (default 3)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="ping/register_unit phase pairs alternated per level (default 5)")
    parser.add_argument("--store-events", type=int, default=2000,
                        help="saves timed for the raw store rate (default 2000)")
    parser.add_argument("--queue", choices=("classic", "quorum"), default="classic",
                        help="subscriber queue type (default classic, as shared.subscription)")
    parser.add_argument("--amqp-uri", default=amqp_uri(),
                        help="broker (default $AMQP_URI or amqp://guest:guest@127.0.0.1:5672/)")
    parser.add_argument("--max-workers", type=int, default=0,
                        help="the service's DUTYTRAIL_MAX_WORKERS (default: deploy/ yaml, 10)")
    parser.add_argument("--keep", action="store_true", help="keep the store and child logs")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    if not levels or min(levels) < 1:
        parser.error("--concurrency needs positive integers")
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds and --seconds must be positive")

    unwind_on_sigterm()
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; broker {AmqpTarget.from_uri(args.amqp_uri).host}"
          f" vhost {AmqpTarget.from_uri(args.amqp_uri).virtual_host!r}")
    rows, raw = measure(args, levels)
    print()
    report(rows, raw, args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())

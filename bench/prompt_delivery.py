"""Command -> outside subscriber latency at half the maximum sustainable load: the relay woken
by its store against the same relay polling every 50 ms, in the same run (issue 8, "A faster,
prompter relay": p99 <= 15 ms).

For each backend of ``--backend`` (default sqlite,postgres), on a fresh store:

1. ``dutytrail run responsibility`` as a child process, and an outside subscriber in this
   script (py-amqp, its own durable queue bound to ``responsibility.events`` with ``#``)
   that notes when each event arrives.
2. **Maximum load**: with the woken relay, ``--probe-callers`` (20) callers call
   ``register_unit`` back to back for ``--probe-seconds`` (5); the maximum is the end-to-end
   rate, commands / (first call -> the last of their events at the subscriber), as in
   bench/end_to_end.py. The load of the rounds is half of it (or ``--rate``).
3. ``--rounds`` rounds (3), each with both relays in turn, the order alternating: the
   relay child is ``dutytrail relay responsibility`` (**woken**: ``NOTIFY`` on PostgreSQL, a
   datagram on SQLite, fallback 1 s) or ``dutytrail relay responsibility --poll 0.05``
   (**polling** every 50 ms, the relay before the wake-up). For ``--seconds`` (10), commands
   are sent open loop at the round's rate (evenly spaced, each from whichever of
   ``--callers`` proxies is free), and the latency of each is the time from the moment its
   call is sent to the moment its event reaches the subscriber (same clock, this process).
   A relay just started is first warmed (half a second of commands, until their events
   arrived) outside the timed round, as the first one is by the warm-up before the maximum.
   Each round starts with the no-op ``ping`` sent the same way, at the same pace, for as long:
   the floor of a command's reply at that load (the broker, nameko, this process), which no
   change to the command or the relay can go below.

This script is the instrument: its callers stamp each call and its subscriber each arrival.
Its own cyclic garbage collector is held off while a round is timed (and run between rounds),
as ``timeit`` does: a full collection here took 55-66 ms, and every arrival stamped meanwhile
was late by it, a stall of the measuring process counted as the system's latency. The
service and the relay collect as they always do.

Beside each round, ``bench/stall_probe.py`` notes the machine's own stalls: a sleeping
process's wake-ups 5 ms late or more, and ``fsync``s of a byte (20 a second, on the store's
disk) that took 10 ms or more. Each round's line says how many and the longest: a round
whose tail coincides with them was held up by the shared machine, not by the code under test.

Reported per backend and relay: p50, p99 and max of every command of the rounds pooled, and
the min/median/max over the rounds of each round's p50 and p99. Every call carries a
party-committee clerk's token (development keys in the temporary var dir), as in production.

    AMQP_URI=amqp://guest:guest@127.0.0.1:5672/dutytrail-bench \\
        .venv/bin/python bench/prompt_delivery.py [--backend sqlite,postgres] [--rounds 3]
        [--seconds 10] [--rate R]

Run it on a vhost where no other responsibility service runs (it refuses to measure if
``rpc-responsibility`` has another consumer).
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import os  # noqa: E402

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")  # psycopg under eventlet

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import amqp  # noqa: E402
from cleanup import unwind_on_sigterm  # noqa: E402
from end_to_end import (  # noqa: E402  (bench/ is the script's directory)
    BIN_DIR,
    SERVICE,
    Child,
    CpuMeter,
    attempt,
    cpu_seconds,
    delete_queues,
    find_broker_pid,
    register,
    reply_queue,
    rpc_consumers,
    run_callers,
    start_child,
    timed_without_collections,
    wait_until_serving,
)
from eventlet.queue import LightQueue  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from stall_probe import StallProbe, Stalls  # noqa: E402  (bench/ is the script's directory)

from dutytrail_ops.acting import Acting  # noqa: E402
from shared.nameko_kit import service_config  # noqa: E402
from shared.persistence import drop_postgres_schemas  # noqa: E402
from shared.relay import AmqpTarget, event_exchange_name  # noqa: E402
from shared.roles import PARTY_COMMITTEE  # noqa: E402
from shared.settings import StoreSettings, amqp_uri  # noqa: E402

logging.getLogger("amqp").setLevel(logging.ERROR)

AIM_P99_MS = 15.0
POLL_SECONDS = 0.05
RELAY_READY = "relay for responsibility starts at position"
MODES = ("woken", "polling")
PING = "ping"  # the no-op RPC at the rounds' pace: the floor of any command's reply


class Subscriber:
    """An outside subscriber that notes when each event of this run arrives, by the unit code
    of the command that stored it (``<prefix>.<phase>.<caller>.<n>``)."""

    def __init__(self, uri: str, run_id: str, queue_type: str) -> None:
        target = AmqpTarget.from_uri(uri)
        self.prefix = f"p{run_id}"
        self.queue = f"dutytrail.bench.prompt.{run_id}"
        self.connection = amqp.Connection(
            host=target.host, userid=target.userid, password=target.password,
            virtual_host=target.virtual_host, connect_timeout=5, heartbeat=0,
        )
        self.connection.connect()
        channel = self.connection.channel()
        exchange = event_exchange_name(SERVICE)
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        channel.queue_declare(
            self.queue, durable=True, auto_delete=False,
            arguments={"x-expires": 600_000, "x-queue-type": queue_type},
        )
        channel.queue_bind(self.queue, exchange, "#")
        self.consumer_tag = channel.basic_consume(self.queue, callback=self._on_message,
                                                  no_ack=True)
        self.channel = channel
        self.arrived: dict[str, float] = {}
        self.duplicates = 0
        self._stopping = False
        self._thread = eventlet.spawn(self._loop)

    def _on_message(self, message: amqp.Message) -> None:
        now = time.perf_counter()
        code = str(json.loads(message.body).get("data", {}).get("code", ""))
        if not code.startswith(self.prefix + "."):
            return
        if code in self.arrived:
            self.duplicates += 1
        else:
            self.arrived[code] = now

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue

    def count(self, phase: str) -> int:
        marker = f"{self.prefix}.{phase}."
        return sum(1 for code in self.arrived if code.startswith(marker))

    def wait_for(self, phase: str, expected: int, timeout: float) -> float:
        """Wait until ``expected`` events of ``phase`` arrived; when the last one did."""
        deadline = time.perf_counter() + timeout
        marker = f"{self.prefix}.{phase}."
        while True:
            times = [t for code, t in self.arrived.items() if code.startswith(marker)]
            if len(times) >= expected:
                return max(times)
            if self._thread.dead:
                self._thread.wait()
            if time.perf_counter() > deadline:
                msg = f"only {len(times)} of {expected} events of {phase} within {timeout:.0f}s"
                raise TimeoutError(msg)
            eventlet.sleep(0.01)

    def close(self) -> None:
        self._stopping = True
        self._thread.wait()
        try:
            self.channel.basic_cancel(self.consumer_tag)
            self.channel.queue_delete(self.queue)
        finally:
            self.connection.close()


class PostgresCpuMeter(CpuMeter):
    """:class:`CpuMeter`, plus every PostgreSQL server process of this machine (``postgres``,
    whoever they work for: other users of the server count too)."""

    def snapshot(self) -> dict[str, float]:
        shot = super().snapshot()
        total = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == "postgres":
                        total += cpu_seconds(int(entry.name))
                except OSError:
                    continue
        shot["postgres"] = total
        return shot


@dataclass
class Round:
    mode: str
    rate: float
    sent: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, call sent -> event in
    replies: list[float] = field(default_factory=list)  # seconds, call sent -> RPC reply
    after_reply: list[float] = field(default_factory=list)  # seconds, reply -> event in
    cpu: dict[str, float] = field(default_factory=dict)  # share of one core, per process
    stalls: Stalls | None = None  # the machine's, while the round ran (bench/stall_probe.py)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def open_loop(proxies: LightQueue, rate: float, seconds: float, phase: str, prefix: str,
              subscriber: Subscriber, mode: str) -> Round:
    """Commands at ``rate`` per second for ``seconds``, evenly spaced, whatever the replies;
    for ``mode`` "ping", the no-op RPC at the same pace instead (replies only)."""
    result = Round(mode, rate)
    pinging = mode == PING
    sent_at: dict[str, float] = {}
    replied_at: dict[str, float] = {}
    failures: list[BaseException] = []

    def send(index: int) -> None:
        proxy = proxies.get()
        code = f"{prefix}.{phase}.0.{index}"
        try:
            started = time.perf_counter()
            sent_at[code] = started
            if pinging:
                proxy.responsibility.ping()
            else:
                proxy.responsibility.register_unit({
                    "code": code, "name": f"prompt unit {phase}/{index}",
                    "kind": "district_department", "parent_unit_id": None,
                })
            replied_at[code] = time.perf_counter()
            result.replies.append(replied_at[code] - started)
        except BaseException as error:  # noqa: BLE001 - reported after the phase
            failures.append(error)
        finally:
            proxies.put(proxy)

    total = max(1, int(rate * seconds))
    pool = eventlet.GreenPool(1000)
    with timed_without_collections():  # the instrument's pauses are not the system's
        started = time.perf_counter()
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                eventlet.sleep(delay)
            pool.spawn_n(send, n)
        pool.waitall()
        result.seconds = time.perf_counter() - started
        if failures:
            raise RuntimeError(f"{len(failures)} commands failed, e.g. {failures[0]!r}")
        if not pinging:
            subscriber.wait_for(phase, total, timeout=120)
    result.sent = total
    if pinging:
        return result
    for code, at in sent_at.items():
        result.latencies.append(subscriber.arrived[code] - at)
        result.after_reply.append(subscriber.arrived[code] - replied_at[code])
    return result


def store_environ(backend: str, var_dir: Path, run_id: str, uri: str) -> tuple[dict[str, str],
                                                                                StoreSettings]:
    environ = dict(os.environ)
    environ.update({
        "AMQP_URI": uri,
        "DUTYTRAIL_VAR_DIR": str(var_dir),
        f"DUTYTRAIL_{SERVICE.upper()}_METRICS_PORT": "0",
        f"DUTYTRAIL_{SERVICE.upper()}_RELAY_METRICS_PORT": "0",
        "DUTYTRAIL_LOG_LEVEL": "WARNING",
        "DUTYTRAIL_DEV_KEYS": "1",
        "DUTYTRAIL_KEY_DIR": str(var_dir / "keys"),
    })
    for key in ("DUTYTRAIL_RELAY_WAKEUP", "DUTYTRAIL_RELAY_POLL_SECONDS",
                "DUTYTRAIL_RELAY_FALLBACK_SECONDS"):
        environ.pop(key, None)  # the relay's defaults, unless a mode says otherwise
    if backend == "postgres":
        settings = StoreSettings.postgres(f"bench{run_id}_")
        environ.update({
            "DUTYTRAIL_STORE": "postgres", "DUTYTRAIL_SCHEMA_PREFIX": settings.pg_schema_prefix,
            "POSTGRES_HOST": settings.pg_host, "POSTGRES_PORT": settings.pg_port,
            "POSTGRES_USER": settings.pg_user, "POSTGRES_DBNAME": settings.pg_dbname,
        })
    else:
        settings = StoreSettings.sqlite(var_dir)
        environ["DUTYTRAIL_STORE"] = "sqlite"
    return environ, settings


def start_relay(mode: str, environ: dict[str, str], log_dir: Path) -> Child:
    dutytrail = str(BIN_DIR / "dutytrail")
    argv = [dutytrail, "relay", SERVICE]
    if mode == "polling":
        argv += ["--poll", str(POLL_SECONDS)]
    relay = start_child(f"relay-{mode}", argv, {**environ, "DUTYTRAIL_LOG_LEVEL": "INFO"},
                        log_dir)
    deadline = time.monotonic() + 60
    while RELAY_READY not in relay.log_tail(200):
        relay.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {mode} relay did not start:\n{relay.log_tail()}")
        eventlet.sleep(0.1)
    eventlet.sleep(0.3)  # it read the log and waits
    return relay


@dataclass
class BackendResult:
    backend: str
    max_rate: float
    rate: float
    rounds: list[Round]


def measure(backend: str, args: argparse.Namespace) -> BackendResult:
    run_id = uuid.uuid4().hex[:8]
    var_dir = Path(tempfile.mkdtemp(prefix="dutytrail-bench-prompt-"))
    environ, settings = store_environ(backend, var_dir, run_id, args.amqp_uri)
    os.environ.update({key: environ[key] for key in ("DUTYTRAIL_DEV_KEYS", "DUTYTRAIL_KEY_DIR")})
    where = f"schemas {settings.pg_schema_prefix}*" if backend == "postgres" else str(var_dir)
    print(f"  {backend}: store {where}; run id {run_id}")
    service: Child | None = None
    relay: Child | None = None
    subscriber: Subscriber | None = None
    clients: list[ClusterRpcProxy] = []
    rounds: list[Round] = []
    stalls = StallProbe(var_dir / "stalls.txt")
    try:
        dutytrail = str(BIN_DIR / "dutytrail")
        service = start_child("service", [dutytrail, "run", SERVICE], environ, var_dir)
        relay = start_relay("woken", environ, var_dir)
        subscriber = Subscriber(args.amqp_uri, run_id, args.queue)
        config = service_config(AMQP_URI=args.amqp_uri)
        wait_until_serving(config, [service, relay], timeout=60)
        consumers = rpc_consumers(args.amqp_uri)
        if consumers != 1:
            msg = (f"rpc-{SERVICE} has {consumers} consumers: another {SERVICE} service runs "
                   "on this broker/vhost; use --amqp-uri with a vhost of its own")
            raise RuntimeError(msg)
        size = max(args.callers, args.probe_callers)
        clients = [ClusterRpcProxy(config, timeout=60) for _ in range(size)]
        clerk, committee = uuid.uuid4(), uuid.uuid4()
        callers = [Acting(c.start()).as_(clerk, committee, PARTY_COMMITTEE) for c in clients]
        prefix = subscriber.prefix

        # Warm-up (every proxy, the store, the relay, the subscriber's queue), then the
        # maximum: callers back to back, end to end.
        warm = run_callers(callers, len(callers), 1.0, register("warm", prefix))
        subscriber.wait_for("warm", warm.calls, timeout=60)
        probe = run_callers(callers, args.probe_callers, args.probe_seconds,
                            register("max", prefix))
        last = subscriber.wait_for("max", probe.calls, timeout=120)
        max_rate = probe.calls / (last - probe.started)
        rate = args.rate or max_rate / 2
        print(f"  {backend}: maximum {max_rate:,.0f} commands/s end to end "
              f"({args.probe_callers} callers); rounds at {rate:,.0f}/s")

        pool: LightQueue = LightQueue()
        for caller in callers[:args.callers]:
            pool.put(caller)
        current = "woken"
        for n in range(args.rounds):
            order = MODES if n % 2 == 0 else tuple(reversed(MODES))
            for mode in (PING, *order):
                if mode not in (current, PING):
                    relay.stop()
                    relay = start_relay(mode, environ, var_dir)
                    current = mode
                    warm = run_callers(callers, args.callers, 0.5,
                                       register(f"w{n}{mode[0]}", prefix))
                    subscriber.wait_for(f"w{n}{mode[0]}", warm.calls, timeout=60)
                meter = PostgresCpuMeter({"service": service.process.pid,
                                          "relay": relay.process.pid,
                                          "broker": find_broker_pid()})
                before, started = meter.snapshot(), time.perf_counter()
                window = time.monotonic()
                measured = open_loop(pool, rate, args.seconds, f"r{n}{mode[0]}", prefix,
                                     subscriber, mode)
                wall = time.perf_counter() - started
                measured.stalls = stalls.within(window, time.monotonic())
                measured.cpu = {k: v / wall for k, v in meter.used_since(before).items()}
                rounds.append(measured)
                service.check_alive()
                relay.check_alive()
                timed = measured.replies if mode == PING else measured.latencies
                print(f"  {backend} round {n + 1}, {mode:>7}: {measured.sent} "
                      f"{'pings' if mode == PING else 'commands'} at "
                      f"{measured.sent / measured.seconds:,.0f}/s; p50 "
                      f"{1000 * percentile(timed, 0.5):.1f} ms, p99 "
                      f"{1000 * percentile(timed, 0.99):.1f} ms; machine "
                      f"stalls: {measured.stalls.summary()}")
        if subscriber.duplicates:
            print(f"  note: {subscriber.duplicates} duplicate deliveries")
        return BackendResult(backend, max_rate, rate, rounds)
    finally:
        attempt("stopping the stall probe", stalls.stop)
        for client in clients:
            attempt("stopping an RPC proxy", client.stop)
        replies = [name for name in map(reply_queue, clients) if name]
        if replies:
            attempt("deleting the reply queues", lambda: delete_queues(args.amqp_uri, replies))
        if subscriber is not None:
            attempt("closing the subscriber", subscriber.close)
        for child in (relay, service):
            if child is not None:
                attempt(f"stopping the {child.tag}", child.stop)
        if args.keep:
            print(f"  kept {var_dir} (store and child logs)")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
        if backend == "postgres":
            attempt("dropping the schemas", lambda: drop_postgres_schemas(settings))


def report(results: list[BackendResult]) -> None:
    header = (f"{'backend':>8} {'relay':>7} | {'rate/s':>6} | {'p50 ms':>6} {'p99 ms':>6} "
              f"{'max ms':>7} | {'round p50 ms min/med/max':>24} | "
              f"{'round p99 ms min/med/max':>24} | {'RPC p50 p99':>11} | "
              f"{'after reply p50 p99':>19} | aim p99 <= 15 ms")
    print(header)
    print("-" * len(header))
    for result in results:
        for mode in MODES:
            rounds = [r for r in result.rounds if r.mode == mode]
            pooled = [x for r in rounds for x in r.latencies]
            p50s = [1000 * percentile(r.latencies, 0.5) for r in rounds]
            p99s = [1000 * percentile(r.latencies, 0.99) for r in rounds]
            replies = [x for r in rounds for x in r.replies]
            after = [x for r in rounds for x in r.after_reply]
            p99 = 1000 * percentile(pooled, 0.99)

            def spread(values: list[float]) -> str:
                return (f"{min(values):.1f} / {statistics.median(values):.1f} / "
                        f"{max(values):.1f}")

            rate = sum(r.sent for r in rounds) / sum(r.seconds for r in rounds)
            print(f"{result.backend:>8} {mode:>7} | {rate:>6,.0f} | "
                  f"{1000 * percentile(pooled, 0.5):>6.1f} {p99:>6.1f} "
                  f"{1000 * max(pooled):>7.1f} | {spread(p50s):>24} | {spread(p99s):>24} | "
                  f"{ms(replies, 0.5):>5.1f} {ms(replies, 0.99):>5.1f} | "
                  f"{ms(after, 0.5):>9.1f} {ms(after, 0.99):>9.1f} | "
                  f"{'met' if p99 <= AIM_P99_MS else 'NOT MET'}")
    print()
    print("ping at the same pace (call sent -> reply; the floor of a command's RPC):")
    for result in results:
        pings = [r for r in result.rounds if r.mode == PING]
        replies = [x for r in pings for x in r.replies]
        p99s = [1000 * percentile(r.replies, 0.99) for r in pings]
        print(f"  {result.backend:>8}: p50 {ms(replies, 0.5):.1f} ms, p99 "
              f"{ms(replies, 0.99):.1f} ms (rounds {' / '.join(f'{x:.1f}' for x in p99s)}), "
              f"max {1000 * max(replies):.1f} ms")
    print()
    names = ("service", "relay", "broker", "postgres", "machine")
    print("CPU during the rounds, share of one core (machine: busy share of all its cores):")
    for result in results:
        for mode in MODES:
            rounds = [r for r in result.rounds if r.mode == mode]
            shares = " ".join(
                f"{n} {statistics.fmean(r.cpu.get(n, 0.0) for r in rounds):.0%}" for n in names
            )
            print(f"  {result.backend:>8} {mode:>7}: {shares}")
    print()
    for result in results:
        print(f"{result.backend}: maximum {result.max_rate:,.0f} commands/s end to end; "
              f"rounds at {result.rate:,.0f}/s; {rounds_per_relay(result)} rounds per relay")
    print("latency: the command's call sent -> its event at the outside subscriber (same "
          "clock); RPC: call sent -> reply; after reply: reply -> event at the subscriber "
          "(negative: the event came first).")
    print("woken: `dutytrail relay responsibility`; polling: `dutytrail relay responsibility "
          f"--poll {POLL_SECONDS}`.")


def rounds_per_relay(result: BackendResult) -> int:
    return sum(1 for r in result.rounds if r.mode == MODES[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per relay (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="open-loop phase per relay and round (default 10)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="commands/s of the rounds (default: half the measured maximum)")
    parser.add_argument("--callers", type=int, default=20,
                        help="RPC proxies the open-loop commands are sent from (default 20)")
    parser.add_argument("--probe-callers", type=int, default=20,
                        help="callers back to back for the maximum (default 20)")
    parser.add_argument("--probe-seconds", type=float, default=5.0,
                        help="duration of the maximum's measurement (default 5)")
    parser.add_argument("--queue", choices=("classic", "quorum"), default="classic",
                        help="subscriber queue type (default classic, as shared.subscription)")
    parser.add_argument("--amqp-uri", default=amqp_uri(),
                        help="broker (default $AMQP_URI or amqp://guest:guest@127.0.0.1:5672/)")
    parser.add_argument("--keep", action="store_true", help="keep the store and child logs")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if not backends or set(backends) - {"postgres", "sqlite"}:
        parser.error("--backend takes sqlite, postgres or both")
    if args.rounds < 1 or args.seconds <= 0 or args.callers < 1 or args.probe_callers < 1:
        parser.error("--rounds, --seconds, --callers and --probe-callers must be positive")

    unwind_on_sigterm()
    target = AmqpTarget.from_uri(args.amqp_uri)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; broker {target.host} vhost {target.virtual_host!r}")
    results = [measure(backend, args) for backend in backends]
    print()
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

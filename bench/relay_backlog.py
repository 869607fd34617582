"""Relay backlog: how fast ``Relay.drain()`` publishes a stored backlog, against the baseline of
publishing the same CloudEvents with one confirm per message (kombu ``Producer`` on a
connection with ``confirm_publish=True``).

For each backend (PostgreSQL on a unique schema prefix, dropped at the end; optionally
SQLite in a temporary directory, removed at the end):

1. store a backlog of ``--events`` ``Unit.Registered`` events (in-process application saves,
   ``--save-batch`` aggregates per transaction);
2. read and build all of them as CloudEvents once (timed: the relay's non-publishing work),
   kept in memory for the baseline;
3. after an untimed warm-up, ``--rounds`` rounds; in each, for each routing of ``--queue``:
   ``Relay.drain()`` from position 0 (a fresh tracking name each time, so each drain
   publishes the whole backlog with pipelined confirms), then the baseline publishing the
   pre-built events one confirm at a time; and, for reference, the relay's publishing
   alone (the pre-built events through its ``ConfirmingPublisher``, batch by batch).

Both publish to ``responsibility.events`` with the relay's message attributes. What the
broker does with a message decides what a confirm costs, so each routing is measured:
``classic`` and ``quorum``: one durable queue of that type bound with ``#`` (a subscriber; the
broker stores every persistent message before confirming; the consuming services' own queues
are quorum queues); ``none``: no queue bound, the broker drops the messages. A queue is
checked (it must hold exactly the backlog), purged between runs and deleted after its turn.
The baseline's events are pre-built, so its time is publishing only, while the relay's
includes reading the store and building the envelopes: the comparison is conservative for
the relay. Rates pool the rounds.

    .venv/bin/python bench/relay_backlog.py [--events 10000] [--backend postgres[,sqlite]]
        [--queue classic,quorum,none] [--rounds 3]

Run it on a broker or vhost of its own (``--amqp-uri``) if other processes use
``responsibility.events``: every queue bound to it receives the benchmark's messages.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import amqp
from cleanup import unwind_on_sigterm
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.messaging import Producer

from services.responsibility.domain import Unit
from shared.actors import Actor
from shared.clock import utcnow
from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, EnvelopeBuilder, encode
from shared.persistence import drop_postgres_schemas, open_factory, store_environment
from shared.relay import AmqpTarget, ConfirmingPublisher, Relay, event_exchange_name
from shared.settings import StoreSettings, amqp_uri

SERVICE = "responsibility"
AIM = 4.0
PAGE = 500


def sqlite_settings(var_dir: Path) -> StoreSettings:
    return StoreSettings.sqlite(var_dir)


def postgres_settings(prefix: str) -> StoreSettings:
    return StoreSettings.postgres(prefix)


# --------------------------------------------------------------------------- the backlog


def store_backlog(settings: StoreSettings, events: int, save_batch: int) -> float:
    """Store ``events`` Unit.Registered events; return the seconds it took."""
    from services.responsibility.application import Responsibilities

    app = Responsibilities(store_environment(SERVICE, settings))
    actor = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    try:
        for first in range(0, events, save_batch):
            units = [
                Unit.register(code=f"backlog-{run}-{i}", name=f"backlog unit {i}",
                     kind="district_department", parent_unit_id=None, actor=actor,
                     occurred_at=utcnow())
                for i in range(first, min(events, first + save_batch))
            ]
            app.save(*units)
        return time.perf_counter() - started
    finally:
        app.close()


def build_all(settings: StoreSettings) -> tuple[list[dict[str, Any]], float]:
    """Every stored event as the relay builds it (same prevsequence chain), and the seconds."""
    recorder = open_factory(store_environment(SERVICE, settings)).application_recorder()
    builder = EnvelopeBuilder(SERVICE)
    started = time.perf_counter()
    built: list[dict[str, Any]] = []
    position = 0
    while True:
        page = recorder.select_notifications(
            start=position, limit=PAGE, inclusive_of_start=False
        )
        for notification in page:
            built.append(builder.build(notification, position or None))
            position = notification.id
        if len(page) < PAGE:
            return built, time.perf_counter() - started


# --------------------------------------------------------------------------- the broker side


class BenchQueue:
    """One routing of ``<service>.events``: a durable queue of ``queue_type`` bound with
    ``#`` standing for a subscriber, or (``none``) no queue at all."""

    def __init__(self, uri: str, name: str, queue_type: str) -> None:
        target = AmqpTarget.from_uri(uri)
        self.connection = amqp.Connection(
            host=target.host, userid=target.userid, password=target.password,
            virtual_host=target.virtual_host, connect_timeout=5,
        )
        self.connection.connect()
        self.channel = self.connection.channel()
        exchange = event_exchange_name(SERVICE)
        self.channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        self.name = name
        self.bound = queue_type != "none"
        if self.bound:
            # x-expires removes the queue if this script dies before deleting it.
            self.channel.queue_declare(
                name, durable=True, auto_delete=False,
                arguments={"x-expires": 600_000, "x-queue-type": queue_type},
            )
            self.channel.queue_bind(name, exchange, "#")

    def take(self, expected: int) -> None:
        """Check that ``expected`` messages arrived, then empty the queue."""
        if not self.bound:
            return
        _, count, _ = self.channel.queue_declare(self.name, passive=True)
        if count != expected:
            msg = f"the subscriber queue holds {count} messages, not {expected}"
            raise RuntimeError(msg)
        self.channel.queue_purge(self.name)

    def close(self) -> None:
        try:
            if self.bound:
                self.channel.queue_delete(self.name)
        finally:
            self.connection.close()


def publish_one_by_one(uri: str, events: list[dict[str, Any]]) -> float:
    """The baseline: kombu's Producer, waiting for the broker's confirm of each message."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        exchange = Exchange(event_exchange_name(SERVICE), type="topic", durable=True)
        producer = Producer(connection.channel(), exchange=exchange)
        bodies = [(encode(e).encode(CONTENT_ENCODING), e["id"], e["type"]) for e in events]
        started = time.perf_counter()
        for body, message_id, event_type in bodies:
            producer.publish(
                body, routing_key=event_type, content_type=CONTENT_TYPE,
                content_encoding=CONTENT_ENCODING, delivery_mode=2, message_id=message_id,
                type=event_type, retry=False,
            )
        return time.perf_counter() - started


def publish_pipelined(uri: str, events: list[dict[str, Any]], batch_size: int) -> float:
    """The relay's publishing alone: the pre-built events through its ConfirmingPublisher,
    ``batch_size`` in flight, then a wait for their confirms, as the relay does per batch."""
    publisher = ConfirmingPublisher(AmqpTarget.from_uri(uri), event_exchange_name(SERVICE))
    try:
        started = time.perf_counter()
        for first in range(0, len(events), batch_size):
            for event in events[first:first + batch_size]:
                publisher.publish(event)
            publisher.wait_for_confirms()
        return time.perf_counter() - started
    finally:
        publisher.close()


def drain_relay(relay: Relay, tracking_name: str, expected: int) -> tuple[float, float]:
    """Drain the whole backlog from position 0; return wall seconds and this process's CPU
    seconds (the relay is this process)."""
    relay.tracking_name = tracking_name  # a name never used: position 0
    cpu0, started = time.process_time(), time.perf_counter()
    published = relay.drain()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    if published != expected:
        msg = f"the relay published {published} events, not {expected}"
        raise RuntimeError(msg)
    return wall, cpu


# --------------------------------------------------------------------------- one backend


@dataclass
class Result:
    backend: str
    queue: str
    events: int
    relay: list[float] = field(default_factory=list)
    relay_cpu: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    pipelined: list[float] = field(default_factory=list)

    @property
    def relay_rate(self) -> float:
        return self.events * len(self.relay) / sum(self.relay)

    @property
    def baseline_rate(self) -> float:
        return self.events * len(self.baseline) / sum(self.baseline)

    @property
    def pipelined_rate(self) -> float:
        return self.events * len(self.pipelined) / sum(self.pipelined)

    @property
    def ratio(self) -> float:
        return self.relay_rate / self.baseline_rate

    @property
    def mean_round_ratio(self) -> float:
        return statistics.fmean(b / a for a, b in zip(self.relay, self.baseline, strict=True))


@dataclass
class Backlog:
    backend: str
    events: int
    store_seconds: float
    build_seconds: float


def run_backend(
    backend: str, args: argparse.Namespace, run_id: str
) -> tuple[Backlog, list[Result]]:
    temp: Path | None = None
    if backend == "postgres":
        settings = postgres_settings(f"bench{run_id}_")
        print(f"  postgres: database {settings.pg_dbname!r}, schema prefix "
              f"{settings.pg_schema_prefix!r}")
    else:
        temp = Path(tempfile.mkdtemp(prefix="dutytrail-bench-backlog-"))
        settings = sqlite_settings(temp)
        print(f"  sqlite: {temp}")
    relay: Relay | None = None
    queue: BenchQueue | None = None
    try:
        store_seconds = store_backlog(settings, args.events, args.save_batch)
        print(f"  {backend}: stored {args.events} events in {store_seconds:.1f}s")
        events, build_seconds = build_all(settings)
        if len(events) != args.events:
            msg = f"{len(events)} events stored, not {args.events}"
            raise RuntimeError(msg)
        backlog = Backlog(backend, args.events, store_seconds, build_seconds)
        results = {q: Result(backend, q, args.events) for q in args.queues}
        relay = Relay(SERVICE, settings=settings, uri=args.amqp_uri, batch_size=args.batch_size)

        # Warm-up, untimed: the relay's broker connection and store pool, the baseline's path.
        queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.backlog.{run_id}.warm-up", "classic")
        relay.tracking_name = f"{SERVICE}.relay.warm-up"
        warm_up = relay.publish_batch()
        relay.flush()  # the relay keeps one batch in flight; wait for its confirms
        queue.take(warm_up)
        publish_one_by_one(args.amqp_uri, events[:100])
        queue.take(min(100, len(events)))
        queue.close()
        queue = None

        for n in range(args.rounds):
            for kind in args.queues:
                queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.backlog.{run_id}", kind)
                wall, cpu = drain_relay(relay, f"{SERVICE}.relay.bench{n}.{kind}", args.events)
                queue.take(args.events)
                result = results[kind]
                result.relay.append(wall)
                result.relay_cpu.append(cpu)
                wall = publish_one_by_one(args.amqp_uri, events)
                queue.take(args.events)
                result.baseline.append(wall)
                result.pipelined.append(
                    publish_pipelined(args.amqp_uri, events, args.batch_size)
                )
                queue.take(args.events)
                queue.close()
                queue = None
                print(f"  {backend} round {n + 1}, {kind:>7} queue: relay "
                      f"{args.events / result.relay[-1]:,.0f}/s, per-message confirms "
                      f"{args.events / wall:,.0f}/s")
        return backlog, list(results.values())
    finally:
        if queue is not None:
            queue.close()
        if relay is not None:
            relay.stop()
            relay._disconnect()  # the relay has no public close
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        if backend == "postgres":
            dropped = drop_postgres_schemas(settings)
            print(f"  postgres: dropped schemas {', '.join(dropped) or '(none)'}")


def report(backlogs: list[Backlog], results: list[Result], args: argparse.Namespace) -> None:
    header = (
        f"{'backend':>8} {'queue':>7} | {'relay drain/s':>13} {'(rounds)':>22} | "
        f"{'per-msg confirm/s':>17} {'(rounds)':>20} | {'ratio':>5} | {'relay CPU':>9} | "
        f"{'publish only/s':>14} | aim"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        relay_rounds = "/".join(f"{r.events / s:,.0f}" for s in r.relay)
        base_rounds = "/".join(f"{r.events / s:,.0f}" for s in r.baseline)
        cpu = sum(r.relay_cpu) / sum(r.relay)
        verdict = "met" if r.ratio >= AIM else "NOT MET"
        print(
            f"{r.backend:>8} {r.queue:>7} | {r.relay_rate:>13,.0f} {relay_rounds:>22} | "
            f"{r.baseline_rate:>17,.0f} {base_rounds:>20} | {r.ratio:>4.1f}x | {cpu:>9.0%} | "
            f"{r.pipelined_rate:>14,.0f} | {verdict}"
        )
    print()
    print(f"{args.events} events per run; relay batch size {args.batch_size}; {args.rounds} "
          "rounds, rates pooled (all events over all their time).")
    print("queue: classic/quorum = one durable queue of that type bound with '#' (persistent "
          "messages stored before the confirm); none = unrouted, dropped by the broker.")
    print("relay CPU: the relay's (this process's) CPU time over its wall time while draining; "
          "the rest is waiting for the broker and the store.")
    print(f"publish only: the same pre-built events through the relay's ConfirmingPublisher, "
          f"{args.batch_size} in flight then a wait, as the relay does; no store, no building.")
    for b in backlogs:
        print(f"{b.backend}: backlog stored at {b.events / b.store_seconds:,.0f} events/s "
              f"({args.save_batch} aggregates per transaction); read + build CloudEvents "
              f"(no broker) {b.events / b.build_seconds:,.0f} events/s")
    for r in results:
        print(f"aim on {r.backend}, {r.queue} queue: relay >= {AIM:.0f}x per-message confirms: "
              f"{'MET' if r.ratio >= AIM else 'NOT MET'} ({r.ratio:.1f}x pooled, "
              f"{r.mean_round_ratio:.1f}x mean of rounds)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="backlog size (10000)")
    parser.add_argument("--backend", default="postgres",
                        help="comma-separated: postgres, sqlite (default postgres)")
    parser.add_argument("--queue", default="classic,quorum,none",
                        help="comma-separated routings: classic, quorum, none (default all)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="relay drain / baseline pairs per routing (default 3)")
    parser.add_argument("--batch-size", type=int, default=500, help="the relay's (500)")
    parser.add_argument("--save-batch", type=int, default=500,
                        help="aggregates saved per transaction for the backlog (500)")
    parser.add_argument("--amqp-uri", default=amqp_uri(),
                        help="broker (default $AMQP_URI or amqp://guest:guest@127.0.0.1:5672/)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if not backends or set(backends) - {"postgres", "sqlite"}:
        parser.error("--backend takes postgres, sqlite or both")
    args.queues = [q.strip() for q in args.queue.split(",") if q.strip()]
    if not args.queues or set(args.queues) - {"classic", "quorum", "none"}:
        parser.error("--queue takes classic, quorum and/or none")
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be positive")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)

    unwind_on_sigterm()
    target = AmqpTarget.from_uri(args.amqp_uri)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; broker {target.host} vhost {target.virtual_host!r}")
    run_id = uuid.uuid4().hex[:8]
    backlogs: list[Backlog] = []
    results: list[Result] = []
    for backend in backends:
        backlog, backend_results = run_backend(backend, args, run_id)
        backlogs.append(backlog)
        results.extend(backend_results)
    print()
    report(backlogs, results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

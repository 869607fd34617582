"""The relay's publish rate from a pre-filled outbox against plain unconfirmed publishing of the
same messages to the same queue (issue 8, "A faster, prompter relay": relay >= 80 %).

For each backend of ``--backend`` (default sqlite,postgres):

1. Store a backlog of ``--events`` ``Unit.Registered`` events through the application
   (SQLite in a temporary directory, or PostgreSQL on a unique schema prefix, dropped at the
   end), which signs each once after its commit and fills the outbox (shared/outbox.py); the
   script checks that the outbox holds every event, and reads the stored bodies once for the
   baselines.
2. ``--rounds`` rounds, each with the three in an order that rotates from round to round:

   * **relay**: ``Relay.drain()`` of the whole backlog from position 0 under a fresh tracking
     name, exactly as in production (reads the log and the outbox in batches of 500, checks
     each stored body, publishes it persistent with publisher confirms pipelined, records
     each batch's position once the broker confirmed it); timed to the last recorded
     position;
   * **plain**: the same bodies (bytes read once from the outbox beforehand), with the same
     properties and routing keys, to the same exchange, through py-amqp's
     ``Channel.basic_publish`` on a fresh connection, **no confirms**; timed from the first
     publish to the answer of one synchronous command on the same channel after the last
     (so every message has reached the broker's channel). The connection does not
     negotiate ``connection.blocked``, which makes py-amqp skip a socket read before every
     publish: this baseline is the faster of the two ways (and the other one hit py-amqp's
     "basic_publish: timed out" on a loaded machine);
   * **frames**: the same bodies through the relay's own publisher (``ConfirmingPublisher``,
     which writes the AMQP frames itself and gathers them into large writes), **no
     confirms**, timed the same way: what the relay's publishing costs without confirms,
     the store or any checking. relay / frames is the relay's overhead alone;
   * **confirmed**: the same bodies through py-amqp's ``basic_publish`` **with** publisher
     confirms, at most as many unconfirmed as the relay allows (``--in-flight`` ×
     ``--batch-size``), timed to the last confirm: the best a confirming publisher gets from
     this broker, nothing of the relay in it. confirmed / plain is what confirms cost at the
     broker; relay / confirmed is what the relay adds to them.

   After each, the queue is checked to hold exactly the backlog (untimed), then purged.

``--queue`` chooses the routings (default ``classic,quorum``, each in every round): ``classic``
or ``quorum`` binds one durable queue of that type with ``#`` (the broker stores each
persistent message), ``none`` binds nothing (the broker drops them). An outside subscriber's
queue is classic unless it asks otherwise (shared/subscription.py); the services' own
consumers declare quorum queues (shared/nameko_kit/consumer.py). Ratios are taken within a
round (relay / plain of the same round), then min/median/max over the rounds.

    AMQP_URI=amqp://guest:guest@127.0.0.1:5672/dutytrail-bench \\
        .venv/bin/python bench/relay_publish.py [--events 10000] [--rounds 3]
        [--backend sqlite,postgres] [--queue classic,quorum]
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import amqp
from cleanup import own_directory, unwind_on_sigterm
from relay_backlog import (  # bench/ is the script's directory
    SERVICE,
    BenchQueue,
    postgres_settings,
    sqlite_settings,
    store_backlog,
)

from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, decode
from shared.outbox import open_outbox
from shared.persistence import drop_postgres_schemas, store_environment
from shared.relay import (
    AmqpTarget,
    ConfirmingPublisher,
    Relay,
    event_exchange_name,
)
from shared.settings import StoreSettings, amqp_uri

AIM = 0.80
Message = tuple[bytes, str, str]  # body, message id, type


def read_bodies(settings: StoreSettings, expected: int) -> list[Message]:
    """Every stored body of the outbox, in log order, with what a publisher needs."""
    outbox = open_outbox(SERVICE, store_environment(SERVICE, settings))
    if outbox is None:
        raise RuntimeError("this store has no outbox")
    try:
        stored = outbox.bodies(1, 2**62)
    finally:
        outbox.close()
    if len(stored) != expected:
        msg = f"the outbox holds {len(stored)} bodies, not {expected}"
        raise RuntimeError(msg)
    messages = []
    for _, body in sorted(stored.items()):
        event = decode(body)
        messages.append((body.encode(CONTENT_ENCODING), event["id"], event["type"]))
    return messages


def connect(uri: str, blocked_capability: bool) -> amqp.Connection:
    target = AmqpTarget.from_uri(uri)
    connection = amqp.Connection(
        host=target.host, userid=target.userid, password=target.password,
        virtual_host=target.virtual_host, connect_timeout=5, heartbeat=0,
    )
    if not blocked_capability:
        connection.negotiate_capabilities = {
            **connection.negotiate_capabilities, "connection.blocked": False,
        }
    connection.connect()
    return connection


def queued(channel: amqp.Channel, queue: BenchQueue | None, expected: int,
           started: float, timeout: float = 60.0) -> float:
    """Seconds from ``started`` until ``queue`` holds ``expected`` messages (polled every
    2 ms on the publisher's own channel)."""
    if queue is None or not queue.bound:
        return time.perf_counter() - started
    deadline = time.monotonic() + timeout
    while channel.queue_declare(queue.name, passive=True)[1] < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.002)
    return time.perf_counter() - started


def event_message(body: bytes, message_id: str, event_type: str) -> amqp.Message:
    """One stored event as the relay sends it: persistent, with the relay's properties."""
    return amqp.Message(
        body=body, content_type=CONTENT_TYPE, content_encoding=CONTENT_ENCODING,
        delivery_mode=2, message_id=message_id, type=event_type,
    )


def publish_plain(
    uri: str, messages: list[Message], queue: BenchQueue | None = None
) -> tuple[float, float]:
    """py-amqp's basic_publish, one call per message, no confirms; seconds until the broker
    took the last one (a synchronous command answered after it), and until the queue held
    them all."""
    connection = connect(uri, blocked_capability=False)
    try:
        channel = connection.channel()
        exchange = event_exchange_name(SERVICE)
        started = time.perf_counter()
        for body, message_id, event_type in messages:
            channel.basic_publish(
                event_message(body, message_id, event_type),
                exchange=exchange, routing_key=event_type,
            )
        channel.exchange_declare(exchange, "topic", passive=True)  # a round trip after all
        sent = time.perf_counter() - started
        return sent, queued(channel, queue, len(messages), started)
    finally:
        connection.close()


def publish_frames(
    uri: str, messages: list[Message], queue: BenchQueue | None = None
) -> tuple[float, float]:
    """The relay's publisher, no confirms; timed as :func:`publish_plain`."""
    exchange = event_exchange_name(SERVICE)
    publisher = ConfirmingPublisher(AmqpTarget.from_uri(uri), exchange, confirms=False)
    try:
        started = time.perf_counter()
        for body, message_id, event_type in messages:
            publisher.publish_body(body, message_id, event_type)
        publisher.send()
        publisher.channel.exchange_declare(exchange, "topic", passive=True)
        sent = time.perf_counter() - started
        return sent, queued(publisher.channel, queue, len(messages), started)
    finally:
        publisher.close()


def publish_confirmed(uri: str, messages: list[Message], window: int) -> float:
    """py-amqp's basic_publish with publisher confirms, at most ``window`` unconfirmed;
    seconds until the last confirm."""
    connection = connect(uri, blocked_capability=False)
    try:
        channel = connection.channel()
        channel.confirm_select()
        confirmed = [0]

        def on_ack(delivery_tag: int, multiple: bool) -> None:
            confirmed[0] = max(confirmed[0], delivery_tag)

        def on_nack(delivery_tag: int, multiple: bool) -> None:
            msg = f"the broker refused message {delivery_tag}"
            raise RuntimeError(msg)

        channel.events["basic_ack"].add(on_ack)
        channel.events["basic_nack"].add(on_nack)
        exchange = event_exchange_name(SERVICE)
        started = time.perf_counter()
        for sent, (body, message_id, event_type) in enumerate(messages, 1):
            channel.basic_publish(
                event_message(body, message_id, event_type),
                exchange=exchange, routing_key=event_type,
            )
            while sent - confirmed[0] >= window:
                connection.drain_events(timeout=10)
        while confirmed[0] < len(messages):
            connection.drain_events(timeout=10)
        return time.perf_counter() - started
    finally:
        connection.close()


def drain_relay(relay: Relay, tracking_name: str, expected: int) -> tuple[float, float]:
    """The relay drains the backlog from position 0; wall and CPU seconds (this process)."""
    relay.tracking_name = tracking_name  # a name never used: position 0
    cpu0, started = time.process_time(), time.perf_counter()
    published = relay.drain()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    if published != expected:
        msg = f"the relay published {published} events, not {expected}"
        raise RuntimeError(msg)
    return wall, cpu


def settle(queue: BenchQueue, expected: int, timeout: float = 60.0) -> None:
    """Wait (untimed) until the queue holds the backlog, check it, empty it."""
    if queue.bound:
        deadline = time.monotonic() + timeout
        while queue.channel.queue_declare(queue.name, passive=True)[1] < expected:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    queue.take(expected)


@dataclass
class Result:
    backend: str
    queue: str
    events: int
    relay: list[float] = field(default_factory=list)
    relay_cpu: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    plain_queued: list[float] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)
    confirmed: list[float] = field(default_factory=list)

    def rates(self, seconds: list[float]) -> list[float]:
        return [self.events / s for s in seconds]

    def ratios(self, baseline: list[float]) -> list[float]:
        """relay rate / baseline rate, round by round."""
        return [b / r for r, b in zip(self.relay, baseline, strict=True)]


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    """min / median / max."""
    return " / ".join(fmt(v) for v in (min(values), statistics.median(values), max(values)))


def run_backend(backend: str, args: argparse.Namespace, run_id: str) -> list[Result]:
    temp: Path | None = None
    if backend == "postgres":
        settings = postgres_settings(f"bench{run_id}_")
        print(f"  postgres: database {settings.pg_dbname!r}, schema prefix "
              f"{settings.pg_schema_prefix!r}")
    else:
        temp = Path(tempfile.mkdtemp(prefix="dutytrail-bench-publish-"))
        settings = sqlite_settings(temp)
        print(f"  sqlite: {temp}")
    relay: Relay | None = None
    queue: BenchQueue | None = None
    try:
        seconds = store_backlog(settings, args.events, args.save_batch)
        print(f"  {backend}: stored {args.events} events (outbox filled) in {seconds:.1f}s")
        messages = read_bodies(settings, args.events)
        relay = Relay(SERVICE, settings=settings, uri=args.amqp_uri, batch_size=args.batch_size,
                      max_in_flight=args.in_flight)
        results = {q: Result(backend, q, args.events) for q in args.queues}
        window = args.in_flight * args.batch_size  # the relay's most unconfirmed

        # Warm-up, untimed: connections, the store's pages, the code paths.
        queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.publish.{run_id}.warm-up", "classic")
        relay.tracking_name = f"{SERVICE}.relay.warm-up"
        warm = relay.publish_batch()
        relay.flush()
        settle(queue, warm)
        publish_plain(args.amqp_uri, messages[:500])
        settle(queue, min(500, len(messages)))
        publish_frames(args.amqp_uri, messages[:500])
        settle(queue, min(500, len(messages)))
        publish_confirmed(args.amqp_uri, messages[:500], window)
        settle(queue, min(500, len(messages)))
        queue.close()
        queue = None

        variants = ["relay", "plain", "frames", "confirmed"]
        for n in range(args.rounds):
            order = variants[n % len(variants):] + variants[:n % len(variants)]
            for kind in args.queues:
                result = results[kind]
                queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.publish.{run_id}", kind)
                for variant in order:
                    if variant == "relay":
                        wall, cpu = drain_relay(
                            relay, f"{SERVICE}.relay.bench{n}.{kind}", args.events
                        )
                        result.relay.append(wall)
                        result.relay_cpu.append(cpu)
                    elif variant == "plain":
                        sent, in_queue = publish_plain(args.amqp_uri, messages, queue)
                        result.plain.append(sent)
                        result.plain_queued.append(in_queue)
                    elif variant == "frames":
                        result.frames.append(publish_frames(args.amqp_uri, messages)[0])
                    else:
                        result.confirmed.append(
                            publish_confirmed(args.amqp_uri, messages, window))
                    settle(queue, args.events)
                queue.close()
                queue = None
                print(f"  {backend} round {n + 1} ({'/'.join(order)}), {kind} queue: relay "
                      f"{args.events / result.relay[-1]:,.0f}/s, plain "
                      f"{args.events / result.plain[-1]:,.0f}/s, frames "
                      f"{args.events / result.frames[-1]:,.0f}/s, confirmed "
                      f"{args.events / result.confirmed[-1]:,.0f}/s")
        return list(results.values())
    finally:
        if queue is not None:
            queue.close()
        if relay is not None:
            relay.close()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        if backend == "postgres":
            dropped = drop_postgres_schemas(settings)
            print(f"  postgres: dropped schemas {', '.join(dropped) or '(none)'}")


def report(results: list[Result], args: argparse.Namespace) -> bool:
    rate = "{:,.0f}".format
    pct = "{:.0%}".format
    header = (f"{'backend':>8} {'queue':>7} | {'relay/s min/med/max':>25} | "
              f"{'plain/s min/med/max':>25} | {'relay/plain min/med/max':>23} | "
              f"{'queued/s (med)':>14} | {'frames/s (med)':>14} | {'relay/frames':>16} | "
              f"{'confirmed/plain':>15} | {'relay/confirmed':>15} | {'relay CPU':>9} | aim")
    print(header)
    print("-" * len(header))
    met_by_queue: dict[str, bool] = {}
    for r in results:
        ratios = r.ratios(r.plain)
        # confirmed rate / plain rate, round by round
        confirms_cost = [p / c for p, c in zip(r.plain, r.confirmed, strict=True)]
        verdict = statistics.median(ratios) >= AIM
        met_by_queue[r.queue] = met_by_queue.get(r.queue, True) and verdict
        print(
            f"{r.backend:>8} {r.queue:>7} | {spread(r.rates(r.relay), rate):>25} | "
            f"{spread(r.rates(r.plain), rate):>25} | {spread(ratios, pct):>23} | "
            f"{rate(statistics.median(r.rates(r.plain_queued))):>14} | "
            f"{rate(statistics.median(r.rates(r.frames))):>14} | "
            f"{spread(r.ratios(r.frames), pct):>16} | "
            f"{pct(statistics.median(confirms_cost)):>15} | "
            f"{pct(statistics.median(r.ratios(r.confirmed))):>15} | "
            f"{sum(r.relay_cpu) / sum(r.relay):>9.0%} | {'met' if verdict else 'NOT MET'}"
        )
    print()
    print(f"{args.events} events per run, {args.rounds} rounds; relay batch size "
          f"{args.batch_size}, up to {args.in_flight} batches in flight; ratios within each "
          "round, then min/median/max over the rounds.")
    print("relay: Relay.drain() from a pre-filled outbox, publisher confirms, positions "
          "recorded; plain: py-amqp basic_publish of the same bodies, no confirms, until the "
          "broker took the last (queued: until the queue held them all); frames: the relay's "
          "publisher, no confirms; confirmed: py-amqp basic_publish with confirms, as many "
          "unconfirmed as the relay allows, until the last confirm (medians of the rounds' "
          "ratios).")
    verdicts = ", ".join(f"{queue} queue {'MET' if ok else 'NOT MET'}"
                         for queue, ok in met_by_queue.items())
    print(f"aim: relay >= {AIM:.0%} of plain unconfirmed publishing (median of the rounds' "
          f"ratios): {verdicts}")
    return all(met_by_queue.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="backlog size (10000)")
    parser.add_argument("--backend", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--queue", default="classic,quorum",
                        help="comma-separated routings: classic, quorum, none "
                             "(default classic,quorum)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--batch-size", type=int, default=500, help="the relay's (500)")
    parser.add_argument("--in-flight", type=int, default=4,
                        help="the relay's batches in flight (4, as in production)")
    parser.add_argument("--save-batch", type=int, default=500,
                        help="aggregates saved per transaction for the backlog (500)")
    parser.add_argument("--amqp-uri", default=amqp_uri(),
                        help="broker (default $AMQP_URI or amqp://guest:guest@127.0.0.1:5672/)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if not backends or set(backends) - {"postgres", "sqlite"}:
        parser.error("--backend takes sqlite, postgres or both")
    args.queues = [q.strip() for q in args.queue.split(",") if q.strip()]
    if not args.queues or set(args.queues) - {"classic", "quorum", "none"}:
        parser.error("--queue takes classic, quorum and/or none")
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be positive")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)
    logging.getLogger("shared.keys").setLevel(logging.ERROR)  # "generated a DEVELOPMENT key"
    os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")  # unless keys are configured

    unwind_on_sigterm()
    target = AmqpTarget.from_uri(args.amqp_uri)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; broker {target.host} vhost {target.virtual_host!r}")
    run_id = uuid.uuid4().hex[:8]
    results: list[Result] = []
    own_directory("DUTYTRAIL_KEY_DIR", "dutytrail-bench-keys-")
    for backend in backends:
        results.extend(run_backend(backend, args, run_id))
    print()
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

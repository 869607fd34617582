"""Signing and verification: what signing every CloudEvent costs the relay, and what verifying
every upstream event costs a consumer, each against the same work without it, in one run
(docs/contract.md, "Verifying events").

1. Store a backlog of ``--events`` ``Unit.Registered`` events through the application
   (PostgreSQL on a unique schema prefix, dropped at the end, or SQLite in a temporary
   directory), which signs each once after its commit and fills the outbox (shared/outbox.py).
2. *Build only* (no broker): read and build every event as a CloudEvent, signed (as the relay
   and the catch-up pages do) and unsigned (a builder whose signer does nothing).
3. *Relay*: ``--rounds`` rounds, for each routing of ``--queue``: ``Relay.drain()`` of the whole
   backlog three ways, in an order that rotates from round to round, each from position 0
   under a fresh tracking name: the production relay (signed; it publishes the bodies stored
   in the outbox), the production builder with no outbox (the relay signs every event), and
   the unsigned builder with no outbox; the queue is checked to hold the backlog after each
   drain (see bench/relay_backlog.py for the routings).
4. *Consumer*: the first ``--consumer-events`` events, signed, as catch-up pages (500 a page,
   in memory), pulled by ``UpstreamFeed`` into a fresh ``Supervision`` application (the real
   consumer of responsibility's events: each ``unit_registered`` stores a unit file, with the
   upstream position, in one transaction), with the responsibility service's public key, and
   with a verifier that accepts everything; alternately, ``--rounds`` times, each on a new
   store. And *verify only*: ``EventVerifier.verify`` over the same events, no store.

The aim: signed ≥ 80 % of unsigned for the relay and verified ≥ 80 % of unverified for the
consumer. Uses development keys (DUTYTRAIL_DEV_KEYS=1, in a temporary key directory) unless
keys are configured.

    .venv/bin/python bench/signing.py [--events 10000] [--consumer-events 2000]
        [--backend postgres|sqlite] [--queue classic,none] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cleanup import own_directory, unwind_on_sigterm
from relay_backlog import (  # bench/ is the script's directory
    PAGE,
    SERVICE,
    BenchQueue,
    postgres_settings,
    sqlite_settings,
    store_backlog,
)

from services.supervision.application import Supervision
from services.supervision.settings import SupervisionSettings
from shared.envelope import EnvelopeBuilder
from shared.feed import UpstreamFeed
from shared.outbox import open_outbox
from shared.persistence import drop_postgres_schemas, open_factory, store_environment
from shared.policy import Reactions
from shared.relay import AmqpTarget, Relay
from shared.settings import StoreSettings, amqp_uri
from shared.signing import EventVerifier

AIM = 0.80


class Unsigned:
    """The baseline's signer: leaves the event as it is."""

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        return event


class AcceptAll:
    """The baseline's verifier: accepts everything (a copy, as the real one returns)."""

    def verify(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return dict(event)


def build_all(settings: StoreSettings, builder: EnvelopeBuilder) -> tuple[list[dict[str, Any]],
                                                                          float]:
    recorder = open_factory(store_environment(SERVICE, settings)).application_recorder()
    started = time.perf_counter()
    built: list[dict[str, Any]] = []
    position = 0
    try:
        while True:
            page = recorder.select_notifications(
                start=position, limit=PAGE, inclusive_of_start=False
            )
            for notification in page:
                built.append(builder.build(notification, position or None))
                position = notification.id
            if len(page) < PAGE:
                return built, time.perf_counter() - started
    finally:
        datastore = getattr(recorder, "datastore", None)
        if datastore is not None:
            datastore.close()


def drain(relay: Relay, tracking_name: str, expected: int) -> float:
    relay.tracking_name = tracking_name
    started = time.perf_counter()
    published = relay.drain()
    wall = time.perf_counter() - started
    if published != expected:
        msg = f"the relay published {published} events, not {expected}"
        raise RuntimeError(msg)
    return wall


def pages_of(events: list[dict[str, Any]]) -> Any:
    positions = [int(e["sequence"]) for e in events]

    def pull(after: int, limit: int) -> list[dict[str, Any]]:
        start = bisect_right(positions, after)
        return events[start:start + limit]

    return pull


def consume(events: list[dict[str, Any]], backend: str, verified: bool, run_id: str,
            n: int) -> float:
    """Seconds to pull and apply ``events`` into a fresh Supervision store."""
    temp: Path | None = None
    if backend == "postgres":
        settings = postgres_settings(f"bench{run_id}c{n}{'v' if verified else 'u'}_")
    else:
        temp = Path(tempfile.mkdtemp(prefix="dutytrail-bench-consumer-"))
        settings = sqlite_settings(temp)
    app = Supervision(store_environment("supervision", settings), SupervisionSettings())
    try:
        verifier = EventVerifier.for_service(SERVICE) if verified else AcceptAll()
        feed = UpstreamFeed(app, SERVICE, Reactions(app, SERVICE), verifier=verifier)
        started = time.perf_counter()
        applied = feed.pull(pages_of(events))
        wall = time.perf_counter() - started
        if applied != len(events) or feed.behind:
            msg = f"the consumer applied {applied} events, not {len(events)}"
            raise RuntimeError(msg)
        return wall
    finally:
        app.close()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        if backend == "postgres":
            drop_postgres_schemas(settings)


@dataclass
class Pair:
    """Seconds per round for the same work with and without signing/verifying."""

    events: int
    signed: list[float] = field(default_factory=list)
    unsigned: list[float] = field(default_factory=list)

    def rate(self, seconds: list[float]) -> float:
        return self.events * len(seconds) / sum(seconds)

    @property
    def ratio(self) -> float:
        return self.rate(self.signed) / self.rate(self.unsigned)

    def rounds(self, seconds: list[float]) -> str:
        return "/".join(f"{self.events / s:,.0f}" for s in seconds)

    def round_ratios(self) -> str:
        return "/".join(
            f"{u / s:.0%}" for s, u in zip(self.signed, self.unsigned, strict=True)
        )


def row(label: str, pair: Pair, with_label: str, without_label: str) -> str:
    verdict = "met" if pair.ratio >= AIM else "NOT MET"
    return (
        f"{label:<26} | {with_label} {pair.rate(pair.signed):>8,.0f}/s "
        f"({pair.rounds(pair.signed)}) | {without_label} {pair.rate(pair.unsigned):>8,.0f}/s "
        f"({pair.rounds(pair.unsigned)}) | {pair.ratio:>4.0%} ({pair.round_ratios()}) | {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="relay backlog (10000)")
    parser.add_argument("--consumer-events", type=int, default=2_000,
                        help="events the consumer applies per run (2000)")
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--queue", default="classic,none",
                        help="comma-separated routings: classic, quorum, none")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500, help="the relay's (500)")
    parser.add_argument("--amqp-uri", default=amqp_uri())
    args = parser.parse_args(argv)
    queues = [q.strip() for q in args.queue.split(",") if q.strip()]
    if not queues or set(queues) - {"classic", "quorum", "none"}:
        parser.error("--queue takes classic, quorum and/or none")
    if args.events < 1 or args.rounds < 1 or not 1 <= args.consumer_events <= args.events:
        parser.error("--events, --rounds positive; --consumer-events between 1 and --events")
    os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")  # development keys, for this run only
    own_directory("DUTYTRAIL_KEY_DIR", "dutytrail-bench-keys-")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)
    logging.getLogger("shared.keys").setLevel(logging.ERROR)
    unwind_on_sigterm()

    target = AmqpTarget.from_uri(args.amqp_uri)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; broker {target.host} vhost {target.virtual_host!r}; "
          f"backend {args.backend}")
    run_id = uuid.uuid4().hex[:8]
    temp: Path | None = None
    if args.backend == "postgres":
        settings = postgres_settings(f"bench{run_id}_")
    else:
        temp = Path(tempfile.mkdtemp(prefix="dutytrail-bench-signing-"))
        settings = sqlite_settings(temp)
    relays: dict[str, Relay] = {}
    queue: BenchQueue | None = None
    try:
        seconds = store_backlog(settings, args.events, 500)
        outbox = open_outbox(SERVICE, store_environment(SERVICE, settings))
        assert outbox is not None
        filled = len(outbox.bodies(1, 2**62))
        outbox.close()
        print(f"  stored {args.events} events in {seconds:.1f}s ({filled} in the outbox)")
        if filled != args.events:
            msg = f"the outbox holds {filled} events, not {args.events}"
            raise RuntimeError(msg)
        unsigned_builder = EnvelopeBuilder(SERVICE, signer=Unsigned())
        signed_builder = EnvelopeBuilder(SERVICE)
        build = Pair(args.events)
        for n in range(args.rounds):
            for signing in (n % 2 == 0, n % 2 == 1):
                _, wall = build_all(settings, signed_builder if signing else unsigned_builder)
                (build.signed if signing else build.unsigned).append(wall)
        events, _ = build_all(settings, signed_builder)

        modes = ("outbox", "signing", "unsigned")
        for mode in modes:
            relays[mode] = Relay(SERVICE, settings=settings, uri=args.amqp_uri,
                                 batch_size=args.batch_size)
            if mode != "outbox":  # no outbox: the relay builds (and signs) every event
                outbox_of_relay, relays[mode].outbox = relays[mode].outbox, None
                if outbox_of_relay is not None:
                    outbox_of_relay.close()
            if mode == "unsigned":
                relays[mode].builder = unsigned_builder
        relay_pairs = {kind: Pair(args.events) for kind in queues}  # outbox vs unsigned
        relay_signing = {kind: Pair(args.events) for kind in queues}  # relay signs vs unsigned
        queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.signing.{run_id}.warm-up", "classic")
        for mode, relay in relays.items():  # warm-up, untimed
            relay.tracking_name = f"{SERVICE}.relay.warm-up.{mode}"
            warm = relay.publish_batch()
            relay.flush()
            queue.take(warm)
        queue.close()
        queue = None
        for n in range(args.rounds):
            for kind in queues:
                queue = BenchQueue(args.amqp_uri, f"dutytrail.bench.signing.{run_id}", kind)
                walls: dict[str, float] = {}
                for mode in modes[n % 3:] + modes[:n % 3]:
                    walls[mode] = drain(relays[mode], f"{SERVICE}.relay.bench{n}.{kind}.{mode}",
                                        args.events)
                    queue.take(args.events)
                relay_pairs[kind].signed.append(walls["outbox"])
                relay_pairs[kind].unsigned.append(walls["unsigned"])
                relay_signing[kind].signed.append(walls["signing"])
                relay_signing[kind].unsigned.append(walls["unsigned"])
                queue.close()
                queue = None
                print(f"  round {n + 1}, {kind:>7} queue: relay signed, outbox "
                      f"{args.events / walls['outbox']:,.0f}/s, signed by the relay "
                      f"{args.events / walls['signing']:,.0f}/s, unsigned "
                      f"{args.events / walls['unsigned']:,.0f}/s")

        consumed = events[:args.consumer_events]
        consumer = Pair(len(consumed))
        for n in range(args.rounds):
            for verified in (n % 2 == 0, n % 2 == 1):
                wall = consume(consumed, args.backend, verified, run_id, n)
                (consumer.signed if verified else consumer.unsigned).append(wall)
            print(f"  round {n + 1}, consumer: verified "
                  f"{len(consumed) / consumer.signed[-1]:,.0f}/s, unverified "
                  f"{len(consumed) / consumer.unsigned[-1]:,.0f}/s")
        verifier = EventVerifier.for_service(SERVICE)
        started = time.perf_counter()
        for event in events:
            verifier.verify(event)
        verify_rate = len(events) / (time.perf_counter() - started)
    finally:
        if queue is not None:
            queue.close()
        for relay in relays.values():
            relay.stop()
            relay.close()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        if args.backend == "postgres":
            dropped = drop_postgres_schemas(settings)
            print(f"  postgres: dropped schemas {', '.join(dropped) or '(none)'}")

    print()
    header = (f"{'':<26} | {'with':>5} {'events/s':>10} (rounds) | {'without':>7} "
              f"{'events/s':>8} (rounds) | ratio (rounds) | aim >= {AIM:.0%}")
    print(header)
    print("-" * len(header))
    print(row("build only, no broker", build, "signed", "unsigned"))
    for kind, pair in relay_pairs.items():
        print(row(f"relay, {kind}, outbox", pair, "signed", "unsigned"))
        print(row(f"relay, {kind}, relay signs", relay_signing[kind], "signed", "unsigned"))
    print(row("consumer pull + apply", consumer, "verified", "unverified"))
    print()
    print(f"verify only (EventVerifier.verify, no store): {verify_rate:,.0f} events/s")
    print(f"{args.events} events per relay drain, batch size {args.batch_size}; "
          f"{len(consumed)} events per consumer run (a new {args.backend} store each); "
          f"{args.rounds} rounds, alternating which goes first; rates pool the rounds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

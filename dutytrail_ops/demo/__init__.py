"""`dutytrail demo`: a seeded, reproducible district year, played over RPC against the services
that `dutytrail up` runs, then the figures those services report and what an outside
subscriber received on the bus.

Each service plays its own part in ``dutytrail_ops/demo/<service>.py`` (a ``Scenario``); the
shared year, its dates and clock, the identities every call is made under, and the report are
in ``timeline.py``. A running service with no scenario still hears the clock and is reported
on the bus (docs/operations.md).

The demo signs its callers' tokens with the token authority's key (``shared.keys``): with
development keys (``DUTYTRAIL_DEV_KEYS=1``, as ``deploy/demo.sh`` sets) the services and the
demo must share one key directory.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import click

from shared.envelope import parse_position

SUBSCRIBER_QUEUE = "dutytrail.demo.subscriber"


def _subscriber_queue(service: str) -> str:
    return f"{SUBSCRIBER_QUEUE}.{service}"


def _running(rpc: Any, services: list[str], timeout: float) -> tuple[list[str], list[str]]:
    """The services that answer a ping within ``timeout`` and a note for each that does not.
    None answering means `dutytrail up` is not running: that is an error."""
    deadline = time.monotonic() + timeout
    running: list[str] = []
    notes: list[str] = []
    errors: dict[str, Exception] = {}
    for service in services:
        while True:
            try:
                getattr(rpc, service).ping()
                running.append(service)
                break
            except Exception as error:  # noqa: BLE001 - any failure means: not answering yet
                if time.monotonic() > deadline:
                    errors[service] = error
                    notes.append(f"{service}: did not answer within {timeout:.0f}s; skipped")
                    break
                time.sleep(0.5)
    if not running:
        first = services[0] if services else "no service"
        msg = f"{first} did not answer within {timeout:.0f}s: is `dutytrail up` running?"
        raise click.ClickException(msg) from errors.get(first)
    return running, notes


def _drain_subscriber(
    channel: Any, queue: str, expected_last: int, timeout: float
) -> list[dict[str, Any]]:
    received: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    last = 0
    while last < expected_last and time.monotonic() < deadline:
        message = channel.basic_get(queue, no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        event = json.loads(message.body)
        received[event["id"]] = event  # outside subscribers deduplicate by id
        last = max(last, parse_position(event["sequence"]))
    return sorted(received.values(), key=lambda e: parse_position(e["sequence"]))


def _all_events(service: Any) -> list[dict[str, Any]]:
    """Every event ``service`` stores, read page by page (by a caller who may)."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = service.events_after({"after": after, "limit": 500})
        events += page
        if len(page) < 500:
            return events
        after = parse_position(page[-1]["sequence"])


def run_demo(seed: int, year: int, timeout: float) -> int:
    from kombu.connection import Connection

    from dutytrail_ops.acting import Acting
    from dutytrail_ops.demo import timeline
    from dutytrail_ops.registry import in_dependency_order
    from dutytrail_ops.rpc_client import TidyClusterRpcProxy  # leaves no reply queue behind
    from shared.keys import TOKEN_AUTHORITY, KeyConfigurationError, private_key
    from shared.nameko_kit.config import service_config
    from shared.settings import amqp_uri

    latest = timeline.last_complete_year()
    if year > latest:
        msg = (f"year {year} is not over: the clock checks deadlines as of now or earlier, "
               f"so the demo plays a past year (at most {latest})")
        raise click.ClickException(msg)
    try:
        private_key(TOKEN_AUTHORITY)  # every call the demo makes carries a token it signs
    except KeyConfigurationError as error:
        raise click.ClickException(f"the demo cannot sign its callers' tokens: {error}") from None
    declared = in_dependency_order()
    click.echo(f"dutytrail demo: seed {seed}, year {year}, services {', '.join(declared)}")
    with Connection(amqp_uri()) as conn:
        channel = conn.channel()
        # An outside system's subscriber: one durable queue per service, bound before anything
        # happens, so every event published this year must arrive in it. It is cleared (the
        # district's audit office), so it binds the confidential exchange too; an uncleared
        # subscriber binds only <service>.events (docs/trust.md, "Confidential events").
        for service in declared:
            queue = _subscriber_queue(service)
            channel.queue_declare(queue, durable=True, auto_delete=False)
            for exchange in (f"{service}.events", f"{service}.confidential"):
                channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
                channel.queue_bind(queue, exchange, "#")
            channel.queue_purge(queue)
        with TidyClusterRpcProxy(service_config(), timeout=120) as rpc:
            services, notes = _running(rpc, declared, timeout)
            ctx = timeline.DemoContext(Acting(rpc), random.Random(seed), seed, year, services)
            scenarios, skipped = timeline.find_scenarios(ctx)
            for note in [*notes, *skipped]:
                click.echo(f"note: {note}")
            started = time.monotonic()
            timeline.play_year(ctx, scenarios)
            elapsed = time.monotonic() - started
            sections = timeline.report_sections(scenarios, timeline.report_day(year))
            stored = {
                service: _all_events(getattr(ctx.auditor, service)) for service in services
            }
        received = {
            service: _drain_subscriber(
                channel, _subscriber_queue(service),
                max((parse_position(e["sequence"]) for e in stored[service]), default=0),
                timeout,
            )
            for service in services
        }
        for service in declared:
            # Do not leave a durable queue collecting every event after the demo is over.
            channel.queue_delete(_subscriber_queue(service))
    for line in sections:
        click.echo(line)
    for service in services:
        for line in timeline.bus_report(service, stored[service], received[service]):
            click.echo(line)
    click.echo(f"scenario played in {elapsed:.1f}s over RPC")
    click.echo("")
    click.echo(district_report_of(year, [e for s in services for e in stored[s]]), nl=False)
    return 0


def district_report_of(year: int, events: list[dict[str, Any]]) -> str:
    """The district report (``dutytrail report``, docs/report.md) for the seed's January to
    November of ``year``, in Chinese, from every event the services stored this year (read
    above by the auditor, confidential ones included: the same history the report reads from
    the stores)."""
    from dutytrail_ops.demo.timeline import report_day
    from dutytrail_ops.report.compose import district_report
    from dutytrail_ops.report.facts import Fact, Period

    period = Period(report_day(year).replace(month=1, day=1), report_day(year))
    return district_report((Fact.from_cloudevent(e) for e in events), period, "zh", "text")

"""The outbox under crashes (docs/reliability.md): 1,000 commands while the relay is killed with SIGKILL
twice and restarted; an outside subscriber ends with every event id exactly once after
de-duplication, none missing.

Real processes throughout: `dutytrail run responsibility` and `dutytrail relay responsibility`
on a store of their own, commands over nameko's standalone RPC proxy, and a subscriber that
reads its own durable queue with pika.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, parse_position
from tests.e2e.helpers import (
    Delivery,
    Proc,
    assert_unbroken_chain,
    committee,
    first_of_each,
    process_env,
    rpc_config,
    stored_events,
    wait_for_ping,
    wait_until,
)

pytestmark = [pytest.mark.rabbitmq]

COMMANDS = 1000
IN_FLIGHT = 20  # commands sent before waiting for their replies
STARTS_AT = r"relay for responsibility starts at position (\d+)"


def register_units(clerk: Any, numbers: range, while_in_flight: Any = None) -> list[str]:
    """``register_unit`` once per number by the party committee's ``clerk``, IN_FLIGHT at a
    time; ``while_in_flight`` is called once, while the first commands are still being
    handled. Returns the new units' ids."""
    ids: list[str] = []
    for start in range(numbers.start, numbers.stop, IN_FLIGHT):
        replies = [
            clerk.responsibility.register_unit.call_async({
                "code": f"U{n:04d}", "name": f"单位{n}", "kind": "district_department",
            })
            for n in range(start, min(start + IN_FLIGHT, numbers.stop))
        ]
        if while_in_flight is not None:
            while_in_flight()
            while_in_flight = None
        ids += [reply.result() for reply in replies]
    return ids


def sigkill(relay: Proc) -> None:
    relay.signal(signal.SIGKILL)
    assert relay.popen.wait(timeout=10) == -signal.SIGKILL


def test_relay_killed_twice_loses_nothing(any_store, vhost, launcher, subscriber) -> None:
    env = process_env(any_store, vhost)
    service = launcher.start(["run", "responsibility"], env, "service")
    relay = launcher.start(["relay", "responsibility"], env, "relay")
    started = time.monotonic()
    with ClusterRpcProxy(rpc_config(vhost), timeout=60) as rpc:
        wait_for_ping(rpc, timeout=60)
        clerk = committee(rpc)
        relay.wait_for(STARTS_AT, timeout=30)
        ids = register_units(clerk, range(300))
        # Step. Kill 1 lands while commands are being stored and the relay follows them live.
        ids += register_units(clerk, range(300, 600), while_in_flight=lambda: sigkill(relay))
        # Step. 300 commands later, restart the relay and kill it again as soon as its first
        # batch (the whole backlog, published before any confirm is awaited) reaches the
        # subscriber's queue: it has not recorded that batch yet, so the next relay publishes
        # it again (unless the confirms beat the kill) -- duplicates are allowed, losses not.
        wait_until(lambda: subscriber.ready() > 0, 30, "the first relay's events")
        before = subscriber.ready()
        relay = launcher.start(["relay", "responsibility"], env, "relay")
        resumed_at = int(relay.wait_for(STARTS_AT, timeout=30).group(1))
        wait_until(lambda: subscriber.ready() > before, 30, "the second relay's first batch")
        sigkill(relay)
        ids += register_units(clerk, range(600, 800))
        # Step. A third relay carries on from the last position the broker confirmed.
        relay = launcher.start(["relay", "responsibility"], env, "relay")
        restarted_at = int(relay.wait_for(STARTS_AT, timeout=30).group(1))
        ids += register_units(clerk, range(800, COMMANDS))
        stored = stored_events(rpc)
    # Step. The subscriber reads its queue until it has every stored event.
    expected = {e["id"] for e in stored}
    deliveries = subscriber.receive(
        until=lambda got: expected <= {d.event["id"] for d in got}, timeout=30
    )
    elapsed = time.monotonic() - started

    # Every command stored exactly one event, and only those are stored.
    assert len(set(ids)) == COMMANDS
    assert len(stored) == COMMANDS
    assert {e["subject"] for e in stored} == set(ids)
    assert {e["type"] for e in stored} == {"dutytrail.responsibility.unit_registered.v1"}
    # The second relay found a backlog, and the third did not start past what it published.
    assert resumed_at < parse_position(stored[-1]["sequence"])
    assert restarted_at >= resumed_at

    unique, duplicates = first_of_each(deliveries)
    received = {e["id"] for e in unique}
    missing, foreign = expected - received, received - expected
    assert not missing, f"{len(missing)} events lost, e.g. {sorted(missing)[:3]}"
    assert not foreign, f"{len(foreign)} events never stored, e.g. {sorted(foreign)[:3]}"
    assert len(unique) == len(stored)
    # In arrival order, each new id comes at a higher position than the one before it.
    positions = [parse_position(e["sequence"]) for e in unique]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    # Exactly what the store's catch-up says, envelope for envelope (prevsequence included).
    by_position = sorted(unique, key=lambda e: parse_position(e["sequence"]))
    assert by_position == stored
    assert_unbroken_chain(unique)
    assert all(is_contract_message(d) for d in deliveries)
    # Whether the second kill landed before its relay recorded the batch is a matter of
    # timing: a re-published event is allowed (subscribers deduplicate by id, checked above
    # for every copy), a lost one never is.
    assert service.popen.poll() is None, service.tail()
    print(f"{len(deliveries)} deliveries, {duplicates} duplicates, {elapsed:.1f}s")


def is_contract_message(delivery: Delivery) -> bool:
    return (
        delivery.content_type == CONTENT_TYPE
        and delivery.content_encoding == CONTENT_ENCODING
        and delivery.delivery_mode == 2
        and delivery.routing_key == delivery.event["type"]
    )

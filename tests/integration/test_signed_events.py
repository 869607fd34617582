"""Forged events on the bus move nothing (docs/contract.md, "Verifying events").

The probe findings, through the kit's real consumer (the ``ledger_probe`` service built with
the service kit) beside a real responsibility container and its relay on the real broker:
whoever can publish on ``responsibility.events`` cannot make a consumer apply an event the
responsibility service did not sign, nor move its position past real events, nor past the
next position with a type no contract registers. Each forgery is dead-lettered at once as
poison, and the real events that follow are all applied.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import eventlet
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import REGISTRY

from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from shared.actors import Actor
from shared.envelope import CONTENT_TYPE, encode, format_position, parse_position
from shared.nameko_kit import service_config
from shared.relay import Relay, event_exchange_name
from shared.settings import StoreSettings
from shared.signing import EventSigner, EventVerifier
from tests.integration.probe_consumer import (
    ATTEMPTS,
    PROBE_STORE,
    UPSTREAM,
    AppliedLog,
    LedgerProbe,
    RawMessage,
    assert_no_other_consumers,
    delete_queues,
    handler_queue_name,
    log_id,
    probe_service,
    publish_raw,
    running,
    wait_until,
)
from tests.integration.test_dead_letters import death, take_dead_letters

CLERK = Actor(person_id=uuid4(), unit_id=uuid4())


@dataclass
class System:
    """The responsibility service (container, relay, and its store in-process), and the
    probe consumer's store read afresh."""

    name: str
    uri: str
    upstream: Responsibilities
    reader: LedgerProbe

    def state(self) -> tuple[int, list[int], list[str]]:
        """The probe's tracking position, and the positions and ids it applied."""
        log = self.reader.find(log_id(UPSTREAM), AppliedLog)
        applied = [] if log is None else log.entries
        return (
            self.reader.position(),
            [entry["sequence"] for entry in applied],
            [entry["id"] for entry in applied],
        )

    def register(self, count: int = 1) -> list[dict[str, Any]]:
        """Store ``count`` real events upstream (the relay publishes them) and return them as
        the upstream hands them out."""
        before = self.upstream.last_position()
        for _ in range(count):
            code = uuid4().hex[:6]
            self.upstream.register_unit(
                code=code, name=f"单位 {code}", kind="town", parent_unit_id=None, actor=CLERK
            )
        return self.upstream.events_after(before, 500)

    def caught_up(self) -> bool:
        page = self.upstream.events_after(0, 500)
        position, applied, _ = self.state()
        return position == parse_position(page[-1]["sequence"]) and applied == [
            parse_position(e["sequence"]) for e in page
        ]

    def wait_caught_up(self) -> None:
        wait_until(self.caught_up, message=lambda: f"probe at {self.state()}")

    def send(self, *events: dict[str, Any]) -> None:
        publish_raw(self.uri, event_exchange_name(UPSTREAM), [
            RawMessage(
                routing_key=str(e["type"]), body=encode(e).encode("utf-8"),
                content_type=CONTENT_TYPE, message_id=str(e["id"]),
            )
            for e in events
        ])

    def poison(self) -> float:
        value = REGISTRY.get_sample_value(
            "dutytrail_dead_lettered_total", {"service": self.name, "reason": "poison"}
        )
        return value or 0.0

    def dead_lettered_at_once(self, *events: dict[str, Any]) -> None:
        """Each event was rejected to the dead-letter queue on its first delivery."""
        ids = {str(e["id"]) for e in events}
        records = take_dead_letters(self.uri, ids)
        for record in records.values():
            assert death(record)["reason"] == "rejected"
        attempts = ATTEMPTS.get(self.name, Counter())
        assert all(attempts[i] == 1 for i in ids), attempts


@pytest.fixture
def system(sqlite_store: StoreSettings, use_store: Any, amqp_uri: str) -> Iterator[System]:
    use_store(sqlite_store)
    assert_no_other_consumers(amqp_uri, f"rpc-{UPSTREAM}")
    name = f"ledger_probe_{uuid4().hex[:8]}"
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    with ExitStack() as stack:
        stack.callback(
            delete_queues, amqp_uri,
            handler_queue_name(UPSTREAM, name, "on_responsibility_event"), f"rpc-{name}",
        )
        upstream = stack.enter_context(closing(Responsibilities()))
        reader = stack.enter_context(closing(LedgerProbe()))
        assert reader.service_name == PROBE_STORE
        stack.enter_context(running(ResponsibilityService, config))
        stack.enter_context(running(probe_service(name), config))
        relay = Relay(UPSTREAM, sqlite_store, uri=amqp_uri, poll_interval=0.02)
        thread = eventlet.spawn(relay.run)

        def stop_relay() -> None:
            relay.stop()
            thread.wait()

        stack.callback(stop_relay)
        running_system = System(name, amqp_uri, upstream, reader)
        running_system.register(2)
        running_system.wait_caught_up()
        yield running_system


def forged(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a real event with ``changes``, unsigned."""
    event = copy.deepcopy(template)
    del event["dssematerial"], event["signedextattrs"]
    event.update(changes)
    return event


def signed_by_another_key(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` signed with a key that is not responsibility's, under responsibility's key id."""
    keyid = EventVerifier.for_service(UPSTREAM).key_id
    return EventSigner(UPSTREAM, Ed25519PrivateKey.generate(), keyid=keyid).sign(
        copy.deepcopy(event)
    )


def next_position_event(system: System) -> tuple[dict[str, Any], int]:
    """The last real event (a template) and the probe's position."""
    last = system.upstream.events_after(0, 500)[-1]
    position, _, _ = system.state()
    assert position == parse_position(last["sequence"])
    return last, position


def test_a_forged_event_at_the_next_position_is_dead_lettered_and_the_real_one_applied(
    system: System,
) -> None:
    last, position = next_position_event(system)
    task = str(uuid4())
    overdue = forged(
        last,
        id=f"{task}:3", subject=task, type="dutytrail.responsibility.task_overdue.v1",
        dataschema="urn:dutytrail:schema:dutytrail.responsibility.task_overdue.v1",
        sequence=format_position(position + 1), prevsequence=format_position(position),
        data={"task_id": task, "deadline": "2026-03-31", "actor": last["data"]["actor"]},
    )
    unsigned = overdue
    wrong_key = signed_by_another_key({**overdue, "id": f"{task}:4"})
    # A genuine signature kept on an event whose data was changed afterwards.
    altered = copy.deepcopy(last)
    altered.update(id=f"{task}:5", sequence=format_position(position + 1),
                   prevsequence=format_position(position))
    before = system.state()
    poison = system.poison()

    system.send(unsigned, wrong_key, altered)

    system.dead_lettered_at_once(unsigned, wrong_key, altered)
    assert system.poison() - poison == 3
    assert system.state() == before  # nothing applied, the position unmoved
    [real] = system.register()
    assert parse_position(real["sequence"]) == position + 1
    system.wait_caught_up()
    after_position, applied, ids = system.state()
    assert after_position == position + 1
    assert applied == [*before[1], position + 1]
    assert ids == [*before[2], real["id"]]  # the real event, not a forged one


@pytest.mark.parametrize("signature", ["unsigned", "wrong_key"])
def test_a_forged_event_far_ahead_does_not_move_the_position_past_real_events(
    system: System, signature: str
) -> None:
    last, position = next_position_event(system)
    unit = str(uuid4())
    far_ahead = forged(
        last,
        id=f"{unit}:1", subject=unit, sequence=format_position(position + 1000),
        prevsequence=format_position(position),
        data={**last["data"], "unit_id": unit, "code": "FAKE", "name": "伪造单位"},
    )
    if signature == "wrong_key":
        far_ahead = signed_by_another_key(far_ahead)
    before = system.state()

    system.send(far_ahead)

    system.dead_lettered_at_once(far_ahead)
    assert system.state() == before
    real = system.register(5)
    system.wait_caught_up()
    after_position, applied, ids = system.state()
    assert after_position == position + 5
    assert applied == [*before[1], *(parse_position(e["sequence"]) for e in real)]
    assert ids == [*before[2], *(e["id"] for e in real)]
    assert far_ahead["id"] not in ids


def test_an_unknown_event_type_at_the_next_position_does_not_move_the_position(
    system: System,
) -> None:
    last, position = next_position_event(system)
    unit = str(uuid4())
    unknown_type = "dutytrail.responsibility.unit_renamed.v1"
    # Validly shaped and validly signed with responsibility's own key: only its type, which
    # no contract registers, is wrong.
    unknown = EventSigner.for_service(UPSTREAM).sign(forged(
        last,
        id=f"{unit}:2", subject=unit, type=unknown_type,
        dataschema=f"urn:dutytrail:schema:{unknown_type}",
        sequence=format_position(position + 1), prevsequence=format_position(position),
        data={**last["data"], "unit_id": unit},
    ))
    EventVerifier.for_service(UPSTREAM).verify(unknown)  # the signature is fine
    before = system.state()

    system.send(unknown)

    system.dead_lettered_at_once(unknown)
    assert system.state() == before
    [real] = system.register()
    system.wait_caught_up()
    after_position, applied, ids = system.state()
    assert after_position == position + 1 == parse_position(real["sequence"])
    assert applied == [*before[1], position + 1]
    assert ids == [*before[2], real["id"]]

"""An outside system's subscriber (pika, not nameko or kombu) receives every stored event as a
CloudEvent the official SDK parses, in order, with an unbroken prevsequence chain."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pika
import pytest
from cloudevents.core.bindings import amqp as ce_amqp

from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from shared.actors import Actor
from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE
from shared.persistence import store_environment
from shared.relay import Relay


@pytest.fixture
def subscriber(amqp_uri):
    """A durable queue of an outside system bound to every responsibility event."""
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    queue = f"outside.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare("responsibility.events", "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "responsibility.events", routing_key="#")
    yield channel, queue
    channel.queue_delete(queue)
    conn.close()


def receive(channel, queue: str, expected: int, timeout: float = 20.0) -> list[Any]:
    received = []
    for method, properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        received.append((properties, body))
        channel.basic_ack(method.delivery_tag)
        if len(received) >= expected:
            break
    channel.cancel()
    return received


def test_outside_subscriber_gets_one_cloudevent_per_stored_event(any_store, subscriber, amqp_uri):
    channel, queue = subscriber
    # Step. A clerk's commands store events (the relay is not running yet).
    app = Responsibilities(store_environment("responsibility", any_store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee", actor=founder)
    clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
    for i in range(5):
        app.register_unit(
            code=f"D{i:02d}", name=f"部门{i}", kind="district_department", parent_unit_id=pc,
            actor=clerk,
        )
    letter = app.draft_letter(
        letter=LetterContent.model_validate({
            "year": 2026, "issuer_unit_id": pc, "signatory_unit_id": pc,
            "common_clauses": ["共性条款"],
            "individual_clauses": [{"text": "个性条款", "risk_point": "审批"}],
            "sign_by": date(2026, 2, 28),
        }),
        actor=clerk,
    )
    # The committee's two principal leaders: one signs for the issuer, the other for the
    # committee as signatory, each with their own token.
    signers = []
    for post in ("区委书记", "区委副书记、区长"):
        person = uuid.uuid4()
        app.register_cadre(person_id=person, name=post, unit_id=pc, post_title=post,
                           line_of_work="全面", top_leader=True, actor=clerk)
        signers.append(Actor(person_id=person, unit_id=pc))
    signed_at = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    app.sign_letter_as_issuer(letter_id=letter, actor=signers[0], occurred_at=signed_at)
    app.countersign_letter(letter_id=letter, actor=signers[1], occurred_at=signed_at)
    stored = app.events_after(0)
    app.close()
    # Step. The relay publishes the backlog.
    relay = Relay("responsibility", any_store, amqp_uri)
    assert relay.drain() == len(stored) == 11
    relay.close()
    # Step. The outside subscriber parses each message with the CloudEvents SDK.
    received = receive(channel, queue, len(stored))
    assert len(received) == len(stored)
    events = []
    for properties, body in received:
        assert properties.content_type == CONTENT_TYPE
        assert properties.content_encoding == CONTENT_ENCODING
        assert properties.delivery_mode == 2
        message = ce_amqp.AMQPMessage(
            properties={"content-type": properties.content_type},
            application_properties={}, application_data=body,
        )
        event = ce_amqp.from_structured_event(message)
        assert event.get_specversion() == "1.0"
        assert event.get_source() == "/dutytrail/responsibility"
        events.append((event, json.loads(body)))
    assert [e.get_id() for e, _ in events] == [s["id"] for s in stored]
    sequences = [int(e.get_extension("sequence")) for e, _ in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    chain = [e.get_extension("prevsequence") for e, _ in events]
    assert chain[0] in ("", None)
    assert chain[1:] == [e.get_extension("sequence") for e, _ in events[:-1]]
    signed = [raw for e, raw in events if e.get_type().endswith("letter_signed.v1")]
    assert len(signed) == 1
    assert datetime.fromisoformat(signed[0]["time"]) == signed_at
    # Step. A restarted relay publishes nothing twice once its position is recorded.
    restarted = Relay("responsibility", any_store, amqp_uri)
    assert restarted.drain() == 0
    restarted.close()

"""Every consumer failure ends in the monitored dead-letter queue, and the consumer keeps
serving (docs/reliability.md, "Failures are visible").

Each test runs a consumer of its own (unique service and upstream names, so its queue and
exchange are its own) on the real broker, sends it one bad message, finds that message (by
its unique message id) in ``dutytrail.dead-letters`` with the broker's ``x-death`` record,
checks the ``dutytrail_dead_lettered_total`` counter, and then shows that an RPC and a good
event are still handled.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.message import Message
from kombu.messaging import Consumer
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from dutytrail_ops.acting import Acting
from shared.application import ServiceApplication
from shared.contracts import base as registry
from shared.contracts.base import EventData, contract
from shared.declaration import ServiceDeclaration
from shared.envelope import CONTENT_TYPE, encode, format_position
from shared.nameko_kit import ApplicationProvider, ServiceKit, service_config
from shared.nameko_kit.consumer import DEAD_LETTER_QUEUE
from shared.policy import UpstreamEvent, reacts_to
from shared.readmodel import Projection
from shared.roles import AUDITOR
from shared.settings import StoreSettings
from shared.signing import EventSigner
from tests.integration.probe_consumer import (
    ATTEMPTS,
    AppliedLog,
    DeliveryLog,
    RawMessage,
    delete_queues,
    handler_queue_name,
    log_id,
    publish_raw,
    running,
    wait_until,
)

DELIVERY_LIMIT = 2
ACTOR = {"person_id": str(uuid4()), "unit_id": str(uuid4())}


class ThingHappened(EventData):
    """The contract of the test upstream's one event type."""

    thing_id: str
    explode: bool = False


def thing_contract(upstream: str) -> type[ThingHappened]:
    """Register ``dutytrail.<upstream>.thing_happened.v1`` (each test has its own upstream)."""
    model = type(f"ThingHappened_{upstream}", (ThingHappened,), {})
    registered: type[ThingHappened] = contract(
        service=upstream, name="thing_happened", domain_event="Thing.Happened",
        subject_field="thing_id",
    )(model)
    return registered


def forget_contract(upstream: str) -> None:
    """Take the test upstream's contract out of the registry again, so that no other test
    (the schema export, the naming rule) ever sees it."""
    for info in [i for i in registry.all_contracts() if i.service == upstream]:
        del registry._BY_TYPE[info.type]
        del registry._BY_MODEL[info.model]
        del registry._BY_DOMAIN_EVENT[(info.service, info.domain_event)]


def consumer_service(service_name: str, upstream: str) -> type[Any]:
    """A kit consumer of ``upstream`` whose reaction fails on every event marked
    ``explode``; the upstream has no catch-up service, so only the live path applies."""
    model = thing_contract(upstream)

    class DeadLetterProbeApp(ServiceApplication[Projection]):
        service_name = f"dl_{upstream}"

        @reacts_to(model)
        def record_thing(self, event: UpstreamEvent[ThingHappened]) -> list[Any]:
            if event.data.explode:
                raise RuntimeError("this reaction fails on every delivery")
            log = self.find(log_id(upstream), AppliedLog) or AppliedLog(upstream)
            log.applied(event.sequence, event.id, event.type)
            return [log]

    class DeadLetterProbe(ServiceKit):
        declaration = ServiceDeclaration(
            name=service_name, title="dead-letter probe", service_class="",
            upstreams=(upstream,),
        )
        app = ApplicationProvider(DeadLetterProbeApp)
        deliveries = DeliveryLog()

    return DeadLetterProbe


def cloud_event(upstream: str, sequence: int, previous: int, **data: Any) -> dict[str, Any]:
    """A CloudEvent of the test upstream, signed with its (development) key as a service
    signs its events (docs/contract.md, "Verifying events")."""
    event_type = f"dutytrail.{upstream}.thing_happened.v1"
    return EventSigner.for_service(upstream).sign({
        "specversion": "1.0",
        "id": f"{uuid4()}:1",
        "source": f"/dutytrail/{upstream}",
        "type": event_type,
        "time": "2026-03-01T10:00:00+00:00",
        "recordedtime": "2026-03-01T10:00:01.500000+00:00",
        "subject": str(uuid4()),
        "sequence": format_position(sequence),
        "prevsequence": format_position(previous),
        "datacontenttype": "application/json",
        "dataschema": f"urn:dutytrail:schema:{event_type}",
        "dataclassification": "internal",
        "data": {"thing_id": str(uuid4()), "actor": ACTOR, **data},
    })


def as_message(event: dict[str, Any], content_type: str = CONTENT_TYPE) -> RawMessage:
    return RawMessage(
        routing_key=event["type"], body=encode(event).encode("utf-8"),
        content_type=content_type, message_id=event["id"],
    )


@dataclass
class RunningConsumer:
    name: str
    upstream: str
    queue: str
    uri: str
    cluster: Any
    auditor: Any  # the cluster proxy, calling as an auditor

    @property
    def exchange(self) -> str:
        return f"{self.upstream}.events"

    def send(self, *messages: RawMessage) -> None:
        publish_raw(self.uri, self.exchange, messages)

    def dead_lettered(self, reason: str) -> float:
        value = REGISTRY.get_sample_value(
            "dutytrail_dead_lettered_total", {"service": self.name, "reason": reason}
        )
        return value or 0.0

    def attempts(self, event_id: str) -> int:
        return ATTEMPTS.get(self.name, Counter())[event_id]

    def assert_still_serving(self, next_sequence: int = 1) -> None:
        """An RPC is answered, and the next good event is applied."""
        assert isinstance(datetime.fromisoformat(getattr(self.cluster, self.name).ping()), datetime)
        good = cloud_event(self.upstream, next_sequence, next_sequence - 1)
        self.send(as_message(good))
        wait_until(
            lambda: self.auditor[self.name].upstream_position()[self.upstream]
            == next_sequence,
            timeout=10, message="the good event to be applied",
        )
        assert self.attempts(good["id"]) == 1


@pytest.fixture
def consumer(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> Iterator[RunningConsumer]:
    use_store(sqlite_store)
    suffix = uuid4().hex[:10]
    name, upstream = f"dl_probe_{suffix}", f"dl_source_{suffix}"
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0, DELIVERY_LIMIT=DELIVERY_LIMIT)
    queue = handler_queue_name(upstream, name, f"on_{upstream}_event")
    try:
        with running(consumer_service(name, upstream), config), \
                ClusterRpcProxy(config) as cluster:
            auditor = Acting(cluster).as_(uuid4(), uuid4(), AUDITOR)
            yield RunningConsumer(name, upstream, queue, amqp_uri, cluster, auditor)
    finally:
        forget_contract(upstream)
        delete_queues(amqp_uri, queue, f"rpc-{name}")
        with Connection(amqp_uri) as conn:
            conn.default_channel.exchange_delete(f"{upstream}.events")


def take_dead_letters(uri: str, message_ids: set[str], timeout: float = 15.0) -> dict[str, Any]:
    """Remove the messages with these ids from the shared dead-letter queue and return their
    properties and headers. Other messages there are left alone (returned unacknowledged)."""
    found: dict[str, Any] = {}

    def on_message(message: Message) -> None:
        message_id = message.properties.get("message_id")
        if message_id in message_ids and message_id not in found:
            body = message.body
            found[message_id] = {
                "body": body.encode("utf-8") if isinstance(body, str) else bytes(body),
                "content_type": message.content_type,
                "headers": dict(message.headers or {}),
            }
            message.ack()

    with Connection(uri) as conn:
        channel = conn.channel()
        channel.basic_qos(prefetch_size=0, prefetch_count=1000, a_global=False)
        queue = Queue(DEAD_LETTER_QUEUE, exchange=Exchange("dutytrail.dead-letter", "fanout"),
                      no_declare=True)
        with Consumer(channel, queues=[queue], on_message=on_message, no_ack=False):

            def drain() -> bool:
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=0.2)
                return found.keys() >= message_ids

            wait_until(drain, timeout=timeout, interval=0,
                       message=lambda: f"dead letters {message_ids - found.keys()}")
        channel.close()
    return found


def death(record: dict[str, Any]) -> dict[str, Any]:
    deaths: list[dict[str, Any]] = record["headers"]["x-death"]
    assert len(deaths) == 1
    return deaths[0]


def test_malformed_json_is_dead_lettered_and_the_consumer_keeps_serving(
    consumer: RunningConsumer,
) -> None:
    marker = f"malformed-{uuid4()}"
    body = b'{"specversion": "1.0", "id": "' + marker.encode() + b'", "data": {'
    consumer.send(RawMessage("dutytrail.x.y.v1", body, CONTENT_TYPE, marker))

    record = take_dead_letters(consumer.uri, {marker})[marker]
    assert record["body"] == body
    assert record["content_type"] == CONTENT_TYPE
    assert death(record)["reason"] == "rejected"
    assert death(record)["queue"] == consumer.queue
    assert consumer.dead_lettered("undecodable") == 1
    consumer.assert_still_serving()


def test_a_content_type_nobody_accepts_is_dead_lettered(consumer: RunningConsumer) -> None:
    event = cloud_event(consumer.upstream, 1, 0)
    consumer.send(as_message(event, content_type="text/plain"))

    record = take_dead_letters(consumer.uri, {event["id"]})[event["id"]]
    assert record["content_type"] == "text/plain"
    assert json.loads(record["body"]) == event
    assert death(record)["reason"] == "rejected"
    assert death(record)["queue"] == consumer.queue
    assert consumer.dead_lettered("undecodable") == 1
    # It never reached the handler; the same event, properly sent, is applied.
    assert consumer.attempts(event["id"]) == 0
    consumer.assert_still_serving()


def test_a_message_that_is_not_a_cloudevent_of_the_upstream_is_dead_lettered_at_once(
    consumer: RunningConsumer,
) -> None:
    event = cloud_event(consumer.upstream, 1, 0)
    event["source"] = "/dutytrail/someone_else"
    consumer.send(as_message(event))

    record = take_dead_letters(consumer.uri, {event["id"]})[event["id"]]
    assert death(record)["reason"] == "rejected"
    assert consumer.attempts(event["id"]) == 1  # poison: never retried
    assert consumer.dead_lettered("poison") == 1
    consumer.assert_still_serving()


def test_a_handler_that_always_raises_is_dead_lettered_after_the_delivery_limit(
    consumer: RunningConsumer,
) -> None:
    event = cloud_event(consumer.upstream, 1, 0, explode=True)
    consumer.send(as_message(event))

    record = take_dead_letters(consumer.uri, {event["id"]})[event["id"]]
    assert json.loads(record["body"]) == event
    assert death(record)["reason"] == "delivery_limit"
    assert death(record)["queue"] == consumer.queue
    # The first delivery and DELIVERY_LIMIT redeliveries, then the broker gave up.
    assert consumer.attempts(event["id"]) == DELIVERY_LIMIT + 1
    assert consumer.dead_lettered("delivery_limit") == 1
    assert consumer.dead_lettered("poison") == 0
    consumer.assert_still_serving()

"""Confidential means confidential on the bus too: an unannounced visit's scheduling goes to
``supervision.confidential`` (which only cleared users may bind to), never to
``supervision.events``; the catch-up serves it only to cleared callers; and no metric shows
that it was scheduled, nor when."""

from __future__ import annotations

import uuid
from typing import Any

import eventlet
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from dutytrail_ops.acting import Acting
from services.supervision.service import SupervisionService
from shared.envelope import parse_position
from shared.nameko_kit import service_config
from shared.relay import Relay
from shared.roles import AUDITOR, DISCIPLINE_COMMISSION, SUBSCRIBER
from shared.settings import StoreSettings
from tests.integration.probe_consumer import delete_queues, running, wait_until

VISIT_SCHEDULED = "dutytrail.supervision.unannounced_visit_scheduled.v1"


def drain(conn: Connection, queue: Queue) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    channel = conn.channel()
    while (message := queue(channel).get(no_ack=True)) is not None:
        got.append(message.decode())
    channel.close()
    return got


def test_an_unannounced_visit_is_seen_only_by_the_cleared(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    tag = uuid.uuid4().hex[:8]
    public_q = Queue(f"t{tag}.public", Exchange("supervision.events", "topic", durable=True),
                     routing_key="#", durable=False, auto_delete=True)
    secret_q = Queue(f"t{tag}.secret",
                     Exchange("supervision.confidential", "topic", durable=True),
                     routing_key="#", durable=False, auto_delete=True)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    relay = Relay("supervision", sqlite_store, amqp_uri)
    relay.poll_interval = 0.02
    before = REGISTRY.get_sample_value(
        "dutytrail_commands_total",
        {"service": "supervision", "command": "schedule_unannounced_visit", "outcome": "ok"},
    )
    with Connection(amqp_uri) as conn:
        for queue in (public_q, secret_q):
            queue(conn.default_channel).declare()
        thread = eventlet.spawn(relay.run)
        try:
            with running(SupervisionService, config), \
                    ClusterRpcProxy(config, timeout=30) as rpc:
                acting = Acting(rpc)
                commission = acting.as_(uuid.uuid4(), uuid.uuid4(), DISCIPLINE_COMMISSION)
                auditor = acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR)
                outsider = acting.as_(uuid.uuid4(), uuid.uuid4(), SUBSCRIBER)
                # Step. The commission schedules a visit, then issues a circular.
                visit = commission.supervision.schedule_unannounced_visit({})
                commission.supervision.issue_bulletin({
                    "kind": "circular", "request_id": f"r-{tag}", "title": "督查通报第1期",
                })
                wait_until(lambda: relay.position() >= 2, message="the relay to publish both")

                # Step. The catch-up: the auditor sees both, an uncleared subscriber one.
                cleared_page = auditor.supervision.events_after({"after": 0})
                outside_page = outsider.supervision.events_after({"after": 0})
        finally:
            relay.stop()
            thread.wait()
            delete_queues(amqp_uri, "rpc-supervision")
        public, secret = drain(conn, public_q), drain(conn, secret_q)

    assert cleared_page[0]["type"] == VISIT_SCHEDULED
    assert cleared_page[0]["subject"] == visit
    assert VISIT_SCHEDULED not in {e["type"] for e in outside_page}
    assert [e["id"] for e in outside_page] == [e["id"] for e in cleared_page[1:]]
    # The bus: the scheduling only on the confidential exchange, the rest only on .events.
    assert [e["type"] for e in secret] == [VISIT_SCHEDULED]
    assert VISIT_SCHEDULED not in {e["type"] for e in public}
    assert [e["id"] for e in public] == [e["id"] for e in cleared_page[1:]]
    # The next public event still names the real previous position (a hole to the uncleared).
    assert parse_position(public[0]["prevsequence"]) == parse_position(secret[0]["sequence"])
    # No metric counts the scheduling or the command that did it.
    after = REGISTRY.get_sample_value(
        "dutytrail_commands_total",
        {"service": "supervision", "command": "schedule_unannounced_visit", "outcome": "ok"},
    )
    assert after == before is None
    assert REGISTRY.get_sample_value(
        "dutytrail_events_stored_total", {"service": "supervision", "event": VISIT_SCHEDULED},
    ) is None
    assert REGISTRY.get_sample_value(
        "dutytrail_events_stored_total",
        {"service": "supervision", "event": "dutytrail.supervision.bulletin_issued.v1"},
    ) is not None

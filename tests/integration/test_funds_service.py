"""The funds service over real RabbitMQ: it learns units from the responsibility service's
events (duplicates and out-of-order deliveries included), records a ledger whose rules fire,
and publishes a warning transferred to casework as ``matter_referred_to_casework`` on
``funds.events`` for casework (an outside queue stands in for casework's)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import eventlet
import pika
import pytest
from click.testing import CliRunner
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops import funds_cli
from dutytrail_ops.acting import Acting
from services.funds.service import FundsService
from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from shared.envelope import CONTENT_TYPE, parse_position
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.relay import Relay
from shared.roles import AUDITOR, DISCIPLINE_COMMISSION, PARTY_COMMITTEE, UNIT_CLERK
from tests.integration.probe_consumer import (
    RawMessage,
    delete_queues,
    publish_raw,
    running,
    wait_until,
)

QUEUE = "evt-responsibility-#--funds.on_responsibility_event"
REFERRAL = "dutytrail.funds.matter_referred_to_casework.v1"


def at(month: int, day: int) -> str:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC).isoformat()


def national_id(n: int) -> str:
    return f"11010119800101{n:04d}"


@pytest.fixture
def cluster(sqlite_store, use_store, amqp_uri):
    use_store(sqlite_store)
    delete_queues(amqp_uri, QUEUE)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0, DELIVERY_LIMIT=3)
    relays = [Relay(name, sqlite_store, amqp_uri) for name in ("responsibility", "funds")]
    threads = []
    for relay in relays:
        relay.poll_interval = 0.02
        threads.append(eventlet.spawn(relay.run))
    try:
        with running(ResponsibilityService, config), ClusterRpcProxy(config, timeout=30) as rpc:
            yield Acting(rpc), config, sqlite_store
    finally:
        for relay, thread in zip(relays, threads, strict=True):
            relay.stop()
            thread.wait()
        delete_queues(amqp_uri, QUEUE)


@pytest.fixture
def casework_queue(amqp_uri):
    """Casework's stand-in: a durable queue bound to every funds event."""
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    queue = f"casework-standin.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare("funds.events", "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "funds.events", routing_key="#")
    yield channel, queue
    channel.queue_delete(queue)
    conn.close()


def received(channel, queue) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return found
        found.append(json.loads(body))


def test_funds_learns_units_records_a_ledger_and_publishes_a_referral(
        cluster, amqp_uri, casework_queue, tmp_path, monkeypatch):
    acting, config, store = cluster
    person = str(uuid.uuid4())
    founder = acting.as_(person, str(uuid.uuid4()), PARTY_COMMITTEE).responsibility
    pc = founder.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee",
                                "occurred_at": at(1, 2)})
    committee = acting.as_(person, pc, PARTY_COMMITTEE).responsibility
    civil = committee.register_unit({"code": "D02", "name": "区民政局",
                                     "kind": "district_department", "parent_unit_id": pc,
                                     "occurred_at": at(1, 2)})
    town = committee.register_unit({"code": "T01", "name": "**镇", "kind": "town",
                                    "parent_unit_id": pc, "occurred_at": at(1, 2)})
    community = committee.register_unit({"code": "C01", "name": "**社区", "kind": "community",
                                         "parent_unit_id": town, "occurred_at": at(1, 3)})
    commission = acting.as_(person, pc, DISCIPLINE_COMMISSION).funds
    auditor = acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR).funds
    with running(FundsService, config):
        wait_until(lambda: auditor.upstream_position()["responsibility"] == 4,
                   message="funds to learn the four units")
        # Step. Every responsibility event redelivered twice, newest first: nothing changes.
        upstream = Responsibilities(store_environment("responsibility", store))
        events = upstream.events_after(0)
        upstream.close()
        raw = [RawMessage(e["type"], json.dumps(e).encode(), CONTENT_TYPE, e["id"])
               for e in reversed(events)]
        assert publish_raw(amqp_uri, "responsibility.events", raw + raw) == 2 * len(events)
        eventlet.sleep(1.0)  # let the redeliveries drain through the handler
        assert auditor.upstream_position()["responsibility"] == parse_position(
            events[-1]["sequence"])
        for unit in (civil, town, community):
            commission.enrol_unit({"unit_id": unit, "enrolled_on": "2026-01-05",
                                   "occurred_at": at(1, 5)})
        with pytest.raises(RemoteError) as twice:
            commission.enrol_unit({"unit_id": civil, "enrolled_on": "2026-01-06"})
        assert twice.value.exc_type == "UnitAlreadyEnrolledError"
        assert sorted(u["name"] for u in auditor.list_units()) == ["**社区", "**镇", "区民政局"]
        # Step. A programme and a ledger with a cash payment, recorded by the community.
        programme = acting.as_(person, civil, UNIT_CLERK).funds.open_programme({
            "name": "城乡低保", "managing_unit_id": civil, "budget": "100000.00",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "period": "month",
            "eligibility": "低保对象", "command_id": str(uuid.uuid4()),
            "occurred_at": at(1, 6)})
        # Step. A deaths file imported through the command line, with the commission's token.
        deaths = tmp_path / "deaths.csv"
        deaths.write_text(f"national_id,on\n{national_id(1)},2026-01-15\n", encoding="utf-8")
        monkeypatch.setenv("DUTYTRAIL_TOKEN",
                           acting.token(person, pc, DISCIPLINE_COMMISSION))
        imported = CliRunner().invoke(funds_cli.funds, [
            "import", "--kind", "deaths", "--source", "区民政局 2026-01", str(deaths)])
        assert imported.exit_code == 0, imported.output
        assert json.loads(imported.output)["rows"] == 1
        clerk = acting.as_(person, community, UNIT_CLERK).funds
        line = {"programme_id": programme, "national_id": national_id(1), "name": "张三丰",
                "amount": "512.30", "paid_on": "2026-02-01", "paying_unit_id": community,
                "handler_national_id": national_id(9000)}
        clerk.record_ledger({"lines": [line, {**line, "national_id": national_id(2),
                                              "method": "cash"}],
                             "occurred_at": at(2, 1)})
        with pytest.raises(RemoteError) as over_precise:
            clerk.record_payment({"line": {**line, "amount": "1.001"}})
        assert over_precise.value.exc_type == "InvalidCommandError"
        assert national_id(1) not in over_precise.value.value
        [warning] = auditor.list_warnings({"rule": "paid_in_cash"})
        [dead] = auditor.list_warnings({"rule": "paid_after_death"})
        assert dead["references"] == [{"import_id": json.loads(imported.output)["import_id"],
                                       "row": 1}]
        assert [p["masked_name"] for p in auditor.recipient_list(
            {"programme_id": programme})] == ["张*丰", "张*丰"]
        # Step. The warning goes to casework: published for casework to consume.
        referral = commission.transfer_warning({"warning_id": warning["warning_id"],
                                                "summary": "社区现金发放低保金"})
        channel, queue = casework_queue

        def referral_published() -> list[dict[str, Any]]:
            return [e for e in received(channel, queue) if e["type"] == REFERRAL]

        [event] = wait_until(referral_published, message="the referral on funds.events")
        assert event["data"]["referral_id"] == referral
        assert event["data"]["source"] == "warning"
        assert event["data"]["payment_ids"] == warning["payment_ids"]
        assert event["data"]["unit_id"] == community
        # No clear national id in anything funds published.
        for stored in acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR).funds.events_after(
                {"after": 0}):
            assert national_id(1) not in json.dumps(stored)

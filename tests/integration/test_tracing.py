"""One trace across services over the real RabbitMQ (docs/tracing.md): a command sent to
responsibility with the caller's ``traceparent`` stores its event under that trace; the relay
publishes it; supervision, consuming it, stores its reaction under the same trace id with a
span of its own. A caller's malformed ``traceparent`` is replaced, and a caller who sends none
gets a trace all the same. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from services.supervision.application import Supervision
from services.supervision.service import SupervisionService
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.relay import Relay
from shared.roles import AUDITOR, PARTY_COMMITTEE, SYSTEM_CLOCK
from shared.tracing import parse
from tests.integration.probe_consumer import delete_queues, running, wait_until

QUEUE = "evt-responsibility-#--supervision.on_responsibility_event"
CALLER_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"  # W3C's example


def at(month: int, day: int) -> str:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC).isoformat()


def stored_events(app_class: Any, service: str, store: Any) -> list[dict[str, Any]]:
    app = app_class(store_environment(service, store))
    try:
        return list(app.events_after(0))
    finally:
        app.close()


@pytest.fixture
def both_services(any_store, use_store, amqp_uri):
    use_store(any_store)
    delete_queues(amqp_uri, QUEUE)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    relay = Relay("responsibility", any_store, amqp_uri)
    relay.poll_interval = 0.02
    thread = eventlet.spawn(relay.run)
    try:
        with (running(ResponsibilityService, config), running(SupervisionService, config),
              ClusterRpcProxy(config, timeout=30) as rpc):
            yield rpc, any_store
    finally:
        relay.stop()
        thread.wait()
        delete_queues(amqp_uri, QUEUE)


def register(rpc: Any, code: str, traceparent: str | None) -> str:
    person, unit = uuid.uuid4(), uuid.uuid4()
    acting = Acting(rpc)
    committee = acting.as_(person, unit, PARTY_COMMITTEE).responsibility
    if traceparent is None:
        rpc._worker_ctx.data.pop("traceparent", None)
    else:
        rpc._worker_ctx.data["traceparent"] = traceparent
    try:
        found: str = committee.register_unit({"code": code, "name": f"单位{code}",
                                              "kind": "party_committee", "occurred_at": at(1, 2)})
    finally:
        rpc._worker_ctx.data.pop("traceparent", None)
    return found


def test_a_command_and_the_reaction_in_another_service_share_one_trace(both_services):
    rpc, store = both_services
    sent = register(rpc, "PC", CALLER_TRACE)
    malformed = register(rpc, "PX", "00-XYZ-b7ad6b7169203331-01")
    unsent = register(rpc, "PN", None)
    auditor = Acting(rpc).as_(uuid.uuid4(), uuid.uuid4(), AUDITOR).supervision
    wait_until(lambda: {"PC", "PX", "PN"} <= {u["code"] for u in auditor.list_units()},
               message="supervision to learn the three units through the broker")

    upstream = {e["subject"]: e for e in stored_events(Responsibilities, "responsibility", store)}
    reactions = stored_events(Supervision, "supervision", store)
    # Step. The caller's trace is the command's: same trace id, the service's own span.
    command = parse(upstream[sent]["traceparent"])
    assert command is not None
    assert command.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert command.span_id != "b7ad6b7169203331"
    # Step. Supervision's reaction, stored in its own store, carries the same trace id.
    about_sent = [e for e in reactions if e["data"].get("unit_id") == sent]
    assert about_sent, "no reaction in supervision to the registered unit"
    for reaction in about_sent:
        context = parse(reaction["traceparent"])
        assert context is not None
        assert context.trace_id == command.trace_id
        assert context.span_id not in (command.span_id, "b7ad6b7169203331")
    # Step. A malformed or missing traceparent: a new trace per command, followed just the same.
    traces = set()
    for unit in (malformed, unsent):
        own = parse(upstream[unit]["traceparent"])
        assert own is not None and own.trace_id != command.trace_id
        traces.add(own.trace_id)
        reacted = [parse(e["traceparent"]) for e in reactions if e["data"].get("unit_id") == unit]
        assert reacted and all(r is not None and r.trace_id == own.trace_id for r in reacted)
    assert len(traces) == 2


def test_the_clock_gives_each_record_it_marks_a_trace_of_its_own(both_services):
    rpc, store = both_services
    acting = Acting(rpc)
    person = uuid.uuid4()
    founder = acting.as_(person, uuid.uuid4(), PARTY_COMMITTEE).responsibility
    pc = founder.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee",
                                "occurred_at": at(1, 2)})
    committee = acting.as_(person, pc, PARTY_COMMITTEE).responsibility
    leader = committee.register_cadre({
        "person_id": str(uuid.uuid4()), "name": "王伟", "unit_id": pc, "post_title": "书记",
        "line_of_work": "全面", "leadership_member": True, "top_leader": True,
        "occurred_at": at(1, 3)})
    tasks = [committee.create_task({"year": 2026, "title": title, "requirement": "逐岗排查",
                                    "lead_unit_id": pc, "responsible_cadre_id": leader,
                                    "deadline": "2026-03-31", "occurred_at": at(1, 10)})
             for title in ("风险点排查", "台账整理")]
    clock = acting.as_(uuid.uuid4(), uuid.uuid4(), SYSTEM_CLOCK).responsibility
    rpc._worker_ctx.data["traceparent"] = CALLER_TRACE
    try:
        clock.check_deadlines({"as_of": at(4, 2)})
    finally:
        rpc._worker_ctx.data.pop("traceparent", None)
    marks = [e for e in stored_events(Responsibilities, "responsibility", store)
             if e["type"].endswith(".task_overdue.v1")]
    assert sorted(e["subject"] for e in marks) == sorted(tasks)
    traces = {parse(e["traceparent"]).trace_id for e in marks}  # type: ignore[union-attr]
    assert len(traces) == 2
    assert "0af7651916cd43dd8448eb211c80319c" not in traces

"""The supervision service over real RabbitMQ: it learns the organisation and overdue tasks from
the responsibility service's events (duplicates and out-of-order deliveries included, and while
it was stopped), issues gap-free bulletin numbers to concurrent callers, and refuses illegal
transitions with named errors. Every call carries a token with the role the act needs."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from services.supervision import metrics
from services.supervision.service import SupervisionService
from shared.envelope import CONTENT_TYPE, parse_position
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.relay import Relay
from shared.roles import (
    AUDITOR,
    DISCIPLINE_COMMISSION,
    PARTY_COMMITTEE,
    ROLES,
    SYSTEM_CLOCK,
    UNIT_CLERK,
)
from tests.integration.probe_consumer import (
    RawMessage,
    delete_queues,
    publish_raw,
    running,
    wait_until,
)

CLERK = {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}
QUEUE = "evt-responsibility-#--supervision.on_responsibility_event"


def at(month: int, day: int) -> str:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC).isoformat()


@pytest.fixture
def cluster(sqlite_store, use_store, amqp_uri):
    use_store(sqlite_store)
    delete_queues(amqp_uri, QUEUE)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0, DELIVERY_LIMIT=3)
    relay = Relay("responsibility", sqlite_store, amqp_uri)
    relay.poll_interval = 0.02
    thread = eventlet.spawn(relay.run)
    try:
        with running(ResponsibilityService, config), ClusterRpcProxy(config, timeout=30) as rpc:
            yield Acting(rpc), config, sqlite_store
    finally:
        relay.stop()
        thread.wait()
        delete_queues(amqp_uri, QUEUE)


class People:
    """Who acts in these tests: one clerk of the party committee's unit, in the party
    committee's role for responsibility, in the discipline commission's for supervision and as
    its unit's clerk; an auditor who reads; the system clock."""

    def __init__(self, acting: Acting, pc: str) -> None:
        person = str(uuid.uuid4())
        self.committee = acting.as_(person, pc, PARTY_COMMITTEE)
        self.commission = acting.as_(person, pc, DISCIPLINE_COMMISSION)
        self.unit_clerk = acting.as_(person, pc, UNIT_CLERK)
        self.auditor = acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR)
        self.clock = acting.as_(uuid.uuid4(), uuid.uuid4(), SYSTEM_CLOCK)


def organisation(acting: Acting) -> tuple[str, People, str, str]:
    founder = acting.as_(CLERK["person_id"], CLERK["unit_id"], PARTY_COMMITTEE).responsibility
    pc = founder.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee",
                                "occurred_at": at(1, 2)})
    people = People(acting, pc)
    r = people.committee.responsibility
    dept = r.register_unit({"code": "D01", "name": "区财政局", "kind": "district_department",
                            "parent_unit_id": pc, "occurred_at": at(1, 2)})
    leader = r.register_cadre({"person_id": str(uuid.uuid4()), "name": "王伟", "unit_id": dept,
                               "post_title": "局长", "line_of_work": "财政",
                               "leadership_member": True, "top_leader": True,
                               "occurred_at": at(1, 3)})
    return pc, people, dept, leader


def test_supervision_follows_responsibility_even_while_stopped(cluster, amqp_uri):
    acting, config, store = cluster
    pc, people, dept, leader = organisation(acting)
    r = people.committee.responsibility
    read = people.auditor.supervision
    # Step. Supervision starts after the organisation exists: it catches up by pulling.
    with running(SupervisionService, config):
        wait_until(lambda: [u["code"] for u in read.list_units()] == ["D01", "PC"],
                   message="supervision to learn the units")
        task = r.create_task({"year": 2026, "title": "风险点排查", "requirement": "逐岗排查",
                              "lead_unit_id": dept, "responsible_cadre_id": leader,
                              "deadline": "2026-03-31", "occurred_at": at(1, 10)})
    # Step. While supervision is stopped, the task goes overdue and a town is registered.
    assert people.clock.responsibility.check_deadlines({"as_of": at(4, 2)}) == {
        "recorded": [task], "damaged": []}
    r.register_unit({"code": "T01", "name": "**镇", "kind": "town", "parent_unit_id": pc,
                     "occurred_at": at(4, 3)})
    with running(SupervisionService, config):
        follow_ups = wait_until(lambda: read.open_follow_ups({}),
                                message="a follow-up item for the overdue task")
        assert [(f["unit_id"], f["task_id"]) for f in follow_ups] == [(dept, task)]
        wait_until(lambda: "T01" in [u["code"] for u in read.list_units()],
                   message="the town registered while supervision was stopped")
        # Step. Redeliver every responsibility event twice, newest first: nothing changes.
        upstream = Responsibilities(store_environment("responsibility", store))
        events = upstream.events_after(0)
        upstream.close()
        raw = [RawMessage(e["type"], json.dumps(e).encode(), CONTENT_TYPE, e["id"])
               for e in reversed(events)]
        assert publish_raw(amqp_uri, "responsibility.events", raw + raw) == 2 * len(events)
        last = parse_position(events[-1]["sequence"])
        wait_until(lambda: read.upstream_position()["responsibility"] == last)
        eventlet.sleep(1.0)  # let the redeliveries drain through the handler
        assert len(read.open_follow_ups({})) == 1
        assert sorted(u["code"] for u in read.list_units()) == ["D01", "PC", "T01"]
        # Step. An inspection of the department addresses the follow-up.
        people.commission.supervision.record_inspection({
            "kind": "weekly",
            "report": {"leader_person_id": str(uuid.uuid4()), "leader_name": "区纪委监委 李强",
                       "location": "区财政局", "held_on": "2026-04-08", "unit_ids": [dept],
                       "problems": [{"category": "work_discipline", "description": "台账不全",
                                     "unit_id": dept}]},
            "occurred_at": at(4, 8),
        })
        assert read.open_follow_ups({}) == []


def test_concurrent_bulletins_get_gap_free_numbers_and_illegal_steps_are_refused(cluster):
    acting, config, _ = cluster
    _pc, people, dept, _ = organisation(acting)
    with running(SupervisionService, config):
        s = people.commission.supervision
        read = people.auditor.supervision
        wait_until(lambda: len(read.list_units()) == 2, message="supervision to learn the units")
        # Step. Twelve circulars requested at once by concurrent callers.
        requests = [
            {"kind": "circular", "request_id": f"req-{i}", "title": f"督查通报{i}",
             "occurred_at": at(5, 1)}
            for i in range(12)
        ]
        # All in flight before any answer is read: the service's workers run them at once.
        replies = [s.issue_bulletin.call_async(request) for request in requests]
        ids = [reply.result() for reply in replies]
        register = read.bulletin_register({"year": 2026, "kind": "circular"})
        assert sorted(b["number"] for b in register) == list(range(1, 13))
        assert sorted(b["bulletin_id"] for b in register) == sorted(ids)
        # Step. The same request twice is refused, naming the number already issued.
        with pytest.raises(RemoteError) as twice:
            s.issue_bulletin(requests[0])
        assert twice.value.exc_type == "DuplicateBulletinRequestError"
        # Step. A bulletin citing an unknown notice is refused.
        with pytest.raises(RemoteError) as unknown:
            s.issue_bulletin({"kind": "special_report", "request_id": "r-x", "title": "专报",
                              "notice_ids": [str(uuid.uuid4())]})
        assert unknown.value.exc_type == "BulletinCitesUnknownNoticeError"
        # Step. Verifying a notice never reported is refused.
        inspection = s.record_inspection({
            "kind": "weekly",
            "report": {"leader_person_id": str(uuid.uuid4()), "leader_name": "李强",
                       "location": "区财政局", "held_on": "2026-05-02", "unit_ids": [dept],
                       "problems": [{"category": "work_discipline", "description": "台账不全",
                                     "unit_id": dept}]},
            "occurred_at": at(5, 2),
        })
        [found] = read.list_inspections({"start": "2026-05-01", "end": "2026-05-31"})
        assert found["inspection_id"] == inspection
        problem_ids = [p["problem_id"] for p in found["problems"]]
        notice = s.issue_notice({"recipient_unit_id": dept, "problem_ids": problem_ids,
                                 "deadline": "2026-05-20", "occurred_at": at(5, 3)})
        with pytest.raises(RemoteError) as premature:
            s.verify_rectification({"notice_id": notice})
        assert premature.value.exc_type == "NoticeNotReportedError"
        # Step. A quarterly report for a unit that does not exist is refused.
        with pytest.raises(RemoteError) as nowhere:
            people.unit_clerk.supervision.submit_quarterly_report({
                "unit_id": str(uuid.uuid4()), "year": 2026, "quarter": 1, "summary": "汇报",
            })
        assert nowhere.value.exc_type == "UnitNotFoundError"
        # Step. Malformed input names the field and the rule.
        with pytest.raises(RemoteError) as malformed:
            s.issue_notice({"recipient_unit_id": dept, "problem_ids": [], "deadline": "soon"})
        assert malformed.value.exc_type == "InvalidCommandError"
        assert "problem_ids: List should have at least 1 item" in malformed.value.value
        assert "deadline: Input should be a valid date" in malformed.value.value
        # Step. The clock turns the notice red once it is overdue, and the service says so.
        people.clock.supervision.check_deadlines({"as_of": at(5, 21)})
        overdue = read.overdue_notices({"as_of": "2026-05-21"})
        assert [o["notice"]["notice_id"] for o in overdue] == [notice]
        assert date.fromisoformat(overdue[0]["notice"]["deadline"]) == date(2026, 5, 20)
        # Step. Operations see the same on the metrics: one open notice, red, overdue.
        assert metrics.NOTICES_OVERDUE.labels("supervision")._value.get() == 1
        assert metrics.NOTICES_OPEN.labels("supervision", "red")._value.get() == 1
        assert metrics.NOTICES_OPEN.labels("supervision", "blue")._value.get() == 0
        # The department owes its Q2 report only after the quarter: nothing missing yet.
        assert metrics.REPORTS_MISSING.labels("supervision")._value.get() == 0


def test_supervision_refuses_a_poison_message_and_keeps_serving(cluster, amqp_uri):
    acting, config, _ = cluster
    _pc, people, _, _ = organisation(acting)
    with running(SupervisionService, config):
        s = people.auditor.supervision
        wait_until(lambda: len(s.list_units()) == 2, message="supervision to learn the units")
        bogus = {"specversion": "1.0", "id": "x:1", "source": "/dutytrail/elsewhere",
                 "type": "dutytrail.responsibility.unit_registered.v1", "sequence": "1",
                 "prevsequence": "", "data": {}}
        publish_raw(amqp_uri, "responsibility.events", [
            RawMessage("dutytrail.responsibility.unit_registered.v1",
                       json.dumps(bogus).encode(), CONTENT_TYPE, "bogus-1"),
        ])
        eventlet.sleep(0.5)
        assert len(s.list_units()) == 2
        assert s.ping()


def test_every_supervision_rpc_method_names_the_field_and_rule_it_refuses(cluster):
    acting, config, _ = cluster
    # A caller holding every role: past the role check, each payload is refused as malformed.
    anyone = acting.as_(uuid.uuid4(), uuid.uuid4(), *ROLES)
    entrypoints = sorted(
        name for name in dir(SupervisionService)
        if callable(getattr(SupervisionService, name)) and not name.startswith("_")
        and not name.startswith("http_")  # the kit's HTTP routes (/events …), not RPC
        and name not in {"ping", "on_responsibility_event", "pull_upstreams",
                         "check_deadlines_now", "sign_checkpoint_now", "upstream_position"}
    )
    assert len(entrypoints) > 30
    with running(SupervisionService, config):
        for name in entrypoints:
            with pytest.raises(RemoteError) as refused:
                getattr(anyone.supervision, name)({"unexpected": 1})
            assert refused.value.exc_type == "InvalidCommandError", name
            assert "unexpected: Extra inputs are not permitted" in refused.value.value, name

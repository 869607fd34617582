"""The casework service over the real broker.

- Reactions: supervision's escalations (a case lead, an accountability examination) and a funds
  referral, delivered twice and newest first, are applied once each, in order (the kit's
  tracking), whether they arrive by message or by pull: the case leads as transferred
  petitions, which the petitions office then accepts (a lead linked to its source) or not.
- Privacy: a full scenario (a real-name tip-off to a closed case, 一案双查, the identity read
  and then erased), every message that reached the broker's exchanges caught by a catch-all
  queue, every log line and every metric label scanned for the reporter's name and phone: they
  appear in no event, no log line and no label. They cross the broker only in the two RPC
  messages that must carry them (the petitions office's request, and the answer to a cleared
  reader who stated why), never stored there.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from dutytrail_ops.acting import Acting
from services.casework.service import CaseworkService
from shared.contracts.funds import MatterReferredToCasework
from shared.contracts.responsibility import CadreRegistered, LetterDrafted, LetterSigned
from shared.contracts.supervision import RectificationNoticeEscalated
from shared.envelope import CONTENT_TYPE
from shared.nameko_kit import service_config
from shared.nameko_kit.consumer import DEAD_LETTER_EXCHANGE
from shared.relay import Relay
from shared.roles import AUDITOR, CADRE, DISCIPLINE_COMMISSION, PARTY_COMMITTEE, SYSTEM_CLOCK
from tests.integration.casework_upstream import (
    UpstreamLog,
    actor,
    escalation,
    referral,
    upstream_service,
)
from tests.integration.probe_consumer import (
    RawMessage,
    delete_queues,
    publish_raw,
    running,
    wait_until,
)

UPSTREAMS = ("responsibility", "supervision", "funds")
QUEUES = [f"evt-{u}-#--casework.on_{u}_event" for u in UPSTREAMS]
NAME, PHONE = "周八八", "13698765432"
CATCH_ALL = f"casework-privacy-{uuid.uuid4().hex[:8]}"
# Where anything of a service can travel: its events, confidential events, the dead letters,
# and the RPC exchange (requests and replies).
EXCHANGES = (
    [(f"{s}.events", "topic") for s in (*UPSTREAMS, "casework")]
    + [("casework.confidential", "topic"), ("nameko-rpc", "topic"),
       (DEAD_LETTER_EXCHANGE, "fanout")]
)


def at(month: int, day: int) -> str:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC).isoformat()


@pytest.fixture
def cluster(sqlite_store, use_store, amqp_uri) -> Iterator[Any]:
    use_store(sqlite_store)
    delete_queues(amqp_uri, *QUEUES, "rpc-casework", *(f"rpc-{u}" for u in UPSTREAMS))
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0, DELIVERY_LIMIT=3)
    logs = {u: UpstreamLog(u) for u in UPSTREAMS}
    relay = Relay("casework", sqlite_store, amqp_uri)
    relay.poll_interval = 0.02
    with ExitStack() as stack:
        for upstream in logs.values():
            stack.enter_context(running(upstream_service(upstream), config))
        thread = eventlet.spawn(relay.run)
        try:
            rpc = stack.enter_context(ClusterRpcProxy(config, timeout=30))
            yield Acting(rpc), config, logs, amqp_uri
        finally:
            relay.stop()
            thread.wait()
    delete_queues(amqp_uri, *QUEUES, "rpc-casework", *(f"rpc-{u}" for u in UPSTREAMS))


def publish(amqp_uri: str, log: UpstreamLog, events: list[dict[str, Any]]) -> None:
    raw = [RawMessage(e["type"], json.dumps(e).encode(), CONTENT_TYPE, e["id"]) for e in events]
    assert publish_raw(amqp_uri, f"{log.service}.events", raw) == len(events)


def caught_up(auditor: Any, logs: dict[str, UpstreamLog]) -> bool:
    positions = auditor.upstream_position()
    return all(positions[u] == log.last for u, log in logs.items())


class People:
    def __init__(self, acting: Acting) -> None:
        commission_unit = uuid.uuid4()
        self.commission = acting.as_(uuid.uuid4(), commission_unit, DISCIPLINE_COMMISSION)
        # The commission's principal, who approves disposals its staff propose.
        self.principal = acting.as_(uuid.uuid4(), commission_unit, DISCIPLINE_COMMISSION)
        self.committee = acting.as_(uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE)
        self.auditor = acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR)
        self.clock = acting.as_(uuid.uuid4(), uuid.uuid4(), SYSTEM_CLOCK)


def test_escalations_and_referrals_apply_once_despite_duplicates_and_disorder(cluster):
    acting, config, logs, amqp_uri = cluster
    people = People(acting)
    unit = uuid.uuid4()
    lead_notice, duty_notice, referral_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    supervision, funds = logs["supervision"], logs["funds"]
    supervision.add(RectificationNoticeEscalated, escalation(unit, "case_lead"), lead_notice)
    supervision.add(RectificationNoticeEscalated, escalation(unit, "accountability"),
                    duty_notice)
    funds.add(MatterReferredToCasework, referral(unit), referral_id)
    with running(CaseworkService, config):
        # Step. Every event twice, newest first: the first delivery is out of order (a pull
        # fills the gap), the rest are duplicates.
        for log in (supervision, funds):
            backwards = list(reversed(log.events))
            publish(amqp_uri, log, backwards + backwards)
        read = people.auditor.casework
        wait_until(lambda: caught_up(read, logs), message="casework to apply every upstream")
        eventlet.sleep(1.0)  # let the redeliveries drain through the handlers
        open_now = read.open_matters({})
        assert (open_now["petition_received"], open_now["lead_registered"]) == (2, 0)
        assert open_now["accountability_open"] == 1
        events = read.events_after({"after": 0})
        types = sorted(e["type"].split(".")[2] for e in events)
        assert types == ["accountability_examination_opened", "petition_received",
                         "petition_received"]
        by_source = {e["data"]["transferred_from"]: e["data"] for e in events
                     if e["type"].endswith("petition_received.v1")}
        assert by_source["supervision"]["source_id"] == str(lead_notice)
        assert by_source["supervision"]["channel"] == "transferred"
        assert by_source["funds"]["source_id"] == str(referral_id)
        assert by_source["funds"]["source_event_id"] == funds.events[0]["id"]
        # Step. The petitions office accepts the notice (a lead linked to its source) and
        # passes the referral on.
        cw = people.commission.casework
        lead = cw.accept_petition({"petition_id": by_source["supervision"]["petition_id"]})
        cw.pass_on_petition({"petition_id": by_source["funds"]["petition_id"],
                             "to_body": "区民政局"})
        registered = read.get_lead({"lead_id": lead})
        assert (registered["source"], registered["source_id"]) == (
            "supervision", str(lead_notice))
        # Step. A new escalation arrives in order after all that: applied on the fast path.
        event = supervision.add(RectificationNoticeEscalated, escalation(unit, "case_lead"),
                                uuid.uuid4())
        publish(amqp_uri, supervision, [event])
        wait_until(lambda: read.open_matters({}).get("petition_received") == 1,
                   message="the third transferred petition")
        # Step. The casework role is needed to act on a lead.
        with pytest.raises(RemoteError) as refused:
            people.auditor.casework.propose_disposal({
                "lead_id": lead, "route": "held", "collective_decision": "x"})
        assert refused.value.exc_type == "NotPermittedError"


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def captured_logs() -> Iterator[Captured]:
    handler, root = Captured(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def catch_all(amqp_uri: str) -> Queue:
    queue = Queue(CATCH_ALL, durable=False, auto_delete=False)
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        queue(channel).declare()
        for name, kind in EXCHANGES:
            exchange = Exchange(name, type=kind, durable=True)
            exchange(channel).declare()
            channel.queue_bind(CATCH_ALL, name, routing_key="#" if kind == "topic" else "")
    return queue


def readable(body: bytes | str) -> str:
    """A message body as text a search can find a name in: JSON with its escapes undone
    (nameko's serializer writes Chinese as \\u escapes)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def drain(amqp_uri: str) -> list[tuple[str, str, str]]:
    """(exchange, routing key, body) of every message the catch-all queue holds."""
    found = []
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        while True:
            message = channel.basic_get(CATCH_ALL, no_ack=True)
            if message is None:
                break
            info = message.delivery_info
            found.append((info.get("exchange", ""), info.get("routing_key", ""),
                          readable(message.body)))
        channel.queue_delete(CATCH_ALL)
    return found


def test_a_reporters_name_and_phone_reach_no_event_log_line_or_metric_label(
    cluster, captured_logs
):
    acting, config, logs, amqp_uri = cluster
    catch_all(amqp_uri)
    people = People(acting)
    unit, leader, person, letter = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    responsibility = logs["responsibility"]
    responsibility.add(CadreRegistered, {
        "person_id": uuid.uuid4(), "name": "吴局长", "unit_id": unit, "post_title": "局长",
        "line_of_work": "民政", "leadership_member": True, "top_leader": True,
        "actor": actor()}, leader)
    responsibility.add(LetterDrafted, {
        "year": 2026, "issuer_unit_id": uuid.uuid4(), "signatory_unit_id": unit,
        "signatory_cadre_id": leader, "signatory_is_top_leader": True,
        "common_clauses": ["落实主体责任"],
        "individual_clauses": [{"text": "管好救助资金", "risk_point": "资金发放"}],
        "top_leader_duties": ["第一责任人"], "sign_by": None, "supersedes": None,
        "actor": actor()}, letter)
    signature = {"person_id": uuid.uuid4(), "unit_id": unit,
                 "signed_at": datetime(2026, 1, 4, tzinfo=UTC)}
    responsibility.add(LetterSigned, {"issuer_signature": signature,
                                      "signatory_signature": signature, "actor": actor()},
                       letter)
    with running(CaseworkService, config):
        publish(amqp_uri, responsibility, responsibility.events)
        cw, read = people.commission.casework, people.auditor.casework
        wait_until(lambda: caught_up(read, logs), message="casework to learn the letter")
        petition = cw.receive_petition({
            "channel": "online", "anonymous": False, "reporter_name": NAME,
            "reporter_contact": PHONE, "reported_unit_id": str(unit),
            "reported_person_id": str(person), "summary": "救助资金被优亲厚友",
            "command_id": str(uuid.uuid4()), "occurred_at": at(1, 12)})
        lead = cw.accept_petition({"petition_id": petition, "occurred_at": at(1, 13)})
        cw.tell_reporter_of_acceptance({"petition_id": petition, "occurred_at": at(1, 14)})
        # 回避: a reader from the reported unit is refused, and the refusal names no one.
        conflicted = acting.as_(uuid.uuid4(), unit, DISCIPLINE_COMMISSION).casework
        with pytest.raises(RemoteError) as refused:
            conflicted.read_reporter_identity({"petition_id": petition, "reason": "核查"})
        assert refused.value.exc_type == "ReadingConflictError"
        identity = cw.read_reporter_identity({"petition_id": petition,
                                              "reason": "核实情况需联系举报人",
                                              "occurred_at": at(1, 15)})
        assert identity == {"name": NAME, "contact": PHONE}
        cw.propose_disposal({"lead_id": lead, "route": "preliminary_verification",
                             "collective_decision": "线索处置会", "occurred_at": at(2, 1)})
        with pytest.raises(RemoteError) as own:
            cw.approve_disposal({"lead_id": lead, "occurred_at": at(2, 1)})
        assert own.value.exc_type == "ApproverIsProposerError"
        people.principal.casework.approve_disposal({"lead_id": lead, "occurred_at": at(2, 1)})
        steps = [
            ("approve_verification", {"lead_id": lead,
                                      "team": [str(uuid.uuid4()), str(uuid.uuid4())]}),
            ("conclude_verification", {"lead_id": lead, "file_case": True, "reason": "属实"}),
        ]
        for name, payload in steps:
            getattr(cw, name)({**payload, "occurred_at": at(2, 1)})
        case = cw.file_case({"lead_id": lead, "summary": "优亲厚友", "occurred_at": at(2, 2),
                             "persons": [{"person_id": str(person), "cadre_id": None,
                                          "unit_id": str(unit)}]})
        cw.approve_filing_by_commission({"case_id": case, "occurred_at": at(2, 3)})
        people.committee.casework.approve_filing_by_committee({"case_id": case,
                                                               "occurred_at": at(2, 4)})
        for name, extra in (("announce_filing", {}),
                            ("notify_organisation", {"unit_id": str(unit)}),
                            ("conclude_investigation", {"findings": "查实"}),
                            ("conclude_review", {"opinion": "给予警告"})):
            getattr(cw, name)({"case_id": case, **extra, "occurred_at": at(3, 1)})
        cw.decide_outcome({"case_id": case, "person_id": str(person), "kind": "party_sanction",
                           "sanction": "warning", "form": "second", "confiscated": "3000.00",
                           "occurred_at": at(3, 5)})
        cw.announce_outcome({"case_id": case, "person_id": str(person),
                             "occurred_at": at(3, 6)})
        # The person appeals themself, under a cadre's token; the commission cannot for them.
        appeal = {"case_id": case, "person_id": str(person), "grounds": "处分过重",
                  "occurred_at": at(3, 6)}
        with pytest.raises(RemoteError) as not_theirs:
            acting.as_(uuid.uuid4(), unit, CADRE).casework.lodge_appeal(appeal)
        assert not_theirs.value.exc_type == "AppellantNotThePersonError"
        acting.as_(person, unit, CADRE).casework.lodge_appeal(appeal)
        cw.execute_outcome({"case_id": case, "person_id": str(person), "occurred_at": at(3, 6)})
        cw.close_case({"case_id": case, "occurred_at": at(3, 7)})
        examination = cw.open_accountability({"case_id": case, "unit_id": str(unit),
                                              "reason": "一案双查", "occurred_at": at(3, 10)})
        cw.decide_accountability({
            "examination_id": examination, "cadre_id": str(leader), "letter_id": str(letter),
            "clause_kind": "individual", "clause_number": 1, "form": "circular",
            "degree": "important_leadership", "occurred_at": at(3, 20)})
        people.clock.casework.check_deadlines({"as_of": at(5, 1)})
        figures = read.figures({"start": "2026-01-01", "end": "2026-12-31"})
        assert (figures["cases_filed"], figures["persons_sanctioned"], figures["confiscated"],
                figures["accountability_by_form"]["circular"]) == (1, 1, "3000.00", 1)
        reporter = next(e["data"]["reporter_id"] for e in read.events_after({"after": 0})
                        if e["type"].endswith("reporter_sealed.v1"))
        cw.erase_reporter_identity({"reporter_id": reporter, "reason": "举报人申请",
                                    "occurred_at": at(5, 2)})
        with pytest.raises(RemoteError) as erased:
            cw.read_reporter_identity({"petition_id": petition, "reason": "再次核实"})
        assert erased.value.exc_type == "KeyAlreadyErasedError"
        stored = read.events_after({"after": 0})
        wait_until(lambda: len([m for m in drain_peek(amqp_uri)
                                if m.startswith("casework.")]) >= len(stored),
                   message="the relay to publish every casework event")
    messages = drain(amqp_uri)
    # Every casework event was published, and none carries the reporter.
    published = [m for m in messages if m[0] in ("casework.events", "casework.confidential")]
    assert len(published) == len(stored)
    carrying = [m for m in messages if NAME in m[2] or PHONE in m[2]]
    assert {exchange for exchange, _, _ in carrying} == {"nameko-rpc"}
    requests = [m for m in carrying if m[1] == "casework.receive_petition"]
    [reply] = [m for m in carrying if m[1] != "casework.receive_petition"]
    assert len(requests) == 1 and f'"reporter_name": "{NAME}"' in requests[0][2]
    assert json.loads(reply[2])["result"] == {"name": NAME, "contact": PHONE}
    # Only the caller's own reply listener, at DEBUG, logs the answer it received (the reader who
    # stated why): no service, relay or consumer line names the reporter at any level.
    leaked = [m for m in captured_logs.lines if NAME in m or PHONE in m]
    assert [m for m in leaked if not m.startswith("nameko.rpc: RPC reply event complete")] == []
    assert any("casework" in line for line in captured_logs.lines)  # the scan saw the logs
    labels = [str(value) for metric in REGISTRY.collect() for sample in metric.samples
              for value in sample.labels.values()]
    assert any(label.startswith("lead_") or label == "accountability_open" for label in labels)
    assert [v for v in labels if NAME in v or PHONE in v] == []


def drain_peek(amqp_uri: str) -> list[str]:
    """The exchanges of the messages in the catch-all queue, left in it."""
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        seen, tags = [], []
        while True:
            message = channel.basic_get(CATCH_ALL, no_ack=False)
            if message is None:
                break
            seen.append(message.delivery_info.get("exchange", ""))
            tags.append(message.delivery_tag)
        for tag in tags:
            channel.basic_reject(tag, requeue=True)
    return seen

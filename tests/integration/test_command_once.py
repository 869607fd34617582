"""Commands run once (issue 8, item 5; docs/commands-once.md): a creating command sent again
with its caller's ``command_id`` gets the first answer and stores nothing more; the same id
with another payload, command or caller is refused and stores nothing; two racing
submissions store one record; a command without ``command_id`` behaves as before.

On both stores, at the application level (``ServiceApplication.run_once``, with the race
forced by a barrier between the look-up and the save) and over real RabbitMQ RPC.
"""

from __future__ import annotations

import inspect
import logging
import threading
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from pydantic import BaseModel

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from services.responsibility.commands import CreateTask, LetterContent
from services.responsibility.domain import Cadre, Task
from services.responsibility.service import ResponsibilityService
from services.supervision.application import Supervision
from services.supervision.commands import InspectionReport, KeyProject, ProblemFound
from services.supervision.service import SupervisionService
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from shared.actors import Actor
from shared.application import CommandAnswerUnknownError, CommandRequest, ServiceApplication
from shared.commands import Command, CreatingCommand
from shared.contracts.responsibility import RiskPoint
from shared.errors import CommandIdReusedError, NotFoundError
from shared.feed import UpstreamFeed
from shared.nameko_kit import command, service_config
from shared.nameko_kit.entrypoints import request_digest
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.recorders import (
    CommandAlreadyRecordedError,
    CommandRecord,
    PostgresCommandRecorder,
    SQLiteCommandRecorder,
)
from shared.roles import AUDITOR, CADRE, PARTY_COMMITTEE
from shared.settings import StoreSettings

TASK_CREATED = "Task.Created"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def someone(unit: uuid.UUID | None = None) -> Actor:
    return Actor(person_id=uuid.uuid4(), unit_id=unit or uuid.uuid4())


def stored(app: ServiceApplication[Any], topic_suffix: str = "") -> int:
    """How many events the store holds (of one kind, with ``topic_suffix``)."""
    notifications = app.recorder.select_notifications(start=1, limit=100_000)
    return sum(1 for n in notifications if n.topic.endswith(topic_suffix))


def command_rows(app: ServiceApplication[Any]) -> int:
    """The rows of the service's commands' table."""
    recorder = app.recorder
    if isinstance(recorder, SQLiteCommandRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) FROM {recorder.commands_table}")
            return int(c.fetchone()[0])
    assert isinstance(recorder, PostgresCommandRecorder)
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            f'SELECT count(*) AS n FROM "{recorder.datastore.schema}".'
            f'"{recorder.commands_table}"'
        )
        row = curs.fetchone()
        assert row is not None
        return int(row["n"])


def request(name: str, command_id: uuid.UUID | None = None, digest: str = "d") -> CommandRequest:
    return CommandRequest(command_id or uuid.uuid4(), name, digest)


# The application level, on both stores.


@pytest.fixture
def app(any_store: StoreSettings):
    application = Responsibilities(store_environment("responsibility", any_store))
    yield application
    application.close()


class District:
    """The party committee, a department and its responsible cadre."""

    def __init__(self, app: Responsibilities) -> None:
        self.pc = app.register_unit(code="PC", name="区委", kind="party_committee",
                                    actor=someone(), occurred_at=at(1, 2))
        self.clerk = someone(self.pc)
        self.dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                                      parent_unit_id=self.pc, actor=self.clerk,
                                      occurred_at=at(1, 2))
        self.leader_person = uuid.uuid4()
        self.leader = app.register_cadre(
            person_id=self.leader_person, name="王伟", unit_id=self.dept, post_title="局长",
            line_of_work="财政", leadership_member=True, top_leader=True, actor=self.clerk,
            occurred_at=at(1, 3))

    def task(self, title: str = "述责述廉") -> dict[str, Any]:
        return {
            "year": 2026, "title": title, "requirement": "年中述职", "lead_unit_id": self.dept,
            "responsible_cadre_id": self.leader, "deadline": date(2026, 6, 30),
            "actor": self.clerk, "occurred_at": at(1, 10),
        }


def test_the_same_command_sent_again_gets_the_first_answer_and_stores_nothing_more(app):
    district = District(app)
    before, sent = stored(app), request("create_task")
    first = app.run_once(sent, lambda: app.create_task(**district.task()))
    assert stored(app) == before + 1
    # The use case would create a second task (a new random id) if it ran again.
    again = app.run_once(sent, lambda: app.create_task(**district.task()))
    assert again == first
    assert app.find(uuid.UUID(first), Task) is not None
    assert stored(app) == before + 1
    assert stored(app, TASK_CREATED) == 1
    assert command_rows(app) == 1
    recorded = app.command_log.select_command(sent.command_id)
    assert recorded is not None
    assert (recorded.name, recorded.answer) == ("create_task", f'"{first}"')


def test_the_same_id_for_another_request_is_refused_and_stores_nothing(app):
    district = District(app)
    sent = request("create_task", digest="the first payload")
    first = app.run_once(sent, lambda: app.create_task(**district.task()))
    before = stored(app)
    ran: list[str] = []

    def would_store() -> Any:
        ran.append("ran")
        return app.create_task(**district.task("another"))

    # Another payload (or caller: both are in the digest), and another command.
    for other in (replace(sent, digest="another payload"), replace(sent, name="register_unit")):
        with pytest.raises(CommandIdReusedError, match=f"command id {sent.command_id} was "
                           "already used for another request"):
            app.run_once(other, would_store)
    assert not ran
    assert stored(app) == before
    assert command_rows(app) == 1
    assert app.run_once(sent, would_store) == first


def test_a_refused_command_records_nothing_and_may_be_sent_again(app):
    district = District(app)
    sent = request("create_task")
    missing = {**district.task(), "lead_unit_id": uuid.uuid4()}
    with pytest.raises(NotFoundError):
        app.run_once(sent, lambda: app.create_task(**missing))
    assert command_rows(app) == 0
    answer = app.run_once(sent, lambda: app.create_task(**district.task()))
    assert stored(app, TASK_CREATED) == 1
    assert app.run_once(sent, lambda: app.create_task(**district.task())) == answer


@pytest.mark.parametrize("kind", ["random id", "id derived from the payload"])
def test_two_racing_submissions_store_one_record_and_both_get_its_id(app, kind, caplog):
    """Both deliveries pass the look-up before either saves (the barrier): the second save
    fails as a whole on the command's row, and its caller gets the first answer."""
    district = District(app)
    sent = request("create_task" if kind == "random id" else "register_cadre")
    person = uuid.uuid4()
    both_looked = threading.Barrier(2, timeout=20)

    def use_case() -> Any:
        both_looked.wait()
        if kind == "random id":
            return app.create_task(**district.task())
        return app.register_cadre(
            person_id=person, name="李强", unit_id=district.dept, post_title="副局长",
            line_of_work="审计", actor=district.clerk, occurred_at=at(1, 4))

    before = stored(app)
    caplog.set_level(logging.INFO, logger="shared.application")
    answers = [eventlet.spawn(app.run_once, sent, use_case) for _ in range(2)]
    first, second = (green.wait() for green in answers)
    assert first == second
    assert stored(app) == before + 1
    assert command_rows(app) == 1
    # Exactly one of the two answered from the store, after its save was refused.
    replays = [r for r in caplog.records if "ran already" in r.getMessage()]
    assert len(replays) == 1


def test_the_store_refuses_a_second_row_for_one_command_id_with_its_events(app):
    """The recorder itself: the whole insert fails, by name, and nothing of it is stored."""
    district = District(app)
    record = CommandRecord(uuid.uuid4(), "create_task", "d", '"answer"')
    first, second = (Task.create(task_id=None, year=2026, title="t", requirement="r",
                                 lead_unit_id=district.dept, co_unit_ids=(),
                                 responsible=app.load(district.leader, Cadre),
                                 deadline=date(2026, 6, 30), parent_task_id=None,
                                 actor=district.clerk, occurred_at=at(1, 10))
                     for _ in range(2))
    app.save(first, command=record)
    before = stored(app)
    with pytest.raises(CommandAlreadyRecordedError):
        app.save(second, command=record)
    assert stored(app) == before
    assert app.find(second.id, Task) is None
    assert app.command_log.select_command(record.command_id) == record


def test_another_process_answers_from_the_store(app, any_store):
    district = District(app)
    sent = request("create_task")
    first = app.run_once(sent, lambda: app.create_task(**district.task()))
    restarted = Responsibilities(store_environment("responsibility", any_store))
    try:
        again = restarted.run_once(sent, lambda: restarted.create_task(**district.task()))
        assert again == first
        assert stored(restarted, TASK_CREATED) == 1
    finally:
        restarted.close()


def test_a_use_case_whose_first_save_creates_nothing_is_refused_before_anything_is_stored(app):
    """Its answer could not be stored with its events (a programming error, caught by the
    kit's binding check for every creating command: it answers a new record's id)."""
    district = District(app)
    points = [RiskPoint(name="资金拨付", level="high", measures=["双人复核"])]
    app.register_risk_points(unit_id=district.dept, post_title="局长", risk_points=points,
                             actor=district.clerk, occurred_at=at(1, 5))
    before = stored(app)
    with pytest.raises(CommandAnswerUnknownError, match="update_risk_points runs once"):
        app.run_once(request("update_risk_points"), lambda: app.update_risk_points(
            unit_id=district.dept, post_title="局长", risk_points=points, actor=district.clerk))
    assert stored(app) == before
    assert command_rows(app) == 0


def test_a_command_without_command_id_runs_each_time_as_before(app):
    district = District(app)
    first = app.create_task(**district.task())
    second = app.create_task(**district.task())
    assert first != second
    assert stored(app, TASK_CREATED) == 2
    assert command_rows(app) == 0


# Every creating command of every service answers the id of the record it creates, which is
# what a redelivery gets.


def creating_bindings() -> dict[str, set[str]]:
    """The RPC methods bound to a ``CreatingCommand``, per service."""
    found: dict[str, set[str]] = {}
    for service in (ResponsibilityService, SupervisionService):
        for name, value in vars(service).items():
            closure = inspect.getclosurevars(value).nonlocals if inspect.isfunction(value) else {}
            model = closure.get("model")
            if isinstance(model, type) and issubclass(model, CreatingCommand):
                found.setdefault(service.declaration.name, set()).add(name)
    return found


class Once:
    """Runs each use case twice under one command id and checks the rule of its kind: the
    answer is the id of the record its save created, the second run stores nothing."""

    def __init__(self, app: ServiceApplication[Any], caplog: pytest.LogCaptureFixture) -> None:
        self.app = app
        self.caplog = caplog
        self.checked: set[str] = set()

    def __call__(self, use_case: str, /, **kwargs: Any) -> uuid.UUID:
        name = use_case
        method = getattr(self.app, name)
        sent = request(name)
        first = self.app.run_once(sent, lambda: method(**kwargs))
        before = stored(self.app)
        again = self.app.run_once(sent, lambda: method(**kwargs))
        assert again == first, name
        assert stored(self.app) == before, name
        created = uuid.UUID(first)
        # The record exists and its first event created it.
        assert next(iter(self.app.recorder.select_events(created, limit=1))), name
        assert "not the id of the record it created first" not in self.caplog.text, name
        self.checked.add(name)
        return created


def test_every_creating_command_of_responsibility_answers_the_record_it_created(app, caplog):
    once = Once(app, caplog)
    founder = someone()
    pc = once("register_unit", code="PC", name="区委", kind="party_committee", actor=founder,
              occurred_at=at(1, 2))
    clerk = someone(pc)
    dept = once("register_unit", code="D01", name="区财政局", kind="district_department",
                parent_unit_id=pc, actor=clerk, occurred_at=at(1, 2))
    secretary, leader_person = uuid.uuid4(), uuid.uuid4()
    once("register_cadre", person_id=secretary, name="区委书记", unit_id=pc,
         post_title="区委书记", line_of_work="全面", leadership_member=True, top_leader=True,
         actor=clerk, occurred_at=at(1, 3))
    leader = once("register_cadre", person_id=leader_person, name="王伟", unit_id=dept,
                  post_title="局长", line_of_work="财政", leadership_member=True,
                  top_leader=True, actor=clerk, occurred_at=at(1, 3))
    terms = LetterContent.model_validate({
        "year": 2026, "issuer_unit_id": pc, "signatory_unit_id": dept,
        "signatory_cadre_id": leader, "common_clauses": ["c"],
        "individual_clauses": [{"text": "t", "risk_point": "r"}], "top_leader_duties": ["d"],
    })
    letter = once("draft_letter", letter=terms, actor=clerk, occurred_at=at(1, 10))
    app.sign_letter_as_issuer(letter_id=letter, actor=Actor(person_id=secretary, unit_id=pc),
                              occurred_at=at(1, 11))
    app.countersign_letter(letter_id=letter, actor=Actor(person_id=leader_person, unit_id=dept),
                           occurred_at=at(1, 12))
    once("supersede_letter", letter_id=letter, letter=terms, actor=clerk, occurred_at=at(2, 1))
    task = once("create_task", year=2026, title="述责述廉", requirement="年中述职",
                lead_unit_id=dept, responsible_cadre_id=leader, deadline=date(2026, 6, 30),
                actor=clerk, occurred_at=at(1, 10))
    once("break_down_task", parent_task_id=task, title="分解", requirement="细化",
         lead_unit_id=dept, responsible_cadre_id=leader, deadline=date(2026, 6, 1),
         actor=Actor(person_id=uuid.uuid4(), unit_id=dept), occurred_at=at(1, 11))
    once("record_education_activity", kind="study_session", title="警示教育", held_on=date(2026, 3, 1),
         organiser_unit_id=dept, participant_count=30,
         actor=Actor(person_id=uuid.uuid4(), unit_id=dept), occurred_at=at(3, 1))
    once("register_risk_points", unit_id=dept, post_title="局长",
         risk_points=[RiskPoint(name="资金拨付", level="high", measures=["双人复核"])],
         actor=clerk, occurred_at=at(1, 5))
    once("record_reminder", to_cadre_id=leader, subject="提醒", given_on=date(2026, 3, 2),
         actor=clerk, occurred_at=at(3, 2))
    once("record_talk", leader_cadre_id=leader, subject="约谈", held_on=date(2026, 3, 3),
         actor=clerk, occurred_at=at(3, 3))
    once("record_accountability_report", cadre_id=leader, year=2026,
         reported_on=date(2026, 12, 20), given_to="区委全会", actor=clerk,
         occurred_at=at(12, 20))
    assert once.checked == creating_bindings()["responsibility"]


def test_every_creating_command_of_supervision_answers_the_record_it_created(any_store, caplog):
    upstream = Responsibilities(store_environment("responsibility", any_store))
    app = Supervision(store_environment("supervision", any_store), SupervisionSettings(
        reporting=replace(DEFAULT_REPORTING, commission_unit_code="DC")))
    try:
        founder = someone()
        pc = upstream.register_unit(code="PC", name="区委", kind="party_committee",
                                    actor=founder, occurred_at=at(1, 2))
        clerk = someone(pc)

        def unit(code: str, name: str, kind: Any, parent: uuid.UUID) -> uuid.UUID:
            return upstream.register_unit(code=code, name=name, kind=kind,
                                          parent_unit_id=parent, actor=clerk,
                                          occurred_at=at(1, 2))

        commission = unit("DC", "区纪委监委", "district_department", pc)
        dept = unit("D01", "区财政局", "district_department", pc)
        town = unit("T01", "某镇", "town", pc)
        community = unit("C01", "某社区", "community", town)
        UpstreamFeed(app, "responsibility", Reactions(app, "responsibility")).pull(
            upstream.events_after)
        inspector = someone(commission)

        once = Once(app, caplog)
        once("publish_key_project_list", year=2026, name="重点项目",
             projects=[KeyProject(code="P1", name="道路", lead_unit_id=dept)], actor=inspector,
             occurred_at=at(2, 1))
        report = InspectionReport(
            leader_person_id=uuid.uuid4(), leader_name="张明", location="镇政府",
            held_on=date(2026, 3, 10), unit_ids=[town],
            problems=[ProblemFound(category="work_discipline", description="脱岗",
                                   unit_id=town)])
        inspection = once("record_inspection", kind="weekly", report=report, actor=inspector,
                          occurred_at=at(3, 10))
        [view] = [i for i in app.list_inspections(start=date(2026, 3, 10),
                                                  end=date(2026, 3, 10))
                  if i.inspection_id == inspection]
        problems = [p["problem_id"] for p in view.problems]
        once("schedule_unannounced_visit", actor=inspector, occurred_at=at(3, 11))
        once("issue_notice", recipient_unit_id=town, problem_ids=problems,
             deadline=date(2026, 4, 30), actor=inspector, occurred_at=at(3, 12))
        # Its first save also creates the year's register of circulars: the bulletin comes
        # first, and is the answer.
        once("issue_bulletin", kind="circular", request_id="c-1", title="第1期",
             actor=inspector, occurred_at=at(3, 13))
        once("collect_topic", unit_id=town, topic="低保评定", collected_from="议事会",
             actor=someone(town), occurred_at=at(3, 14))
        once("install_disclosure_board", community_id=community, location="服务站",
             actor=someone(community), occurred_at=at(3, 15))
        assert once.checked == creating_bindings()["supervision"]
    finally:
        app.close()
        upstream.close()


# The kit's binding and schema.


class Crate(CreatingCommand):
    size: int


class Nudge(Command):
    size: int


def test_a_creating_command_answers_the_id_of_what_it_creates_or_is_refused_at_import():
    class Depot:
        def pack(self, *, size: int, actor: Actor, occurred_at: datetime | None) -> uuid.UUID:
            raise NotImplementedError

        def count(self, *, size: int, actor: Actor, occurred_at: datetime | None) -> int:
            raise NotImplementedError

    command(Crate, Depot.pack, roles=(PARTY_COMMITTEE,))  # command_id is the kit's field
    with pytest.raises(TypeError, match=r"Depot\.count creates a record: it answers with its id"):
        command(Crate, Depot.count, roles=(PARTY_COMMITTEE,))
    with pytest.raises(TypeError, match=r"no parameter for Nudge\.size"):
        command(Nudge, lambda self, *, actor, occurred_at: None, roles=(PARTY_COMMITTEE,))


def test_command_id_is_documented_in_every_creating_commands_schema():
    schema = CreateTask.model_json_schema()
    described = schema["properties"]["command_id"]["description"]
    assert "sending it again returns the first answer and stores nothing more" in described
    assert "command_id" not in schema.get("required", [])


def test_the_digest_covers_the_command_the_payload_and_the_caller():
    unit, caller = uuid.uuid4(), someone()

    def digest(name: str, message: BaseModel, actor: Actor = caller) -> str:
        return request_digest(name, message, actor)

    base = Crate(size=1, command_id=unit)
    assert digest("pack", base) == digest("pack", Crate(size=1, command_id=uuid.uuid4()))
    assert digest("pack", base) == digest("pack", Crate.model_validate({"size": " 1 "}))
    assert len({digest("pack", base), digest("pack", Crate(size=2)), digest("ship", base),
                digest("pack", base, someone())}) == 4


# Over RabbitMQ RPC, on both stores.


@pytest.fixture
def acting(any_store, use_store, amqp_uri):
    use_store(any_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    container = ServiceContainer(ResponsibilityService, config)
    container.start()
    try:
        with ClusterRpcProxy(config, timeout=30) as proxy:
            yield Acting(proxy)
    finally:
        container.stop()


class Organisation:
    """Over RPC: the party committee, a department, its top leader, and a clerk."""

    def __init__(self, acting: Acting) -> None:
        founder = (uuid.uuid4(), uuid.uuid4())
        self.acting = acting
        self.pc = acting.as_(*founder, PARTY_COMMITTEE).responsibility.register_unit(
            {"code": "PC", "name": "区委", "kind": "party_committee"})
        self.person = uuid.uuid4()
        self.clerk = acting.as_(self.person, self.pc, PARTY_COMMITTEE).responsibility
        self.dept = self.clerk.register_unit(
            {"code": "D01", "name": "区财政局", "kind": "district_department",
             "parent_unit_id": self.pc})
        self.leader = self.clerk.register_cadre(
            {"person_id": str(uuid.uuid4()), "name": "王伟", "unit_id": self.dept,
             "post_title": "局长", "line_of_work": "财政", "top_leader": True})

    def task(self, command_id: uuid.UUID | None = None, title: str = "述责述廉") -> dict[str, Any]:
        payload = {"year": 2026, "title": title, "requirement": "年中述职",
                   "lead_unit_id": self.dept, "responsible_cadre_id": self.leader,
                   "deadline": "2026-06-30"}
        return payload if command_id is None else {**payload, "command_id": str(command_id)}

    def tasks(self) -> list[dict[str, Any]]:
        auditor = self.acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR).responsibility
        return [e for e in auditor.events_after({"after": 0})
                if e["type"] == "dutytrail.responsibility.task_created.v1"]


def test_over_rpc_a_resubmitted_command_gets_the_first_answer(acting):
    org = Organisation(acting)
    command_id = uuid.uuid4()
    first = org.clerk.create_task(org.task(command_id))
    assert org.clerk.create_task(org.task(command_id)) == first
    assert [e["subject"] for e in org.tasks()] == [first]


def test_over_rpc_the_same_id_for_another_request_is_refused_by_name(acting):
    org = Organisation(acting)
    command_id = uuid.uuid4()
    first = org.clerk.create_task(org.task(command_id))
    other_caller = acting.as_(uuid.uuid4(), org.pc, PARTY_COMMITTEE).responsibility
    refusals = [
        lambda: org.clerk.create_task(org.task(command_id, title="另一项")),  # payload
        lambda: other_caller.create_task(org.task(command_id)),  # caller
        lambda: org.clerk.register_unit(  # command
            {"code": "D02", "name": "区审计局", "kind": "district_department",
             "command_id": str(command_id)}),
    ]
    for refused in refusals:
        with pytest.raises(RemoteError) as error:
            refused()
        assert error.value.exc_type == "CommandIdReusedError"
        assert "a new request needs a new command id" in error.value.value
    assert [e["subject"] for e in org.tasks()] == [first]
    # The roles are checked before anything else, command id or not.
    cadre = acting.as_(uuid.uuid4(), org.dept, CADRE).responsibility
    with pytest.raises(RemoteError) as error:
        cadre.create_task(org.task(command_id))
    assert error.value.exc_type == "NotPermittedError"


def test_over_rpc_racing_submissions_of_one_command_store_one_task(acting):
    org = Organisation(acting)
    command_id = uuid.uuid4()
    replies = [org.clerk.create_task.call_async(org.task(command_id)) for _ in range(10)]
    answers = {reply.result() for reply in replies}
    assert len(answers) == 1
    assert [e["subject"] for e in org.tasks()] == list(answers)


def test_over_rpc_a_command_without_command_id_runs_each_time(acting):
    org = Organisation(acting)
    first, second = org.clerk.create_task(org.task()), org.clerk.create_task(org.task())
    assert first != second
    assert sorted(e["subject"] for e in org.tasks()) == sorted([first, second])

"""The supervision application's scenarios, written once and run on SQLite and PostgreSQL.

The organisation comes from a real responsibility application, fed to supervision through
``shared.feed.UpstreamFeed`` and the application's ``@reacts_to`` reactions exactly as the
consumer does in production.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from services.supervision import metrics
from services.supervision.application import Supervision
from services.supervision.commands import InspectionReport, KeyProject, ProblemFound
from services.supervision.domain import (
    BulletinCitesUnknownNoticeError,
    BulletinRegister,
    CadreNotKnownError,
    DecisionNotFoundError,
    DisclosureBoardAlreadyInstalledError,
    DisclosureBoardNotFoundError,
    DisclosureStepOutOfOrderError,
    DuplicateBulletinRequestError,
    ExtensionError,
    InvalidBulletinError,
    InvalidEscalationRouteError,
    InvalidInspectionError,
    InvalidRecipientError,
    KeyProjectListNotFoundError,
    NotACommunityError,
    NoticeAlreadyClosedError,
    NoticeAlreadyEscalatedError,
    NoticeNotAcknowledgedError,
    NoticeNotFoundError,
    NoticeNotReportedError,
    NotTheRecipientError,
    ProblemNotFoundError,
    ProblemNotOfRecipientError,
    ProjectNotOnListError,
    QuarterlyReportAlreadySubmittedError,
    ReceiptDateInFutureError,
    SelfExaminationMissingError,
    UnitDoesNotReportError,
    UnitNotFoundError,
    VisitAlreadyConductedError,
    VisitNotFoundError,
    WarningDays,
    WeeklyFinding,
)
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from shared.actors import Actor
from shared.clock import utcnow
from shared.contracts import all_contracts
from shared.contracts.ledger import LEDGER_DOMAIN_EVENTS
from shared.contracts.responsibility import UnitKind
from shared.envelope import parse_position
from shared.errors import NotPermittedError
from shared.feed import UpstreamFeed
from shared.persistence import drop_postgres_schemas, store_environment
from shared.policy import Reactions
from shared.settings import StoreSettings
from tests.conftest import postgres_settings, sqlite_settings


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def clerk_of(unit: uuid.UUID) -> Actor:
    return Actor(person_id=uuid.uuid4(), unit_id=unit)


def problem(category: str, description: str, *, unit_id: uuid.UUID | None = None,
            cadre_id: uuid.UUID | None = None) -> ProblemFound:
    return ProblemFound(category=category, description=description, unit_id=unit_id,
                        cadre_id=cadre_id)


class SupervisionScenario:
    """Abstract: subclasses say which store to use."""

    settings: StoreSettings

    def open_app(self, settings: SupervisionSettings | None = None) -> Supervision:
        # The district's commission is registered under the code "DC" (see district()).
        default = SupervisionSettings(
            reporting=replace(DEFAULT_REPORTING, commission_unit_code="DC"))
        return Supervision(store_environment("supervision", self.settings),
                           settings or default)

    @pytest.fixture(autouse=True)
    def _apps(self, tmp_path: Path):
        self.settings = self.make_settings(tmp_path)
        self.upstream = Responsibilities(store_environment("responsibility", self.settings))
        self.app = self.open_app()
        self.reactions = Reactions(self.app, "responsibility")
        self.feed = UpstreamFeed(self.app, "responsibility", self.reactions)
        yield
        self.app.close()
        self.upstream.close()
        self.drop_store()

    def make_settings(self, tmp_path: Path) -> StoreSettings:
        raise NotImplementedError

    def drop_store(self) -> None:
        pass

    # The district, registered with the responsibility service and learned from its events.

    def pull(self, after: int, limit: int) -> list[dict[str, Any]]:
        return self.upstream.events_after(after, limit)

    def sync(self) -> int:
        return self.feed.pull(self.pull)

    def unit(self, code: str, name: str, kind: UnitKind, parent: uuid.UUID | None, actor: Actor,
             when: datetime) -> uuid.UUID:
        return self.upstream.register_unit(code=code, name=name, kind=kind,
                                           parent_unit_id=parent, actor=actor, occurred_at=when)

    def district(self) -> None:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        self.pc = self.unit("PC", "**区委", "party_committee", None, founder, at(1, 2))
        self.pc_clerk = clerk_of(self.pc)
        self.commission = self.unit("DC", "区纪委监委", "district_department", self.pc,
                                    self.pc_clerk, at(1, 2))
        self.dept = self.unit("D01", "区财政局", "district_department", self.pc, self.pc_clerk,
                              at(1, 2))
        self.town = self.unit("T01", "**镇", "town", self.pc, self.pc_clerk, at(1, 2))
        self.community = self.unit("C01", "**社区", "community", self.town, self.pc_clerk,
                                   at(1, 3))
        self.inspector = clerk_of(self.commission)
        self.dept_clerk = clerk_of(self.dept)
        self.town_clerk = clerk_of(self.town)
        self.community_clerk = clerk_of(self.community)
        self.sync()

    def leader_and_task(self, deadline: date) -> uuid.UUID:
        """The department's top leader, and a task for the department due on ``deadline``."""
        up = self.upstream
        leader = up.register_cadre(
            person_id=uuid.uuid4(), name="王伟", unit_id=self.dept, post_title="局长",
            line_of_work="财政", leadership_member=True, top_leader=True, actor=self.pc_clerk,
            occurred_at=at(1, 5))
        up.draft_letter(
            letter=LetterContent(
                year=2026, issuer_unit_id=self.pc, signatory_unit_id=self.dept,
                signatory_cadre_id=leader, common_clauses=["c"],
                individual_clauses=[{"text": "t", "risk_point": "r"}],
                top_leader_duties=["d"]),
            actor=self.pc_clerk, occurred_at=at(1, 6))
        return up.create_task(
            year=2026, title="述责述廉", requirement="年中述职", lead_unit_id=self.dept,
            responsible_cadre_id=leader, deadline=deadline, actor=self.pc_clerk,
            occurred_at=at(1, 10))

    def cadre(self, unit: uuid.UUID, name: str = "李强") -> tuple[uuid.UUID, Actor]:
        """A cadre of ``unit``, registered with responsibility and learned by supervision, and
        the cadre acting for themself (their own token: their person, their unit)."""
        person = uuid.uuid4()
        cadre = self.upstream.register_cadre(
            person_id=person, name=name, unit_id=unit, post_title="副镇长", line_of_work="城建",
            leadership_member=True, actor=self.pc_clerk, occurred_at=at(1, 5))
        self.sync()
        return cadre, Actor(person_id=person, unit_id=unit)

    def report(self, *units: uuid.UUID, held_on: date | None = None,
               problems: list[ProblemFound] | None = None) -> InspectionReport:
        return InspectionReport(
            leader_person_id=uuid.uuid4(), leader_name="张明", location="区政务服务中心",
            held_on=held_on or d(3, 10), unit_ids=list(units), problems=problems or [],
            summary="",
        )

    def weekly(self, when: datetime, *units: uuid.UUID,
               problems: list[ProblemFound] | None = None) -> uuid.UUID:
        return self.app.record_inspection(
            kind="weekly", report=self.report(*units, held_on=when.date(), problems=problems),
            actor=self.inspector, occurred_at=when)

    def inspect(self, unit: uuid.UUID, *problems: ProblemFound) -> list[uuid.UUID]:
        """Record a weekly inspection of ``unit`` on 10 March; returns the problems' ids."""
        when = at(3, 10)
        inspection = self.weekly(when, unit, problems=list(problems))
        [view] = [i for i in self.app.list_inspections(start=when.date(), end=when.date())
                  if i.inspection_id == inspection]
        return [p["problem_id"] for p in view.problems]

    def notice(self, unit: uuid.UUID, problems: list[uuid.UUID], deadline: date,
               when: datetime, **options: Any) -> uuid.UUID:
        """A notice issued by the inspector."""
        return self.app.issue_notice(recipient_unit_id=unit, problem_ids=problems,
                                     deadline=deadline, actor=self.inspector, occurred_at=when,
                                     **options)

    def deadlines(self, when: datetime, app: Supervision | None = None) -> list[uuid.UUID]:
        """What the clock recorded as of ``when``, leaving aside the weeks it found without
        an inspection or a circular (每周一督查一通报, a scenario of its own)."""
        app = app or self.app
        return [i for i in app.check_deadlines(when) if app.find(i, WeeklyFinding) is None]

    def events(self) -> list[dict[str, Any]]:
        """Every stored event, as a cleared reader (the commission, an auditor) sees them."""
        return self.app.events_after(0, cleared=True)

    def types(self) -> list[str]:
        return [e["type"].split(".")[2] for e in self.events()]

    # Scenarios.

    def test_the_feed_learns_units_and_opens_a_follow_up_exactly_once_per_overdue_task(self):
        # Step. The organisation and a task, in the responsibility service.
        self.district()
        up = self.upstream
        task = self.leader_and_task(d(6, 30))
        # Step. Supervision learns the units; letters and cadres are ignored, yet the
        # tracked position moves past them.
        self.sync()
        assert {u.code for u in self.app.list_units()} == {"PC", "DC", "D01", "T01", "C01"}
        assert self.feed.position() == up.last_position()
        assert self.app.open_follow_ups() == []
        # Step. The task goes overdue; the event is delivered live, then again.
        assert up.check_deadlines(at(7, 1)) == [task]
        [overdue] = [e for e in up.events_after(self.feed.position())
                     if e["type"].endswith("task_overdue.v1")]
        assert self.feed.deliver(overdue, self.pull) in ("applied", "pulled")
        assert self.feed.deliver(overdue, self.pull) == "duplicate"
        assert self.sync() == 0
        # The reactions themselves would change nothing if handed the same event again.
        assert self.reactions(overdue) == []
        assert self.reactions({"type": "dutytrail.x.y.v1", "data": {}}) == []
        [item] = self.app.open_follow_ups(unit_id=self.dept)
        assert (item.task_id, item.task_title, item.task_deadline) == (task, "述责述廉", d(6, 30))
        assert self.types().count("follow_up_opened") == 1
        # Step. The next inspection of the lead unit addresses it.
        self.weekly(at(7, 3), self.town)
        assert len(self.app.open_follow_ups()) == 1  # another unit's inspection does not
        inspection = self.weekly(at(7, 8), self.dept, self.town)
        assert self.app.open_follow_ups() == []
        assert [f.follow_up_id for f in self.app.open_follow_ups(as_of=d(7, 7))] == [
            item.follow_up_id]
        [addressed] = [e for e in self.events() if e["type"].endswith("follow_up_addressed.v1")]
        assert addressed["data"]["inspection_id"] == str(inspection)
        assert addressed["data"]["unit_id"] == str(self.dept)
        # Our ids never repeat the responsibility service's (outsiders deduplicate by id).
        upstream_ids = {e["id"] for e in up.events_after(0)}
        assert not upstream_ids & {e["id"] for e in self.events()}
        # What supervision learned names the upstream event and the business time upstream.
        [learned] = [e for e in self.events() if e["type"].endswith("unit_file_opened.v1")
                     and e["data"]["unit_id"] == str(self.dept)]
        [registered] = [e for e in up.events_after(0) if e["subject"] == str(self.dept)
                        and e["type"].endswith("unit_registered.v1")]
        assert learned["data"]["upstream_event_id"] == registered["id"]
        assert learned["time"] == registered["time"]
        assert learned["data"]["actor"] == registered["data"]["actor"]

    def test_a_notice_runs_its_lifecycle_and_refuses_steps_out_of_turn(self):
        self.district()
        [late, absent] = self.inspect(
            self.dept,
            problem("work_discipline", "上班时间脱岗", unit_id=self.dept),
            problem("fund_management", "台账不全", unit_id=self.dept),
        )
        before = len(self.events())
        # Step. Refusals store nothing.
        with pytest.raises(ProblemNotFoundError):
            self.notice(self.dept, [uuid.uuid4()], d(3, 31), at(3, 12))
        with pytest.raises(UnitNotFoundError):
            self.notice(uuid.uuid4(), [late], d(3, 31), at(3, 12))
        with pytest.raises(InvalidRecipientError):
            self.notice(self.pc, [late], d(3, 31), at(3, 12))
        assert len(self.events()) == before
        # Step. Issued, then steps out of turn are refused with named errors.
        notice = self.notice(self.dept, [late, absent], d(3, 31), at(3, 12))
        app, dept_clerk, inspector = self.app, self.dept_clerk, self.inspector
        with pytest.raises(NoticeNotReportedError, match="no rectification report"):
            app.verify_rectification(notice_id=notice, note="ok", actor=inspector,
                                     occurred_at=at(3, 13))
        with pytest.raises(NoticeNotAcknowledgedError):
            app.report_rectification(notice_id=notice, report="done", actor=dept_clerk,
                                     occurred_at=at(3, 13), self_examination="检查")
        with pytest.raises(NotPermittedError):
            app.acknowledge_notice(notice_id=notice, actor=self.town_clerk,
                                   occurred_at=at(3, 13))
        app.acknowledge_notice(notice_id=notice, actor=dept_clerk, occurred_at=at(3, 13))
        with pytest.raises(SelfExaminationMissingError):
            app.report_rectification(notice_id=notice, report="已整改", actor=dept_clerk,
                                     occurred_at=at(3, 20))
        app.report_rectification(notice_id=notice, report="已整改", actor=dept_clerk,
                                 occurred_at=at(3, 20), self_examination="书面检查")
        with pytest.raises(NotPermittedError):
            app.verify_rectification(notice_id=notice, note="ok", actor=dept_clerk,
                                     occurred_at=at(3, 21))
        app.send_back_rectification(notice_id=notice, reason="台账仍不全", actor=inspector,
                                    occurred_at=at(3, 22))
        app.report_rectification(notice_id=notice, report="已补齐", actor=dept_clerk,
                                 occurred_at=at(3, 28), self_examination="补充检查")
        app.verify_rectification(notice_id=notice, note="复核属实", actor=inspector,
                                 occurred_at=at(3, 30))
        app.close_notice(notice_id=notice, actor=inspector, occurred_at=at(3, 31))
        with pytest.raises(NoticeAlreadyClosedError):
            app.close_notice(notice_id=notice, actor=inspector, occurred_at=at(4, 1))
        # Step. The trail, now and as of a past day.
        view = app.get_notice(notice_id=notice)
        assert view.status == "closed" and view.recipient_kind == "district_department"
        assert [p["problem_id"] for p in view.problems] == [late, absent]
        assert [s.step for s in view.history] == [
            "issued", "acknowledged", "rectification_reported", "sent_back",
            "rectification_reported", "verified", "closed",
        ]
        assert view.history[1].actor.unit_id == self.dept
        assert app.get_notice(notice_id=notice, as_of=d(3, 25)).status == "sent_back"

    def test_a_notice_names_a_known_cadre_cites_the_recipients_problems_and_the_cadre_files_their_own_self_examination(self):
        self.district()
        app, inspector = self.app, self.inspector
        town_cadre, town_cadre_self = self.cadre(self.town, "李强")
        dept_cadre, _ = self.cadre(self.dept, "王芳")
        [of_cadre, of_town, of_dept, named_only] = self.inspect(
            self.town,
            problem("eight_point_rules", "违规吃喝", unit_id=self.town, cadre_id=town_cadre),
            problem("work_discipline", "脱岗", unit_id=self.town),
            problem("fund_management", "台账不全", unit_id=self.dept),
            problem("public_service_conduct", "推诿", cadre_id=dept_cadre),
        )
        before = len(self.events())
        # Step. Refused, storing nothing: a cadre supervision never learned; a cadre of
        # another unit; problems that concern neither the recipient unit nor the cadre.
        with pytest.raises(CadreNotKnownError, match="registered with the responsibility"):
            self.notice(self.town, [of_cadre], d(4, 30), at(3, 12), recipient_cadre_id=uuid.uuid4())
        with pytest.raises(InvalidRecipientError, match="not of the notice's recipient unit"):
            self.notice(self.town, [of_cadre], d(4, 30), at(3, 12), recipient_cadre_id=dept_cadre)
        with pytest.raises(ProblemNotOfRecipientError, match="recipient's own problems"):
            self.notice(self.town, [of_town, of_dept], d(4, 30), at(3, 12))
        with pytest.raises(ProblemNotOfRecipientError):
            self.notice(self.town, [named_only], d(4, 30), at(3, 12), recipient_cadre_id=town_cadre)
        assert len(self.events()) == before
        # A problem naming only a cadre concerns the cadre's unit; the cadre's notice may cite
        # the cadre's own problem and the cadre's unit's.
        self.notice(self.dept, [named_only], d(4, 30), at(3, 12))
        notice = self.notice(self.town, [of_cadre, of_town], d(3, 31), at(3, 12),
                             recipient_cadre_id=town_cadre)
        # Step. The cadre acknowledges, plans and asks for more time; the commission refuses,
        # then approves a second request: the deadline moves and the clock starts afresh.
        app.acknowledge_notice(notice_id=notice, actor=town_cadre_self, occurred_at=at(3, 13))
        with pytest.raises(NotTheRecipientError, match="only the cadre"):
            app.submit_rectification_plan(notice_id=notice, plan="x", actor=self.town_clerk,
                                          occurred_at=at(3, 14))
        app.submit_rectification_plan(notice_id=notice, plan="退缴费用，书面检讨",
                                      actor=town_cadre_self, occurred_at=at(3, 14))
        with pytest.raises(ExtensionError, match="not after the deadline"):
            app.request_extension(notice_id=notice, requested_deadline=d(3, 31), reason="x",
                                  actor=town_cadre_self, occurred_at=at(3, 15))
        app.request_extension(notice_id=notice, requested_deadline=d(4, 30), reason="外出学习",
                              actor=town_cadre_self, occurred_at=at(3, 15))
        with pytest.raises(ExtensionError, match="awaiting"):
            app.request_extension(notice_id=notice, requested_deadline=d(4, 20), reason="x",
                                  actor=town_cadre_self, occurred_at=at(3, 16))
        with pytest.raises(NotPermittedError):
            app.approve_extension(notice_id=notice, actor=self.town_clerk, occurred_at=at(3, 17))
        app.refuse_extension(notice_id=notice, reason="理由不充分", actor=inspector,
                             occurred_at=at(3, 17))
        with pytest.raises(ExtensionError, match="no extension request"):
            app.approve_extension(notice_id=notice, actor=inspector, occurred_at=at(3, 18))
        assert self.deadlines(at(3, 28)) == [notice]  # yellow: 3 days left
        app.request_extension(notice_id=notice, requested_deadline=d(4, 15), reason="外出学习",
                              actor=town_cadre_self, occurred_at=at(3, 29))
        app.approve_extension(notice_id=notice, note="同意延至4月15日", actor=inspector,
                              occurred_at=at(3, 30))
        assert self.deadlines(at(4, 1)) == []  # not overdue: the deadline is 15 April
        assert self.deadlines(at(4, 9)) == [notice]  # blue for the new deadline
        with pytest.raises(ExtensionError, match="has passed"):
            app.request_extension(notice_id=notice, requested_deadline=d(5, 15), reason="x",
                                  actor=town_cadre_self, occurred_at=at(4, 16))
        # Step. Only the cadre, for themself, files the rectification and self-examination.
        for someone in (self.town_clerk, Actor(person_id=uuid.uuid4(), unit_id=self.town)):
            with pytest.raises(NotTheRecipientError):
                app.report_rectification(notice_id=notice, report="已整改", actor=someone,
                                         occurred_at=at(4, 10), self_examination="检查")
        app.report_rectification(notice_id=notice, report="已退缴", actor=town_cadre_self,
                                 occurred_at=at(4, 10), self_examination="本人书面检查")
        view = app.get_notice(notice_id=notice)
        assert (view.deadline, view.plan, view.extensions_approved, view.extensions_refused) == (
            d(4, 15), "退缴费用，书面检讨", 1, 1)
        assert view.history[-1].actor == town_cadre_self
        assert [s.step for s in view.history] == [
            "issued", "acknowledged", "plan_submitted", "extension_requested",
            "extension_refused", "urgency_raised", "extension_requested", "extension_approved",
            "urgency_raised", "rectification_reported"]
        assert app.get_notice(notice_id=notice, as_of=d(3, 29)).deadline == d(3, 31)
        # Step. The events: what supervision learned of the cadre, and the new steps.
        by_type = {e["type"].split(".")[2]: e for e in self.events()}
        learned = [e for e in self.events() if e["type"].endswith("cadre_file_opened.v1")]
        assert {e["data"]["cadre_id"] for e in learned} == {str(town_cadre), str(dept_cadre)}
        assert by_type["rectification_extension_approved"]["data"]["new_deadline"] == "2026-04-15"
        assert by_type["rectification_extension_approved"]["data"]["previous_deadline"] == (
            "2026-03-31")
        assert by_type["rectification_plan_submitted"]["data"]["plan"] == "退缴费用，书面检讨"

    def test_an_overdue_notice_is_escalated_to_accountability_or_as_a_case_lead(self):
        self.district()
        [found, other] = self.inspect(
            self.dept, problem("work_discipline", "脱岗", unit_id=self.dept),
            problem("fund_management", "台账不全", unit_id=self.dept))
        to_accountability = self.notice(self.dept, [found], d(3, 31), at(3, 12))
        as_lead = self.notice(self.dept, [other], d(3, 31), at(3, 12))
        self.deadlines(at(4, 1))
        with pytest.raises(InvalidEscalationRouteError):
            self.app.escalate_notice(notice_id=as_lead, reason="x", actor=self.inspector,
                                     route="prosecution")  # type: ignore[arg-type]
        self.app.escalate_notice(notice_id=to_accountability, reason="逾期未整改，启动问责",
                                 actor=self.inspector, occurred_at=at(4, 2),
                                 route="accountability")
        self.app.escalate_notice(notice_id=as_lead, reason="移送问题线索",
                                 actor=self.inspector, occurred_at=at(4, 2))
        routes = {e["data"]["notice_id"]: e["data"]["route"] for e in self.events()
                  if e["type"].endswith("rectification_notice_escalated.v1")}
        assert routes == {str(to_accountability): "accountability", str(as_lead): "case_lead"}
        assert self.app.get_notice(notice_id=as_lead).escalation_route == "case_lead"
        counts = self.app.period_counts(start=d(1, 1), end=d(11, 30))
        assert counts.escalations == {"accountability": 1, "case_lead": 1}

    def test_an_id_of_another_kind_is_refused_as_not_found_for_the_kind_expected(self):
        self.district()
        [found] = self.inspect(self.dept, problem("work_discipline", "脱岗", unit_id=self.dept))
        notice = self.notice(self.dept, [found], d(3, 31), at(3, 12))
        bulletin = self.app.issue_bulletin(kind="circular", request_id="c-1", title="第1期",
                                           actor=self.inspector, occurred_at=at(3, 13))
        decision = self.app.collect_topic(unit_id=self.town, topic="低保评定",
                                          collected_from="议事会", actor=self.town_clerk,
                                          occurred_at=at(3, 14))
        before = len(self.events())
        with pytest.raises(NoticeNotFoundError, match=f"No rectification notice {bulletin}"):
            self.app.acknowledge_notice(notice_id=bulletin, actor=self.dept_clerk)
        with pytest.raises(NoticeNotFoundError):
            self.app.escalate_notice(notice_id=decision, reason="x", actor=self.inspector)
        with pytest.raises(DecisionNotFoundError, match="starts with collecting the topic"):
            self.app.decide_at_meeting(decision_id=notice, meeting="会", decision="x",
                                       actor=self.town_clerk)
        with pytest.raises(VisitNotFoundError, match="was scheduled"):
            self.app.cancel_unannounced_visit(visit_id=notice, actor=self.inspector)
        with pytest.raises(KeyProjectListNotFoundError):
            self.app.add_key_project(
                project_list_id=bulletin,
                project=KeyProject(code="P1", name="项目", lead_unit_id=self.dept),
                actor=self.inspector)
        with pytest.raises(DisclosureBoardNotFoundError, match="No disclosure board"):
            self.app.post_to_disclosure_board(community_id=self.community, content="x",
                                              actor=self.community_clerk)
        with pytest.raises(NoticeNotFoundError):
            self.app.get_notice(notice_id=bulletin)
        with pytest.raises(DecisionNotFoundError):
            self.app.get_decision(decision_id=notice)
        assert len(self.events()) == before

    def test_check_deadlines_raises_colours_and_records_overdue_exactly_once(self):
        self.district()
        [found] = self.inspect(self.dept, problem("work_discipline", "脱岗", unit_id=self.dept))
        [in_town] = self.inspect(self.town, problem("work_discipline", "脱岗", unit_id=self.town))
        town_cadre, _ = self.cadre(self.town)
        slow = self.notice(self.dept, [found], d(3, 31), at(3, 12),
                           self_examination_required=False)
        quick = self.notice(self.town, [in_town], d(3, 31), at(3, 12),
                            self_examination_required=False)
        cadre = self.notice(self.town, [in_town], d(4, 30), at(3, 12),
                            self_examination_required=False, recipient_cadre_id=town_cadre)
        self.app.acknowledge_notice(notice_id=quick, actor=self.town_clerk, occurred_at=at(3, 13))
        self.app.report_rectification(notice_id=quick, report="已整改", actor=self.town_clerk,
                                      occurred_at=at(3, 20))
        recorded = [self.deadlines(at(*day)) for day in
                    [(3, 20), (3, 24), (3, 25), (3, 28), (3, 31), (4, 1), (4, 1), (4, 8)]]
        assert recorded == [[], [slow], [], [slow], [], [slow], [], []]
        # A second process replaying the clock records nothing new.
        other = self.open_app()
        try:
            assert other.check_deadlines(at(4, 9)) == []  # the weekly findings included
        finally:
            other.close()
        kinds = [e["type"].split(".")[2] for e in self.events() if e["subject"] == str(slow)]
        assert kinds == ["rectification_notice_issued", "rectification_notice_urgency_raised",
                         "rectification_notice_urgency_raised", "rectification_notice_overdue"]
        # Step. Open notices by unit and colour, and overdue notices, as of any day.
        on_mar_29 = {o.notice.notice_id: o.colour for o in self.app.open_notices(as_of=d(3, 29))}
        assert on_mar_29 == {slow: "yellow", quick: "green", cadre: "green"}
        assert [o.notice.notice_id
                for o in self.app.open_notices(as_of=d(4, 25), colour="blue")] == [cadre]
        assert [o.notice.notice_id for o in self.app.overdue_notices(as_of=d(4, 5))] == [slow]
        assert self.app.overdue_notices(as_of=d(3, 31)) == []
        by_unit = {u.unit_id: u.by_colour for u in self.app.open_notices_by_unit(as_of=d(4, 5))}
        assert by_unit[self.dept] == {"green": 0, "blue": 0, "yellow": 0, "red": 1}
        assert by_unit[self.town]["green"] == 2
        assert self.app.get_notice(notice_id=slow).colour_recorded == "red"
        # Step. The gauges say what the queries say, from the same rule.
        self.app.refresh_gauges(d(4, 25))
        assert metrics.NOTICES_OPEN.labels("supervision", "red")._value.get() == 1
        assert metrics.NOTICES_OPEN.labels("supervision", "blue")._value.get() == 1
        assert metrics.NOTICES_OPEN.labels("supervision", "green")._value.get() == 1
        assert metrics.NOTICES_OPEN.labels("supervision", "yellow")._value.get() == 0
        assert metrics.NOTICES_OVERDUE.labels("supervision")._value.get() == 1
        # Step. A notice escalated to casework is a self-contained lead, published once.
        self.app.escalate_notice(notice_id=slow, reason="逾期未整改", actor=self.inspector,
                                 occurred_at=at(4, 10))
        with pytest.raises(NoticeAlreadyEscalatedError):
            self.app.escalate_notice(notice_id=slow, reason="again", actor=self.inspector,
                                     occurred_at=at(4, 11))
        [lead] = [e for e in self.events()
                  if e["type"] == "dutytrail.supervision.rectification_notice_escalated.v1"]
        assert lead["dataclassification"] == "internal"
        assert lead["data"]["notice_id"] == str(slow)
        assert lead["data"]["recipient_unit_id"] == str(self.dept)
        assert lead["data"]["problems"][0]["description"] == "脱岗"
        assert lead["data"]["reason"] == "逾期未整改"

    def test_a_week_without_an_inspection_or_without_a_circular_is_a_finding_once(self):
        # The district is learned on Friday 2 January: the rule runs from Monday 5 January.
        self.district()
        app, inspector = self.app, self.inspector

        def circular(request_id: str, when: datetime) -> None:
            app.issue_bulletin(kind="circular", request_id=request_id, title=request_id,
                               actor=inspector, occurred_at=when)

        # Step. Week of 5 Jan: both. Week of 12 Jan: an inspection only. Week of 19 Jan: a
        # circular only. Week of 26 Jan: neither (a special report is no circular).
        self.weekly(at(1, 6), self.dept)
        circular("w1", at(1, 9))
        self.weekly(at(1, 13), self.town)
        circular("w3", at(1, 23))
        app.issue_bulletin(kind="special_report", request_id="s1", title="专报",
                           actor=inspector, occurred_at=at(1, 28))
        # Step. On Monday 26 January the weeks up to Sunday 25 are over.
        first = app.check_deadlines(at(1, 26))
        assert sorted(first) == sorted([WeeklyFinding.create_id(d(1, 12), "circular"),
                                        WeeklyFinding.create_id(d(1, 19), "inspection")])
        assert app.check_deadlines(at(1, 26)) == []
        other = self.open_app()
        try:
            assert other.check_deadlines(at(1, 30)) == []  # another process: once either way
        finally:
            other.close()
        second = app.check_deadlines(at(2, 2))
        assert sorted(second) == sorted([WeeklyFinding.create_id(d(1, 26), "inspection"),
                                         WeeklyFinding.create_id(d(1, 26), "circular")])
        # Step. The events: public, one per week and kind, naming the week.
        missed = [e for e in self.events()
                  if e["type"] == "dutytrail.supervision.weekly_supervision_missed.v1"]
        assert [(e["data"]["week_start"], e["data"]["week_end"], e["data"]["kind"])
                for e in missed] == [
            ("2026-01-12", "2026-01-18", "circular"), ("2026-01-19", "2026-01-25", "inspection"),
            ("2026-01-26", "2026-02-01", "inspection"), ("2026-01-26", "2026-02-01", "circular"),
        ]
        assert {e["dataclassification"] for e in missed} == {"public"}
        assert {e["subject"] for e in missed} == {e["data"]["finding_id"] for e in missed}
        # Step. The period's figures name the weeks, as of the clock's days.
        counts = app.period_counts(start=d(1, 1), end=d(1, 31), as_of=d(2, 2))
        assert counts.weeks_without_inspection == [d(1, 19), d(1, 26)]
        assert counts.weeks_without_circular == [d(1, 12), d(1, 26)]
        earlier = app.period_counts(start=d(1, 1), end=d(1, 31), as_of=d(1, 27))
        assert earlier.weeks_without_inspection == [d(1, 19)]
        assert earlier.weeks_without_circular == [d(1, 12)]

    def test_the_clock_and_the_queries_follow_the_configured_warning_days(self):
        self.district()
        wide = self.open_app(SupervisionSettings(warning=WarningDays(blue=14, yellow=10)))
        try:
            [found] = self.inspect(self.dept, problem("work_discipline", "脱岗",
                                                      unit_id=self.dept))
            notice = self.notice(self.dept, [found], d(3, 31), at(3, 12))
            assert self.deadlines(at(3, 20)) == []
            assert self.deadlines(at(3, 20), wide) == [notice]
            assert [o.colour for o in wide.open_notices(as_of=d(3, 20))] == ["blue"]
            assert [o.colour for o in self.app.open_notices(as_of=d(3, 20))] == ["green"]
        finally:
            wide.close()

    def test_bulletins_are_numbered_per_kind_and_year_and_refuse_bad_citations(self):
        self.district()
        [found] = self.inspect(self.dept, problem("work_discipline", "脱岗", unit_id=self.dept))
        notice = self.notice(self.dept, [found], d(3, 31), at(3, 12))

        def issue(kind: str, request_id: str, title: str, when: datetime,
                  **options: Any) -> uuid.UUID:
            return self.app.issue_bulletin(kind=kind, request_id=request_id, title=title,
                                           actor=self.inspector, occurred_at=when, **options)

        c1 = issue("circular", "c-1", "第1期", at(3, 13), problem_ids=[found],
                   notice_ids=[notice])
        s1 = issue("special_report", "s-1", "专报1", at(3, 14))
        c2 = issue("circular", "c-2", "第2期", at(3, 20))
        m1 = issue("meeting_circular", "m-1", "会议通报", at(3, 25), meeting="全区警示教育大会")
        c2027 = issue("circular", "c-2027", "新年第1期", at(1, 8, 2027))
        before = len(self.events())
        # Step. Refusals: an unknown notice, a repeated request, a meeting circular without
        # its meeting. None stores anything or consumes a number.
        with pytest.raises(BulletinCitesUnknownNoticeError, match="does not exist"):
            issue("circular", "c-3", "第3期", at(3, 27), notice_ids=[notice, uuid.uuid4()])
        with pytest.raises(BulletinCitesUnknownNoticeError, match="does not exist"):
            issue("circular", "c-3", "第3期", at(3, 27), notice_ids=[c1])  # not a notice
        with pytest.raises(DuplicateBulletinRequestError, match=r"No\. 2 of 2026"):
            issue("circular", "c-2", "第2期", at(3, 27))
        with pytest.raises(InvalidBulletinError):
            issue("meeting_circular", "m-2", "会议通报", at(3, 27))
        assert len(self.events()) == before
        c3 = issue("circular", "c-3", "第3期", at(3, 28))
        # Step. The register per year and kind.
        register = self.app.bulletin_register(year=2026)
        assert [(b.kind, b.number) for b in register] == [
            ("special_report", 1), ("circular", 1), ("circular", 2), ("circular", 3),
            ("meeting_circular", 1)]
        assert [b.bulletin_id for b in self.app.bulletin_register(year=2026, kind="circular")] == [
            c1, c2, c3]
        assert [b.bulletin_id for b in self.app.bulletin_register(year=2027)] == [c2027]
        assert [b.number for b in self.app.bulletin_register(year=2026, as_of=d(3, 20))] == [
            1, 1, 2]
        first = self.app.get_bulletin(bulletin_id=c1)
        assert first.notice_ids == [notice]
        assert [p["problem_id"] for p in first.problems] == [found]
        assert (self.app.get_bulletin(bulletin_id=s1).number,
                self.app.get_bulletin(bulletin_id=m1).meeting) == (1, "全区警示教育大会")

    def test_bulletins_issued_at_once_from_several_processes_are_numbered_without_gaps(self):
        self.district()
        threads_count, each = 4, 3
        apps = [self.open_app() for _ in range(threads_count)]
        barrier = threading.Barrier(threads_count)
        issued: list[uuid.UUID] = []
        errors: list[BaseException] = []

        def issue_several(app: Supervision, n: int) -> None:
            barrier.wait()
            try:
                for i in range(each):
                    issued.append(app.issue_bulletin(
                        kind="circular", request_id=f"t{n}-{i}", title=f"通报 {n}-{i}",
                        actor=self.inspector, occurred_at=at(5, 6)))
            except BaseException as error:  # noqa: BLE001 - reported by the assertion
                errors.append(error)

        threads = [threading.Thread(target=issue_several, args=(a, n)) for n, a in
                   enumerate(apps)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for a in apps:
            a.close()
        assert errors == []
        register = self.app.bulletin_register(year=2026, kind="circular")
        assert sorted(b.number for b in register) == list(range(1, threads_count * each + 1))
        assert {b.bulletin_id for b in register} == set(issued)
        assigned = [e for e in self.events() if e["type"].endswith("bulletin_number_assigned.v1")]
        assert sorted(e["data"]["number"] for e in assigned) == list(range(1, 13))

    def interloper_after_reading_the_register(self, other: Supervision, request_id: str) -> None:
        """Make ``self.app`` let ``other`` issue ``request_id`` right after it has read the
        circular register, once."""
        register_id = BulletinRegister.create_id("circular", 2026)
        interloper: list[Callable[[], uuid.UUID]] = [
            lambda: other.issue_bulletin(kind="circular", request_id=request_id, title="插队",
                                         actor=self.inspector, occurred_at=at(5, 2))
        ]
        find = self.app.find

        def find_then_let_another_issue(aggregate_id: uuid.UUID, kind: Any) -> Any:
            found = find(aggregate_id, kind)
            if aggregate_id == register_id and interloper:
                interloper.pop()()  # another process takes the next number after we read
            return found

        self.app.find = find_then_let_another_issue  # type: ignore[method-assign]

    def test_a_number_taken_by_another_process_meanwhile_is_retried_not_lost(self):
        self.district()
        other = self.open_app()
        self.app.issue_bulletin(kind="circular", request_id="first", title="第1期",
                                actor=self.inspector, occurred_at=at(5, 1))
        self.interloper_after_reading_the_register(other, "meanwhile")
        try:
            mine = self.app.issue_bulletin(kind="circular", request_id="mine", title="第3期",
                                           actor=self.inspector, occurred_at=at(5, 2))
        finally:
            other.close()
        assert self.app.get_bulletin(bulletin_id=mine).number == 3
        assert [b.title for b in self.app.bulletin_register(year=2026)] == [
            "第1期", "插队", "第3期"]

    def test_the_same_request_issued_meanwhile_by_another_process_is_refused_as_a_duplicate(
        self,
    ):
        self.district()
        other = self.open_app()
        self.interloper_after_reading_the_register(other, "same")
        try:
            with pytest.raises(DuplicateBulletinRequestError, match=r"No\. 1 of 2026"):
                self.app.issue_bulletin(kind="circular", request_id="same", title="第1期",
                                        actor=self.inspector, occurred_at=at(5, 2))
        finally:
            other.close()
        assert [(b.title, b.number) for b in self.app.bulletin_register(year=2026)] == [
            ("插队", 1)]

    def test_recipient_kinds_are_counted_apart(self):
        """区直单位, 镇街, 社区 and 干部: a notice to a town is not a district department's."""
        self.district()
        second_town = self.unit("S01", "**街道", "subdistrict", self.pc, self.pc_clerk,
                                at(1, 2))
        self.sync()
        cadre, _ = self.cadre(self.town)
        notices = {}
        for name, unit, cadre_id in [("dept", self.dept, None), ("town", self.town, None),
                                     ("subdistrict", second_town, None),
                                     ("community", self.community, None),
                                     ("cadre", self.town, cadre)]:
            [found] = self.inspect(unit, problem("work_discipline", "脱岗", unit_id=unit,
                                                 cadre_id=cadre_id))
            notices[name] = self.notice(unit, [found], d(4, 10), at(3, 11),
                                        recipient_cadre_id=cadre_id)
        [again] = self.inspect(self.town, problem("eight_point_rules", "超标准接待",
                                                  unit_id=self.town))
        self.notice(self.town, [again], d(4, 10), at(3, 12))
        kinds = {name: self.app.get_notice(notice_id=n).recipient_kind
                 for name, n in notices.items()}
        assert kinds == {"dept": "district_department", "town": "town_or_subdistrict",
                         "subdistrict": "town_or_subdistrict", "community": "community",
                         "cadre": "cadre"}
        counts = self.app.period_counts(start=d(1, 1), end=d(11, 30))
        assert counts.notices == {"district_department": 1, "town_or_subdistrict": 3,
                                  "community": 1, "cadre": 1}
        assert counts.notice_recipients == {"district_department": 1,
                                            "town_or_subdistrict": 2, "community": 1,
                                            "cadre": 1}
        issued = [e["data"]["recipient_kind"] for e in self.events()
                  if e["type"].endswith("rectification_notice_issued.v1")]
        assert "unit" not in issued  # the former kind is never recorded again

    def test_quarterly_reports_are_on_time_late_or_flagged_missing_once(self):
        """Lateness is judged against when the system learned of a report: a unit entering
        today a report that claims April is late; a paper report is judged against the day
        the commission received it, which only its clerk records. The commission, a role and
        not an ordinary department, owes no report itself."""
        self.district()
        late_unit = self.unit("S01", "**街道", "subdistrict", self.pc, self.pc_clerk, at(4, 2))
        self.sync()
        sub_clerk = clerk_of(late_unit)
        today = utcnow().date()

        def submit(unit: uuid.UUID, year: int, quarter: int, summary: str, actor: Actor,
                   when: datetime) -> None:
            self.app.submit_quarterly_report(unit_id=unit, year=year, quarter=quarter,
                                             summary=summary, actor=actor, occurred_at=when)

        def on_paper(unit: uuid.UUID, quarter: int, received_on: date) -> None:
            self.app.record_paper_quarterly_report(
                unit_id=unit, year=2026, quarter=quarter, summary="纸质报告",
                received_on=received_on, actor=self.inspector)

        def compliance(quarter: int, day: date, **options: Any) -> list[Any]:
            return self.app.quarterly_compliance(year=2026, quarter=quarter, as_of=day,
                                                 **options)

        # Step. Refusals.
        with pytest.raises(UnitNotFoundError, match="quarterly report"):
            submit(uuid.uuid4(), 2026, 1, "x", self.dept_clerk, at(4, 5))
        with pytest.raises(UnitDoesNotReportError, match="community"):
            submit(self.community, 2026, 1, "x", self.community_clerk, at(4, 5))
        with pytest.raises(NotPermittedError):
            submit(self.dept, 2026, 1, "x", self.town_clerk, at(4, 5))
        with pytest.raises(UnitDoesNotReportError, match="discipline commission"):
            submit(self.commission, 2026, 1, "x", self.inspector, at(4, 5))
        with pytest.raises(ReceiptDateInFutureError):
            on_paper(self.dept, 1, today + timedelta(days=1))
        # Step. Q1: the department's paper report received on the deadline, the town's
        # entered by its clerk today though it claims 15 April; the commission owes none.
        on_paper(self.dept, 1, d(4, 10))
        with pytest.raises(QuarterlyReportAlreadySubmittedError):
            submit(self.dept, 2026, 1, "again", self.dept_clerk, at(4, 11))
        recorded = [self.deadlines(at(4, 10)), self.deadlines(at(4, 11)),
                    self.deadlines(at(4, 12))]
        assert recorded[0] == [] and recorded[2] == []
        assert len(recorded[1]) == 1  # the town; never the commission
        submit(self.town, 2026, 1, "补报", self.town_clerk, at(4, 15))
        rows = {r.unit_name: r for r in compliance(1, d(11, 30))}
        assert set(rows) == {"区财政局", "**镇"}  # no community, no commission, no late unit
        dept, town = rows["区财政局"], rows["**镇"]
        assert (dept.status, dept.missing_flagged, dept.received_on) == (
            "on_time", False, d(4, 10))
        assert dept.recorded_at is not None and dept.recorded_at.date() == today
        assert (town.status, town.days_late, town.missing_flagged) == (
            "late", (today - d(4, 10)).days, True)
        assert town.submitted_at == at(4, 15) and town.received_on is None
        assert town.recorded_at is not None and town.recorded_at.date() == today
        on_apr_5 = {r.unit_name: r.status for r in compliance(1, d(4, 5))}
        assert on_apr_5 == {"区财政局": "pending", "**镇": "pending"}
        # Step. Q2 includes the subdistrict registered in April.
        on_paper(late_unit, 2, d(7, 3))
        with pytest.raises(NotPermittedError):
            submit(late_unit, 2026, 3, "x", self.dept_clerk, at(10, 3))
        submit(late_unit, 2026, 3, "三季度", sub_clerk, at(10, 3))
        q2 = {r.unit_name: r.status for r in compliance(2, d(7, 31))}
        assert q2 == {"区财政局": "missing", "**镇": "missing", "**街道": "on_time"}
        [dept_q2] = compliance(2, d(7, 31), unit_id=self.dept)
        assert dept_q2.deadline == d(7, 10)
        assert len(self.deadlines(at(7, 11))) == 2
        assert self.deadlines(at(8, 1)) == []
        # Entered today, claiming 3 October: on time only if today is by the deadline.
        [sub_q3] = compliance(3, today, unit_id=late_unit)
        assert sub_q3.status == ("on_time" if today <= d(10, 10) else "late")
        missing = [e for e in self.events() if e["type"].endswith("quarterly_report_missing.v1")]
        assert sorted((e["data"]["quarter"], e["data"]["unit_id"]) for e in missing) == sorted(
            [(1, str(self.town)), (2, str(self.dept)), (2, str(self.town))])
        submitted = [e for e in self.events()
                     if e["type"].endswith("quarterly_report_submitted.v1")]
        assert sorted(str(e["data"]["received_on"]) for e in submitted) == [
            "2026-04-10", "2026-07-03", "None", "None"]

    def test_the_disclosure_trail_is_kept_in_order_and_boards_cover_communities(self):
        self.district()
        second = self.unit("C02", "**二社区", "community", self.town, self.pc_clerk, at(2, 1))
        self.sync()
        app, town_clerk = self.app, self.town_clerk
        # Step. A decision traced from topic to supervised execution.
        decision = app.collect_topic(unit_id=self.town, topic="低保评定",
                                     collected_from="群众议事会", actor=town_clerk,
                                     occurred_at=at(2, 3))
        with pytest.raises(DisclosureStepOutOfOrderError, match="decided at a meeting"):
            app.publish_decision_result(decision_id=decision, channel="公开栏", summary="名单",
                                        actor=town_clerk, occurred_at=at(2, 4))
        app.decide_at_meeting(decision_id=decision, meeting="镇党委会", decision="通过名单",
                              actor=town_clerk, occurred_at=at(2, 5))
        app.publish_decision_result(decision_id=decision, channel="公开栏", summary="名单",
                                    actor=town_clerk, occurred_at=at(2, 6))
        app.supervise_decision_execution(decision_id=decision, findings="按名单发放",
                                         actor=self.inspector, occurred_at=at(3, 1))
        trail = app.get_decision(decision_id=decision)
        assert trail.complete
        assert [(s.step, s.actor.unit_id, s.at) for s in trail.steps] == [
            ("topic_collected", self.town, at(2, 3)), ("decided", self.town, at(2, 5)),
            ("result_published", self.town, at(2, 6)),
            ("execution_supervised", self.commission, at(3, 1))]
        assert [t.decision_id for t in app.list_decisions(incomplete_only=True,
                                                          as_of=d(2, 10))] == [decision]
        assert app.list_decisions(incomplete_only=True) == []
        # Step. Boards, one per community.
        community_clerk = self.community_clerk

        def install(community: uuid.UUID, location: str, when: datetime) -> uuid.UUID:
            return app.install_disclosure_board(community_id=community, location=location,
                                                actor=community_clerk, occurred_at=when)

        with pytest.raises(NotACommunityError):
            install(self.town, "镇政府门口", at(2, 1))
        install(self.community, "社区服务站", at(2, 10))
        with pytest.raises(DisclosureBoardAlreadyInstalledError):
            install(self.community, "again", at(2, 11))
        app.post_to_disclosure_board(community_id=self.community, content="低保名单公示",
                                     actor=community_clerk, occurred_at=at(2, 12))
        gap = app.disclosure_coverage(as_of=d(2, 28))
        assert (gap.with_board, gap.without_board, gap.complete) == (
            [self.community], [second], False)
        install(second, "二社区广场", at(3, 2))
        assert app.disclosure_coverage(as_of=d(3, 31)).complete
        assert app.disclosure_coverage(as_of=d(1, 31)).communities == [self.community]

    def test_an_unannounced_visit_leaks_nothing_until_it_has_been_conducted(self):
        self.district()
        visit = self.app.schedule_unannounced_visit(actor=self.inspector, occurred_at=at(4, 28))
        [scheduled] = [e for e in self.events() if e["subject"] == str(visit)]
        assert scheduled["type"] == "dutytrail.supervision.unannounced_visit_scheduled.v1"
        assert scheduled["dataclassification"] == "confidential"
        assert set(scheduled["data"]) == {"visit_id", "actor"}
        assert self.app.list_inspections(start=d(1, 1), end=d(12, 31)) == []
        # Step. An unannounced visit is not recorded in one go.
        with pytest.raises(InvalidInspectionError, match="scheduled first"):
            self.app.record_inspection(kind="unannounced_visit", report=self.report(self.town),
                                       actor=self.inspector)
        # Step. Conducted: now where, when and whom are recorded.
        self.app.conduct_unannounced_visit(
            visit_id=visit,
            report=self.report(self.town, held_on=d(5, 1), problems=[
                problem("eight_point_rules", "公车私用", cadre_id=uuid.uuid4())]),
            actor=self.inspector, occurred_at=at(5, 1))
        with pytest.raises(VisitAlreadyConductedError):
            self.app.conduct_unannounced_visit(visit_id=visit, report=self.report(self.town),
                                               actor=self.inspector)
        conducted = [e for e in self.events() if e["subject"] == str(visit)][-1]
        assert conducted["data"]["unit_ids"] == [str(self.town)]
        assert conducted["data"]["held_on"] == "2026-05-01"
        [seen] = self.app.list_inspections(start=d(5, 1), end=d(5, 1), unit_id=self.town)
        assert seen.kind == "unannounced_visit"
        assert seen.problems[0]["category"] == "eight_point_rules"

    def test_a_key_project_inspection_names_a_project_on_the_list(self):
        self.district()
        projects = self.app.publish_key_project_list(
            year=2026, name="2026年百个重点项目",
            projects=[KeyProject(code="P001", name="棚户区改造", lead_unit_id=self.town)],
            actor=self.inspector, occurred_at=at(1, 20))
        self.app.add_key_project(
            project_list_id=projects,
            project=KeyProject(code="P002", name="道路提升", lead_unit_id=self.dept),
            actor=self.inspector, occurred_at=at(1, 21))

        def key_project(code: str, held_on: date) -> uuid.UUID:
            return self.app.record_inspection(
                kind="key_project", report=self.report(self.town, held_on=held_on),
                actor=self.inspector, occurred_at=at(3, 3), project_list_id=projects,
                project_code=code)

        with pytest.raises(ProjectNotOnListError):
            key_project("P404", d(3, 10))
        with pytest.raises(UnitNotFoundError):
            self.app.publish_key_project_list(
                year=2026, name="x",
                projects=[KeyProject(code="P9", name="y", lead_unit_id=uuid.uuid4())],
                actor=self.inspector, occurred_at=at(1, 22))
        with pytest.raises(InvalidInspectionError, match="both the key-project list"):
            self.app.record_inspection(kind="key_project", report=self.report(self.town),
                                       actor=self.inspector, project_code="P002")
        inspection = key_project("P002", d(3, 3))
        [seen] = self.app.list_inspections(start=d(3, 1), end=d(3, 31), kind="key_project")
        assert seen.inspection_id == inspection
        assert seen.project == {"project_list_id": projects, "code": "P002", "name": "道路提升",
                                "lead_unit_id": self.dept}

    def test_a_year_of_supervision_gives_the_seeds_counts_and_publishes_every_event_type(self):
        self.district()
        self.leader_and_task(d(6, 30))
        self.upstream.check_deadlines(at(7, 1))
        self.sync()
        app, inspector = self.app, self.inspector
        # Step. Inspections of every kind, with problems.
        projects = app.publish_key_project_list(
            year=2026, name="百个重点项目",
            projects=[KeyProject(code="P001", name="棚户区改造", lead_unit_id=self.town)],
            actor=inspector, occurred_at=at(1, 20))
        app.add_key_project(project_list_id=projects,
                            project=KeyProject(code="P002", name="道路", lead_unit_id=self.dept),
                            actor=inspector, occurred_at=at(1, 21))
        dept_found = problem("work_discipline", "脱岗", unit_id=self.dept)
        town_cadre, town_cadre_self = self.cadre(self.town)
        cadre_found = problem("eight_point_rules", "违规吃喝", unit_id=self.town,
                              cadre_id=town_cadre)
        community_found = problem("fund_management", "台账不全", unit_id=self.community)
        for kind, when in [("weekly", at(3, 2)), ("weekly", at(7, 6)), ("open_visit", at(4, 3)),
                           ("land_acquisition_demolition", at(6, 5))]:
            app.record_inspection(
                kind=kind, report=self.report(self.dept, self.town, held_on=when.date(),
                                              problems=[dept_found]),
                actor=inspector, occurred_at=when)
        app.record_inspection(kind="key_project", report=self.report(self.town, held_on=d(5, 5)),
                              actor=inspector, occurred_at=at(5, 5), project_list_id=projects,
                              project_code="P001")
        visit = app.schedule_unannounced_visit(actor=inspector, occurred_at=at(8, 1))
        app.conduct_unannounced_visit(
            visit_id=visit, report=self.report(self.town, self.community, held_on=d(8, 3),
                                               problems=[cadre_found, community_found]),
            actor=inspector, occurred_at=at(8, 3))
        cancelled = app.schedule_unannounced_visit(actor=inspector, occurred_at=at(8, 2))
        app.cancel_unannounced_visit(visit_id=cancelled, actor=inspector, occurred_at=at(8, 4))
        found = {p["description"]: p
                 for i in app.list_inspections(start=d(1, 1), end=d(12, 31)) for p in i.problems}
        dept_problem, cadre_problem = found["脱岗"]["problem_id"], found["违规吃喝"]["problem_id"]
        community_problem = found["台账不全"]["problem_id"]
        # Step. Notices to a district unit, two to a community, one to a cadre, and their
        # lifecycle; one in December is outside January–November.
        to_dept = self.notice(self.dept, [dept_problem], d(9, 30), at(9, 1))
        self.notice(self.community, [community_problem], d(9, 30), at(9, 2),
                    self_examination_required=False)
        self.notice(self.community, [community_problem], d(10, 30), at(10, 2),
                    self_examination_required=False)
        to_cadre = self.notice(self.town, [cadre_problem], d(9, 30), at(9, 3),
                               recipient_cadre_id=town_cadre)
        self.notice(self.town, [cadre_problem], d(12, 31), at(12, 2),
                    self_examination_required=False)
        dept_clerk = self.dept_clerk
        app.acknowledge_notice(notice_id=to_dept, actor=dept_clerk, occurred_at=at(9, 2))
        app.submit_rectification_plan(notice_id=to_dept, plan="建立考勤台账", actor=dept_clerk,
                                      occurred_at=at(9, 3))
        app.request_extension(notice_id=to_dept, requested_deadline=d(10, 15), reason="人手不足",
                              actor=dept_clerk, occurred_at=at(9, 4))
        app.refuse_extension(notice_id=to_dept, reason="理由不充分", actor=inspector,
                             occurred_at=at(9, 5))
        app.acknowledge_notice(notice_id=to_cadre, actor=town_cadre_self, occurred_at=at(9, 4))
        app.request_extension(notice_id=to_cadre, requested_deadline=d(9, 30) + timedelta(1),
                              reason="需外出调查", actor=town_cadre_self, occurred_at=at(9, 6))
        app.approve_extension(notice_id=to_cadre, note="同意延期一日", actor=inspector,
                              occurred_at=at(9, 8))
        app.report_rectification(notice_id=to_dept, report="已整改", actor=dept_clerk,
                                 occurred_at=at(9, 10), self_examination="检查")
        app.send_back_rectification(notice_id=to_dept, reason="不彻底", actor=inspector,
                                    occurred_at=at(9, 11))
        app.report_rectification(notice_id=to_dept, report="再整改", actor=dept_clerk,
                                 occurred_at=at(9, 20), self_examination="检查")
        app.verify_rectification(notice_id=to_dept, note="属实", actor=inspector,
                                 occurred_at=at(9, 25))
        app.close_notice(notice_id=to_dept, actor=inspector, occurred_at=at(9, 26))
        app.check_deadlines(at(9, 25))
        app.check_deadlines(at(10, 1))
        app.check_deadlines(at(10, 2))
        app.escalate_notice(notice_id=to_cadre, reason="逾期拒不整改", actor=inspector,
                            occurred_at=at(10, 2), route="accountability")
        # Step. Bulletins, reports, the disclosure trail and boards.
        for n, (kind, meeting) in enumerate([("special_report", None), ("special_report", None),
                                             ("circular", None),
                                             ("meeting_circular", "全区大会")]):
            app.issue_bulletin(kind=kind, request_id=f"r{n}", title=f"第{n}期", actor=inspector,
                               occurred_at=at(10, 10 + n), problem_ids=[dept_problem],
                               notice_ids=[to_dept], meeting=meeting)
        app.issue_bulletin(kind="circular", request_id="december", title="12月", actor=inspector,
                           occurred_at=at(12, 5))
        app.submit_quarterly_report(unit_id=self.dept, year=2026, quarter=1, summary="一季度",
                                    actor=dept_clerk, occurred_at=at(4, 8))
        town_clerk = self.town_clerk
        decision = app.collect_topic(unit_id=self.town, topic="议题", collected_from="征集",
                                     actor=town_clerk, occurred_at=at(2, 1))
        app.decide_at_meeting(decision_id=decision, meeting="党委会", decision="决定",
                              actor=town_clerk, occurred_at=at(2, 2))
        app.publish_decision_result(decision_id=decision, channel="公开栏", summary="结果",
                                    actor=town_clerk, occurred_at=at(2, 3))
        app.supervise_decision_execution(decision_id=decision, findings="执行到位",
                                         actor=inspector, occurred_at=at(3, 3))
        app.install_disclosure_board(community_id=self.community, location="服务站",
                                     actor=self.community_clerk, occurred_at=at(2, 1))
        app.post_to_disclosure_board(community_id=self.community, content="公示",
                                     actor=self.community_clerk, occurred_at=at(2, 2))
        # Step. The seed's figures for January–November.
        counts = app.period_counts(start=d(1, 1), end=d(11, 30))
        assert (counts.special_reports, counts.circulars, counts.meeting_circulars) == (2, 1, 1)
        assert counts.notices == {"district_department": 1, "town_or_subdistrict": 0,
                                  "community": 2, "cadre": 1}
        assert counts.notice_recipients == {"district_department": 1,
                                            "town_or_subdistrict": 0, "community": 1,
                                            "cadre": 1}
        assert counts.inspections == {"weekly": 2, "open_visit": 1,
                                      "land_acquisition_demolition": 1, "key_project": 1,
                                      "unannounced_visit": 1}
        assert counts.problems_found == 6
        assert counts.escalations == {"accountability": 1, "case_lead": 0}
        assert (counts.notices_with_plan, counts.extensions_approved,
                counts.extensions_refused) == (1, 1, 1)
        assert app.period_counts(start=d(1, 1), end=d(12, 31)).circulars == 2
        assert app.period_counts(start=d(1, 1), end=d(11, 30),
                                 as_of=d(10, 10)).special_reports == 1
        # Step. Every supervision event type was stored and became a valid CloudEvent.
        app.check_deadlines(at(12, 31))
        events = self.events()
        published = Counter(e["type"] for e in events)
        expected = {c.type for c in all_contracts() if c.service == "supervision"
                    and c.domain_event not in LEDGER_DOMAIN_EVENTS}  # no checkpoint signed
        assert set(published) == expected
        positions = [parse_position(e["sequence"]) for e in events]
        assert positions == sorted(set(positions))
        for e in events:
            assert e["source"] == "/dutytrail/supervision"
            assert set(e["data"]["actor"]) == {"person_id", "unit_id"}


class TestOnSQLite(SupervisionScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return sqlite_settings(tmp_path / "var")


@pytest.mark.postgres
class TestOnPostgres(SupervisionScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return postgres_settings(f"t{uuid.uuid4().hex[:10]}_")

    def drop_store(self) -> None:
        drop_postgres_schemas(self.settings)

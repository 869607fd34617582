"""The supervision application's scenarios, written once and run on SQLite and PostgreSQL.

The organisation comes from a real responsibility application, fed to supervision through
``shared.feed.UpstreamFeed`` exactly as the consumer does in production.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.responsibility.application import LetterDraft, Responsibilities
from services.supervision.application import (
    InspectionReport,
    KeyProject,
    ProblemFound,
    Supervision,
)
from services.supervision.domain import (
    BulletinCitesUnknownNoticeError,
    BulletinRegister,
    DisclosureBoardAlreadyInstalledError,
    DisclosureStepOutOfOrderError,
    DuplicateBulletinRequestError,
    InvalidBulletinError,
    InvalidRecipientError,
    NotACommunityError,
    NoticeAlreadyClosedError,
    NoticeAlreadyEscalatedError,
    NoticeNotAcknowledgedError,
    NoticeNotReportedError,
    ProblemNotFoundError,
    ProjectNotOnListError,
    QuarterlyReportAlreadySubmittedError,
    SelfExaminationMissingError,
    UnitDoesNotReportError,
    UnitNotFoundError,
    VisitAlreadyConductedError,
)
from shared.actors import Actor
from shared.contracts import all_contracts
from shared.envelope import parse_position
from shared.errors import NotPermittedError
from shared.feed import UpstreamFeed
from shared.persistence import store_environment
from shared.settings import StoreSettings
from tests.conftest import drop_postgres_schemas, postgres_settings, sqlite_settings


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


class SupervisionScenario:
    """Abstract: subclasses say which store to use."""

    settings: StoreSettings

    def open_app(self, **options: Any) -> Supervision:
        return Supervision(store_environment("supervision", self.settings), **options)

    @pytest.fixture(autouse=True)
    def _apps(self, tmp_path: Path):
        self.settings = self.make_settings(tmp_path)
        self.upstream = Responsibilities(store_environment("responsibility", self.settings))
        self.app = self.open_app()
        self.feed = UpstreamFeed(self.app, "responsibility", self.app.policy_for_responsibility)
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

    def district(self) -> None:
        founder = Actor(uuid.uuid4(), uuid.uuid4())
        up = self.upstream
        self.pc = up.register_unit("PC", "**区委", "party_committee", None, founder, at(1, 2))
        self.pc_clerk = Actor(uuid.uuid4(), self.pc)
        self.commission = up.register_unit(
            "DC", "区纪委监委", "district_department", self.pc, self.pc_clerk, at(1, 2))
        self.dept = up.register_unit(
            "D01", "区财政局", "district_department", self.pc, self.pc_clerk, at(1, 2))
        self.town = up.register_unit("T01", "**镇", "town", self.pc, self.pc_clerk, at(1, 2))
        self.community = up.register_unit(
            "C01", "**社区", "community", self.town, self.pc_clerk, at(1, 3))
        self.inspector = Actor(uuid.uuid4(), self.commission)
        self.dept_clerk = Actor(uuid.uuid4(), self.dept)
        self.town_clerk = Actor(uuid.uuid4(), self.town)
        self.community_clerk = Actor(uuid.uuid4(), self.community)
        self.sync()

    def report(self, *units: uuid.UUID, held_on: date | None = None,
               problems: list[ProblemFound] | None = None) -> InspectionReport:
        return InspectionReport(
            leader_person_id=uuid.uuid4(), leader_name="张明", location="区政务服务中心",
            held_on=held_on or d(3, 10), unit_ids=list(units), problems=problems or [], summary="",
        )

    def inspect(self, unit: uuid.UUID, *problems: ProblemFound) -> list[uuid.UUID]:
        """Record a weekly inspection of ``unit`` on 10 March; returns the problems' ids."""
        when = at(3, 10)
        inspection = self.app.record_inspection(
            "weekly", self.report(unit, held_on=when.date(), problems=list(problems)),
            self.inspector, when,
        )
        [view] = [i for i in self.app.list_inspections(when.date(), when.date())
                  if i.inspection_id == inspection]
        return [p["problem_id"] for p in view.problems]

    def events(self) -> list[dict[str, Any]]:
        return self.app.events_after(0)

    def types(self) -> list[str]:
        return [e["type"].split(".")[2] for e in self.events()]

    # Scenarios.

    def test_the_feed_learns_units_and_opens_a_follow_up_exactly_once_per_overdue_task(self):
        # Step. The organisation and a task, in the responsibility service.
        self.district()
        up = self.upstream
        leader = up.register_cadre(uuid.uuid4(), "王伟", self.dept, "局长", "财政", True, True,
                                   self.pc_clerk, at(1, 5))
        up.draft_letter(LetterDraft(2026, self.pc, self.dept, leader, ["c"],
                                    [{"text": "t", "risk_point": "r"}], ["d"]),
                        self.pc_clerk, at(1, 6))
        task = up.create_task(2026, "述责述廉", "年中述职", self.dept, [], leader, d(6, 30),
                              self.pc_clerk, at(1, 10))
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
        # The policy itself would change nothing if handed the same event again.
        assert self.app.policy_for_responsibility(overdue) == []
        assert self.app.policy_for_responsibility({"type": "dutytrail.x.y.v1", "data": {}}) == []
        [item] = self.app.open_follow_ups(unit_id=self.dept)
        assert (item.task_id, item.task_title, item.task_deadline) == (task, "述责述廉", d(6, 30))
        assert self.types().count("follow_up_opened") == 1
        # Step. The next inspection of the lead unit addresses it.
        self.app.record_inspection("weekly", self.report(self.town, held_on=d(7, 3)),
                                   self.inspector, at(7, 3))
        assert len(self.app.open_follow_ups()) == 1  # another unit's inspection does not
        inspection = self.app.record_inspection(
            "weekly", self.report(self.dept, self.town, held_on=d(7, 8)), self.inspector,
            at(7, 8))
        assert self.app.open_follow_ups() == []
        assert [f.follow_up_id for f in self.app.open_follow_ups(as_of=d(7, 7))] == [
            item.follow_up_id]
        [addressed] = [e for e in self.events() if e["type"].endswith("follow_up_addressed.v1")]
        assert addressed["data"]["inspection_id"] == str(inspection)
        assert addressed["data"]["unit_id"] == str(self.dept)
        # Our ids never repeat the responsibility service's (outsiders deduplicate by id).
        upstream_ids = {e["id"] for e in up.events_after(0)}
        assert not upstream_ids & {e["id"] for e in self.events()}

    def test_a_notice_runs_its_lifecycle_and_refuses_steps_out_of_turn(self):
        self.district()
        [late, absent] = self.inspect(
            self.dept,
            ProblemFound("work_discipline", "上班时间脱岗", unit_id=self.dept),
            ProblemFound("fund_management", "台账不全", unit_id=self.dept),
        )
        before = len(self.events())
        # Step. Refusals store nothing.
        with pytest.raises(ProblemNotFoundError):
            self.app.issue_notice(self.dept, [uuid.uuid4()], d(3, 31), True, self.inspector,
                                  at(3, 12))
        with pytest.raises(UnitNotFoundError):
            self.app.issue_notice(uuid.uuid4(), [late], d(3, 31), True, self.inspector, at(3, 12))
        with pytest.raises(InvalidRecipientError):
            self.app.issue_notice(self.pc, [late], d(3, 31), True, self.inspector, at(3, 12))
        assert len(self.events()) == before
        # Step. Issued, then steps out of turn are refused with named errors.
        notice = self.app.issue_notice(self.dept, [late, absent], d(3, 31), True,
                                       self.inspector, at(3, 12))
        with pytest.raises(NoticeNotReportedError, match="no rectification report"):
            self.app.verify_rectification(notice, "ok", self.inspector, at(3, 13))
        with pytest.raises(NoticeNotAcknowledgedError):
            self.app.report_rectification(notice, "done", self.dept_clerk, at(3, 13), "检查")
        with pytest.raises(NotPermittedError):
            self.app.acknowledge_notice(notice, self.town_clerk, at(3, 13))
        self.app.acknowledge_notice(notice, self.dept_clerk, at(3, 13))
        with pytest.raises(SelfExaminationMissingError):
            self.app.report_rectification(notice, "已整改", self.dept_clerk, at(3, 20))
        self.app.report_rectification(notice, "已整改", self.dept_clerk, at(3, 20), "书面检查")
        with pytest.raises(NotPermittedError):
            self.app.verify_rectification(notice, "ok", self.dept_clerk, at(3, 21))
        self.app.send_back_rectification(notice, "台账仍不全", self.inspector, at(3, 22))
        self.app.report_rectification(notice, "已补齐", self.dept_clerk, at(3, 28), "补充检查")
        self.app.verify_rectification(notice, "复核属实", self.inspector, at(3, 30))
        self.app.close_notice(notice, self.inspector, at(3, 31))
        with pytest.raises(NoticeAlreadyClosedError):
            self.app.close_notice(notice, self.inspector, at(4, 1))
        # Step. The trail, now and as of a past day.
        view = self.app.get_notice(notice)
        assert view.status == "closed" and view.recipient_kind == "unit"
        assert [p["problem_id"] for p in view.problems] == [late, absent]
        assert [s.step for s in view.history] == [
            "issued", "acknowledged", "rectification_reported", "sent_back",
            "rectification_reported", "verified", "closed",
        ]
        assert view.history[1].actor["unit_id"] == self.dept
        assert self.app.get_notice(notice, as_of=d(3, 25)).status == "sent_back"

    def test_check_deadlines_raises_colours_and_records_overdue_exactly_once(self):
        self.district()
        [problem] = self.inspect(self.dept, ProblemFound("work_discipline", "脱岗",
                                                         unit_id=self.dept))
        slow = self.app.issue_notice(self.dept, [problem], d(3, 31), False, self.inspector,
                                     at(3, 12))
        quick = self.app.issue_notice(self.town, [problem], d(3, 31), False, self.inspector,
                                      at(3, 12))
        town_cadre = uuid.uuid4()
        cadre = self.app.issue_notice(self.town, [problem], d(4, 30), False, self.inspector,
                                      at(3, 12), recipient_cadre_id=town_cadre)
        self.app.acknowledge_notice(quick, self.town_clerk, at(3, 13))
        self.app.report_rectification(quick, "已整改", self.town_clerk, at(3, 20))
        recorded = [self.app.check_deadlines(at(*day)) for day in
                    [(3, 20), (3, 24), (3, 25), (3, 28), (3, 31), (4, 1), (4, 1), (4, 8)]]
        assert recorded == [[], [slow], [], [slow], [], [slow], [], []]
        # A second process replaying the clock records nothing new.
        other = self.open_app()
        try:
            assert other.check_deadlines(at(4, 9)) == []
        finally:
            other.close()
        kinds = [e["type"].split(".")[2] for e in self.events() if e["subject"] == str(slow)]
        assert kinds == ["rectification_notice_issued", "rectification_notice_urgency_raised",
                         "rectification_notice_urgency_raised", "rectification_notice_overdue"]
        # Step. Open notices by unit and colour, and overdue notices, as of any day.
        on_mar_29 = {o.notice.notice_id: o.colour for o in self.app.open_notices(d(3, 29))}
        assert on_mar_29 == {slow: "yellow", quick: "green", cadre: "green"}
        assert [o.notice.notice_id for o in self.app.open_notices(d(4, 25), colour="blue")] == [
            cadre]
        assert [o.notice.notice_id for o in self.app.overdue_notices(d(4, 5))] == [slow]
        assert self.app.overdue_notices(d(3, 31)) == []
        by_unit = {u.unit_id: u.by_colour for u in self.app.open_notices_by_unit(d(4, 5))}
        assert by_unit[self.dept] == {"green": 0, "blue": 0, "yellow": 0, "red": 1}
        assert by_unit[self.town]["green"] == 2
        assert self.app.get_notice(slow).colour_recorded == "red"
        # Step. A notice escalated to casework is a self-contained lead, published once.
        self.app.escalate_notice(slow, "逾期未整改", self.inspector, at(4, 10))
        with pytest.raises(NoticeAlreadyEscalatedError):
            self.app.escalate_notice(slow, "again", self.inspector, at(4, 11))
        [lead] = [e for e in self.events()
                  if e["type"] == "dutytrail.supervision.rectification_notice_escalated.v1"]
        assert lead["dataclassification"] == "internal"
        assert lead["data"]["notice_id"] == str(slow)
        assert lead["data"]["recipient_unit_id"] == str(self.dept)
        assert lead["data"]["problems"][0]["description"] == "脱岗"
        assert lead["data"]["reason"] == "逾期未整改"

    def test_bulletins_are_numbered_per_kind_and_year_and_refuse_bad_citations(self):
        self.district()
        [problem] = self.inspect(self.dept, ProblemFound("work_discipline", "脱岗",
                                                         unit_id=self.dept))
        notice = self.app.issue_notice(self.dept, [problem], d(3, 31), True, self.inspector,
                                       at(3, 12))
        issue = self.app.issue_bulletin
        c1 = issue("circular", "c-1", "第1期", "", self.inspector, at(3, 13),
                   problem_ids=[problem], notice_ids=[notice])
        s1 = issue("special_report", "s-1", "专报1", "", self.inspector, at(3, 14))
        c2 = issue("circular", "c-2", "第2期", "", self.inspector, at(3, 20))
        m1 = issue("meeting_circular", "m-1", "会议通报", "", self.inspector, at(3, 25),
                   meeting="全区警示教育大会")
        c2027 = issue("circular", "c-2027", "新年第1期", "", self.inspector, at(1, 8, 2027))
        before = len(self.events())
        # Step. Refusals: an unknown notice, a repeated request, a meeting circular without
        # its meeting. None stores anything or consumes a number.
        with pytest.raises(BulletinCitesUnknownNoticeError, match="does not exist"):
            issue("circular", "c-3", "第3期", "", self.inspector, at(3, 27),
                  notice_ids=[notice, uuid.uuid4()])
        with pytest.raises(DuplicateBulletinRequestError, match=r"No\. 2 of 2026"):
            issue("circular", "c-2", "第2期", "", self.inspector, at(3, 27))
        with pytest.raises(InvalidBulletinError):
            issue("meeting_circular", "m-2", "会议通报", "", self.inspector, at(3, 27))
        assert len(self.events()) == before
        c3 = issue("circular", "c-3", "第3期", "", self.inspector, at(3, 28))
        # Step. The register per year and kind.
        register = self.app.bulletin_register(2026)
        assert [(b.kind, b.number) for b in register] == [
            ("special_report", 1), ("circular", 1), ("circular", 2), ("circular", 3),
            ("meeting_circular", 1)]
        assert [b.bulletin_id for b in self.app.bulletin_register(2026, "circular")] == [
            c1, c2, c3]
        assert [b.bulletin_id for b in self.app.bulletin_register(2027)] == [c2027]
        assert [b.number for b in self.app.bulletin_register(2026, as_of=d(3, 20))] == [1, 1, 2]
        first = self.app.get_bulletin(c1)
        assert first.notice_ids == [notice]
        assert [p["problem_id"] for p in first.problems] == [problem]
        assert (self.app.get_bulletin(s1).number, self.app.get_bulletin(m1).meeting) == (
            1, "全区警示教育大会")

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
                        "circular", f"t{n}-{i}", f"通报 {n}-{i}", "", self.inspector, at(5, 6)))
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
        register = self.app.bulletin_register(2026, "circular")
        assert sorted(b.number for b in register) == list(range(1, threads_count * each + 1))
        assert {b.bulletin_id for b in register} == set(issued)
        assigned = [e for e in self.events() if e["type"].endswith("bulletin_number_assigned.v1")]
        assert sorted(e["data"]["number"] for e in assigned) == list(range(1, 13))

    def test_a_number_taken_by_another_process_meanwhile_is_retried_not_lost(self):
        self.district()
        other = self.open_app()
        self.app.issue_bulletin("circular", "first", "第1期", "", self.inspector, at(5, 1))
        register_id = BulletinRegister.create_id("circular", 2026)
        interloper: list[Callable[[], uuid.UUID]] = [
            lambda: other.issue_bulletin("circular", "meanwhile", "插队", "", self.inspector,
                                         at(5, 2))
        ]
        find = self.app._find

        def find_then_let_another_issue(aggregate_id: uuid.UUID) -> Any:
            found = find(aggregate_id)
            if aggregate_id == register_id and interloper:
                interloper.pop()()  # another process takes number 2 after we read the register
            return found

        self.app._find = find_then_let_another_issue  # type: ignore[method-assign]
        try:
            mine = self.app.issue_bulletin("circular", "mine", "第3期", "", self.inspector,
                                           at(5, 2))
        finally:
            other.close()
        assert self.app.get_bulletin(mine).number == 3
        assert [b.title for b in self.app.bulletin_register(2026)] == ["第1期", "插队", "第3期"]

    def test_quarterly_reports_are_on_time_late_or_flagged_missing_once(self):
        self.district()
        late_unit = self.upstream.register_unit("S01", "**街道", "subdistrict", self.pc,
                                                self.pc_clerk, at(4, 2))
        self.sync()
        sub_clerk = Actor(uuid.uuid4(), late_unit)
        # Step. Refusals.
        with pytest.raises(UnitNotFoundError, match="quarterly report"):
            self.app.submit_quarterly_report(uuid.uuid4(), 2026, 1, "x", self.dept_clerk,
                                             at(4, 5))
        with pytest.raises(UnitDoesNotReportError, match="community"):
            self.app.submit_quarterly_report(self.community, 2026, 1, "x",
                                             self.community_clerk, at(4, 5))
        with pytest.raises(NotPermittedError):
            self.app.submit_quarterly_report(self.dept, 2026, 1, "x", self.town_clerk, at(4, 5))
        # Step. Q1: the department on time, the town late, the commission never.
        self.app.submit_quarterly_report(self.dept, 2026, 1, "一季度汇报", self.dept_clerk,
                                         at(4, 10))
        with pytest.raises(QuarterlyReportAlreadySubmittedError):
            self.app.submit_quarterly_report(self.dept, 2026, 1, "again", self.dept_clerk,
                                             at(4, 11))
        recorded = [self.app.check_deadlines(at(4, 10)), self.app.check_deadlines(at(4, 11)),
                    self.app.check_deadlines(at(4, 12))]
        assert recorded[0] == [] and recorded[2] == []
        assert len(recorded[1]) == 2  # the town and the commission
        self.app.submit_quarterly_report(self.town, 2026, 1, "补报", self.town_clerk, at(4, 15))
        rows = {r.unit_name: r for r in self.app.quarterly_compliance(2026, 1, d(4, 30))}
        assert set(rows) == {"区纪委监委", "区财政局", "**镇"}  # no community, no late unit
        assert (rows["区财政局"].status, rows["区财政局"].missing_flagged) == ("on_time", False)
        assert (rows["**镇"].status, rows["**镇"].days_late, rows["**镇"].missing_flagged) == (
            "late", 5, True)
        assert rows["区纪委监委"].status == "missing"
        on_apr_5 = {r.unit_name: r.status for r in self.app.quarterly_compliance(2026, 1, d(4, 5))}
        assert on_apr_5 == {"区纪委监委": "pending", "区财政局": "pending", "**镇": "pending"}
        # Step. Q2 includes the subdistrict registered in April.
        self.app.submit_quarterly_report(late_unit, 2026, 2, "二季度", sub_clerk, at(7, 3))
        q2 = {r.unit_name: r.status for r in self.app.quarterly_compliance(2026, 2, d(7, 31))}
        assert q2 == {"区纪委监委": "missing", "区财政局": "missing", "**镇": "missing",
                      "**街道": "on_time"}
        [dept_q2] = self.app.quarterly_compliance(2026, 2, d(7, 31), unit_id=self.dept)
        assert dept_q2.deadline == d(7, 10)
        assert len(self.app.check_deadlines(at(7, 11))) == 3
        assert self.app.check_deadlines(at(8, 1)) == []
        missing = [e for e in self.events() if e["type"].endswith("quarterly_report_missing.v1")]
        assert sorted((e["data"]["quarter"], e["data"]["unit_id"]) for e in missing) == sorted(
            [(1, str(self.town)), (1, str(self.commission)), (2, str(self.commission)),
             (2, str(self.dept)), (2, str(self.town))])

    def test_the_disclosure_trail_is_kept_in_order_and_boards_cover_communities(self):
        self.district()
        second = self.upstream.register_unit("C02", "**二社区", "community", self.town,
                                             self.pc_clerk, at(2, 1))
        self.sync()
        # Step. A decision traced from topic to supervised execution.
        decision = self.app.collect_topic(self.town, "低保评定", "群众议事会", self.town_clerk,
                                          at(2, 3))
        with pytest.raises(DisclosureStepOutOfOrderError, match="decided at a meeting"):
            self.app.publish_decision_result(decision, "公开栏", "名单", self.town_clerk, at(2, 4))
        self.app.decide_at_meeting(decision, "镇党委会", "通过名单", self.town_clerk, at(2, 5))
        self.app.publish_decision_result(decision, "公开栏", "名单", self.town_clerk, at(2, 6))
        self.app.supervise_decision_execution(decision, "按名单发放", self.inspector, at(3, 1))
        trail = self.app.get_decision(decision)
        assert trail.complete
        assert [(s.step, s.actor["unit_id"], s.at) for s in trail.steps] == [
            ("topic_collected", self.town, at(2, 3)), ("decided", self.town, at(2, 5)),
            ("result_published", self.town, at(2, 6)),
            ("execution_supervised", self.commission, at(3, 1))]
        assert [t.decision_id for t in self.app.list_decisions(incomplete_only=True,
                                                               as_of=d(2, 10))] == [decision]
        assert self.app.list_decisions(incomplete_only=True) == []
        # Step. Boards, one per community.
        with pytest.raises(NotACommunityError):
            self.app.install_disclosure_board(self.town, "镇政府门口", self.town_clerk, at(2, 1))
        self.app.install_disclosure_board(self.community, "社区服务站", self.community_clerk,
                                          at(2, 10))
        with pytest.raises(DisclosureBoardAlreadyInstalledError):
            self.app.install_disclosure_board(self.community, "again", self.community_clerk,
                                              at(2, 11))
        self.app.post_to_disclosure_board(self.community, "低保名单公示", self.community_clerk,
                                          at(2, 12))
        gap = self.app.disclosure_coverage(d(2, 28))
        assert (gap.with_board, gap.without_board, gap.complete) == (
            [self.community], [second], False)
        self.app.install_disclosure_board(second, "二社区广场", self.community_clerk, at(3, 2))
        assert self.app.disclosure_coverage(d(3, 31)).complete
        assert self.app.disclosure_coverage(d(1, 31)).communities == [self.community]

    def test_an_unannounced_visit_leaks_nothing_until_it_has_been_conducted(self):
        self.district()
        visit = self.app.schedule_unannounced_visit(self.inspector, at(4, 28))
        [scheduled] = [e for e in self.events() if e["subject"] == str(visit)]
        assert scheduled["type"] == "dutytrail.supervision.unannounced_visit_scheduled.v1"
        assert scheduled["dataclassification"] == "confidential"
        assert set(scheduled["data"]) == {"visit_id", "actor"}
        assert self.app.list_inspections(d(1, 1), d(12, 31)) == []
        # Step. Conducted: now where, when and whom are recorded.
        self.app.conduct_unannounced_visit(
            visit, self.report(self.town, held_on=d(5, 1), problems=[
                ProblemFound("eight_point_rules", "公车私用", cadre_id=uuid.uuid4())]),
            self.inspector, at(5, 1))
        with pytest.raises(VisitAlreadyConductedError):
            self.app.conduct_unannounced_visit(visit, self.report(self.town), self.inspector)
        conducted = [e for e in self.events() if e["subject"] == str(visit)][-1]
        assert conducted["data"]["unit_ids"] == [str(self.town)]
        assert conducted["data"]["held_on"] == "2026-05-01"
        [seen] = self.app.list_inspections(d(5, 1), d(5, 1), unit_id=self.town)
        assert seen.kind == "unannounced_visit"
        assert seen.problems[0]["category"] == "eight_point_rules"

    def test_a_key_project_inspection_names_a_project_on_the_list(self):
        self.district()
        projects = self.app.publish_key_project_list(
            2026, "2026年百个重点项目", [KeyProject("P001", "棚户区改造", self.town)],
            self.inspector, at(1, 20))
        self.app.add_key_project(projects, KeyProject("P002", "道路提升", self.dept),
                                 self.inspector, at(1, 21))
        with pytest.raises(ProjectNotOnListError):
            self.app.record_inspection("key_project", self.report(self.town), self.inspector,
                                       at(3, 3), project_list_id=projects, project_code="P404")
        with pytest.raises(UnitNotFoundError):
            self.app.publish_key_project_list(2026, "x", [KeyProject("P9", "y", uuid.uuid4())],
                                              self.inspector, at(1, 22))
        inspection = self.app.record_inspection(
            "key_project", self.report(self.town, held_on=d(3, 3)), self.inspector, at(3, 3),
            project_list_id=projects, project_code="P002")
        [seen] = self.app.list_inspections(d(3, 1), d(3, 31), kind="key_project")
        assert seen.inspection_id == inspection
        assert seen.project == {"project_list_id": projects, "code": "P002", "name": "道路提升",
                                "lead_unit_id": self.dept}

    def test_a_year_of_supervision_gives_the_seeds_counts_and_publishes_every_event_type(self):
        self.district()
        up = self.upstream
        cadre_person = uuid.uuid4()
        leader = up.register_cadre(cadre_person, "王伟", self.dept, "局长", "财政", True, True,
                                   self.pc_clerk, at(1, 5))
        up.create_task(2026, "述责述廉", "年中述职", self.dept, [], leader, d(6, 30),
                       self.pc_clerk, at(1, 10))
        up.check_deadlines(at(7, 1))
        self.sync()
        # Step. Inspections of every kind, with problems.
        projects = self.app.publish_key_project_list(
            2026, "百个重点项目", [KeyProject("P001", "棚户区改造", self.town)], self.inspector,
            at(1, 20))
        self.app.add_key_project(projects, KeyProject("P002", "道路", self.dept), self.inspector,
                                 at(1, 21))
        problem = ProblemFound("work_discipline", "脱岗", unit_id=self.dept)
        cadre_problem = ProblemFound("eight_point_rules", "违规吃喝", unit_id=self.town,
                                     cadre_id=uuid.uuid4())
        for kind, when in [("weekly", at(3, 2)), ("weekly", at(7, 6)), ("open_visit", at(4, 3)),
                           ("land_acquisition_demolition", at(6, 5))]:
            self.app.record_inspection(kind, self.report(self.dept, self.town,
                                                         held_on=when.date(),
                                                         problems=[problem]),
                                       self.inspector, when)
        self.app.record_inspection("key_project", self.report(self.town, held_on=d(5, 5)),
                                   self.inspector, at(5, 5), project_list_id=projects,
                                   project_code="P001")
        visit = self.app.schedule_unannounced_visit(self.inspector, at(8, 1))
        self.app.conduct_unannounced_visit(
            visit, self.report(self.town, held_on=d(8, 3), problems=[cadre_problem]),
            self.inspector, at(8, 3))
        cancelled = self.app.schedule_unannounced_visit(self.inspector, at(8, 2))
        self.app.cancel_unannounced_visit(cancelled, self.inspector, at(8, 4))
        found = {p["description"]: p for i in self.app.list_inspections(d(1, 1), d(12, 31))
                 for p in i.problems}
        dept_problem, cadre_problem_id = found["脱岗"]["problem_id"], found["违规吃喝"]["problem_id"]
        # Step. Notices to a district unit, two to a community, one to a cadre, and their
        # lifecycle; one in December is outside January–November.
        to_dept = self.app.issue_notice(self.dept, [dept_problem], d(9, 30), True,
                                        self.inspector, at(9, 1))
        self.app.issue_notice(self.community, [dept_problem], d(9, 30), False, self.inspector,
                              at(9, 2))
        self.app.issue_notice(self.community, [dept_problem], d(10, 30), False, self.inspector,
                              at(10, 2))
        to_cadre = self.app.issue_notice(self.town, [cadre_problem_id], d(9, 30), True,
                                         self.inspector, at(9, 3), recipient_cadre_id=uuid.uuid4())
        self.app.issue_notice(self.town, [dept_problem], d(12, 31), False, self.inspector,
                              at(12, 2))
        self.app.acknowledge_notice(to_dept, self.dept_clerk, at(9, 2))
        self.app.report_rectification(to_dept, "已整改", self.dept_clerk, at(9, 10), "检查")
        self.app.send_back_rectification(to_dept, "不彻底", self.inspector, at(9, 11))
        self.app.report_rectification(to_dept, "再整改", self.dept_clerk, at(9, 20), "检查")
        self.app.verify_rectification(to_dept, "属实", self.inspector, at(9, 25))
        self.app.close_notice(to_dept, self.inspector, at(9, 26))
        self.app.check_deadlines(at(9, 25))
        self.app.check_deadlines(at(10, 1))
        self.app.escalate_notice(to_cadre, "逾期拒不整改", self.inspector, at(10, 2))
        # Step. Bulletins, reports, the disclosure trail and boards.
        for n, (kind, meeting) in enumerate([("special_report", None), ("special_report", None),
                                             ("circular", None),
                                             ("meeting_circular", "全区大会")]):
            self.app.issue_bulletin(kind, f"r{n}", f"第{n}期", "", self.inspector, at(10, 10 + n),
                                    problem_ids=[dept_problem], notice_ids=[to_dept],
                                    meeting=meeting)
        self.app.issue_bulletin("circular", "december", "12月", "", self.inspector, at(12, 5))
        self.app.submit_quarterly_report(self.dept, 2026, 1, "一季度", self.dept_clerk, at(4, 8))
        decision = self.app.collect_topic(self.town, "议题", "征集", self.town_clerk, at(2, 1))
        self.app.decide_at_meeting(decision, "党委会", "决定", self.town_clerk, at(2, 2))
        self.app.publish_decision_result(decision, "公开栏", "结果", self.town_clerk, at(2, 3))
        self.app.supervise_decision_execution(decision, "执行到位", self.inspector, at(3, 3))
        self.app.install_disclosure_board(self.community, "服务站", self.community_clerk, at(2, 1))
        self.app.post_to_disclosure_board(self.community, "公示", self.community_clerk, at(2, 2))
        # Step. The seed's figures for January–November.
        counts = self.app.period_counts(d(1, 1), d(11, 30))
        assert (counts.special_reports, counts.circulars, counts.meeting_circulars) == (2, 1, 1)
        assert counts.notices == {"unit": 1, "community": 2, "cadre": 1}
        assert counts.notice_recipients == {"unit": 1, "community": 1, "cadre": 1}
        assert counts.inspections == {"weekly": 2, "open_visit": 1,
                                      "land_acquisition_demolition": 1, "key_project": 1,
                                      "unannounced_visit": 1}
        assert counts.problems_found == 5
        assert self.app.period_counts(d(1, 1), d(12, 31)).circulars == 2
        assert self.app.period_counts(d(1, 1), d(11, 30), as_of=d(10, 10)).special_reports == 1
        # Step. Every supervision event type was stored and became a valid CloudEvent.
        self.app.check_deadlines(at(12, 31))
        events = self.events()
        published = Counter(e["type"] for e in events)
        expected = {c.type for c in all_contracts() if c.service == "supervision"}
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

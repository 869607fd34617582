"""Tasks to people, coverage, boilerplate detection and integrity education, on both stores."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.responsibility.domain import (
    ParticipantListError,
    TaskDeadlineAfterParentError,
    TaskHasNoCoUnitsError,
    TaskHasOpenSubtasksError,
    TopLeaderPostTakenError,
)
from shared.contracts.responsibility import EducationKind
from shared.errors import NotPermittedError
from shared.persistence import drop_postgres_schemas
from shared.settings import StoreSettings
from tests.conftest import postgres_settings, sqlite_settings
from tests.integration.test_responsibility_application import (
    ResponsibilityScenario,
    at,
    content,
    someone,
)

CLAUSES = [
    {"text": "严格执行项目审批程序，杜绝“打招呼”“批条子”，审批结果一律在政务公开栏公示。", "risk_point": "项目审批"},
    {"text": "民生资金拨付全程留痕，按月公开发放台账，接受群众监督和审计检查。", "risk_point": "资金拨付"},
]
OTHER_CLAUSES = [
    {"text": "坚持集体研究决定干部任免，严防带病提拔，任前征求纪检监察机关意见。", "risk_point": "人事任免"},
]


class TaskScenarios(ResponsibilityScenario):
    def organisation(self):
        pc, clerk, dept = self.district()
        top_person, member_person = uuid.uuid4(), uuid.uuid4()
        top = self.app.register_cadre(person_id=top_person, name="王伟", unit_id=dept, post_title="局长",
                                      line_of_work="财政", leadership_member=True, top_leader=True,
                                      actor=clerk, occurred_at=at(1, 3))
        member = self.app.register_cadre(person_id=member_person, name="李娜", unit_id=dept,
                                         post_title="副局长", line_of_work="预算", leadership_member=True,
                                         actor=clerk, occurred_at=at(1, 3))
        dept_clerk = someone(dept)
        return pc, clerk, dept, dept_clerk, (top, top_person), (member, member_person)

    def test_tasks_break_down_to_people_and_colour_as_of_any_day(self):
        pc, clerk, dept, dept_clerk, (top, _), (member, _) = self.organisation()
        # Step. The party committee gives the department a task; the department breaks it down.
        task = self.app.create_task(year=2026, title="廉政风险点排查", requirement="每个岗位列出风险点",
                                    lead_unit_id=dept, responsible_cadre_id=top,
                                    deadline=date(2026, 6, 30), actor=clerk, occurred_at=at(1, 10))
        budget_review = {"parent_task_id": task, "title": "预算科排查", "requirement": "列出预算风险点",
                         "lead_unit_id": dept, "responsible_cadre_id": member,
                         "occurred_at": at(1, 12)}
        with pytest.raises(TaskDeadlineAfterParentError):
            self.app.break_down_task(**budget_review, deadline=date(2026, 7, 15), actor=dept_clerk)
        with pytest.raises(NotPermittedError):
            self.app.break_down_task(**budget_review, deadline=date(2026, 6, 15), actor=someone(pc))
        child = self.app.break_down_task(**budget_review, deadline=date(2026, 6, 15), actor=dept_clerk)
        # Down to an office of the department and a person in it.
        office = self.app.register_unit(code="D01-YS", name="预算科", kind="office", parent_unit_id=dept,
                                        actor=clerk, occurred_at=at(1, 2))
        section_chief = self.app.register_cadre(person_id=uuid.uuid4(), name="周敏", unit_id=office,
                                                post_title="科长", line_of_work="预算", actor=clerk,
                                                occurred_at=at(1, 3))
        grandchild = self.app.break_down_task(parent_task_id=child, title="预算岗自查",
                                              requirement="岗位自查", lead_unit_id=office,
                                              responsible_cadre_id=section_chief,
                                              deadline=date(2026, 6, 1), actor=dept_clerk,
                                              occurred_at=at(1, 13))
        # Step. A parent cannot complete before its subtasks.
        with pytest.raises(TaskHasOpenSubtasksError, match="预算科排查"):
            self.app.complete_task(task_id=task, actor=dept_clerk, occurred_at=at(5, 1))
        # Step. The tree, as of different days.
        office_clerk = someone(office)
        self.app.report_progress(task_id=grandchild, percent=60, note="过半", actor=office_clerk,
                                 occurred_at=at(5, 20))
        self.app.complete_task(task_id=grandchild, actor=office_clerk, occurred_at=at(5, 30))
        [root] = self.app.task_tree(dept, as_of=date(2026, 5, 31))
        assert root.task_id == task
        assert [n.task_id for n in root.subtasks] == [child]
        assert [n.task_id for n in root.subtasks[0].subtasks] == [grandchild]
        assert root.colour == "blue"
        assert root.subtasks[0].colour == "blue"
        assert root.subtasks[0].subtasks[0].colour == "green"
        [on_may_25] = self.app.task_tree(dept, as_of=date(2026, 5, 25))
        assert on_may_25.subtasks[0].subtasks[0].colour == "yellow"  # due 1 June, 7 days left
        assert on_may_25.subtasks[0].subtasks[0].progress == 60
        [late] = self.app.task_tree(dept, as_of=date(2026, 6, 24))
        assert late.subtasks[0].colour == "red"
        assert late.colour == "yellow"  # 6 days left
        assert [t.task_id for t in self.app.overdue_tasks(date(2026, 6, 20))] == [child]
        assert self.app.overdue_tasks(date(2026, 6, 10)) == []

    def test_check_deadlines_warns_and_marks_tasks_overdue_exactly_once(self):
        _pc, clerk, dept, dept_clerk, (top, _), _ = self.organisation()
        due_june_30 = {"year": 2026, "lead_unit_id": dept, "responsible_cadre_id": top,
                       "deadline": date(2026, 6, 30), "actor": clerk, "occurred_at": at(1, 10)}
        task = self.app.create_task(title="述责述廉", requirement="年中述职", **due_june_30)
        done = self.app.create_task(title="签订责任书", requirement="全部签订", **due_june_30)
        self.app.complete_task(task_id=done, actor=dept_clerk, occurred_at=at(6, 1))
        recorded = []
        for month, d in [(6, 22), (6, 23), (6, 24), (6, 27), (6, 28), (7, 1), (7, 1), (7, 8)]:
            recorded.append(self.app.check_deadlines(at(month, d)))
        assert recorded == [[], [task], [], [task], [], [task], [], []]
        kinds = [e["type"].split(".")[2] for e in self.app.events_after(0) if e["subject"] == str(task)]
        assert kinds == ["task_created", "task_deadline_warning", "task_deadline_warning", "task_overdue"]

    def test_coverage_names_everyone_and_every_unit_not_yet_covered(self):
        pc, clerk, dept, _dept_clerk, (top, top_person), (member, member_person) = self.organisation()
        town = self.app.register_unit(code="T01", name="**镇", kind="town", parent_unit_id=pc,
                                      actor=clerk, occurred_at=at(1, 2))
        community = self.app.register_unit(code="C01", name="**社区", kind="community",
                                           parent_unit_id=town, actor=clerk, occurred_at=at(1, 2))
        gap = self.app.coverage(2026, date(2026, 1, 31))
        # Vertical to every level: the community is covered as well as the town above it.
        assert set(gap.units_without_signed_letter) == {dept, town, community}
        assert set(gap.units_without_task) == {dept, town, community}
        assert set(gap.leaders_without_signed_letter) == {top, member}
        assert set(gap.units_without_top_leader) == {town, community}
        # Step. Letters and tasks for the department's two leaders.
        top_letter = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=top, common_clauses=["共性"],
                           individual_clauses=CLAUSES),
            actor=clerk, occurred_at=at(1, 10))
        self.app.set_top_leader_duties(letter_id=top_letter, duties=["负总责"], actor=clerk,
                                       occurred_at=at(1, 11))
        self.sign(top_letter, self.own(top_person), at(1, 20))
        member_letter = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=member, common_clauses=["共性"],
                           individual_clauses=OTHER_CLAUSES),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(member_letter, self.own(member_person), at(2, 3))
        self.app.create_task(year=2026, title="t", requirement="r", lead_unit_id=dept,
                             co_unit_ids=[town], responsible_cadre_id=top,
                             deadline=date(2026, 6, 30), actor=clerk, occurred_at=at(2, 5))
        on_feb_1 = self.app.coverage(2026, date(2026, 2, 1))
        assert on_feb_1.leaders_without_signed_letter == [member]
        assert on_feb_1.units_whose_top_leader_lacks_duties_letter == []
        now = self.app.coverage(2026, date(2026, 3, 1))
        assert set(now.units_without_signed_letter) == {town, community}
        assert now.units_without_task == [community]  # the town is a co-unit
        assert now.leaders_without_task == [member]
        assert now.leaders_without_signed_letter == []
        assert not now.complete
        # A top leader whose letter lacks the top leader's duties is named.
        town_top_person = uuid.uuid4()
        town_top = self.app.register_cadre(person_id=town_top_person, name="赵强", unit_id=town,
                                           post_title="镇党委书记", line_of_work="全面",
                                           leadership_member=True, top_leader=True, actor=clerk)
        assert self.app.coverage(2026, date(2026, 12, 31)).units_whose_top_leader_lacks_duties_letter == [town]
        assert town_top in self.app.coverage(2026, date(2026, 12, 31)).leaders_without_signed_letter

    def test_a_units_two_top_leaders_each_hold_a_letter_with_the_top_leaders_duties(self):
        pc, clerk, dept = self.district()
        secretary_person, head_person = uuid.uuid4(), uuid.uuid4()
        secretary = self.app.register_cadre(
            person_id=secretary_person, name="王伟", unit_id=dept, post_title="党组书记",
            line_of_work="全面", leadership_member=True, top_leader=True, actor=clerk,
            occurred_at=at(1, 3))
        head = self.app.register_cadre(
            person_id=head_person, name="李娜", unit_id=dept, post_title="局长",
            line_of_work="全面", leadership_member=True, top_leader=True, actor=clerk,
            occurred_at=at(1, 3))
        # A unit's principal leaders are two, in distinct posts: a third or a repeat is refused.
        before = len(self.app.events_after(0))
        for post in ("党组书记", "副局长"):
            with pytest.raises(TopLeaderPostTakenError):
                self.app.register_cadre(
                    person_id=uuid.uuid4(), name="赵强", unit_id=dept, post_title=post,
                    line_of_work="全面", leadership_member=True, top_leader=True, actor=clerk)
        assert len(self.app.events_after(0)) == before
        gap = self.app.coverage(2026, date(2026, 1, 31))
        assert gap.top_leaders_without_duties_letter == sorted([secretary, head], key=str)
        assert gap.units_without_top_leader == []
        # Step. The secretary signs a letter with the top leader's duties: the head still owes one.
        to_secretary = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=secretary, individual_clauses=CLAUSES,
                           top_leader_duties=["负总责"]),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(to_secretary, self.own(secretary_person), at(1, 20))
        gap = self.app.coverage(2026, date(2026, 1, 31))
        assert gap.top_leaders_without_duties_letter == [head]
        assert gap.units_whose_top_leader_lacks_duties_letter == [dept]
        # Step. The head's own letter covers the head.
        to_head = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=head, individual_clauses=OTHER_CLAUSES,
                           top_leader_duties=["负总责"]),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(to_head, self.own(head_person), at(1, 25))
        assert self.app.coverage(2026, date(2026, 1, 31)).top_leaders_without_duties_letter == []
        assert self.app.coverage(2026, date(2026, 1, 24)).top_leaders_without_duties_letter == [head]

    def test_coverage_reaches_the_offices_and_communities_of_every_unit(self):
        pc, clerk, dept = self.district()
        town = self.app.register_unit(code="T01", name="**镇", kind="town", parent_unit_id=pc,
                                      actor=clerk, occurred_at=at(1, 2))
        community = self.app.register_unit(code="C01", name="**社区", kind="community",
                                           parent_unit_id=town, actor=clerk, occurred_at=at(1, 2))
        office = self.app.register_unit(code="D01-1", name="预算科", kind="office",
                                        parent_unit_id=dept, actor=clerk, occurred_at=at(1, 2))
        gap = self.app.coverage(2026, date(2026, 1, 31))
        assert set(gap.units_without_signed_letter) == {dept, town, community, office}
        assert set(gap.units_without_task) == {dept, town, community, office}
        assert set(gap.units_without_top_leader) == {dept, town, community}
        # Step. The office's head signs a letter and takes a task: the office is covered.
        head_person = uuid.uuid4()
        head = self.app.register_cadre(person_id=head_person, name="孙敏", unit_id=office,
                                       post_title="科长", line_of_work="预算", actor=clerk,
                                       occurred_at=at(1, 3))
        to_office = self.app.draft_letter(
            letter=content(pc, office, signatory_cadre_id=head, individual_clauses=CLAUSES),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(to_office, self.own(head_person), at(1, 20))
        self.app.create_task(year=2026, title="科室自查", requirement="r", lead_unit_id=office,
                             responsible_cadre_id=head, deadline=date(2026, 6, 30),
                             actor=clerk, occurred_at=at(1, 21))
        gap = self.app.coverage(2026, date(2026, 1, 31))
        assert office not in gap.units_without_signed_letter + gap.units_without_task
        assert community in gap.units_without_signed_letter

    @pytest.mark.parametrize("variant", ["exact", "few_characters", "reordered", "different"])
    def test_boilerplate_letters_are_flagged_naming_the_other_letter(self, variant):
        pc, clerk, dept, _dept_clerk, (top, top_person), (member, member_person) = self.organisation()
        first = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=top, common_clauses=["共性"],
                           individual_clauses=CLAUSES, top_leader_duties=["负总责"]),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(first, self.own(top_person), at(1, 20))
        copy = {
            "exact": [dict(c) for c in CLAUSES],
            "few_characters": [
                {"text": CLAUSES[0]["text"].replace("项目", "工程"), "risk_point": "项目审批"},
                {"text": CLAUSES[1]["text"].replace("按月", "每月"), "risk_point": "资金拨付"},
            ],
            "reordered": [CLAUSES[1], CLAUSES[0]],
            "different": OTHER_CLAUSES,
        }[variant]
        second = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=member, common_clauses=["共性"],
                           individual_clauses=copy),
            actor=clerk, occurred_at=at(1, 10))
        self.sign(second, self.own(member_person), at(1, 21))
        flagged = self.app.flagged_letters(2026)
        flags = [e for e in self.app.events_after(0) if e["type"].endswith("letter_flagged_as_boilerplate.v1")]
        if variant == "different":
            assert flagged == [] and flags == []
            return
        assert [v.letter_id for v in flagged] == [second]
        assert flagged[0].flagged_like == first
        assert len(flags) == 1
        assert flags[0]["data"]["similar_letter_id"] == str(first)
        assert flags[0]["data"]["similarity"] >= 0.85
        # The flag is part of the signing: it is stored right after the signature.
        # (The letters' posts have no risk-point register, so the same save also flags them
        # for clauses outside it.)
        signed = [e for e in self.app.events_after(0) if e["subject"] == str(second)
                  and not e["type"].endswith("outside_risk_register.v1")]
        assert [e["type"].split(".")[2] for e in signed][-2:] == [
            "letter_signed", "letter_flagged_as_boilerplate",
        ]
        # As of before the second signing, nothing was flagged.
        assert self.app.flagged_letters(2026, as_of=date(2026, 1, 20)) == []

    def test_education_totals_by_period_and_as_of(self):
        pc, _clerk, dept, dept_clerk, _, _ = self.organisation()
        activities: list[tuple[EducationKind, date, int, datetime]] = [
            ("study_session", date(2026, 1, 15), 40, at(1, 16)),
            ("phone_class", date(2026, 2, 3), 120, at(2, 4)),
            ("warning_education_visit", date(2026, 4, 8), 86, at(4, 9)),
            ("study_session", date(2026, 4, 20), 35, at(4, 21)),
        ]
        for kind, held, count, recorded in activities:
            self.app.record_education_activity(kind=kind, title="活动", held_on=held,
                                               organiser_unit_id=dept, participant_count=count,
                                               actor=dept_clerk, occurred_at=recorded)
        q1 = self.app.education_totals(date(2026, 1, 1), date(2026, 3, 31))
        assert q1.activities == {"study_session": 1, "phone_class": 1}
        assert q1.total_participants == 160
        year = self.app.education_totals(date(2026, 1, 1), date(2026, 12, 31))
        assert year.activities["study_session"] == 2
        assert year.participants["study_session"] == 75
        assert year.total_activities == 4 and year.total_participants == 281
        as_of_april = self.app.education_totals(date(2026, 1, 1), date(2026, 12, 31), as_of=date(2026, 4, 10))
        assert as_of_april.total_activities == 3
        assert year.distinct_persons == 0 and year.activities_without_participant_list == 4
        with pytest.raises(NotPermittedError):
            self.app.record_education_activity(kind="party_lecture", title="党课",
                                               held_on=date(2026, 5, 1), organiser_unit_id=dept,
                                               participant_count=10, actor=someone(pc))


    def test_education_counts_distinct_persons_as_well_as_person_times(self):
        _pc, _clerk, dept, dept_clerk, _, _ = self.organisation()
        a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        recorded = []
        listed: list[tuple[EducationKind, date, list[uuid.UUID]]] = [
            ("study_session", date(2026, 1, 15), [a, b]),
            ("study_session", date(2026, 2, 15), [a, c]),
            ("warning_education_visit", date(2026, 4, 8), [a, b, c]),
        ]
        for kind, held, persons in listed:
            recorded.append(self.app.record_education_activity(
                kind=kind, title="活动", held_on=held, organiser_unit_id=dept,
                participant_count=len(persons), participant_person_ids=persons,
                actor=dept_clerk, occurred_at=datetime.combine(held, datetime.min.time(), UTC)))
        self.app.record_education_activity(
            kind="phone_class", title="手机廉政课堂", held_on=date(2026, 3, 3),
            organiser_unit_id=dept, participant_count=120, actor=dept_clerk, occurred_at=at(3, 3))
        year = self.app.education_totals(date(2026, 1, 1), date(2026, 12, 31))
        assert (year.participant_times, year.distinct_persons) == (127, 3)
        assert year.persons == {"study_session": 3, "warning_education_visit": 3}
        assert (year.activities_without_participant_list, year.participant_times_without_list) \
            == (1, 120)
        q1 = self.app.education_totals(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 1, 31))
        assert (q1.participant_times, q1.distinct_persons) == (2, 2)
        # The list is published only when given; the event is otherwise what v1 always was.
        data = {e["subject"]: e["data"] for e in self.app.events_after(0)
                if e["type"].endswith("education_activity_recorded.v1")}
        assert data[str(recorded[0])]["participant_person_ids"] == [str(a), str(b)]
        unlisted = [d for s, d in data.items() if s not in map(str, recorded)]
        assert len(unlisted) == 1 and "participant_person_ids" not in unlisted[0]
        before = len(self.app.events_after(0))
        with pytest.raises(ParticipantListError):
            self.app.record_education_activity(
                kind="party_lecture", title="党课", held_on=date(2026, 5, 1),
                organiser_unit_id=dept, participant_count=2, participant_person_ids=[a, a],
                actor=dept_clerk)
        assert len(self.app.events_after(0)) == before

    def test_a_task_whose_lead_unit_never_convened_its_co_units_is_flagged_once(self):
        pc, clerk, dept, dept_clerk, (top, _), _ = self.organisation()
        town = self.app.register_unit(code="T01", name="**镇", kind="town", parent_unit_id=pc,
                                      actor=clerk, occurred_at=at(1, 2))
        town_clerk = someone(town)
        self.app.settings = dataclasses.replace(self.app.settings, lead_unit_meeting_days=14)
        joint = {"year": 2026, "requirement": "r", "lead_unit_id": dept, "co_unit_ids": [town],
                 "responsible_cadre_id": top, "actor": clerk, "occurred_at": at(1, 10)}
        convened = self.app.create_task(title="民生资金专项检查", deadline=date(2026, 6, 30),
                                        **joint)
        never = self.app.create_task(title="征地拆迁政策落实", deadline=date(2026, 6, 30), **joint)
        alone = self.app.create_task(title="科室自查", year=2026, requirement="r",
                                     lead_unit_id=dept, responsible_cadre_id=top,
                                     deadline=date(2026, 6, 30), actor=clerk)
        before = len(self.app.events_after(0))
        # Step. Only the lead unit's clerk convenes; only a co-unit's clerk reports to it.
        with pytest.raises(NotPermittedError):
            self.app.convene_task_meeting(task_id=convened, held_on=date(2026, 3, 2),
                                          agenda="分工", actor=town_clerk)
        with pytest.raises(NotPermittedError, match="co-units"):
            self.app.report_to_lead_unit(task_id=convened, report="进展", actor=dept_clerk)
        with pytest.raises(TaskHasNoCoUnitsError):
            self.app.convene_task_meeting(task_id=alone, held_on=date(2026, 3, 2),
                                          agenda="分工", actor=dept_clerk)
        assert len(self.app.events_after(0)) == before
        self.app.convene_task_meeting(task_id=convened, held_on=date(2026, 3, 2),
                                      agenda="明确牵头与配合分工", actor=dept_clerk,
                                      occurred_at=at(3, 2))
        self.app.report_to_lead_unit(task_id=convened, report="本镇已完成台账核查",
                                     actor=town_clerk, occurred_at=at(4, 1))
        self.app.report_to_lead_unit(task_id=never, report="本镇已配合入户走访",
                                     actor=town_clerk, occurred_at=at(4, 2))
        # Step. The clock: the convening day is 16 June (14 days before the deadline).
        assert never not in self.app.check_deadlines(at(6, 16))
        flagged_on = self.app.check_deadlines(at(6, 17))
        assert never in flagged_on and convened not in flagged_on
        self.app.check_deadlines(at(6, 24))  # the 7-day warnings, and no second flag
        self.app.check_deadlines(at(7, 1))
        missing = [e for e in self.app.events_after(0)
                   if e["type"].endswith("task_lead_unit_meeting_missing.v1")]
        assert [(e["subject"], e["data"]["convene_by"]) for e in missing] == [
            (str(never), "2026-06-16")]
        # Coverage shows it from that day on (and not before).
        assert self.app.coverage(2026, date(2026, 6, 16)).tasks_whose_lead_unit_never_convened \
            == []
        assert self.app.coverage(2026, date(2026, 6, 17)).tasks_whose_lead_unit_never_convened \
            == [never]
        reports = [e["data"] for e in self.app.events_after(0)
                   if e["type"].endswith("task_co_unit_reported.v1")]
        assert [(d["co_unit_id"], d["lead_unit_id"]) for d in reports] == [
            (str(town), str(dept))] * 2
        meeting = next(e["data"] for e in self.app.events_after(0)
                       if e["type"].endswith("task_lead_unit_meeting_convened.v1"))
        assert (meeting["held_on"], meeting["co_unit_ids"]) == ("2026-03-02", [str(town)])


class TestTasksOnSQLite(TaskScenarios):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return sqlite_settings(tmp_path / "var")


@pytest.mark.postgres
class TestTasksOnPostgres(TaskScenarios):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return postgres_settings(f"t{uuid.uuid4().hex[:10]}_")

    def drop_store(self) -> None:
        drop_postgres_schemas(self.settings)

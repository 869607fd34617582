"""Lead units and co-units (牵头单位、配合单位, issue 10, item 11): the lead unit convenes its
co-units, each co-unit reports to it, and a task whose lead unit never convened by the
convening day is flagged once. Each test is named after its rule (no broker, no database)."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain import (
    Cadre,
    Task,
    TaskAlreadyCompletedError,
    TaskHasNoCoUnitsError,
    convene_by,
    lead_unit_meeting_missing_due,
)
from services.responsibility.settings import ResponsibilitySettings
from services.responsibility.views import District
from shared.actors import SYSTEM_ACTOR, Actor
from shared.contracts.responsibility import TaskLeadUnitMeetingMissing
from shared.errors import NotPermittedError

LEAD, CO, OTHER = uuid4(), uuid4(), uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=LEAD)
CO_CLERK = Actor(person_id=uuid4(), unit_id=CO)
JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
DEADLINE = date(2026, 6, 30)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 30, tzinfo=UTC)


def task(co_units: tuple[UUID, ...] = (CO,)) -> Task:
    head = Cadre(person_id=uuid4(), name="王伟", unit_id=LEAD, post_title="局长",
                 line_of_work="全面", leadership_member=True, top_leader=True, actor=CLERK,
                 occurred_at=JAN)
    return Task.create(task_id=None, year=2026, title="民生资金专项检查", requirement="r",
                       lead_unit_id=LEAD, co_unit_ids=co_units, responsible=head,
                       deadline=DEADLINE, parent_task_id=None, actor=CLERK, occurred_at=JAN)


def test_a_task_whose_lead_unit_never_convened_by_the_convening_day_is_flagged_once():
    t = task()
    # Convening day: the deadline itself (0 days before), or earlier when configured.
    assert convene_by(DEADLINE, 0) == DEADLINE
    assert convene_by(DEADLINE, 14) == date(2026, 6, 16)
    assert not t.record_meeting_missing_if_due(at(6, 16), 14, SYSTEM_ACTOR)
    assert t.record_meeting_missing_if_due(at(6, 17), 14, SYSTEM_ACTOR)
    flagged = t.pending_events[-1]
    assert type(flagged).__qualname__ == "Task.LeadUnitMeetingMissing"
    assert flagged.convene_by == date(2026, 6, 16)  # type: ignore[attr-defined]
    assert not t.record_meeting_missing_if_due(at(6, 24), 14, SYSTEM_ACTOR)
    assert not t.record_meeting_missing_if_due(at(7, 1), 0, SYSTEM_ACTOR)
    data = TaskLeadUnitMeetingMissing.model_validate({
        "actor": SYSTEM_ACTOR.model_dump(), "task_id": t.id, "lead_unit_id": LEAD,
        "deadline": DEADLINE, "convene_by": date(2026, 6, 16),
    })
    assert data.lead_unit_id == LEAD


def test_a_lead_unit_that_convened_by_the_convening_day_is_not_flagged_but_a_late_one_is():
    on_time, late = task(), task()
    on_time.convene_meeting(date(2026, 3, 2), "分工协调", CLERK, at(3, 2))
    late.convene_meeting(date(2026, 6, 20), "补开协调会", CLERK, at(6, 20))
    assert not on_time.record_meeting_missing_if_due(at(7, 1), 14, SYSTEM_ACTOR)
    assert late.record_meeting_missing_if_due(at(7, 1), 14, SYSTEM_ACTOR)
    assert not lead_unit_meeting_missing_due(
        has_co_units=True, meetings_held_on=[date(2026, 6, 30)], deadline=DEADLINE,
        days_before=0, flagged=False, on=date(2026, 7, 1))


def test_a_task_without_co_units_has_no_meeting_to_convene_and_is_never_flagged():
    t = task(co_units=())
    with pytest.raises(TaskHasNoCoUnitsError):
        t.convene_meeting(date(2026, 3, 2), "协调", CLERK, at(3, 2))
    assert not t.record_meeting_missing_if_due(at(12, 31), 0, SYSTEM_ACTOR)


def test_only_a_co_unit_reports_to_the_lead_unit_and_only_while_the_task_is_open():
    t = task()
    for outsider in (CLERK, Actor(person_id=uuid4(), unit_id=OTHER)):
        with pytest.raises(NotPermittedError, match="co-units"):
            t.report_to_lead_unit("进展", outsider, at(3, 5))
    t.report_to_lead_unit("已完成本单位台账核查", CO_CLERK, at(3, 5))
    assert t.co_unit_reports == [CO]
    reported = t.pending_events[-1]
    assert (reported.co_unit_id, reported.lead_unit_id) == (CO, LEAD)  # type: ignore[attr-defined]
    t.complete([], "完成", CLERK, at(6, 1))
    with pytest.raises(TaskAlreadyCompletedError):
        t.report_to_lead_unit("补报", CO_CLERK, at(6, 2))
    with pytest.raises(TaskAlreadyCompletedError):
        t.convene_meeting(date(2026, 6, 2), "协调", CLERK, at(6, 2))


def test_the_read_model_counts_meetings_and_reports_and_the_flag_shows_in_coverage():
    t = task()
    t.report_to_lead_unit("进展", CO_CLERK, at(3, 5))
    t.record_meeting_missing_if_due(at(7, 1), 0, SYSTEM_ACTOR)
    view = District()
    for event in t.pending_events:
        view.apply(event)
    assert view.tasks[t.id].co_unit_reports == 1
    assert view.tasks[t.id].lead_meeting_missing
    assert view.tasks_without_lead_meeting(date(2026, 7, 8), 0) == []
    gaps = view.coverage(2026, date(2026, 7, 8))
    assert gaps.tasks_whose_lead_unit_never_convened == [t.id]
    assert not gaps.complete


def test_the_convening_day_is_configurable_and_by_default_the_deadline(monkeypatch):
    monkeypatch.delenv("DUTYTRAIL_LEAD_UNIT_MEETING_DAYS", raising=False)
    assert ResponsibilitySettings.from_environ().lead_unit_meeting_days == 0
    monkeypatch.setenv("DUTYTRAIL_LEAD_UNIT_MEETING_DAYS", "14")
    assert ResponsibilitySettings.from_environ().lead_unit_meeting_days == 14

"""Domain rules of tasks broken down to people, and of integrity education."""

from datetime import UTC, date, datetime
from typing import Any, cast, get_args
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain import (
    EDUCATION_KINDS,
    TASK_COLOURS,
    Cadre,
    EducationActivity,
    Task,
    TaskAlreadyCompletedError,
    TaskDeadlineAfterParentError,
    TaskHasOpenSubtasksError,
    UnknownEducationKindError,
    WrongSignatoryError,
    deadline_mark_due,
    is_overdue,
    task_colour,
)
from shared.actors import Actor
from shared.contracts.responsibility import EducationKind, TaskColour
from shared.errors import NotPermittedError

LEAD_UNIT, CO_UNIT = uuid4(), uuid4()
ACTOR = Actor(person_id=uuid4(), unit_id=LEAD_UNIT)
WHEN = datetime(2026, 1, 10, tzinfo=UTC)
THRESHOLDS = (7, 3)


def make_cadre(unit_id: UUID = LEAD_UNIT) -> Cadre:
    return Cadre(
        person_id=uuid4(), name="李娜", unit_id=unit_id, post_title="科长", line_of_work="预算",
        leadership_member=False, top_leader=False, actor=ACTOR, occurred_at=WHEN,
    )


def make_task(deadline: date = date(2026, 6, 30)) -> Task:
    return Task.create(
        task_id=None, year=2026, title="廉政风险点排查", requirement="每个岗位列出风险点",
        lead_unit_id=LEAD_UNIT, co_unit_ids=[CO_UNIT], responsible=make_cadre(),
        deadline=deadline, parent_task_id=None, actor=ACTOR, occurred_at=WHEN,
    )


def names(task: Task) -> list[str]:
    return [type(e).__qualname__.split(".")[1] for e in task.pending_events]


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 8, 0, tzinfo=UTC)


def test_the_responsible_person_belongs_to_the_lead_unit():
    with pytest.raises(WrongSignatoryError, match="another unit"):
        Task.create(
            task_id=None, year=2026, title="t", requirement="r", lead_unit_id=LEAD_UNIT,
            co_unit_ids=[], responsible=make_cadre(unit_id=uuid4()), deadline=date(2026, 6, 30),
            parent_task_id=None, actor=ACTOR, occurred_at=WHEN,
        )


def test_a_subtask_cannot_be_due_after_its_parent():
    parent = make_task(deadline=date(2026, 6, 30))
    parent.check_subtask_deadline(date(2026, 6, 30))
    with pytest.raises(TaskDeadlineAfterParentError, match="2026-07-01"):
        parent.check_subtask_deadline(date(2026, 7, 1))


def test_breaking_a_task_down_records_the_subtask_on_both():
    parent = make_task(deadline=date(2026, 6, 30))
    child = parent.break_down(
        task_id=None, title="预算科排查", requirement="列出预算风险点", lead_unit_id=LEAD_UNIT,
        responsible=make_cadre(), deadline=date(2026, 6, 15), actor=ACTOR, occurred_at=WHEN,
    )
    assert parent.subtask_ids == [child.id]
    assert (child.parent_task_id, child.year, child.co_unit_ids) == (parent.id, 2026, [])
    with pytest.raises(TaskDeadlineAfterParentError):
        parent.break_down(
            task_id=None, title="晚", requirement="r", lead_unit_id=LEAD_UNIT,
            responsible=make_cadre(), deadline=date(2026, 7, 15), actor=ACTOR, occurred_at=WHEN,
        )
    assert names(parent) == ["Created", "SubtaskAdded"]


def test_a_parent_completes_only_when_its_subtasks_have():
    parent = make_task()
    parent.add_subtask(uuid4(), ACTOR, WHEN)
    with pytest.raises(TaskHasOpenSubtasksError, match="科室分解"):
        parent.complete(["科室分解"], "", ACTOR, WHEN)
    assert not parent.is_completed
    parent.complete([], "done", ACTOR, WHEN)
    assert parent.is_completed and parent.progress == 100


def test_a_completed_task_takes_no_more_progress_or_subtasks():
    task = make_task()
    task.complete([], "", ACTOR, WHEN)
    with pytest.raises(TaskAlreadyCompletedError):
        task.report_progress(50, "", ACTOR, WHEN)
    with pytest.raises(TaskAlreadyCompletedError):
        task.add_subtask(uuid4(), ACTOR, WHEN)


def test_only_the_lead_unit_or_a_co_unit_reports_progress():
    task = make_task()
    task.check_may_report(ACTOR)
    task.check_may_report(Actor(person_id=uuid4(), unit_id=CO_UNIT))
    with pytest.raises(NotPermittedError, match="lead unit or a co-unit"):
        task.check_may_report(Actor(person_id=uuid4(), unit_id=uuid4()))


def test_warnings_at_seven_and_three_days_then_overdue_each_exactly_once():
    task = make_task(deadline=date(2026, 6, 30))
    assert not task.record_deadline_events_due(day(6, 22), THRESHOLDS, ACTOR)  # 8 days left
    assert task.record_deadline_events_due(day(6, 23), THRESHOLDS, ACTOR)  # 7 days
    assert not task.record_deadline_events_due(day(6, 24), THRESHOLDS, ACTOR)
    assert task.record_deadline_events_due(day(6, 27), THRESHOLDS, ACTOR)  # 3 days
    assert not task.record_deadline_events_due(day(6, 30), THRESHOLDS, ACTOR)  # due today
    assert task.record_deadline_events_due(day(7, 1), THRESHOLDS, ACTOR)  # overdue
    assert not task.record_deadline_events_due(day(7, 8), THRESHOLDS, ACTOR)
    assert names(task) == ["Created", "DeadlineWarning", "DeadlineWarning", "Overdue"]
    # The event class is made at runtime by @event; mypy cannot see its fields.
    warnings = [cast(Any, e) for e in task.pending_events
                if type(e).__qualname__ == "Task.DeadlineWarning"]
    assert [(w.threshold, w.days_left) for w in warnings] == [(7, 7), (3, 3)]


def test_a_late_first_look_records_only_the_most_urgent_warning():
    task = make_task(deadline=date(2026, 6, 30))
    assert task.record_deadline_events_due(day(6, 28), THRESHOLDS, ACTOR)  # 2 days left
    assert not task.record_deadline_events_due(day(6, 29), THRESHOLDS, ACTOR)
    # The event class is made at runtime by @event; mypy cannot see its fields.
    warnings = [cast(Any, e) for e in task.pending_events
                if type(e).__qualname__ == "Task.DeadlineWarning"]
    assert [(w.threshold, w.reached) for w in warnings] == [(3, [3, 7])]


def test_a_completed_task_is_never_warned_or_overdue():
    task = make_task(deadline=date(2026, 6, 30))
    task.complete([], "", ACTOR, WHEN)
    assert not task.record_deadline_events_due(day(6, 28), THRESHOLDS, ACTOR)
    assert not task.record_deadline_events_due(day(8, 1), THRESHOLDS, ACTOR)


def test_configurable_thresholds():
    task = make_task(deadline=date(2026, 6, 30))
    assert task.record_deadline_events_due(day(6, 16), (14,), ACTOR)
    assert not task.record_deadline_events_due(day(6, 27), (14,), ACTOR)


def test_a_tasks_colour_on_a_day_is_green_done_blue_on_track_yellow_due_soon_red_overdue():
    deadline = date(2026, 6, 30)

    def colour(on: date, completed_on: date | None = None) -> TaskColour:
        return task_colour(deadline=deadline, completed_on=completed_on, on=on,
                           warning_days=THRESHOLDS)

    assert colour(date(2026, 6, 22)) == "blue"  # 8 days left
    assert colour(date(2026, 6, 23)) == "yellow"  # 7 days left
    assert colour(date(2026, 6, 30)) == "yellow"  # due today
    assert colour(date(2026, 7, 1)) == "red"
    assert colour(date(2026, 7, 1), completed_on=date(2026, 6, 29)) == "green"
    # Completed later than the day asked: as of that day it was not done yet.
    assert colour(date(2026, 7, 1), completed_on=date(2026, 7, 2)) == "red"
    assert not is_overdue(deadline=deadline, completed_on=None, on=deadline)
    assert is_overdue(deadline=deadline, completed_on=None, on=date(2026, 7, 1))


def test_the_domain_gives_exactly_the_contracts_task_colours():
    deadline = date(2026, 6, 30)
    given = {
        task_colour(deadline=deadline, completed_on=completed_on, on=on, warning_days=THRESHOLDS)
        for on in (date(2026, 6, 1), date(2026, 6, 28), date(2026, 7, 5))
        for completed_on in (None, date(2026, 6, 1))
    }
    assert given == set(TASK_COLOURS) == set(get_args(TaskColour))
    assert get_args(TaskColour) == TASK_COLOURS


def test_the_clock_looks_only_at_open_unmarked_tasks_that_are_due_soon_or_late():
    def due(on: date, *, completed: bool = False, overdue_recorded: bool = False) -> bool:
        return deadline_mark_due(deadline=date(2026, 6, 30), completed=completed,
                                 overdue_recorded=overdue_recorded, on=on,
                                 warning_days=THRESHOLDS)

    assert not due(date(2026, 6, 22))
    assert due(date(2026, 6, 23))
    assert due(date(2026, 7, 1))
    assert not due(date(2026, 7, 1), completed=True)
    assert not due(date(2026, 7, 1), overdue_recorded=True)


def test_education_activity_records_its_facts():
    unit = uuid4()
    activity = EducationActivity.record(
        kind="warning_education_visit", title="警示教育基地参观", held_on=date(2026, 4, 8),
        organiser_unit_id=unit, participant_count=86, actor=ACTOR, occurred_at=WHEN,
    )
    assert (activity.kind, activity.participant_count, activity.organiser_unit_id) == (
        "warning_education_visit", 86, unit)


def test_the_domain_accepts_exactly_the_contracts_education_kinds():
    assert get_args(EducationKind) == EDUCATION_KINDS
    for kind in get_args(EducationKind):
        activity = EducationActivity.record(
            kind=kind, title="活动", held_on=date(2026, 4, 8), organiser_unit_id=uuid4(),
            participant_count=1, actor=ACTOR, occurred_at=WHEN,
        )
        assert activity.kind == kind
    with pytest.raises(UnknownEducationKindError, match="party"):
        EducationActivity.record(
            kind="party", title="t", held_on=date(2026, 4, 8),  # type: ignore[arg-type]
            organiser_unit_id=uuid4(), participant_count=1, actor=ACTOR, occurred_at=WHEN,
        )

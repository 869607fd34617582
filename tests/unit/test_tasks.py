"""Domain rules of tasks broken down to people."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.responsibility.domain import (
    EducationActivity,
    Task,
    TaskAlreadyCompletedError,
    TaskDeadlineAfterParentError,
    TaskHasOpenSubtasksError,
)

ACTOR = {"person_id": uuid4(), "unit_id": uuid4()}
WHEN = datetime(2026, 1, 10, tzinfo=UTC)
THRESHOLDS = (7, 3)


def make_task(deadline=date(2026, 6, 30), parent=None) -> Task:
    return Task(
        id=uuid4(), year=2026, title="廉政风险点排查", requirement="每个岗位列出风险点",
        lead_unit_id=uuid4(), co_unit_ids=[uuid4()], responsible_cadre_id=uuid4(),
        deadline=deadline, parent_task_id=parent, actor=ACTOR, occurred_at=WHEN,
    )


def names(task: Task) -> list[str]:
    return [type(e).__qualname__.split(".")[1] for e in task.pending_events]


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 8, 0, tzinfo=UTC)


def test_a_subtask_cannot_be_due_after_its_parent():
    parent = make_task(deadline=date(2026, 6, 30))
    parent.check_subtask_deadline(date(2026, 6, 30))
    with pytest.raises(TaskDeadlineAfterParentError, match="2026-07-01"):
        parent.check_subtask_deadline(date(2026, 7, 1))


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
    warnings = [e for e in task.pending_events if type(e).__qualname__ == "Task.DeadlineWarning"]
    assert [(w.threshold, w.days_left) for w in warnings] == [(7, 7), (3, 3)]


def test_a_late_first_look_records_only_the_most_urgent_warning():
    task = make_task(deadline=date(2026, 6, 30))
    assert task.record_deadline_events_due(day(6, 28), THRESHOLDS, ACTOR)  # 2 days left
    assert not task.record_deadline_events_due(day(6, 29), THRESHOLDS, ACTOR)
    warnings = [e for e in task.pending_events if type(e).__qualname__ == "Task.DeadlineWarning"]
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


def test_education_activity_records_its_facts():
    unit = uuid4()
    activity = EducationActivity(
        kind="warning_education_visit", title="警示教育基地参观", held_on=date(2026, 4, 8),
        organiser_unit_id=unit, participant_count=86, actor=ACTOR, occurred_at=WHEN,
    )
    assert (activity.kind, activity.participant_count, activity.organiser_unit_id) == (
        "warning_education_visit", 86, unit)

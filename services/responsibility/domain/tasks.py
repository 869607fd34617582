"""Tasks broken down to people (任务分解): a lead unit, co-units, a responsible person and a
deadline, in a tree of any depth; and where a task stands against its deadline on a given day,
which the aggregate, the clock and the read model all ask here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import ClassVar, get_args
from uuid import UUID, uuid4

from eventsourcing.domain import event

from services.responsibility.domain.cadres import Cadre, WrongSignatoryError
from shared.actors import Actor
from shared.contracts.responsibility import TaskColour
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError, NotPermittedError

TASK_COLOURS: tuple[TaskColour, ...] = get_args(TaskColour)


class TaskNotFoundError(NotFoundError):
    pass


class TaskDeadlineAfterParentError(DomainError):
    pass


class TaskAlreadyCompletedError(DomainError):
    pass


class TaskHasOpenSubtasksError(DomainError):
    pass


class TaskHasNoCoUnitsError(DomainError):
    """A lead unit convenes its co-units; a task without co-units has none to convene."""


# Where a task stands against its deadline.


def days_left(deadline: date, on: date) -> int:
    return (deadline - on).days


def warnings_reached(deadline: date, on: date, warning_days: Collection[int]) -> list[int]:
    """The warning thresholds (days before the deadline) reached on ``on``, most urgent
    first."""
    left = days_left(deadline, on)
    return sorted(t for t in warning_days if left <= t)


def task_colour(
    *, deadline: date, completed_on: date | None, on: date, warning_days: Collection[int]
) -> TaskColour:
    """Green once completed, red past its deadline, yellow once a warning threshold is
    reached, blue before."""
    if completed_on is not None and completed_on <= on:
        return "green"
    if days_left(deadline, on) < 0:
        return "red"
    if warnings_reached(deadline, on, warning_days):
        return "yellow"
    return "blue"


def is_overdue(*, deadline: date, completed_on: date | None, on: date) -> bool:
    """Past its deadline and not completed on ``on`` (red, whatever the warning days)."""
    colour = task_colour(deadline=deadline, completed_on=completed_on, on=on, warning_days=())
    return colour == "red"


def deadline_mark_due(
    *, deadline: date, completed: bool, overdue_recorded: bool, on: date,
    warning_days: Collection[int],
) -> bool:
    """Whether the clock may have a warning or the overdue mark to record for a task on
    ``on``: an open task, not yet marked overdue, that is yellow or red."""
    if completed or overdue_recorded:
        return False
    colour = task_colour(
        deadline=deadline, completed_on=None, on=on, warning_days=warning_days
    )
    return colour in ("yellow", "red")


def convene_by(deadline: date, days_before: int) -> date:
    """The day by which a task's lead unit must have convened its co-units: ``days_before``
    days before the deadline (0: by the deadline itself)."""
    return deadline - timedelta(days=days_before)


def lead_unit_meeting_missing_due(
    *, has_co_units: bool, meetings_held_on: Collection[date], deadline: date,
    days_before: int, flagged: bool, on: date,
) -> bool:
    """Whether, on ``on``, a task's lead unit is to be flagged (once) for never having
    convened its co-units (牵头单位 coordination meeting, seed §三(二)): a task with co-units
    whose convening day has passed with no meeting held on or before it."""
    if not has_co_units or flagged:
        return False
    last_day = convene_by(deadline, days_before)
    return on > last_day and not any(held <= last_day for held in meetings_held_on)


class Task(DomainAggregate):
    """A task broken down to a lead unit and a responsible person, with a deadline.

    Tasks form a tree: a unit breaks its task down again to offices and people. A parent
    completes only when all its subtasks have.
    """

    noun: ClassVar[str] = "task"
    NotFound: ClassVar[type[NotFoundError]] = TaskNotFoundError

    @classmethod
    def create(
        cls,
        *,
        task_id: UUID | None,
        year: int,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        co_unit_ids: Sequence[UUID],
        responsible: Cadre,
        deadline: date,
        parent_task_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> Task:
        """A new task; its responsible person belongs to its lead unit."""
        if responsible.unit_id != lead_unit_id:
            msg = (
                f"The responsible person {responsible.name} belongs to another unit than the "
                "task's lead unit."
            )
            raise WrongSignatoryError(msg)
        return cls(
            id=task_id or uuid4(), year=year, title=title, requirement=requirement,
            lead_unit_id=lead_unit_id, co_unit_ids=list(co_unit_ids),
            responsible_cadre_id=responsible.id, deadline=deadline,
            parent_task_id=parent_task_id, actor=actor, occurred_at=occurred_at,
        )

    @event("Created")
    def __init__(
        self,
        id: UUID,
        year: int,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        co_unit_ids: list[UUID],
        responsible_cadre_id: UUID,
        deadline: date,
        parent_task_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.year = year
        self.title = title
        self.requirement = requirement
        self.lead_unit_id = lead_unit_id
        self.co_unit_ids = list(co_unit_ids)
        self.responsible_cadre_id = responsible_cadre_id
        self.deadline = deadline
        self.parent_task_id = parent_task_id
        self.subtask_ids: list[UUID] = []
        self.progress = 0
        self.completed_at: datetime | None = None
        self.warned_thresholds: set[int] = set()
        self.overdue_recorded = False
        self.meetings_held_on: list[date] = []
        self.co_unit_reports: list[UUID] = []  # the co-unit of each report, in order
        self.meeting_missing_recorded = False

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def colour(self, on: date, warning_days: Collection[int]) -> TaskColour:
        completed_on = self.completed_at.date() if self.completed_at is not None else None
        return task_colour(
            deadline=self.deadline, completed_on=completed_on, on=on, warning_days=warning_days
        )

    # Guards.

    def check_open(self) -> None:
        if self.is_completed:
            msg = f"Task {self.title!r} was completed on {self.completed_at:%Y-%m-%d}."
            raise TaskAlreadyCompletedError(msg)

    def check_subtask_deadline(self, deadline: date) -> None:
        if deadline > self.deadline:
            msg = (
                f"A subtask cannot be due on {deadline:%Y-%m-%d}, after its parent task "
                f"{self.title!r} is due ({self.deadline:%Y-%m-%d})."
            )
            raise TaskDeadlineAfterParentError(msg)

    def check_may_break_down(self, deadline: date) -> None:
        """Only an open task is broken down, and never into a subtask due after it."""
        self.check_open()
        self.check_subtask_deadline(deadline)

    def check_co_unit(self, actor: Actor) -> None:
        if actor.unit_id not in self.co_unit_ids:
            msg = (
                f"Only a clerk of one of task {self.title!r}'s co-units reports to its lead "
                f"unit; you act for unit {actor.unit_id}."
            )
            raise NotPermittedError(msg)

    def check_may_report(self, actor: Actor) -> None:
        if actor.unit_id not in (self.lead_unit_id, *self.co_unit_ids):
            msg = "Only a clerk of the task's lead unit or a co-unit may report its progress."
            raise NotPermittedError(msg)

    # Commands.

    def break_down(
        self,
        *,
        task_id: UUID | None,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        responsible: Cadre,
        deadline: date,
        actor: Actor,
        occurred_at: datetime,
    ) -> Task:
        """A subtask of this task (same year, no co-units), recorded on both."""
        self.check_may_break_down(deadline)
        child = Task.create(
            task_id=task_id, year=self.year, title=title, requirement=requirement,
            lead_unit_id=lead_unit_id, co_unit_ids=[], responsible=responsible,
            deadline=deadline, parent_task_id=self.id, actor=actor, occurred_at=occurred_at,
        )
        self.add_subtask(child.id, actor, occurred_at)
        return child

    def add_subtask(self, subtask_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.check_open()
        self._subtask_added(subtask_id=subtask_id, actor=actor, occurred_at=occurred_at)

    @event("SubtaskAdded")
    def _subtask_added(self, subtask_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.subtask_ids.append(subtask_id)

    def report_progress(
        self, percent: int, note: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.check_open()
        self._progress_reported(percent=percent, note=note, actor=actor, occurred_at=occurred_at)

    @event("ProgressReported")
    def _progress_reported(
        self, percent: int, note: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.progress = percent

    def complete(
        self, open_subtasks: Sequence[str], note: str, actor: Actor, occurred_at: datetime
    ) -> None:
        """``open_subtasks``: the titles of this task's subtasks not yet completed."""
        self.check_open()
        if open_subtasks:
            msg = (
                f"Task {self.title!r} cannot be completed while its subtasks are open: "
                + ", ".join(open_subtasks)
            )
            raise TaskHasOpenSubtasksError(msg)
        self._completed(note=note, actor=actor, occurred_at=occurred_at)

    @event("Completed")
    def _completed(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        self.completed_at = occurred_at
        self.progress = 100

    def convene_meeting(
        self, held_on: date, agenda: str, actor: Actor, occurred_at: datetime
    ) -> None:
        """The lead unit convenes its co-units (牵头单位召集协调会); the caller checks that
        ``actor`` acts for the lead unit."""
        self.check_open()
        if not self.co_unit_ids:
            msg = f"Task {self.title!r} has no co-units for its lead unit to convene."
            raise TaskHasNoCoUnitsError(msg)
        self._lead_unit_meeting_convened(
            held_on=held_on, agenda=agenda, co_unit_ids=list(self.co_unit_ids), actor=actor,
            occurred_at=occurred_at,
        )

    @event("LeadUnitMeetingConvened")
    def _lead_unit_meeting_convened(
        self, held_on: date, agenda: str, co_unit_ids: list[UUID], actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.meetings_held_on.append(held_on)

    def report_to_lead_unit(self, report: str, actor: Actor, occurred_at: datetime) -> None:
        """A co-unit reports on its part to the lead unit (配合单位向牵头单位报告)."""
        self.check_co_unit(actor)
        self.check_open()
        self._co_unit_reported(
            co_unit_id=actor.unit_id, lead_unit_id=self.lead_unit_id, report=report,
            actor=actor, occurred_at=occurred_at,
        )

    @event("CoUnitReported")
    def _co_unit_reported(
        self, co_unit_id: UUID, lead_unit_id: UUID, report: str, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.co_unit_reports.append(co_unit_id)

    def record_meeting_missing_if_due(
        self, as_of: datetime, days_before: int, actor: Actor
    ) -> bool:
        """Record, once, that the lead unit never convened its co-units by the convening day
        (``days_before`` days before the deadline)."""
        if not lead_unit_meeting_missing_due(
            has_co_units=bool(self.co_unit_ids), meetings_held_on=self.meetings_held_on,
            deadline=self.deadline, days_before=days_before,
            flagged=self.meeting_missing_recorded, on=as_of.date(),
        ):
            return False
        self._lead_unit_meeting_missing(
            lead_unit_id=self.lead_unit_id, deadline=self.deadline,
            convene_by=convene_by(self.deadline, days_before), actor=actor, occurred_at=as_of,
        )
        return True

    @event("LeadUnitMeetingMissing")
    def _lead_unit_meeting_missing(
        self, lead_unit_id: UUID, deadline: date, convene_by: date, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.meeting_missing_recorded = True

    def record_deadline_events_due(
        self, as_of: datetime, thresholds: Sequence[int], actor: Actor
    ) -> bool:
        """Record, each exactly once, the warnings and the overdue mark due by ``as_of``.

        Only the most urgent threshold reached is recorded: a clock that first looks with 2
        days left records the 3-day warning, not a stale 7-day one as well.
        """
        on = as_of.date()
        if not deadline_mark_due(
            deadline=self.deadline, completed=self.is_completed,
            overdue_recorded=self.overdue_recorded, on=on, warning_days=thresholds,
        ):
            return False
        if self.colour(on, thresholds) == "red":
            self._overdue(deadline=self.deadline, actor=actor, occurred_at=as_of)
            return True
        reached = warnings_reached(self.deadline, on, thresholds)
        if reached[0] in self.warned_thresholds:
            return False
        self._deadline_warning(
            deadline=self.deadline, days_left=days_left(self.deadline, on),
            threshold=reached[0], reached=reached, actor=actor, occurred_at=as_of,
        )
        return True

    @event("DeadlineWarning")
    def _deadline_warning(
        self,
        deadline: date,
        days_left: int,
        threshold: int,
        reached: list[int],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.warned_thresholds.update(reached)

    @event("Overdue")
    def _overdue(self, deadline: date, actor: Actor, occurred_at: datetime) -> None:
        self.overdue_recorded = True

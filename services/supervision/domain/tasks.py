"""What supervision keeps of the responsibility service's tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import NotFoundError


class TaskNotWatchedError(NotFoundError):
    pass


class TaskWatch(DomainAggregate):
    """What supervision keeps of a responsibility task: enough to follow it up when overdue."""

    noun: ClassVar[str] = "task followed by supervision"
    NotFound: ClassVar[type[NotFoundError]] = TaskNotWatchedError

    @staticmethod
    def create_id(task_id: UUID) -> UUID:
        return derived_id(f"task-watch:{task_id}")

    @event("Learned")
    def __init__(
        self,
        task_id: UUID,
        lead_unit_id: UUID,
        title: str,
        deadline: date,
        upstream_event_id: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.task_id = task_id
        self.lead_unit_id = lead_unit_id
        self.title = title
        self.deadline = deadline

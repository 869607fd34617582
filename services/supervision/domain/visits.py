"""Unannounced visits (明察暗访): scheduled without a trace of where, when or whom, recorded
once conducted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.inspections import (
    UNANNOUNCED_VISIT,
    check_inspection,
    number_problems,
)
from shared.actors import Actor
from shared.contracts.supervision import VisitStatus
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError


class VisitNotFoundError(NotFoundError):
    pass


class VisitAlreadyConductedError(DomainError):
    pass


class VisitCancelledError(DomainError):
    pass


class UnannouncedVisit(DomainAggregate):
    """An unannounced visit (暗访). Scheduling it records only that it was scheduled, by whom:
    nothing that could warn the units visited. Where, when and whom are recorded when it has
    been conducted."""

    noun: ClassVar[str] = "unannounced visit"
    NotFound: ClassVar[type[NotFoundError]] = VisitNotFoundError

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        return VisitNotFoundError(f"No unannounced visit {aggregate_id} was scheduled.")

    @event("Scheduled")
    def __init__(self, id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.status: VisitStatus = "scheduled"
        self.scheduled_at = occurred_at

    def check_scheduled(self) -> None:
        if self.status == "conducted":
            msg = f"Unannounced visit {self.id} has already been conducted and recorded."
            raise VisitAlreadyConductedError(msg)
        if self.status == "cancelled":
            msg = f"Unannounced visit {self.id} was cancelled; schedule a new visit instead."
            raise VisitCancelledError(msg)

    def conduct(
        self,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.check_scheduled()
        check_inspection(UNANNOUNCED_VISIT, None, unit_ids, problems, location)
        self._conducted(
            leader_person_id=leader_person_id, leader_name=leader_name, location=location,
            held_on=held_on, unit_ids=list(unit_ids), problems=number_problems(self.id, problems),
            summary=summary, actor=actor, occurred_at=occurred_at,
        )

    @event("Conducted")
    def _conducted(
        self,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.status = "conducted"
        self.unit_ids = list(unit_ids)
        self.problems = [dict(p) for p in problems]

    def cancel(self, actor: Actor, occurred_at: datetime) -> None:
        self.check_scheduled()
        self._cancelled(actor=actor, occurred_at=occurred_at)

    @event("Cancelled")
    def _cancelled(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "cancelled"

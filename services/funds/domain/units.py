"""A unit as the funds platform knows it: learned from the responsibility service's events,
and enrolled on the platform (纳入平台) by an act of its own, on its own date."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.ids import derived_id
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError


class UnitNotKnownError(NotFoundError):
    """The platform has not learned this unit from the responsibility service."""


class UnitAlreadyEnrolledError(ConflictError):
    pass


class UnitNotEnrolledError(DomainError):
    """The unit is not on the platform (or was not yet on the day of the act)."""


class PlatformUnit(DomainAggregate):
    noun: ClassVar[str] = "unit known to the funds platform"
    NotFound: ClassVar[type[NotFoundError]] = UnitNotKnownError

    @staticmethod
    def create_id(unit_id: UUID) -> UUID:
        return derived_id(f"platform-unit:{unit_id}")

    @event("Learned")
    def __init__(
        self, unit_id: UUID, name: str, kind: str, parent_unit_id: UUID | None,
        upstream_event_id: str, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.unit_id = unit_id
        self.name = name
        self.kind = kind
        self.parent_unit_id = parent_unit_id
        self.upstream_event_id = upstream_event_id
        self.enrolled_on: date | None = None

    def enrol(self, enrolled_on: date, actor: Actor, occurred_at: datetime) -> None:
        if self.enrolled_on is not None:
            msg = f"{self.name} was enrolled on the platform on {self.enrolled_on} already."
            raise UnitAlreadyEnrolledError(msg)
        self._enrolled(unit_id=self.unit_id, enrolled_on=enrolled_on, actor=actor,
                       occurred_at=occurred_at)

    @event("Enrolled")
    def _enrolled(
        self, unit_id: UUID, enrolled_on: date, actor: Actor, occurred_at: datetime
    ) -> None:
        self.enrolled_on = enrolled_on


def check_enrolled(name: str, enrolled_on: date | None, day: date) -> None:
    """Refuse an act by or for a unit not on the platform on ``day``."""
    if enrolled_on is None:
        raise UnitNotEnrolledError(f"{name} is not enrolled on the funds platform.")
    if day < enrolled_on:
        msg = f"{name} was enrolled on the funds platform on {enrolled_on}, after {day}."
        raise UnitNotEnrolledError(msg)

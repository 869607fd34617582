"""Reminders (提醒, seed §三(三)): who reminded whom, about what, and when. The reminding unit
is the recording clerk's own; the leader who gave the reminder, when named, is one of its
cadres."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Protocol
from uuid import UUID, uuid4

from eventsourcing.domain import event

from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import InvalidCommandError, NotFoundError, NotPermittedError


class ReminderNotFoundError(NotFoundError):
    pass


class ReminderGiverNotOfUnitError(NotPermittedError):
    """A reminder is recorded by a clerk of the reminding unit: whoever gave it is one of that
    unit's cadres."""


class SelfReminderError(InvalidCommandError):
    """A reminder is given by one person to another."""


class Person(Protocol):
    """A cadre as the application loaded it."""

    @property
    def id(self) -> UUID: ...

    @property
    def name(self) -> str: ...

    @property
    def unit_id(self) -> UUID: ...


def check_giver_of_unit(giver: Person | None, actor: Actor) -> None:
    """The one who reminded, when named, belongs to the unit the clerk records for."""
    if giver is not None and giver.unit_id != actor.unit_id:
        msg = (
            f"{giver.name} is not a cadre of unit {actor.unit_id}, for which you record: a "
            "reminder is recorded by the reminding unit's own clerk."
        )
        raise ReminderGiverNotOfUnitError(msg)


class Reminder(DomainAggregate):
    """A reminder given to a cadre about a matter of clean governance."""

    noun: ClassVar[str] = "reminder"
    NotFound: ClassVar[type[NotFoundError]] = ReminderNotFoundError

    @classmethod
    def record(
        cls,
        *,
        giver: Person | None,
        reminded: Person,
        subject: str,
        given_on: date,
        actor: Actor,
        occurred_at: datetime,
        reminder_id: UUID | None = None,
    ) -> Reminder:
        check_giver_of_unit(giver, actor)
        if giver is not None and giver.id == reminded.id:
            raise SelfReminderError(
                f"to_cadre_id: {reminded.name} cannot be reminded by themself."
            )
        return cls(
            id=reminder_id or uuid4(), by_unit_id=actor.unit_id,
            by_cadre_id=None if giver is None else giver.id, to_cadre_id=reminded.id,
            to_unit_id=reminded.unit_id, subject=subject, given_on=given_on, actor=actor,
            occurred_at=occurred_at,
        )

    @event("Recorded")
    def __init__(
        self,
        id: UUID,
        by_unit_id: UUID,
        by_cadre_id: UUID | None,
        to_cadre_id: UUID,
        to_unit_id: UUID,
        subject: str,
        given_on: date,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.by_unit_id = by_unit_id
        self.by_cadre_id = by_cadre_id
        self.to_cadre_id = to_cadre_id
        self.to_unit_id = to_unit_id
        self.subject = subject
        self.given_on = given_on

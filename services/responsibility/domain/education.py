"""Integrity education (廉政教育): study sessions, phone classes, party lectures and
warning-education visits, with their participants."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.responsibility import EducationKind
from shared.domain import DomainAggregate
from shared.errors import InvalidCommandError, NotFoundError

EDUCATION_KINDS: tuple[EducationKind, ...] = get_args(EducationKind)


class EducationActivityNotFoundError(NotFoundError):
    pass


class UnknownEducationKindError(InvalidCommandError):
    pass


class EducationActivity(DomainAggregate):
    """An integrity-education activity: study session, phone class, lecture or a visit."""

    noun: ClassVar[str] = "education activity"
    NotFound: ClassVar[type[NotFoundError]] = EducationActivityNotFoundError

    @classmethod
    def record(
        cls,
        *,
        kind: EducationKind,
        title: str,
        held_on: date,
        organiser_unit_id: UUID,
        participant_count: int,
        actor: Actor,
        occurred_at: datetime,
    ) -> EducationActivity:
        """A held activity; a kind outside the vocabulary is refused here too, not only by the
        command model, so that no caller can store one."""
        if kind not in EDUCATION_KINDS:
            msg = f"kind: {kind!r} is not an education kind ({', '.join(EDUCATION_KINDS)})."
            raise UnknownEducationKindError(msg)
        return cls(
            kind=kind, title=title, held_on=held_on, organiser_unit_id=organiser_unit_id,
            participant_count=participant_count, actor=actor, occurred_at=occurred_at,
        )

    @event("Recorded")
    def __init__(
        self,
        kind: EducationKind,
        title: str,
        held_on: date,
        organiser_unit_id: UUID,
        participant_count: int,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.kind = kind
        self.title = title
        self.held_on = held_on
        self.organiser_unit_id = organiser_unit_id
        self.participant_count = participant_count

"""Integrity education (廉政教育): study sessions, phone classes, party lectures and
warning-education visits, with their participants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar, get_args
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


class ParticipantListError(InvalidCommandError):
    """A list of participants names each person once and accounts for every person-time."""


def check_participants(participant_count: int, person_ids: Sequence[UUID] | None) -> None:
    """An activity's participants, when listed, are distinct persons and as many as its
    participant count (one person-time each): the list is who attended."""
    if person_ids is None:
        return
    repeated = sorted({str(p) for p in person_ids if person_ids.count(p) > 1})
    if repeated:
        msg = (
            f"participant_person_ids: {', '.join(repeated)} listed more than once; each person "
            "attends an activity once."
        )
        raise ParticipantListError(msg)
    if len(person_ids) != participant_count:
        msg = (
            f"participant_person_ids: {len(person_ids)} persons listed but participant_count "
            f"is {participant_count}; list every participant or none."
        )
        raise ParticipantListError(msg)


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
        participant_person_ids: Sequence[UUID] | None = None,
        activity_id: UUID | None = None,
    ) -> EducationActivity:
        """A held activity; a kind outside the vocabulary is refused here too, not only by the
        command model, so that no caller can store one. ``participant_person_ids``, when
        given, lists who attended (so persons can be counted apart from person-times)."""
        if kind not in EDUCATION_KINDS:
            msg = f"kind: {kind!r} is not an education kind ({', '.join(EDUCATION_KINDS)})."
            raise UnknownEducationKindError(msg)
        check_participants(participant_count, participant_person_ids)
        fields: dict[str, Any] = {
            "kind": kind, "title": title, "held_on": held_on,
            "organiser_unit_id": organiser_unit_id, "participant_count": participant_count,
            "actor": actor, "occurred_at": occurred_at,
            "participant_person_ids": (
                None if participant_person_ids is None else list(participant_person_ids)
            ),
        }
        if activity_id is None:
            return cls(**fields)
        # A caller's own id (the demo's, derived from its seed): the same "Recorded" event.
        return cls._create(event_class=cls.Recorded, id=activity_id, **fields)  # type: ignore[attr-defined]

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
        # Added later and optional: events stored before it (or without a list) lack it.
        participant_person_ids: list[UUID] | None = None,
    ) -> None:
        self.kind = kind
        self.title = title
        self.held_on = held_on
        self.organiser_unit_id = organiser_unit_id
        self.participant_count = participant_count
        self.participant_person_ids = participant_person_ids

"""Talks (约谈, seed §三(三)): the party committee or the discipline commission talks with a
unit's leader about a subject; recorded by the body that held the talk."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Protocol
from uuid import UUID, uuid4

from eventsourcing.domain import event

from services.responsibility.domain.reminders import Person, check_giver_of_unit
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError


class TalkNotFoundError(NotFoundError):
    pass


class TalkNotWithLeaderError(DomainError):
    """A talk (约谈) is held with a unit's leader: a leadership member or a top leader."""


class Leader(Person, Protocol):
    @property
    def leadership_member(self) -> bool: ...

    @property
    def top_leader(self) -> bool: ...


def check_is_leader(cadre: Leader) -> None:
    if not (cadre.leadership_member or cadre.top_leader):
        msg = (
            f"leader_cadre_id: {cadre.name} is not a leader of their unit (neither a "
            "leadership member nor a top leader); a talk (约谈) is held with a unit's leader."
        )
        raise TalkNotWithLeaderError(msg)


class Talk(DomainAggregate):
    """A talk (约谈) held with a unit's leader by the party committee or the commission."""

    noun: ClassVar[str] = "talk"
    NotFound: ClassVar[type[NotFoundError]] = TalkNotFoundError

    @classmethod
    def hold(
        cls,
        *,
        talker: Person | None,
        leader: Leader,
        subject: str,
        held_on: date,
        actor: Actor,
        occurred_at: datetime,
        talk_id: UUID | None = None,
    ) -> Talk:
        check_giver_of_unit(talker, actor)
        check_is_leader(leader)
        return cls(
            id=talk_id or uuid4(), by_unit_id=actor.unit_id,
            by_cadre_id=None if talker is None else talker.id, leader_cadre_id=leader.id,
            unit_id=leader.unit_id, subject=subject, held_on=held_on, actor=actor,
            occurred_at=occurred_at,
        )

    @event("Held")
    def __init__(
        self,
        id: UUID,
        by_unit_id: UUID,
        by_cadre_id: UUID | None,
        leader_cadre_id: UUID,
        unit_id: UUID,
        subject: str,
        held_on: date,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.by_unit_id = by_unit_id
        self.by_cadre_id = by_cadre_id
        self.leader_cadre_id = leader_cadre_id
        self.unit_id = unit_id
        self.subject = subject
        self.held_on = held_on

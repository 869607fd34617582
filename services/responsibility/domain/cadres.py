"""Cadres: the people holding posts, each with the dual duty of the post (一岗双责)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import event

from services.responsibility.domain.units import ID_NAMESPACE
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError, NotPermittedError


class CadreAlreadyRegisteredError(ConflictError):
    pass


class CadreNotFoundError(NotFoundError):
    pass


class WrongSignatoryError(NotPermittedError):
    """The person named is not the one a letter or a task can be addressed to."""


class TopLeaderPostTakenError(DomainError):
    """A unit's principal leaders (党政主要领导) are two people in distinct posts: the party
    secretary and the administrative head."""


# 党政主要领导: the party secretary and the administrative head of a unit.
MAX_TOP_LEADERS = 2


class Post(Protocol):
    """A cadre as the read model knows it: enough to see who holds a unit's top posts."""

    @property
    def name(self) -> str: ...

    @property
    def post_title(self) -> str: ...


def check_top_leader_post_free(post_title: str, top_leaders: Iterable[Post]) -> None:
    """A unit has at most two top leaders (the party secretary and the administrative head),
    each in a post of their own; ``top_leaders`` are the unit's top leaders already
    registered."""
    holders = list(top_leaders)
    taken = [c for c in holders if c.post_title.strip() == post_title.strip()]
    if taken:
        msg = (
            f"{taken[0].name} already holds the top post {post_title!r} of this unit; its two "
            "top leaders (党政主要领导) hold distinct posts."
        )
        raise TopLeaderPostTakenError(msg)
    if len(holders) >= MAX_TOP_LEADERS:
        names = ", ".join(f"{c.name} ({c.post_title})" for c in holders)
        msg = (
            f"This unit already has its two top leaders (党政主要领导): {names}; a unit's "
            "party secretary and administrative head are its only top leaders."
        )
        raise TopLeaderPostTakenError(msg)


class Cadre(DomainAggregate):
    """A person holding a post: a leadership member carries the dual duty of the post."""

    noun: ClassVar[str] = "cadre"
    NotFound: ClassVar[type[NotFoundError]] = CadreNotFoundError

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        # The wording callers have always received for a cadre.
        return CadreNotFoundError(f"No cadre {aggregate_id} is registered.")

    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"cadre:{person_id}")

    @event("Registered")
    def __init__(
        self,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        post_title: str,
        line_of_work: str,
        leadership_member: bool,
        top_leader: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.person_id = person_id
        self.name = name
        self.unit_id = unit_id
        self.post_title = post_title
        self.line_of_work = line_of_work
        self.leadership_member = leadership_member
        self.top_leader = top_leader

"""Cadres: the people holding posts, each with the dual duty of the post (一岗双责)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from services.responsibility.domain.units import ID_NAMESPACE
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import ConflictError, NotFoundError, NotPermittedError


class CadreAlreadyRegisteredError(ConflictError):
    pass


class CadreNotFoundError(NotFoundError):
    pass


class WrongSignatoryError(NotPermittedError):
    """The person named is not the one a letter or a task can be addressed to."""


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

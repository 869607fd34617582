"""Disclosure boards (公开栏): one in every community."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError


class NotACommunityError(DomainError):
    pass


class DisclosureBoardAlreadyInstalledError(ConflictError):
    pass


class DisclosureBoardNotFoundError(NotFoundError):
    pass


def needs_board(unit_kind: str) -> bool:
    """Disclosure boards are counted per community."""
    return unit_kind == "community"


class DisclosureBoard(DomainAggregate):
    """A community's disclosure board (公开栏); one per community, so its id derives from the
    community's."""

    noun: ClassVar[str] = "disclosure board"
    NotFound: ClassVar[type[NotFoundError]] = DisclosureBoardNotFoundError

    @staticmethod
    def create_id(community_id: UUID) -> UUID:
        return derived_id(f"disclosure-board:{community_id}")

    @staticmethod
    def check_site(unit_name: str, unit_kind: str) -> None:
        if not needs_board(unit_kind):
            msg = (
                f"{unit_name} is a {unit_kind.replace('_', ' ')}; disclosure boards are counted "
                "per community."
            )
            raise NotACommunityError(msg)

    @staticmethod
    def none_in(community_id: UUID) -> DisclosureBoardNotFoundError:
        return DisclosureBoardNotFoundError(
            f"No disclosure board is installed in community {community_id}."
        )

    @staticmethod
    def already_in(community_name: str) -> DisclosureBoardAlreadyInstalledError:
        return DisclosureBoardAlreadyInstalledError(
            f"{community_name} already has a disclosure board."
        )

    @event("Installed")
    def __init__(
        self, community_id: UUID, location: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.community_id = community_id
        self.location = location

    def post(self, content: str, actor: Actor, occurred_at: datetime) -> None:
        self._content_posted(content=content, actor=actor, occurred_at=occurred_at)

    @event("ContentPosted")
    def _content_posted(self, content: str, actor: Actor, occurred_at: datetime) -> None:
        pass

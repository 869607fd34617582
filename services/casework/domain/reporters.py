"""A reporter or petitioner (举报人、信访人) who gave a real name: a random id, the identity sealed
with that person's own key (services/casework/sealing.py), every read of it, and the erasure
of the key. Nothing here holds the identity in clear."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError, NotPermittedError


class ReporterNotFoundError(NotFoundError):
    pass


class ReasonRequiredError(DomainError):
    """Reading a reporter's identity states why."""


class ReadingConflictError(NotPermittedError):
    """回避: the reader is the person reported, or works in the unit reported."""


class KeyAlreadyErasedError(DomainError):
    pass


class Reporter(DomainAggregate):
    noun: ClassVar[str] = "reporter"
    NotFound: ClassVar[type[NotFoundError]] = ReporterNotFoundError

    @event("Sealed")
    def __init__(self, id: UUID, key_id: str, sealed_identity: str, actor: Actor,
                 occurred_at: datetime) -> None:
        self.key_id = key_id
        self.sealed_identity = sealed_identity
        self.erased = False
        self.reads = 0

    @staticmethod
    def check_reader(
        actor: Actor, reason: str, reported_person_id: UUID | None,
        reported_unit_id: UUID | None,
    ) -> None:
        if not reason.strip():
            msg = "Reading a reporter's identity needs a stated reason."
            raise ReasonRequiredError(msg)
        if reported_person_id is not None and actor.person_id == reported_person_id:
            msg = ("You are the person this report concerns (回避): a reporter's identity is "
                   "never shown to the person reported.")
            raise ReadingConflictError(msg)
        if reported_unit_id is not None and actor.unit_id == reported_unit_id:
            msg = ("You work in the unit this report concerns (回避): ask a colleague from "
                   "another unit of the commission to read the reporter's identity.")
            raise ReadingConflictError(msg)

    def check_not_erased(self) -> None:
        if self.erased:
            msg = (f"The identity of reporter {self.id} was erased: it can never be read "
                   "again, and its key cannot be erased twice.")
            raise KeyAlreadyErasedError(msg)

    @event("IdentityRead")
    def record_read(self, petition_id: UUID, reason: str, actor: Actor,
                    occurred_at: datetime) -> None:
        self.reads += 1

    @event("KeyErased")
    def record_erasure(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.erased = True

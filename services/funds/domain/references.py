"""Reference data other departments provide (比对数据), imported by a documented command from
CSV files: each import is an event with its source, its row count and its rows, person ids
already pseudonymous. A later file adds to what is known; nothing is silently replaced, and
the same file imported twice is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.funds import ReferenceKind
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError


class ReferenceImportNotFoundError(NotFoundError):
    pass


class ReferenceFileAlreadyImportedError(ConflictError):
    """The same rows of the same kind were imported before (their digest is known)."""


class InvalidReferenceFileError(DomainError):
    pass


class ReferenceImport(DomainAggregate):
    noun: ClassVar[str] = "reference import"
    NotFound: ClassVar[type[NotFoundError]] = ReferenceImportNotFoundError

    @staticmethod
    def create_id(kind: ReferenceKind, digest: str) -> UUID:
        """One import per kind and content: the same file again is a duplicate."""
        return derived_id(f"reference:{kind}:{digest}")

    @event("Imported")
    def __init__(
        self, kind: ReferenceKind, source: str, digest: str, row_count: int,
        rows: list[dict[str, Any]], actor: Actor, occurred_at: datetime,
    ) -> None:
        self.kind = kind
        self.source = source
        self.digest = digest
        self.row_count = row_count
        self.rows = rows

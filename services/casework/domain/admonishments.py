"""An admonishment (诫勉) decided outside a case, a 谈话函询 or accountability: after an
assessment (考核) found a leader wanting. Counted once with every other 诫勉, by the date of
its decision."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import NotFoundError


class AdmonishmentNotFoundError(NotFoundError):
    pass


class Admonishment(DomainAggregate):
    noun: ClassVar[str] = "admonishment"
    NotFound: ClassVar[type[NotFoundError]] = AdmonishmentNotFoundError

    @event("Recorded")
    def __init__(self, id: UUID, person_id: UUID, cadre_id: UUID | None, unit_id: UUID,
                 basis: str, actor: Actor, occurred_at: datetime) -> None:
        self.person_id = person_id
        self.cadre_id = cadre_id
        self.unit_id = unit_id

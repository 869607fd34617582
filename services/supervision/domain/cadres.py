"""What supervision keeps of the responsibility service's cadres: a notice names only a cadre
it knows, the problems it cites concern that cadre or the cadre's unit, and the cadre files
their own self-examination."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import NotFoundError


class CadreNotKnownError(NotFoundError):
    pass


class CadreFile(DomainAggregate):
    """A cadre registered with the responsibility service, as supervision learned it."""

    noun: ClassVar[str] = "cadre known to supervision"
    NotFound: ClassVar[type[NotFoundError]] = CadreNotKnownError

    @staticmethod
    def create_id(cadre_id: UUID) -> UUID:
        return derived_id(f"cadre-file:{cadre_id}")

    @event("Learned")
    def __init__(
        self,
        cadre_id: UUID,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        upstream_event_id: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.cadre_id = cadre_id
        self.person_id = person_id
        self.name = name
        self.unit_id = unit_id

    @classmethod
    def unknown(cls, cadre_id: UUID) -> CadreNotKnownError:
        return CadreNotKnownError(
            f"No cadre {cadre_id} is registered with the responsibility service (or supervision "
            "has not learned of it yet): a notice to a cadre names a registered cadre."
        )

"""Units: the party committee, district departments, towns, subdistricts, communities and
their offices."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.responsibility import UnitKind
from shared.domain import DomainAggregate
from shared.errors import ConflictError, InvalidCommandError, NotFoundError, NotPermittedError

# Units and cadres have ids derived from their natural keys, so registering one twice is
# refused by the store itself (docs/architecture.md).
ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:responsibility")

UNIT_KINDS: tuple[UnitKind, ...] = get_args(UnitKind)

# Coverage ("横向到边、纵向到底": horizontal to every edge, vertical to every level) is owed by
# every unit below the party committee: departments, towns and subdistricts, their
# communities and their offices (科室), each with a signed letter and a task of the year.
COVERED_UNIT_KINDS: tuple[UnitKind, ...] = (
    "district_department", "town", "subdistrict", "community", "office",
)
# The units led by principal leaders (党政主要领导, a party secretary and an administrative
# head); an office is run by its head under the unit's leaders.
TOP_LED_UNIT_KINDS: tuple[UnitKind, ...] = (
    "district_department", "town", "subdistrict", "community",
)


class UnitAlreadyRegisteredError(ConflictError):
    pass


class UnitNotFoundError(NotFoundError):
    pass


class UnknownUnitKindError(InvalidCommandError):
    pass


class Unit(DomainAggregate):
    """A district department, town, subdistrict, community or the party committee itself."""

    noun: ClassVar[str] = "unit"
    NotFound: ClassVar[type[NotFoundError]] = UnitNotFoundError

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        # The wording callers have always received for a unit.
        return UnitNotFoundError(f"No unit {aggregate_id} is registered.")

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(ID_NAMESPACE, f"unit:{code}")

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        kind: UnitKind,
        parent_unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> Unit:
        """A new unit; a kind outside the vocabulary is refused here too, not only by the
        command model, so that no caller can store one."""
        if kind not in UNIT_KINDS:
            msg = f"kind: {kind!r} is not a unit kind ({', '.join(UNIT_KINDS)})."
            raise UnknownUnitKindError(msg)
        return cls(
            code=code, name=name, kind=kind, parent_unit_id=parent_unit_id, actor=actor,
            occurred_at=occurred_at,
        )

    @event("Registered")
    def __init__(
        self,
        code: str,
        name: str,
        kind: UnitKind,
        parent_unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.parent_unit_id = parent_unit_id
        self.registered_at = occurred_at


def check_acts_for(actor: Actor, unit_id: UUID) -> None:
    """Only a clerk of the unit a record belongs to (a letter's issuer, a task's lead unit, an
    activity's organiser) may change it."""
    if actor.unit_id != unit_id:
        msg = (
            f"Only a clerk of the issuing unit {unit_id} may do this; you act for unit "
            f"{actor.unit_id}."
        )
        raise NotPermittedError(msg)

"""A hop of the money's path (资金拨付): finance bureau → managing department → town or
subdistrict → community; the last step, to the person, is a payment. Each hop is an event with
its amount and date, so that money held up at one level shows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.funds import Hop, Level
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

HOPS: tuple[Hop, ...] = get_args(Hop)
LEVELS: tuple[Level, ...] = get_args(Level)
# Each hop's sending and receiving level.
HOP_LEVELS: dict[Hop, tuple[Level, Level]] = {
    "finance_to_department": ("finance", "department"),
    "department_to_town": ("department", "town"),
    "town_to_community": ("town", "community"),
}
# The unit kinds (responsibility's vocabulary) that receive each hop.
RECEIVING_KINDS: dict[Hop, tuple[str, ...]] = {
    "finance_to_department": ("district_department",),
    "department_to_town": ("town", "subdistrict"),
    "town_to_community": ("community",),
}
# The level of a unit that pays a person, by its kind.
PAYING_LEVELS: dict[str, Level] = {
    "community": "community", "town": "town", "subdistrict": "town",
    "district_department": "department",
}


class AllocationNotFoundError(NotFoundError):
    pass


class InvalidHopError(DomainError):
    """A hop to a unit of the wrong level, or to another department than the programme's."""


def level_of_payer(kind: str) -> Level:
    return PAYING_LEVELS.get(kind, "department")


def check_hop(
    hop: Hop, to_kind: str, to_name: str, to_unit_id: UUID, managing_unit_id: UUID
) -> None:
    if to_kind not in RECEIVING_KINDS[hop]:
        wanted = " or ".join(RECEIVING_KINDS[hop])
        raise InvalidHopError(f"A {hop} hop goes to a {wanted}; {to_name} is a {to_kind}.")
    if hop == "finance_to_department" and to_unit_id != managing_unit_id:
        msg = f"The finance bureau pays the programme's managing department, not {to_name}."
        raise InvalidHopError(msg)


class Allocation(DomainAggregate):
    noun: ClassVar[str] = "allocation"
    NotFound: ClassVar[type[NotFoundError]] = AllocationNotFoundError

    @event("Made")
    def __init__(
        self, id: UUID, programme_id: UUID, hop: Hop, from_unit_id: UUID, to_unit_id: UUID,
        amount: Decimal, made_on: date, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.programme_id = programme_id
        self.hop = hop
        self.from_unit_id = from_unit_id
        self.to_unit_id = to_unit_id
        self.amount = amount
        self.made_on = made_on

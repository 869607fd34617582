"""A livelihood-fund programme (民生资金项目): its budget in yuan, its period, its managing
department, who is excluded, and the programmes a person may not also be paid from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.money import check_amount
from shared.actors import Actor
from shared.contracts.funds import PaymentPeriod, ReferenceKind
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

PAYMENT_PERIODS: tuple[PaymentPeriod, ...] = get_args(PaymentPeriod)
REFERENCE_KINDS: tuple[ReferenceKind, ...] = get_args(ReferenceKind)
# What a programme's eligibility may exclude: holders found in these reference files.
EXCLUDABLE: tuple[ReferenceKind, ...] = ("public_payroll", "vehicles", "property")


class ProgrammeNotFoundError(NotFoundError):
    pass


class InvalidProgrammeError(DomainError):
    pass


class ProgrammeNotStartedError(DomainError):
    """A payment or a hop dated before the programme's period."""


class ProgrammeEndedError(DomainError):
    pass


def period_key(period: PaymentPeriod, day: date) -> str:
    """The period a payment made on ``day`` is for: paid twice in one is a warning."""
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return str(day.year)
    return "once"


def check_programme(
    name: str, budget: Decimal, starts_on: date, ends_on: date, excludes: list[ReferenceKind],
    hop_days: int, pay_days: int,
) -> None:
    check_amount(budget, f"the budget of {name}")
    if ends_on < starts_on:
        raise InvalidProgrammeError(f"{name} ends on {ends_on}, before it starts on {starts_on}.")
    wrong = [k for k in excludes if k not in EXCLUDABLE]
    if wrong:
        msg = f"{name} may exclude holders of {', '.join(EXCLUDABLE)} only, not {wrong}."
        raise InvalidProgrammeError(msg)
    if hop_days < 1 or pay_days < 1:
        raise InvalidProgrammeError(f"{name}: the time limits are at least one day.")


class Programme(DomainAggregate):
    noun: ClassVar[str] = "fund programme"
    NotFound: ClassVar[type[NotFoundError]] = ProgrammeNotFoundError

    @event("Opened")
    def __init__(
        self, id: UUID, name: str, managing_unit_id: UUID, budget: Decimal, starts_on: date,
        ends_on: date, period: PaymentPeriod, eligibility: str, excludes: list[ReferenceKind],
        exclusive_with: list[UUID], hop_days: int, pay_days: int, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.name = name
        self.managing_unit_id = managing_unit_id
        self.budget = budget
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.period = period
        self.eligibility = eligibility
        self.excludes = list(excludes)
        self.exclusive_with = list(exclusive_with)
        self.hop_days = hop_days
        self.pay_days = pay_days


def check_in_period(name: str, starts_on: date, ends_on: date, day: date, act: str) -> None:
    """Refuse a payment or hop dated outside the programme's period."""
    if day < starts_on:
        raise ProgrammeNotStartedError(f"{name} starts on {starts_on}; {act} on {day} is before.")
    if day > ends_on:
        raise ProgrammeEndedError(f"{name} ended on {ends_on}; {act} on {day} is after.")

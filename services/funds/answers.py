"""What the funds service's queries answer: public lists, a person's own payments, figures.
Nothing here carries a national id or a full name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class RecipientLine:
    """One line of a programme's public list (公示), as a community board shows it."""

    masked_name: str
    amount: Decimal
    paid_on: date
    paying_unit: str


@dataclass(frozen=True)
class OwnPayment:
    """A payment as its beneficiary sees it when looking themself up."""

    programme: str
    masked_name: str
    amount: Decimal
    paid_on: date
    method: str
    reversed: bool


@dataclass(frozen=True)
class BudgetUse:
    programme_id: UUID
    name: str
    budget: Decimal
    paid: Decimal
    share: Decimal  # paid / budget, to four places


@dataclass(frozen=True)
class ProgrammeLine:
    programme_id: UUID
    name: str
    managing_unit_id: UUID
    budget: Decimal
    starts_on: date
    ends_on: date
    period: str
    paid: Decimal
    person_times: int


@dataclass
class Figures:
    """The seed's figures for a period (or cumulatively since the platform began, with no
    start), and the ones beyond the seed."""

    start: date | None
    end: date
    units_enrolled: int
    programmes_supervised: int
    amount_supervised_yuan: Decimal  # the budgets of the programmes supervised
    amount_supervised_wan: Decimal  # the same in 万元, as the seed writes it
    amount_disbursed_yuan: Decimal  # paid in the period, net of reversals
    person_times: int  # payments to a person in the period, net of reversals (人次)
    person_times_wan: Decimal  # 约…万人次, one decimal place
    warnings: dict[str, dict[str, int]] = field(default_factory=dict)  # rule → outcome → n
    complaints: dict[str, int] = field(default_factory=dict)  # outcome → n
    complaints_overdue: int = 0
    mean_days_to_answer: Decimal | None = None
    budget_use: list[BudgetUse] = field(default_factory=list)
    held_up: dict[str, Decimal] = field(default_factory=dict)  # level → yuan not passed on

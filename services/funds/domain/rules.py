"""The warning rules (预警规则): each looks a payment up in the ledger's indexes (keyed
lookups, never a scan of the ledger) and says what it found, citing payments and reference
rows. The cost of a payment's rules does not grow with the ledger (bench/funds_ledger.py).

The indexes are the read model's (services/funds/views.py); a ledger recorded in one batch
sees its own earlier lines through :class:`PendingLines`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from shared.contracts.funds import ReferenceKind, WarningRule

# The reference file whose holders each excludable kind names, and the rule that fires.
HOLDER_RULES: dict[ReferenceKind, WarningRule] = {
    "public_payroll": "public_payroll",
    "vehicles": "vehicle_holder",
    "property": "property_holder",
}


@dataclass(frozen=True)
class ReferenceRef:
    """A row of an imported reference file: which import, which row, and its date if any."""

    import_id: UUID
    row: int
    on: date | None = None

    def cited(self) -> dict[str, object]:
        return {"import_id": self.import_id, "row": self.row}


@dataclass(frozen=True)
class PaymentFacts:
    payment_id: UUID
    programme_id: UUID
    beneficiary_id: str
    amount: Decimal
    paid_on: date
    period: str
    paying_unit_id: UUID
    method: str
    handler_id: str


@dataclass(frozen=True)
class ProgrammeFacts:
    programme_id: UUID
    name: str
    budget: Decimal
    excludes: tuple[ReferenceKind, ...]
    exclusive_with: frozenset[UUID]
    starts_on: date
    hop_days: int
    pay_days: int


@dataclass(frozen=True)
class Finding:
    """What a rule found: a warning to raise about ``subject_id`` (a payment, a hop)."""

    rule: WarningRule
    subject_id: UUID
    programme_id: UUID
    unit_id: UUID | None
    payment_ids: tuple[UUID, ...]
    detail: str
    references: tuple[ReferenceRef, ...] = ()
    allocation_id: UUID | None = None


class LedgerIndex(Protocol):
    """The keyed lookups the rules need; each answers in constant time."""

    def paid_in_period(self, programme_id: UUID, period: str, person: str) -> UUID | None: ...

    def paid_from(self, programme_id: UUID, person: str) -> UUID | None: ...

    def spent(self, programme_id: UUID) -> Decimal: ...

    def over_budget_warned(self, programme_id: UUID) -> bool: ...

    def death(self, person: str) -> ReferenceRef | None: ...

    def holding(self, kind: ReferenceKind, person: str) -> ReferenceRef | None: ...

    def relation(self, person: str, official: str) -> ReferenceRef | None: ...

    def arrival(self, programme_id: UUID, unit_id: UUID) -> date | None: ...


@dataclass
class PendingLines:
    """The indexes, with the lines of a ledger being recorded in the same batch on top."""

    base: LedgerIndex
    in_period: dict[tuple[UUID, str, str], UUID] = field(default_factory=dict)
    from_programme: dict[tuple[UUID, str], UUID] = field(default_factory=dict)
    added: dict[UUID, Decimal] = field(default_factory=dict)
    warned: set[UUID] = field(default_factory=set)

    def paid_in_period(self, programme_id: UUID, period: str, person: str) -> UUID | None:
        return (self.base.paid_in_period(programme_id, period, person)
                or self.in_period.get((programme_id, period, person)))

    def paid_from(self, programme_id: UUID, person: str) -> UUID | None:
        return (self.base.paid_from(programme_id, person)
                or self.from_programme.get((programme_id, person)))

    def spent(self, programme_id: UUID) -> Decimal:
        return self.base.spent(programme_id) + self.added.get(programme_id, Decimal(0))

    def over_budget_warned(self, programme_id: UUID) -> bool:
        return programme_id in self.warned or self.base.over_budget_warned(programme_id)

    def death(self, person: str) -> ReferenceRef | None:
        return self.base.death(person)

    def holding(self, kind: ReferenceKind, person: str) -> ReferenceRef | None:
        return self.base.holding(kind, person)

    def relation(self, person: str, official: str) -> ReferenceRef | None:
        return self.base.relation(person, official)

    def arrival(self, programme_id: UUID, unit_id: UUID) -> date | None:
        return self.base.arrival(programme_id, unit_id)

    def add(self, payment: PaymentFacts, findings: Iterable[Finding]) -> None:
        """A line recorded: the next lines of the batch see it."""
        key = (payment.programme_id, payment.period, payment.beneficiary_id)
        self.in_period.setdefault(key, payment.payment_id)
        self.from_programme.setdefault(
            (payment.programme_id, payment.beneficiary_id), payment.payment_id
        )
        self.added[payment.programme_id] = (
            self.added.get(payment.programme_id, Decimal(0)) + payment.amount
        )
        if any(f.rule == "over_budget" for f in findings):
            self.warned.add(payment.programme_id)


PaymentRule = Callable[[PaymentFacts, ProgrammeFacts, LedgerIndex], Finding | None]


def _finding(
    rule: WarningRule, p: PaymentFacts, detail: str, *others: UUID,
    references: tuple[ReferenceRef, ...] = (),
) -> Finding:
    return Finding(rule, p.payment_id, p.programme_id, p.paying_unit_id,
                   (*others, p.payment_id), detail, references)


def paid_twice_in_period(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    earlier = index.paid_in_period(p.programme_id, p.period, p.beneficiary_id)
    if earlier is None or earlier == p.payment_id:
        return None
    return _finding("paid_twice_in_period", p,
                    f"{g.name}: paid twice to one person for period {p.period}", earlier)


def mutually_exclusive(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    for other in sorted(g.exclusive_with):
        earlier = index.paid_from(other, p.beneficiary_id)
        if earlier is not None:
            return _finding("mutually_exclusive", p,
                            f"{g.name}: the person is also paid from an exclusive programme",
                            earlier)
    return None


def over_budget(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    if index.over_budget_warned(p.programme_id):
        return None
    total = index.spent(p.programme_id) + p.amount
    if total <= g.budget:
        return None
    return _finding("over_budget", p,
                    f"{g.name}: paid {total} yuan against a budget of {g.budget} yuan")


def paid_after_death(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    death = index.death(p.beneficiary_id)
    if death is None or death.on is None or p.paid_on <= death.on:
        return None
    return _finding("paid_after_death", p,
                    f"{g.name}: paid on {p.paid_on} to a person who died on {death.on}",
                    references=(death,))


def excluded_holder(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    for kind in g.excludes:
        held = index.holding(kind, p.beneficiary_id)
        if held is not None:
            rule = HOLDER_RULES[kind]
            return _finding(rule, p, f"{g.name} excludes people found in the {kind} file",
                            references=(held,))
    return None


def relative_of_handler(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    related = index.relation(p.beneficiary_id, p.handler_id)
    if related is None:
        return None
    return _finding("relative_of_handler", p,
                    f"{g.name}: paid to a relative of the official who handled it",
                    references=(related,))


def payment_late(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    """Paid more than ``pay_days`` after the latest tranche reached the paying unit."""
    arrived = index.arrival(p.programme_id, p.paying_unit_id)
    if arrived is None:
        return None
    due = arrived + timedelta(days=g.pay_days)
    if p.paid_on <= due:
        return None
    return _finding("payment_late", p,
                    f"{g.name}: paid on {p.paid_on}, due by {due} ({g.pay_days} days after "
                    f"the money arrived on {arrived})")


def paid_in_cash(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> Finding | None:
    if p.method != "cash":
        return None
    return _finding("paid_in_cash", p, f"{g.name}: paid in cash, not to the bank card")


PAYMENT_RULES: tuple[PaymentRule, ...] = (
    paid_twice_in_period, mutually_exclusive, over_budget, paid_after_death, excluded_holder,
    relative_of_handler, payment_late, paid_in_cash,
)


def payment_findings(p: PaymentFacts, g: ProgrammeFacts, index: LedgerIndex) -> list[Finding]:
    """Every rule's finding about one payment."""
    return [f for rule in PAYMENT_RULES if (f := rule(p, g, index)) is not None]


def hop_late(
    allocation_id: UUID, g: ProgrammeFacts, from_unit_id: UUID, made_on: date,
    arrived: date | None,
) -> Finding | None:
    """A hop made more than ``hop_days`` after the latest tranche reached the sending unit
    (the finance bureau's first tranche counts from the programme's first day)."""
    start = arrived or g.starts_on
    due = start + timedelta(days=g.hop_days)
    if made_on <= due:
        return None
    return Finding("hop_late", allocation_id, g.programme_id, from_unit_id, (),
                   f"{g.name}: passed on {made_on}, due by {due} ({g.hop_days} days after "
                   f"{start})", (), allocation_id)

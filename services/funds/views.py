"""The read side of the funds service: the ledger's indexes the warning rules look up, and the
records the figures, the public lists and the lookups are answered from, now or as of a date.

``FundsView`` follows the service's log and lives in its store (shared/readmodel.py). Its
handlers only ever look records up by key: no handler goes through a whole dict, so applying
a payment costs the same at the first payment and the millionth (the rules' cost is flat:
bench/funds_ledger.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.funds.domain import HOP_LEVELS, ReferenceRef, level_of_payer
from shared.contracts.funds import ReferenceKind
from shared.readmodel import Projection, records_of

ZERO = Decimal(0)


@dataclass
class UnitRecord:
    unit_id: UUID
    name: str
    kind: str
    parent_unit_id: UUID | None
    learned_at: datetime
    enrolled_on: date | None = None


@dataclass
class ProgrammeRecord:
    programme_id: UUID
    name: str
    managing_unit_id: UUID
    budget: Decimal
    starts_on: date
    ends_on: date
    period: str
    eligibility: str
    excludes: list[ReferenceKind]
    exclusive_with: list[UUID]
    hop_days: int
    pay_days: int
    opened_at: datetime
    paid: Decimal = ZERO  # net of reversals
    payments: int = 0  # net of reversals: beneficiary person-times
    over_budget_warned: bool = False


@dataclass
class PaymentRecord:
    payment_id: UUID
    programme_id: UUID
    beneficiary_id: str
    masked_name: str
    amount: Decimal
    paid_on: date
    period: str
    paying_unit_id: UUID
    method: str
    reversed_on: date | None = None


@dataclass
class AllocationRecord:
    allocation_id: UUID
    programme_id: UUID
    hop: str
    from_unit_id: UUID
    to_unit_id: UUID
    amount: Decimal
    made_on: date


@dataclass
class LevelMoney:
    """Money of one programme at one level: what reached it and what it passed on."""

    received: Decimal = ZERO
    passed_on: Decimal = ZERO

    @property
    def held(self) -> Decimal:
        return self.received - self.passed_on


@dataclass
class ImportRecord:
    import_id: UUID
    kind: str
    source: str
    row_count: int
    imported_at: datetime


@dataclass
class WarningRecord:
    warning_id: UUID
    rule: str
    programme_id: UUID
    unit_id: UUID | None
    payment_ids: list[UUID]
    allocation_id: UUID | None
    references: list[dict[str, Any]]
    detail: str
    raised_at: datetime
    outcome: str = "open"
    settled_at: datetime | None = None
    reason: str | None = None
    referral_id: UUID | None = None


@dataclass
class ComplaintRecord:
    complaint_id: UUID
    channel: str
    programme_id: UUID | None
    answer_by: date
    received_at: datetime
    outcome: str = "open"
    settled_at: datetime | None = None
    on_time: bool | None = None
    overdue_recorded: bool = False
    referral_id: UUID | None = None


@dataclass
class ReferralRecord:
    referral_id: UUID
    source: str
    source_id: UUID
    programme_id: UUID | None
    made_at: datetime


@dataclass
class Totals:
    """Running totals for the gauges (net of reversals)."""

    payments: int = 0
    amount: Decimal = ZERO
    open_warnings: dict[str, int] = field(default_factory=dict)


class FundsView(Projection):
    """Units, programmes, the money's path, the ledger and its indexes, reference rows,
    warnings, complaints and referrals."""

    stored = (
        "units", "programmes", "exclusive", "payments", "by_period", "by_programme",
        "payments_of", "holdings", "relations", "imports", "allocations", "arrivals",
        "money_at", "warnings", "complaints", "referrals",
    )
    stored_scalars = ("totals",)

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.units: dict[UUID, UnitRecord] = {}
        self.programmes: dict[UUID, ProgrammeRecord] = {}
        # Each programme's mutually exclusive programmes, both ways.
        self.exclusive: dict[UUID, set[UUID]] = {}
        self.payments: dict[UUID, PaymentRecord] = {}
        # The first live payment of a programme to a person in a period, and in any period.
        self.by_period: dict[tuple[UUID, str, str], UUID] = {}
        self.by_programme: dict[tuple[UUID, str], UUID] = {}
        # Every payment to a person (their own lookup).
        self.payments_of: dict[str, list[UUID]] = {}
        # Reference rows by (kind, person): deaths, payroll, vehicles, property.
        self.holdings: dict[tuple[str, str], ReferenceRef] = {}
        # Relatives of officials, by (relative, official).
        self.relations: dict[tuple[str, str], ReferenceRef] = {}
        self.imports: dict[UUID, ImportRecord] = {}
        self.allocations: dict[UUID, AllocationRecord] = {}
        # When a programme's latest tranche reached a unit.
        self.arrivals: dict[tuple[UUID, UUID], date] = {}
        self.money_at: dict[tuple[UUID, str], LevelMoney] = {}
        self.warnings: dict[UUID, WarningRecord] = {}
        self.complaints: dict[UUID, ComplaintRecord] = {}
        self.referrals: dict[UUID, ReferralRecord] = {}
        self.totals = Totals()

    # The indexes the rules look up (services/funds/domain/rules.py, LedgerIndex).

    def paid_in_period(self, programme_id: UUID, period: str, person: str) -> UUID | None:
        return self.by_period.get((programme_id, period, person))

    def paid_from(self, programme_id: UUID, person: str) -> UUID | None:
        return self.by_programme.get((programme_id, person))

    def spent(self, programme_id: UUID) -> Decimal:
        programme = self.programmes.get(programme_id)
        return ZERO if programme is None else programme.paid

    def over_budget_warned(self, programme_id: UUID) -> bool:
        programme = self.programmes.get(programme_id)
        return programme is not None and programme.over_budget_warned

    def death(self, person: str) -> ReferenceRef | None:
        return self.holdings.get(("deaths", person))

    def holding(self, kind: ReferenceKind, person: str) -> ReferenceRef | None:
        return self.holdings.get((kind, person))

    def relation(self, person: str, official: str) -> ReferenceRef | None:
        return self.relations.get((person, official))

    def arrival(self, programme_id: UUID, unit_id: UUID) -> date | None:
        return self.arrivals.get((programme_id, unit_id))

    def exclusive_of(self, programme_id: UUID) -> frozenset[UUID]:
        return frozenset(self.exclusive.get(programme_id, ()))

    # Units.

    def on_PlatformUnit_Learned(self, e: Any) -> None:  # noqa: N802 - named after the event
        self.units[e.unit_id] = UnitRecord(
            e.unit_id, e.name, e.kind, e.parent_unit_id, e.occurred_at
        )

    def on_PlatformUnit_Enrolled(self, e: Any) -> None:  # noqa: N802
        self.units[e.unit_id].enrolled_on = e.enrolled_on

    # Programmes and the money's path.

    def on_Programme_Opened(self, e: Any) -> None:  # noqa: N802
        pid = e.originator_id
        self.programmes[pid] = ProgrammeRecord(
            pid, e.name, e.managing_unit_id, e.budget, e.starts_on, e.ends_on, e.period,
            e.eligibility, list(e.excludes), list(e.exclusive_with), e.hop_days, e.pay_days,
            e.occurred_at,
        )
        for other in e.exclusive_with:
            self.exclusive[pid] = {*self.exclusive.get(pid, set()), other}
            self.exclusive[other] = {*self.exclusive.get(other, set()), pid}
        self.money_at[(pid, "finance")] = LevelMoney(received=e.budget)

    def on_Allocation_Made(self, e: Any) -> None:  # noqa: N802
        self.allocations[e.originator_id] = AllocationRecord(
            e.originator_id, e.programme_id, e.hop, e.from_unit_id, e.to_unit_id, e.amount,
            e.made_on,
        )
        sender, receiver = HOP_LEVELS[e.hop]
        self._level(e.programme_id, sender).passed_on += e.amount
        self._level(e.programme_id, receiver).received += e.amount
        # The latest tranche's arrival starts the clock for what the unit passes on or pays.
        key = (e.programme_id, e.to_unit_id)
        if key not in self.arrivals or e.made_on > self.arrivals[key]:
            self.arrivals[key] = e.made_on

    def _level(self, programme_id: UUID, level: str) -> LevelMoney:
        key = (programme_id, level)
        found = self.money_at.get(key)
        if found is None:
            found = self.money_at[key] = LevelMoney()
        return found

    # The ledger.

    def on_Payment_Recorded(self, e: Any) -> None:  # noqa: N802
        pid = e.originator_id
        self.payments[pid] = PaymentRecord(
            pid, e.programme_id, e.beneficiary_id, e.masked_name, e.amount, e.paid_on,
            e.period, e.paying_unit_id, e.method,
        )
        self.by_period.setdefault((e.programme_id, e.period, e.beneficiary_id), pid)
        self.by_programme.setdefault((e.programme_id, e.beneficiary_id), pid)
        self.payments_of[e.beneficiary_id] = [*self.payments_of.get(e.beneficiary_id, []), pid]
        programme = self.programmes[e.programme_id]
        programme.paid += e.amount
        programme.payments += 1
        unit = self.units.get(e.paying_unit_id)
        level = level_of_payer(unit.kind if unit is not None else "")
        self._level(e.programme_id, level).passed_on += e.amount
        self.totals.payments += 1
        self.totals.amount += e.amount

    def on_Reversal_Recorded(self, e: Any) -> None:  # noqa: N802
        payment = self.payments[e.payment_id]
        payment.reversed_on = e.reversed_on
        programme = self.programmes[e.programme_id]
        programme.paid -= e.amount
        programme.payments -= 1
        key = (payment.programme_id, payment.period, payment.beneficiary_id)
        if self.by_period.get(key) == payment.payment_id:
            del self.by_period[key]
        if self.by_programme.get((payment.programme_id, payment.beneficiary_id)) == e.payment_id:
            del self.by_programme[(payment.programme_id, payment.beneficiary_id)]
        unit = self.units.get(payment.paying_unit_id)
        level = level_of_payer(unit.kind if unit is not None else "")
        self._level(e.programme_id, level).passed_on -= e.amount
        self.totals.payments -= 1
        self.totals.amount -= e.amount

    # Reference data.

    def on_ReferenceImport_Imported(self, e: Any) -> None:  # noqa: N802
        iid = e.originator_id
        self.imports[iid] = ImportRecord(iid, e.kind, e.source, e.row_count, e.occurred_at)
        for row in e.rows:
            ref = ReferenceRef(iid, row["row"], row.get("on"))
            if e.kind == "relations":
                self.relations.setdefault((row["person_id"], row["official_id"]), ref)
            else:
                # An earlier file's row stays the one cited; a later file adds people.
                self.holdings.setdefault((e.kind, row["person_id"]), ref)

    # Warnings, complaints, referrals.

    def on_FundsWarning_Raised(self, e: Any) -> None:  # noqa: N802
        self.warnings[e.originator_id] = WarningRecord(
            e.originator_id, e.rule, e.programme_id, e.unit_id, list(e.payment_ids),
            e.allocation_id, list(e.references), e.detail, e.occurred_at,
        )
        if e.rule == "over_budget":
            self.programmes[e.programme_id].over_budget_warned = True
        self._count_open(e.rule, +1)

    def _count_open(self, rule: str, change: int) -> None:
        counts = self.totals.open_warnings
        counts[rule] = counts.get(rule, 0) + change

    def on_FundsWarning_Cleared(self, e: Any) -> None:  # noqa: N802
        warning = self.warnings[e.originator_id]
        warning.outcome, warning.settled_at, warning.reason = "cleared", e.occurred_at, e.reason
        self._count_open(warning.rule, -1)

    def on_FundsWarning_Transferred(self, e: Any) -> None:  # noqa: N802
        warning = self.warnings[e.originator_id]
        warning.outcome, warning.settled_at = "transferred", e.occurred_at
        warning.referral_id = e.referral_id
        self._count_open(warning.rule, -1)

    def on_Complaint_Received(self, e: Any) -> None:  # noqa: N802
        self.complaints[e.originator_id] = ComplaintRecord(
            e.originator_id, e.channel, e.programme_id, e.answer_by, e.occurred_at
        )

    def on_Complaint_Answered(self, e: Any) -> None:  # noqa: N802
        complaint = self.complaints[e.originator_id]
        complaint.outcome, complaint.settled_at = "answered", e.occurred_at
        complaint.on_time = e.on_time

    def on_Complaint_Transferred(self, e: Any) -> None:  # noqa: N802
        complaint = self.complaints[e.originator_id]
        complaint.outcome, complaint.settled_at = "transferred", e.occurred_at
        complaint.referral_id = e.referral_id

    def on_Complaint_Overdue(self, e: Any) -> None:  # noqa: N802
        self.complaints[e.originator_id].overdue_recorded = True

    def on_Referral_Made(self, e: Any) -> None:  # noqa: N802
        self.referrals[e.originator_id] = ReferralRecord(
            e.originator_id, e.source, e.source_id, e.programme_id, e.occurred_at
        )


FundsView.record_classes = records_of(__name__, ReferenceRef)

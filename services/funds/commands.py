"""Pydantic models of the funds service's commands and queries: each one's fields are the
keyword parameters of the application method it is bound to (services/funds/service.py).

A national id (身份证号) is accepted only to be turned into a pseudonymous id at once
(services/funds/pseudonyms.py); a refusal never repeats it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.bounds import BusinessDate, Name, Note, PersonName, Subject, Text, Title
from shared.commands import Command, CreatingCommand, Query
from shared.contracts.funds import (
    ComplaintOutcome,
    Hop,
    PaymentMethod,
    PaymentPeriod,
    ReferenceKind,
    WarningOutcome,
    WarningRule,
)

# Yuan to the fen: more than zero, at most two decimal places (pydantic refuses the rest with
# the field's name; the domain checks again: services/funds/domain/money.py).
Money = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2)]
NationalId = Annotated[
    str, Field(min_length=18, max_length=18, pattern=r"^[0-9]{17}[0-9Xx]$",
               description="a national id (身份证号): pseudonymised at once, never stored"),
]
MAX_LEDGER_LINES = 1000
MAX_REFERENCE_ROWS = 100_000


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EnrolUnit(Command):
    unit_id: UUID
    enrolled_on: BusinessDate


class OpenProgramme(CreatingCommand):
    name: Title
    managing_unit_id: UUID
    budget: Money
    starts_on: BusinessDate
    ends_on: BusinessDate
    period: PaymentPeriod
    eligibility: Text
    excludes: Annotated[list[ReferenceKind], Field(max_length=3)] = Field(default_factory=list)
    exclusive_with: Annotated[list[UUID], Field(max_length=50)] = Field(default_factory=list)
    hop_days: Annotated[int, Field(ge=1, le=365)] = 15
    pay_days: Annotated[int, Field(ge=1, le=365)] = 30
    programme_id: UUID | None = None


class Allocate(CreatingCommand):
    programme_id: UUID
    hop: Hop
    from_unit_id: UUID
    to_unit_id: UUID
    amount: Money
    made_on: BusinessDate
    allocation_id: UUID | None = None


class LedgerLine(Frozen):
    """One line of a disbursement ledger (发放台账)."""

    programme_id: UUID
    national_id: NationalId
    name: PersonName
    amount: Money
    paid_on: BusinessDate
    paying_unit_id: UUID
    method: PaymentMethod = "bank_card"
    handler_national_id: NationalId
    payment_id: UUID | None = None


class RecordPayment(CreatingCommand):
    line: LedgerLine


class RecordLedger(Command):
    """A ledger of payments, stored together (one transaction); a line the ledger holds
    already (same ``payment_id``) refuses the whole ledger."""

    lines: Annotated[list[LedgerLine], Field(min_length=1, max_length=MAX_LEDGER_LINES)]


class ReversePayment(CreatingCommand):
    payment_id: UUID
    reversed_on: BusinessDate
    reason: Note


class ReferenceLine(Frozen):
    """One row of a reference file: the person, and what the row says."""

    national_id: NationalId
    on: BusinessDate | None = None  # a date of death
    official_national_id: NationalId | None = None  # the official a relative is related to
    note: Note = ""  # the employer, vehicle or property; never a personal identifier


class ImportReference(CreatingCommand):
    kind: ReferenceKind
    source: Name
    rows: Annotated[list[ReferenceLine], Field(min_length=1, max_length=MAX_REFERENCE_ROWS)]


class ClearWarning(Command):
    warning_id: UUID
    reason: Note


class TransferWarning(Command):
    warning_id: UUID
    summary: Subject  # what casework reads: no complainant, no beneficiary in clear


class ReceiveComplaint(CreatingCommand):
    channel: Name
    programme_id: UUID | None = None
    text: Text
    complaint_id: UUID | None = None


class AnswerComplaint(Command):
    complaint_id: UUID
    answer: Text


class TransferComplaint(Command):
    complaint_id: UUID
    summary: Subject


# Queries.


class AsOf(Query):
    as_of: BusinessDate | None = None


class ProgrammeQuery(Query):
    programme_id: UUID
    as_of: BusinessDate | None = None


class OwnPayments(Query):
    national_id: NationalId


class WarningQuery(Query):
    rule: WarningRule | None = None
    outcome: WarningOutcome | None = None
    as_of: BusinessDate | None = None


class ComplaintQuery(Query):
    outcome: ComplaintOutcome | None = None
    as_of: BusinessDate | None = None


class FiguresQuery(Query):
    start: BusinessDate | None = None  # none: cumulative since the platform began
    end: BusinessDate

"""Public events of the livelihood-funds service (惠民资金监管平台).

A beneficiary appears only as a pseudonymous id (a keyed hash of the national id); the clear
id never leaves the service. A complainant's identity never appears in any event.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import EventData, contract

SERVICE = "funds"

# What a referral to casework comes from: a complaint (投诉) not answered in time or judged
# serious, or a warning (预警) an inspector judged worth a case.
ReferralSource = Literal["complaint", "warning"]


@contract(
    service=SERVICE, name="matter_referred_to_casework", domain_event="Referral.Made",
    subject_field="referral_id", classification="internal",
)
class MatterReferredToCasework(EventData):
    """A lead for casework (问题线索), self-contained: what it comes from, the programme and
    unit concerned, the payments cited and why. It names no complainant and no beneficiary in
    clear."""

    referral_id: UUID
    source: ReferralSource
    source_id: UUID = Field(description="the complaint's or the warning's id in funds")
    programme_id: UUID | None
    unit_id: UUID | None = Field(description="the paying or managing unit concerned, if known")
    payment_ids: list[UUID] = Field(default_factory=list)
    summary: str = Field(min_length=1, max_length=2000)


# The service's vocabularies, defined here once: the domain derives its tuples from them.

# How often a programme pays a beneficiary: "paid twice in one period" is judged per period.
PaymentPeriod = Literal["month", "quarter", "year", "once"]
# How the money reached the person: a bank card (一卡通) or cash, itself a warning sign.
PaymentMethod = Literal["bank_card", "cash"]
# The levels the money passes (资金拨付路径): finance bureau → managing department →
# town or subdistrict → community → person.
Level = Literal["finance", "department", "town", "community"]
# A hop from one level to the next; the last step, to the person, is the payment itself.
Hop = Literal["finance_to_department", "department_to_town", "town_to_community"]
# Reference data other departments provide (比对数据): deaths (死亡人员), people paid from public
# funds (财政供养人员), vehicle holders (车辆), property holders (房产), and relatives of the
# officials who handle the money (经办人亲属: cadres of villages and communities).
ReferenceKind = Literal["deaths", "public_payroll", "vehicles", "property", "relations"]
# The warning rules (预警规则), each firing a warning that cites payments and reference rows.
WarningRule = Literal[
    "paid_twice_in_period",      # 重复发放
    "mutually_exclusive",        # 互斥项目重复享受
    "over_budget",               # 超预算发放
    "paid_after_death",          # 死亡人员冒领
    "public_payroll",            # 财政供养人员违规享受
    "vehicle_holder",            # 有车辆者违规享受
    "property_holder",           # 有房产者违规享受
    "relative_of_handler",       # 优亲厚友
    "hop_late",                  # 拨付超时
    "payment_late",              # 发放超时
    "paid_in_cash",              # 现金发放
]
WarningOutcome = Literal["open", "cleared", "transferred"]
ComplaintOutcome = Literal["open", "answered", "transferred"]


class ReferenceRowCited(BaseModel):
    """A row of an imported reference file, cited by a warning (the import, and the row's
    number in its file counting from 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    import_id: UUID
    row: int = Field(ge=1)


class ReferenceEntry(BaseModel):
    """One row of a reference file as stored: the person's pseudonymous id, and what the row
    says (a date of death; the official a relative is related to, also pseudonymous; a note
    naming the employer, vehicle or property, without any personal identifier)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    row: int = Field(ge=1)
    person_id: str = Field(description="pseudonymous id of the person (keyed hash)")
    on: date | None = None
    official_id: str | None = None
    note: str = ""


@contract(
    service=SERVICE, name="unit_learned", domain_event="PlatformUnit.Learned",
    subject_field="platform_unit_id",
)
class UnitLearned(EventData):
    """A unit registered with the responsibility service, known to the funds platform."""

    platform_unit_id: UUID
    unit_id: UUID
    name: str
    kind: str
    parent_unit_id: UUID | None
    upstream_event_id: str


@contract(
    service=SERVICE, name="unit_enrolled", domain_event="PlatformUnit.Enrolled",
    subject_field="platform_unit_id",
)
class UnitEnrolled(EventData):
    """A unit enrolled on the platform (纳入平台) on a day of its own."""

    platform_unit_id: UUID
    unit_id: UUID
    enrolled_on: date


@contract(
    service=SERVICE, name="programme_opened", domain_event="Programme.Opened",
    subject_field="programme_id",
)
class ProgrammeOpened(EventData):
    programme_id: UUID
    name: str
    managing_unit_id: UUID
    budget: Decimal
    starts_on: date
    ends_on: date
    period: PaymentPeriod
    eligibility: str
    excludes: list[ReferenceKind]
    exclusive_with: list[UUID]
    hop_days: int
    pay_days: int


@contract(
    service=SERVICE, name="allocation_made", domain_event="Allocation.Made",
    subject_field="allocation_id",
)
class AllocationMade(EventData):
    """One hop of the money's path (拨付), from one unit to the next level's."""

    allocation_id: UUID
    programme_id: UUID
    hop: Hop
    from_unit_id: UUID
    to_unit_id: UUID
    amount: Decimal
    made_on: date


@contract(
    service=SERVICE, name="payment_recorded", domain_event="Payment.Recorded",
    subject_field="payment_id", classification="internal",
)
class PaymentRecorded(EventData):
    """A line of the disbursement ledger (发放台账). The beneficiary is a pseudonymous id and a
    masked name; the clear national id is never stored."""

    payment_id: UUID
    programme_id: UUID
    beneficiary_id: str
    masked_name: str
    amount: Decimal
    paid_on: date
    period: str
    paying_unit_id: UUID
    method: PaymentMethod
    handler_id: str = Field(description="pseudonymous id of the official who handled it")


@contract(
    service=SERVICE, name="payment_reversed", domain_event="Reversal.Recorded",
    subject_field="reversal_id", classification="internal",
)
class PaymentReversed(EventData):
    """A reversing entry (冲正): cites the payment it reverses, which is never edited."""

    reversal_id: UUID
    payment_id: UUID
    programme_id: UUID
    amount: Decimal
    reversed_on: date
    reason: str


@contract(
    service=SERVICE, name="reference_data_imported", domain_event="ReferenceImport.Imported",
    subject_field="import_id", classification="confidential",
)
class ReferenceDataImported(EventData):
    """A reference file another department provided, imported as it came: its source, its
    row count and its rows (pseudonymous). A later file adds to it, never replaces it."""

    import_id: UUID
    kind: ReferenceKind
    source: str
    digest: str
    row_count: int
    rows: list[ReferenceEntry]


@contract(
    service=SERVICE, name="warning_raised", domain_event="FundsWarning.Raised",
    subject_field="warning_id", classification="internal",
)
class WarningRaised(EventData):
    warning_id: UUID
    rule: WarningRule
    programme_id: UUID
    unit_id: UUID | None
    payment_ids: list[UUID]
    allocation_id: UUID | None
    references: list[ReferenceRowCited]
    detail: str


@contract(
    service=SERVICE, name="warning_cleared", domain_event="FundsWarning.Cleared",
    subject_field="warning_id", classification="internal",
)
class WarningCleared(EventData):
    warning_id: UUID
    reason: str


@contract(
    service=SERVICE, name="warning_transferred", domain_event="FundsWarning.Transferred",
    subject_field="warning_id", classification="internal",
)
class WarningTransferred(EventData):
    warning_id: UUID
    referral_id: UUID


@contract(
    service=SERVICE, name="complaint_received", domain_event="Complaint.Received",
    subject_field="complaint_id", classification="confidential",
)
class ComplaintReceived(EventData):
    """A complaint (投诉) taken in real time; the complainant is never named."""

    complaint_id: UUID
    channel: str
    programme_id: UUID | None
    text: str
    answer_by: date


@contract(
    service=SERVICE, name="complaint_answered", domain_event="Complaint.Answered",
    subject_field="complaint_id", classification="confidential",
)
class ComplaintAnswered(EventData):
    complaint_id: UUID
    answer: str
    on_time: bool


@contract(
    service=SERVICE, name="complaint_transferred", domain_event="Complaint.Transferred",
    subject_field="complaint_id", classification="internal",
)
class ComplaintTransferred(EventData):
    complaint_id: UUID
    referral_id: UUID


@contract(
    service=SERVICE, name="complaint_overdue", domain_event="Complaint.Overdue",
    subject_field="complaint_id", classification="internal",
)
class ComplaintOverdue(EventData):
    complaint_id: UUID
    answer_by: date

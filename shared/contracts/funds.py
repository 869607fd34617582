"""Public events of the livelihood-funds service (惠民资金监管平台).

A beneficiary appears only as a pseudonymous id (a keyed hash of the national id); the clear
id never leaves the service. A complainant's identity never appears in any event.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

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

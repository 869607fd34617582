"""A referral to casework (移送问题线索): a complaint or a warning handed on as a lead, stored
as ``Referral.Made`` (shared/contracts/funds.py, MatterReferredToCasework), which casework
consumes. Its id derives from what it comes from, so a matter is referred once."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.funds import ReferralSource
from shared.domain import DomainAggregate
from shared.errors import NotFoundError


class ReferralNotFoundError(NotFoundError):
    pass


class Referral(DomainAggregate):
    noun: ClassVar[str] = "referral"
    NotFound: ClassVar[type[NotFoundError]] = ReferralNotFoundError

    @staticmethod
    def create_id(source: ReferralSource, source_id: UUID) -> UUID:
        return derived_id(f"referral:{source}:{source_id}")

    @event("Made")
    def __init__(
        self, source: ReferralSource, source_id: UUID, programme_id: UUID | None,
        unit_id: UUID | None, payment_ids: list[UUID], summary: str, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.source = source
        self.source_id = source_id
        self.programme_id = programme_id
        self.unit_id = unit_id
        self.payment_ids = list(payment_ids)
        self.summary = summary

"""A warning (预警) a rule fired: it cites the payments (or the hop) and the reference rows
that made it fire. It is cleared with a reason, or transferred to casework as a lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.funds import WarningOutcome, WarningRule
from shared.domain import DomainAggregate
from shared.errors import ConflictError, NotFoundError

WARNING_RULES: tuple[WarningRule, ...] = get_args(WarningRule)
WARNING_OUTCOMES: tuple[WarningOutcome, ...] = get_args(WarningOutcome)


class WarningNotFoundError(NotFoundError):
    pass


class WarningAlreadySettledError(ConflictError):
    """The warning was cleared or transferred already."""


class FundsWarning(DomainAggregate):
    noun: ClassVar[str] = "warning"
    NotFound: ClassVar[type[NotFoundError]] = WarningNotFoundError

    @staticmethod
    def id_for(rule: WarningRule, subject_id: UUID) -> UUID:
        """One warning per rule and the payment (or hop, or programme) that fired it."""
        return derived_id(f"warning:{rule}:{subject_id}")

    @event("Raised")
    def __init__(
        self, id: UUID, rule: WarningRule, programme_id: UUID, unit_id: UUID | None,
        payment_ids: list[UUID], allocation_id: UUID | None,
        references: list[dict[str, Any]], detail: str, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.rule = rule
        self.programme_id = programme_id
        self.unit_id = unit_id
        self.payment_ids = list(payment_ids)
        self.allocation_id = allocation_id
        self.references = list(references)
        self.detail = detail
        self.outcome: WarningOutcome = "open"

    def _check_open(self) -> None:
        if self.outcome != "open":
            raise WarningAlreadySettledError(f"This warning was {self.outcome} already.")

    def clear(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_open()
        self._cleared(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("Cleared")
    def _cleared(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.outcome = "cleared"

    def transfer(self, referral_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self._check_open()
        self._transferred(referral_id=referral_id, actor=actor, occurred_at=occurred_at)

    @event("Transferred")
    def _transferred(self, referral_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.outcome = "transferred"


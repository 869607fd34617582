"""A complaint (投诉) taken in real time: its channel, the programme it concerns, its text. It
is answered by its deadline (DUTYTRAIL_FUNDS_COMPLAINT_ANSWER_DAYS) or transferred to casework
as a lead; the clock records it overdue, once."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.funds import ComplaintOutcome
from shared.domain import DomainAggregate
from shared.errors import ConflictError, NotFoundError

COMPLAINT_OUTCOMES: tuple[ComplaintOutcome, ...] = get_args(ComplaintOutcome)


class ComplaintNotFoundError(NotFoundError):
    pass


class ComplaintAlreadySettledError(ConflictError):
    pass


class Complaint(DomainAggregate):
    noun: ClassVar[str] = "complaint"
    NotFound: ClassVar[type[NotFoundError]] = ComplaintNotFoundError

    @event("Received")
    def __init__(
        self, id: UUID, channel: str, programme_id: UUID | None, text: str, answer_by: date,
        actor: Actor, occurred_at: datetime,
    ) -> None:
        self.channel = channel
        self.programme_id = programme_id
        self.text = text
        self.answer_by = answer_by
        self.outcome: ComplaintOutcome = "open"
        self.overdue_recorded = False

    def _check_open(self) -> None:
        if self.outcome != "open":
            raise ComplaintAlreadySettledError(f"This complaint was {self.outcome} already.")

    def answer(self, answer: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_open()
        on_time = occurred_at.date() <= self.answer_by
        self._answered(answer=answer, on_time=on_time, actor=actor, occurred_at=occurred_at)

    @event("Answered")
    def _answered(self, answer: str, on_time: bool, actor: Actor, occurred_at: datetime) -> None:
        self.outcome = "answered"

    def transfer(self, referral_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self._check_open()
        self._transferred(referral_id=referral_id, actor=actor, occurred_at=occurred_at)

    @event("Transferred")
    def _transferred(self, referral_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.outcome = "transferred"

    def is_overdue(self, day: date) -> bool:
        return self.outcome == "open" and day > self.answer_by

    def mark_overdue(self, actor: Actor, occurred_at: datetime) -> bool:
        """Record once that the deadline passed unanswered; False if nothing to record."""
        if self.overdue_recorded or not self.is_overdue(occurred_at.date()):
            return False
        self._overdue(answer_by=self.answer_by, actor=actor, occurred_at=occurred_at)
        return True

    @event("Overdue")
    def _overdue(self, answer_by: date, actor: Actor, occurred_at: datetime) -> None:
        self.overdue_recorded = True

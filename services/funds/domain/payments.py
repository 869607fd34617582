"""The disbursement ledger (发放台账): each payment, never edited. A wrong one is reversed by
an entry that cites it (冲正), once.

A beneficiary is a pseudonymous id (a keyed hash of the national id, made by the service:
services/funds/pseudonyms.py) and a masked name as a community board shows it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.funds.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.funds import PaymentMethod
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError

PAYMENT_METHODS: tuple[PaymentMethod, ...] = get_args(PaymentMethod)


class PaymentNotFoundError(NotFoundError):
    pass


class DuplicatePaymentError(ConflictError):
    """A payment id the ledger holds already (a ledger sent twice)."""


class PaymentAlreadyReversedError(ConflictError):
    pass


class LedgerTooLongError(DomainError):
    """A ledger with more lines than one transaction takes (DUTYTRAIL_FUNDS_MAX_LEDGER_LINES)."""


class ReversalNotFoundError(NotFoundError):
    pass


class InvalidReversalError(DomainError):
    pass


def mask_name(name: str) -> str:
    """A name as a public list shows it (张*, 张*明, 欧阳**): the first character, and the last
    of a name of three or more, with the rest starred."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[0] + "*" * (len(name) - 2) + name[-1]


class Payment(DomainAggregate):
    noun: ClassVar[str] = "payment"
    NotFound: ClassVar[type[NotFoundError]] = PaymentNotFoundError

    @event("Recorded")
    def __init__(
        self, id: UUID, programme_id: UUID, beneficiary_id: str, masked_name: str, amount: Decimal,
        paid_on: date, period: str, paying_unit_id: UUID, method: PaymentMethod,
        handler_id: str, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.programme_id = programme_id
        self.beneficiary_id = beneficiary_id
        self.masked_name = masked_name
        self.amount = amount
        self.paid_on = paid_on
        self.period = period
        self.paying_unit_id = paying_unit_id
        self.method = method
        self.handler_id = handler_id


class Reversal(DomainAggregate):
    """The entry that reverses one payment: its id derives from the payment's, so a payment
    is reversed at most once."""

    noun: ClassVar[str] = "reversal"
    NotFound: ClassVar[type[NotFoundError]] = ReversalNotFoundError

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        return derived_id(f"reversal:{payment_id}")

    @event("Recorded")
    def __init__(
        self, payment_id: UUID, programme_id: UUID, amount: Decimal, reversed_on: date,
        reason: str, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.payment_id = payment_id
        self.programme_id = programme_id
        self.amount = amount
        self.reversed_on = reversed_on
        self.reason = reason


def check_reversal(paid_on: date, reversed_on: date) -> None:
    if reversed_on < paid_on:
        msg = f"A payment made on {paid_on} cannot be reversed on {reversed_on}, before it."
        raise InvalidReversalError(msg)

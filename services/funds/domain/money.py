"""Money is yuan as ``Decimal``, to the fen (two places), never a float."""

from __future__ import annotations

from decimal import Decimal

from shared.errors import DomainError

FEN = Decimal("0.01")
WAN = Decimal(10_000)  # 万元: the seed counts money in ten thousands of yuan


class InvalidAmountError(DomainError):
    """An amount of money that cannot be paid: not positive, or finer than a fen."""


def check_amount(amount: Decimal, what: str = "the amount") -> Decimal:
    """``amount`` if it is a positive number of yuan with at most two decimal places."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmountError(f"{what} must be a number of yuan, not {amount!r}.")
    if amount <= 0:
        raise InvalidAmountError(f"{what} must be more than zero yuan, not {amount}.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InvalidAmountError(
            f"{what} {amount} is finer than a fen: at most two decimal places."
        )
    return amount


def in_wan(yuan: Decimal) -> Decimal:
    """Yuan in 万元, to two places, as the seed writes money."""
    return (yuan / WAN).quantize(FEN)

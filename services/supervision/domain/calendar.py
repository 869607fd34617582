"""Calendar rules: quarters, and when a deadline has passed.

A deadline day itself is still on time, for rectification notices and quarterly reports
alike; the day after, the deadline has passed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import get_args

from shared.contracts.supervision import Quarter
from shared.errors import DomainError

QUARTERS: tuple[int, ...] = get_args(Quarter)


class InvalidQuarterError(DomainError):
    pass


def check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        msg = f"There is no quarter {quarter}: quarters are numbered 1 to 4."
        raise InvalidQuarterError(msg)


def quarter_of(day: date) -> tuple[int, int]:
    """The (year, quarter) a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_start(year, quarter + 1) - timedelta(days=1)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_key(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def report_deadline(year: int, quarter: int, grace_days: int) -> date:
    """The last day a quarterly report is on time: ``grace_days`` after the quarter ends."""
    return quarter_end(year, quarter) + timedelta(days=grace_days)


def days_left(deadline: date, day: date) -> int:
    """Days from ``day`` to ``deadline``: 0 on the deadline day, negative once it passed."""
    return (deadline - day).days


def deadline_passed(deadline: date, day: date) -> bool:
    return days_left(deadline, day) < 0

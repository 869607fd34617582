"""Deadlines counted in working days (工作日: Monday to Friday; public holidays are not modelled,
so a deadline over a holiday falls early, never late) or in months, and the one rule that
says where a deadline stands on a day: the clock, the queries and the gauges all ask it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

DeadlineState = Literal["running", "warning", "overdue"]


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
    before ``start``)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for n in range(1, (end - start).days + 1)
        if (start + timedelta(days=n)).weekday() < 5
    )


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DeadlineRule:
    """When a deadline warns: ``warning_working_days`` or fewer working days left."""

    warning_working_days: int = 3

    def state(self, due: date, day: date) -> DeadlineState:
        if day > due:
            return "overdue"
        if working_days_between(day, due) <= self.warning_working_days:
            return "warning"
        return "running"

"""Deadlines counted in working days (工作日) or in months, and the one rule that says where a
deadline stands on a day: the clock, the queries and the gauges all ask it.

A working day is Monday to Friday, except the public holidays (法定节假日), plus the make-up
working days (调休上班) the State Council moves onto a weekend around them. Both lists are
configured (``DUTYTRAIL_CASEWORK_HOLIDAYS``, ``DUTYTRAIL_CASEWORK_MAKEUP_WORKDAYS``); the
default is the State Council's arrangements for 2025 and 2026, the demo's years (it plays the
last complete year; docs/casework.md). A year outside the lists counts Monday to Friday only."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

DeadlineState = Literal["running", "warning", "overdue"]


class InvalidCalendarError(ValueError):
    """A holiday list that cannot be right (a day both off and worked, a make-up working day
    on a weekday, a date that does not parse)."""


def _days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


# 国务院办公厅关于2025年部分节假日安排的通知: 元旦 1月1日, 春节 1月28日–2月4日, 清明节
# 4月4日–6日, 劳动节 5月1日–5日, 端午节 5月31日–6月2日, 国庆节、中秋节 10月1日–8日; 调休上班
# 1月26日 (Sunday), 2月8日 (Saturday), 4月27日 (Sunday), 9月28日 (Sunday), 10月11日 (Saturday).
HOLIDAYS_2025 = (
    frozenset({date(2025, 1, 1)}) | _days(date(2025, 1, 28), date(2025, 2, 4))
    | _days(date(2025, 4, 4), date(2025, 4, 6)) | _days(date(2025, 5, 1), date(2025, 5, 5))
    | _days(date(2025, 5, 31), date(2025, 6, 2)) | _days(date(2025, 10, 1), date(2025, 10, 8))
)
MAKEUP_WORKDAYS_2025 = frozenset({
    date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
    date(2025, 10, 11),
})
# 国务院办公厅关于2026年部分节假日安排的通知: 元旦 1月1日–3日, 春节 2月15日–23日, 清明节
# 4月4日–6日, 劳动节 5月1日–5日, 端午节 6月19日–21日, 中秋节 9月25日–27日, 国庆节 10月1日–7日;
# 调休上班 1月4日 (Sunday), 2月14日 and 2月28日 (Saturdays), 5月9日 (Saturday), 9月20日
# (Sunday), 10月10日 (Saturday).
HOLIDAYS_2026 = (
    _days(date(2026, 1, 1), date(2026, 1, 3)) | _days(date(2026, 2, 15), date(2026, 2, 23))
    | _days(date(2026, 4, 4), date(2026, 4, 6)) | _days(date(2026, 5, 1), date(2026, 5, 5))
    | _days(date(2026, 6, 19), date(2026, 6, 21)) | _days(date(2026, 9, 25), date(2026, 9, 27))
    | _days(date(2026, 10, 1), date(2026, 10, 7))
)
MAKEUP_WORKDAYS_2026 = frozenset({
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
    date(2026, 9, 20), date(2026, 10, 10),
})


def parse_days(text: str) -> frozenset[date]:
    """Days written as ISO dates and inclusive ranges, comma-separated:
    ``2026-01-01..2026-01-03, 2026-04-04``."""
    days: set[date] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        first, _, last = item.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError as error:
            msg = f"{item!r} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"
            raise InvalidCalendarError(msg) from error
        if end < start:
            raise InvalidCalendarError(f"the range {item!r} ends before it starts")
        days |= _days(start, end)
    return frozenset(days)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days: weekdays less ``holidays``, plus ``makeup_workdays``."""

    holidays: frozenset[date] = HOLIDAYS_2025 | HOLIDAYS_2026
    makeup_workdays: frozenset[date] = MAKEUP_WORKDAYS_2025 | MAKEUP_WORKDAYS_2026

    def __post_init__(self) -> None:
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            msg = f"{both[0]} is listed both as a public holiday and as a make-up working day"
            raise InvalidCalendarError(msg)
        weekday = sorted(d for d in self.makeup_workdays if d.weekday() < 5)
        if weekday:
            msg = (f"{weekday[0]} is a weekday: a make-up working day (调休上班) is a Saturday "
                   "or a Sunday")
            raise InvalidCalendarError(msg)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
        before ``start``)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=n)))


# Monday to Friday, no holidays: for tests of rules that do not depend on the calendar.
WEEKDAYS_ONLY = WorkingCalendar(frozenset(), frozenset())


def add_working_days(start: date, days: int, on: WorkingCalendar = WEEKDAYS_ONLY) -> date:
    return on.add_working_days(start, days)


def working_days_between(start: date, end: date, on: WorkingCalendar = WEEKDAYS_ONLY) -> int:
    return on.working_days_between(start, end)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DeadlineRule:
    """When a deadline warns: ``warning_working_days`` or fewer working days left, counted on
    ``calendar``."""

    warning_working_days: int = 3
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def state(self, due: date, day: date) -> DeadlineState:
        if day > due:
            return "overdue"
        if self.calendar.working_days_between(day, due) <= self.warning_working_days:
            return "warning"
        return "running"

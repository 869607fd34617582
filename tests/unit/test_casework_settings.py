"""Casework's deadlines are configured from the environment (services/casework/settings.py
only), counted in working days, and a limit of zero is refused when the service starts."""

from __future__ import annotations

from datetime import date

import pytest

from services.casework.domain.calendar import (
    DeadlineRule,
    InvalidCalendarError,
    add_months,
    add_working_days,
)
from services.casework.settings import CaseworkSettings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYTRAIL_PETITION_HANDLING_WORKING_DAYS", "7")
    monkeypatch.setenv("DUTYTRAIL_VERIFICATION_MONTHS", "3")
    monkeypatch.setenv("DUTYTRAIL_VERIFICATION_EXTENSIONS", "2")
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_WARNING_WORKING_DAYS", "1")
    settings = CaseworkSettings.from_environ()
    assert (settings.handling_working_days, settings.verification_months,
            settings.verification_extensions) == (7, 3, 2)
    assert settings.deadline_rule == DeadlineRule(1)
    assert settings.inquiry_reply_working_days == 15  # the default, unset


def test_a_limit_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYTRAIL_INQUIRY_REPLY_WORKING_DAYS", "0")
    with pytest.raises(ValueError, match="inquiry_reply_working_days"):
        CaseworkSettings.from_environ()


def test_working_days_skip_weekends_and_months_keep_the_day_or_the_months_end() -> None:
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)
    assert add_working_days(friday, 5) == date(2026, 3, 13)
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    rule = DeadlineRule(3)
    due = date(2026, 3, 13)
    assert [rule.state(due, d) for d in (date(2026, 3, 9), date(2026, 3, 10),
                                         date(2026, 3, 13), date(2026, 3, 14))] == [
        "running", "warning", "warning", "overdue"]


def test_the_default_calendar_is_the_state_councils_2025_and_2026_arrangements() -> None:
    calendar = CaseworkSettings().calendar
    # 2025, 国庆 and 中秋 together: 1–8 October off, Saturday 11 October worked.
    assert calendar.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert calendar.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    # 2025 春节: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked.
    # After Friday 24 January up to 8 February: the 26th, the 27th, 5–7 February, the 8th.
    assert calendar.working_days_between(date(2025, 1, 24), date(2025, 2, 8)) == 6
    # 春节: Friday 13 February, then Saturday 14 February is a make-up working day; 15–23 are
    # off; Tuesday 24 February is the next working day.
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # 国庆: 1–7 October off, Saturday 10 October worked; 30 September + 1 is 8 October.
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.working_days_between(date(2026, 10, 7), date(2026, 10, 12)) == 4
    # The warning counts working days too: due on 24 February, three working days are left
    # after Thursday 12 February (the 13th, the 14th made up, the 24th), four after the 11th.
    rule = CaseworkSettings().deadline_rule
    assert rule.state(date(2026, 2, 24), date(2026, 2, 11)) == "running"
    assert rule.state(date(2026, 2, 24), date(2026, 2, 12)) == "warning"


def test_holidays_and_make_up_days_are_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_HOLIDAYS", "2027-01-01, 2027-02-06..2027-02-12")
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_MAKEUP_WORKDAYS", "2027-02-14")
    calendar = CaseworkSettings.from_environ().calendar
    assert len(calendar.holidays) == 8
    # Friday 5 February 2027: the next working day is Sunday the 14th (made up), then the 15th.
    assert calendar.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 14)
    assert calendar.add_working_days(date(2027, 2, 5), 2) == date(2027, 2, 15)
    assert calendar.is_working_day(date(2026, 10, 1))  # the default lists were replaced
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_HOLIDAYS", "none")
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_MAKEUP_WORKDAYS", "none")
    nothing = CaseworkSettings.from_environ().calendar
    assert nothing.is_working_day(date(2027, 2, 8))
    assert not nothing.is_working_day(date(2027, 2, 14))


@pytest.mark.parametrize(("holidays", "makeup", "words"), [
    ("2027-01-01", "2027-01-01", "both"),
    ("", "2027-01-04", "weekday"),
    ("2027-13-01", "", "not a date"),
    ("2027-02-12..2027-02-06", "", "ends before"),
])
def test_a_calendar_that_cannot_be_right_is_refused_when_the_service_starts(
    monkeypatch: pytest.MonkeyPatch, holidays: str, makeup: str, words: str,
) -> None:
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_HOLIDAYS", holidays or "none")
    monkeypatch.setenv("DUTYTRAIL_CASEWORK_MAKEUP_WORKDAYS", makeup or "none")
    with pytest.raises(InvalidCalendarError, match=words):
        CaseworkSettings.from_environ()

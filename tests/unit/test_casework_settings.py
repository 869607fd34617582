"""Casework's deadlines are configured from the environment (services/casework/settings.py
only), counted in working days, and a limit of zero is refused when the service starts."""

from __future__ import annotations

from datetime import date

import pytest

from services.casework.domain.calendar import DeadlineRule, add_months, add_working_days
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

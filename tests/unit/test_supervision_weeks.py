"""每周一督查一通报: a week, Monday to Sunday, owes an inspection and a circular."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.supervision.domain import (
    WeeklyFinding,
    first_week,
    monday_of,
    weekly_duties_missed,
    weeks_ended,
)
from shared.actors import SYSTEM_ACTOR


def test_a_week_without_an_inspection_or_without_a_circular_is_itself_a_finding():
    monday = date(2026, 3, 9)
    assert weekly_duties_missed(monday, [date(2026, 3, 10)], [date(2026, 3, 15)]) == []
    assert weekly_duties_missed(monday, [date(2026, 3, 15)], []) == ["circular"]
    assert weekly_duties_missed(monday, [], [date(2026, 3, 9)]) == ["inspection"]
    # The Sunday before and the Monday after belong to other weeks.
    assert weekly_duties_missed(monday, [date(2026, 3, 8)], [date(2026, 3, 16)]) == [
        "inspection", "circular"]


def test_weeks_run_monday_to_sunday_from_the_first_whole_week_and_count_once_over():
    assert first_week(date(2026, 1, 2)) == date(2026, 1, 5)  # a Friday: the next Monday
    assert first_week(date(2026, 1, 5)) == date(2026, 1, 5)
    assert monday_of(date(2026, 1, 11)) == date(2026, 1, 5)
    # On Sunday 18 January the week of the 12th is not over yet; on Monday 19 it is.
    assert list(weeks_ended(date(2026, 1, 2), date(2026, 1, 18))) == [date(2026, 1, 5)]
    assert list(weeks_ended(date(2026, 1, 2), date(2026, 1, 19))) == [
        date(2026, 1, 5), date(2026, 1, 12)]
    assert list(weeks_ended(date(2026, 1, 2), date(2026, 1, 5))) == []


def test_a_weekly_finding_is_recorded_once_per_week_and_kind():
    when = datetime(2026, 1, 19, 9, 30, tzinfo=UTC)
    finding = WeeklyFinding.record(date(2026, 1, 12), "circular", SYSTEM_ACTOR, when)
    assert finding.id == WeeklyFinding.create_id(date(2026, 1, 12), "circular")
    assert finding.week_end == date(2026, 1, 18)
    again = WeeklyFinding.record(date(2026, 1, 12), "circular", SYSTEM_ACTOR, when)
    assert again.id == finding.id  # the store refuses the second
    assert WeeklyFinding.create_id(date(2026, 1, 12), "inspection") != finding.id
    [recorded] = finding.collect_events()
    event: Any = recorded
    assert (event.week_start, event.kind, event.actor) == (
        date(2026, 1, 12), "circular", SYSTEM_ACTOR)

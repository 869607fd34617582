"""The report's "problems found" (the seed's §三, docs/report.md), each from a small history
whose answer is known by construction."""

from __future__ import annotations

from datetime import date, timedelta

from dutytrail_ops.report.facts import Fact, History, Period
from dutytrail_ops.report.problems import find_problems
from tests.unit.test_report_history import JAN_TO_NOV, YEAR, district, fact, letter, uid, unit


def problems(*facts, period=JAN_TO_NOV):
    return find_problems(History([*district(), *facts]), period)


def test_boilerplate_letters_flagged_in_the_period_are_listed_by_signatory():
    result = problems(
        *letter("l1", "pc", "finance", date(YEAR, 2, 1)),
        *letter("l2", "pc", "housing", date(YEAR, 2, 2)),
        fact("cadre_registered", date(YEAR, 1, 2), uid("wang"), cadre_id=uid("wang"),
             name="王某", unit_id=uid("town")),
        *letter("l3", "pc", "town", date(YEAR, 2, 3), cadre="wang"),
        fact("letter_flagged_as_boilerplate", date(YEAR, 2, 2), uid("l2"),
             similar_letter_id=uid("l1"), similarity=0.91),
        fact("letter_flagged_as_boilerplate", date(YEAR, 2, 3), uid("l3"),
             similar_letter_id=uid("l1"), similarity=1.0),
        fact("letter_flagged_as_boilerplate", date(YEAR, 12, 3), uid("l1"),
             similar_letter_id=uid("l2"), similarity=0.95),
    )
    assert [(b.unit, b.similar_unit, b.similarity) for b in result.boilerplate] == [
        ("区住建局", "区财政局", 0.91), ("**镇 王某", "区财政局", 1.0)]


def test_letters_recorded_overdue_for_signing_are_counted():
    result = problems(fact("letter_signing_overdue", date(YEAR, 3, 2), sign_by="2025-02-28"),
                      fact("letter_signing_overdue", date(YEAR - 1, 3, 2), sign_by="2024-02-28"))
    assert result.letters_overdue == 1


def acts_in(months: dict[int, int]) -> list[Fact]:
    """``count`` inspections in each month given."""
    return [fact("inspection_recorded", date(YEAR, month, 1) + timedelta(days=i % 27),
                 service="supervision", n=i)
            for month, count in months.items() for i in range(count)]


def test_work_bunched_at_three_points_of_the_year_is_found():
    result = problems(*acts_in({1: 20, 6: 15, 11: 10, 3: 1, 8: 1, 9: 1}),
                      fact("task_overdue", date(YEAR, 4, 1)))  # the clock's: not work
    bunching = result.bunching
    assert [(m, n) for _, m, n in bunching.busiest] == [(1, 20), (6, 15), (11, 10)]
    assert bunching.total == 48
    assert bunching.bunched


def test_work_spread_over_the_year_is_not_bunched():
    result = problems(*acts_in(dict.fromkeys(range(1, 12), 4)))
    assert result.bunching.total == 44
    assert not result.bunching.bunched


def test_bunching_is_not_judged_over_a_short_period():
    spring = Period(date(YEAR, 1, 1), date(YEAR, 3, 31))
    result = problems(*acts_in({1: 30, 2: 1}), period=spring)
    assert not result.bunching.judged and not result.bunching.bunched


def test_weeks_without_an_inspection_or_a_circular_are_counted_by_their_monday():
    def missed(monday, kind):
        return fact("weekly_supervision_missed", monday + timedelta(days=7),
                    service="supervision", week_start=monday.isoformat(), kind=kind)

    result = problems(missed(date(YEAR, 3, 3), "inspection"),
                      missed(date(YEAR, 3, 3), "circular"),
                      missed(date(YEAR, 11, 24), "circular"),  # recorded 1 December
                      missed(date(YEAR, 12, 1), "circular"))
    assert result.bunching.weeks_without_inspection == [date(YEAR, 3, 3)]
    assert result.bunching.weeks_without_circular == [date(YEAR, 3, 3), date(YEAR, 11, 24)]


def task(key, deadline, co_units=("housing",), lead="finance"):
    return fact("task_created", date(YEAR, 1, 10), uid(key), title=key,
                lead_unit_id=uid(lead), co_unit_ids=[uid(u) for u in co_units],
                deadline=deadline.isoformat())


def test_lead_units_that_never_convened_before_the_deadline_are_listed():
    result = problems(
        task("convened", date(YEAR, 6, 30)),
        fact("task_lead_unit_meeting_convened", date(YEAR, 3, 1), uid("convened"),
             held_on="2025-03-01"),
        fact("task_co_unit_reported", date(YEAR, 4, 1), uid("convened"),
             co_unit_id=uid("housing")),
        task("late meeting", date(YEAR, 6, 30), co_units=("housing", "town")),
        fact("task_lead_unit_meeting_convened", date(YEAR, 7, 2), uid("late meeting"),
             held_on="2025-07-02"),
        task("alone", date(YEAR, 6, 30), co_units=()),  # no co-units: nobody to convene
        task("next year", date(YEAR + 1, 3, 1)),  # not due in the period
    )
    assert [(t.title, t.lead_unit, t.co_units) for t in result.unconvened] == [
        ("late meeting", "区财政局", 2)]
    assert result.tasks_with_co_units == 2
    assert result.silent_co_units == 2  # both co-units of "late meeting"


def test_missing_quarterly_reports_are_listed_with_a_late_submission():
    def report(name, unit_key, quarter, deadline, on):
        return fact(name, on, service="supervision", unit_id=uid(unit_key), year=YEAR,
                    quarter=quarter, deadline=deadline.isoformat())

    result = problems(
        report("quarterly_report_missing", "finance", 1, date(YEAR, 4, 10), date(YEAR, 4, 14)),
        report("quarterly_report_submitted", "finance", 1, date(YEAR, 4, 10),
               date(YEAR, 4, 20)),
        report("quarterly_report_missing", "town", 3, date(YEAR, 10, 10), date(YEAR, 10, 13)),
        report("quarterly_report_missing", "town", 4, date(YEAR - 1, 1, 10), date(YEAR - 1, 1, 13)),
    )
    assert [(r.unit, r.quarter, r.submitted_on) for r in result.missing_reports] == [
        ("区财政局", 1, date(YEAR, 4, 20)), ("**镇", 3, None)]


def test_overdue_notices_are_listed_with_whether_they_were_rectified():
    def issued(key, kind, unit_key, cadre=None):
        return fact("rectification_notice_issued", date(YEAR, 2, 1), uid(key),
                    service="supervision", recipient_kind=kind, recipient_unit_id=uid(unit_key),
                    recipient_cadre_id=uid(cadre) if cadre else None)

    def overdue(key, deadline):
        return fact("rectification_notice_overdue", deadline + timedelta(days=3), uid(key),
                    service="supervision", deadline=deadline.isoformat())

    result = problems(
        fact("cadre_file_opened", date(YEAR, 1, 3), uid("zhang"), service="supervision",
             cadre_id=uid("zhang"), name="张某", unit_id=uid("finance")),
        issued("n1", "community", "c1"), overdue("n1", date(YEAR, 3, 1)),
        fact("rectification_verified", date(YEAR, 3, 20), uid("n1"), service="supervision"),
        issued("n2", "cadre", "finance", cadre="zhang"), overdue("n2", date(YEAR, 5, 1)),
        issued("n3", "district_department", "housing"),  # never overdue
        issued("n4", "unit", "housing"), overdue("n4", date(YEAR, 11, 29)),  # recorded 2 Dec
    )
    assert [(n.recipient, n.recipient_kind, n.rectified_on) for n in result.overdue_notices] == [
        ("**社区1", "community", date(YEAR, 3, 20)), ("张某", "cadre", None)]


def test_communities_without_a_board_and_their_towns_are_listed():
    result = problems(
        unit("town2", "**街道", "subdistrict", "pc"),
        unit("c10", "**社区10", "community", "town2"),
        unit("c3", "**社区3", "community", "town2"),
        fact("disclosure_board_installed", date(YEAR, 3, 1), service="supervision",
             community_id=uid("c1")),
        fact("disclosure_board_installed", date(YEAR, 3, 1), service="supervision",
             community_id=uid("c10")),
        fact("disclosure_board_installed", date(YEAR, 12, 1), service="supervision",
             community_id=uid("c2")),  # after the period
    )
    assert result.communities_without_board == ["**社区2", "**社区3"]
    assert result.units_without_full_coverage == ["**街道", "**镇"]

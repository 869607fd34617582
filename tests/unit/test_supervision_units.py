"""Domain rules of a unit's supervision file: quarterly reports and follow-up items."""

from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import uuid4

import pytest

from services.supervision.domain import (
    InvalidQuarterError,
    QuarterlyReportAlreadySubmittedError,
    QuarterlyReporting,
    QuarterNotStartedError,
    ReceiptDateInFutureError,
    UnitDoesNotReportError,
    UnitFile,
    quarter_end,
    quarter_of,
    report_deadline,
    report_status,
)
from shared.actors import Actor

ACTOR = Actor(person_id=uuid4(), unit_id=uuid4())
CLOCK = Actor(person_id=uuid4(), unit_id=uuid4())
KINDS = ("district_department", "town", "subdistrict")
REPORTING = QuarterlyReporting(unit_kinds=KINDS, grace_days=10)


def at(year: int, month: int, d: int) -> datetime:
    return datetime(year, month, d, 9, 0, tzinfo=UTC)


def make_file(kind: str = "district_department", registered: datetime | None = None) -> UnitFile:
    return UnitFile(
        unit_id=uuid4(), code="D01", name="区财政局", kind=kind, parent_unit_id=None,
        upstream_event_id=f"{uuid4()}:1", actor=ACTOR, occurred_at=registered or at(2026, 1, 2),
    )


def enter(unit: UnitFile, year: int, quarter: int, summary: str, reporting: QuarterlyReporting,
          actor: Actor, when: datetime) -> None:
    """A report the unit enters itself on the day it claims (the system learns of it then)."""
    unit.submit_quarterly_report(year, quarter, summary, reporting, actor, when, learned_at=when)


def test_quarters_and_report_deadlines():
    assert quarter_of(date(2026, 3, 31)) == (2026, 1)
    assert quarter_of(date(2026, 4, 1)) == (2026, 2)
    assert quarter_end(2026, 2) == date(2026, 6, 30)
    assert quarter_end(2026, 4) == date(2026, 12, 31)
    assert report_deadline(2026, 1, 10) == date(2026, 4, 10)
    assert report_deadline(2026, 4, 10) == date(2027, 1, 10)
    assert REPORTING.deadline(2026, 1) == date(2026, 4, 10)


def test_the_unit_file_id_is_derived_from_but_never_equal_to_the_unit_id():
    unit_id = uuid4()
    assert UnitFile.create_id(unit_id) == UnitFile.create_id(unit_id) != unit_id


def test_a_report_by_the_deadline_is_on_time_and_after_it_late():
    unit = make_file()
    enter(unit, 2026, 1, "一季度", REPORTING, ACTOR, at(2026, 4, 10))
    enter(unit, 2026, 2, "二季度", REPORTING, ACTOR, at(2026, 7, 14))
    # The event classes are made at runtime by @event; mypy cannot see their fields.
    q1, q2 = cast(list[Any], unit.pending_events[1:])
    assert (q1.on_time, q1.days_late, q1.deadline) == (True, 0, date(2026, 4, 10))
    assert (q2.on_time, q2.days_late, q2.deadline) == (False, 4, date(2026, 7, 10))
    with pytest.raises(QuarterlyReportAlreadySubmittedError, match="2026Q1"):
        enter(unit, 2026, 1, "again", REPORTING, ACTOR, at(2026, 5, 1))


def test_a_report_is_not_taken_before_its_quarter_begins_or_for_a_fifth_quarter():
    unit = make_file()
    with pytest.raises(QuarterNotStartedError):
        enter(unit, 2026, 3, "x", REPORTING, ACTOR, at(2026, 6, 30))
    with pytest.raises(InvalidQuarterError):
        enter(unit, 2026, 5, "x", REPORTING, ACTOR, at(2026, 6, 30))


def test_communities_do_not_report_quarterly_by_default():
    make_file("town").check_reports(REPORTING)
    with pytest.raises(UnitDoesNotReportError, match="community"):
        make_file("community").check_reports(REPORTING)
    with pytest.raises(UnitDoesNotReportError, match="community"):
        enter(make_file("community"), 2026, 1, "x", REPORTING, ACTOR,
                                                       at(2026, 4, 1))


def test_reporting_kinds_must_be_unit_kinds():
    with pytest.raises(ValueError, match="village"):
        QuarterlyReporting(unit_kinds=("town", "village"), grace_days=10)
    with pytest.raises(ValueError, match="grace"):
        QuarterlyReporting(unit_kinds=KINDS, grace_days=-1)


def test_a_missing_report_is_flagged_once_after_the_deadline():
    unit = make_file()
    assert not unit.flag_missing_report_if_due(2026, 1, at(2026, 4, 10), REPORTING, CLOCK)
    assert unit.flag_missing_report_if_due(2026, 1, at(2026, 4, 11), REPORTING, CLOCK)
    assert not unit.flag_missing_report_if_due(2026, 1, at(2026, 5, 1), REPORTING, CLOCK)
    # A late report still arrives, and nothing is flagged again.
    enter(unit, 2026, 1, "补报", REPORTING, ACTOR, at(2026, 5, 2))
    assert not unit.flag_missing_report_if_due(2026, 1, at(2026, 6, 1), REPORTING, CLOCK)
    assert [type(e).__name__ for e in unit.pending_events] == [
        "Learned", "QuarterlyReportMissing", "QuarterlyReportSubmitted",
    ]


def test_the_clock_flags_every_quarter_missing_since_registration_once():
    unit = make_file(registered=at(2026, 2, 1))
    enter(unit, 2026, 2, "二季度", REPORTING, ACTOR, at(2026, 7, 1))
    assert not unit.flag_missing_reports_due(at(2026, 4, 10), REPORTING, CLOCK)
    assert unit.flag_missing_reports_due(at(2026, 10, 11), REPORTING, CLOCK)
    assert not unit.flag_missing_reports_due(at(2026, 10, 12), REPORTING, CLOCK)
    flagged = [(e.year, e.quarter) for e in cast(list[Any], unit.pending_events)
               if type(e).__name__ == "QuarterlyReportMissing"]
    assert flagged == [(2026, 1), (2026, 3)]


def test_the_quarters_past_deadline_start_with_the_quarter_of_registration():
    registered = date(2026, 5, 20)
    assert list(REPORTING.quarters_past_deadline("town", registered, date(2026, 7, 10))) == []
    assert list(REPORTING.quarters_past_deadline("town", registered, date(2027, 1, 11))) == [
        (2026, 2), (2026, 3), (2026, 4)]
    assert list(REPORTING.quarters_past_deadline("community", registered,
                                                 date(2027, 1, 11))) == []


def test_a_report_is_pending_until_its_deadline_and_missing_after():
    deadline = date(2026, 4, 10)
    assert report_status(deadline, date(2026, 4, 10), None) == "pending"
    assert report_status(deadline, date(2026, 4, 11), None) == "missing"
    assert report_status(deadline, date(2026, 4, 11), True) == "on_time"
    assert report_status(deadline, date(2026, 4, 11), False) == "late"


def test_a_unit_registered_after_the_quarter_ended_owes_nothing_for_it():
    unit = make_file(registered=at(2026, 4, 1))
    assert not unit.owes_report(2026, 1, REPORTING)
    assert unit.owes_report(2026, 2, REPORTING)
    assert not unit.flag_missing_report_if_due(2026, 1, at(2026, 5, 1), REPORTING, CLOCK)
    assert not make_file("community").owes_report(2026, 2, REPORTING)


def test_a_follow_up_opens_once_per_task_and_an_inspection_addresses_all_open_ones():
    unit = make_file()
    task_a, task_b = uuid4(), uuid4()
    assert unit.open_follow_up(task_a, "述责述廉", date(2026, 6, 30), "e:1", CLOCK, at(2026, 7, 1))
    assert not unit.open_follow_up(task_a, "述责述廉", date(2026, 6, 30), "e:1", CLOCK,
                                   at(2026, 7, 1))
    assert unit.open_follow_up(task_b, "风险排查", date(2026, 6, 30), "e:2", CLOCK, at(2026, 7, 1))
    inspection = uuid4()
    addressed = unit.address_follow_ups(inspection, ACTOR, at(2026, 7, 8))
    assert set(addressed) == {UnitFile.follow_up_id_for(task_a), UnitFile.follow_up_id_for(task_b)}
    assert unit.open_follow_up_ids == []
    assert unit.address_follow_ups(uuid4(), ACTOR, at(2026, 7, 9)) == []


def test_the_commission_does_not_owe_itself_a_quarterly_report():
    """The discipline commission receives the quarterly reports: its own unit, named by its
    code, owes none, is never flagged missing, and may not submit one; any other unit of a
    reporting kind still owes its reports."""
    reporting = QuarterlyReporting(unit_kinds=KINDS, grace_days=10, commission_unit_code="DC")
    commission = UnitFile(
        unit_id=uuid4(), code="DC", name="区纪委监委", kind="district_department",
        parent_unit_id=None, upstream_event_id=f"{uuid4()}:1", actor=ACTOR,
        occurred_at=at(2026, 1, 2),
    )
    assert not commission.owes_report(2026, 1, reporting)
    assert not commission.flag_missing_reports_due(at(2027, 1, 11), reporting, CLOCK)
    assert list(reporting.quarters_past_deadline(
        "district_department", date(2026, 1, 2), date(2027, 1, 11), "DC")) == []
    with pytest.raises(UnitDoesNotReportError, match="discipline commission"):
        enter(commission, 2026, 1, "x", reporting, ACTOR, at(2026, 4, 1))
    department = make_file()
    assert department.owes_report(2026, 1, reporting)
    assert department.flag_missing_reports_due(at(2026, 4, 11), reporting, CLOCK)
    # With no commission named, no unit is exempt.
    assert commission.owes_report(2026, 1, REPORTING)


def test_lateness_is_judged_against_when_the_system_learned_of_the_report():
    """A report entered on 20 May that claims 8 April is late by ten days, not on time; the
    claimed date stays the act's business time."""
    unit = make_file()
    unit.submit_quarterly_report(2026, 1, "一季度", REPORTING, ACTOR, at(2026, 4, 8),
                                 learned_at=at(2026, 5, 20))
    submitted = cast(Any, unit.pending_events[-1])
    assert (submitted.on_time, submitted.days_late) == (False, 40)
    assert submitted.occurred_at == at(2026, 4, 8) and submitted.received_on is None
    assert report_status(REPORTING.deadline(2026, 1), date(2026, 5, 20), False) == "late"
    # Learned by the deadline: on time.
    other = make_file()
    other.submit_quarterly_report(2026, 1, "一季度", REPORTING, ACTOR, at(2026, 4, 8),
                                  learned_at=at(2026, 4, 9))
    assert cast(Any, other.pending_events[-1]).on_time is True


def test_a_paper_report_is_judged_against_the_day_the_commission_received_it():
    unit = make_file()
    unit.submit_quarterly_report(2026, 1, "纸质报告", REPORTING, ACTOR, at(2026, 4, 8),
                                 learned_at=at(2026, 5, 20), received_on=date(2026, 4, 8))
    submitted = cast(Any, unit.pending_events[-1])
    assert (submitted.on_time, submitted.days_late, submitted.received_on) == (
        True, 0, date(2026, 4, 8))
    late = make_file()
    late.submit_quarterly_report(2026, 1, "纸质报告", REPORTING, ACTOR, at(2026, 4, 13),
                                 learned_at=at(2026, 5, 20), received_on=date(2026, 4, 13))
    assert cast(Any, late.pending_events[-1]).days_late == 3
    with pytest.raises(ReceiptDateInFutureError):
        make_file().submit_quarterly_report(
            2026, 1, "x", REPORTING, ACTOR, at(2026, 4, 8), learned_at=at(2026, 4, 8),
            received_on=date(2026, 4, 9))
    with pytest.raises(QuarterNotStartedError):
        make_file().submit_quarterly_report(
            2026, 2, "x", REPORTING, ACTOR, at(2026, 4, 8), learned_at=at(2026, 5, 8),
            received_on=date(2026, 3, 30))

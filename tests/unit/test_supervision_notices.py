"""Domain rules of rectification notices: the lifecycle, urgency colours and escalation."""

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from uuid import uuid4

import pytest

from services.supervision.domain import (
    AWAITING_RECTIFICATION,
    COUNTED_RECIPIENT_KINDS,
    FORMER_UNIT_RECIPIENT,
    NOTICE_STATUSES,
    InvalidNoticeError,
    InvalidRecipientError,
    NoticeAlreadyAcknowledgedError,
    NoticeAlreadyClosedError,
    NoticeAlreadyEscalatedError,
    NoticeNotAcknowledgedError,
    NoticeNotReportedError,
    NoticeNotVerifiedError,
    NoticeStepError,
    RectificationNotice,
    SelfExaminationMissingError,
    WarningDays,
    counted_recipient_kind,
    recipient_id,
    recipient_kind_for,
    urgency,
)
from services.supervision.views import NoticeView
from shared.actors import Actor

ISSUER = Actor(person_id=uuid4(), unit_id=uuid4())
RECIPIENT = Actor(person_id=uuid4(), unit_id=uuid4())
CLOCK = Actor(person_id=uuid4(), unit_id=uuid4())
PROBLEM = {
    "problem_id": uuid4(), "category": "work_discipline", "description": "上班时间脱岗",
    "unit_id": RECIPIENT.unit_id, "cadre_id": None,
}
DEFAULT = WarningDays(blue=7, yellow=3)


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, 0, tzinfo=UTC)


def make_notice(deadline: date = date(2026, 3, 31), self_exam: bool = True) -> RectificationNotice:
    return RectificationNotice(
        id=uuid4(), recipient_kind="unit", recipient_unit_id=RECIPIENT.unit_id,
        recipient_cadre_id=None, problems=[PROBLEM], deadline=deadline,
        self_examination_required=self_exam, actor=ISSUER, occurred_at=day(3, 1),
    )


# The notice's event classes are made at runtime by @event, so mypy cannot see their fields:
# the tests that read them cast the event to Any.


def names(notice: RectificationNotice) -> list[str]:
    return [type(e).__qualname__.split(".")[1] for e in notice.pending_events]


def test_a_notice_goes_issued_acknowledged_reported_verified_closed():
    notice = make_notice()
    assert notice.issuer_unit_id == ISSUER.unit_id
    notice.acknowledge(RECIPIENT, day(3, 2))
    notice.report_rectification("已整改", "书面检查全文", RECIPIENT, day(3, 20))
    notice.verify("现场复核属实", ISSUER, day(3, 25))
    notice.close(ISSUER, day(3, 26))
    assert notice.status == "closed"
    assert names(notice) == [
        "Issued", "Acknowledged", "RectificationReported", "RectificationVerified", "Closed",
    ]


def test_verifying_a_notice_never_reported_is_refused():
    notice = make_notice()
    with pytest.raises(NoticeNotReportedError, match="no rectification report is waiting"):
        notice.verify("", ISSUER, day(3, 5))
    notice.acknowledge(RECIPIENT, day(3, 2))
    with pytest.raises(NoticeNotReportedError):
        notice.send_back("不合格", ISSUER, day(3, 5))


def test_a_rectification_is_reported_only_after_the_notice_is_acknowledged():
    notice = make_notice(self_exam=False)
    with pytest.raises(NoticeNotAcknowledgedError, match="acknowledge receipt"):
        notice.report_rectification("已整改", None, RECIPIENT, day(3, 3))
    notice.acknowledge(RECIPIENT, day(3, 3))
    with pytest.raises(NoticeAlreadyAcknowledgedError):
        notice.acknowledge(RECIPIENT, day(3, 4))


def test_a_required_self_examination_must_come_with_the_report():
    notice = make_notice(self_exam=True)
    notice.acknowledge(RECIPIENT, day(3, 2))
    with pytest.raises(SelfExaminationMissingError, match="self-examination"):
        notice.report_rectification("已整改", "   ", RECIPIENT, day(3, 10))
    notice.report_rectification("已整改", "检查", RECIPIENT, day(3, 10))
    assert cast(Any, notice.pending_events[-1]).self_examination == "检查"


def test_a_report_sent_back_must_be_reported_again_before_verification():
    notice = make_notice(self_exam=False)
    notice.acknowledge(RECIPIENT, day(3, 2))
    notice.report_rectification("初步整改", None, RECIPIENT, day(3, 10))
    with pytest.raises(NoticeStepError, match="already rectification reported"):
        notice.report_rectification("again", None, RECIPIENT, day(3, 11))
    notice.send_back("整改不彻底", ISSUER, day(3, 12))
    with pytest.raises(NoticeNotVerifiedError):
        notice.close(ISSUER, day(3, 13))
    with pytest.raises(NoticeNotReportedError):
        notice.verify("", ISSUER, day(3, 13))
    notice.report_rectification("彻底整改", None, RECIPIENT, day(3, 20))
    notice.verify("", ISSUER, day(3, 21))
    notice.close(ISSUER, day(3, 22))
    with pytest.raises(NoticeAlreadyClosedError):
        notice.escalate("补充", ISSUER, day(3, 23))


def test_a_report_after_the_deadline_is_recorded_as_late():
    notice = make_notice(deadline=date(2026, 3, 10), self_exam=False)
    notice.acknowledge(RECIPIENT, day(3, 2))
    notice.report_rectification("迟报", None, RECIPIENT, day(3, 11))
    assert cast(Any, notice.pending_events[-1]).on_time is False


def test_colours_rise_blue_then_yellow_then_overdue_each_exactly_once():
    notice = make_notice(deadline=date(2026, 3, 31))
    checks = [(3, 20), (3, 24), (3, 25), (3, 27), (3, 28), (3, 31), (4, 1), (4, 1), (4, 9)]
    recorded = [notice.record_deadline_events_due(day(*d), DEFAULT, CLOCK) for d in checks]
    assert recorded == [False, True, False, False, True, False, True, False, False]
    raised = [cast(Any, e) for e in notice.pending_events
              if type(e).__name__ == "UrgencyRaised"]
    assert [(e.previous_colour, e.colour, e.days_left) for e in raised] == [
        ("green", "blue", 7), ("blue", "yellow", 3),
    ]
    assert names(notice)[-1] == "Overdue"
    assert notice.colour == "red" and notice.overdue_recorded


def test_a_clock_that_looks_late_records_only_the_most_urgent_colour():
    notice = make_notice(deadline=date(2026, 3, 31))
    assert notice.record_deadline_events_due(day(3, 30), DEFAULT, CLOCK)
    assert names(notice) == ["Issued", "UrgencyRaised"]
    assert cast(Any, notice.pending_events[-1]).colour == "yellow"


def test_thresholds_are_configurable():
    notice = make_notice(deadline=date(2026, 3, 31))
    assert not notice.record_deadline_events_due(day(3, 20), WarningDays(5, 1), CLOCK)
    assert notice.record_deadline_events_due(day(3, 26), WarningDays(5, 1), CLOCK)
    assert notice.colour == "blue"
    deadline = date(2026, 3, 31)
    assert urgency(deadline, deadline - timedelta(days=10), WarningDays(14, 5)).colour == "blue"
    assert urgency(deadline, deadline, DEFAULT).colour == "yellow"
    assert urgency(deadline, deadline + timedelta(days=1), DEFAULT).colour == "red"


def test_warning_days_must_be_blue_then_yellow():
    with pytest.raises(ValueError, match="blue > yellow >= 0"):
        WarningDays(3, 7)
    with pytest.raises(ValueError, match="blue > yellow >= 0"):
        WarningDays(3, -1)


def test_notice_past_deadline_is_red():
    deadline = date(2026, 3, 31)
    on_the_day = urgency(deadline, deadline, DEFAULT)
    day_after = urgency(deadline, date(2026, 4, 1), DEFAULT)
    assert (on_the_day.colour, on_the_day.days_left, on_the_day.overdue) == ("yellow", 0, False)
    assert (day_after.colour, day_after.days_left, day_after.overdue) == ("red", -1, True)


def test_colours_by_days_left_green_blue_yellow_red():
    deadline = date(2026, 3, 31)
    colours = [urgency(deadline, deadline - timedelta(days=left), DEFAULT).colour
               for left in (8, 7, 4, 3, 0, -1, -30)]
    assert colours == ["green", "blue", "blue", "yellow", "yellow", "red", "red"]


def test_a_notice_awaiting_verification_is_green_whatever_its_deadline():
    late = date(2026, 4, 20)
    for status in NOTICE_STATUSES:
        colour = urgency(date(2026, 3, 31), late, DEFAULT, status).colour
        assert colour == ("red" if status in AWAITING_RECTIFICATION else "green"), status


def test_the_read_model_asks_the_domain_for_a_notices_colour():
    notice = make_notice(deadline=date(2026, 3, 31), self_exam=False)
    view = NoticeView(notice.id, "unit", RECIPIENT.unit_id, None, [PROBLEM], notice.deadline,
                      False, ISSUER.unit_id, day(3, 1))
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(45)]
    assert [view.urgency(d, DEFAULT) for d in days] == [notice.urgency_on(d, DEFAULT)
                                                        for d in days]
    notice.acknowledge(RECIPIENT, day(3, 2))
    notice.report_rectification("已整改", None, RECIPIENT, day(3, 30))
    view.status = notice.status
    assert [view.urgency(d, DEFAULT) for d in days] == [notice.urgency_on(d, DEFAULT)
                                                        for d in days]
    assert {view.urgency(d, DEFAULT).colour for d in days} == {"green"}


def test_a_rising_colour_is_due_on_the_clock_once_per_colour():
    now = urgency(date(2026, 3, 31), date(2026, 3, 28), DEFAULT)
    assert now.colour == "yellow"
    assert now.rises_above("green") and now.rises_above("blue")
    assert not now.rises_above("yellow") and not now.rises_above("red")


def test_the_deadline_stops_running_once_the_rectification_is_reported():
    notice = make_notice(deadline=date(2026, 3, 31), self_exam=False)
    notice.acknowledge(RECIPIENT, day(3, 2))
    notice.report_rectification("已整改", None, RECIPIENT, day(3, 30))
    assert not notice.record_deadline_events_due(day(4, 5), DEFAULT, CLOCK)
    # Sent back after the deadline: the notice is overdue at the next check.
    notice.send_back("不合格", ISSUER, day(4, 6))
    assert notice.record_deadline_events_due(day(4, 6), DEFAULT, CLOCK)
    assert names(notice)[-1] == "Overdue"


def test_escalation_carries_the_recipient_and_problems_and_happens_once():
    notice = make_notice()
    notice.escalate("逾期拒不整改", ISSUER, day(4, 10))
    escalated = cast(Any, notice.pending_events[-1])
    assert escalated.recipient_unit_id == RECIPIENT.unit_id
    assert escalated.problems == [PROBLEM]
    assert escalated.status == "issued"
    with pytest.raises(NoticeAlreadyEscalatedError):
        notice.escalate("again", ISSUER, day(4, 11))


def test_a_notice_cites_problems_and_is_not_due_before_it_was_issued():
    with pytest.raises(InvalidNoticeError, match="at least one problem"):
        RectificationNotice.check_issuable([], date(2026, 3, 31), day(3, 1))
    with pytest.raises(InvalidNoticeError, match="before the notice's date"):
        RectificationNotice.check_issuable([PROBLEM], date(2026, 2, 28), day(3, 1))


def test_recipients_are_units_communities_or_cadres_but_not_the_party_committee():
    assert recipient_kind_for("区财政局", "district_department", None) == "district_department"
    assert recipient_kind_for("**镇", "town", None) == "town_or_subdistrict"
    assert recipient_kind_for("**社区", "community", None) == "community"
    assert recipient_kind_for("**社区", "community", uuid4()) == "cadre"
    with pytest.raises(InvalidRecipientError, match="party committee"):
        recipient_kind_for("**区委", "party_committee", None)


def test_a_notice_to_a_cadre_counts_the_cadre_as_its_recipient():
    unit, cadre = uuid4(), uuid4()
    assert recipient_id("cadre", unit, cadre) == cadre
    assert recipient_id("unit", unit, None) == unit
    assert recipient_id("community", unit, None) == unit


def test_recipient_kinds_are_counted_apart():
    """区直单位, 镇街 (towns and subdistricts), 社区 and 干部 are four kinds; a notice to a town
    is not counted as a district department's."""
    assert COUNTED_RECIPIENT_KINDS == (
        "district_department", "town_or_subdistrict", "community", "cadre")
    kinds = {unit_kind: recipient_kind_for("x", unit_kind, None)
             for unit_kind in ("district_department", "town", "subdistrict", "community")}
    assert kinds == {"district_department": "district_department",
                     "town": "town_or_subdistrict", "subdistrict": "town_or_subdistrict",
                     "community": "community"}
    assert recipient_kind_for("**镇", "town", uuid4()) == "cadre"
    # The former kind "unit" is never recorded again, and is counted by the unit's kind.
    assert FORMER_UNIT_RECIPIENT not in kinds.values()
    assert counted_recipient_kind("unit", "town") == "town_or_subdistrict"
    assert counted_recipient_kind("unit", "subdistrict") == "town_or_subdistrict"
    assert counted_recipient_kind("unit", "district_department") == "district_department"
    assert counted_recipient_kind("unit", None) == "district_department"
    assert counted_recipient_kind("cadre", "town") == "cadre"
    assert counted_recipient_kind("community", "community") == "community"

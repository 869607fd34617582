"""Rectification notices, corrected against practice: the problems a notice cites concern its
recipient; the recipient's rectification plan (整改方案) and extension request (延期申请); an
escalation names its route, accountability (问责) or a case lead (线索)."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from services.supervision.domain import (
    ESCALATION_ROUTES,
    ExtensionError,
    InvalidEscalationRouteError,
    NoticeNotAcknowledgedError,
    NoticeStepError,
    ProblemNotOfRecipientError,
    RectificationNotice,
    WarningDays,
    check_problems_concern_recipient,
)
from shared.actors import Actor

UNIT, OTHER_UNIT, CADRE, OTHER_CADRE = uuid4(), uuid4(), uuid4(), uuid4()
ISSUER = Actor(person_id=uuid4(), unit_id=uuid4())
THE_CADRE = Actor(person_id=uuid4(), unit_id=UNIT)
CLOCK = Actor(person_id=uuid4(), unit_id=uuid4())
CADRE_UNITS = {CADRE: UNIT, OTHER_CADRE: OTHER_UNIT}


def problem(unit_id: Any = None, cadre_id: Any = None) -> dict[str, Any]:
    return {"problem_id": uuid4(), "category": "work_discipline", "description": "脱岗",
            "unit_id": unit_id, "cadre_id": cadre_id}


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, 0, tzinfo=UTC)


def notice_to_cadre(deadline: date = date(2026, 3, 31)) -> RectificationNotice:
    return RectificationNotice(
        id=uuid4(), recipient_kind="cadre", recipient_unit_id=UNIT, recipient_cadre_id=CADRE,
        problems=[problem(UNIT, CADRE)], deadline=deadline, self_examination_required=True,
        actor=ISSUER, occurred_at=day(3, 1),
    )


def test_cited_problems_must_concern_the_recipient_its_unit_or_the_cadre():
    # A notice to the unit: the unit's problems, and those naming only one of its cadres.
    check_problems_concern_recipient(
        [problem(UNIT), problem(UNIT, OTHER_CADRE), problem(None, CADRE)], UNIT, None,
        CADRE_UNITS)
    # A notice to the cadre: the cadre's own problems, and the cadre's unit's.
    check_problems_concern_recipient(
        [problem(UNIT, CADRE), problem(UNIT), problem(None, CADRE)], UNIT, CADRE, CADRE_UNITS)
    for stray in (problem(OTHER_UNIT), problem(None, OTHER_CADRE),
                  problem(OTHER_UNIT, OTHER_CADRE)):
        with pytest.raises(ProblemNotOfRecipientError, match="recipient's own problems"):
            check_problems_concern_recipient([problem(UNIT), stray], UNIT, None, CADRE_UNITS)
        with pytest.raises(ProblemNotOfRecipientError):
            check_problems_concern_recipient([stray], UNIT, CADRE, CADRE_UNITS)


def test_the_rectification_plan_is_submitted_once_the_notice_is_acknowledged():
    notice = notice_to_cadre()
    with pytest.raises(NoticeNotAcknowledgedError):
        notice.submit_plan("退缴", THE_CADRE, day(3, 2))
    notice.acknowledge(THE_CADRE, day(3, 2))
    notice.submit_plan("退缴", THE_CADRE, day(3, 3))
    notice.submit_plan("退缴并检讨", THE_CADRE, day(3, 4))  # a later plan revises it
    assert notice.plan == "退缴并检讨"
    notice.report_rectification("已退缴", "书面检查", THE_CADRE, day(3, 10))
    with pytest.raises(NoticeStepError, match="still owed"):
        notice.submit_plan("x", THE_CADRE, day(3, 11))


def test_an_extension_is_requested_before_the_deadline_and_approved_or_refused_by_the_commission():
    notice = notice_to_cadre()
    notice.acknowledge(THE_CADRE, day(3, 2))
    with pytest.raises(ExtensionError, match="not after the deadline"):
        notice.request_extension(date(2026, 3, 30), "x", THE_CADRE, day(3, 3))
    with pytest.raises(ExtensionError, match="no extension request"):
        notice.approve_extension("", ISSUER, day(3, 3))
    notice.request_extension(date(2026, 4, 30), "外出", THE_CADRE, day(3, 3))
    with pytest.raises(ExtensionError, match="awaiting"):
        notice.request_extension(date(2026, 4, 20), "x", THE_CADRE, day(3, 4))
    notice.refuse_extension("理由不充分", ISSUER, day(3, 5))
    assert notice.deadline == date(2026, 3, 31)  # the deadline stands
    # Yellow with 3 days left; an approved extension moves the deadline and the clock
    # judges it afresh, from green.
    assert notice.record_deadline_events_due(day(3, 28), WarningDays(), CLOCK)
    assert notice.colour == "yellow"
    notice.request_extension(date(2026, 4, 30), "外出", THE_CADRE, day(3, 29))
    notice.approve_extension("同意", ISSUER, day(3, 30))
    assert (notice.deadline, notice.colour) == (date(2026, 4, 30), "green")
    assert not notice.record_deadline_events_due(day(4, 1), WarningDays(), CLOCK)
    approved: Any = notice.pending_events[-1]
    assert (approved.previous_deadline, approved.new_deadline) == (
        date(2026, 3, 31), date(2026, 4, 30))
    # Once the deadline has passed, it is too late to ask.
    with pytest.raises(ExtensionError, match="has passed"):
        notice.request_extension(date(2026, 5, 30), "x", THE_CADRE, day(5, 1))


def test_an_escalation_names_its_route_accountability_or_a_case_lead():
    assert ESCALATION_ROUTES == ("accountability", "case_lead")
    notice = notice_to_cadre()
    with pytest.raises(InvalidEscalationRouteError):
        notice.escalate("x", ISSUER, day(4, 2), "prosecution")  # type: ignore[arg-type]
    notice.escalate("逾期未整改，启动问责", ISSUER, day(4, 2), "accountability")
    escalated: Any = notice.pending_events[-1]
    assert (escalated.route, escalated.reason) == ("accountability", "逾期未整改，启动问责")
    lead = notice_to_cadre()
    lead.escalate("移送线索", ISSUER, day(4, 2))
    assert lead.pending_events[-1].route == "case_lead"  # type: ignore[attr-defined]

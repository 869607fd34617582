"""The domain accepts exactly the values the public contract names, for every vocabulary:
the contract's Literal is the only definition, so the two cannot drift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args
from uuid import uuid4

import pytest

from services.supervision import domain
from services.supervision.domain import (
    InvalidBulletinError,
    InvalidInspectionError,
    InvalidQuarterError,
    InvalidRecipientError,
    MajorDecision,
    QuarterlyReporting,
    RectificationNotice,
    WarningDays,
    check_bulletin,
    check_inspection,
    check_problems,
    check_quarter,
    recipient_kind_for,
    report_status,
    urgency,
)
from shared.actors import Actor
from shared.contracts.responsibility import UnitKind
from shared.contracts.supervision import (
    AnyInspectionKind,
    BulletinKind,
    DisclosureStep,
    InspectionKind,
    NoticeStatus,
    ProblemCategory,
    Quarter,
    RecipientKind,
    ReportStatus,
    UnannouncedVisitKind,
    UrgencyColour,
)

ACTOR = Actor(person_id=uuid4(), unit_id=uuid4())
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
UNIT = uuid4()


@pytest.mark.parametrize(("tuple_name", "vocabulary"), [
    ("INSPECTION_KINDS", InspectionKind),
    ("PROBLEM_CATEGORIES", ProblemCategory),
    ("BULLETIN_KINDS", BulletinKind),
    ("RECIPIENT_KINDS", RecipientKind),
    ("URGENCY_COLOURS", UrgencyColour),
    ("NOTICE_STATUSES", NoticeStatus),
    ("DISCLOSURE_STEPS", DisclosureStep),
    ("REPORT_STATUSES", ReportStatus),
    ("QUARTERS", Quarter),
])
def test_each_domain_vocabulary_is_the_contracts_in_the_contracts_order(tuple_name, vocabulary):
    assert getattr(domain, tuple_name) == get_args(vocabulary)


def test_the_unannounced_visit_is_the_one_inspection_kind_not_recorded_in_one_go():
    assert get_args(UnannouncedVisitKind) == (domain.UNANNOUNCED_VISIT,)
    assert set(get_args(AnyInspectionKind)) == {*get_args(InspectionKind), domain.UNANNOUNCED_VISIT}


def test_the_domain_accepts_every_inspection_kind_of_the_contract_and_nothing_else():
    project = {"project_list_id": uuid4(), "code": "P1", "name": "项目", "lead_unit_id": UNIT}
    for kind in get_args(AnyInspectionKind):
        check_inspection(kind, project if kind == "key_project" else None, [UNIT], [], "某地")
    with pytest.raises(InvalidInspectionError):
        check_inspection("picnic", None, [UNIT], [], "某地")


def test_the_domain_accepts_every_problem_category_of_the_contract_and_nothing_else():
    check_problems([{"category": c, "description": "x", "unit_id": UNIT}
                    for c in get_args(ProblemCategory)])
    with pytest.raises(InvalidInspectionError):
        check_problems([{"category": "gossip", "description": "x", "unit_id": UNIT}])


def test_the_domain_accepts_every_bulletin_kind_of_the_contract_and_nothing_else():
    for kind in get_args(BulletinKind):
        check_bulletin(kind, "大会" if kind == "meeting_circular" else None)
    with pytest.raises(InvalidBulletinError):
        check_bulletin("tweet", None)


def test_notices_go_to_every_recipient_kind_of_the_contract_and_no_other():
    kinds = {recipient_kind_for("x", unit_kind, cadre)
             for unit_kind in get_args(UnitKind) for cadre in (None, uuid4())
             if unit_kind in domain.RECIPIENT_UNIT_KINDS}
    # Every kind but the former "unit", which stored notices may carry but no new one does.
    assert kinds == set(get_args(RecipientKind)) - {domain.FORMER_UNIT_RECIPIENT}
    assert set(domain.COUNTED_RECIPIENT_KINDS) == kinds
    assert set(domain.RECIPIENT_UNIT_KINDS) <= set(get_args(UnitKind))
    with pytest.raises(InvalidRecipientError):
        recipient_kind_for("x", "party_committee", None)


def test_urgency_takes_every_colour_of_the_contract_and_no_other():
    deadline = date(2026, 3, 31)
    colours = {urgency(deadline, deadline - timedelta(days=n), WarningDays()).colour
               for n in range(-5, 30)}
    assert colours == set(get_args(UrgencyColour))


def test_a_notice_takes_every_status_of_the_contract_and_no_other():
    notice = RectificationNotice(
        id=uuid4(), recipient_kind="unit", recipient_unit_id=ACTOR.unit_id,
        recipient_cadre_id=None, problems=[{"problem_id": uuid4()}], deadline=date(2026, 3, 31),
        self_examination_required=False, actor=ACTOR, occurred_at=WHEN,
    )
    seen = [notice.status]
    steps = [
        lambda: notice.acknowledge(ACTOR, WHEN),
        lambda: notice.report_rectification("r", None, ACTOR, WHEN),
        lambda: notice.send_back("again", ACTOR, WHEN),
        lambda: notice.report_rectification("r", None, ACTOR, WHEN),
        lambda: notice.verify("", ACTOR, WHEN),
        lambda: notice.close(ACTOR, WHEN),
    ]
    for step in steps:
        step()
        seen.append(notice.status)
    assert set(seen) == set(get_args(NoticeStatus))


def test_a_decision_trail_takes_every_step_of_the_contract_in_its_order():
    decision = MajorDecision(id=uuid4(), unit_id=UNIT, topic="议题", collected_from="征集",
                             actor=ACTOR, occurred_at=WHEN)
    seen = [decision.step]
    decision.decide("会", "决定", ACTOR, WHEN)
    seen.append(decision.step)
    decision.publish_result("栏", "结果", ACTOR, WHEN)
    seen.append(decision.step)
    decision.supervise_execution("到位", ACTOR, WHEN)
    seen.append(decision.step)
    assert tuple(seen) == get_args(DisclosureStep)


def test_a_report_takes_every_status_of_the_contract_and_no_other():
    deadline = date(2026, 4, 10)
    statuses = {report_status(deadline, day, on_time)
                for day in (date(2026, 4, 1), date(2026, 4, 20)) for on_time in (None, True, False)}
    assert statuses == set(get_args(ReportStatus))


def test_quarters_are_the_contracts_and_reporting_kinds_are_unit_kinds():
    for quarter in get_args(Quarter):
        check_quarter(quarter)
    with pytest.raises(InvalidQuarterError):
        check_quarter(5)
    QuarterlyReporting(unit_kinds=get_args(UnitKind), grace_days=0)

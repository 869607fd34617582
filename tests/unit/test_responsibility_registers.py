"""Rules of the risk-point register (廉政风险点) and of the recorded acts: reminders (提醒),
talks (约谈) and 述责述廉 (issue 10, items 12 and 13). No broker, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain.accountability_reports import (
    AccountabilityReport,
    NotALeadershipMemberError,
    ReportDateOutsideYearError,
)
from services.responsibility.domain.reminders import (
    Reminder,
    ReminderGiverNotOfUnitError,
    SelfReminderError,
)
from services.responsibility.domain.risk_points import (
    RISK_LEVELS,
    RiskPointListError,
    RiskRegister,
    RiskRegisterNotPermittedError,
    check_keeps_register,
    clause_outside_register,
)
from services.responsibility.domain.talks import Talk, TalkNotWithLeaderError
from services.responsibility.views import CadreView, LetterView, Registers
from shared.actors import Actor
from shared.contracts.responsibility import RiskLevel, RiskPoint

UNIT = uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=UNIT)
WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def point(name: str, level: str = "high", measures: tuple[str, ...] = ("集体研究",)) -> Any:
    # Built without validation, as a caller bypassing the command model would.
    return RiskPoint.model_construct(name=name, level=cast(RiskLevel, level),
                                     measures=list(measures))


@dataclass
class Person:
    name: str = "王伟"
    unit_id: UUID = UNIT
    leadership_member: bool = True
    top_leader: bool = False
    id: UUID = field(default_factory=uuid4)


# Risk-point register.


def test_risk_levels_are_high_medium_and_low():
    assert RISK_LEVELS == ("high", "medium", "low")


def test_a_posts_register_lists_each_risk_point_once_with_a_known_level_and_a_control_measure():
    with pytest.raises(RiskPointListError, match="at least one risk point"):
        RiskRegister.register(unit_id=UNIT, post_title="局长", risk_points=[], actor=CLERK,
                              occurred_at=WHEN)
    with pytest.raises(RiskPointListError) as refused:
        RiskRegister.register(
            unit_id=UNIT, post_title="局长", actor=CLERK, occurred_at=WHEN,
            risk_points=[point("工程招投标"), point("工程 招投标"), point("采购", "severe"),
                         point("审批", measures=(" ",))],
        )
    message = str(refused.value)
    assert "risk_points.1.name" in message and "listed twice" in message
    assert "risk_points.2.level" in message
    assert "risk_points.3.measures" in message


def test_a_post_has_one_register_named_by_its_unit_and_post_title():
    register = RiskRegister.register(
        unit_id=UNIT, post_title=" 局长 ", risk_points=[point("资金拨付")], actor=CLERK,
        occurred_at=WHEN,
    )
    assert register.id == RiskRegister.create_id(UNIT, "局长")
    assert register.id != RiskRegister.create_id(UNIT, "副局长")
    assert register.id != RiskRegister.create_id(uuid4(), "局长")
    assert register.post_title == "局长"
    register.update([point("资金拨付", "medium"), point("政府采购", "low")], CLERK, WHEN)
    assert [(p["name"], p["level"]) for p in register.risk_points] == [
        ("资金拨付", "medium"), ("政府采购", "low"),
    ]


def test_only_the_party_committee_or_the_units_own_clerk_keeps_a_posts_register():
    check_keeps_register(CLERK, UNIT, actor_is_party_committee=False)
    committee_clerk = Actor(person_id=uuid4(), unit_id=uuid4())
    check_keeps_register(committee_clerk, UNIT, actor_is_party_committee=True)
    with pytest.raises(RiskRegisterNotPermittedError, match="party committee or a clerk"):
        check_keeps_register(Actor(person_id=uuid4(), unit_id=uuid4()), UNIT,
                             actor_is_party_committee=False)


def test_a_clause_whose_risk_point_is_not_in_the_post_register_is_outside_it():
    register = [{"name": "工程招投标", "level": "high", "measures": ["不插手"]}]
    assert not clause_outside_register("工程招投标", register)
    assert not clause_outside_register("工程 招投标", register)  # the same point, spaced
    assert clause_outside_register("人事任免", register)
    assert clause_outside_register("工程招投标", None)  # a post with no register


def letter(cadre_id: UUID, signed_at: datetime | None, *risk_points: str) -> LetterView:
    return LetterView(
        letter_id=uuid4(), year=2026, issuer_unit_id=uuid4(), signatory_unit_id=UNIT,
        signatory_cadre_id=cadre_id, signatory_is_top_leader=False,
        status="draft" if signed_at is None else "signed", common_clauses=["c"],
        individual_clauses=[{"text": f"防控{r}", "risk_point": r} for r in risk_points],
        top_leader_duties=[], sign_by=None, supersedes=None, signed_at=signed_at,
    )


def test_clauses_are_judged_against_the_register_as_it_stood_when_the_letter_was_signed():
    cadre = CadreView(uuid4(), uuid4(), "王伟", UNIT, "局长", "财务", True, False)
    registers = Registers()
    register_id = RiskRegister.create_id(UNIT, "局长")
    registers.on_RiskRegister_Registered(cast(Any, type("E", (), {
        "originator_id": register_id, "unit_id": UNIT, "post_title": "局长",
        "risk_points": [{"name": "资金拨付", "level": "high", "measures": ["留痕"]}],
        "occurred_at": datetime(2026, 1, 5, tzinfo=UTC),
    })))
    registers.on_RiskRegister_Updated(cast(Any, type("E", (), {
        "originator_id": register_id,
        "risk_points": [{"name": "政府采购", "level": "medium", "measures": ["公开招标"]}],
        "occurred_at": datetime(2026, 3, 1, tzinfo=UTC),
    })))
    before = letter(cadre.cadre_id, datetime(2026, 1, 2, tzinfo=UTC), "资金拨付")
    early = letter(cadre.cadre_id, datetime(2026, 2, 1, tzinfo=UTC), "资金拨付", "人事任免")
    late = letter(cadre.cadre_id, datetime(2026, 4, 1, tzinfo=UTC), "资金拨付", "政府采购")
    unsigned = letter(cadre.cadre_id, None, "人事任免")
    outside = registers.clauses_outside([before, early, late, unsigned],
                                        {cadre.cadre_id: cadre})
    found = {(c.letter_id, c.risk_point, c.post_has_register) for c in outside}
    assert found == {
        (before.letter_id, "资金拨付", False),  # signed before the post had a register
        (early.letter_id, "人事任免", True),
        (late.letter_id, "资金拨付", True),  # no longer in the register when signed
    }


# Reminders, talks and 述责述廉.


def test_a_reminder_is_recorded_by_the_reminding_units_clerk_from_one_person_to_another():
    giver, reminded = Person(), Person(name="李娜", unit_id=uuid4())
    reminder = Reminder.record(giver=giver, reminded=reminded, subject="节前廉洁提醒",
                               given_on=date(2026, 2, 10), actor=CLERK, occurred_at=WHEN)
    assert (reminder.by_unit_id, reminder.by_cadre_id) == (UNIT, giver.id)
    assert (reminder.to_cadre_id, reminder.to_unit_id) == (reminded.id, reminded.unit_id)
    unnamed = Reminder.record(giver=None, reminded=reminded, subject="s",
                              given_on=date(2026, 2, 10), actor=CLERK, occurred_at=WHEN)
    assert unnamed.by_cadre_id is None
    with pytest.raises(ReminderGiverNotOfUnitError):
        Reminder.record(giver=Person(unit_id=uuid4()), reminded=reminded, subject="s",
                        given_on=date(2026, 2, 10), actor=CLERK, occurred_at=WHEN)
    with pytest.raises(SelfReminderError):
        Reminder.record(giver=giver, reminded=giver, subject="s",
                        given_on=date(2026, 2, 10), actor=CLERK, occurred_at=WHEN)


def test_a_talk_is_held_with_a_units_leader():
    leader = Person(unit_id=uuid4(), top_leader=True)
    talk = Talk.hold(talker=None, leader=leader, subject="整改不力约谈",
                     held_on=date(2026, 5, 6), actor=CLERK, occurred_at=WHEN)
    assert (talk.by_unit_id, talk.leader_cadre_id, talk.unit_id) == (
        UNIT, leader.id, leader.unit_id)
    with pytest.raises(TalkNotWithLeaderError, match="not a leader"):
        Talk.hold(talker=None, leader=Person(leadership_member=False), subject="s",
                  held_on=date(2026, 5, 6), actor=CLERK, occurred_at=WHEN)


def test_an_accountability_report_is_a_leaders_once_a_year_given_that_year_or_the_next():
    leader = Person()
    report = AccountabilityReport.give(
        leader=leader, year=2026, reported_on=date(2027, 1, 15), given_to="区纪委全会",
        summary="", actor=CLERK, occurred_at=WHEN,
    )
    # One a year: the id is the leader's and the year's, so a second is refused by the store.
    assert report.id == AccountabilityReport.create_id(leader.id, 2026)
    assert report.id != AccountabilityReport.create_id(leader.id, 2027)
    with pytest.raises(ReportDateOutsideYearError):
        AccountabilityReport.give(leader=leader, year=2026, reported_on=date(2025, 12, 30),
                                  given_to="b", summary="", actor=CLERK, occurred_at=WHEN)
    with pytest.raises(NotALeadershipMemberError):
        AccountabilityReport.give(leader=Person(leadership_member=False), year=2026,
                                  reported_on=date(2026, 12, 30), given_to="b", summary="",
                                  actor=CLERK, occurred_at=WHEN)

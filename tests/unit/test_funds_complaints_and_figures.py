"""Warnings cleared or transferred to casework, complaints answered or overdue, and the
platform's figures for a period and cumulatively."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.funds.domain import (
    ComplaintAlreadySettledError,
    Referral,
    WarningAlreadySettledError,
)
from services.funds.settings import FundsSettings
from shared.contracts import contract_for_domain_event
from tests.unit.test_funds_rules import World, at


@pytest.fixture
def world():
    made = World(settings=FundsSettings(complaint_answer_days=10))
    yield made
    made.close()


def referral_events(world: World) -> list[Any]:
    return [e for e in (world.app.mapper.to_domain_event(n) for n in
                        world.app.recorder.select_notifications(0, 1000))
            if type(e).__qualname__ == "Referral.Made"]


def test_a_warning_is_cleared_with_a_reason_or_transferred_once(world):
    programme = world.programme()
    world.pay(programme, 1, method="cash")
    world.pay(programme, 2, method="cash")
    first, second = world.warnings("paid_in_cash")
    world.app.clear_warning(warning_id=first.warning_id, reason="偏远山区无网点，已报备",
                            actor=world.commission)
    with pytest.raises(WarningAlreadySettledError):
        world.app.transfer_warning(warning_id=first.warning_id, summary="s",
                                   actor=world.commission)
    referral_id = world.app.transfer_warning(
        warning_id=second.warning_id, summary="现金发放未报备", actor=world.commission)
    assert referral_id == Referral.create_id("warning", second.warning_id)
    [made] = referral_events(world)
    assert (made.source, made.source_id, made.programme_id, made.unit_id, made.payment_ids) == (
        "warning", second.warning_id, programme, world.community, second.payment_ids)
    # The stored event is exactly the contract casework consumes.
    info = contract_for_domain_event("funds", "Referral.Made")
    assert info.name == "matter_referred_to_casework"
    outcomes = {w.warning_id: w.outcome for w in world.warnings()}
    assert outcomes == {first.warning_id: "cleared", second.warning_id: "transferred"}


def test_a_complaint_is_answered_in_time_or_recorded_overdue_once(world):
    programme = world.programme()
    answered = world.app.receive_complaint(channel="12345热线", programme_id=programme,
                                           text="低保金未按月到账", actor=world.commission,
                                           occurred_at=at(3, 1))
    late = world.app.receive_complaint(channel="现场", text="公示名单有误",
                                       actor=world.commission, occurred_at=at(3, 1))
    world.app.answer_complaint(complaint_id=answered, answer="已核实补发",
                               actor=world.clerk(world.civil), occurred_at=at(3, 5))
    with pytest.raises(ComplaintAlreadySettledError):
        world.app.answer_complaint(complaint_id=answered, answer="again",
                                   actor=world.commission, occurred_at=at(3, 6))
    assert world.app.check_deadlines(datetime(2026, 3, 11, 9, 30, tzinfo=UTC)) == []
    assert world.app.check_deadlines(datetime(2026, 3, 12, 9, 30, tzinfo=UTC)) == [late]
    assert world.app.check_deadlines(datetime(2026, 3, 19, 9, 30, tzinfo=UTC)) == []
    world.app.transfer_complaint(complaint_id=late, summary="公示名单与台账不符",
                                 actor=world.commission, occurred_at=at(3, 20))
    outcomes = {c.complaint_id: (c.outcome, c.on_time, c.overdue_recorded)
                for c in world.app.list_complaints()}
    assert outcomes == {answered: ("answered", True, False),
                        late: ("transferred", None, True)}
    [made] = referral_events(world)
    assert (made.source, made.source_id, made.unit_id) == ("complaint", late, None)


def test_figures_for_a_period_and_cumulatively_as_of_any_date(world):
    low = world.programme("城乡低保", budget="200000.00")
    aged = world.programme("高龄津贴", budget="50000.00", starts_on=date(2026, 7, 1))
    finance, civil, town = (world.clerk(u) for u in (world.finance, world.civil, world.town))
    world.app.allocate(programme_id=low, hop="finance_to_department",
                       from_unit_id=world.finance, to_unit_id=world.civil,
                       amount=Decimal("150000"), made_on=date(2026, 1, 10), actor=finance,
                       occurred_at=at(1, 10))
    world.app.allocate(programme_id=low, hop="department_to_town", from_unit_id=world.civil,
                       to_unit_id=world.town, amount=Decimal("100000"),
                       made_on=date(2026, 1, 15), actor=civil, occurred_at=at(1, 15))
    world.app.allocate(programme_id=low, hop="town_to_community", from_unit_id=world.town,
                       to_unit_id=world.community, amount=Decimal("60000"),
                       made_on=date(2026, 1, 20), actor=town, occurred_at=at(1, 20))
    world.pay(low, 1, "500.10", on=date(2026, 2, 1))
    world.pay(low, 2, "499.90", on=date(2026, 8, 1), method="cash")
    world.pay(aged, 3, "100.00", on=date(2026, 8, 2))
    world.app.receive_complaint(channel="来信", text="t", actor=world.commission,
                                occurred_at=at(8, 3))

    h1 = world.app.figures(start=date(2026, 1, 1), end=date(2026, 6, 30))
    assert (h1.units_enrolled, h1.programmes_supervised, h1.person_times) == (4, 1, 1)
    assert h1.amount_supervised_yuan == Decimal("200000.00")
    assert h1.amount_supervised_wan == Decimal("20.00")
    assert h1.amount_disbursed_yuan == Decimal("500.10")
    assert h1.warnings == {} and h1.complaints == {}
    # The finance bureau holds the rest of both budgets (both opened in January).
    assert h1.held_up == {"finance": Decimal("100000.00"), "department": Decimal("50000"),
                          "town": Decimal("40000"), "community": Decimal("59499.90")}

    year = world.app.figures(end=date(2026, 11, 30))
    assert (year.programmes_supervised, year.person_times) == (2, 3)
    assert year.amount_supervised_yuan == Decimal("250000.00")
    assert year.amount_disbursed_yuan == Decimal("1100.00")
    assert year.person_times_wan == Decimal("0.0")
    # Paid in cash, and more than 30 days after the money reached the community.
    assert year.warnings == {"paid_in_cash": {"open": 1}, "payment_late": {"open": 1}}
    assert year.complaints == {"open": 1}
    assert [(b.name, b.paid, b.share) for b in year.budget_use] == [
        ("城乡低保", Decimal("1000.00"), Decimal("0.0050")),
        ("高龄津贴", Decimal("100.00"), Decimal("0.0020"))]
    # As of an earlier day, what happened after it is left out.
    spring = world.app.figures(end=date(2026, 3, 1))
    assert (spring.programmes_supervised, spring.person_times) == (1, 1)

"""Each warning rule of the funds platform fires when it should and not when it shouldn't.

The rules run inside the real application (in memory): units learned from responsibility's
events, programmes opened, reference files imported and payments recorded as a clerk would.
``World`` is shared with the other funds tests.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.funds.application import Funds
from services.funds.commands import LedgerLine, ReferenceLine
from services.funds.pseudonyms import Pseudonymiser
from services.funds.settings import FundsSettings
from shared.actors import Actor
from shared.contracts.responsibility import UnitRegistered
from shared.policy import UpstreamEvent

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
KEY = b"funds-test-key-0123456789abcdef-0123456789"
FOUNDER = Actor(person_id=uuid4(), unit_id=uuid4())


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def national_id(n: int) -> str:
    """A made-up national id (18 characters) for person ``n``."""
    return f"11010119800101{n:04d}"


HANDLER = national_id(9000)


class World:
    """A district on the funds platform: finance bureau, civil affairs (managing department),
    a town and a community, all enrolled on 2 January."""

    def __init__(self, env: Any = None, settings: FundsSettings | None = None) -> None:
        self.app = Funds(env if env is not None else IN_MEMORY,
                         settings or FundsSettings(), Pseudonymiser(KEY))
        self.sequence = 0
        self.finance = self.unit("区财政局", "district_department")
        self.civil = self.unit("区民政局", "district_department")
        self.town = self.unit("**镇", "town")
        self.community = self.unit("**社区", "community", self.town)
        self.commission = Actor(person_id=uuid4(), unit_id=uuid4())
        for unit in (self.finance, self.civil, self.town, self.community):
            self.app.enrol_unit(unit_id=unit, enrolled_on=date(2026, 1, 2),
                                actor=self.commission, occurred_at=at(1, 2))

    def unit(self, name: str, kind: str, parent: UUID | None = None) -> UUID:
        unit_id = uuid4()
        self.learn(unit_id, name, kind, parent)
        return unit_id

    def learn(self, unit_id: UUID, name: str, kind: str, parent: UUID | None) -> list[Any]:
        """Deliver responsibility's Unit.Registered as the consumer does."""
        self.sequence += 1
        event = UpstreamEvent(
            data=UnitRegistered(actor=FOUNDER, unit_id=unit_id, code=name, name=name,
                                kind=kind, parent_unit_id=parent),
            id=f"{unit_id}:1", type="dutytrail.responsibility.unit_registered.v1",
            source="/dutytrail/responsibility", sequence=self.sequence, time=at(1, 1),
        )
        learned = self.app.learn_unit(event)
        if learned:
            self.app.save(*learned)
        return learned

    def clerk(self, unit: UUID) -> Actor:
        return Actor(person_id=uuid4(), unit_id=unit)

    def programme(self, name: str = "城乡低保", budget: str = "100000.00", **more: Any) -> UUID:
        fields: dict[str, Any] = {
            "name": name, "managing_unit_id": self.civil, "budget": Decimal(budget),
            "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31), "period": "month",
            "eligibility": "低保对象", **more,
        }
        return self.app.open_programme(**fields, actor=self.clerk(self.civil),
                                       occurred_at=at(1, 3))

    def pay(self, programme: UUID, person: int, amount: str = "500.00",
            on: date = date(2026, 3, 10), *, method: str = "bank_card",
            handler: str = HANDLER, unit: UUID | None = None) -> UUID:
        unit = unit or self.community
        line = LedgerLine(programme_id=programme, national_id=national_id(person),
                          name="张三丰", amount=Decimal(amount), paid_on=on,
                          paying_unit_id=unit, method=method,
                          handler_national_id=handler)
        return self.app.record_payment(line=line, actor=self.clerk(unit),
                                       occurred_at=datetime.combine(on, datetime.min.time(),
                                                                    tzinfo=UTC))

    def reference(self, kind: str, *rows: dict[str, Any], source: str = "区民政局") -> UUID:
        lines = [ReferenceLine(**row) for row in rows]
        return self.app.import_reference(kind=kind, source=source, rows=lines,  # type: ignore[arg-type]
                                         actor=self.commission, occurred_at=at(2, 1))

    def warnings(self, rule: str | None = None) -> list[Any]:
        return self.app.list_warnings(rule=rule)

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def world():
    made = World()
    yield made
    made.close()


def rules_fired(world: World, payment: UUID) -> set[str]:
    return {w.rule for w in world.warnings() if payment in w.payment_ids}


def test_paid_twice_in_period_fires_for_the_same_month_and_not_for_the_next(world):
    programme = world.programme()
    first = world.pay(programme, 1, on=date(2026, 3, 1))
    second = world.pay(programme, 1, on=date(2026, 3, 20))
    next_month = world.pay(programme, 1, on=date(2026, 4, 1))
    other_person = world.pay(programme, 2, on=date(2026, 3, 20))
    [warning] = world.warnings("paid_twice_in_period")
    assert warning.payment_ids == [first, second]
    assert "paid_twice_in_period" not in rules_fired(world, next_month)
    assert rules_fired(world, other_person) == set()


def test_mutually_exclusive_programmes_fire_either_way_round(world):
    pension = world.programme("特困供养")
    subsistence = world.programme("城乡低保", exclusive_with=[pension])
    first = world.pay(pension, 1)
    second = world.pay(subsistence, 1, on=date(2026, 3, 11))
    [warning] = world.warnings("mutually_exclusive")
    assert warning.payment_ids == [first, second]
    # The programme opened first learns of the exclusion too.
    third = world.pay(pension, 3)
    fourth = world.pay(subsistence, 4)
    assert "mutually_exclusive" not in rules_fired(world, third) | rules_fired(world, fourth)
    fifth = world.pay(subsistence, 5, on=date(2026, 3, 1))
    sixth = world.pay(pension, 5, on=date(2026, 3, 2))
    assert {tuple(w.payment_ids) for w in world.warnings("mutually_exclusive")} == {
        (first, second), (fifth, sixth)}


def test_over_budget_fires_once_at_the_payment_that_crosses_the_budget(world):
    programme = world.programme(budget="1000.00")
    within = world.pay(programme, 1, "600.00")
    exactly = world.pay(programme, 2, "400.00")
    assert world.warnings("over_budget") == []
    crossing = world.pay(programme, 3, "0.01")
    world.pay(programme, 4, "10.00")
    [warning] = world.warnings("over_budget")
    assert warning.payment_ids == [crossing]
    assert "1000.01" in warning.detail
    assert rules_fired(world, within) == rules_fired(world, exactly) == set()


def test_paid_after_death_fires_after_the_date_of_death_only(world):
    programme = world.programme()
    deaths = world.reference("deaths", {"national_id": national_id(1), "on": date(2026, 3, 5)})
    before = world.pay(programme, 1, on=date(2026, 3, 5))
    after = world.pay(programme, 1, on=date(2026, 4, 5))
    [warning] = world.warnings("paid_after_death")
    assert warning.payment_ids == [after]
    assert warning.references == [{"import_id": deaths, "row": 1}]
    assert "paid_after_death" not in rules_fired(world, before)


@pytest.mark.parametrize(("kind", "rule"), [
    ("public_payroll", "public_payroll"), ("vehicles", "vehicle_holder"),
    ("property", "property_holder"),
])
def test_holders_excluded_by_the_programme_fire_and_others_do_not(world, kind, rule):
    excluding = world.programme("城乡低保", excludes=[kind])
    open_to_all = world.programme("高龄津贴")
    rows = world.reference(kind, {"national_id": national_id(9), "note": "x"},
                           {"national_id": national_id(7), "note": "y"})
    fired = world.pay(excluding, 7)
    elsewhere = world.pay(open_to_all, 7)
    clean = world.pay(excluding, 8)
    [warning] = world.warnings(rule)
    assert warning.payment_ids == [fired]
    assert warning.references == [{"import_id": rows, "row": 2}]
    assert rules_fired(world, elsewhere) == rules_fired(world, clean) == set()


def test_relative_of_the_handling_official_fires_for_that_official_only(world):
    programme = world.programme()
    cadre = national_id(5000)
    relations = world.reference("relations", {"national_id": national_id(1),
                                              "official_national_id": cadre, "note": "配偶"})
    favoured = world.pay(programme, 1, handler=cadre)
    other_handler = world.pay(programme, 1, on=date(2026, 4, 10))
    [warning] = world.warnings("relative_of_handler")
    assert warning.payment_ids == [favoured]
    assert warning.references == [{"import_id": relations, "row": 1}]
    assert "relative_of_handler" not in rules_fired(world, other_handler)


def test_a_hop_later_than_its_deadline_fires_and_one_in_time_does_not(world):
    programme = world.programme(hop_days=10)
    finance = world.clerk(world.finance)
    on_time = world.app.allocate(
        programme_id=programme, hop="finance_to_department", from_unit_id=world.finance,
        to_unit_id=world.civil, amount=Decimal("50000"), made_on=date(2026, 1, 11),
        actor=finance, occurred_at=at(1, 11))
    late = world.app.allocate(
        programme_id=programme, hop="department_to_town", from_unit_id=world.civil,
        to_unit_id=world.town, amount=Decimal("50000"), made_on=date(2026, 1, 22),
        actor=world.clerk(world.civil), occurred_at=at(1, 22))
    [warning] = world.warnings("hop_late")
    assert warning.allocation_id == late != on_time
    assert "due by 2026-01-21" in warning.detail


def test_a_payment_later_than_its_deadline_after_the_money_arrived_fires(world):
    programme = world.programme(pay_days=5)
    world.app.allocate(
        programme_id=programme, hop="town_to_community", from_unit_id=world.town,
        to_unit_id=world.community, amount=Decimal("1000"), made_on=date(2026, 3, 1),
        actor=world.clerk(world.town), occurred_at=at(3, 1))
    in_time = world.pay(programme, 1, on=date(2026, 3, 6))
    late = world.pay(programme, 2, on=date(2026, 3, 7))
    [warning] = world.warnings("payment_late")
    assert warning.payment_ids == [late]
    assert rules_fired(world, in_time) == set()


def test_paid_in_cash_fires_and_a_bank_card_payment_does_not(world):
    programme = world.programme()
    cash = world.pay(programme, 1, method="cash")
    card = world.pay(programme, 2)
    assert [w.payment_ids for w in world.warnings("paid_in_cash")] == [[cash]]
    assert rules_fired(world, card) == set()


def test_a_reversed_payment_no_longer_counts_for_paid_twice(world):
    programme = world.programme()
    wrong = world.pay(programme, 1)
    world.app.reverse_payment(payment_id=wrong, reversed_on=date(2026, 3, 11),
                              reason="金额录入错误", actor=world.clerk(world.community))
    again = world.pay(programme, 1, on=date(2026, 3, 12))
    assert rules_fired(world, again) == set()


def test_a_ledger_sees_its_own_earlier_lines(world):
    programme = world.programme()
    line = {"programme_id": programme, "national_id": national_id(1), "name": "李四",
            "amount": Decimal("100"), "paid_on": date(2026, 5, 1),
            "paying_unit_id": world.community, "handler_national_id": HANDLER}
    first, second = uuid4(), uuid4()
    world.app.record_ledger(lines=[LedgerLine(**line, payment_id=first),
                                   LedgerLine(**line, payment_id=second)],
                            actor=world.clerk(world.community))
    [warning] = world.warnings("paid_twice_in_period")
    assert warning.payment_ids == [first, second]


def test_a_later_finance_tranche_is_not_judged_late_but_the_next_hop_counts_from_it(world):
    programme = world.programme(hop_days=10)
    finance, civil = world.clerk(world.finance), world.clerk(world.civil)
    for made_on in (date(2026, 1, 5), date(2026, 4, 1)):
        world.app.allocate(
            programme_id=programme, hop="finance_to_department", from_unit_id=world.finance,
            to_unit_id=world.civil, amount=Decimal("1000"), made_on=made_on, actor=finance)
    world.app.allocate(
        programme_id=programme, hop="department_to_town", from_unit_id=world.civil,
        to_unit_id=world.town, amount=Decimal("1000"), made_on=date(2026, 4, 8), actor=civil)
    assert world.warnings("hop_late") == []


def test_metrics_count_payments_amounts_and_open_warnings_by_rule_only(world):
    from services.funds import metrics

    programme = world.programme()
    world.pay(programme, 1, "100.10", method="cash")
    world.pay(programme, 2, "0.90")
    world.app.refresh_gauges(date(2026, 3, 31))
    assert metrics.PAYMENTS_RECORDED.labels("funds")._value.get() == 2
    assert metrics.AMOUNT_DISBURSED.labels("funds")._value.get() == 101.0
    assert metrics.WARNINGS_OPEN.labels("funds", "paid_in_cash")._value.get() == 1
    assert metrics.WARNINGS_OPEN.labels("funds", "over_budget")._value.get() == 0
    for gauge in (metrics.PAYMENTS_RECORDED, metrics.AMOUNT_DISBURSED, metrics.WARNINGS_OPEN):
        assert set(gauge._labelnames) <= {"service", "rule"}

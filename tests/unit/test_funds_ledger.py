"""The disbursement ledger's refusals, its exactness in Decimal, reversals, pseudonyms and
what the public lists show."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.funds.commands import LedgerLine, RecordPayment
from services.funds.domain import (
    DuplicatePaymentError,
    InvalidAmountError,
    InvalidReversalError,
    LedgerTooLongError,
    PaymentAlreadyReversedError,
    ProgrammeEndedError,
    ProgrammeNotFoundError,
    ProgrammeNotStartedError,
    ReferenceFileAlreadyImportedError,
    UnitNotEnrolledError,
    check_amount,
    mask_name,
)
from services.funds.pseudonyms import InvalidNationalIdError, Pseudonymiser
from services.funds.settings import FundsSettings
from services.funds.views import FundsView
from shared.commands import parse_command
from shared.errors import InvalidCommandError, NotPermittedError
from tests.unit.test_funds_rules import HANDLER, KEY, World, national_id


@pytest.fixture
def world():
    made = World()
    yield made
    made.close()


def stored_event_count(world: World) -> int:
    return int(world.app.recorder.max_notification_id() or 0)


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001", "12.345"])
def test_zero_negative_and_over_precise_amounts_are_refused_by_the_command(amount):
    payload = {"line": {
        "programme_id": str(uuid4()), "national_id": national_id(1), "name": "张三",
        "amount": amount, "paid_on": "2026-03-01", "paying_unit_id": str(uuid4()),
        "handler_national_id": HANDLER}}
    with pytest.raises(InvalidCommandError, match=r"line\.amount"):
        parse_command(RecordPayment, payload)


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "NaN"])
def test_the_domain_refuses_the_same_amounts_with_a_clear_message(amount):
    with pytest.raises(InvalidAmountError, match=r"yuan|fen"):
        check_amount(Decimal(amount))
    assert check_amount(Decimal("0.01")) == Decimal("0.01")


def test_a_refusal_never_repeats_the_national_id():
    payload = {"line": {
        "programme_id": str(uuid4()), "national_id": "11010119800101123", "name": "张三",
        "amount": "1", "paid_on": "2026-03-01", "paying_unit_id": str(uuid4()),
        "handler_national_id": HANDLER}}
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RecordPayment, payload)
    assert "11010119800101123" not in str(refused.value)
    with pytest.raises(InvalidNationalIdError) as wrong:
        Pseudonymiser(KEY).person_id("1101011980010112AB")
    assert "1101011980010112AB" not in str(wrong.value)


def test_payments_to_an_unknown_programme_before_its_start_or_by_a_unit_not_enrolled_are_refused(world):
    programme = world.programme(starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 30))
    stranger = world.unit("**村", "community", world.town)
    before = stored_event_count(world)
    with pytest.raises(ProgrammeNotFoundError):
        world.pay(uuid4(), 1)
    with pytest.raises(ProgrammeNotStartedError, match="starts on 2026-03-01"):
        world.pay(programme, 1, on=date(2026, 2, 28))
    with pytest.raises(ProgrammeEndedError):
        world.pay(programme, 1, on=date(2026, 7, 1))
    with pytest.raises(UnitNotEnrolledError, match="not enrolled"):
        world.pay(programme, 1, unit=stranger)
    with pytest.raises(NotPermittedError):
        world.app.record_payment(
            line=LedgerLine(programme_id=programme, national_id=national_id(1), name="王五",
                            amount=Decimal(1), paid_on=date(2026, 3, 2),
                            paying_unit_id=world.community, handler_national_id=HANDLER),
            actor=world.clerk(world.town))
    assert stored_event_count(world) == before  # nothing stored when refused


def test_the_clear_national_id_is_in_no_stored_event(world):
    programme = world.programme()
    world.pay(programme, 4242)
    world.reference("deaths", {"national_id": national_id(4242), "on": date(2026, 1, 1)})
    stored = b"".join(n.state for n in world.app.recorder.select_notifications(0, 1000))
    assert national_id(4242).encode() not in stored
    assert HANDLER.encode() not in stored
    assert "张三丰".encode() not in stored and "张*丰".encode() in stored


def test_a_pseudonym_is_a_keyed_hash_the_same_for_one_person_and_key():
    one, other = Pseudonymiser(KEY), Pseudonymiser(KEY[::-1])
    assert one.person_id(national_id(1)) == one.person_id(national_id(1).lower())
    assert one.person_id(national_id(1)) != one.person_id(national_id(2))
    assert one.person_id(national_id(1)) != other.person_id(national_id(1))
    assert len(one.person_id(national_id(1))) == 64
    assert "key" not in repr(one).replace("<key hidden>", "")


def test_names_are_masked_as_a_board_shows_them():
    assert [mask_name(n) for n in ("王", "张三", "张三丰", "欧阳修远")] == [
        "*", "张*", "张*丰", "欧**远"]


def test_a_reversal_cites_the_payment_once_and_never_before_it(world):
    programme = world.programme()
    payment = world.pay(programme, 1, "300.00")
    clerk = world.clerk(world.community)
    with pytest.raises(InvalidReversalError):
        world.app.reverse_payment(payment_id=payment, reversed_on=date(2026, 3, 9),
                                  reason="错发", actor=clerk)
    world.app.reverse_payment(payment_id=payment, reversed_on=date(2026, 3, 12), reason="错发",
                              actor=clerk)
    with pytest.raises(PaymentAlreadyReversedError):
        world.app.reverse_payment(payment_id=payment, reversed_on=date(2026, 3, 13),
                                  reason="错发", actor=clerk)
    [line] = world.app.list_programmes()
    assert (line.paid, line.person_times) == (Decimal("0.00"), 0)
    assert world.app.recipient_list(programme_id=programme) == []
    [own] = world.app.own_payments(national_id=national_id(1))
    assert own.reversed and own.amount == Decimal("300.00")


def test_a_ledger_sent_twice_is_refused_whole(world):
    programme = world.programme()
    lines = [LedgerLine(programme_id=programme, national_id=national_id(n), name="赵六",
                        amount=Decimal("10.00"), paid_on=date(2026, 3, 1),
                        paying_unit_id=world.community, handler_national_id=HANDLER,
                        payment_id=uuid4()) for n in range(3)]
    clerk = world.clerk(world.community)
    world.app.record_ledger(lines=lines, actor=clerk)
    before = stored_event_count(world)
    with pytest.raises(DuplicatePaymentError):
        world.app.record_ledger(lines=lines, actor=clerk)
    assert stored_event_count(world) == before


def test_a_ledger_longer_than_the_setting_is_refused_whole():
    small = World(settings=FundsSettings(max_ledger_lines=2))
    try:
        programme = small.programme()
        lines = [LedgerLine(programme_id=programme, national_id=national_id(n), name="赵六",
                            amount=Decimal("10.00"), paid_on=date(2026, 3, 1),
                            paying_unit_id=small.community, handler_national_id=HANDLER)
                 for n in range(3)]
        with pytest.raises(LedgerTooLongError, match="at most 2 lines"):
            small.app.record_ledger(lines=lines, actor=small.clerk(small.community))
        assert small.app.list_programmes()[0].person_times == 0
    finally:
        small.close()


def test_the_same_reference_file_twice_is_refused_and_a_new_one_adds(world):
    world.reference("deaths", {"national_id": national_id(1), "on": date(2026, 2, 1)})
    with pytest.raises(ReferenceFileAlreadyImportedError):
        world.reference("deaths", {"national_id": national_id(1), "on": date(2026, 2, 1)},
                        source="another copy")
    world.reference("deaths", {"national_id": national_id(2), "on": date(2026, 2, 3)})
    view = world.app.as_of()
    assert sorted(i.row_count for i in view.imports.values()) == [1, 1]
    assert len([k for k in view.holdings if k[0] == "deaths"]) == 2


def test_the_public_list_and_the_own_lookup_are_masked(world):
    programme = world.programme()
    world.pay(programme, 1, "123.45")
    [line] = world.app.recipient_list(programme_id=programme)
    assert (line.masked_name, line.amount, line.paying_unit) == ("张*丰", Decimal("123.45"),
                                                                 "**社区")
    [own] = world.app.own_payments(national_id=national_id(1))
    assert (own.programme, own.masked_name) == ("城乡低保", "张*丰")
    assert world.app.own_payments(national_id=national_id(2)) == []
    assert national_id(1) not in json.dumps([str(v) for v in vars(own).values()])


def test_one_hundred_thousand_payments_sum_exactly_in_decimal():
    """The read model's totals, fed 100,000 payments of awkward amounts, equal the exact sum
    to the fen."""
    view = FundsView()
    programme, unit = uuid4(), uuid4()

    class Event:
        def __init__(self, **fields: object) -> None:
            self.__dict__.update(fields)

    view.on_Programme_Opened(Event(
        originator_id=programme, name="p", managing_unit_id=unit, budget=Decimal("1e9"),
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), period="month",
        eligibility="", excludes=[], exclusive_with=[], hop_days=1, pay_days=1,
        occurred_at=None))
    expected = Decimal(0)
    for n in range(100_000):
        amount = Decimal(f"{n % 997}.{n % 100:02d}") + Decimal("0.01")
        expected += amount
        view.on_Payment_Recorded(Event(
            originator_id=uuid4(), programme_id=programme, beneficiary_id=str(n),
            masked_name="*", amount=amount, paid_on=date(2026, 3, 1), period="2026-03",
            paying_unit_id=unit, method="bank_card"))
    assert view.totals.amount == expected == view.programmes[programme].paid
    assert view.totals.payments == 100_000
    assert expected.as_tuple().exponent == -2

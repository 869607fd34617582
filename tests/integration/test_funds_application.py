"""The funds application on SQLite and PostgreSQL: a small year of payments, its warnings and
figures answered from the read model kept in the store, the same after a restart and as of
an earlier day as a replay of the log says."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.funds.application import Funds
from services.funds.pseudonyms import Pseudonymiser
from services.funds.settings import FundsSettings
from services.funds.views import FundsView
from shared.contracts import contract_for_domain_event
from shared.persistence import store_environment
from tests.unit.test_funds_rules import KEY, World, national_id


def test_a_year_of_payments_on_both_stores(any_store):
    world = World(store_environment("funds", any_store))
    try:
        low = world.programme("城乡低保", budget="2900.00", excludes=["vehicles"])
        aged = world.programme("特困供养", exclusive_with=[low])
        world.reference("vehicles", {"national_id": national_id(3), "note": "小型轿车"})
        world.reference("deaths", {"national_id": national_id(4), "on": date(2026, 5, 1)})
        for month in range(1, 13):
            for person in range(1, 5):
                world.pay(low, person, "61.37", on=date(2026, month, 15))
        world.pay(aged, 1, "800.00", on=date(2026, 6, 1), method="cash")
        fired = {w.rule for w in world.warnings()}
        assert fired == {"vehicle_holder", "paid_after_death", "over_budget",
                         "mutually_exclusive", "paid_in_cash"}
        figures = world.app.figures(end=date(2026, 11, 30))
        assert figures.person_times == 45
        assert figures.amount_disbursed_yuan == Decimal("61.37") * 44 + Decimal("800.00")
        june = world.app.figures(start=date(2026, 6, 1), end=date(2026, 6, 30))
        assert (june.person_times, june.amount_disbursed_yuan) == (5, Decimal("1045.48"))
        # Every stored event has its public contract (the relay stops at one without).
        for notification in world.app.recorder.select_notifications(0, 1000):
            event = world.app.mapper.to_domain_event(notification)
            contract_for_domain_event("funds", type(event).__qualname__)
        # As of 31 May from the stored rows, as a replay of the log says.
        until = datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC)
        from_rows = world.app.view(FundsView, date(2026, 5, 31))
        replayed = FundsView.replayed(world.app, until)
        assert from_rows.totals == replayed.totals
        assert from_rows.totals.payments == 20
        assert set(from_rows.warnings) == set(replayed.warnings)
    finally:
        world.close()
    # A restart loads the read model from its rows and answers the same.
    again = Funds(store_environment("funds", any_store), FundsSettings(), Pseudonymiser(KEY))
    try:
        assert again.figures(end=date(2026, 11, 30)) == figures
        own = again.own_payments(national_id=national_id(1))
        assert [(o.paid_on, o.amount) for o in own if o.programme == "特困供养"] == [
            (date(2026, 6, 1), Decimal("800.00"))]
        assert len(own) == 13
    finally:
        again.close()

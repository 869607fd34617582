"""The funds service ingesting a disbursement ledger with every warning rule on, against the
store's raw save rate in the same run, and the rules' cost per payment at the start and the
end of the ledger (flat: the rules look payments up in indexes, they never scan the ledger).

In-process, one thread, no broker: a ``Funds`` application on a fresh store (SQLite by
default), removed afterwards. The district: 4 programmes (two mutually exclusive, three
excluding payroll, vehicle or property holders), reference files of deaths, public payroll,
vehicles, property and officials' relatives (1,000 rows each), and the ledger sent as
``record_ledger`` calls of ``--ledger`` lines (one transaction each, as a community's monthly
ledger is), with a planted irregularity every few hundred lines so that the rules fire.

    .venv/bin/python bench/funds_ledger.py [--payments 200000] [--ledger 500]
        [--backend sqlite|postgres] [--raw-events 2000] [--probe 500]

- payments/s: every ledger line recorded (its rules, its payment event, its warnings and the
  read model's rows) over the whole run;
- raw save rate: ``bench/store_rate.py``'s ``register_unit`` saves (one event, one
  transaction each) on the same backend, measured in the same run;
- rule cost: the rules of ``--probe`` payments evaluated against the read model's indexes
  right after the first ledger and again after the last, in µs per payment (the median of
  five rounds).
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

# Signing needs a key: a development one in the var dir, as the other benchmarks do.
os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_rate
from cleanup import unwind_on_sigterm

from services.funds.application import Funds, _facts
from services.funds.commands import LedgerLine, ReferenceLine
from services.funds.domain import PaymentFacts, payment_findings, period_key
from services.funds.pseudonyms import Pseudonymiser
from services.funds.settings import FundsSettings
from shared.actors import Actor
from shared.contracts.responsibility import UnitRegistered
from shared.persistence import drop_postgres_schemas, store_environment
from shared.policy import UpstreamEvent
from shared.settings import StoreSettings

KEY = b"bench-funds-pseudonym-key-0123456789abcdef"
REFERENCE_ROWS = 1000
PEOPLE = 50_000  # beneficiaries the ledger pays in turn, month after month


def national_id(n: int) -> str:
    return f"4201{n:013d}1"


class District:
    def __init__(self, app: Funds) -> None:
        self.app = app
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        self.commission = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        self.units: dict[str, uuid.UUID] = {}
        for n, (name, kind) in enumerate([("区财政局", "district_department"),
                                          ("区民政局", "district_department"),
                                          ("**镇", "town"), ("**社区", "community")], 1):
            unit = uuid.uuid4()
            event = UpstreamEvent(
                data=UnitRegistered(actor=founder, unit_id=unit, code=name, name=name,
                                    kind=kind, parent_unit_id=None),
                id=f"{unit}:1", type="dutytrail.responsibility.unit_registered.v1",
                source="/dutytrail/responsibility", sequence=n,
                time=datetime(2026, 1, 1, tzinfo=UTC))
            app.save(*app.learn_unit(event))
            app.enrol_unit(unit_id=unit, enrolled_on=date(2026, 1, 1), actor=self.commission)
            self.units[kind if kind != "district_department" else name] = unit
        civil = self.units["区民政局"]
        clerk = Actor(person_id=uuid.uuid4(), unit_id=civil)

        def programme(name: str, **more: Any) -> uuid.UUID:
            return app.open_programme(
                name=name, managing_unit_id=civil, budget=Decimal("1e10"),
                starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), period="month",
                eligibility=name, actor=clerk, pay_days=400, **more)

        low = programme("城乡低保", excludes=["public_payroll", "vehicles", "property"])
        self.programmes = [
            low, programme("特困供养", exclusive_with=[low], excludes=["public_payroll"]),
            programme("高龄津贴"), programme("残疾人两项补贴", excludes=["vehicles"]),
        ]
        self.community = self.units["community"]
        self.clerk = Actor(person_id=uuid.uuid4(), unit_id=self.community)
        self.handler = national_id(PEOPLE + 1)
        # Reference files: people of the ledger, one in every few hundred.
        for kind in ("deaths", "public_payroll", "vehicles", "property", "relations"):
            rows = [ReferenceLine(
                national_id=national_id((r * 97 + hash(kind) % 89) % PEOPLE),
                on=date(2026, 1, 1) if kind == "deaths" else None,
                official_national_id=self.handler if kind == "relations" else None,
                note=kind) for r in range(REFERENCE_ROWS)]
            app.import_reference(kind=kind, source=f"bench {kind}",  # type: ignore[arg-type]
                                 rows=rows, actor=self.commission)

    def line(self, n: int) -> LedgerLine:
        person = n % PEOPLE
        month = 1 + (n // PEOPLE) % 12
        return LedgerLine(
            programme_id=self.programmes[n % len(self.programmes)],
            national_id=national_id(person), name="张三丰",
            amount=Decimal(f"{100 + n % 900}.{n % 100:02d}"),
            paid_on=date(2026, month, 1 + n % 28), paying_unit_id=self.community,
            method="cash" if n % 997 == 0 else "bank_card",
            handler_national_id=self.handler, payment_id=uuid.uuid4())


def rule_cost(district: District, probe: int, start: int) -> float:
    """µs per payment for every rule, against the live read model's indexes: the lines from
    ``start`` on again (each a person already paid that month, so the same rules fire at the
    start and at the end, and only the size of the indexes differs)."""
    app = district.app
    view = app.as_of()
    facts_of = {p: _facts(view.programmes[p], view) for p in district.programmes}
    pseudonyms = app.pseudonyms
    lines = [district.line(start + i) for i in range(probe)]
    facts = [PaymentFacts(
        payment_id=uuid.uuid4(), programme_id=line.programme_id,
        beneficiary_id=pseudonyms.person_id(line.national_id), amount=line.amount,
        paid_on=line.paid_on, period=period_key("month", line.paid_on),
        paying_unit_id=line.paying_unit_id, method=line.method,
        handler_id=pseudonyms.person_id(line.handler_national_id)) for line in lines]
    # The median of five rounds, after a full collection: one round that a collection of a
    # large heap happens to fall in says nothing about the rules.
    gc.collect()
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for fact in facts:
            payment_findings(fact, facts_of[fact.programme_id], view)
        rounds.append((time.perf_counter() - started) / probe * 1e6)
    return statistics.median(rounds)


def ingest(settings: StoreSettings, payments: int, ledger: int, probe: int) -> dict[str, Any]:
    app = Funds(store_environment("funds", settings), FundsSettings(max_ledger_lines=ledger),
                Pseudonymiser(KEY))
    try:
        district = District(app)
        segments: list[float] = []
        sent = 0
        started = time.perf_counter()
        cost_start = 0.0
        segment_started, segment_size = started, max(payments // 10, ledger)
        while sent < payments:
            size = min(ledger, payments - sent)
            app.record_ledger(lines=[district.line(sent + i) for i in range(size)],
                              actor=district.clerk)
            sent += size
            if sent == size:  # after the first ledger: the rules' cost at the start
                paused = time.perf_counter()
                cost_start = rule_cost(district, probe, sent - probe)
                started += time.perf_counter() - paused
                segment_started += time.perf_counter() - paused
            if sent % segment_size == 0 or sent == payments:
                now = time.perf_counter()
                segments.append(segment_size / (now - segment_started))
                segment_started = now
        elapsed = time.perf_counter() - started
        cost_end = rule_cost(district, probe, sent - probe)
        totals = app.as_of().totals
        warnings = sum(totals.open_warnings.values())
    finally:
        app.close()
    return {"payments": payments, "seconds": elapsed, "per_second": payments / elapsed,
            "segments": segments, "rule_us_start": cost_start, "rule_us_end": cost_end,
            "warnings": warnings, "stored_payments": totals.payments}


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--ledger", type=int, default=500, help="lines per record_ledger")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--raw-events", type=int, default=2000)
    parser.add_argument("--probe", type=int, default=500,
                        help="payments whose rules are timed (at most --ledger)")
    args = parser.parse_args(argv)
    args.probe = min(args.probe, args.ledger)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")

    def fresh() -> tuple[StoreSettings, Any]:
        if args.backend == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="dutytrail-bench-funds-"))
            return StoreSettings.sqlite(folder), lambda: shutil.rmtree(folder, True)
        settings = StoreSettings.postgres(f"bench{uuid.uuid4().hex[:8]}_")
        return settings, lambda: drop_postgres_schemas(settings)

    settings, clean = fresh()
    try:
        raw = store_rate.measure(settings, args.raw_events)
    finally:
        clean()
    settings, clean = fresh()
    try:
        result = ingest(settings, args.payments, args.ledger, args.probe)
    finally:
        clean()
    share = result["per_second"] / raw["per_second"]
    print(f"{args.backend}: raw save rate {raw['per_second']:,.0f} events/s "
          f"({raw['events']} register_unit saves, one event and one transaction each)")
    print(f"ledger of {result['payments']:,} payments in ledgers of {args.ledger} lines, every "
          f"rule on: {result['seconds']:.1f} s = {result['per_second']:,.0f} payments/s "
          f"= {share:.0%} of the raw save rate; {result['warnings']:,} warnings raised")
    print("payments/s by tenth of the ledger: "
          + ", ".join(f"{s:,.0f}" for s in result["segments"]))
    print(f"rules per payment: {result['rule_us_start']:.1f} µs after the first ledger, "
          f"{result['rule_us_end']:.1f} µs after the last ({args.probe} payments probed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

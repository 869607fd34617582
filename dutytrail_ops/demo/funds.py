"""The funds service's part in the demo year (惠民资金监管平台, "前台公开、群众监督，后台预警、
部门核查"), played over RPC: units enrolled, four livelihood programmes, each quarter's money
passed finance bureau → department → town → community, a monthly ledger per community, the
reference files other departments provide, complaints, and irregularities planted, one of
every kind the warning rules catch; then its section of the report, beside the seed's
sentence.

Its randomness is its own (seeded from the demo's seed), so playing it changes nothing in
the other scenarios' years.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click

from dutytrail_ops.demo.timeline import DemoContext, Scenario, demo_id
from shared.roles import DISCIPLINE_COMMISSION

# The seed's sentence on the platform (§二(一)), quoted as the seed wrote it.
SEED_FUNDS = (
    "目前，**区纳入民生资金监管服务平台的单位**个，监管的民生资金**项，"
    "累计监管资金达**万元，受益群众约**万人次。"
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
# Per community: recipients of each programme (the first of each list is where a planted
# irregularity goes).
LOW, EXTREME, AGED, FARMLAND = "城乡低保", "特困供养", "高龄津贴", "耕地地力保护补贴"
RECIPIENTS = {LOW: 5, EXTREME: 1, AGED: 3, FARMLAND: 3}
AMOUNTS = {LOW: Decimal("580.00"), EXTREME: Decimal("900.00"), AGED: Decimal("300.00"),
           FARMLAND: Decimal("1235.60")}
# Every irregularity planted, by the rule that must catch it.
PLANTED = (
    "paid_twice_in_period", "mutually_exclusive", "over_budget", "paid_after_death",
    "public_payroll", "vehicle_holder", "property_holder", "relative_of_handler", "hop_late",
    "payment_late", "paid_in_cash",
)
RULE_NAMES = {
    "paid_twice_in_period": "重复发放", "mutually_exclusive": "互斥项目重复享受",
    "over_budget": "超预算", "paid_after_death": "死亡冒领", "public_payroll": "财政供养人员",
    "vehicle_holder": "有车辆", "property_holder": "有房产", "relative_of_handler": "优亲厚友",
    "hop_late": "拨付超时", "payment_late": "发放超时", "paid_in_cash": "现金发放",
}


def at(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC).isoformat()


def national_id(n: int) -> str:
    """A made-up national id (18 characters) for the demo's person ``n``."""
    return f"420102{1950 + n % 50}0101{n % 10_000:04d}"[:17] + str(n % 10)


@dataclass
class Person:
    number: int
    name: str

    @property
    def national_id(self) -> str:
        return national_id(self.number)


@dataclass
class FundsYear:
    ctx: DemoContext
    rng: random.Random
    year: int
    commission: str
    finance: str
    civil: str
    agriculture: str
    towns: list[str]
    communities: list[str]
    parent: dict[str, str]  # community -> its town
    programmes: dict[str, str] = field(default_factory=dict)  # name -> id
    recipients: dict[tuple[str, str], list[Person]] = field(default_factory=dict)
    handlers: dict[str, Person] = field(default_factory=dict)  # community -> its 经办人
    complaints: list[str] = field(default_factory=list)
    # Hops planted late, made on a later Monday's week: (programme, quarter, to, amount, on).
    late_hops: list[tuple[str, int, str, Decimal, date]] = field(default_factory=list)
    counter: int = 0

    def id(self, key: str) -> str:
        return demo_id(self.ctx.seed, f"funds:{self.year}:{key}")

    def clerk(self, unit: str) -> Any:
        return self.ctx.clerk(unit).funds

    @property
    def commission_clerk(self) -> Any:
        return self.ctx.clerk(self.commission, DISCIPLINE_COMMISSION).funds

    def person(self) -> Person:
        self.counter += 1
        name = self.rng.choice(SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.randint(1, 2)))
        return Person(10_000 + self.counter, name)

    # Setting up: units, programmes, people.

    def enrol(self, units: list[str], on: date) -> None:
        """Enrol each unit, once funds has learned the district from responsibility's events
        (asynchronously: wait for it, so no enrolment is refused)."""
        auditor = self.ctx.auditor
        last = after = 0
        while page := auditor.responsibility.events_after({"after": after, "limit": 500}):
            last = after = int(page[-1]["sequence"])
        deadline = time.monotonic() + 60
        while auditor.funds.upstream_position().get("responsibility", 0) < last:
            if time.monotonic() > deadline:
                raise click.ClickException(
                    "funds did not learn the district from responsibility's events")
            time.sleep(0.2)
        for unit in units:
            self.commission_clerk.enrol_unit({"unit_id": unit, "enrolled_on": on.isoformat(),
                                              "occurred_at": at(on)})

    def open_programmes(self, on: date) -> None:
        year = self.year
        plans = [
            (LOW, self.civil, "150000.00", "month", ["public_payroll", "vehicles", "property"],
             [], 190),
            (EXTREME, self.civil, "50000.00", "month", ["public_payroll"], [LOW], 190),
            # Planted: the budget falls short of four quarters' payments (超预算).
            (AGED, self.civil, "12000.00", "quarter", [], [], 100),
            (FARMLAND, self.agriculture, "20000.00", "year", ["public_payroll"], [], 100),
        ]
        for name, unit, budget, period, excludes, exclusive, pay_days in plans:
            # The farmland subsidy is a spring programme: its money comes in April.
            starts_on = date(year, 4, 1) if name == FARMLAND else date(year, 1, 1)
            self.programmes[name] = self.clerk(unit).open_programme({
                "name": name, "managing_unit_id": unit, "budget": budget,
                "starts_on": starts_on.isoformat(),
                "ends_on": date(year, 12, 31).isoformat(), "period": period,
                "eligibility": f"{name}：按政策认定的对象", "excludes": excludes,
                "exclusive_with": [self.programmes[x] for x in exclusive],
                "hop_days": 15, "pay_days": pay_days, "programme_id": self.id(f"programme:{name}"),
                "command_id": self.id(f"open:{name}"), "occurred_at": at(on),
            })
        for community in self.communities:
            self.handlers[community] = self.person()
            for name, count in RECIPIENTS.items():
                self.recipients[(community, name)] = [self.person() for _ in range(count)]
        # Planted: a 低保 recipient of the second community also on its 特困 list (互斥).
        second = self.communities[1]
        self.recipients[(second, EXTREME)][0] = self.recipients[(second, LOW)][0]

    def planted(self, community: int, recipient: int) -> Person:
        """The 低保 recipient who carries a planted irregularity."""
        return self.recipients[(self.communities[community], LOW)][recipient]

    # The money's path, each half year (the farmland subsidy's once, in spring).

    def tranche(self, name: str, community: str) -> Decimal:
        payments = {LOW: 6, EXTREME: 6, AGED: 2, FARMLAND: 1}[name]
        return AMOUNTS[name] * len(self.recipients[(community, name)]) * payments

    def pass_money(self, name: str, day: date, quarter: int) -> None:
        programme = self.programmes[name]
        department = self.civil if name != FARMLAND else self.agriculture
        shares = {c: self.tranche(name, c) for c in self.communities}
        by_town: dict[str, Decimal] = {}
        for community, share in shares.items():
            by_town[self.parent[community]] = by_town.get(self.parent[community],
                                                          Decimal(0)) + share

        def hop(kind: str, sender: str, receiver: str, amount: Decimal, on: date) -> None:
            self.clerk(sender).allocate({
                "programme_id": programme, "hop": kind, "from_unit_id": sender,
                "to_unit_id": receiver, "amount": str(amount), "made_on": on.isoformat(),
                "allocation_id": self.id(f"hop:{name}:{quarter}:{receiver}"),
                "command_id": self.id(f"hop-cmd:{name}:{quarter}:{receiver}"),
                "occurred_at": at(on, 9),
            })

        hop("finance_to_department", self.finance, department, sum(shares.values(),
                                                                   Decimal(0)), day)
        for town, amount in by_town.items():
            hop("department_to_town", department, town, amount, day)
        for community, share in shares.items():
            on = day
            if quarter == 3 and community == self.communities[3] and name == EXTREME:
                on = day + timedelta(days=20)  # planted: held up at the town (拨付超时)
            if on == day:
                hop("town_to_community", self.parent[community], community, share, on)
            else:
                self.late_hops.append((name, quarter, community, share, on))

    def pass_late_money(self, monday: date) -> None:
        for entry in [h for h in self.late_hops if h[4] <= monday + timedelta(days=6)]:
            name, quarter, community, share, on = entry
            self.late_hops.remove(entry)
            self.clerk(self.parent[community]).allocate({
                "programme_id": self.programmes[name], "hop": "town_to_community",
                "from_unit_id": self.parent[community], "to_unit_id": community,
                "amount": str(share), "made_on": on.isoformat(),
                "allocation_id": self.id(f"hop:{name}:{quarter}:{community}"),
                "command_id": self.id(f"hop-cmd:{name}:{quarter}:{community}"),
                "occurred_at": at(on, 9),
            })

    # The ledgers, each month.

    def ledgers(self, day: date) -> None:
        month = day.month
        for index, community in enumerate(self.communities):
            lines: list[dict[str, Any]] = []

            def line(name: str, person: Person, method: str = "bank_card",
                     on: date = day, key: str = "", unit: str = community) -> dict[str, Any]:
                return self.ledger_line(unit, month, name, person, method, on, key)

            for name in (LOW, EXTREME):
                for k, person in enumerate(self.recipients[(community, name)]):
                    cash = index == 3 and k == 4 and month == 6 and name == LOW
                    lines.append(line(name, person, "cash" if cash else "bank_card"))
            if month in (1, 4, 7, 10) and not (index == 2 and month == 4):
                lines += [line(AGED, p) for p in self.recipients[(community, AGED)]]
            if index == 2 and month == 6:
                # Planted: Q2's 高龄津贴 paid two months after the money came (发放超时).
                lines += [line(AGED, p) for p in self.recipients[(community, AGED)]]
            if month == 5:
                lines += [line(FARMLAND, p) for p in self.recipients[(community, FARMLAND)]]
            if index == 0 and month == 3:
                # Planted: the same 低保 recipient paid twice in March (重复发放).
                first = self.recipients[(community, LOW)][0]
                lines.append(line(LOW, first, on=day + timedelta(days=2), key=":again"))
            self.clerk(community).record_ledger({"lines": lines, "occurred_at": at(day, 15)})

    def ledger_line(self, community: str, month: int, name: str, person: Person,
                    method: str, on: date, key: str) -> dict[str, Any]:
        return {
            "programme_id": self.programmes[name], "national_id": person.national_id,
            "name": person.name, "amount": str(AMOUNTS[name]), "paid_on": on.isoformat(),
            "paying_unit_id": community, "method": method,
            "handler_national_id": self.handlers[community].national_id,
            "payment_id": self.id(f"pay:{name}:{month}:{community}:{person.number}{key}"),
        }

    # Reference files other departments provide.

    def import_references(self, month: int, day: date) -> None:
        if month == 2:
            files = {
                "public_payroll": ("区人社局 财政供养人员名单", self.planted(2, 1),
                                   {"note": "区教育局在编人员"}),
                "vehicles": ("区公安局交管大队 车辆登记", self.planted(2, 2),
                             {"note": "小型轿车"}),
                "property": ("区不动产登记中心 房产登记", self.planted(3, 1),
                             {"note": "商品住房两套"}),
                "relations": ("区纪委监委 经办人亲属关系", self.planted(3, 2),
                              {"official_national_id":
                               self.handlers[self.communities[3]].national_id,
                               "note": "配偶"}),
            }
            for kind, (source, person, more) in files.items():
                self.commission_clerk.import_reference({
                    "kind": kind, "source": source,
                    "rows": [{"national_id": person.national_id, **more}],
                    "command_id": self.id(f"import:{kind}"), "occurred_at": at(day, 9)})
        if month == 4:
            died = self.planted(2, 0)
            self.commission_clerk.import_reference({
                "kind": "deaths", "source": "区民政局殡葬管理所 死亡名单",
                "rows": [{"national_id": died.national_id,
                          "on": date(self.year, 3, 20).isoformat()}],
                "command_id": self.id("import:deaths"), "occurred_at": at(day, 9)})

    # Complaints and settling warnings.

    def complaints_of(self, month: int, day: date) -> None:
        commission = self.commission_clerk
        if month == 3:
            complaint = commission.receive_complaint({
                "channel": "12345热线", "programme_id": self.programmes[LOW],
                "text": "本月低保金未到账", "command_id": self.id("complaint:3"),
                "complaint_id": self.id("complaint-id:3"), "occurred_at": at(day)})
            self.ctx.clerk(self.civil).funds.answer_complaint({
                "complaint_id": complaint, "answer": "已核实，系银行代发延迟，已到账",
                "occurred_at": at(day + timedelta(days=3))})
        if month == 6:
            self.complaints.append(commission.receive_complaint({
                "channel": "来信", "programme_id": self.programmes[EXTREME],
                "text": "特困供养对象认定不公", "command_id": self.id("complaint:6"),
                "complaint_id": self.id("complaint-id:6"), "occurred_at": at(day)}))
        if month == 8 and self.complaints:
            # Unanswered past its deadline (the clock recorded it overdue): a lead.
            commission.transfer_complaint({
                "complaint_id": self.complaints.pop(), "summary": "特困供养认定投诉逾期未答复",
                "occurred_at": at(day)})

    def settle_warnings(self, day: date) -> None:
        """The commission clears the cash payment it approved, and hands the first warning of
        a death and of a relative to casework; the rest stay open for the departments."""
        commission = self.commission_clerk
        handed: set[str] = set()
        for warning in self.ctx.auditor.funds.list_warnings({"outcome": "open"}):
            rule = warning["rule"]
            if rule == "paid_in_cash":
                commission.clear_warning({"warning_id": warning["warning_id"],
                                          "reason": "偏远村组无网点，经批准现金发放并留存签收",
                                          "occurred_at": at(day)})
            elif rule in ("relative_of_handler", "paid_after_death") and rule not in handed:
                handed.add(rule)
                commission.transfer_warning({
                    "warning_id": warning["warning_id"],
                    "summary": f"民生资金预警（{RULE_NAMES[rule]}），移送问题线索",
                    "occurred_at": at(day)})


class FundsScenario(Scenario):
    service = "funds"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx)
        self.year_played: FundsYear | None = None
        self.seconds = 0.0  # the time this scenario's own calls took (the demo's cost)

    def setup(self) -> None:
        district = self.ctx.district
        if district is None:
            msg = "the funds scenario needs the district the responsibility one registers"
            raise click.ClickException(msg)
        named = {name: unit for unit, name, _ in district.units}
        towns = [unit for unit, _, kind in district.units if kind in ("town", "subdistrict")]
        # Two communities of each of two towns pay (the responsibility scenario's communities
        # take their towns in turn): enough for every irregularity, and little demo time.
        every = list(district.communities)
        communities = [every[0], every[len(towns)], every[1], every[len(towns) + 1]]
        year = FundsYear(
            self.ctx, random.Random(f"funds:{self.ctx.seed}"), self.ctx.year,
            district.units[0][0], named["区财政局"], named["区民政局"], named["区农业农村局"],
            towns[:2], communities, {c: towns[every.index(c) % len(towns)] for c in communities},
        )
        started = time.monotonic()
        start = date(self.ctx.year, 1, 5)
        year.enrol([year.finance, year.civil, year.agriculture, *year.towns, *year.communities],
                   start)
        year.open_programmes(start)
        self.year_played = year
        self.seconds += time.monotonic() - started

    def before_clock(self, monday: date) -> None:
        started = time.monotonic()
        try:
            self.play_week(monday)
        finally:
            self.seconds += time.monotonic() - started

    def play_week(self, monday: date) -> None:
        year = self.year_played
        assert year is not None
        year.pass_late_money(monday)
        if monday.day > 7:
            return
        month, day = monday.month, monday + timedelta(days=1)
        year.import_references(month, day)
        if month in (1, 7):
            quarter = (month - 1) // 3 + 1
            for name in (LOW, EXTREME, AGED):
                year.pass_money(name, day, quarter)
            if month == 4:
                year.pass_money(FARMLAND, day, 2)
        year.ledgers(day + timedelta(days=1))
        year.complaints_of(month, day)
        if month == 11:
            year.settle_warnings(day + timedelta(days=2))

    def report(self, as_of: date) -> list[str]:
        return ["", f"== {self.ctx.year}年 **区惠民资金监管平台 (funds service) ==",
                *report_funds(self.ctx.auditor.funds, self.ctx.year, as_of),
                f"  the funds scenario's own calls took {self.seconds:.1f} s"]


def report_funds(funds: Any, year: int, as_of: date) -> list[str]:
    """The seed's sentence, the same figures from the platform, and what the rules caught."""
    f = funds.figures({"end": as_of.isoformat()})
    period = funds.figures({"start": date(year, 1, 1).isoformat(), "end": as_of.isoformat()})
    warnings = f["warnings"]
    caught = [rule for rule in PLANTED if sum(warnings.get(rule, {}).values())]
    lines = [
        f"  seed: “{SEED_FUNDS}”",
        f"  platform (cumulative to {as_of}): "
        f"纳入民生资金监管服务平台的单位{f['units_enrolled']}个，监管的民生资金{f['programmes_supervised']}项，累计监管资金达"
        f"{f['amount_supervised_wan']}万元（{f['amount_supervised_yuan']}元），"
        f"受益群众约{Decimal(f['person_times']) / 10_000:.2f}万人次（{f['person_times']}人次）",
        f"  {year}年1–{as_of.month}月: disbursed {period['amount_disbursed_yuan']} yuan to "
        f"{period['person_times']} person-times",
        "  budget use: " + "; ".join(
            f"{b['name']} {Decimal(b['share']) * 100:.1f}%" for b in f["budget_use"]),
        "  money held up per level (yuan not passed on): " + ", ".join(
            f"{level} {amount}" for level, amount in f["held_up"].items()),
        "  warnings by rule and outcome (预警): " + "; ".join(
            f"{RULE_NAMES.get(rule, rule)} " + ", ".join(
                f"{outcome} {n}" for outcome, n in sorted(by.items()))
            for rule, by in sorted(warnings.items())),
        f"  planted irregularities caught: {len(caught)} of {len(PLANTED)}"
        + ("" if len(caught) == len(PLANTED) else
           f" (MISSED: {', '.join(r for r in PLANTED if r not in caught)})"),
        f"  complaints (投诉): {dict(sorted(f['complaints'].items()))}, overdue recorded "
        f"{f['complaints_overdue']}, mean days to answer {f['mean_days_to_answer']}",
    ]
    return lines


SCENARIO = FundsScenario

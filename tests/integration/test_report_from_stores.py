"""`dutytrail report` reads what the services recorded, from their stores directly, on SQLite
and on PostgreSQL: a few acts recorded through the responsibility and supervision
applications (supervision learning the district from responsibility's events, as in
production) come out as the seed's sentences, agree with supervision's own figures for the
period, and the HTML form parses with its charts."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dutytrail_ops.cli import main
from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from services.supervision.commands import InspectionReport, ProblemFound
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from services.supervision.views import PeriodCounts
from shared.actors import Actor
from shared.feed import UpstreamFeed
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.settings import StoreSettings

SVG = "{http://www.w3.org/2000/svg}"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


@pytest.fixture
def recorded(any_store: StoreSettings, use_store: Any) -> Iterator[PeriodCounts]:
    """A district of a party committee, the commission, a department, a town and two
    communities; warning education in April (and in December, after the period); one
    community's disclosure board in March; a special report and a circular in the period and
    a circular after it; an inspection in March whose notice to the department goes overdue
    (the clock runs on 24 March) and a notice to a community in April. Yields supervision's
    own counts for January to November."""
    use_store(any_store)
    upstream = Responsibilities(store_environment("responsibility", any_store))
    app = Supervision(store_environment("supervision", any_store), SupervisionSettings(
        reporting=replace(DEFAULT_REPORTING, commission_unit_code="DC")))
    try:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())

        def unit(code: str, name: str, kind: Any, parent: uuid.UUID | None) -> uuid.UUID:
            return upstream.register_unit(code=code, name=name, kind=kind,
                                          parent_unit_id=parent, actor=founder,
                                          occurred_at=at(2025, 1, 2))

        pc = unit("PC", "**区委", "party_committee", None)
        clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
        commission = unit("DC", "区纪委监委", "district_department", pc)
        department = unit("D1", "区财政局", "district_department", pc)
        town = unit("T1", "**镇", "town", pc)
        first = unit("C1", "**社区甲", "community", town)
        second = unit("C2", "**社区乙", "community", town)
        for held_on, count in ((date(2025, 4, 8), 35), (date(2025, 12, 8), 50)):
            upstream.record_education_activity(
                kind="warning_education_visit", title="警示教育基地参观", held_on=held_on,
                organiser_unit_id=pc, participant_count=count, actor=clerk,
                occurred_at=at(held_on.year, held_on.month, held_on.day))
        UpstreamFeed(app, "responsibility", Reactions(app, "responsibility")).pull(
            upstream.events_after)
        app.install_disclosure_board(community_id=first, location="社区服务中心", actor=clerk,
                                     occurred_at=at(2025, 3, 1))
        for n, (kind, when) in enumerate((("special_report", at(2025, 5, 6)),
                                          ("circular", at(2025, 6, 2)),
                                          ("circular", at(2025, 12, 1)))):
            app.issue_bulletin(kind=kind, request_id=f"r{n}", title=f"第{n}期", actor=clerk,
                               occurred_at=when)
        inspector = Actor(person_id=uuid.uuid4(), unit_id=commission)
        app.record_inspection(kind="weekly", report=InspectionReport(
            leader_person_id=uuid.uuid4(), leader_name="张明", location="区政务服务中心",
            held_on=date(2025, 3, 10), unit_ids=[department, second], problems=[
                ProblemFound(category="work_discipline", description="台账不全",
                             unit_id=department),
                ProblemFound(category="work_discipline", description="公开栏缺失",
                             unit_id=second)]), actor=inspector, occurred_at=at(2025, 3, 10))
        problems = {p["unit_id"]: p["problem_id"] for i in app.list_inspections(
            start=date(2025, 3, 10), end=date(2025, 3, 10)) for p in i.problems}
        app.issue_notice(recipient_unit_id=department, problem_ids=[problems[department]],
                         deadline=date(2025, 3, 20), actor=inspector, occurred_at=at(2025, 3, 11))
        app.check_deadlines(at(2025, 3, 24))
        app.issue_notice(recipient_unit_id=second, problem_ids=[problems[second]],
                         deadline=date(2025, 12, 20), actor=inspector, occurred_at=at(2025, 4, 1))
        counts = app.period_counts(start=date(2025, 1, 1), end=date(2025, 11, 30))
    finally:
        app.close()
        upstream.close()
    yield counts


def report(*options: str) -> str:
    done = CliRunner().invoke(main, ["report", "--from", "2025-01-01", "--to", "2025-11-30",
                                     *options])
    assert done.exit_code == 0, done.output
    return done.output


def test_the_report_reads_the_recorded_acts_from_the_stores(recorded: PeriodCounts) -> None:
    text = report()
    assert "组织全区35名党员领导干部到**市警示教育基地进行参观学习" in text
    assert "以**社区甲党务居务公开示范点建设为样板，1个社区设置了党务居务公开栏（共2个社区" in text
    assert "2025年1－11月，共印发《督查专报》1期、《督查通报》1期，会议形式通报0次" in text
    assert "1个社区尚未设置党务居务公开栏（**社区乙），**镇未实现全覆盖" in text
    assert "区财政局（区直单位），整改时限2025年3月20日，截至2025年11月30日仍未整改" in text


def test_the_reports_figures_agree_with_supervisions_own(recorded: PeriodCounts) -> None:
    text = report("--lang", "en")
    r = recorded.notice_recipients
    assert (f"were sent to {r['district_department']} district departments, "
            f"{r['community']} communities and {r['cadre']} cadres") in text
    assert sum(recorded.notices.values()) == 2
    weeks = (f"{len(recorded.weeks_without_inspection)} weeks without an inspection, "
             f"{len(recorded.weeks_without_circular)} without a circular")
    assert recorded.weeks_without_circular and weeks in text
    assert (f"{recorded.special_reports} special report and {recorded.circulars} circular "
            "were issued") in text


def test_the_html_report_from_the_stores_parses_with_its_charts(
    recorded: PeriodCounts, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    report("--lang", "en", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    root = ET.fromstring(page.split("\n", 1)[1])
    assert len(list(root.iter(f"{SVG}svg"))) == 5
    assert "35 party leading cadres" in page


def test_the_reports_fund_figures_agree_with_the_platforms_own(
    any_store: StoreSettings, use_store: Any
) -> None:
    """Units enrolled, programmes and their budgets, payments net of a reversal, one programme
    starting after the period: the report's cumulative figures are the platform's."""
    from tests.unit.test_funds_rules import World

    use_store(any_store)
    world = World(store_environment("funds", any_store))
    try:
        low = world.programme("城乡低保", budget="150000.00")
        world.programme("冬季救助", budget="82000.00", starts_on=date(2026, 12, 1))
        paid = [world.pay(low, person, on=date(2026, month, 10))
                for person in (1, 2, 3) for month in (2, 3)]
        world.app.reverse_payment(payment_id=paid[0], reversed_on=date(2026, 2, 20),
                                  reason="错发", actor=world.clerk(world.community),
                                  occurred_at=at(2026, 2, 20))
        own = world.app.figures(end=date(2026, 11, 30))
    finally:
        world.close()
    done = CliRunner().invoke(main, ["report", "--from", "2026-01-01", "--to", "2026-11-30",
                                     "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert (own.units_enrolled, own.programmes_supervised, own.person_times) == (4, 1, 5)
    assert (f"at present {own.units_enrolled} units of **区 enrolled on the "
            f"livelihood-fund supervision platform, {own.programmes_supervised} fund "
            f"programme supervised, {own.amount_supervised_wan} 万元") in done.output
    assert f"{own.person_times} beneficiary person-times" in done.output


def test_a_report_pointed_at_no_store_says_so_and_creates_none(
    postgres_store: StoreSettings, use_store: Any
) -> None:
    import psycopg

    use_store(postgres_store)
    done = CliRunner().invoke(main, ["report", "--from", "2025-01-01", "--to", "2025-11-30"])
    assert done.exit_code == 0, done.output
    assert f"supervision: no store (no schema {postgres_store.pg_schema_prefix}supervision" \
        in done.output
    with psycopg.connect(host=postgres_store.pg_host, port=postgres_store.pg_port,
                         user=postgres_store.pg_user, dbname=postgres_store.pg_dbname) as conn:
        made = conn.execute("SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, %s)",
                            (postgres_store.pg_schema_prefix,)).fetchone()
    assert made == (0,)

"""The demo is reproducible: the supervision scenario, played twice with the same seed (once on
SQLite, once on PostgreSQL), stores the same events (ids included) and reports the same
figures.

The scenario runs in process: each call goes through the service's own entrypoint (token,
roles, command model, JSON answer) to an application on the store under test, and supervision
learns the district from responsibility's events through the consumer's feed, as in
production. The district is registered here, not by the responsibility scenario (another
engineer's), so the test holds whatever that scenario draws from the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from dutytrail_ops.demo.supervision import SupervisionYear, report_supervision
from dutytrail_ops.demo.timeline import (
    DemoContext,
    clerk_of,
    demo_id,
    first_monday,
    last_complete_year,
)
from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from services.supervision.service import SupervisionService
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from shared.actors import Actor
from shared.envelope import parse_position
from shared.feed import UpstreamFeed
from shared.nameko_kit.providers import CallerCheck
from shared.persistence import drop_postgres_schemas, store_environment
from shared.policy import Reactions
from shared.roles import Role
from shared.settings import StoreSettings
from shared.tokens import issue_token
from tests.conftest import postgres_settings, sqlite_settings

SEED = 7
WEEKS = 20  # January to May: notices through their lifecycle, a quarter's reports


class InProcess:
    """``acting.as_(person, unit, role).supervision.method(payload)`` for the demo, served by
    the service's own entrypoints in this process."""

    def __init__(self, app: Supervision, after_call: Callable[[], None]) -> None:
        self.app = app
        self.after_call = after_call

    def as_(self, person_id: Any, unit_id: Any, role: Role, *more: Role) -> Any:
        token = issue_token(UUID(str(person_id)), UUID(str(unit_id)), (role, *more))
        return _Caller(self, f"Bearer {token}")


class _Caller:
    def __init__(self, acting: InProcess, authorization: str) -> None:
        self.supervision = _Service(acting, authorization)


class _Service:
    def __init__(self, acting: InProcess, authorization: str) -> None:
        self._acting = acting
        self._authorization = authorization

    def __getattr__(self, name: str) -> Callable[[Any], Any]:
        entrypoint = getattr(SupervisionService, name)
        acting = self._acting

        def call(payload: Any = None) -> Any:
            worker = _Worker(acting.app, CallerCheck(self._authorization))
            answer = entrypoint(worker, payload)
            acting.after_call()
            return answer

        return call


class _Worker:
    def __init__(self, app: Supervision, caller: CallerCheck) -> None:
        self.app = app
        self.caller = caller


def play(settings: StoreSettings, year: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The supervision scenario's first ``WEEKS`` weeks on ``settings``: its report, and every
    event it stored (type, subject, business time, data)."""
    upstream = Responsibilities(store_environment("responsibility", settings))
    app = Supervision(store_environment("supervision", settings), SupervisionSettings(
        reporting=replace(DEFAULT_REPORTING, commission_unit_code="D01")))
    feed = UpstreamFeed(app, "responsibility", Reactions(app, "responsibility"))
    try:
        district = register_district(upstream, year)
        feed.pull(upstream.events_after)
        acting = InProcess(app, lambda: None)
        ctx = DemoContext(acting, random.Random(SEED), SEED, year, ["supervision"])  # type: ignore[arg-type]
        pc, units, communities, cadres, persons = district
        played = SupervisionYear(
            ctx, ctx.rng, year, units[0][0], pc, units[1:], communities, cadres, persons,
        )
        played.start()
        played.disclosure_trail()
        clock = acting.as_(*_clock_identity())
        monday = first_monday(year)
        for _ in range(WEEKS):
            clock.supervision.check_deadlines({"as_of": f"{monday.isoformat()}T09:30:00+00:00"})
            played.play_week(monday)
            monday += timedelta(days=7)
        auditor = acting.as_(demo_id(SEED, "auditor"), demo_id(SEED, "audit-office"), "auditor")
        report = report_supervision(auditor, year, monday)
        return report, stored(app)
    finally:
        app.close()
        upstream.close()


def stored(app: Supervision) -> list[tuple[Any, ...]]:
    """Every event the application stored: type, subject, business time and data."""
    events: list[dict[str, Any]] = []
    while page := app.events_after(
        parse_position(events[-1]["sequence"]) if events else 0, cleared=True
    ):
        events += page
    return [(e["type"], e["subject"], e["time"], e["data"]) for e in events]


def _clock_identity() -> tuple[str, str, Role]:
    from shared.actors import SYSTEM_ACTOR

    return str(SYSTEM_ACTOR.person_id), str(SYSTEM_ACTOR.unit_id), "system_clock"


def register_district(
    upstream: Responsibilities, year: int
) -> tuple[str, list[tuple[str, str]], list[str], dict[str, list[str]], dict[str, str]]:
    """The commission (D01), a few departments and towns, communities and their cadres."""
    when = datetime(year, 1, 2, 10, tzinfo=UTC)
    founder = Actor(person_id=UUID(demo_id(SEED, "founder")), unit_id=UUID(demo_id(SEED, "x")))
    pc = upstream.register_unit(code="PC", name="**区委", kind="party_committee",
                                actor=founder, occurred_at=when)
    clerk = Actor(person_id=clerk_of(str(pc)), unit_id=pc)
    units: list[tuple[str, str]] = []
    for code, name, kind in [("D01", "区纪委监委", "district_department"),
                             ("D02", "区财政局", "district_department"),
                             ("D03", "区住建局", "district_department"),
                             ("D04", "区民政局", "district_department"),
                             ("T01", "**镇", "town"), ("T02", "**街道", "subdistrict")]:
        unit = upstream.register_unit(code=code, name=name, kind=kind,  # type: ignore[arg-type]
                                      parent_unit_id=pc, actor=clerk, occurred_at=when)
        units.append((str(unit), name))
    communities = [
        str(upstream.register_unit(code=f"C0{n}", name=f"**社区{n}", kind="community",
                                   parent_unit_id=UUID(units[4][0]), actor=clerk,
                                   occurred_at=when))
        for n in range(1, 4)
    ]
    cadres: dict[str, list[str]] = {}
    persons: dict[str, str] = {}
    for k, (unit_id, _) in enumerate(units):
        for j in range(2):
            person = demo_id(SEED, f"cadre:{k}:{j}")
            cadre = upstream.register_cadre(
                person_id=UUID(person), name=f"干部{k}{j}", unit_id=UUID(unit_id),
                post_title="书记" if j == 0 else "局长", line_of_work="综合",
                leadership_member=True, top_leader=True, actor=clerk,
                occurred_at=when + timedelta(days=1))
            cadres.setdefault(unit_id, []).append(str(cadre))
            persons[str(cadre)] = person
    return str(pc), units, communities, cadres, persons


def test_the_same_seed_gives_the_same_events_and_figures_on_sqlite_and_postgres(tmp_path):
    year = last_complete_year()
    postgres = postgres_settings(f"t{demo_id(SEED, str(tmp_path))[:8]}_")
    try:
        on_sqlite = play(sqlite_settings(tmp_path / "var"), year)
        on_postgres = play(postgres, year)
    finally:
        drop_postgres_schemas(postgres)
    again = play(sqlite_settings(tmp_path / "again"), year)
    report, events = on_sqlite
    assert report == on_postgres[0] == again[0]
    assert events == on_postgres[1] == again[1]
    # The run did something worth comparing: notices, and weeks found without a circular.
    types = {t.split(".")[2] for t, *_ in events}
    assert {"rectification_notice_issued", "rectification_notice_acknowledged",
            "rectification_reported", "bulletin_issued", "inspection_recorded"} <= types
    assert any(line.startswith("每周一督查一通报") for line in report)
    assert date.fromisoformat(events[-1][2][:10]).year == year

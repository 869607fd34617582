"""The demo's simulated year, shared by every service's scenario.

The timeline owns the dates and the clock; each running service plays its own part through a
:class:`Scenario` found by module name (``dutytrail_ops.demo.<service>``, a module attribute
``SCENARIO``). The year goes:

1. ``setup()`` of every scenario, each service after the services whose events it follows;
2. every Monday from the first one in January to the end of the year: ``before_clock(monday)``
   of every scenario (the week's work), then the clock (``check_deadlines`` as of that Monday
   on every running service, by the system clock), then ``after_clock(monday)`` of every
   scenario (what follows from it);
3. the report: each scenario's section as of 30 November, read by an auditor, then what an
   outside subscriber received on each service's exchange.

Every call carries the token of whoever acts (docs/roles.md), through one
:class:`~dutytrail_ops.acting.Acting`: a unit's clerk for that unit (the party committee's in
the role ``party_committee``, the discipline commission's in ``discipline_commission``, any
other's in ``unit_clerk``), a cadre for their own rectification report, an auditor for every
query of the report, the system clock for the deadlines. The clock checks deadlines as of now
or earlier only, so the year played is a past one (by default the last complete year).

Scenarios never import each other: what one needs from another (the district the
responsibility scenario registered) travels in the :class:`DemoContext` the timeline passes.
"""

from __future__ import annotations

import importlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from dutytrail_ops.acting import Acting
from dutytrail_ops.registry import declaration
from shared.actors import SYSTEM_ACTOR
from shared.clock import utcnow
from shared.roles import AUDITOR, CADRE, SYSTEM_CLOCK, UNIT_CLERK, Role

# The clerk who registers the district's party committee, before that unit exists.
CLERK = uuid5(NAMESPACE_URL, "urn:dutytrail:demo:clerk")
AUDIT_PERSON = uuid5(NAMESPACE_URL, "urn:dutytrail:demo:auditor")
AUDIT_OFFICE = uuid5(NAMESPACE_URL, "urn:dutytrail:demo:audit-office")


def last_complete_year() -> int:
    """The demo's default year: the clock may not check deadlines as of a future date."""
    return utcnow().year - 1


def clerk_of(unit_id: str) -> UUID:
    """The demo's clerk of a unit (one person per unit)."""
    return uuid5(NAMESPACE_URL, f"urn:dutytrail:demo:clerk:{unit_id}")


def demo_id(seed: int, key: str) -> str:
    """A deterministic id for the record with natural key ``key`` in the run seeded ``seed``:
    commands that accept an id get one, so a seed replays the same events, ids included
    (the demo also branches on ids, which must not differ from run to run)."""
    return str(uuid5(NAMESPACE_URL, f"urn:dutytrail:demo:{seed}:{key}"))


def first_monday(year: int) -> date:
    """The first day of the clock: the year's first Monday (5 January in the seed's 2026)."""
    new_year = date(year, 1, 1)
    return new_year + timedelta(days=(7 - new_year.weekday()) % 7)


def week_of(monday: date, day: date) -> bool:
    """Whether ``day`` falls in the week that starts on ``monday``."""
    return monday <= day < monday + timedelta(days=7)


def last_day(year: int) -> date:
    return date(year, 12, 31)


def report_day(year: int) -> date:
    """The seed's figures run January to November."""
    return date(year, 11, 30)


@dataclass
class UnitPeople:
    """A unit and its leadership members' cadre ids (the top leader first)."""

    unit_id: str
    top_cadre: str
    members: list[str] = field(default_factory=list)


@dataclass
class District:
    """The organisation the responsibility scenario registered, for the scenarios after it."""

    party_committee: str
    units: list[tuple[str, str, str]]  # (id, name, kind): departments, towns, subdistricts
    communities: list[str]
    people: dict[str, UnitPeople]  # unit id -> its cadres
    persons: dict[str, str] = field(default_factory=dict)  # cadre id -> the cadre's person id


@dataclass
class DemoContext:
    """What the timeline passes to every scenario: the callers (one RPC proxy, each call with
    the token of whoever acts), the seeded randomness (one generator for the whole year, so a
    seed replays the same events), the year, the running services and the facts scenarios
    share."""

    acting: Acting
    rng: random.Random
    seed: int
    year: int
    services: list[str]  # the running services, each after the services it follows
    district: District | None = None

    def clerk(self, unit_id: str, role: Role = UNIT_CLERK) -> Any:
        """The services as the clerk of ``unit_id``, acting in ``role``."""
        return self.acting.as_(clerk_of(unit_id), unit_id, role)

    def cadre(self, person_id: str, unit_id: str) -> Any:
        """The services as a cadre of ``unit_id``, acting for themself."""
        return self.acting.as_(person_id, unit_id, CADRE)

    @property
    def auditor(self) -> Any:
        """The services as the demo's auditor, who reads and changes nothing."""
        return self.acting.as_(AUDIT_PERSON, AUDIT_OFFICE, AUDITOR)

    @property
    def clock(self) -> Any:
        """The services as the system clock, which only checks deadlines."""
        return self.acting.as_(SYSTEM_ACTOR.person_id, SYSTEM_ACTOR.unit_id, SYSTEM_CLOCK)


class Scenario:
    """One service's part in the demo year; a scenario overrides what it needs."""

    service: ClassVar[str] = ""
    # Upstreams the scenario plays without (it takes what they send, if they play).
    optional_upstreams: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.refusals: list[str] = []  # commands the service refused, as the clerk saw them

    @property
    def audit(self) -> Any:
        """This scenario's service as the auditor sees it (queries only)."""
        return getattr(self.ctx.auditor, self.service)

    def setup(self) -> None:
        """Before the clock starts: what the service holds at the start of the year."""

    def before_clock(self, monday: date) -> None:
        """The week's work, before the deadlines are checked as of ``monday``."""

    def after_clock(self, monday: date) -> None:
        """The week's work that follows the deadlines checked as of ``monday``."""

    def report(self, as_of: date) -> list[str]:
        """This service's section of the report (its figures as of ``as_of``)."""
        return []

    def try_command(self, method: Callable[[dict[str, Any]], Any], command: dict[str, Any]) -> Any:
        """Send a command the service may refuse; a refusal is recorded, not raised."""
        try:
            return method(command)
        except Exception as error:  # noqa: BLE001 - a refusal is part of the story
            self.refusals.append(str(error).splitlines()[0][:160])
            return None


def find_scenarios(ctx: DemoContext) -> tuple[list[Scenario], list[str]]:
    """The scenario of every running service that has one, in ``ctx.services`` order, and a
    note for each service that plays no part."""
    scenarios: list[Scenario] = []
    notes: list[str] = []
    playing: set[str] = set()
    for service in ctx.services:
        module_name = f"{__package__}.{service}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            notes.append(f"{service}: no demo scenario ({module_name}); skipped")
            continue
        factory: type[Scenario] | None = getattr(module, "SCENARIO", None)
        if factory is None:
            notes.append(f"{service}: {module_name} defines no SCENARIO; skipped")
            continue
        optional = getattr(factory, "optional_upstreams", ())
        missing = [
            u for u in declaration(service).upstreams if u not in playing and u not in optional
        ]
        if missing:
            notes.append(
                f"{service}: skipped, it follows {', '.join(missing)}, which plays no part"
            )
            continue
        scenarios.append(factory(ctx))
        playing.add(service)
    return scenarios, notes


def play_year(ctx: DemoContext, scenarios: list[Scenario], until: date | None = None) -> None:
    """Set every scenario up, then run the clock every Monday up to ``until``."""
    until = until or last_day(ctx.year)
    for scenario in scenarios:
        scenario.setup()
    monday = first_monday(ctx.year)
    while monday.year == ctx.year and monday <= until:
        for scenario in scenarios:
            scenario.before_clock(monday)
        for service in ctx.services:
            getattr(ctx.clock, service).check_deadlines({"as_of": _clock_time(monday)})
        for scenario in scenarios:
            scenario.after_clock(monday)
        monday += timedelta(days=7)


def _clock_time(day: date) -> str:
    """The clock ticks at 09:30 UTC."""
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC).isoformat()


def report_sections(scenarios: list[Scenario], as_of: date) -> list[str]:
    """Every scenario's section, in order (read while the services are still reachable)."""
    lines: list[str] = []
    for scenario in scenarios:
        lines += scenario.report(as_of)
    return lines


def bus_report(
    service: str, stored: list[dict[str, Any]], received: list[dict[str, Any]]
) -> list[str]:
    """What an outside subscriber on ``<service>.events`` received, against the store."""
    chain_ok = all(
        received[i]["prevsequence"] == received[i - 1]["sequence"] for i in range(1, len(received))
    ) and [e["id"] for e in received] == [e["id"] for e in stored]
    types = Counter(e["type"].split(".")[2] for e in received)
    return [
        "",
        f"== outside subscriber on {service}.events ==",
        f"stored events: {len(stored)}; "
        f"CloudEvents received (deduplicated by id): {len(received)}; "
        f"prevsequence chain unbroken: {'yes' if chain_ok else 'NO'}",
        "by type: " + ", ".join(f"{t} {n}" for t, n in sorted(types.items())),
    ]

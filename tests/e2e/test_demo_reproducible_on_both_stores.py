"""The demo is reproducible (issue 10, item 15): `dutytrail up` and `dutytrail demo --seed 11`,
played once on SQLite and once on PostgreSQL (fresh stores each), print the same report and
store the same events: every command that accepts an id gets one derived from the seed, so no
random id is left to change what the clock escalates or what the report prints.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from itertools import zip_longest
from typing import Any

import pytest

from dutytrail_ops.registry import service_names
from shared.persistence import drop_postgres_schemas
from shared.settings import StoreSettings
from tests.conftest import postgres_settings, sqlite_settings
from tests.e2e.helpers import Launcher, private_vhost, process_env, run_cli

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

SEED = 11
Event = tuple[str, str, dict[str, Any]]  # type, subject, data


def normalised_report(stdout: str) -> list[str]:
    """The report's lines, less those that legitimately differ between two runs: the time the
    scenario took (and a scenario's own share of it), and the log positions the bus report prints (a PostgreSQL log's positions
    are increasing but not contiguous, docs/contract.md)."""
    lines = []
    for line in stdout.splitlines():
        if line.startswith("scenario played in ") or "scenario's own calls took" in line:
            continue
        lines.append(re.sub(r"(stored events|last position[^:]*): \d+", r"\1: N", line))
    return lines


def by_subject(events: list[Event]) -> dict[str, list[Event]]:
    """Each record's events (one subject, one aggregate), in the order they were stored."""
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(event[1], []).append(event)
    return grouped


def differences(one: dict[str, list[Event]], other: dict[str, list[Event]]) -> str:
    """The records whose histories differ, event by event (for the failure message)."""
    lines = []
    for subject in sorted(set(one) | set(other)):
        if one.get(subject) != other.get(subject):
            lines.append(f"{subject}:")
            for a, b in zip_longest(one.get(subject, []), other.get(subject, [])):
                mark = "  " if a == b else "≠ "
                lines.append(f"  {mark}{a}\n  {mark}{b}" if a != b else f"  {a[0]}")
    return "\n".join(lines)


def play(settings: StoreSettings, amqp_uri: str, launcher: Launcher, name: str) -> dict[str, Any]:
    env = process_env(settings, amqp_uri)
    up = launcher.start(["up"], env, f"up-{name}")
    try:
        demo = run_cli(["demo", "--seed", str(SEED), "--timeout", "60"], env, timeout=180)
        assert demo.returncode == 0, demo.stdout + demo.stderr + up.tail()
        events = {}
        for service in service_names():
            log = run_cli(["events", service, "--from", "1"], env, timeout=60)
            assert log.returncode == 0, log.stderr
            events[service] = [
                (e["type"], e["subject"], e["data"])
                for e in map(json.loads, log.stdout.splitlines())
            ]
    finally:
        up.kill_group()
    return {"report": demo.stdout, "events": events}


def test_the_seeded_demo_stores_and_reports_the_same_on_sqlite_and_postgres(
    tmp_path, amqp_uri: str
) -> None:
    started = time.monotonic()
    runs = {}
    launcher = Launcher(tmp_path)
    postgres = postgres_settings(f"t{uuid.uuid4().hex[:10]}_")
    try:
        for name, settings in (("sqlite", sqlite_settings(tmp_path / "var")),
                               ("postgres", postgres)):
            # Each run on a broker of its own: nothing of the first answers the second.
            for vhost in private_vhost(amqp_uri):
                runs[name] = play(settings, vhost, launcher, name)
    finally:
        launcher.close()
        drop_postgres_schemas(postgres)

    sqlite, pg = runs["sqlite"], runs["postgres"]
    assert normalised_report(sqlite["report"]) == normalised_report(pg["report"])
    # No random id is printed: every one the report shows is derived from the seed.
    assert sqlite["events"]["responsibility"] and sqlite["events"]["supervision"]
    # Responsibility's log is written by the demo's commands alone: the same sequence.
    assert sqlite["events"]["responsibility"] == pg["events"]["responsibility"]
    # A consumer's log interleaves its own commands with what it learns from upstream as
    # the relay delivers it: each record's own history (events per subject, in order) is the
    # same, and nothing is stored in one run that is not in the other.
    for service in service_names():
        one, other = by_subject(sqlite["events"][service]), by_subject(pg["events"][service])
        assert one == other, differences(one, other)
    assert time.monotonic() - started < 150

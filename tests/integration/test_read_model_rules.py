"""Read models named after the rules that wrote them, on SQLite and on PostgreSQL
(docs/architecture.md, "Rules and rebuilding").

Rows written by other rules (an older version of a service, or a store from before the rules
had names) are dropped at the next start and written again from the log; rows written by the
same rules are kept and nothing is replayed; a process whose rows another version dropped
under it refuses with a named error instead of writing into tables that are gone.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from psycopg import sql

from services.responsibility.application import Responsibilities
from services.responsibility.views import District
from shared.actors import Actor
from shared.nameko_kit.http import broker_problem, readiness
from shared.outbox import postgres_connect
from shared.persistence import store_environment
from shared.readmodel import Projection
from shared.settings import StoreSettings
from shared.view_store import WRITER_RULES, ReadModelGoneError, ViewStore, open_view_store
from tests.integration.test_read_models_in_store import state, versions_of_every_record

START = datetime(2025, 1, 2, 9, tzinfo=UTC)


def register_some_units(app: Responsibilities, count: int, first_day: int = 0) -> None:
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code=f"PC{first_day}", name="区委", kind="party_committee",
                           actor=founder, occurred_at=START + timedelta(days=first_day))
    committee = Actor(person_id=uuid.uuid4(), unit_id=pc)
    for n in range(count):
        app.register_unit(
            code=f"U{first_day + n:03}", name=f"单位{first_day + n}",
            kind="district_department", parent_unit_id=pc, actor=committee,
            occurred_at=START + timedelta(days=first_day + n + 1),
        )


def tables(settings: StoreSettings) -> list[str]:
    """The read-model tables of the responsibility store."""
    env = store_environment("responsibility", settings)
    if settings.backend == "sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as connection:
            names = [r[0] for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
    else:
        with psycopg.connect(autocommit=True, **postgres_connect(env)) as connection:
            names = [r[0] for r in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                (env["POSTGRES_SCHEMA"],))]
    return sorted(n for n in names if n.startswith("responsibility_view_district"))


def rename_in_rows(settings: StoreSettings, table: str, old: str, new: str) -> None:
    """Edit a read model's rows behind its back (the rows are derived: the log is not touched)."""
    env = store_environment("responsibility", settings)
    statement = "UPDATE {} SET body = replace(body, %s, %s)"
    if settings.backend == "sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as connection:
            changed = connection.execute(
                statement.replace("%s", "?").format(f'"{table}"'), (old, new)).rowcount
    else:
        with psycopg.connect(autocommit=True, **postgres_connect(env)) as connection:
            query = sql.SQL(statement).format(sql.Identifier(env["POSTGRES_SCHEMA"], table))
            changed = connection.execute(query, (old, new)).rowcount
    assert changed > 0


@pytest.fixture
def app(any_store: StoreSettings) -> Iterator[Responsibilities]:
    opened = Responsibilities(store_environment("responsibility", any_store))
    yield opened
    opened.close()


def unit_names(projection: Any) -> set[str]:
    return {unit.name for unit in projection.units.values()}


def test_rows_of_the_same_rules_are_kept_and_rows_of_other_rules_are_written_again_from_the_log(
    any_store, app, monkeypatch, caplog
):
    register_some_units(app, 12)
    before = state(app.as_of())
    store = app.as_of().store
    assert store is not None
    written = versions_of_every_record(store, app.as_of())
    digest = District.rules_digest()
    assert tables(any_store) == [f"responsibility_view_district_{digest}_{t}"
                                 for t in ("records", "tracking", "versions")]
    app.close()
    rename_in_rows(any_store, f"responsibility_view_district_{digest}_versions",
                   "单位3", "单位三")

    # The same rules: the rows are read as they are (the edit shows: nothing was replayed).
    same = Responsibilities(store_environment("responsibility", any_store))
    try:
        assert "单位三" in unit_names(same.as_of()) and "单位3" not in unit_names(same.as_of())
    finally:
        same.close()

    # Other rules: the old tables are dropped and the rows written again from the log.
    monkeypatch.setattr(District, "rules", District.rules + 1)
    new_digest = District.rules_digest()
    assert new_digest != digest
    with caplog.at_level(logging.WARNING, logger="shared.view_store"):
        rebuilt = Responsibilities(store_environment("responsibility", any_store))
    try:
        assert tables(any_store) == [f"responsibility_view_district_{new_digest}_{t}"
                                     for t in ("records", "tracking", "versions")]
        assert any("District" in r.getMessage() and digest in r.getMessage()
                   and "written again" in r.getMessage() for r in caplog.records)
        assert state(rebuilt.as_of()) == before
        again = rebuilt.as_of().store
        assert again is not None
        assert versions_of_every_record(again, rebuilt.as_of()) == written
    finally:
        rebuilt.close()


def test_rows_from_before_the_rules_had_names_are_written_again(any_store, app):
    register_some_units(app, 5)
    expected = state(app.as_of())
    app.close()
    env = store_environment("responsibility", any_store)
    # A store as an earlier version left it: tables without a digest, holding other rows.
    legacy = open_view_store("responsibility", District.name, env)
    assert legacy is not None
    legacy.insert_tracking(Tracking(District.name, 10**6))
    legacy.close()
    assert "responsibility_view_district_tracking" in tables(any_store)

    reopened = Responsibilities(env)
    try:
        assert state(reopened.as_of()) == expected
        assert not any(name.startswith("responsibility_view_district_tracking")
                       for name in tables(any_store))
    finally:
        reopened.close()


def test_a_process_whose_rows_another_version_dropped_refuses_to_write_them(
    any_store, app, monkeypatch
):
    register_some_units(app, 3)
    app.as_of()
    monkeypatch.setattr(District, "rules", District.rules + 1)
    newer = Responsibilities(store_environment("responsibility", any_store))
    try:
        newer.as_of()
        with pytest.raises(ReadModelGoneError, match="other rules"):
            register_some_units(app, 2, first_day=100)
            app.as_of()
        # The newer version's rows are whole, and know nothing the old process wrote.
        assert state(newer.as_of()) == state(District.replayed(newer, START + timedelta(
            days=1000)))
    finally:
        newer.close()


def test_another_read_models_tables_are_not_taken_for_stale_ones(any_store, app):
    env = store_environment("responsibility", any_store)
    kept: list[ViewStore] = []
    try:
        for name, rules in (("district", "0123456789ab"), ("districts", ""),
                            ("district_x", "")):
            store = open_view_store("responsibility", name, env, rules)
            assert store is not None
            kept.append(store)
            store.insert_tracking(Tracking(name, 7))
        assert [store.position() for store in kept] == [7, 7, 7]
        # Other rules for "district": its old tables go, the others' stay.
        newer = open_view_store("responsibility", "district", env, "ba9876543210")
        assert newer is not None
        kept.append(newer)
        assert newer.position() == 0
        assert [store.position() for store in kept[1:3]] == [7, 7]
        with pytest.raises(ReadModelGoneError):
            kept[0].position()
    finally:
        for store in kept:
            store.close()


@dataclasses.dataclass
class Counter:
    count: int = 0


class Counting(Projection):
    stored: ClassVar[tuple[str, ...]] = ("counters",)
    record_classes: ClassVar[tuple[type[Any], ...]] = (Counter,)


def test_the_digest_follows_the_rules_and_the_shape_of_the_records(monkeypatch):
    digest = Counting.rules_digest()
    assert Counting.rules_digest() == digest

    @dataclasses.dataclass
    class Counter:  # the same name, one more field
        count: int = 0
        label: str = ""

    class Widened(Counting):
        record_classes = (Counter,)

    class Retyped(Counting):
        record_classes = (dataclasses.make_dataclass("Counter", [("count", float)]),)

    class MoreAttributes(Counting):
        stored = ("counters", "totals")

    assert len({digest, Widened.rules_digest(), Retyped.rules_digest(),
                MoreAttributes.rules_digest()}) == 4
    monkeypatch.setattr(Counting, "rules", 2)
    assert Counting.rules_digest() != digest
    monkeypatch.setattr(Counting, "rules", 1)
    assert Counting.rules_digest() == digest
    monkeypatch.setattr("shared.readmodel.WRITER_RULES", WRITER_RULES + 1)
    assert Counting.rules_digest() != digest


def test_the_digest_is_the_same_in_every_process():
    code = ("from services.responsibility.views import District; "
            "print(District.rules_digest())")
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True, env=dict(os.environ, PYTHONHASHSEED=seed)).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {District.rules_digest()}


def test_a_read_model_written_again_far_behind_the_log_makes_the_service_not_ready(
    any_store, app, monkeypatch, amqp_uri
):
    register_some_units(app, 30)
    app.as_of()
    app.close()
    monkeypatch.setenv("DUTYTRAIL_READY_VIEW_MAX_EVENTS", "10")
    monkeypatch.setattr(District, "rules", District.rules + 1)
    monkeypatch.setattr(District, "page_size", 5)
    rebuilt = Responsibilities(store_environment("responsibility", any_store))

    def ready() -> tuple[int, dict[str, Any]]:
        answer = readiness(rebuilt, partial(broker_problem, amqp_uri))
        return answer.status_code, json.loads(answer.get_data())

    try:
        log_position = rebuilt.last_position()
        # Behind, but nothing is writing it: it catches up at its next query.
        assert ready()[0] == 200
        paused, go_on = threading.Event(), threading.Event()
        select = rebuilt.recorder.select_notifications

        def held(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("start") == 10:  # two pages of five written
                paused.set()
                go_on.wait(10)
            return select(*args, **kwargs)

        rebuilt.recorder.select_notifications = held  # type: ignore[method-assign]
        writer = threading.Thread(target=rebuilt.as_of)
        writer.start()
        try:
            assert paused.wait(10)
            status, body = ready()
            assert status == 503 and body["ready"] is False
            assert body["problems"] == [
                f"read model District: being written from the log, at 10 of {log_position}; "
                "its queries wait until it is done"
            ]
        finally:
            go_on.set()
            writer.join()
        assert rebuilt.as_of().position == log_position
        assert ready() == (200, {"ready": True, "problems": [], "position": log_position})
    finally:
        rebuilt.close()


def vacuumed(settings: StoreSettings) -> dict[str, bool]:
    """Whether each of the District read model's tables was vacuumed by hand (not autovacuum)."""
    env = store_environment("responsibility", settings)
    with psycopg.connect(autocommit=True, **postgres_connect(env)) as connection:
        rows = connection.execute(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname LIKE 'responsibility_view_district%%'",
            (env["POSTGRES_SCHEMA"],)).fetchall()
    return {name.rsplit("_", 1)[1]: done for name, done in rows}


def test_a_long_catch_up_on_postgresql_vacuums_the_rows_it_wrote_and_a_short_one_does_not(
    postgres_store, monkeypatch
):
    monkeypatch.setattr(District, "tidy_after", 40)
    app = Responsibilities(store_environment("responsibility", postgres_store))
    try:
        register_some_units(app, 30)
        app.as_of()  # a catch-up of 31 events: below the limit
        assert vacuumed(postgres_store) == {"versions": False, "records": False,
                                            "tracking": False}
    finally:
        app.close()
    # A restart with nothing new to apply: its store's position is not a catch-up.
    monkeypatch.setattr(District, "tidy_after", 20)
    restarted = Responsibilities(store_environment("responsibility", postgres_store))
    try:
        restarted.as_of()
        assert not any(vacuumed(postgres_store).values())
    finally:
        restarted.close()
    # Written again from the log (other rules): 31 events, above the limit.
    monkeypatch.setattr(District, "rules", District.rules + 1)
    rebuilt = Responsibilities(store_environment("responsibility", postgres_store))
    try:
        rebuilt.as_of()
        assert vacuumed(postgres_store) == {"versions": True, "records": True,
                                            "tracking": False}
    finally:
        rebuilt.close()


def test_a_start_on_sqlite_with_its_tables_in_place_does_not_wait_for_the_write_lock(
    sqlite_store, tmp_path
):
    app = Responsibilities(store_environment("responsibility", sqlite_store))
    app.close()  # the file and the read models' tables are there
    env = dict(store_environment("responsibility", sqlite_store), SQLITE_LOCK_TIMEOUT="0.2")
    writer = sqlite3.connect(env["SQLITE_DBNAME"], isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process is writing
        store = open_view_store("responsibility", District.name, env, District.rules_digest())
        assert store is not None
        store.close()
        # Tables to create (other rules) need the lock: refused after the timeout, not skipped.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            open_view_store("responsibility", District.name, env, "0" * 12)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

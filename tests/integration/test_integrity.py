"""Integrity failures are named (docs/reliability.md, "Damaged records"): a record whose stored
history was edited directly in SQLite or PostgreSQL is refused with DamagedRecordError naming
the record and the version, nothing is stored on it, and the clock skips it, reports it and
goes on with the others. On SQLite a notification id is never issued twice."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pika
import psycopg
import pytest
from prometheus_client import REGISTRY

from services.responsibility.application import Responsibilities
from shared.actors import Actor
from shared.envelope import parse_position
from shared.errors import DamagedRecordError
from shared.persistence import schema_name, store_environment
from shared.relay import Relay
from shared.settings import StoreSettings

SERVICE = "responsibility"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def someone(unit_id: uuid.UUID | None = None) -> Actor:
    return Actor(person_id=uuid.uuid4(), unit_id=unit_id or uuid.uuid4())


class RawStore:
    """The service's events' table, edited directly as an intruder (or a careless operator)
    would: SQL on the SQLite file or the PostgreSQL schema, past the application."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """``statement`` names the table ``{events}``, the position ``{position}`` and takes
        ``?`` parameters; an originator id is passed as a UUID."""
        if self.settings.backend == "sqlite":
            sql = statement.format(events="stored_events", snapshots="stored_snapshots",
                                   position="rowid")
            values = tuple(p.hex if isinstance(p, uuid.UUID) else p for p in params)
            with sqlite3.connect(self.settings.var_dir / f"{SERVICE}.sqlite") as db:
                rows = db.execute(sql, values).fetchall()
            db.close()
            return rows
        schema = schema_name(SERVICE, self.settings)
        sql = statement.format(events=f'"{schema}".{SERVICE}_events',
                               snapshots=f'"{schema}".{SERVICE}_snapshots',
                               position="notification_id").replace("?", "%s")
        s = self.settings
        with psycopg.connect(host=s.pg_host, port=s.pg_port, user=s.pg_user,
                             password=s.pg_password or None, dbname=s.pg_dbname,
                             autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def positions(self) -> list[int]:
        return [p for (p,) in self.execute("SELECT {position} FROM {events} ORDER BY 1")]


@pytest.fixture
def app(any_store: StoreSettings) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment(SERVICE, any_store))
    yield application
    application.close()


def two_tasks(app: Responsibilities) -> tuple[uuid.UUID, uuid.UUID, Actor]:
    """Two open tasks of a department due on 30 June; the first with two progress reports
    (versions 1 to 3). Returns both and the department's clerk."""
    pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=someone(),
                           occurred_at=at(1, 2))
    clerk = someone(pc)
    dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                             parent_unit_id=pc, actor=clerk, occurred_at=at(1, 2))
    top = app.register_cadre(person_id=uuid.uuid4(), name="王伟", unit_id=dept,
                             post_title="局长", line_of_work="财政", leadership_member=True,
                             top_leader=True, actor=clerk, occurred_at=at(1, 3))
    first, second = (
        app.create_task(title=title, requirement="年中述职", year=2026, lead_unit_id=dept,
                        responsible_cadre_id=top, deadline=date(2026, 6, 30), actor=clerk,
                        occurred_at=at(1, 10))
        for title in ("述责述廉", "签订责任书")
    )
    dept_clerk = someone(dept)
    for percent, month in ((30, 3), (60, 4)):
        app.report_progress(task_id=first, percent=percent, note="进展", actor=dept_clerk,
                            occurred_at=at(month, 1))
    return first, second, dept_clerk


def refused_progress(app: Responsibilities, task: uuid.UUID, clerk: Actor) -> DamagedRecordError:
    """A command on ``task`` is refused as damaged, and stores nothing."""
    before = app.last_position()
    with pytest.raises(DamagedRecordError) as refused:
        app.report_progress(task_id=task, percent=90, note="快完成了", actor=clerk,
                            occurred_at=at(5, 1))
    assert app.last_position() == before
    assert refused.value.record_id == task
    assert refused.value.kind == "task"
    return refused.value


def test_a_deleted_middle_event_names_the_record_and_the_missing_version(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    task, _, clerk = two_tasks(app)
    raw = RawStore(any_store)
    raw.execute("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 2",
                (task,))
    damage = refused_progress(app, task, clerk)
    assert damage.version == 2
    assert damage.problem == "version 2 is missing"
    message = str(damage)
    assert f"task {task}" in message and "version 2" in message and "Nothing was changed" in message
    # A query that loads it is refused the same way; finding it does not pretend it is absent.
    from services.responsibility.domain import Task
    with pytest.raises(DamagedRecordError):
        app.find(task, Task)


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("state", b"\x00not json at all", "version 2 cannot be read"),
    ("state", b'{"percent": 60}', "version 2 has no time of recording (it cannot be read)"),
    ("topic", "services.gone:Task.Vanished", "its kind of event 'services.gone:Task.Vanished' "
                                             "is unknown"),
])
def test_a_changed_row_names_the_record_and_its_version(
    app: Responsibilities, any_store: StoreSettings, column: str, value: Any, problem: str
) -> None:
    task, _, clerk = two_tasks(app)
    RawStore(any_store).execute(
        f"UPDATE {{events}} SET {column} = ? WHERE originator_id = ? AND originator_version = 2",
        (value, task),
    )
    damage = refused_progress(app, task, clerk)
    assert (damage.version, damage.problem) == (2, problem)


def test_swapped_versions_are_named_as_out_of_place(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    task, _, clerk = two_tasks(app)
    raw = RawStore(any_store)
    # The creation and the first progress report change places.
    for old, new in ((1, 0), (2, 1), (0, 2)):
        raw.execute("UPDATE {events} SET originator_version = ? "
                    "WHERE originator_id = ? AND originator_version = ?", (new, task, old))
    damage = refused_progress(app, task, clerk)
    assert damage.version == 1
    assert damage.problem == "version 1 does not create the record (the versions were moved)"


def test_events_swapped_an_hour_apart_are_named_as_out_of_order(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    task, _, clerk = two_tasks(app)
    raw = RawStore(any_store)
    row = "originator_id = ? AND originator_version = ?"
    states = {}
    for version in (2, 3):
        [(state,)] = raw.execute(f"SELECT state FROM {{events}} WHERE {row}", (task, version))
        states[version] = json.loads(bytes(state))
    # The first report is made to look recorded an hour before the second, then the two swap
    # places: the report now at version 3 was recorded an hour before version 2's.
    moment = datetime.fromisoformat(states[3]["timestamp"]["_data_"])
    states[2]["timestamp"]["_data_"] = (moment - timedelta(hours=1)).isoformat()
    for version, other in ((2, 3), (3, 2)):
        raw.execute(f"UPDATE {{events}} SET state = ? WHERE {row}",
                    (json.dumps(states[other]).encode(), task, version))
    damage = refused_progress(app, task, clerk)
    assert (damage.version, damage.problem) == (
        3, "version 3 was recorded before version 2 (the versions are out of order)")


def test_damage_after_a_snapshot_is_named_and_an_unreadable_snapshot_passed_over(
    app: Responsibilities, any_store: StoreSettings, caplog: pytest.LogCaptureFixture
) -> None:
    from services.responsibility.domain import Task

    task, _, clerk = two_tasks(app)
    for percent in range(61, 72):  # versions 4 to 14: a snapshot at version 10
        app.report_progress(task_id=task, percent=percent, actor=clerk, occurred_at=at(4, 2))
    raw = RawStore(any_store)
    assert raw.execute("SELECT originator_version FROM {snapshots} WHERE originator_id = ?",
                       (task,)) == [(10,)]
    # Loaded from the snapshot: a version deleted after it is named.
    row = "originator_id = ? AND originator_version = 12"
    [kept] = raw.execute(f"SELECT originator_id, originator_version, topic, state "
                         f"FROM {{events}} WHERE {row}", (task,))
    raw.execute(f"DELETE FROM {{events}} WHERE {row}", (task,))
    damage = refused_progress(app, task, clerk)
    assert (damage.version, damage.problem) == (12, "version 12 is missing")
    raw.execute("INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)", kept)
    # A snapshot that cannot be read is only a shortcut lost: the events give the record.
    raw.execute("UPDATE {snapshots} SET state = ? WHERE originator_id = ?", (b"{", task))
    with caplog.at_level(logging.WARNING, logger="shared.application"):
        app.report_progress(task_id=task, percent=80, actor=clerk, occurred_at=at(4, 3))
    assert any("snapshot" in r.getMessage() and str(task) in r.getMessage()
               for r in caplog.records)
    assert app.load(task, Task).version == 15


def damaged_gauge() -> float | None:
    return REGISTRY.get_sample_value("dutytrail_damaged_records", {"service": SERVICE})


def test_the_clock_skips_a_damaged_record_reports_it_and_marks_the_others(
    app: Responsibilities, any_store: StoreSettings, caplog: pytest.LogCaptureFixture
) -> None:
    damaged, sound, _ = two_tasks(app)
    raw = RawStore(any_store)
    row = "originator_id = ? AND originator_version = 2"
    [kept] = raw.execute(f"SELECT originator_id, originator_version, topic, state "
                         f"FROM {{events}} WHERE {row}", (damaged,))
    raw.execute(f"DELETE FROM {{events}} WHERE {row}", (damaged,))
    with caplog.at_level(logging.ERROR, logger="shared.application"):
        run = app.run_clock(at(6, 23))  # both are due a 7-day warning
    assert run.recorded == [sound]
    assert [(d.record_id, d.version) for d in run.damaged] == [(damaged, 2)]
    assert run.answer()["damaged"] == [{"record": str(damaged), "kind": "task", "version": 2,
                                        "problem": "version 2 is missing"}]
    assert damaged_gauge() == 1
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(str(damaged) in line and "version 2" in line for line in logged), logged
    kinds = [e["type"].split(".")[2] for e in app.events_after(0)
             if e["subject"] in (str(damaged), str(sound))]
    assert kinds.count("task_deadline_warning") == 1  # the sound one's, nothing on the other
    # Once the record is restored (the row put back), the next run marks it and reports none.
    raw.execute("INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)", kept)
    restored = app.run_clock(at(6, 24))
    assert (restored.recorded, restored.damaged) == ([damaged], [])
    assert damaged_gauge() == 0


def test_sqlite_never_reissues_the_id_of_a_deleted_last_event_and_the_relay_publishes_it(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str
) -> None:
    for code in ("A", "B", "C"):
        app.register_unit(code=code, name=f"单位{code}", kind="town", actor=someone())
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    queue = f"integrity.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare(f"{SERVICE}.events", "topic", durable=True)
    channel.queue_declare(queue, auto_delete=True)
    channel.queue_bind(queue, f"{SERVICE}.events", routing_key="#")
    relay = Relay(SERVICE, any_store, amqp_uri)
    try:
        assert relay.drain() == 3
        raw = RawStore(any_store)
        raw.execute("DELETE FROM {events} WHERE {position} = 3")
        assert raw.positions() == [1, 2]
        unit = app.register_unit(code="D", name="单位D", kind="town", actor=someone())
        assert raw.positions() == [1, 2, 4]  # above every id ever issued
        assert relay.drain() == 1
    finally:
        relay.close()
    published = []
    for method, _properties, body in channel.consume(queue, inactivity_timeout=10):
        if method is None:
            break
        published.append(body)
        channel.basic_ack(method.delivery_tag)
        if len(published) == 4:
            break
    channel.cancel()
    connection.close()
    events = [json.loads(body) for body in published]
    assert [parse_position(e["sequence"]) for e in events] == [1, 2, 3, 4]
    assert events[-1]["subject"] == str(unit)


def test_a_sqlite_store_made_before_is_rebuilt_on_open_keeping_every_position(
    sqlite_store: StoreSettings,
) -> None:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    sqlite_store.var_dir.mkdir(parents=True)
    path = str(sqlite_store.var_dir / f"{SERVICE}.sqlite")
    old = SQLiteApplicationRecorder(SQLiteDatastore(path))  # the table as eventsourcing makes it
    old.create_table()
    ids = [uuid.uuid4() for _ in range(3)]
    old.insert_events([StoredEvent(i, 1, "t:T", b"{}") for i in ids])
    old.datastore.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = 2")  # a gap the rebuild keeps
    db.close()
    application = Responsibilities(store_environment(SERVICE, sqlite_store))
    try:
        raw = RawStore(sqlite_store)
        kept = raw.execute("SELECT {position}, originator_id FROM {events} ORDER BY 1")
        assert kept == [(1, ids[0].hex), (3, ids[2].hex)]
        raw.execute("DELETE FROM {events} WHERE {position} = 3")
        application.register_unit(code="E", name="单位E", kind="town", actor=someone())
        assert raw.positions() == [1, 4]
    finally:
        application.close()

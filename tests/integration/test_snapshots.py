"""Snapshots of the long-lived aggregates (issue 8, item 3), on both stores: a task with many
events and a bulletin register with many numbers are snapshotted every N events, the
snapshots live beside the events (the same SQLite file, the service's PostgreSQL schema),
loading reads the last snapshot and only the events after it, and what it loads equals the
same aggregate replayed from all its events."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest

from services.responsibility.application import TASK_SNAPSHOT_INTERVAL, Responsibilities
from services.responsibility.domain import Task
from services.supervision.application import BULLETIN_REGISTER_SNAPSHOT_INTERVAL, Supervision
from services.supervision.domain import (
    Bulletin,
    BulletinRegister,
    DuplicateBulletinRequestError,
)
from shared.actors import Actor
from shared.application import ServiceApplication
from shared.persistence import schema_name, store_environment
from shared.settings import StoreSettings


def at(month: int, day: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)


def someone(unit_id: uuid.UUID | None = None) -> Actor:
    return Actor(person_id=uuid.uuid4(), unit_id=unit_id or uuid.uuid4())


class ReplayedResponsibilities(Responsibilities):
    """The same store without snapshots: every aggregate replayed from all its events."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


class ReplayedSupervision(Supervision):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def snapshot_versions(app: ServiceApplication[Any], aggregate_id: uuid.UUID) -> list[int]:
    assert app.snapshots is not None
    return [s.originator_version for s in app.snapshots.get(aggregate_id)]


def events_read_after(app: ServiceApplication[Any], aggregate_id: uuid.UUID) -> int | None:
    """Load ``aggregate_id`` and say after which version its events were read (None: all)."""
    seen: list[Any] = []
    get = app.events.get

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("gt"))
        return get(*args, **kwargs)

    app.events.get = spy  # type: ignore[method-assign]
    try:
        app.repository.get(aggregate_id)
    finally:
        del app.events.get
    assert len(seen) == 1
    after: int | None = seen[0]
    return after


def stored_snapshot_rows(settings: StoreSettings, service: str) -> int:
    """The snapshots stored in the service's own store: its SQLite file, its schema."""
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.var_dir / f"{service}.sqlite") as conn:
            return int(conn.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0])
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
                         password=settings.pg_password or None,
                         dbname=settings.pg_dbname) as conn:
        table = sql.Identifier(schema_name(service, settings), f"{service}_snapshots")
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        assert row is not None
        return int(row[0])


def test_a_task_with_many_events_is_loaded_from_its_snapshot(any_store: StoreSettings):
    interval = TASK_SNAPSHOT_INTERVAL
    app = Responsibilities(store_environment("responsibility", any_store))
    replayed = ReplayedResponsibilities(store_environment("responsibility", any_store))
    try:
        pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=someone(),
                               occurred_at=at(1, 2))
        clerk = someone(pc)
        dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                                 parent_unit_id=pc, actor=clerk, occurred_at=at(1, 2))
        cadre = app.register_cadre(person_id=uuid.uuid4(), name="王伟", unit_id=dept,
                                   post_title="局长", line_of_work="财政", top_leader=True,
                                   actor=clerk, occurred_at=at(1, 3))
        task = app.create_task(year=2026, title="廉政风险点排查", requirement="逐岗排查",
                               lead_unit_id=dept, co_unit_ids=[pc], responsible_cadre_id=cadre,
                               deadline=date(2026, 12, 31), actor=clerk, occurred_at=at(1, 10))
        dept_clerk = someone(dept)
        # The clock's warning puts a set in the task's state (the thresholds warned of), and a
        # meeting a date in a list, before the first snapshot.
        assert app.check_deadlines(datetime(2026, 12, 25, tzinfo=UTC)) == [task]
        app.convene_task_meeting(task_id=task, held_on=date(2026, 1, 20), agenda="部署",
                                 actor=dept_clerk, occurred_at=at(1, 20))
        version = 3
        while version < 2 * interval + 7:
            app.report_progress(task_id=task, percent=version % 100, note=f"第{version}次",
                                actor=dept_clerk, occurred_at=at(2, 1, version))
            version += 1
        assert app.load(task, Task).version == version

        assert snapshot_versions(app, task) == [interval, 2 * interval]
        assert stored_snapshot_rows(any_store, "responsibility") == 2
        assert snapshot_versions(app, task) == [interval, 2 * interval]
        # Loading reads the last snapshot and the events after it only.
        assert events_read_after(app, task) == 2 * interval
        assert events_read_after(replayed, task) is None
        from_snapshot, from_events = app.load(task, Task), replayed.load(task, Task)
        assert state(from_snapshot) == state(from_events)
        assert from_snapshot.warned_thresholds == {7} and isinstance(
            from_snapshot.warned_thresholds, set)
        assert from_snapshot.meetings_held_on == [date(2026, 1, 20)]

        # Commands go on from the snapshot; a process started afresh reads it too.
        app.report_progress(task_id=task, percent=99, actor=dept_clerk, occurred_at=at(3, 1))
        app.complete_task(task_id=task, actor=dept_clerk, occurred_at=at(3, 2))
        restarted = Responsibilities(store_environment("responsibility", any_store))
        try:
            assert state(restarted.load(task, Task)) == state(replayed.load(task, Task))
            assert restarted.load(task, Task).is_completed
        finally:
            restarted.close()
    finally:
        replayed.close()
        app.close()


def test_the_bulletin_register_numbers_right_after_many_from_its_snapshot(
    any_store: StoreSettings,
):
    interval = BULLETIN_REGISTER_SNAPSHOT_INTERVAL
    app = Supervision(store_environment("supervision", any_store))
    replayed = ReplayedSupervision(store_environment("supervision", any_store))
    inspector = someone()
    issued = 2 * interval + 3
    try:
        ids = [
            app.issue_bulletin(kind="circular", request_id=f"c-{n}", title=f"第{n}期",
                               actor=inspector, occurred_at=at(3, 1, n))
            for n in range(1, issued + 1)
        ]
        app.issue_bulletin(kind="special_report", request_id="s-1", title="专报",
                           actor=inspector, occurred_at=at(3, 2))
        register_id = BulletinRegister.create_id("circular", 2026)
        # Opened is version 1: number n is version n + 1.
        assert snapshot_versions(app, register_id) == [interval, 2 * interval]
        assert stored_snapshot_rows(any_store, "supervision") == 2
        assert events_read_after(app, register_id) == 2 * interval
        register = app.load(register_id, BulletinRegister)
        assert state(register) == state(replayed.load(register_id, BulletinRegister))
        assert register.last_number == issued
        assert len(register.recent_ids) == BulletinRegister.RECENT  # it stays small
        # Only the kinds that are snapshotted look in the snapshot table at all.
        assert app.snapshots is not None
        asked: list[uuid.UUID] = []
        snapshot_get = app.snapshots.get

        def spy(originator_id: uuid.UUID, **kwargs: Any) -> Any:
            asked.append(originator_id)
            return snapshot_get(originator_id, **kwargs)

        app.snapshots.get = spy  # type: ignore[method-assign]
        try:
            app.load(ids[0], Bulletin)
            app.load(register_id, BulletinRegister)
        finally:
            del app.snapshots.get
        assert asked == [register_id]

        # The next number, from a process started afresh (it reads the snapshot).
        restarted = Supervision(store_environment("supervision", any_store))
        try:
            next_id = restarted.issue_bulletin(kind="circular", request_id="c-next",
                                               title="下一期", actor=inspector,
                                               occurred_at=at(3, 3))
            assert restarted.get_bulletin(bulletin_id=next_id).number == issued + 1
            # A request numbered long ago, beyond what the register remembers, is still
            # refused: the bulletin it made exists.
            with pytest.raises(DuplicateBulletinRequestError, match=r"No\. 1 of 2026"):
                restarted.issue_bulletin(kind="circular", request_id="c-1", title="重复",
                                         actor=inspector, occurred_at=at(3, 4))
        finally:
            restarted.close()
        numbers = [b.number for b in app.bulletin_register(year=2026, kind="circular")]
        assert sorted(numbers) == list(range(1, issued + 2))
        assert [app.get_bulletin(bulletin_id=i).number for i in ids] == list(
            range(1, issued + 1))
        assert [b.number for b in app.bulletin_register(year=2026, kind="special_report")] == [1]
    finally:
        replayed.close()
        app.close()

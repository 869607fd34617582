"""A service and its relays start together and each makes sure its store exists. On PostgreSQL
``CREATE SCHEMA IF NOT EXISTS`` run at the same moment by several connections fails with a
unique violation in all but one of them (PostgreSQL's catalogue index), which once stopped a
relay at start. Each must find the schema instead."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from shared import persistence
from shared.persistence import (
    created,
    drop_postgres_schemas,
    ensure_postgres_schema,
    open_factory,
    store_environment,
)
from tests.conftest import postgres_settings, sqlite_settings

STARTERS = 8


@pytest.mark.postgres
def test_processes_making_the_same_schema_at_once_all_find_it() -> None:
    settings = postgres_settings(f"t{uuid.uuid4().hex[:10]}_")
    failures: list[BaseException] = []
    try:
        for attempt in range(5):
            schema = f"{settings.pg_schema_prefix}race{attempt}"
            together = threading.Barrier(STARTERS)

            def start(schema: str = schema, together: threading.Barrier = together) -> None:
                together.wait()
                try:
                    ensure_postgres_schema(schema, settings)
                except BaseException as error:  # noqa: BLE001 - every failure is the finding
                    failures.append(error)

            # Each starter is a fresh process in production: forget what this one made.
            persistence._schemas_made.clear()
            threads = [threading.Thread(target=start) for _ in range(STARTERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        made = drop_postgres_schemas(settings)
    finally:
        drop_postgres_schemas(settings)
    assert failures == []
    assert sorted(made) == sorted(f"{settings.pg_schema_prefix}race{i}" for i in range(5))



def open_relay_tracking(var_dir: str, number: int, together: Any, results: Any) -> None:
    env = store_environment("responsibility", sqlite_settings(Path(var_dir)), purpose="relay")
    together.wait()
    try:
        tracking = created(lambda: open_factory(env).tracking_recorder())
        tracking.insert_tracking(Tracking(f"starter{number}", 1))
        results.put(None)
    except BaseException as error:  # noqa: BLE001 - every failure is the finding
        results.put(repr(error))


def test_recorders_creating_the_same_sqlite_tables_at_once_all_open(tmp_path: Path) -> None:
    """eventsourcing records its tracking table's migration when it creates the table; two
    SQLite recorders (processes: threads of one process did not race) that both found no
    table both record it, and all but one failed ("Failed to record tracking for
    __migration__ 1"), which once stopped a standby relay in CI."""
    context = multiprocessing.get_context("fork")
    failures: list[str] = []
    for attempt in range(5):
        var_dir = tmp_path / f"var{attempt}"
        together, results = context.Barrier(STARTERS), context.Queue()
        starters = [
            context.Process(target=open_relay_tracking,
                            args=(str(var_dir), n, together, results))
            for n in range(STARTERS)
        ]
        for starter in starters:
            starter.start()
        failures += [found for found in (results.get(timeout=60) for _ in starters) if found]
        for starter in starters:
            starter.join(timeout=60)
        assert failures == []
        env = store_environment("responsibility", sqlite_settings(var_dir), purpose="relay")
        tracking = open_factory(env).tracking_recorder()
        recorded = [tracking.max_tracking_id(f"starter{n}") for n in range(STARTERS)]
        assert recorded == [1] * STARTERS

"""A service and its relays start together and each makes sure its PostgreSQL schema exists:
``CREATE SCHEMA IF NOT EXISTS`` run at the same moment by several connections fails with a
unique violation in all but one of them (PostgreSQL's catalogue index), which once stopped a
relay at start. Each must find the schema instead."""

from __future__ import annotations

import threading
import uuid

import pytest

from shared import persistence
from shared.persistence import drop_postgres_schemas, ensure_postgres_schema
from tests.conftest import postgres_settings

pytestmark = [pytest.mark.postgres]

STARTERS = 8


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

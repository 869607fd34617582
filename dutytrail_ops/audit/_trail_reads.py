"""The record of who read a confidential matter's trail: one row per read in the table
``<service>_trail_reads`` of each service whose confidential events the trail showed (the same
SQLite file, the same PostgreSQL schema as its events; docs/audit.md, "Trail and replay").

A row says who (the token's person, unit and roles), when, which matter, and how many of the
service's confidential events were shown. It is written before the trail is printed: a read
that cannot be recorded is not shown.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

COLUMNS = ("id", "read_at", "person_id", "unit_id", "roles", "matter", "events")


@dataclass(frozen=True)
class TrailRead:
    read_at: datetime
    person_id: str
    unit_id: str
    roles: str  # comma-separated, sorted
    matter: str
    events: int


def table(service: str) -> str:
    return f"{service}_trail_reads"


def record(service: str, env: Mapping[str, str], read: TrailRead) -> None:
    """Append ``read`` to ``service``'s table (created if missing)."""
    row = (str(uuid.uuid4()), read.read_at.isoformat(), read.person_id, read.unit_id,
           read.roles, read.matter, read.events)
    _run(service, env, "INSERT INTO {t} (" + ",".join(COLUMNS) + ") VALUES ({p})", row)


def reads(service: str, env: Mapping[str, str]) -> list[TrailRead]:
    """Every recorded read of ``service``'s confidential events, oldest first."""
    rows = _run(service, env, "SELECT " + ",".join(COLUMNS[1:]) + " FROM {t} ORDER BY read_at")
    return [TrailRead(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], int(r[5]))
            for r in rows]


def _create(name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (id text PRIMARY KEY, read_at text NOT NULL, "
        "person_id text NOT NULL, unit_id text NOT NULL, roles text NOT NULL, "
        "matter text NOT NULL, events integer NOT NULL)"
    )


def _run(
    service: str, env: Mapping[str, str], statement: str, row: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    from shared.outbox import POSTGRES_MODULE, SQLITE_MODULE, postgres_connect

    module = env.get("PERSISTENCE_MODULE") or ""
    if module == SQLITE_MODULE:
        name = f'"{table(service)}"'
        sql = statement.format(t=name, p=",".join("?" * len(row)))
        lite = sqlite3.connect(env.get("SQLITE_DBNAME") or "", timeout=10)
        try:
            with lite:
                lite.execute(_create(name))
                return list(lite.execute(sql, row).fetchall())  # none for an insert
        finally:
            lite.close()
    if module == POSTGRES_MODULE:
        import psycopg
        from psycopg import sql as pgsql

        schema = env.get("POSTGRES_SCHEMA") or "public"
        with psycopg.connect(autocommit=True, **postgres_connect(env)) as connection:
            name = pgsql.Identifier(schema, table(service)).as_string(connection)
            # Another process may create it at the same moment.
            with contextlib.suppress(psycopg.errors.UniqueViolation,
                                     psycopg.errors.DuplicateTable):
                connection.execute(_create(name))
            query = statement.format(t=name, p=",".join(["%s"] * len(row)))
            cursor = connection.execute(query, row)
            return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
    msg = f"the {service} store keeps no table of trail reads (a store in memory)"
    raise LookupError(msg)

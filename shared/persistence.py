"""Each service's eventsourcing environment, built explicitly in one place
(docs/architecture.md, "Storage").

The library's own default is an in-memory store keyed by the upper-cased application class
name; a relay or CLI with another class name would silently read another store. Here the
environment is derived from the *service name* only, so a service, its relay and the CLI
always open the same store.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InfrastructureFactory,
    IntegrityError,
    InternalError,
    JSONTranscoder,
    OperationalError,
    ProgrammingError,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import Environment

from shared.settings import StoreSettings

T = TypeVar("T")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def build_transcoder() -> JSONTranscoder:
    """The transcoder every application and every store reader uses."""
    transcoder = JSONTranscoder()
    register_transcodings(transcoder)
    return transcoder


def register_transcodings(transcoder: JSONTranscoder) -> None:
    from shared.actors import ActorAsDict

    transcoder.register(ActorAsDict())
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    transcoder.register(DateAsISO())


def schema_name(service: str, settings: StoreSettings) -> str:
    return f"{settings.pg_schema_prefix}{service}"


def store_environment(
    service: str, settings: StoreSettings | None = None, purpose: str = ""
) -> Environment:
    """The environment for one service's store.

    ``purpose`` separates the tables of a helper (the relay's tracking) from the service's
    own on PostgreSQL, where eventsourcing prefixes table names with the environment name.
    """
    settings = settings or StoreSettings.from_environ()
    name = service if not purpose else f"{service}_{purpose}"
    values: dict[str, str] = {"CREATE_TABLE": "y"}
    if settings.backend == "sqlite":
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        values.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(settings.var_dir / f"{service}.sqlite"),
            SQLITE_LOCK_TIMEOUT="30",
            # Every reader and writer of the file (the relay, the command line) opens the
            # events' table whose notification ids are never reused (shared/recorders.py).
            APPLICATION_RECORDER_TOPIC="shared.recorders:SQLiteEventsRecorder",
        )
    else:
        ensure_postgres_schema(schema_name(service, settings), settings)
        values.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=settings.pg_dbname,
            POSTGRES_HOST=settings.pg_host,
            POSTGRES_PORT=settings.pg_port,
            POSTGRES_USER=settings.pg_user,
            POSTGRES_PASSWORD=settings.pg_password,
            POSTGRES_SCHEMA=schema_name(service, settings),
            POSTGRES_CONNECT_TIMEOUT="5",
            POSTGRES_POOL_SIZE="4",
            POSTGRES_MAX_OVERFLOW="4",
        )
    return Environment(name, values)


_schemas_made: set[tuple[str, str, str]] = set()


def ensure_postgres_schema(schema: str, settings: StoreSettings) -> None:
    """eventsourcing creates tables but not the schema they live in."""
    key = (settings.pg_host, settings.pg_dbname, schema)
    if key in _schemas_made:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_user,
        password=settings.pg_password or None,
        dbname=settings.pg_dbname,
        connect_timeout=5,
        autocommit=True,
    ) as conn:
        statement = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
        try:
            conn.execute(statement)
        except psycopg.errors.UniqueViolation:
            # IF NOT EXISTS is not safe against a concurrent CREATE SCHEMA (a service and its
            # relays start together): the other one committed, so the schema now exists.
            conn.execute(statement)
    _schemas_made.add(key)


def drop_postgres_schemas(settings: StoreSettings) -> list[str]:
    """Drop every schema whose name starts with the settings' prefix (tests, benchmarks)."""
    import psycopg
    from psycopg import sql

    if not settings.pg_schema_prefix:
        msg = "refusing to drop schemas without a prefix"
        raise ValueError(msg)
    with psycopg.connect(
        host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
        password=settings.pg_password or None, dbname=settings.pg_dbname, autocommit=True,
    ) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
            (settings.pg_schema_prefix,),
        ).fetchall()
        for (name,) in rows:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    _schemas_made.difference_update(
        {k for k in _schemas_made if k[2].startswith(settings.pg_schema_prefix)}
    )
    return [name for (name,) in rows]


def open_factory(env: Environment) -> InfrastructureFactory[Any]:
    return InfrastructureFactory.construct(env)


def created(make: Callable[[], T], attempts: int = 10) -> T:
    """``make()`` a recorder whose tables it creates, again if another process created the
    same tables at the same moment: PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe
    against a concurrent one (it fails on the catalogue's unique index, or with "tuple
    concurrently updated"), and replicas or a
    service and its relays start together. eventsourcing's tracking table has the same race on
    SQLite too: two recorders that both found no table each record the table's migration
    ("Failed to record tracking for __migration__"), or find the file locked by the other's
    creation (a deferred transaction that read before the other wrote cannot wait for it: SQLite
    answers "database is locked" at once; so does eventsourcing's switch of a new file to WAL
    mode, raised as sqlite3's own error, not wrapped). Once the other creation committed,
    IF NOT EXISTS finds the tables and the migration recorded."""
    for attempt in range(1, attempts + 1):
        try:
            return make()
        except (
            IntegrityError, ProgrammingError, InternalError, OperationalError,
            sqlite3.OperationalError,
        ) as error:
            text = str(error)
            if attempt == attempts or not (
                "already exists" in text or "duplicate key" in text
                or "concurrently updated" in text
                or "tracking for __migration__" in text or "database is locked" in text
            ):
                raise
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover

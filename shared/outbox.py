"""The outbox of signed CloudEvents: each stored event built and signed once, by the service
that stored it, right after the commit (docs/reliability.md, "Signed once, in the service").

Signing (Ed25519, about 50 µs of CPU an event) is what limits the relay. The signature covers
``sequence`` and ``prevsequence``, which are known only once the insert has committed, so the
service builds each new notification's CloudEvent with the same :class:`EnvelopeBuilder` in
``ServiceApplication._notify`` and stores it in the table ``<service>_cloudevents`` next to
eventsourcing's tables (the same SQLite file; the same PostgreSQL schema): ``position`` (the
notification id) and ``body`` (the signed CloudEvent as JSON text).

The outbox is an optimisation, never a source of truth: a failure to write it only logs a
warning, and the relay and the catch-up reader build and sign any position that has no row (a
crash between the commit and the outbox write, events stored before the outbox existed), or
whose row is not what the builder would produce now (``EnvelopeBuilder.reuse_or_build``).

``prevsequence`` is the real previous position in the log: eventsourcing serialises inserts
(a table lock on PostgreSQL, the single writer on SQLite), so notification ids commit in
order, and once a commit returns every smaller id that will ever exist is already stored.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Notification

from shared.envelope import EnvelopeBuilder, _previous_position, encode

log = logging.getLogger(__name__)

SQLITE_MODULE = "eventsourcing.sqlite"
POSTGRES_MODULE = "eventsourcing.postgres"


def table_name(service: str) -> str:
    return f"{service}_cloudevents"


def previous_position(recorder: ApplicationRecorder, before: int) -> int | None:
    """The position just before ``before`` in the log (usually ``before - 1``)."""
    if before > 1:
        found = recorder.select_notifications(start=before - 1, limit=1, stop=before - 1)
        if found:
            return found[0].id
    return _previous_position(recorder, before)


class Outbox(ABC):
    """One service's signed CloudEvents, by position."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.table = table_name(service)
        self._lock = threading.Lock()
        self._last_recorded = 0  # a position this process knows is in the log

    @abstractmethod
    def insert(self, rows: Sequence[tuple[int, str]]) -> None:
        """Store ``(position, body)`` rows; a position that has a row already is left as is."""

    @abstractmethod
    def bodies(self, first: int, last: int) -> dict[int, str]:
        """The stored bodies of the positions from ``first`` to ``last``, inclusive."""

    @abstractmethod
    def delete(self, positions: Iterable[int]) -> None:
        """Remove rows (tests; an operator may also empty the table: nothing is lost)."""

    @abstractmethod
    def close(self) -> None: ...

    def record(
        self,
        builder: EnvelopeBuilder,
        recorder: ApplicationRecorder,
        notifications: Sequence[Notification],
    ) -> int:
        """Build, sign and store the CloudEvents of notifications that have just committed;
        return how many."""
        if not notifications:
            return 0
        ordered = sorted(notifications, key=lambda n: n.id)
        first = ordered[0].id
        known = self._last_recorded
        # Nothing lies between two consecutive positions: no need to look the previous up.
        previous = known if known and known == first - 1 else previous_position(recorder, first)
        rows = []
        for notification in ordered:
            rows.append((notification.id, encode(builder.build(notification, previous))))
            previous = notification.id
        self.insert(rows)
        self._last_recorded = max(self._last_recorded, ordered[-1].id)
        return len(rows)

    def bodies_for(self, notifications: Sequence[Notification]) -> Mapping[int, str]:
        """The stored bodies of ``notifications`` (by position); none if the outbox cannot be
        read (the caller then builds and signs every event itself)."""
        if not notifications:
            return {}
        try:
            return self.bodies(notifications[0].id, notifications[-1].id)
        except Exception:
            log.warning("could not read the %s outbox; signing in this process", self.service,
                        exc_info=True)
            return {}


class SQLiteOutbox(Outbox):
    """The table in the service's SQLite file, beside eventsourcing's (several processes write
    the file: every write waits up to the store's lock timeout)."""

    def __init__(self, service: str, dbname: str, lock_timeout: float) -> None:
        super().__init__(service)
        self.dbname = dbname
        self.lock_timeout = lock_timeout
        self._connection: sqlite3.Connection | None = None
        with self._lock:
            self._connected().execute(
                f'CREATE TABLE IF NOT EXISTS "{self.table}" '
                "(position INTEGER PRIMARY KEY, body TEXT NOT NULL)"
            )

    def _connected(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.dbname, uri=True, check_same_thread=False, isolation_level=None,
                timeout=self.lock_timeout,
            )
            # No fsync per outbox commit (WAL: the file stays consistent; a power cut may lose
            # the last rows, which the relay then signs itself).
            self._connection.execute("PRAGMA synchronous=NORMAL")
        return self._connection

    def insert(self, rows: Sequence[tuple[int, str]]) -> None:
        if not rows:
            return
        with self._lock:
            connection = self._connected()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    f'INSERT INTO "{self.table}" (position, body) VALUES (?, ?) '
                    "ON CONFLICT (position) DO NOTHING",
                    rows,
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def bodies(self, first: int, last: int) -> dict[int, str]:
        with self._lock:
            cursor = self._connected().execute(
                f'SELECT position, body FROM "{self.table}" WHERE position BETWEEN ? AND ?',
                (first, last),
            )
            return dict(cursor.fetchall())

    def delete(self, positions: Iterable[int]) -> None:
        with self._lock:
            self._connected().executemany(
                f'DELETE FROM "{self.table}" WHERE position = ?', [(p,) for p in positions]
            )

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class PostgresOutbox(Outbox):
    """The table in the service's PostgreSQL schema; one connection (psycopg 3, autocommit),
    made again after a failure."""

    def __init__(self, service: str, schema: str, connect: Mapping[str, Any]) -> None:
        super().__init__(service)
        from psycopg import sql

        self.schema = schema
        self._connect = dict(connect)
        self._connection: Any = None
        table = sql.Identifier(schema, self.table)
        self._create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, body text NOT NULL)"
        ).format(table)
        self._insert = sql.SQL(
            "INSERT INTO {} (position, body) SELECT * FROM unnest(%s::bigint[], %s::text[]) "
            "ON CONFLICT (position) DO NOTHING"
        ).format(table)
        self._select = sql.SQL(
            "SELECT position, body FROM {} WHERE position BETWEEN %s AND %s"
        ).format(table)
        self._delete = sql.SQL("DELETE FROM {} WHERE position = ANY(%s)").format(table)
        with self._lock:
            self._run(self._create_table)

    def _create_table(self, connection: Any) -> None:
        import psycopg

        # Another process may create it at the same moment.
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            connection.execute(self._create)

    def _run(self, work: Any) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(autocommit=True, **self._connect)
            # Do not wait for the WAL flush (a crash may lose the last rows, which the relay
            # then signs itself; the table stays consistent).
            self._connection.execute("SET synchronous_commit = off")
        try:
            return work(self._connection)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            self._drop()
            raise

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.debug("closing the outbox connection failed", exc_info=True)

    def insert(self, rows: Sequence[tuple[int, str]]) -> None:
        if not rows:
            return

        positions = [position for position, _ in rows]
        bodies = [body for _, body in rows]

        def work(connection: Any) -> None:
            connection.execute(self._insert, (positions, bodies), prepare=True)

        with self._lock:
            self._run(work)

    def bodies(self, first: int, last: int) -> dict[int, str]:
        def work(connection: Any) -> dict[int, str]:
            return dict(connection.execute(self._select, (first, last)).fetchall())

        with self._lock:
            result: dict[int, str] = self._run(work)
            return result

    def delete(self, positions: Iterable[int]) -> None:
        wanted = list(positions)
        with self._lock:
            self._run(lambda connection: connection.execute(self._delete, (wanted,)))

    def close(self) -> None:
        with self._lock:
            self._drop()


def open_outbox(service: str, env: Mapping[str, str]) -> Outbox | None:
    """The outbox of the store ``env`` describes (``shared.persistence.store_environment``);
    None for a store that has none (in memory)."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module == SQLITE_MODULE:
        dbname = env.get("SQLITE_DBNAME") or ""
        if not dbname or ":memory:" in dbname or "mode=memory" in dbname:
            return None
        return SQLiteOutbox(service, dbname, float(env.get("SQLITE_LOCK_TIMEOUT") or 5))
    if module == POSTGRES_MODULE:
        connect: dict[str, Any] = {
            "host": env.get("POSTGRES_HOST") or "127.0.0.1",
            "port": env.get("POSTGRES_PORT") or "5432",
            "user": env.get("POSTGRES_USER") or "postgres",
            "password": env.get("POSTGRES_PASSWORD") or None,
            "dbname": env.get("POSTGRES_DBNAME") or "postgres",
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT") or 5),
        }
        return PostgresOutbox(service, env.get("POSTGRES_SCHEMA") or "public", connect)
    return None


def open_outbox_quietly(service: str, env: Mapping[str, str]) -> Outbox | None:
    """:func:`open_outbox`, or None (with a warning) if it cannot be opened: the relay and the
    catch-up reader then sign every event themselves."""
    try:
        return open_outbox(service, env)
    except Exception:
        log.warning("could not open the %s outbox; events are signed by the relay", service,
                    exc_info=True)
        return None

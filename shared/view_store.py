"""Read models kept in the service's own store, as record versions with business-time
validity (docs/architecture.md, "Read models in the store").

Each record of a read model (a unit, a letter, a notice ...) is stored as versions: the record's
JSON (shared/record_codec.py) with ``valid_from`` and ``valid_to`` — the business times between
which the record stood so — and the log ``position`` of the event that made it. "As of D" is
then a query (for each record, its version valid at D: one index seek a record), never a replay,
and the live answer is the versions with no ``valid_to``: both come from the same rows.

Tables, next to eventsourcing's (the same SQLite file; the same PostgreSQL schema), per read
model ``<service>_view_<name>_<rules>``, where ``rules`` is the digest of the rules that wrote
them (``Projection.rules_digest``; the tables of other rules are dropped when a store opens,
and the rows written again from the log):

- ``..._versions (kind, key, valid_from, valid_to, position, body)``, primary key
  ``(kind, key, valid_from)``; ``kind`` is the read model's attribute (``letters``), ``key`` the
  record's key as JSON; times are microseconds since the epoch (UTC);
- ``..._records (kind, key, first_from)``: every record once, with the business time it began;
- ``..._tracking (name, position)``: the last log position applied. A page of events and its
  tracking position commit in one transaction, under a lock (``BEGIN IMMEDIATE`` on SQLite, a
  transaction-scoped advisory lock on PostgreSQL), and events at or below the stored position
  are never written again: every process may follow the log, and each event is applied to the
  rows exactly once.

This module is storage only; shared/readmodel.py decides what changed.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import re
import sqlite3
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder

from shared.outbox import postgres_connect

log = logging.getLogger(__name__)

SQLITE_MODULE = "eventsourcing.sqlite"
POSTGRES_MODULE = "eventsourcing.postgres"

class Removed(enum.Enum):
    """A backdated event's handler, applied to a past version, removed the record."""

    REMOVED = "removed"


REMOVED = Removed.REMOVED

# A version's new body when an earlier (backdated) event is applied to it (None for the body:
# to the record where it did not stand, a body if the event creates it): REMOVED if the
# handler removed the record; None when it could not be applied to that version (it is kept)
# or, where the record did not stand, created nothing.
Recompute = Callable[[Any, str, str, str | None], str | Removed | None]


@dataclass
class RecordChange:
    """A record's body after an event (None: the record was removed, or is not there).
    ``unchanged``: the event did not change it now, but is dated before later acts and
    looked at it, so it may have changed the record's past versions."""

    kind: str
    key: str
    body: str | None
    unchanged: bool = False


@dataclass
class EventChanges:
    """What one stored event changed in a read model."""

    position: int
    moment: int  # the event's business time, microseconds since the epoch
    changes: list[RecordChange] = field(default_factory=list)
    domain_event: Any = None


# Rows fetched between two yields to the hub (see SQLiteViewStore._select_in_pages).
SELECT_PAGE = 100

# The version of this module's rules for turning a page of changes into versions (_Writer).
# Raise it when a change here would write other rows for the same history: it is part of every
# read model's rules digest, so each store drops its rows and writes them again from the log at
# its next start (docs/architecture.md, "Rules and rebuilding"). 2: acts recorded late, to
# the letter of "as of" (removals end past versions, gaps, records only looked up).
WRITER_RULES = 2

# The tables of one read model, by any rules (a digest) or by none (before rules were named).
_TABLE_SUFFIX = r"(?:_(?P<rules>[0-9a-f]{12}))?_(?:versions|records|tracking)"


class ReadModelGoneError(LookupError):
    """A read model's tables were dropped under a running process: a process with other
    rules (another version of the service) started on the same store and rebuilt them."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The stored rows of read model {name} were dropped by a process that writes them "
            "by other rules (another version of this service started on the same store). "
            "Run one version of a service on a store: restart this one on the new version."
        )


class ViewStore(TrackingRecorder):
    """The rows of one read model; a tracking recorder of the eventsourcing library (its
    position is the read model's ``Tracking``)."""

    def __init__(self, service: str, name: str, rules: str = "") -> None:
        # The tables are named after the rules that write them (``Projection.rules_digest``):
        # rows written by other rules are never read as if this code had written them.
        self.base = f"{service}_view_{name.lower()}"
        self.rules = rules
        self.prefix = f"{self.base}_{rules}" if rules else self.base
        self.name = name
        self._lock = threading.Lock()

    def _stale(self, tables: Iterable[str]) -> list[str]:
        """Among ``tables``, this read model's tables written by other rules."""
        pattern = re.compile(re.escape(self.base) + _TABLE_SUFFIX)
        return sorted(
            table for table in tables
            if (found := pattern.fullmatch(table)) and (found["rules"] or "") != self.rules
        )

    def _log_dropped(self, stale: Sequence[str]) -> None:
        log.warning(
            "read model %s: dropped %s, written by other rules; its rows are written again "
            "from the log (rules %s)", self.name, ", ".join(stale), self.rules or "unnamed",
        )

    # eventsourcing's TrackingRecorder interface.

    def insert_tracking(self, tracking: Tracking) -> None:
        self.write(tracking, [], lambda *_: None, self.latest())

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.position() or None

    # Reading (each backend runs ``sql``'s statements through its ``_select``).

    sql: dict[str, str]

    @abstractmethod
    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def _select_in_pages(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """``_select`` for a query that reads many rows; a backend that runs it in this
        thread lets other green threads run between pages."""
        return self._select(statement, params)

    def position(self) -> int:
        """The last log position applied to the rows (0: none)."""
        rows = self._select(self.sql["position"], (self.name,))
        return int(rows[0][0]) if rows else 0

    def latest(self) -> int | None:
        """The latest business time among the events applied (microseconds)."""
        rows = self._select(self.sql["latest"], (self.name,))
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def live_rows(self) -> list[tuple[str, str, str, int]]:
        """``(kind, key, body, first_position)`` of every record's current version."""
        return [(k, key, b, int(f)) for k, key, b, f in self._select(self.sql["live"])]

    def rows_as_of(self, moment: int) -> list[tuple[str, str, str, int]]:
        """``(kind, key, body, first_position)`` of every record's version valid at
        ``moment``."""
        rows = self._select_in_pages(self.sql["as_of"], (moment, moment, moment))
        return [(k, key, b, int(f)) for k, key, b, f in rows if b is not None]

    def versions(self, kind: str, key: str) -> list[tuple[int, int | None, int, str]]:
        """A record's versions ``(valid_from, valid_to, position, body)``, oldest first."""
        return [tuple(r) for r in self._select(self.sql["versions"], (kind, key))]

    # Writing.

    @abstractmethod
    def write(
        self, tracking: Tracking, events: Sequence[EventChanges], recompute: Recompute,
        latest: int | None = None,
    ) -> bool:
        """Apply the events above the stored position and store ``tracking``, in one
        transaction; False if the rows were already at or beyond ``tracking``."""

    def tidy(self) -> None:
        """After a long catch-up (a rebuild, a first start on a long log): make the rows as
        quick to read as if they had been written slowly. Nothing to do on SQLite."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def drop(self) -> None:
        """Remove the read model's tables (a rebuild starts from position 0)."""


class _Writer:
    """The version rules, written once for both databases over a DB-API cursor; ``sql``
    holds each backend's statements. ``latest`` holds records' latest versions as
    ``(valid_from, valid_to)`` (None: no version at all), kept as the writer writes; a
    backend may fill it beforehand in one query, so that the writer reads nothing for the
    usual changes and its statements can be pipelined; a record it does not hold is read
    when needed."""

    def __init__(
        self, cursor: Any, sql: Mapping[str, str],
        latest: dict[tuple[str, str], tuple[int, int | None] | None] | None = None,
    ) -> None:
        self.cursor = cursor
        self.sql = sql
        self.latest = {} if latest is None else latest

    def latest_of(self, kind: str, key: str) -> tuple[int, int | None] | None:
        """The record's version that began last (versions do not overlap, so it also ends
        last): its ``valid_to`` is None while the record stands."""
        if (kind, key) not in self.latest:
            self.cursor.execute(self.sql["latest_version"], (kind, key))
            row = self.cursor.fetchone()
            self.latest[(kind, key)] = None if row is None else (
                int(row[0]), None if row[1] is None else int(row[1]))
        return self.latest[(kind, key)]

    def _now_latest(self, change: RecordChange, version: tuple[int, int | None] | None) -> None:
        self.latest[(change.kind, change.key)] = version

    def _forget(self, change: RecordChange) -> None:
        self.latest.pop((change.kind, change.key), None)  # read again if it changes again

    def apply(self, event: EventChanges, recompute: Recompute) -> None:
        t = event.moment
        for change in event.changes:
            latest = self.latest_of(change.kind, change.key)
            if latest is None:  # a record never seen
                if change.body is not None:
                    self._insert(change, t, None, event.position, change.body)
                    self._now_latest(change, (t, None))
                continue
            begun, ended = latest
            if ended is not None:  # removed at ``ended``
                if t < ended:  # e.g. a payment reversed, then paid again, dated earlier
                    self.backdated(event, change, recompute)
                    self._forget(change)
                elif change.body is not None and not change.unchanged:
                    self._insert(change, t, None, event.position, change.body)
                    self._now_latest(change, (t, None))
            elif t < begun:
                self.backdated(event, change, recompute)
                self._forget(change)
            elif change.unchanged:
                continue  # nothing before the act to correct, and the act changed nothing
            elif t > begun:
                self.cursor.execute(self.sql["close"], (t, change.kind, change.key, begun))
                if change.body is not None:
                    self._insert(change, t, None, event.position, change.body)
                self._now_latest(change, (begun, t) if change.body is None else (t, None))
            elif change.body is None:
                self.cursor.execute(self.sql["delete"], (change.kind, change.key, begun))
                self._forget(change)
            else:
                self.cursor.execute(
                    self.sql["update"], (change.body, event.position, change.kind,
                                         change.key, begun),
                )

    def _insert(
        self, change: RecordChange, valid_from: int, valid_to: int | None, position: int,
        body: str,
    ) -> None:
        self.cursor.execute(
            self.sql["insert"], (change.kind, change.key, valid_from, valid_to, position, body)
        )
        self.cursor.execute(self.sql["record"], (change.kind, change.key, valid_from, position))

    def _versions_from(self, change: RecordChange, t: int) -> list[tuple[int, int | None, str]]:
        self.cursor.execute(self.sql["from"], (change.kind, change.key, t))
        return [(int(r[0]), None if r[1] is None else int(r[1]), r[2])
                for r in self.cursor.fetchall()]

    def backdated(self, event: EventChanges, change: RecordChange, recompute: Recompute) -> None:
        """An act dated before the record's latest version (the record standing now or
        removed since): applied from its time on as a replay "as of" each later day would
        apply it. A version from that time on gets the act applied to it (``recompute``; the
        current one gets the act's own result), split at the act's time if it began before;
        in a gap, where the record did not stand, the act creates it if it would from
        nothing; and a record removed since stands again, as the act leaves it, from its last
        removal on."""
        t = event.moment
        at = t  # every moment before ``at`` is done
        standing = False
        for valid_from, valid_to, old in self._versions_from(change, t):
            if valid_from > at:
                created = recompute(event.domain_event, change.kind, change.key, None)
                if isinstance(created, str):
                    self._insert(change, at, valid_from, event.position, created)
            if valid_to is None:
                standing = True
                if change.body is None:
                    self._removed(event, change, valid_from)
                elif change.body != old:
                    self._rewrite(event, change, valid_from, valid_to, change.body)
                break
            new_body = recompute(event.domain_event, change.kind, change.key, old)
            if new_body is REMOVED:
                self._removed(event, change, valid_from)
            elif new_body is not None and new_body != old:
                self._rewrite(event, change, valid_from, valid_to, new_body)
            at = valid_to
        if not standing and change.body is not None:
            self._insert(change, at, None, event.position, change.body)

    def _removed(self, event: EventChanges, change: RecordChange, valid_from: int) -> None:
        """The version ``valid_from`` with the act that removes the record applied: it ends
        at the act's time, or, begun at or after it, never stood."""
        t = event.moment
        if valid_from >= t:
            self.cursor.execute(self.sql["delete"], (change.kind, change.key, valid_from))
        else:
            self.cursor.execute(self.sql["close"], (t, change.kind, change.key, valid_from))

    def _rewrite(
        self, event: EventChanges, change: RecordChange, valid_from: int, valid_to: int | None,
        new_body: str,
    ) -> None:
        """The version ``valid_from`` with the act at ``event.moment`` applied: split at the
        act's time when it began before it."""
        t = event.moment
        if valid_from < t:
            self.cursor.execute(self.sql["close"], (t, change.kind, change.key, valid_from))
            self.cursor.execute(
                self.sql["insert"], (change.kind, change.key, t, valid_to, event.position,
                                     new_body),
            )
        else:
            self.cursor.execute(
                self.sql["update"], (new_body, event.position, change.kind, change.key,
                                     valid_from),
            )


def _statements(versions: str, records: str, tracking: str, mark: str) -> dict[str, str]:
    p = mark
    return {
        "latest_version": f"SELECT valid_from, valid_to FROM {versions} WHERE kind = {p} "
                          f"AND key = {p} ORDER BY valid_from DESC LIMIT 1",
        "insert": f"INSERT INTO {versions} (kind, key, valid_from, valid_to, position, body) "
                  f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
        # A record an act dated back creates before it first began (``_Writer.backdated``) begins
        # earlier: "as of" finds a record only from its ``first_from`` on.
        "record": f"INSERT INTO {records} AS r (kind, key, first_from, first_position) "
                  f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (kind, key) DO UPDATE "
                  "SET first_from = excluded.first_from "
                  "WHERE excluded.first_from < r.first_from",
        "close": f"UPDATE {versions} SET valid_to = {p} WHERE kind = {p} AND key = {p} "
                 f"AND valid_from = {p}",
        "update": f"UPDATE {versions} SET body = {p}, position = {p} WHERE kind = {p} "
                  f"AND key = {p} AND valid_from = {p}",
        "delete": f"DELETE FROM {versions} WHERE kind = {p} AND key = {p} AND valid_from = {p}",
        "from": f"SELECT valid_from, valid_to, body FROM {versions} WHERE kind = {p} "
                f"AND key = {p} AND (valid_to IS NULL OR valid_to > {p}) ORDER BY valid_from",
        "live": f"SELECT v.kind, v.key, v.body, r.first_position FROM {versions} v "
                f"JOIN {records} r ON r.kind = v.kind AND r.key = v.key "
                "WHERE v.valid_to IS NULL",
        # Driven by the records (one row each), each record's version found by one index
        # seek backwards from the moment: the cost follows the number of records, not of
        # versions.
        "as_of": (
            f"SELECT r.kind, r.key, (SELECT v.body FROM {versions} v WHERE v.kind = r.kind "
            f"AND v.key = r.key AND v.valid_from <= {p} "
            f"AND (v.valid_to IS NULL OR v.valid_to > {p}) "
            f"ORDER BY v.valid_from DESC LIMIT 1), r.first_position FROM {records} r "
            f"WHERE r.first_from <= {p}"
        ),
        "versions": f"SELECT valid_from, valid_to, position, body FROM {versions} "
                    f"WHERE kind = {p} AND key = {p} ORDER BY valid_from",
        "position": f"SELECT position FROM {tracking} WHERE name = {p}",
        "latest": f"SELECT latest FROM {tracking} WHERE name = {p}",
        "track": f"INSERT INTO {tracking} (name, position, latest) VALUES ({p}, {p}, {p}) "
                 "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                 "latest = excluded.latest",
    }


class SQLiteViewStore(ViewStore):
    """The tables in the service's SQLite file, on a connection of their own."""

    def __init__(
        self, service: str, name: str, dbname: str, lock_timeout: float, rules: str = "",
    ) -> None:
        super().__init__(service, name, rules)
        self.dbname = dbname
        self.lock_timeout = lock_timeout
        self._connection: sqlite3.Connection | None = None
        v, r, t = (f'"{self.prefix}_{s}"' for s in ("versions", "records", "tracking"))
        self._tables = (v, r, t)
        self.sql = _statements(v, r, t, "?")
        creates = [
            f"CREATE TABLE IF NOT EXISTS {v} (kind TEXT NOT NULL, key TEXT NOT NULL, "
            "valid_from INTEGER NOT NULL, valid_to INTEGER, position INTEGER NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (kind, key, valid_from)) WITHOUT ROWID",
            f'CREATE INDEX IF NOT EXISTS "{self.prefix}_live" ON {v} (kind, key) '
            "WHERE valid_to IS NULL",
            f"CREATE TABLE IF NOT EXISTS {r} (kind TEXT NOT NULL, key TEXT NOT NULL, "
            "first_from INTEGER NOT NULL, first_position INTEGER NOT NULL, "
            "PRIMARY KEY (kind, key)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {t} (name TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL, latest INTEGER)",
        ]
        own = {name.strip('"') for name in self._tables}
        listed = "SELECT name FROM sqlite_master WHERE type = 'table'"
        with self._lock:
            tables = {row[0] for row in self._connected().execute(listed)}
            if own <= tables and not self._stale(tables):
                return  # the usual start: nothing to create, so no write lock to wait for
            with self._in_transaction() as connection:
                # One transaction: a process with other rules starting at the same moment
                # finds either all of its tables or none.
                stale = self._stale([row[0] for row in connection.execute(listed)])
                for table in stale:
                    connection.execute(f'DROP TABLE "{table}"')
                for statement in creates:
                    connection.execute(statement)
        if stale:
            self._log_dropped(stale)

    @contextlib.contextmanager
    def _in_transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connected()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _connected(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.dbname, uri=True, check_same_thread=False, isolation_level=None,
                timeout=self.lock_timeout,
            )
            # Derived rows: a power cut may lose the last pages, which are applied again from
            # the log (the tracking position is lost with them).
            self._connection.execute("PRAGMA synchronous=NORMAL")
        return self._connection

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock, self._tables_there():
            return self._connected().execute(statement, params).fetchall()

    @contextlib.contextmanager
    def _tables_there(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                raise ReadModelGoneError(self.name) from error
            raise

    def _select_in_pages(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        # SQLite runs the query in this thread, stepping as rows are fetched: fetched a page
        # at a time, with a yield between pages, an "as of" over a long history never holds
        # up the eventlet hub (a ``ping``) for the whole query.
        rows: list[Any] = []
        with self._lock, self._tables_there():
            cursor = self._connected().execute(statement, params)
            while page := cursor.fetchmany(SELECT_PAGE):
                rows.extend(page)
                time.sleep(0)
        return rows


    def write(
        self, tracking: Tracking, events: Sequence[EventChanges], recompute: Recompute,
        latest: int | None = None,
    ) -> bool:
        with self._lock, self._tables_there(), self._in_transaction() as connection:
            cursor = connection.cursor()
            cursor.execute(self.sql["position"], (self.name,))
            row = cursor.fetchone()
            stored = int(row[0]) if row else 0
            if stored >= tracking.notification_id:
                return False  # nothing written: the commit ends an empty transaction
            writer = _Writer(cursor, self.sql)
            for event in events:
                if event.position > stored:
                    writer.apply(event, recompute)
            cursor.execute(self.sql["track"], (self.name, tracking.notification_id, latest))
            return True

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def drop(self) -> None:
        with self._lock:
            for table in self._tables:
                self._connected().execute(f"DROP TABLE IF EXISTS {table}")


class PostgresViewStore(ViewStore):
    """The tables in the service's PostgreSQL schema, on a connection of their own."""

    def __init__(
        self, service: str, name: str, schema: str, connect: Mapping[str, Any],
        rules: str = "",
    ) -> None:
        super().__init__(service, name, rules)
        self.schema = schema
        self._connect = dict(connect)
        self._connection: Any = None
        v, r, t = (f'"{schema}"."{self.prefix}_{s}"' for s in ("versions", "records", "tracking"))
        self._tables = (v, r, t)
        self.sql = _statements(v, r, t, "%s")
        self.sql["latest_versions"] = (
            "SELECT k.kind, k.key, v.valid_from, v.valid_to "
            "FROM unnest(%s::text[], %s::text[]) AS k (kind, key) "
            f"JOIN LATERAL (SELECT valid_from, valid_to FROM {v} WHERE kind = k.kind "
            "AND key = k.key ORDER BY valid_from DESC LIMIT 1) AS v ON true"
        )
        self._lock_key = f"{schema}.{self.prefix}"
        creates = [
            # Each new version ends the one before it (an UPDATE of valid_to), which leaves a
            # dead row behind in the table and in both indexes: vacuumed from 2 % dead rows
            # on (not PostgreSQL's 20 %), a start's read of the open versions, through the
            # partial index, does not wade through a million dead entries.
            f"CREATE TABLE IF NOT EXISTS {v} (kind text NOT NULL, key text NOT NULL, "
            "valid_from bigint NOT NULL, valid_to bigint, position bigint NOT NULL, "
            "body text NOT NULL, PRIMARY KEY (kind, key, valid_from)) "
            "WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000)",
            f'CREATE INDEX IF NOT EXISTS "{self.prefix}_live" ON {v} (kind, key) '
            "WHERE valid_to IS NULL",
            f"CREATE TABLE IF NOT EXISTS {r} (kind text NOT NULL, key text NOT NULL, "
            "first_from bigint NOT NULL, first_position bigint NOT NULL, "
            "PRIMARY KEY (kind, key))",
            f"CREATE TABLE IF NOT EXISTS {t} (name text PRIMARY KEY, position bigint NOT NULL, "
            "latest bigint)",
        ]

        def create(connection: Any) -> None:
            import psycopg

            with connection.transaction():
                # Locked by the read model's name, not its rules: a process with other rules
                # starting at the same moment waits, then finds all of its tables or none.
                connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                   (f"{schema}.{self.base}",))
                tables = [row[0] for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
                stale[:] = self._stale(tables)
                for table in stale:
                    connection.execute(f'DROP TABLE "{schema}"."{table}"')
                for statement in creates:
                    with contextlib.suppress(psycopg.errors.UniqueViolation,
                                             psycopg.errors.DuplicateTable):
                        connection.execute(statement)

        stale: list[str] = []
        with self._lock:
            self._run(create)
        if stale:
            self._log_dropped(stale)

    def _run(self, work: Callable[[Any], Any]) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(autocommit=True, **self._connect)
            self._connection.execute("SET synchronous_commit = off")
        try:
            return work(self._connection)
        except psycopg.Error as error:
            # A connection that failed mid-pipeline may hold statements psycopg counts as
            # prepared but the server never prepared: the next write starts on a new one.
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                connection.close()
            if isinstance(error, psycopg.errors.UndefinedTable):
                raise ReadModelGoneError(self.name) from error
            raise

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            result: list[Any] = self._run(
                lambda c: c.execute(statement, params).fetchall()
            )
            return result


    def write(
        self, tracking: Tracking, events: Sequence[EventChanges], recompute: Recompute,
        latest: int | None = None,
    ) -> bool:
        # Pipelined: the lock, the stored position and the changed records' latest versions
        # are read in one round trip; every write, the tracking and the commit follow without
        # waiting for each other (psycopg syncs the pipeline at the transaction's end and at
        # the commit): three round trips whatever the page changed. Each statement waited for
        # its own answer before: about eleven round trips for a signed letter's changes, a
        # third of the signing's time on PostgreSQL.
        keys = sorted({(c.kind, c.key) for event in events for c in event.changes})

        def work(connection: Any) -> bool:
            with (connection.pipeline(), connection.transaction(),
                  connection.cursor() as cursor, connection.cursor() as found):
                connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                   (self._lock_key,))
                cursor.execute(self.sql["position"], (self.name,))
                if keys:
                    found.execute(self.sql["latest_versions"], ([k for k, _ in keys],
                                                                [key for _, key in keys]))
                row = cursor.fetchone()
                stored = int(row[0]) if row else 0
                if stored >= tracking.notification_id:
                    return False
                versions: dict[tuple[str, str], tuple[int, int | None] | None] = (
                    dict.fromkeys(keys))
                if keys:
                    versions.update(((k, key), (int(f), None if to is None else int(to)))
                                    for k, key, f, to in found.fetchall())
                writer = _Writer(cursor, self.sql, versions)
                for event in events:
                    if event.position > stored:
                        writer.apply(event, recompute)
                cursor.execute(self.sql["track"], (self.name, tracking.notification_id, latest))
                return True

        with self._lock:
            done: bool = self._run(work)
            return done

    def tidy(self) -> None:
        # A long catch-up ended a version at nearly every event it wrote: the dead rows it
        # left made the next start's first read of the open versions take 4.3 s at 1 M
        # events (43 ms once vacuumed; bench/README.md). VACUUM cannot run in a transaction,
        # and on a connection of its own it holds up no query of the rows meanwhile.
        import psycopg

        with psycopg.connect(autocommit=True, **self._connect) as connection:
            for table in self._tables[:2]:  # the versions and the records
                connection.execute(f"VACUUM (ANALYZE) {table}")

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()

    def drop(self) -> None:
        def work(connection: Any) -> None:
            for table in self._tables:
                connection.execute(f"DROP TABLE IF EXISTS {table}")

        with self._lock:
            self._run(work)


def open_view_store(
    service: str, name: str, env: Mapping[str, str], rules: str = "",
) -> ViewStore | None:
    """The rows of read model ``name`` in the store ``env`` describes
    (``shared.persistence.store_environment``), written by ``rules``
    (``Projection.rules_digest``; the tables of other rules are dropped); None for a store in
    memory (the read model is then kept in memory and "as of" replays the log)."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module == SQLITE_MODULE:
        dbname = env.get("SQLITE_DBNAME") or ""
        if not dbname or ":memory:" in dbname or "mode=memory" in dbname:
            return None
        return SQLiteViewStore(service, name, dbname,
                               float(env.get("SQLITE_LOCK_TIMEOUT") or 5), rules)
    if module == POSTGRES_MODULE:
        return PostgresViewStore(service, name, env.get("POSTGRES_SCHEMA") or "public",
                                 postgres_connect(env), rules)
    return None

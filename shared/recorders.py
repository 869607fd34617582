"""The service's process recorder, with one more table: the commands that ran once
(docs/commands-once.md).

A creating command sent with the caller's ``command_id`` is stored with a row of the table
``<service>_commands`` (next to eventsourcing's tables: the same SQLite file, the same
PostgreSQL schema), **inserted in the same transaction as the command's events**: a crash at
any point leaves both or neither. The row says which command ran (``name``), with what
(``digest``: the payload and the caller, hashed) and what it answered (``answer``, as JSON
text), so that the same request sent again is answered from the row and stores nothing more.

``command_id`` is the primary key, and the row is inserted *before* the events: a second
transaction with the same id, even one racing the first, fails as a whole with
:class:`CommandAlreadyRecordedError` (PostgreSQL waits for the first to commit or roll back;
SQLite has one writer at a time).

The row goes in through eventsourcing's own hook, ``Application.save(..., command=record)``
→ ``recorder.insert_events(..., command=record)`` → ``_insert_events``, which runs inside
the insert's transaction (as the upstream ``tracking=`` position does).

The same transaction also stores each new event's signed CloudEvent in the service's outbox
(``shared.outbox``; docs/reliability.md, "Signed once, in the service"), once the service
has handed its recorder a :class:`shared.outbox.SignedInTransaction`
(:meth:`SignsIntoOutbox.sign_in_transaction`). The signature covers the event's position and
the one before it: both are known inside the transaction, because eventsourcing serialises
inserts (the single writer on SQLite; a table lock on PostgreSQL), so the position before
the first new event is the largest one already stored.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.popo import POPOFactory, POPOProcessRecorder
from eventsourcing.postgres import PostgresFactory, PostgresProcessRecorder
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteProcessRecorder,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from shared.outbox import PostgresOutbox, SignedInTransaction
from shared.persistence import created

log = logging.getLogger(__name__)

# The keyword ``Application.save`` passes on to the recorder.
COMMAND = "command"


def table_name(service: str) -> str:
    return f"{service}_commands"


@dataclass(frozen=True)
class CommandRecord:
    """One command that ran: its caller's id, the RPC method, the digest of what it was asked
    (payload and caller) and its answer as JSON text."""

    command_id: UUID
    name: str
    digest: str
    answer: str


class CommandAlreadyRecordedError(IntegrityError):
    """Another transaction recorded this ``command_id`` first; nothing of this one is stored."""

    def __init__(self, command_id: UUID) -> None:
        super().__init__(f"command {command_id} is already recorded")
        self.command_id = command_id


class SignsIntoOutbox:
    """A recorder that stores its new events' signed CloudEvents in the same transaction."""

    signing: SignedInTransaction | None = None

    def sign_in_transaction(self, signing: SignedInTransaction | None) -> None:
        """From now on, store each new event's signed CloudEvent with it (None: stop)."""
        self.signing = signing


def signs_in_transaction(recorder: Any) -> bool:
    """Whether ``recorder`` stores its new events' signed CloudEvents in their transaction."""
    return isinstance(recorder, SignsIntoOutbox) and recorder.signing is not None


class CommandLog(ABC):
    """What a recorder that keeps the commands' table offers besides eventsourcing's API."""

    commands_table: str

    @abstractmethod
    def select_command(self, command_id: UUID) -> CommandRecord | None:
        """The recorded command ``command_id``, if it ran."""

    @abstractmethod
    def correct_answer(self, command_id: UUID, answer: str) -> None:
        """Replace a recorded answer (only when a use case answered other than the id of the
        record it created first: see ``ServiceApplication.run_once``)."""


def _record_of(kwargs: dict[str, Any]) -> CommandRecord | None:
    record = kwargs.get(COMMAND)
    if record is not None and not isinstance(record, CommandRecord):
        msg = f"{COMMAND}= takes a CommandRecord, not {type(record).__name__}"
        raise ProgrammingError(msg)
    return record


# Group commit, on both stores.


# At most this many commands in one group: its events are signed, inside its transaction,
# while the eventlet hub serves nothing else.
GROUP_LIMIT = 50


@dataclass(eq=False)  # each is itself: ``in`` compares identities
class _Waiting:
    """One insert waiting to be written with the others of its group."""

    stored_events: Sequence[StoredEvent]
    record: CommandRecord | None
    positions: Sequence[int] | None = None
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.positions is not None or self.error is not None


class GroupCommit(ABC):
    """**Group commit**: a command's events (and its record, and their signed CloudEvents)
    are written in one transaction with the inserts that wait when it is written. Each
    transaction pays its commit (an ``fsync`` on SQLite, a round trip and a WAL flush on
    PostgreSQL), and wakes the relay, which publishes, and the broker and the subscribers
    take, what one commit stored together. Whoever holds the writer's lock writes every
    waiting insert at once; the others find theirs written when they get the lock. A group
    that fails in any way (a command already recorded, a conflicting version, a lost
    connection) is rolled back whole and its inserts written one by one, each failing or not
    on its own, as without grouping."""

    # How many units of work (a service's workers, started or about to start) the process
    # has in hand, the writers among them; None: unknown (see ``count_work_with``).
    work_in_hand: Callable[[], int] | None = None

    def count_work_with(self, counter: Callable[[], int] | None) -> None:
        """Tell the writers how much work the process has in hand: a writer that is the
        only work (``counter()`` no more than the inserts waiting) waits for no one."""
        self.work_in_hand = counter

    def _start_grouping(self) -> None:
        self._writer = threading.Lock()
        self._waiting: list[_Waiting] = []

    def _insert_grouped(
        self, stored_events: Sequence[StoredEvent], record: CommandRecord | None
    ) -> Sequence[int]:
        waiting = _Waiting(stored_events, record)
        self._waiting.append(waiting)
        with self._writer:
            if not waiting.done:
                self._gather()
                # The longest waiting first, at most GROUP_LIMIT: the rest wait for the next.
                group = self._waiting[:GROUP_LIMIT]
                if waiting not in group:  # beyond the limit, or its writer was killed
                    group[GROUP_LIMIT - 1:] = [waiting]
                self._waiting = [w for w in self._waiting if w not in group]
                self._write_group(group)
        if waiting.error is not None:
            raise waiting.error
        assert waiting.positions is not None
        return waiting.positions

    def _gather(self) -> None:
        """Let the inserts that are about to arrive join the group (nothing here: on
        PostgreSQL they queue while the one before is written)."""
        return

    def _write_group(self, group: list[_Waiting]) -> None:
        if len(group) > 1 and self._write_together(group):
            return
        for waiting in group:
            try:
                self._write([waiting])
            except Exception as error:  # noqa: BLE001 - raised again in its own caller
                waiting.error = error

    def _write_together(self, group: list[_Waiting]) -> bool:
        """``group`` in one transaction; False (nothing stored) if it must go one by one."""
        try:
            if self._write(group):
                return True
        except Exception:
            log.debug("a group of %d inserts failed; writing them one by one", len(group),
                      exc_info=True)
            return False
        log.debug("a group of %d inserts holds a command that ran already; writing them one "
                  "by one", len(group))
        return False

    @abstractmethod
    def _write(self, group: Sequence[_Waiting]) -> bool:
        """``group`` in one transaction, setting each insert's positions; False (rolled
        back) if a command of a group of several was recorded already."""

    @staticmethod
    def _share_out(group: Sequence[_Waiting], positions: Sequence[int]) -> None:
        start = 0
        for waiting in group:
            end = start + len(waiting.stored_events)
            waiting.positions = positions[start:end]
            start = end


# SQLite: one file per service.


def events_table_statement(table: str) -> str:
    """The events' table with notification ids that are never issued twice.

    eventsourcing's table numbers notifications by SQLite's implicit rowid, which is the
    largest rowid plus one: after the last row is deleted (by hand), the next event gets the
    deleted one's id, and a relay already past it never publishes that event. AUTOINCREMENT
    keeps the largest id ever issued (in ``sqlite_sequence``) and never goes below it. The
    column is called ``rowid``, so eventsourcing's own statements (``SELECT rowid, *``) read
    it unchanged."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table} ("
        "rowid INTEGER PRIMARY KEY AUTOINCREMENT, "
        "originator_id TEXT, "
        "originator_version INTEGER, "
        "topic TEXT, "
        "state BLOB, "
        "UNIQUE (originator_id, originator_version))"
    )


def adopt_never_reused_ids(datastore: Any, table: str) -> bool:
    """Rebuild an events' table created without AUTOINCREMENT (a store made before it) into
    one with it, keeping every notification id; True if it did. Under an immediate
    transaction, so a service and its relay opening the store together rebuild it once."""
    with datastore.get_connection(commit=True) as conn:
        c = conn.cursor()
        try:
            if not _needs_autoincrement(c, table):
                return False
            c.execute("BEGIN IMMEDIATE")
            try:
                if not _needs_autoincrement(c, table):  # another process rebuilt it meanwhile
                    conn.rollback()
                    return False
                rebuilt = f"{table}_rebuilt"
                c.execute(f"DROP TABLE IF EXISTS {rebuilt}")
                c.execute(events_table_statement(rebuilt))
                c.execute(
                    f"INSERT INTO {rebuilt} "
                    "(rowid, originator_id, originator_version, topic, state) "
                    "SELECT rowid, originator_id, originator_version, topic, state "
                    f"FROM {table} ORDER BY rowid"
                )
                c.execute(f"DROP TABLE {table}")
                c.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        except sqlite3.Error as error:
            raise OperationalError(error) from error
        finally:
            c.sqlite_cursor.close()
    return True


def _needs_autoincrement(c: SQLiteCursor, table: str) -> bool:
    c.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    row = c.fetchone()
    return row is not None and "AUTOINCREMENT" not in str(row["sql"]).upper()


class NeverReusedIds:
    """The events' table of :func:`events_table_statement` in a SQLite recorder, an older
    table rebuilt into it when the recorder creates its tables."""

    datastore: Any
    events_table_name: str
    create_table_statements: list[str]

    def _never_reused(self, statements: list[str]) -> list[str]:
        # The events' statement is replaced; the others (tracking, commands) are kept.
        table = f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
        return [events_table_statement(self.events_table_name) if s.startswith(table) else s
                for s in statements]

    def _named_insert(self) -> str:
        # eventsourcing inserts with four unnamed values; the table has five columns.
        return (
            f"INSERT INTO {self.events_table_name} "
            "(originator_id, originator_version, topic, state) VALUES (?,?,?,?)"
        )

    def create_table(self) -> None:
        adopt_never_reused_ids(self.datastore, self.events_table_name)
        super().create_table()  # type: ignore[misc]


class SQLiteEventsRecorder(NeverReusedIds, SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder (the relay's, the command line's) on the
    events' table whose ids are never reused."""

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = self._named_insert()

    def construct_create_table_statements(self) -> list[str]:
        return self._never_reused(super().construct_create_table_statements())


# How many times, at most, a writer lets the eventlet hub go round before it takes its group
# (SQLiteCommandRecorder._gather).
GATHER_ROUNDS = 4


def green() -> bool:
    """Whether this process runs under eventlet's monkey-patching (a service), where
    SQLite's calls block every green thread; in plain threads SQLite's commit lets the others
    run, and they queue behind the writer as on PostgreSQL."""
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher

    return bool(patcher.is_monkey_patched("time"))


class SQLiteCommandRecorder(
    NeverReusedIds, SQLiteProcessRecorder, CommandLog, SignsIntoOutbox, GroupCommit
):
    def __init__(
        self, datastore: Any, *, events_table_name: str = "stored_events",
        commands_table: str = "commands",
    ) -> None:
        self.commands_table = commands_table
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_events_statement = self._named_insert()
        self._select_previous = (
            f"SELECT max(rowid) FROM {self.events_table_name} WHERE rowid < ?"
        )
        self._start_grouping()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events and kwargs.get("tracking") is None and set(kwargs) <= {
            COMMAND, "tracking"
        }:
            return self._insert_grouped(stored_events, _record_of(kwargs))
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self._committed(ids)
        return ids

    def _committed(self, positions: Sequence[int] | None) -> None:
        """Wake the relay for the signed events a transaction of this recorder has just
        committed: once a transaction, so once a group (PostgreSQL's transaction sends its
        own ``NOTIFY``)."""
        if self.signing is not None and positions:
            self.signing.outbox.committed(max(positions))

    def _gather(self) -> None:
        """A command runs from its message to its insert without ever yielding the eventlet
        hub (SQLite's calls block it), so no insert can queue while another is written. The
        writer lets the hub go round instead, until a round brings no new insert (at least
        twice: a message read in one round starts its worker in the next), unless the
        process has no other work in hand (:meth:`count_work_with`): then no one can join,
        and a lone command is written at once. In plain threads nothing is gathered: a
        ``time.sleep(0)`` there hands the GIL to any other thread, which may keep it for
        its whole switch interval (5 ms)."""
        if not green():
            return
        seen = len(self._waiting)
        for round_ in range(GATHER_ROUNDS):
            if self.work_in_hand is not None and self.work_in_hand() <= seen:
                return  # nothing else is running or about to start: no one can join
            time.sleep(0)
            now = len(self._waiting)
            if round_ and now == seen:
                return
            seen = now

    def _write(self, group: Sequence[_Waiting]) -> bool:
        positions: list[int] = []
        try:
            with self.datastore.transaction(commit=True) as c:
                for waiting in group:
                    kwargs = {} if waiting.record is None else {COMMAND: waiting.record}
                    positions.extend(self._insert_events(c, waiting.stored_events, **kwargs)
                                     or ())
        except CommandAlreadyRecordedError:
            if len(group) > 1:
                return False
            raise
        self._share_out(group, positions)
        self._committed(positions)
        return True

    def construct_create_table_statements(self) -> list[str]:
        statements = self._never_reused(super().construct_create_table_statements())
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.commands_table} ("
            "command_id TEXT PRIMARY KEY, "
            "name TEXT NOT NULL, "
            "digest TEXT NOT NULL, "
            "answer TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) "
            "WITHOUT ROWID"
        )
        return statements

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        record = _record_of(kwargs)
        if record is not None:
            # First, so that a racing duplicate is refused as such (one writer at a time).
            c.execute(
                f"INSERT INTO {self.commands_table} (command_id, name, digest, answer) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (command_id) DO NOTHING RETURNING command_id",
                (record.command_id.hex, record.name, record.digest, record.answer),
            )
            if c.fetchone() is None:
                raise CommandAlreadyRecordedError(record.command_id)
        positions = super()._insert_events(c, stored_events, **kwargs)
        if self.signing is not None and positions:
            # This connection is the only writer until the commit: the largest position
            # below the first new one is final.
            c.execute(self._select_previous, (positions[0],))
            found = c.fetchone()
            previous = found[0] if found is not None else None
            rows = self.signing.rows(stored_events, positions, previous)
            if rows:
                c.executemany(self.signing.outbox.insert_statement, rows)
        return positions

    def select_command(self, command_id: UUID) -> CommandRecord | None:
        # One statement in autocommit mode: no BEGIN and ROLLBACK around it.
        with self.datastore.get_connection(commit=False) as conn:
            c = conn.cursor()
            try:
                c.execute(
                    f"SELECT name, digest, answer FROM {self.commands_table} "
                    "WHERE command_id = ?",
                    (command_id.hex,),
                )
                row = c.fetchone()
            except sqlite3.Error as error:
                raise OperationalError(error) from error
            finally:
                c.sqlite_cursor.close()
        if row is None:
            return None
        return CommandRecord(command_id, row["name"], row["digest"], row["answer"])

    def correct_answer(self, command_id: UUID, answer: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"UPDATE {self.commands_table} SET answer = ? WHERE command_id = ?",
                (answer, command_id.hex),
            )


# PostgreSQL: one schema per service.


class PostgresCommandRecorder(
    PostgresProcessRecorder, CommandLog, SignsIntoOutbox, GroupCommit
):
    def __init__(
        self, datastore: Any, *, events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking", commands_table: str = "commands",
    ) -> None:
        super().__init__(
            datastore, events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        self.check_identifier_length(commands_table)
        self.commands_table = commands_table
        table = (Identifier(self.datastore.schema), Identifier(commands_table))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} ("
            "command_id uuid PRIMARY KEY, "
            "name text NOT NULL, "
            "digest text NOT NULL, "
            "answer text NOT NULL, "
            "recorded_at timestamptz NOT NULL DEFAULT now())"
        ).format(*table))
        # ON CONFLICT waits for a racing transaction with the same id to end: after its
        # commit nothing is returned, after its rollback this row goes in. No statement of
        # the insert's pipeline fails (a failed one would abort those queued after it and
        # leave psycopg's prepared statements out of step): the answer is read at once, as
        # eventsourcing reads its tracking insert's, before the events' table is locked.
        self._insert_command = SQL(
            "INSERT INTO {0}.{1} (command_id, name, digest, answer) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (command_id) DO NOTHING RETURNING command_id"
        ).format(*table)
        self._select_command = SQL(
            "SELECT name, digest, answer FROM {0}.{1} WHERE command_id = %s"
        ).format(*table)
        self._update_answer = SQL(
            "UPDATE {0}.{1} SET answer = %s WHERE command_id = %s"
        ).format(*table)
        self._two_trip: dict[str, bytes] | None = None
        # Group commit: inserts that arrive while one is being written wait, and the next
        # writer stores them all in one transaction.
        self._start_grouping()
        # Each inserted row also returns the largest position stored before the statement:
        # its sub-select sees the statement's snapshot, without the statement's own rows,
        # and the table lock taken just before it makes every earlier position final. The
        # signature of the first new event covers it (its ``prevsequence``).
        self.insert_events_statement += SQL(
            ", (SELECT max(notification_id) FROM {0}.{1}) AS previous_id"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        record = _record_of(kwargs)
        if self.datastore.enable_db_functions and record is not None:
            # That path inserts through a database function and skips _insert_events.
            msg = "commands cannot be recorded with POSTGRES_ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        if (stored_events and kwargs.get("tracking") is None
                and not self.datastore.enable_db_functions):
            # A command's events, and its record, in a transaction of two round trips
            # (:meth:`_write`), shared with the inserts waiting when it starts
            # (:class:`GroupCommit`): under load, commands queue for the events' table lock
            # (seven at a time on average at 10 callers).
            return self._insert_grouped(stored_events, record)
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _write(self, group: Sequence[_Waiting]) -> bool:
        """``group``'s events (and records, and their signed CloudEvents) in one transaction
        of two round trips, where eventsourcing's pipeline waits on the socket about fifteen
        times a command; each wait is a switch of the eventlet hub, and the table lock is
        held across them.

        1. ``BEGIN``, the commands' rows, the table lock and the events' insert, returning
           their positions and the position before them: one simple query, its values
           written as literals by psycopg's own adapters;
        2. the signed CloudEvents of those positions, the relay's ``pg_notify`` and
           ``COMMIT``.

        Sets each insert's positions; False (rolled back) if a command of a group of
        several was recorded already. Events with an upstream position (``tracking=``)
        take eventsourcing's own path."""
        records = [w.record for w in group if w.record is not None]
        stored_events = [event for w in group for event in w.stored_events]
        with self.datastore.get_connection() as conn:
            sql = self._two_trip_sql(conn)

            def value(obj: Any) -> bytes:
                return Literal(obj).as_bytes(conn)

            first = [b"BEGIN"]
            first.extend(
                b"".join((
                    sql["command"], value(record.command_id), b", ", value(record.name),
                    b", ", value(record.digest), b", ", value(record.answer),
                    sql["command_end"],
                ))
                for record in records
            )
            # No NOTIFY on eventsourcing's channel: nothing listens there (its subscriptions
            # are not used; the relay hears the outbox's pg_notify), and every notifying
            # commit takes the server's one notification-queue lock.
            first.append(sql["lock"])
            first.append(b"".join((
                sql["insert"],
                b", ".join(
                    b"".join((b"(", value(e.originator_id), b", ", value(e.originator_version),
                              b", ", value(e.topic), b", ", value(e.state), b")"))
                    for e in stored_events
                ),
                sql["insert_end"],
            )))
            committed = False
            try:
                with conn.cursor() as curs:
                    curs.execute(b"; ".join(first))
                    results = _result_sets(curs)
                    for number, record in enumerate(records, start=1):
                        if not results[number]:  # ON CONFLICT: that command ran already
                            if len(group) > 1:
                                return False
                            raise CommandAlreadyRecordedError(record.command_id)
                    positions, signed = self._signed(results[-1], stored_events)
                    last = [b"COMMIT"]
                    if signed:
                        last.insert(0, signed[0].literal_insert(signed[1], conn))
                    curs.execute(b"; ".join(last))
                    committed = True
            finally:
                if not committed and conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
        self._share_out(group, positions)
        return True

    def _two_trip_sql(self, conn: Any) -> dict[str, bytes]:
        """The fixed parts of :meth:`_write`'s statements, as bytes, made
        once (psycopg's ``SQL.format`` parses its template on every call)."""
        if self._two_trip is None:
            schema = Identifier(self.datastore.schema).as_bytes(conn)
            events = schema + b"." + Identifier(self.events_table_name).as_bytes(conn)
            commands = schema + b"." + Identifier(self.commands_table).as_bytes(conn)
            self._two_trip = {
                "command": b"INSERT INTO " + commands
                + b" (command_id, name, digest, answer) VALUES (",
                "command_end": b") ON CONFLICT (command_id) DO NOTHING RETURNING command_id",
                "lock": b"; ".join(_as_bytes(s, conn) for s in self.lock_table_statements),
                "insert": b"INSERT INTO " + events
                + b" (originator_id, originator_version, topic, state) VALUES ",
                "insert_end": b" RETURNING notification_id, (SELECT max(notification_id) FROM "
                + events + b") AS previous_id",
            }
        return self._two_trip

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        record = _record_of(kwargs)
        if record is not None:
            # Before the events' table lock: the row lock is always taken first.
            curs.execute(
                self._insert_command,
                (record.command_id, record.name, record.digest, record.answer),
                prepare=True,
            )
            if curs.fetchone() is None:
                raise CommandAlreadyRecordedError(record.command_id)
        super()._insert_events(curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions, signed = self._signed(curs.fetchall(), stored_events)
        if signed:
            outbox, rows = signed
            # In the insert's pipeline and transaction: its failure fails the commit.
            curs.execute(outbox.insert_statement, outbox.insert_parameters(rows), prepare=True)
        return positions

    def _signed(
        self, inserted: Sequence[DictRow], stored_events: Sequence[StoredEvent]
    ) -> tuple[list[int], tuple[PostgresOutbox, list[tuple[int, str]]] | None]:
        """The positions the events' insert returned, and the outbox with the signed rows
        to store in the same transaction (None: nothing to store)."""
        if len(inserted) != len(stored_events):
            msg = (f"Couldn't get all notification IDs (got {len(inserted)}, expected "
                   f"{len(stored_events)})")
            raise ProgrammingError(msg)
        positions = [row["notification_id"] for row in inserted]
        if self.signing is None or not positions:
            return positions, None
        rows = self.signing.rows(stored_events, positions, inserted[0]["previous_id"])
        outbox = self.signing.outbox
        assert isinstance(outbox, PostgresOutbox)
        return positions, (outbox, rows) if rows else None

    def select_command(self, command_id: UUID) -> CommandRecord | None:
        # One statement on an autocommit connection, as eventsourcing's own reads.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_command, (command_id,), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return CommandRecord(command_id, row["name"], row["digest"], row["answer"])

    def correct_answer(self, command_id: UUID, answer: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._update_answer, (answer, command_id))


def _as_bytes(statement: Any, conn: Any) -> bytes:
    if isinstance(statement, bytes):
        return statement
    if isinstance(statement, str):
        return statement.encode()
    as_bytes: bytes = statement.as_bytes(conn)
    return as_bytes


def _result_sets(curs: Cursor[DictRow]) -> list[list[DictRow]]:
    """The rows of every statement of a simple query (none for a command without rows)."""
    results = []
    while True:
        results.append(curs.fetchall() if curs.description is not None else [])
        if not curs.nextset():
            return results


# In memory (the kit's own unit tests).


class POPOCommandRecorder(POPOProcessRecorder, CommandLog):
    def __init__(self, commands_table: str = "commands") -> None:
        super().__init__()
        self.commands_table = commands_table
        self._commands: dict[UUID, CommandRecord] = {}

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        record = _record_of(kwargs)
        if record is not None and record.command_id in self._commands:
            raise CommandAlreadyRecordedError(record.command_id)
        super()._assert_uniqueness(stored_events, **kwargs)

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._update_table(stored_events, **kwargs)
        record = _record_of(kwargs)
        if record is not None:
            self._commands[record.command_id] = record
        return notification_ids

    def select_command(self, command_id: UUID) -> CommandRecord | None:
        with self._database_lock:
            return self._commands.get(command_id)

    def correct_answer(self, command_id: UUID, answer: str) -> None:
        with self._database_lock:
            record = self._commands[command_id]
            self._commands[command_id] = CommandRecord(
                command_id, record.name, record.digest, answer
            )


def command_recorder(factory: InfrastructureFactory[Any], service: str) -> ProcessRecorder:
    """The service's process recorder with its commands' table (created with the others
    when the environment says ``CREATE_TABLE``)."""
    table = table_name(service)
    if isinstance(factory, SQLiteFactory):
        sqlite = SQLiteCommandRecorder(factory.datastore, commands_table=table)
        if factory.env_create_table():
            created(sqlite.create_table)
        return sqlite
    if isinstance(factory, PostgresFactory):
        # The names eventsourcing's own factory gives the service's tables.
        prefix = factory.env.name.lower()
        postgres = PostgresCommandRecorder(
            factory.datastore, events_table_name=f"{prefix or 'stored'}_events",
            tracking_table_name=f"{prefix or 'notification'}_tracking", commands_table=table,
        )
        if factory.env_create_table():
            created(postgres.create_table)
        return postgres
    if isinstance(factory, POPOFactory):
        return POPOCommandRecorder(table)
    return factory.process_recorder()

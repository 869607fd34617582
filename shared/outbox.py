"""The outbox of signed CloudEvents: each stored event built and signed once, by the service
that stored it, in the transaction that stores it (docs/reliability.md, "Signed once, in the
service").

Signing (Ed25519, about 50 µs of CPU an event) is what limits the relay. The signature covers
``sequence`` and ``prevsequence``; eventsourcing serialises inserts (a table lock on
PostgreSQL, the single writer on SQLite), so both are known inside the insert's transaction.
The service's recorder (``shared.recorders``) builds each new event's CloudEvent with a
:class:`SignedInTransaction` (the same :class:`EnvelopeBuilder` the relay uses) and stores it
in the table ``<service>_cloudevents`` next to eventsourcing's tables (the same SQLite file;
the same PostgreSQL schema) before the commit: ``position`` (the notification id) and
``body`` (the signed CloudEvent as JSON text).

The outbox is never a source of truth: the relay and the catch-up reader build and sign any
position that has no row (an event the builder could not sign when it was stored, events
stored before the outbox existed), or whose row is not what the builder would produce now
(``EnvelopeBuilder.reuse_or_build``). :meth:`Outbox.record` signs notifications already
committed, for writers whose recorder does not sign in its transaction.

Each commit also wakes the relay (docs/reliability.md, "How the relay is woken"): on
PostgreSQL the outbox insert sends ``NOTIFY`` on the store's channel (:func:`notify_channel`)
in the same statement, so the relay hears it when the rows are committed; on SQLite the service
sends a datagram to the relay's socket (:func:`nudge_address`, derived from the SQLite
file) after the commit, non-blocking and fire-and-forget: with no relay listening it is simply
lost. The payload is the last position written. :class:`Waker` is the relay's side of both.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import select
import socket
import sqlite3
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent

from shared.envelope import EnvelopeBuilder, _previous_position, encode

log = logging.getLogger(__name__)

SQLITE_MODULE = "eventsourcing.sqlite"
POSTGRES_MODULE = "eventsourcing.postgres"


def table_name(service: str) -> str:
    return f"{service}_cloudevents"


# PostgreSQL truncates identifiers (and so channel names) to 63 bytes.
_MAX_CHANNEL = 63


def notify_channel(schema: str, service: str) -> str:
    """The ``LISTEN``/``NOTIFY`` channel of one service's store on PostgreSQL: per schema and
    service, so that stores sharing a database never wake each other's relays."""
    name = f"dutytrail.{schema}.{service}"
    if len(name.encode("utf-8")) > _MAX_CHANNEL:
        name = "dutytrail." + hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]
    return name


def nudge_address(dbname: str) -> str | None:
    """Where the relay of the SQLite store ``dbname`` listens for nudges: a Unix datagram
    socket in Linux's abstract namespace named after the file's real path (no file to leave
    behind, no length limit from deep directories); elsewhere a socket file next to the store,
    or None (no nudges: the relay polls) if that path is too long for a socket."""
    path = dbname.removeprefix("file:").split("?", 1)[0]
    if not path or ":memory:" in dbname or "mode=memory" in dbname:
        return None
    real = os.path.realpath(path)
    if sys.platform.startswith("linux"):
        return "\0dutytrail-relay-" + hashlib.sha256(real.encode("utf-8")).hexdigest()[:32]
    candidate = real + ".relay"
    return candidate if len(candidate.encode("utf-8")) < 100 else None


def _plain_socket() -> Any:
    """The standard library's socket module, even in a process eventlet has patched."""
    if "eventlet" in sys.modules:
        from eventlet import patcher

        return patcher.original("socket")
    return socket


def previous_position(recorder: ApplicationRecorder, before: int) -> int | None:
    """The position just before ``before`` in the log (usually ``before - 1``)."""
    if before > 1:
        found = recorder.select_notifications(start=before - 1, limit=1, stop=before - 1)
        if found:
            return found[0].id
    return _previous_position(recorder, before)


class Outbox(ABC):
    """One service's signed CloudEvents, by position."""

    # What a recorder runs inside its own transaction to store rows (SignedInTransaction).
    insert_statement: Any

    def __init__(self, service: str) -> None:
        self.service = service
        self.table = table_name(service)
        self._lock = threading.Lock()
        self._last_recorded = 0  # a position this process knows is in the log

    @abstractmethod
    def insert(self, rows: Sequence[tuple[int, str]]) -> None:
        """Store ``(position, body)`` rows (a position that has a row already is left as is),
        and wake the relay."""

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
        first, last = ordered[0].id, ordered[-1].id
        try:
            known = self._last_recorded
            # Nothing lies between two consecutive positions: no need to look the previous
            # up.
            previous = (
                known if known and known == first - 1 else previous_position(recorder, first)
            )
            rows = signed_rows(builder, ordered, previous)
            self.insert(rows)  # wakes the relay
        except BaseException:
            self.wake(last)  # the events are stored all the same: the relay signs them
            raise
        self._last_recorded = max(self._last_recorded, last)
        return len(rows)

    @abstractmethod
    def wake(self, position: int) -> None:
        """Tell the relay that the log holds events up to ``position``, without waiting and
        without ever failing (:meth:`insert` does it too)."""

    def committed(self, position: int) -> None:
        """A transaction that stored its signed events here (:class:`SignedInTransaction`)
        committed, the last at ``position``: wake the relay unless the commit did."""
        self.wake(position)

    @abstractmethod
    def read_after(
        self, events_table: str, after: int, limit: int
    ) -> list[tuple[Notification, str | None]]:
        """The events of ``events_table`` (the store's notification log, beside this table)
        after position ``after``, at most ``limit``, in order, each with its stored body
        (None: it has none), in one read of the store."""

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


class SignedInTransaction:
    """Builds and signs the CloudEvents of the events a recorder is inserting, so that it
    stores them in the outbox **in the same transaction** (``shared.recorders``): the events
    and their signed bodies commit together or not at all.

    Building is the only step allowed to fail quietly: an event the builder cannot sign now
    (which the relay then tries again) is stored without its body, with a warning. A failing
    outbox insert fails the whole transaction, events included.
    """

    def __init__(self, builder: EnvelopeBuilder, outbox: Outbox) -> None:
        self.builder = builder
        self.outbox = outbox

    def rows(
        self, stored: Sequence[StoredEvent], positions: Sequence[int], previous: int | None
    ) -> list[tuple[int, str]]:
        """``(position, signed body)`` of each event, ``previous`` being the position before
        the first; none if one of them cannot be built."""
        try:
            return signed_rows(self.builder, notifications_of(stored, positions), previous)
        except Exception:
            log.warning(
                "could not sign %d new events of %s in their transaction; the relay signs "
                "them", len(stored), self.outbox.service, exc_info=True,
            )
            return []


def notifications_of(
    stored: Sequence[StoredEvent], positions: Sequence[int]
) -> list[Notification]:
    """The notifications of events just inserted at ``positions``."""
    return [
        Notification(id=position, originator_id=event.originator_id,
                     originator_version=event.originator_version, topic=event.topic,
                     state=event.state)
        for position, event in zip(positions, stored, strict=True)
    ]


def signed_rows(
    builder: EnvelopeBuilder, notifications: Sequence[Notification], previous: int | None
) -> list[tuple[int, str]]:
    """``(position, signed body)`` of consecutive ``notifications`` of the log, ``previous``
    being the position before the first."""
    rows = []
    for notification in notifications:
        rows.append((notification.id, encode(builder.build(notification, previous))))
        previous = notification.id
    return rows


class SQLiteOutbox(Outbox):
    """The table in the service's SQLite file, beside eventsourcing's (several processes write
    the file: every write waits up to the store's lock timeout)."""

    def __init__(self, service: str, dbname: str, lock_timeout: float) -> None:
        super().__init__(service)
        self.dbname = dbname
        self.lock_timeout = lock_timeout
        self._connection: sqlite3.Connection | None = None
        self.nudge_address = nudge_address(dbname)
        self._nudger: socket.socket | None = None
        self._read_after: dict[str, str] = {}  # events' table -> the joined read
        # What a recorder runs, inside its transaction, with (position, body) rows.
        self.insert_statement = (
            f'INSERT INTO "{self.table}" (position, body) VALUES (?, ?) '
            "ON CONFLICT (position) DO NOTHING"
        )
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
                connection.executemany(self.insert_statement, rows)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        self.wake(max(position for position, _ in rows))

    def wake(self, position: int) -> None:
        """A datagram to the relay's socket: non-blocking, and lost if no relay listens (or
        if its queue is full: it is awake then anyway)."""
        if self.nudge_address is None:
            return
        try:
            if self._nudger is None:
                # The unpatched socket under eventlet: a non-blocking send never waits, so
                # the green socket's wait-and-retry loop would only add to every command.
                nudger = _plain_socket().socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                nudger.setblocking(False)
                self._nudger = nudger
            self._nudger.sendto(str(position).encode("ascii"), self.nudge_address)
        except OSError:
            pass  # no relay listening (ECONNREFUSED, ENOENT), or it is busy (EAGAIN)

    def bodies(self, first: int, last: int) -> dict[int, str]:
        with self._lock:
            cursor = self._connected().execute(
                f'SELECT position, body FROM "{self.table}" WHERE position BETWEEN ? AND ?',
                (first, last),
            )
            return dict(cursor.fetchall())

    def read_after(
        self, events_table: str, after: int, limit: int
    ) -> list[tuple[Notification, str | None]]:
        statement = self._read_after.get(events_table)
        if statement is None:
            statement = self._read_after[events_table] = (
                "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, "
                f'(SELECT o.body FROM "{self.table}" AS o WHERE o.position = e.rowid) '
                f'FROM "{events_table}" AS e WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?'
            )
        with self._lock:
            rows = self._connected().execute(statement, (after, limit)).fetchall()
        return [
            (Notification(id=position, originator_id=UUID(originator_id),
                          originator_version=version, topic=topic, state=state), body)
            for position, originator_id, version, topic, state, body in rows
        ]

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
        nudger, self._nudger = self._nudger, None
        if nudger is not None:
            nudger.close()


class PostgresOutbox(Outbox):
    """The table in the service's PostgreSQL schema; one connection (psycopg 3, autocommit),
    made again after a failure."""

    def __init__(self, service: str, schema: str, connect: Mapping[str, Any]) -> None:
        super().__init__(service)
        from psycopg import sql

        self.schema = schema
        self.channel = notify_channel(schema, service)
        self._literal_head: bytes | None = None
        self._connect = dict(connect)
        self._connection: Any = None
        table = sql.Identifier(schema, self.table)
        self._create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, body text NOT NULL)"
        ).format(table)
        # One statement, so one transaction: the relay hears the NOTIFY once the rows are
        # committed (a data-modifying WITH always runs to completion).
        self._insert = sql.SQL(
            "WITH stored AS (INSERT INTO {} (position, body) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[]) ON CONFLICT (position) DO NOTHING) "
            "SELECT pg_notify(%s, %s)"
        ).format(table)
        # The same inside a recorder's transaction (the NOTIFY is delivered at its commit).
        self.insert_statement = self._insert
        self._notify = sql.SQL("SELECT pg_notify(%s, %s)")
        self._select = sql.SQL(
            "SELECT position, body FROM {} WHERE position BETWEEN %s AND %s"
        ).format(table)
        self._delete = sql.SQL("DELETE FROM {} WHERE position = ANY(%s)").format(table)
        self._read_after: dict[str, Any] = {}  # events' table -> the joined read
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

        parameters = self.insert_parameters(rows)

        def work(connection: Any) -> None:
            connection.execute(self._insert, parameters, prepare=True)

        with self._lock:
            self._run(work)

    def literal_insert(self, rows: Sequence[tuple[int, str]], connection: Any) -> bytes:
        """:attr:`insert_statement` for ``rows`` with its values written in by
        ``connection``'s adapters, for a simple query that carries other statements."""
        from psycopg import sql

        def value(obj: Any) -> bytes:
            return sql.Literal(obj).as_bytes(connection)

        if self._literal_head is None:
            self._literal_head = (
                b"WITH stored AS (INSERT INTO "
                + sql.Identifier(self.schema, self.table).as_bytes(connection)
                + b" (position, body) VALUES "
            )
        return b"".join((
            self._literal_head,
            b", ".join(b"".join((b"(", value(p), b", ", value(b), b")")) for p, b in rows),
            b" ON CONFLICT (position) DO NOTHING) SELECT pg_notify(", value(self.channel),
            b", ", value(str(max(p for p, _ in rows))), b")",
        ))

    def insert_parameters(self, rows: Sequence[tuple[int, str]]) -> tuple[Any, ...]:
        """The parameters of :attr:`insert_statement` for ``rows``."""
        positions = [position for position, _ in rows]
        return positions, [body for _, body in rows], self.channel, str(max(positions))

    def committed(self, position: int) -> None:
        pass  # the NOTIFY went with the transaction's own commit

    def wake(self, position: int) -> None:
        """A NOTIFY on the connection this outbox has open, if it has one (never a new
        connection: after a failed insert the database is unlikely to answer, and the relay
        falls back to looking by itself)."""
        with self._lock:
            connection = self._connection
            if connection is None or connection.closed:
                return
            try:
                connection.execute(self._notify, (self.channel, str(position)))
            except Exception:
                log.debug("could not wake the %s relay", self.service, exc_info=True)

    def bodies(self, first: int, last: int) -> dict[int, str]:
        def work(connection: Any) -> dict[int, str]:
            return dict(connection.execute(self._select, (first, last)).fetchall())

        with self._lock:
            result: dict[int, str] = self._run(work)
            return result

    def read_after(
        self, events_table: str, after: int, limit: int
    ) -> list[tuple[Notification, str | None]]:
        statement = self._read_after.get(events_table)
        if statement is None:
            from psycopg import sql

            # The batch first, then each body by its key: as a join, the generic plan of the
            # prepared statement merges with the whole outbox (6 ms at 20,000 rows).
            statement = self._read_after[events_table] = sql.SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
                "e.state, (SELECT o.body FROM {} AS o WHERE o.position = e.notification_id) "
                "FROM (SELECT * FROM {} WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s) AS e ORDER BY e.notification_id"
            ).format(sql.Identifier(self.schema, self.table),
                     sql.Identifier(self.schema, events_table))

        def work(connection: Any) -> list[Any]:
            rows: list[Any] = connection.execute(statement, (after, limit), prepare=True).fetchall()
            return rows

        with self._lock:
            rows = self._run(work)
        return [
            (Notification(id=position, originator_id=originator_id,
                          originator_version=version, topic=topic, state=bytes(state)), body)
            for position, originator_id, version, topic, state, body in rows
        ]

    def delete(self, positions: Iterable[int]) -> None:
        wanted = list(positions)
        with self._lock:
            self._run(lambda connection: connection.execute(self._delete, (wanted,)))

    def close(self) -> None:
        with self._lock:
            self._drop()


class Waker(ABC):
    """The relay's side of the wake-up: waits until the service announces a write, until
    :meth:`interrupt`, or until a timeout, whichever comes first.

    Waiting is a ``select`` on the announcements' socket and on a socket pair of its own
    (:meth:`interrupt`): it blocks a plain process's thread, and under eventlet (monkey-patched
    ``select``) only the green thread that waits. An announcement may be lost (a service that
    crashed before it wrote the outbox, a full socket queue, a dropped connection) or stale:
    the relay never relies on one, it only reads the log sooner.
    """

    def __init__(self) -> None:
        self._interrupt_r, self._interrupt_w = socket.socketpair()
        self._interrupt_r.setblocking(False)
        self._interrupt_w.setblocking(False)
        self._closed = False

    @abstractmethod
    def _source(self) -> Any:
        """What to select on for announcements (a socket or a file descriptor), or None when
        there is none right now."""

    @abstractmethod
    def _take(self) -> list[str]:
        """Every announcement already received, without waiting."""

    @abstractmethod
    def _close_source(self) -> None:
        """Release what :meth:`_source` opened."""

    def wait(self, timeout: float, after: int = 0, also: Sequence[Any] = ()) -> bool:
        """Wait up to ``timeout`` seconds for a write past position ``after`` (True), or an
        interruption (True); False when the time ran out, or as soon as one of ``also``
        (sockets) can be read."""
        deadline = time.monotonic() + timeout
        while True:
            source = self._source()
            if self._news(after):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            watched = [self._interrupt_r, *also]
            if source is not None:
                watched.append(source)
            ready, _, _ = select.select(watched, [], [], remaining)
            if self._interrupt_r in ready:
                with contextlib.suppress(OSError):
                    while self._interrupt_r.recv(64):
                        pass
                return True
            if any(item in ready for item in also):
                return False

    def _news(self, after: int) -> bool:
        for payload in self._take():
            try:
                if int(payload) > after:
                    return True
            except ValueError:
                return True  # not a position: look at the log anyway
        return False

    def interrupt(self) -> None:
        """End the current (or the next) :meth:`wait` at once; safe from any thread."""
        with contextlib.suppress(OSError):
            self._interrupt_w.send(b"!")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_source()
        self._interrupt_r.close()
        self._interrupt_w.close()


class QuietWaker(Waker):
    """No announcements at all: waits only for :meth:`interrupt`, the ``also`` sockets or the
    time (a relay that polls)."""

    def _source(self) -> Any:
        return None

    def _take(self) -> list[str]:
        return []

    def _close_source(self) -> None:
        pass


class WakerUnavailableError(OSError):
    """Another relay listens to this store's announcements already."""


class DatagramWaker(Waker):
    """Listens for the SQLite service's nudges on a Unix datagram socket."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address
        self._bound = False
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        try:
            self._bind()
        except BaseException:
            self.close()
            raise
        self._bound = True

    def _bind(self) -> None:
        try:
            self._socket.bind(self.address)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            if self.address.startswith("\0") or not self._stale():
                msg = f"another relay listens on {self.address!r}"
                raise WakerUnavailableError(errno.EADDRINUSE, msg) from None
            os.unlink(self.address)  # left behind by a relay that died
            self._socket.bind(self.address)

    def _stale(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        probe.setblocking(False)
        try:
            probe.sendto(b"0", self.address)
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        except OSError:
            return False
        finally:
            probe.close()
        return False

    def _source(self) -> Any:
        return self._socket

    def _take(self) -> list[str]:
        payloads = []
        while True:
            try:
                payloads.append(self._socket.recv(64).decode("ascii", "replace"))
            except (BlockingIOError, InterruptedError):
                return payloads

    def _close_source(self) -> None:
        self._socket.close()
        if self._bound and not self.address.startswith("\0"):
            with contextlib.suppress(OSError):
                os.unlink(self.address)


class PostgresWaker(Waker):
    """Listens for the outbox's NOTIFY on a connection of its own (psycopg 3, autocommit).
    A connection that fails is made again at the next wait; until it is, waits time out."""

    def __init__(self, channel: str, connect: Mapping[str, Any]) -> None:
        super().__init__()
        self.channel = channel
        self._connect = dict(connect)
        self._connection: Any = None
        self._lost = False  # the connection failed: announcements may have been missed
        self._retry_at = 0.0
        try:
            self._listen()
        except Exception:
            log.warning("could not LISTEN on %s; retrying at the next wait", channel,
                        exc_info=True)

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        connection = psycopg.connect(autocommit=True, **self._connect)
        try:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def _source(self) -> Any:
        if self._connection is None:
            now = time.monotonic()
            if now < self._retry_at:
                return None
            try:
                self._listen()
            except Exception:
                self._retry_at = now + 1.0
                log.debug("could not LISTEN on %s", self.channel, exc_info=True)
                return None
            self._lost = True  # announced while not listening: look at the log
        return self._connection.fileno()

    def _take(self) -> list[str]:
        if self._lost:
            self._lost = False
            return ["lost"]
        if self._connection is None:
            return []
        try:
            return [n.payload for n in self._connection.notifies(timeout=0)]
        except Exception:
            log.warning("the LISTEN connection on %s failed; listening again", self.channel,
                        exc_info=True)
            self._close_source()
            return ["lost"]

    def _close_source(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def open_waker(service: str, env: Mapping[str, str]) -> Waker | None:
    """The relay's :class:`Waker` for the store ``env`` describes; None where there is none
    (in memory; another relay listening on the same SQLite store)."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module == SQLITE_MODULE:
        address = nudge_address(env.get("SQLITE_DBNAME") or "")
        return DatagramWaker(address) if address is not None else None
    if module == POSTGRES_MODULE:
        schema = env.get("POSTGRES_SCHEMA") or "public"
        return PostgresWaker(notify_channel(schema, service), postgres_connect(env))
    return None


def postgres_connect(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "host": env.get("POSTGRES_HOST") or "127.0.0.1",
        "port": env.get("POSTGRES_PORT") or "5432",
        "user": env.get("POSTGRES_USER") or "postgres",
        "password": env.get("POSTGRES_PASSWORD") or None,
        "dbname": env.get("POSTGRES_DBNAME") or "postgres",
        "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT") or 5),
    }


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
        schema = env.get("POSTGRES_SCHEMA") or "public"
        return PostgresOutbox(service, schema, postgres_connect(env))
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

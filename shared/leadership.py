"""Exactly one relay publishes a service's events at a time (docs/reliability.md, "One relay
leads").

Several relay processes may run for one service (replicas, or a standby): each is a
candidate, and only the one holding the service's leader lock publishes. The lock belongs to
the process's session with the store, so the operating system or the database releases it the
moment the process dies, whatever way it dies, and a standby takes over at its next try:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, keyed by the service's schema; a leader checks that connection every few seconds and
  steps down if it is lost (the database has then released the lock to someone else);
- SQLite: an exclusive ``flock`` on ``<store>.relay.lock`` beside the store's file (one
  machine, as the file is).

A new leader starts from the position the last one recorded: what the dead leader published
and did not record is published again, and subscribers drop it by CloudEvent ``id``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SQLITE_MODULE = "eventsourcing.sqlite"
POSTGRES_MODULE = "eventsourcing.postgres"
# How often a leader makes sure its lock's session is still there (PostgreSQL).
CHECK_SECONDS = 2.0


class LeaderLock(ABC):
    """A lock held by at most one process per service, released when that process dies."""

    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now."""

    @abstractmethod
    def still_held(self) -> bool:
        """Whether this process still holds the lock (False once it was lost)."""

    @abstractmethod
    def release(self) -> None: ...


class AlwaysLeader(LeaderLock):
    """A store in memory belongs to one process: its relay always leads."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLeaderLock(LeaderLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who leads, for an operator
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None  # a flock lasts as long as its descriptor

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class PostgresLeaderLock(LeaderLock):
    def __init__(self, key: int, connect: Mapping[str, Any]) -> None:
        self.key = key
        self._connect = dict(connect)
        self._connection: Any = None
        self._checked_at = 0.0

    def try_acquire(self) -> bool:
        import psycopg

        if self._connection is not None and self.still_held():
            return True
        self._drop()
        try:
            connection = psycopg.connect(autocommit=True, **self._connect)
        except psycopg.OperationalError:
            log.debug("cannot reach PostgreSQL for the relay's leader lock", exc_info=True)
            return False
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if not (row and row[0]):
            connection.close()
            return False
        self._connection = connection
        self._checked_at = time.monotonic()
        return True

    def still_held(self) -> bool:
        import psycopg

        connection = self._connection
        if connection is None or connection.closed:
            return False
        if time.monotonic() - self._checked_at < CHECK_SECONDS:
            return True
        try:
            connection.execute("SELECT 1")
        except psycopg.Error:
            self._drop()  # the session is gone, and the lock with it
            return False
        self._checked_at = time.monotonic()
        return True

    def release(self) -> None:
        connection = self._connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(Exception):
                connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` named after ``name``."""
    digest = hashlib.sha256(f"dutytrail.relay.leader:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def leader_lock(service: str, env: Mapping[str, str]) -> LeaderLock:
    """The leader lock of ``service``'s relays, for the store ``env`` describes."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module == SQLITE_MODULE:
        dbname = env.get("SQLITE_DBNAME") or ""
        if dbname and ":memory:" not in dbname and "mode=memory" not in dbname:
            return FileLeaderLock(Path(f"{dbname}.relay.lock"))
        return AlwaysLeader()
    if module == POSTGRES_MODULE:
        from shared.outbox import postgres_connect

        schema = env.get("POSTGRES_SCHEMA") or "public"
        return PostgresLeaderLock(advisory_key(f"{schema}.{service}"), postgres_connect(env))
    return AlwaysLeader()

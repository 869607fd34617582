"""Reporters' identities sealed at rest with a key per person (crypto-shredding).

A reporter's identity (name and contact) is encrypted with AES-256-GCM under a key made for
that person alone; the stored event holds only the ciphertext and the key's id. The keys live
in a table casework owns, ``casework_reporter_keys`` (in the service's SQLite file, or in its
PostgreSQL schema), outside the append-only event log: erasing a key deletes its row, after
which the ciphertext in the log (and in any copy or audit hash of it) can never be read again,
while the history itself stays whole (docs/casework.md, "Privacy").
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.errors import DomainError

TABLE = "casework_reporter_keys"
NONCE_BYTES = 12


class IdentityErasedError(DomainError):
    """The reporter's key was erased: the identity can never be read again."""


@dataclass(frozen=True)
class ReporterIdentity:
    name: str
    contact: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "contact": self.contact}


class KeyVault:
    """The per-person keys: made, read and erased; never updated."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._lock = threading.Lock()
        self._memory: dict[str, bytes] | None = None
        self._run: Callable[[str, tuple[Any, ...]], list[Any]]
        module = env.get("PERSISTENCE_MODULE") or ""
        if module == "eventsourcing.sqlite" and ":memory:" not in (env.get("SQLITE_DBNAME") or ""):
            self._sqlite(env.get("SQLITE_DBNAME") or "")
        elif module == "eventsourcing.postgres":
            self._postgres(env)
        else:
            self._memory = {}  # a store in memory (unit tests): keys die with it

    def _sqlite(self, dbname: str) -> None:
        connection = sqlite3.connect(dbname, check_same_thread=False, isolation_level=None,
                                     timeout=30)
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (key_id TEXT PRIMARY KEY, key BLOB NOT NULL)"
        )

        def run(statement: str, params: tuple[Any, ...]) -> list[Any]:
            return connection.execute(statement.replace("%s", "?"), params).fetchall()

        self._run = run
        self._close: Callable[[], None] = connection.close

    def _postgres(self, env: Mapping[str, str]) -> None:
        import psycopg

        schema = env.get("POSTGRES_SCHEMA") or "public"
        table = f'"{schema}"."{TABLE}"'
        connect: dict[str, Any] = {
            "host": env.get("POSTGRES_HOST") or "127.0.0.1",
            "port": env.get("POSTGRES_PORT") or "5432",
            "user": env.get("POSTGRES_USER") or "postgres",
            "password": env.get("POSTGRES_PASSWORD") or None,
            "dbname": env.get("POSTGRES_DBNAME") or "postgres",
        }
        holder: dict[str, Any] = {}

        def connection() -> Any:
            current = holder.get("connection")
            if current is None or current.closed:
                current = holder["connection"] = psycopg.connect(autocommit=True, **connect)
            return current

        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            connection().execute(
                f"CREATE TABLE IF NOT EXISTS {table} (key_id text PRIMARY KEY, key bytea NOT NULL)"
            )

        def run(statement: str, params: tuple[Any, ...]) -> list[Any]:
            cursor = connection().execute(statement.replace(TABLE, table), params)
            return cursor.fetchall() if cursor.description else []

        def close() -> None:
            current = holder.get("connection")
            if current is not None:
                current.close()

        self._run = run
        self._close = close

    def create(self, key_id: str | None = None) -> str:
        key_id = key_id or uuid4().hex
        key = AESGCM.generate_key(bit_length=256)
        with self._lock:
            if self._memory is not None:
                self._memory[key_id] = key
            else:
                self._run(f"INSERT INTO {TABLE} (key_id, key) VALUES (%s, %s)", (key_id, key))
        return key_id

    def get(self, key_id: str) -> bytes | None:
        with self._lock:
            if self._memory is not None:
                return self._memory.get(key_id)
            rows = self._run(f"SELECT key FROM {TABLE} WHERE key_id = %s", (key_id,))
        return bytes(rows[0][0]) if rows else None

    def erase(self, key_id: str) -> None:
        with self._lock:
            if self._memory is not None:
                self._memory.pop(key_id, None)
            else:
                self._run(f"DELETE FROM {TABLE} WHERE key_id = %s", (key_id,))

    def close(self) -> None:
        if self._memory is None:
            with contextlib.suppress(Exception):
                self._close()


class Sealer:
    """Seals and opens identities with the vault's keys; the reporter's id is bound to the
    ciphertext (associated data), so a ciphertext copied to another reporter does not open."""

    def __init__(self, vault: KeyVault) -> None:
        self.vault = vault

    def seal(self, reporter_id: UUID, identity: ReporterIdentity) -> tuple[str, str]:
        """``(key_id, ciphertext)`` for a new person (the key's id is the person's: one key
        each, and nothing random in the stored events but the ciphertext)."""
        key_id = self.vault.create(f"reporter-{reporter_id.hex}")
        key = self.vault.get(key_id)
        assert key is not None
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(identity.as_dict(), ensure_ascii=False).encode()
        sealed = nonce + AESGCM(key).encrypt(nonce, plain, reporter_id.bytes)
        return key_id, base64.b64encode(sealed).decode()

    def open(self, reporter_id: UUID, key_id: str, ciphertext: str) -> ReporterIdentity:
        key = self.vault.get(key_id)
        if key is None:
            msg = (
                f"The identity of reporter {reporter_id} was erased (its key is destroyed): "
                "it can never be read again."
            )
            raise IdentityErasedError(msg)
        sealed = base64.b64decode(ciphertext)
        try:
            plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                        reporter_id.bytes)
        except InvalidTag:
            msg = f"The sealed identity of reporter {reporter_id} does not open with its key."
            raise IdentityErasedError(msg) from None
        values = json.loads(plain)
        return ReporterIdentity(name=values["name"], contact=values["contact"])

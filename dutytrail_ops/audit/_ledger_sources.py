"""Where ``dutytrail audit verify`` and ``prove`` read a service's log from: the live store
(its events and the signed CloudEvents of its outbox) or an export (docs/audit.md, "Export
format"). Both give the same two walks: the leaves alone (fast), and the entries with their
signed records (to locate a damage)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification

from shared.ledger.events import CHECKPOINT_TOPIC
from shared.ledger.leaves import leaf_bytes, parse_leaf, stored_notifications
from shared.ledger.logs import ServiceLog
from shared.ledger.merkle import LEAF_PREFIX, TreeHasher
from shared.ledger.suites import sha256

READ_PAGE = 2000
LEAF_ATTRIBUTE = "ledgerleaf"
LEAF_HASH_ATTRIBUTE = "ledgerleafhash"
WITHHELD_TYPE = "dutytrail.ledger.withheld"


def events_file(folder: Path, service: str) -> Path:
    return folder / f"{service}.events.jsonl"


def checkpoints_file(folder: Path, service: str) -> Path:
    return folder / f"{service}.checkpoints.jsonl"


def verifier_key_file(folder: Path, service: str) -> Path:
    return folder / f"{service}.vkey"


def event_key_file(folder: Path, service: str) -> Path:
    return folder / f"{service}.pub"


def event_id(notification: Notification) -> str:
    return f"{notification.originator_id}:{notification.originator_version}"


def checkpoint_note(notification: Notification) -> str | None:
    """The signed note a checkpoint event carries (None for any other event, or a state
    that is not what a checkpoint stores)."""
    if notification.topic != CHECKPOINT_TOPIC:
        return None
    try:
        note = json.loads(notification.state).get("note")
    except (ValueError, AttributeError, TypeError):
        return None
    return note if isinstance(note, str) else None


# A leaf: its position, its hash, and the signed note if it is a checkpoint (a tuple: the
# fast walk makes one per stored event).
Leaf = tuple[int, bytes, str | None]


@dataclass
class Entry:
    index: int
    position: int
    leaf_hash: bytes
    notification: Notification | None  # None: withheld from this export (confidential)
    signed: dict[str, Any] | None  # the signed CloudEvent kept for it, if any
    id: str  # the event's id as stored (or as the export names it)


class LiveSource:
    """One service's store, read directly."""

    def __init__(self, log: ServiceLog, hasher: TreeHasher) -> None:
        self.log = log
        self.hasher = hasher
        self.service = log.service

    def last_position(self) -> int:
        return int(self.log.recorder.max_notification_id() or 0)

    def leaves(self) -> Iterator[Leaf]:
        hash_, prefix = self.hasher.hash, LEAF_PREFIX
        if hash_ is sha256:  # the usual suite, without two calls a leaf
            new = hashlib.sha256
            for notification in stored_notifications(self.log.recorder, page=READ_PAGE):
                note = (checkpoint_note(notification)
                        if notification.topic == CHECKPOINT_TOPIC else None)
                yield notification.id, new(prefix + leaf_bytes(notification)).digest(), note
            return
        for notification in stored_notifications(self.log.recorder, page=READ_PAGE):
            note = checkpoint_note(notification) if notification.topic == CHECKPOINT_TOPIC else None
            yield notification.id, hash_(prefix + leaf_bytes(notification)), note

    def entries(self, start_index: int, known: tuple[int, int] | None = None,
                ) -> Iterator[Entry]:
        """Every entry from leaf ``start_index`` on, with its signed record; ``known`` is a
        leaf's (index, position) at or before the start, to read from there."""
        index, after = (known[0], known[1]) if known else (-1, 0)
        page: list[Notification] = []
        for notification in stored_notifications(self.log.recorder, after=after,
                                                 page=READ_PAGE):
            index += 1
            if index < start_index:
                continue
            page.append(notification)
            if len(page) == READ_PAGE:
                yield from self._entries(page, index - len(page) + 1)
                page = []
        if page:
            yield from self._entries(page, index - len(page) + 1)

    def _entries(self, page: list[Notification], first_index: int) -> Iterator[Entry]:
        bodies = self._bodies(page[0].id, page[-1].id)
        for offset, notification in enumerate(page):
            yield Entry(
                first_index + offset, notification.id,
                self.hasher.leaf(leaf_bytes(notification)), notification,
                _decoded(bodies.get(notification.id)), event_id(notification),
            )

    def _bodies(self, first: int, last: int) -> dict[int, str]:
        if self.log.outbox is None:
            return {}
        return self.log.outbox.bodies(first, last)

    def signed_at(self, position: int) -> dict[str, Any] | None:
        return _decoded(self._bodies(position, position).get(position))

    def signed_position_of(self, wanted: str, after: int, until: int) -> int | None:
        """Where the outbox keeps the signed record of event ``wanted`` (after ``after``)."""
        start = after + 1
        while start <= until:
            stop = min(until, start + READ_PAGE - 1)
            for position, body in sorted(self._bodies(start, stop).items()):
                event = _decoded(body)
                if event is not None and event.get("id") == wanted:
                    return position
            start = stop + 1
        return None


class ExportSource:
    """One service's file of an export."""

    def __init__(self, folder: Path, service: str, hasher: TreeHasher) -> None:
        self.path = events_file(folder, service)
        self.service = service
        self.hasher = hasher

    def last_position(self) -> int:
        """The last line's position (for progress), read from the end of the file."""
        with self.path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 1_000_000))
            lines = [line for line in handle.read().splitlines() if line.strip()]
        try:
            return int(json.loads(lines[-1]).get("sequence") or 0) if lines else 0
        except (ValueError, AttributeError):
            return 0

    def _lines(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def _entry(self, index: int, line: dict[str, Any]) -> Entry:
        signed = {k: v for k, v in line.items() if k not in (LEAF_ATTRIBUTE, LEAF_HASH_ATTRIBUTE)}
        encoded = line.get(LEAF_ATTRIBUTE)
        if isinstance(encoded, str):
            notification = parse_leaf(base64.b64decode(encoded))
            return Entry(index, notification.id, self.hasher.leaf(base64.b64decode(encoded)),
                         notification, signed, event_id(notification))
        position = int(line.get("sequence") or 0)
        leaf_hash = base64.b64decode(str(line.get(LEAF_HASH_ATTRIBUTE, "")))
        return Entry(index, position, leaf_hash, None, None, str(line.get("id", "")))

    def leaves(self) -> Iterator[Leaf]:
        for index, line in enumerate(self._lines()):
            entry = self._entry(index, line)
            note = checkpoint_note(entry.notification) if entry.notification else None
            yield entry.position, entry.leaf_hash, note

    def entries(self, start_index: int, known: tuple[int, int] | None = None,
                ) -> Iterator[Entry]:
        with self.path.open(encoding="utf-8") as handle:
            index = -1
            for line in handle:
                if not line.strip():
                    continue
                index += 1
                if index >= start_index:  # the lines before are not even parsed
                    yield self._entry(index, json.loads(line))

    def signed_at(self, position: int) -> dict[str, Any] | None:
        return None  # an export keeps the records of the events it holds only

    def signed_position_of(self, wanted: str, after: int, until: int) -> int | None:
        for index, line in enumerate(self._lines()):
            entry = self._entry(index, line)
            if after < entry.position <= until and (entry.signed or {}).get("id") == wanted:
                return entry.position
        return None


Source = LiveSource | ExportSource


def _decoded(body: str | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        event = json.loads(body)
    except ValueError:
        return {}  # a damaged record: it fails verification
    return event if isinstance(event, dict) else {}

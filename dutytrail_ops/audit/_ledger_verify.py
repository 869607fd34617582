"""``dutytrail audit verify``'s engine (docs/audit.md, "What verify checks").

1. Every leaf is recomputed from what is stored and the log's Merkle root rebuilt as the
   leaves stream past (memory: one hash per level). Every checkpoint event met on the way is
   opened with the service's verifier key and its root compared with the root of the first
   ``size`` leaves. All checkpoints are thus checked against one append-only sequence of
   leaves, which is what a consistency proof between two consecutive ones proves.
2. A checkpoint whose root differs bounds the damage to the leaves after the last one that
   matched. Those, and the leaves no checkpoint covers yet, are checked one by one against the
   signed CloudEvent the service kept for each position (its outbox, or the export's line):
   the signature, the id at that position, the previous position it names, and the event
   rebuilt from the stored bytes. The first position that fails is reported, named as
   ``altered``, ``removed``, ``inserted`` or ``reordered``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from dutytrail_ops.audit._ledger_progress import Progress
from dutytrail_ops.audit._ledger_sources import Entry, Source
from shared.ledger.checkpoint import CheckpointError, open_note
from shared.ledger.events import EXPORTED_TOPIC, TRAIL_READ_TOPIC
from shared.ledger.merkle import RootBuilder, TreeHasher

Kind = Literal["altered", "removed", "inserted", "reordered", "unlocated"]
COMPARED = ("id", "type", "source", "subject", "time", "recordedtime", "dataclassification",
            "data")

# The acts the command line records in a service's log (which may lack the service's key).
AUDITORS_RECORDS = {EXPORTED_TOPIC: "an export's record", TRAIL_READ_TOPIC: "a trail read's record"}


@dataclass(frozen=True)
class Finding:
    service: str
    kind: Kind
    position: int
    event_id: str
    detail: str

    def message(self) -> str:
        event = f", event {self.event_id}" if self.event_id else ""
        return f"{self.service}: position {self.position}{event}: {self.kind} — {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "kind": self.kind, "position": self.position,
                "event_id": self.event_id, "detail": self.detail}


@dataclass
class CheckpointCheck:
    position: int  # of the checkpoint event in the log (0: one the auditor held)
    size: int
    time: str
    matches: bool
    held: bool = False  # given by the auditor (--checkpoints), not read from the log


@dataclass
class ServiceReport:
    service: str
    suite: str
    events: int = 0
    root: str = ""
    checkpoints: list[CheckpointCheck] = field(default_factory=list)
    checked_one_by_one: int = 0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service, "suite": self.suite, "events": self.events,
            "root": self.root, "checked_one_by_one": self.checked_one_by_one,
            "checkpoints": [c.__dict__ for c in self.checkpoints],
            "ok": self.finding is None,
            "finding": self.finding.as_json() if self.finding else None,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


class _Unsigned:
    """Builds a CloudEvent without signing it (to compare with the one that was signed)."""

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        return event


class LogVerifier:
    def __init__(self, source: Source, suite: str, hasher: TreeHasher, verifier_key: str,
                 event_verifier: Any, every_event: bool = False,
                 held: list[str] | None = None) -> None:
        from shared.envelope import EnvelopeBuilder

        self.source = source
        self.service = source.service
        self.suite = suite
        self.hasher = hasher
        self.key = verifier_key
        self.event_verifier = event_verifier
        self.every_event = every_event  # check every event against its signed record
        # Checkpoints the auditor kept (received when published): they hold even if the
        # log's own were deleted. One that does not open with the key is refused.
        origin = verifier_key.split("+", 1)[0]
        self.held = sorted(
            (open_note(note, verifier_key) for note in held or ()
             if note.split("\n", 1)[0] == origin),  # this log's, of the notes given
            key=lambda checkpoint: checkpoint.size,
        )
        self.builder = EnvelopeBuilder(self.service, signer=_Unsigned())
        self._ends: dict[int, tuple[int, int]] = {}  # size -> (index, position) of its last leaf
        self._covered = 0
        self._broken: Finding | None = None  # the first checkpoint event that does not verify

    def run(self, progress: Progress) -> ServiceReport:
        started = time.perf_counter()
        report = ServiceReport(self.service, self.suite)
        first_bad, deep_from = self._leaves(report, progress)
        if self.every_event:
            deep_from = 0
        elif not report.checkpoints and report.events:
            report.notes.append("no checkpoint in the log yet: every event is checked one by "
                                f"one (`dutytrail audit checkpoint {self.service}` signs one)")
        found = [f for f in (self._locate(deep_from, first_bad, report), self._broken)
                 if f is not None]
        report.finding = min(found, key=lambda f: f.position) if found else None
        report.seconds = time.perf_counter() - started
        return report

    # 1. Leaves and checkpoints.

    def _leaves(self, report: ServiceReport, progress: Progress) -> tuple[CheckpointCheck | None,
                                                                          int]:
        import base64

        builder = RootBuilder(self.hasher)
        deferred: list[tuple[CheckpointCheck, bytes]] = []
        append, reach = builder.append, progress.reach
        last = 0
        held = iter(self.held)
        waiting = next(held, None)
        for position, leaf_hash, note in self.source.leaves():
            while waiting is not None and waiting.size <= builder.size:
                report.checkpoints.append(self._held(waiting, builder, last))
                waiting = next(held, None)
            if note is not None:
                check = self._checkpoint(position, note, builder, deferred, report)
                if check is not None:
                    report.checkpoints.append(check)
                    # Where the leaves it covers end: the one-by-one pass may start there.
                    self._ends[builder.size] = (builder.size - 1, last)
            append(leaf_hash)
            reach(position)
            last = position
        while waiting is not None:  # sizes the log has no longer (or never had)
            report.checkpoints.append(self._held(waiting, builder, last))
            waiting = next(held, None)
        report.events = builder.size
        report.root = base64.b64encode(builder.root()).decode()
        if deferred:
            self._deferred(deferred)
        good = [c.size for c in report.checkpoints if c.matches]
        bad = [c for c in report.checkpoints if not c.matches]
        # Leaves a matching checkpoint vouches for, up to the first that does not match.
        first_bad_size = min((c.size for c in bad), default=report.events + 1)
        self._covered = max((size for size in good if size < first_bad_size), default=0)
        if bad:
            first_bad = min(bad, key=lambda c: c.size)
            before = [size for size in good if size < first_bad.size]
            return first_bad, max(before, default=0)
        return None, max(good, default=0)

    def _checkpoint(self, position: int, note: str, builder: RootBuilder,
                    deferred: list[tuple[CheckpointCheck, bytes]],
                    report: ServiceReport) -> CheckpointCheck | None:
        try:
            checkpoint = open_note(note, self.key)
        except CheckpointError as error:
            if self._broken is None:
                self._broken = Finding(self.service, "altered", position, "",
                                       f"the checkpoint stored here does not verify ({error})")
            return None
        if checkpoint.suite != self.suite:
            return None  # signed under another suite: verify with --suite
        moment = checkpoint.time.isoformat()
        check = CheckpointCheck(position, checkpoint.size, moment, False)
        if checkpoint.size > builder.size:
            return check  # it covers events that are no longer before it
        if checkpoint.size == builder.size:
            check.matches = builder.root() == checkpoint.root
            return check
        # Signed while other events were being stored: checked in one more walk.
        deferred.append((check, checkpoint.root))
        return check

    def _held(self, checkpoint: Any, builder: RootBuilder, last: int) -> CheckpointCheck:
        matches = checkpoint.size == builder.size and builder.root() == checkpoint.root
        if matches:
            self._ends[builder.size] = (builder.size - 1, last)
        return CheckpointCheck(0, checkpoint.size, checkpoint.time.isoformat(), matches,
                               held=True)

    def _deferred(self, deferred: list[tuple[CheckpointCheck, bytes]]) -> None:
        """Checkpoints of sizes well behind where they were stored: one more walk."""
        wanted = sorted(deferred, key=lambda item: item[0].size)
        builder = RootBuilder(self.hasher)
        at = 0
        for _, leaf_hash, _ in self.source.leaves():
            while at < len(wanted) and wanted[at][0].size == builder.size:
                wanted[at][0].matches = builder.root() == wanted[at][1]
                at += 1
            if at == len(wanted):
                return
            builder.append(leaf_hash)

    # 2. One by one, against the signed records.

    def _locate(self, deep_from: int, first_bad: CheckpointCheck | None,
                report: ServiceReport) -> Finding | None:
        previous: int | None = 0 if deep_from == 0 else None  # 0: the start of the log
        previous_id = ""
        unsigned: Entry | None = None
        last_checked = 0
        known = self._ends.get(deep_from) if deep_from > 0 else None
        if known is not None:
            previous = known[1]
        for entry in self.source.entries(max(0, deep_from - 1), known):
            if entry.index < deep_from:
                previous, previous_id = entry.position, entry.id
                continue
            report.checked_one_by_one += 1
            finding, is_unsigned = self._check(entry, previous, previous_id)
            if finding is not None:
                return finding
            if is_unsigned and entry.index >= self._covered:
                topic = entry.notification.topic if entry.notification is not None else ""
                if topic in AUDITORS_RECORDS:
                    # Recorded by an export or a trail on a host without the service's key:
                    # its relay publishes it and the next checkpoint covers it.
                    report.notes.append(f"position {entry.position}: {AUDITORS_RECORDS[topic]}"
                                        ", not signed yet (the next checkpoint covers it)")
                elif unsigned is None:
                    unsigned = entry
            previous, previous_id = entry.position, entry.id
            last_checked = entry.position
        if unsigned is not None:
            return Finding(self.service, "inserted", unsigned.position, unsigned.id,
                           "no signed record was kept for this event and no checkpoint covers "
                           "it: inserted directly in the store, or stored while its record "
                           "could not be written")
        if first_bad is not None and first_bad.size > report.events:
            return Finding(self.service, "removed", last_checked + 1, "",
                           f"a checkpoint signed at {first_bad.time} covers {first_bad.size} "
                           f"events, the log holds {report.events}: the events after position "
                           f"{last_checked} were removed")
        if first_bad is not None:
            return Finding(self.service, "unlocated", first_bad.position, "",
                           f"the checkpoint of {first_bad.size} events ({first_bad.time}) "
                           "does not match the stored events, and no signed record locates the "
                           f"change (positions up to {last_checked} read)")
        return None

    def _check(self, entry: Entry, previous: int | None,
               previous_id: str) -> tuple[Finding | None, bool]:
        from shared.envelope import parse_position
        from shared.signing import MATERIAL_ATTRIBUTE, SignatureError

        def found(kind: Kind, position: int, event_id: str, detail: str) -> Finding:
            return Finding(self.service, kind, position, event_id, detail)

        if entry.notification is None:  # withheld from this export: its leaf hash counts
            return None, False
        signed = entry.signed
        if signed is None or (MATERIAL_ATTRIBUTE not in signed and "id" in signed):
            return None, True  # no signed record kept for it (or exported unsigned)
        try:
            self.event_verifier.verify(signed)
        except SignatureError as error:
            return found("altered", entry.position, entry.id,
                         f"the signed record kept for this position fails verification "
                         f"({error})"), False
        signed_previous = parse_position(signed.get("prevsequence"))
        if parse_position(signed.get("sequence")) != entry.position:
            return found("altered", entry.position, entry.id,
                         f"the signed record here is of position {signed.get('sequence')}"), False
        stored_previous = previous or 0
        if previous is not None and signed_previous > stored_previous:
            removed = self.source.signed_at(signed_previous)
            removed_id = str(removed.get("id", "")) if removed else ""
            return found("removed", signed_previous, removed_id,
                         f"the event signed at position {entry.position} follows position "
                         f"{signed_previous}, which is no longer stored"), False
        if previous is not None and signed_previous < stored_previous:
            return found("inserted", stored_previous, previous_id,
                         f"the event signed at position {entry.position} follows position "
                         f"{signed_previous or 'none'}: the event stored at "
                         f"{stored_previous} was never signed in this place"), False
        if signed.get("id") != entry.id:
            elsewhere = self.source.signed_position_of(
                entry.id, 0, max(self.source.last_position(), entry.position))
            if elsewhere is not None:
                return found("reordered", entry.position, entry.id,
                             f"this event was signed at position {elsewhere}; position "
                             f"{entry.position} was signed for {signed.get('id')}"), False
            return found("altered", entry.position, str(signed.get("id")),
                         f"the stored event here is {entry.id}, not the one signed "
                         f"({signed.get('id')})"), False
        notification = entry.notification
        if not isinstance(notification.state, bytes):  # a row edited by hand, read as text
            notification = replace(notification, state=str(notification.state).encode())
        try:
            rebuilt = self.builder.build(notification, previous)
        except Exception as error:  # noqa: BLE001 - any failure to read it is a damage
            return found("altered", entry.position, entry.id,
                         f"the stored event cannot be read ({type(error).__name__})"), False
        changed = [name for name in COMPARED if rebuilt.get(name) != signed.get(name)]
        if changed:
            return found("altered", entry.position, entry.id,
                         f"the stored event differs from the one signed in: "
                         f"{', '.join(changed)}"), False
        return None, False

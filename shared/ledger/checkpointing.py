"""Signing a checkpoint of a service's log and storing it as an event of that log
(docs/audit.md, "Checkpoints as events").

A checkpoint covers the first ``size`` events of the log, all stored before it. The previous
checkpoint event keeps the subtree roots of what it covered (``frontier``), so the next one
reads only the events stored since; its resumed root must be the root it signed, else the
whole log is read again. The service signs one at an interval (the kit's timer) if its log
grew, and ``dutytrail audit checkpoint`` signs one on demand from the store itself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from shared.actors import Actor
from shared.clock import utcnow
from shared.ledger.checkpoint import Checkpoint, origin_of
from shared.ledger.config import district, ledger_suite
from shared.ledger.events import CHECKPOINT_TOPIC, Ledger, checkpoints_id
from shared.ledger.leaves import leaf_bytes, stored_notifications
from shared.ledger.merkle import ProofError, RootBuilder
from shared.ledger.suites import Signer, suite_named

Store = Callable[[Ledger.CheckpointSigned], None]


@dataclass(frozen=True)
class Previous:
    event: Ledger.CheckpointSigned

    @property
    def version(self) -> int:
        return int(self.event.originator_version)


def latest_checkpoint(recorder: ApplicationRecorder, mapper: Mapper[UUID],
                      origin: str) -> Previous | None:
    """The last checkpoint event the log holds for ``origin``."""
    stored = recorder.select_events(checkpoints_id(origin), desc=True, limit=1)
    if not stored:
        return None
    event = mapper.to_domain_event(stored[0])
    if not isinstance(event, Ledger.CheckpointSigned):
        return None
    return Previous(event)


def _resumed(previous: Previous | None, suite: str) -> tuple[RootBuilder, int]:
    """A builder at the end of what ``previous`` covered, and its last position; from
    scratch when there is none, when it was of another suite or its frontier is not the root
    it signed."""
    hasher = suite_named(suite).hasher
    if previous is None or previous.event.suite != suite:
        return RootBuilder(hasher), 0
    event = previous.event
    try:
        builder = RootBuilder.resume(
            hasher, event.size, [base64.b64decode(h) for h in event.frontier]
        )
    except (ProofError, ValueError):
        return RootBuilder(hasher), 0
    if builder.root() != base64.b64decode(event.root):
        return RootBuilder(hasher), 0
    return builder, event.last_position


def next_checkpoint(
    recorder: ApplicationRecorder, mapper: Mapper[UUID], service: str, signer: Signer, *,
    actor: Actor, suite: str | None = None, force: bool = False,
) -> Ledger.CheckpointSigned | None:
    """The next checkpoint event of ``service``'s log, signed, not yet stored; None (unless
    ``force``) when nothing but checkpoints was stored since the last one."""
    suite = suite_named(suite or ledger_suite()).name
    origin = origin_of(district(), service)
    previous = latest_checkpoint(recorder, mapper, origin)
    builder, last = _resumed(previous, suite)
    hasher = builder.hasher
    news = 0
    for notification in stored_notifications(recorder, after=last):
        builder.append(hasher.leaf(leaf_bytes(notification)))
        last = notification.id
        if notification.topic != CHECKPOINT_TOPIC:
            news += 1
    if not force and news == 0:
        return None
    now = utcnow().replace(microsecond=0)
    root = builder.root()
    note = Checkpoint(origin, builder.size, root, suite, now).sign(signer)
    return Ledger.CheckpointSigned(  # type: ignore[call-arg]
        originator_id=checkpoints_id(origin),
        originator_version=previous.version + 1 if previous is not None else 1,
        timestamp=now, actor=actor, origin=origin, size=builder.size,
        root=base64.b64encode(root).decode(), suite=suite, signed_at=now, last_position=last,
        frontier=[base64.b64encode(h).decode() for h in builder.frontier()], note=note,
    )

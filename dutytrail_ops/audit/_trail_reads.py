"""The record of who read a confidential matter's trail: one ``Ledger.TrailRead`` event
(contract ``trail_read``) in the log of each service whose confidential events the trail
showed, stored, signed and published like the service's own events and covered by its next
checkpoint, so that the record of a read is as tamper-evident as what was read (docs/audit.md,
"Trail and replay").

The event says who (the token's person and unit, and its roles), when, which matter, and how
many of the service's confidential events were shown. It is stored before the trail is printed:
a read that cannot be recorded is not shown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.utils import Environment

from shared.actors import Actor
from shared.clock import utcnow
from shared.ledger.events import TRAIL_READ_TOPIC, Ledger
from shared.ledger.logs import ServiceLog, open_log
from shared.persistence import open_factory

PAGE = 500


@dataclass(frozen=True)
class TrailRead:
    read_at: datetime
    person_id: str
    unit_id: str
    roles: str  # comma-separated, sorted
    matter: str
    events: int


def record(service: str, actor: Actor, roles: list[str], matter: str, events: int) -> None:
    """Store the read of ``events`` of ``service``'s confidential events in its log."""
    log = open_log(service)
    try:
        log.append([Ledger.TrailRead(  # type: ignore[call-arg]
            originator_id=uuid.uuid4(), originator_version=1, timestamp=utcnow(),
            actor=actor, roles=sorted(roles), matter=matter, events=events,
        )])
    finally:
        log.close()


def reads(service: str, env: Environment) -> list[TrailRead]:
    """Every recorded read of ``service``'s confidential events, in log order."""
    log = ServiceLog(service, open_factory(env).application_recorder(), None)
    found: list[TrailRead] = []
    try:
        after = 0
        while True:
            page = log.recorder.select_notifications(
                start=after, limit=PAGE, topics=(TRAIL_READ_TOPIC,), inclusive_of_start=False
            )
            for notification in page:
                event: Any = log.mapper.to_domain_event(notification)
                found.append(TrailRead(
                    event.timestamp, str(event.actor.person_id), str(event.actor.unit_id),
                    ",".join(event.roles), event.matter, event.events,
                ))
            if len(page) < PAGE:
                return found
            after = page[-1].id
    finally:
        log.close()

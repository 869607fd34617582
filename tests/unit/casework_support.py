"""What casework's unit tests share: the commission's and the party committee's actors, the
dates of 2026 the acts happen on, and supervision's escalated notices. The in-memory application itself is the ``app`` fixture
of tests/unit/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from shared.actors import Actor
from shared.contracts.supervision import RectificationNoticeEscalated
from shared.policy import UpstreamEvent
from tests.integration.casework_upstream import escalation

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
COMMISSION = Actor(person_id=uuid4(), unit_id=uuid4())
# The commission's principal, who approves what its staff propose.
PRINCIPAL = Actor(person_id=uuid4(), unit_id=COMMISSION.unit_id)
COMMITTEE = Actor(person_id=uuid4(), unit_id=uuid4())


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def escalated_notice(unit: UUID, route: str, n: int, time: datetime,
                     **more: Any) -> UpstreamEvent[RectificationNoticeEscalated]:
    """Supervision's ``n``-th event: a rectification notice to ``unit`` escalated to casework
    by ``route``."""
    notice = RectificationNoticeEscalated.model_validate(
        {"notice_id": uuid4(), **escalation(unit, route), **more})
    return UpstreamEvent(data=notice, id=f"{notice.notice_id}:{n}",
                         type="dutytrail.supervision.rectification_notice_escalated.v1",
                         source="/dutytrail/supervision", sequence=n, time=time)

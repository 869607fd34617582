"""What casework's unit tests share: the commission's and the party committee's actors, and
the dates of 2026 the acts happen on. The in-memory application itself is the ``app`` fixture
of tests/unit/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from shared.actors import Actor

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
COMMISSION = Actor(person_id=uuid4(), unit_id=uuid4())
# The commission's principal, who approves what its staff propose.
PRINCIPAL = Actor(person_id=uuid4(), unit_id=COMMISSION.unit_id)
COMMITTEE = Actor(person_id=uuid4(), unit_id=uuid4())


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)

"""Who acts: every command is issued by a person for a unit (traceable management).

There is one Actor type in the whole system: the public contract's model, which commands
carry, the domain records on every event and subscribers read as ``data.actor``.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.persistence import Transcoding

from shared.contracts.base import Actor

__all__ = ["SYSTEM_ACTOR", "Actor", "ActorAsDict"]

# The clock's own identity, for events recorded by check_deadlines rather than by a clerk.
SYSTEM_ACTOR = Actor(
    person_id=uuid5(NAMESPACE_URL, "urn:dutytrail:system:clock"),
    unit_id=uuid5(NAMESPACE_URL, "urn:dutytrail:system"),
)


class ActorAsDict(Transcoding):
    """Stores an Actor as its two ids, and reads it back as an Actor."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, Any]:
        return {"person_id": obj.person_id, "unit_id": obj.unit_id}

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor(person_id=data["person_id"], unit_id=data["unit_id"])

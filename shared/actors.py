"""Who acts: every command is issued by a person for a unit (traceable management)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5


@dataclass(frozen=True)
class Actor:
    person_id: UUID
    unit_id: UUID

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "unit_id": self.unit_id}


# The clock's own identity, for events recorded by check_deadlines rather than by a clerk.
SYSTEM_ACTOR = Actor(
    person_id=uuid5(NAMESPACE_URL, "urn:dutytrail:system:clock"),
    unit_id=uuid5(NAMESPACE_URL, "urn:dutytrail:system"),
)

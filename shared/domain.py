"""The base every service's aggregates share: what the aggregate is called, and the named
error raised when an id does not name one of its kind."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from shared.actors import Actor
from shared.errors import NotFoundError


class DomainAggregate(Aggregate):
    """An aggregate that knows its own name (``noun``) and its not-found error, so that an
    application loading an id of the wrong kind refuses with a message a clerk understands
    instead of failing on a missing attribute."""

    noun: ClassVar[str] = "record"
    NotFound: ClassVar[type[NotFoundError]] = NotFoundError

    class Event(Aggregate.Event):
        # Events stored before there was one Actor type carry the actor as a plain dict of
        # its two ids (version 1); they read back with an Actor like every newer event.
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            actor = state.get("actor")
            if isinstance(actor, dict):
                state["actor"] = Actor(person_id=actor["person_id"], unit_id=actor["unit_id"])

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        return cls.NotFound(f"No {cls.noun} {aggregate_id}.")

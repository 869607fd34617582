"""Reactions to other services' events, keyed by the public contract they react to.

An application marks a method with ``@reacts_to(UnitRegistered)``; the method receives an
:class:`UpstreamEvent` whose ``data`` is the validated contract object, and returns the
aggregates it changed (maybe none). :class:`Reactions` turns those marks into the policy one
upstream feed applies: it parses the envelope, dispatches on the event's type, and refuses as
poison an event whose data does not match its contract (docs/reliability.md).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from shared.actors import Actor
from shared.clock import as_aware
from shared.contracts import EventData, contract_for_model
from shared.envelope import parse_position
from shared.errors import PoisonMessageError

D = TypeVar("D", bound=EventData)
F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__dutytrail_reacts_to__"


@dataclass(frozen=True)
class UpstreamEvent(Generic[D]):
    """One upstream CloudEvent, its ``data`` validated against its public contract."""

    data: D
    id: str
    type: str
    source: str
    sequence: int
    time: datetime  # the business time of the act upstream

    @property
    def actor(self) -> Actor:
        return self.data.actor


def reacts_to(*contracts: type[EventData]) -> Callable[[F], F]:
    """Mark an application method as the reaction to these public event contracts."""

    def mark(method: F) -> F:
        setattr(method, _MARK, contracts)
        return method

    return mark


Reaction = Callable[[UpstreamEvent[Any]], Sequence[Any]]


class Reactions:
    """The policy of one application for one upstream: CloudEvent in, aggregates out.

    Event types the application does not react to change nothing (their positions still
    advance the consumer's tracking).
    """

    def __init__(self, app: object, upstream: str) -> None:
        self.upstream = upstream
        self._by_type: dict[str, tuple[type[EventData], Reaction]] = {}
        # The class, not the instance: reading every attribute of an Application instance
        # would trip its deprecated properties.
        for name, function in inspect.getmembers(type(app), inspect.isfunction):
            method = getattr(app, name)
            for model in getattr(function, _MARK, ()):
                info = contract_for_model(model)
                if info.service != upstream:
                    continue
                if info.type in self._by_type:
                    msg = f"two reactions to {info.type} in {type(app).__name__}"
                    raise ValueError(msg)
                self._by_type[info.type] = (model, method)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._by_type)

    def __call__(self, event: dict[str, Any]) -> Sequence[Any]:
        entry = self._by_type.get(str(event.get("type")))
        if entry is None:
            return []
        model, reaction = entry
        return reaction(parse_upstream_event(event, model))


def parse_upstream_event(event: dict[str, Any], model: type[D]) -> UpstreamEvent[D]:
    """The typed view of an upstream CloudEvent; poison if it does not match ``model``."""
    try:
        return UpstreamEvent(
            data=model.model_validate(event["data"]),
            id=str(event["id"]),
            type=str(event["type"]),
            source=str(event["source"]),
            sequence=parse_position(event["sequence"]),
            time=as_aware(datetime.fromisoformat(str(event["time"]))),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        msg = f"{event.get('type')} {event.get('id')} does not match its contract: {error}"
        raise PoisonMessageError(msg) from None

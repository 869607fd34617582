"""Which events make up one matter's trail, across services (docs/audit.md, "Trail and
replay").

An event joins the trail by one of four links, tried in this order:

- ``subject``: it is an event of the matter itself (its CloudEvent ``subject`` is the id);
- ``follows``: it is an event of a record another service created in reaction to the matter
  (that record's first event shares a trace with the trail), so its later life is followed;
- ``mentions``: its data names the matter's id, or a followed record's id, anywhere;
- ``trace``: it shares a trace id with an event already in the trail — the other events of the
  same command, and the reactions other services stored to it (docs/tracing.md).

The links are followed until nothing more joins (at most a few rounds). A record's mere
mention does not make it part of the matter (a letter names its unit; the unit's other letters
are not in the letter's trail), and the clock gives each record it marks a trace of its own, so
one record's overdue mark does not pull in every record marked in the same run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dutytrail_ops.audit._trail_read import ServiceEvents

SUBJECT, FOLLOWS, MENTIONS, TRACE = "subject", "follows", "mentions", "trace"
MAX_ROUNDS = 6


def trace_id(event: dict[str, Any]) -> str | None:
    from shared.tracing import trace_id_of

    return trace_id_of(event.get("traceparent"))


@dataclass(frozen=True)
class TrailEntry:
    service: str
    event: dict[str, Any]
    link: str

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(str(self.event["time"]))

    @property
    def recorded(self) -> datetime:
        return datetime.fromisoformat(str(self.event.get("recordedtime") or self.event["time"]))

    @property
    def name(self) -> str:
        """The event's type without the prefix and major (``letter_signed_by_issuer``)."""
        parts = str(self.event["type"]).split(".")
        return parts[2] if len(parts) > 2 else str(self.event["type"])

    @property
    def confidential(self) -> bool:
        return self.event.get("dataclassification") == "confidential"

    @property
    def trace_id(self) -> str | None:
        return trace_id(self.event)

    def order(self) -> tuple[datetime, datetime, str, str]:
        return (self.time, self.recorded, self.service, str(self.event.get("sequence", "")))


def mentions(value: Any, ids: set[str]) -> bool:
    """Does ``value`` (an event's data) hold one of ``ids`` anywhere?"""
    if isinstance(value, str):
        return value.lower() in ids
    if isinstance(value, dict):
        return any(mentions(v, ids) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, ids) for v in value)
    return False


def build_trail(matter: str, services: Sequence[ServiceEvents]) -> list[TrailEntry]:
    """The events of ``matter``'s trail, in business-time order."""
    wanted = matter.strip().lower()
    records = {wanted}
    traces: set[str] = set()
    home = {s.service for s in services for e in s.events if _subject(e) == wanted}
    joined: dict[tuple[str, str], TrailEntry] = {}
    for _ in range(MAX_ROUNDS):
        grew = False
        for service, event in _all(services):
            key = (service, str(event["id"]))
            if key in joined:
                continue
            link = _link(event, wanted, records, traces)
            if link is not None:
                joined[key] = TrailEntry(service, event, link)
                grew = True
        traces = {t for t in (entry.trace_id for entry in joined.values()) if t is not None}
        born = {
            _subject(entry.event) for entry in joined.values()
            if entry.link == TRACE and entry.service not in home
            and str(entry.event["id"]).endswith(":1")
        }
        if not grew and born <= records:
            break
        records |= born
    return sorted(joined.values(), key=TrailEntry.order)


def _all(services: Iterable[ServiceEvents]) -> Iterable[tuple[str, dict[str, Any]]]:
    for service in services:
        for event in service.events:
            yield service.service, event


def _subject(event: dict[str, Any]) -> str:
    return str(event.get("subject", "")).lower()


def _link(event: dict[str, Any], matter: str, records: set[str], traces: set[str]) -> str | None:
    subject = _subject(event)
    if subject == matter:
        return SUBJECT
    if subject in records:
        return FOLLOWS
    if mentions(event.get("data"), records):
        return MENTIONS
    trace = trace_id(event)
    if trace is not None and trace in traces:
        return TRACE
    return None


class Names:
    """Who is who, from responsibility's registers as the events tell them: a unit's name
    by its id, a cadre's name by their person id. Nothing else is named (a reporter is a
    random id and stays one)."""

    def __init__(self, services: Sequence[ServiceEvents]) -> None:
        from shared.actors import SYSTEM_ACTOR

        self.units: dict[str, str] = {str(SYSTEM_ACTOR.unit_id): "system"}
        self.people: dict[str, str] = {str(SYSTEM_ACTOR.person_id): "the clock"}
        for service in services:
            if service.service != "responsibility":
                continue
            for event in service.events:
                data = event.get("data") or {}
                kind = str(event.get("type", ""))
                if ".unit_registered." in kind or ".unit_renamed." in kind:
                    if data.get("unit_id") and data.get("name"):
                        self.units[str(data["unit_id"])] = str(data["name"])
                elif ".cadre_registered." in kind and data.get("person_id") and data.get("name"):
                    self.people[str(data["person_id"])] = str(data["name"])

    def actor(self, event: dict[str, Any]) -> dict[str, Any]:
        """The actor of ``event`` (ids, and the names known for them)."""
        actor = (event.get("data") or {}).get("actor") or {}
        person, unit = actor.get("person_id"), actor.get("unit_id")
        found: dict[str, Any] = {"person_id": person, "unit_id": unit}
        if person is not None and str(person) in self.people:
            found["person"] = self.people[str(person)]
        if unit is not None and str(unit) in self.units:
            found["unit"] = self.units[str(unit)]
        return found

    def describe(self, event: dict[str, Any]) -> str:
        actor = self.actor(event)
        person = actor.get("person") or _short(actor.get("person_id"))
        unit = actor.get("unit") or _short(actor.get("unit_id"))
        return f"{person} ({unit})" if unit else person


def _short(value: Any) -> str:
    return "?" if value is None else f"{str(value)[:8]}…"

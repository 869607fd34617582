"""The events as the report reads them: one :class:`Fact` per stored event, whatever service
stored it, and the period a report covers.

A fact is built from the event's CloudEvent form (``type``, ``time``, ``subject``, ``data``),
the form an auditor exports and every reader shares, so the report's figures are functions of
the published history only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class ReportPeriodError(ValueError):
    """A period a clerk cannot mean: its end before its start."""


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            msg = (f"the period ends ({self.end.isoformat()}) before it starts "
                   f"({self.start.isoformat()}): give --to on or after --from")
            raise ReportPeriodError(msg)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def by_end(self, day: date) -> bool:
        """Whether ``day`` is on or before the period's last day (cumulative figures)."""
        return day <= self.end


@dataclass(frozen=True)
class Fact:
    """One recorded act: which service stored it, the event's name (``letter_signed``), its
    business time (when it happened in the district), the record it is about and its data."""

    service: str
    name: str
    time: datetime
    subject: str
    data: Mapping[str, Any]

    @property
    def day(self) -> date:
        return self.time.date()

    def on(self, field: str) -> date:
        """The date the data states for the act (``held_on``, ``paid_on``…)."""
        value = self.data[field]
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def text(self, field: str) -> str:
        value = self.data.get(field)
        return "" if value is None else str(value)

    def amount(self, field: str) -> Decimal:
        """Money (a decimal string in yuan in the contract)."""
        return Decimal(str(self.data.get(field) or "0"))

    @classmethod
    def from_cloudevent(cls, event: Mapping[str, Any]) -> Fact:
        # dutytrail.<service>.<event>.v<major> (docs/contract.md)
        parts = str(event["type"]).split(".")
        return cls(
            service=parts[1], name=parts[2],
            time=datetime.fromisoformat(str(event["time"])),
            subject=str(event.get("subject", "")),
            data=event.get("data") or {},
        )


class History:
    """The recorded facts, grouped by event name, in the order they were recorded."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self._by_name: dict[str, list[Fact]] = defaultdict(list)
        self._units: dict[str, Unit] | None = None
        self.count = 0
        for fact in facts:
            self._by_name[fact.name].append(fact)
            self.count += 1

    def of(self, *names: str) -> list[Fact]:
        if len(names) == 1:
            return list(self._by_name.get(names[0], ()))
        found = [f for n in names for f in self._by_name.get(n, ())]
        return sorted(found, key=lambda f: f.time)

    def __iter__(self) -> Iterator[Fact]:
        for facts in self._by_name.values():
            yield from facts

    def units(self) -> dict[str, Unit]:
        """Every unit the history names, from the responsibility service's register (or, when
        that store is absent, what another service learned of it)."""
        if self._units is not None:
            return self._units
        found: dict[str, Unit] = {}
        for name in ("unit_learned", "unit_file_opened", "unit_registered"):  # last one wins
            for fact in self._by_name.get(name, ()):
                unit_id = fact.text("unit_id")
                found[unit_id] = Unit(unit_id, fact.text("name"), fact.text("kind"),
                                      fact.text("parent_unit_id") or None, fact.day)
        self._units = found
        return found

    def cadre_names(self) -> dict[str, str]:
        return {f.text("cadre_id"): f.text("name")
                for name in ("cadre_file_opened", "cadre_registered")
                for f in self._by_name.get(name, ()) if f.service != "casework"}


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    kind: str
    parent_unit_id: str | None
    registered_on: date

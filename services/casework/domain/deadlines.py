"""What every casework record with deadlines shares: its running deadlines, and the clock's
marks on them (a warning once, overdue once) recorded as the record's own events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.casework.domain.calendar import DeadlineRule
from shared.actors import Actor
from shared.domain import DomainAggregate


class WithDeadlines(DomainAggregate):
    """A record whose deadlines (``self.deadlines``: name → due, warned, overdue, met) the
    clock checks. Subclasses define the two events ``_deadline_warned`` and
    ``_deadline_overdue`` (each aggregate names its own), which call :meth:`_mark`."""

    def _table(self) -> dict[str, dict[str, Any]]:
        # Not a class annotation: eventsourcing would take it for a field of the created event.
        table: dict[str, dict[str, Any]] = self.__dict__.setdefault("deadlines", {})
        return table

    def _start_deadline(self, name: str, due: date) -> None:
        self._table()[name] = {"due": due, "warned": False, "overdue": False, "met": False}

    def _meet_deadline(self, name: str) -> None:
        if name in self._table():
            self._table()[name]["met"] = True

    def _mark(self, deadline: str, key: str) -> None:
        self._table()[deadline][key] = True

    def open_deadlines(self) -> dict[str, date]:
        return {n: d["due"] for n, d in self._table().items() if not d["met"]}

    def record_deadline_marks(
        self, as_of: datetime, rule: DeadlineRule, actor: Actor
    ) -> bool:
        """Record each warning and each overdue that is due by ``as_of`` and not recorded yet;
        whether anything was recorded."""
        recorded = False
        for name, entry in sorted(self._table().items()):
            if entry["met"]:
                continue
            state = rule.state(entry["due"], as_of.date())
            if state == "overdue" and not entry["overdue"]:
                self._deadline_overdue(deadline=name, due=entry["due"], actor=actor,
                                       occurred_at=as_of)
                recorded = True
            elif state == "warning" and not entry["warned"] and not entry["overdue"]:
                self._deadline_warned(deadline=name, due=entry["due"], actor=actor,
                                      occurred_at=as_of)
                recorded = True
        return recorded

    def _deadline_warned(self, deadline: str, due: date, actor: Actor,
                         occurred_at: datetime) -> None:
        raise NotImplementedError

    def _deadline_overdue(self, deadline: str, due: date, actor: Actor,
                          occurred_at: datetime) -> None:
        raise NotImplementedError

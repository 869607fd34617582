"""每周一督查一通报 (an inspection and a circular every week): a week, Monday to Sunday, with no
inspection held, or no circular issued, is itself a finding. The clock records it once per week
and kind, after the week is over.

The rule runs from the first Monday on or after the day supervision learned its first unit (the
district it supervises exists from then on), up to the last week that ended before the day the
clock looks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.supervision import WeeklyDutyKind
from shared.domain import DomainAggregate
from shared.errors import NotFoundError

WEEKLY_DUTIES: tuple[WeeklyDutyKind, ...] = get_args(WeeklyDutyKind)


class WeeklyFindingNotFoundError(NotFoundError):
    pass


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_week(since: date) -> date:
    """The first Monday on or after ``since``: the first whole week the rule applies to."""
    return since + timedelta(days=(7 - since.weekday()) % 7)


def weeks_ended(since: date, day: date) -> Iterator[date]:
    """The Mondays of every whole week from ``since`` that ended before ``day``."""
    monday = first_week(since)
    while monday + timedelta(days=6) < day:
        yield monday
        monday += timedelta(days=7)


def weekly_duties_missed(
    monday: date, inspected_on: Iterable[date], circulated_on: Iterable[date]
) -> list[WeeklyDutyKind]:
    """What the week starting ``monday`` lacked: an inspection held, a circular issued."""
    week = {monday + timedelta(days=n) for n in range(7)}
    done = {
        "inspection": any(d in week for d in inspected_on),
        "circular": any(d in week for d in circulated_on),
    }
    return [kind for kind in WEEKLY_DUTIES if not done[kind]]


class WeeklyFinding(DomainAggregate):
    """A week without an inspection, or without a circular: one record per week and kind, its
    id derived from both, so the store itself refuses a second."""

    noun: ClassVar[str] = "weekly finding"
    NotFound: ClassVar[type[NotFoundError]] = WeeklyFindingNotFoundError

    @staticmethod
    def create_id(week_start: date, kind: str) -> UUID:
        return derived_id(f"weekly-finding:{week_start.isoformat()}:{kind}")

    @event("Recorded")
    def __init__(
        self, week_start: date, week_end: date, kind: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.week_start = week_start
        self.week_end = week_end
        self.kind = kind

    @classmethod
    def record(cls, week_start: date, kind: str, actor: Actor, occurred_at: datetime
               ) -> WeeklyFinding:
        return cls(
            week_start=week_start,
            week_end=week_start + timedelta(days=6), kind=kind, actor=actor,
            occurred_at=occurred_at,
        )

"""Supervision's file on each unit registered with the responsibility service: its quarterly
reports (定期汇报) and the follow-up items waiting for its next inspection; and the rules of
who reports quarterly and by when."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.calendar import (
    check_quarter,
    days_left,
    deadline_passed,
    next_quarter,
    quarter_end,
    quarter_key,
    quarter_of,
    quarter_start,
    report_deadline,
)
from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.responsibility import UnitKind
from shared.contracts.supervision import ReportStatus
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError

UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
REPORT_STATUSES: tuple[ReportStatus, ...] = get_args(ReportStatus)


class UnitNotFoundError(NotFoundError):
    pass


class QuarterlyReportAlreadySubmittedError(ConflictError):
    pass


class QuarterNotStartedError(DomainError):
    pass


class UnitDoesNotReportError(DomainError):
    pass


class ReceiptDateInFutureError(DomainError):
    pass


# Who reports quarterly, and by when.


@dataclass(frozen=True)
class QuarterlyReporting:
    """The units of these kinds report every quarter, at the latest ``grace_days`` after it
    ends (DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS, DUTYTRAIL_QUARTERLY_REPORT_GRACE_DAYS).

    The discipline commission is a role, not an ordinary department: it receives the reports
    and does not owe itself one. Its unit is the one registered under
    ``commission_unit_code`` (DUTYTRAIL_COMMISSION_UNIT_CODE; empty: no unit is exempt).
    """

    unit_kinds: tuple[str, ...]
    grace_days: int
    commission_unit_code: str = ""

    def __post_init__(self) -> None:
        unknown = [k for k in self.unit_kinds if k not in UNIT_KINDS]
        if unknown or not self.unit_kinds:
            msg = f"quarterly reports come from units of kinds {UNIT_KINDS}, not {unknown}"
            raise ValueError(msg)
        if self.grace_days < 0:
            msg = f"the quarterly report grace must be days >= 0, not {self.grace_days}"
            raise ValueError(msg)

    def is_commission(self, unit_code: str) -> bool:
        return bool(self.commission_unit_code) and unit_code == self.commission_unit_code

    def reports(self, unit_kind: str, unit_code: str = "") -> bool:
        """Whether a unit of this kind and code owes quarterly reports (a unit given with no
        code is never taken for the commission)."""
        return unit_kind in self.unit_kinds and not self.is_commission(unit_code)

    def deadline(self, year: int, quarter: int) -> date:
        return report_deadline(year, quarter, self.grace_days)

    def owes(
        self, unit_kind: str, registered_on: date, year: int, quarter: int, unit_code: str = ""
    ) -> bool:
        """A unit of a reporting kind, other than the commission, owes a report for every
        quarter that ended after it was registered."""
        return (
            self.reports(unit_kind, unit_code) and registered_on <= quarter_end(year, quarter)
        )

    def quarters_past_deadline(
        self, unit_kind: str, registered_on: date, day: date, unit_code: str = ""
    ) -> Iterator[tuple[int, int]]:
        """Every quarter the unit owes a report for whose deadline has passed by ``day``."""
        if not self.reports(unit_kind, unit_code):
            return
        year, quarter = quarter_of(registered_on)
        while deadline_passed(self.deadline(year, quarter), day):
            yield year, quarter
            year, quarter = next_quarter(year, quarter)


def report_status(deadline: date, day: date, on_time: bool | None) -> ReportStatus:
    """Where a quarterly report stands on ``day``: submitted on time or late (``on_time`` is
    None while none was submitted), else missing once its deadline passed, pending until."""
    if on_time is not None:
        return "on_time" if on_time else "late"
    return "missing" if deadline_passed(deadline, day) else "pending"


def days_late(deadline: date, submitted_on: date) -> int:
    return max(0, -days_left(deadline, submitted_on))


class UnitFile(DomainAggregate):
    """Supervision's file on one unit registered with the responsibility service: its
    quarterly reports and the follow-up items waiting for its next inspection.

    Its id is derived from the unit's id in this service's namespace, so that a CloudEvent id
    (``<aggregate id>:<version>``) never repeats one of the responsibility service's.
    """

    noun: ClassVar[str] = "unit"
    NotFound: ClassVar[type[NotFoundError]] = UnitNotFoundError

    @staticmethod
    def create_id(unit_id: UUID) -> UUID:
        return derived_id(f"unit-file:{unit_id}")

    @staticmethod
    def unknown(unit_id: UUID, why: str = "") -> UnitNotFoundError:
        """The error for a unit id supervision has not learned (its file's id is derived)."""
        return UnitNotFoundError(
            f"No unit {unit_id} is known: "
            + (why or "units are registered with the responsibility service, and "
               "supervision learns of them from its events")
            + "."
        )

    @event("Learned")
    def __init__(
        self,
        unit_id: UUID,
        code: str,
        name: str,
        kind: str,
        parent_unit_id: UUID | None,
        upstream_event_id: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.unit_id = unit_id
        self.code = code
        self.name = name
        self.kind = kind
        self.parent_unit_id = parent_unit_id
        self.registered_at = occurred_at
        self.reports: dict[str, dict[str, Any]] = {}
        self.missing_flagged: set[str] = set()
        self.follow_ups: dict[UUID, dict[str, Any]] = {}

    # Quarterly reports.

    def owes_report(self, year: int, quarter: int, reporting: QuarterlyReporting) -> bool:
        return reporting.owes(self.kind, self.registered_at.date(), year, quarter, self.code)

    def check_reports(self, reporting: QuarterlyReporting) -> None:
        if reporting.is_commission(self.code):
            msg = (
                f"{self.name} is the discipline commission: it receives the quarterly reports "
                "and does not owe itself one."
            )
            raise UnitDoesNotReportError(msg)
        if not reporting.reports(self.kind):
            msg = (
                f"{self.name} is a {self.kind.replace('_', ' ')}; quarterly reports come from "
                + ", ".join(k.replace("_", " ") + "s" for k in reporting.unit_kinds)
                + "."
            )
            raise UnitDoesNotReportError(msg)

    def report_status(
        self, year: int, quarter: int, day: date, reporting: QuarterlyReporting
    ) -> ReportStatus:
        report = self.reports.get(quarter_key(year, quarter))
        on_time = None if report is None else bool(report["on_time"])
        return report_status(reporting.deadline(year, quarter), day, on_time)

    def submit_quarterly_report(
        self,
        year: int,
        quarter: int,
        summary: str,
        reporting: QuarterlyReporting,
        actor: Actor,
        occurred_at: datetime,
        *,
        learned_at: datetime,
        received_on: date | None = None,
    ) -> None:
        """Record the unit's report for a quarter. Its lateness is judged against when the
        system learned of it (``learned_at``, the moment it is recorded), never against the
        date the caller claims (``occurred_at``): a report entered today that claims a day in
        April is late. A paper report is judged against ``received_on``, the day the
        commission received it, which only a commission clerk records."""
        self.check_reports(reporting)
        check_quarter(quarter)
        key = quarter_key(year, quarter)
        if key in self.reports:
            submitted = self.reports[key]["submitted_at"]
            msg = (
                f"{self.name} already submitted its report for {key} on {submitted:%Y-%m-%d}."
            )
            raise QuarterlyReportAlreadySubmittedError(msg)
        begun = quarter_start(year, quarter)
        if occurred_at.date() < begun or (received_on is not None and received_on < begun):
            msg = f"The report for {key} cannot be submitted before the quarter has begun."
            raise QuarterNotStartedError(msg)
        if received_on is not None and received_on > learned_at.date():
            msg = (
                f"A paper report cannot have been received on {received_on:%Y-%m-%d}, after "
                f"the day it is recorded ({learned_at:%Y-%m-%d})."
            )
            raise ReceiptDateInFutureError(msg)
        judged_on = (
            received_on if received_on is not None else max(occurred_at, learned_at).date()
        )
        deadline = reporting.deadline(year, quarter)
        late = days_late(deadline, judged_on)
        self._quarterly_report_submitted(
            unit_id=self.unit_id, year=year, quarter=quarter, summary=summary,
            deadline=deadline, on_time=late == 0, days_late=late, received_on=received_on,
            actor=actor, occurred_at=occurred_at,
        )

    @event("QuarterlyReportSubmitted")
    def _quarterly_report_submitted(
        self,
        unit_id: UUID,
        year: int,
        quarter: int,
        summary: str,
        deadline: date,
        on_time: bool,
        days_late: int,
        actor: Actor,
        occurred_at: datetime,
        received_on: date | None = None,  # absent from events stored before paper receipts
    ) -> None:
        self.reports[quarter_key(year, quarter)] = {
            "submitted_at": occurred_at, "on_time": on_time, "days_late": days_late,
        }

    def flag_missing_report_if_due(
        self,
        year: int,
        quarter: int,
        as_of: datetime,
        reporting: QuarterlyReporting,
        actor: Actor,
    ) -> bool:
        """Record, once, that the report for a quarter did not arrive by its deadline."""
        if quarter_key(year, quarter) in self.missing_flagged:
            return False
        if not self.owes_report(year, quarter, reporting):
            return False
        if self.report_status(year, quarter, as_of.date(), reporting) != "missing":
            return False
        self._quarterly_report_missing(
            unit_id=self.unit_id, year=year, quarter=quarter,
            deadline=reporting.deadline(year, quarter), actor=actor, occurred_at=as_of,
        )
        return True

    def flag_missing_reports_due(
        self, as_of: datetime, reporting: QuarterlyReporting, actor: Actor
    ) -> bool:
        """Flag every report missing by ``as_of`` not flagged yet; whether any was."""
        quarters = reporting.quarters_past_deadline(
            self.kind, self.registered_at.date(), as_of.date(), self.code
        )
        flagged = [
            self.flag_missing_report_if_due(year, quarter, as_of, reporting, actor)
            for year, quarter in quarters
        ]
        return any(flagged)

    @event("QuarterlyReportMissing")
    def _quarterly_report_missing(
        self,
        unit_id: UUID,
        year: int,
        quarter: int,
        deadline: date,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.missing_flagged.add(quarter_key(year, quarter))

    # Follow-up items for the unit's next inspection.

    @staticmethod
    def follow_up_id_for(task_id: UUID) -> UUID:
        return derived_id(f"follow-up:task-overdue:{task_id}")

    @property
    def open_follow_up_ids(self) -> list[UUID]:
        return [i for i, f in self.follow_ups.items() if f["addressed_by"] is None]

    def open_follow_up(
        self,
        task_id: UUID,
        task_title: str,
        task_deadline: date,
        upstream_event_id: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> bool:
        """Open a follow-up item for an overdue task of this unit, once per task."""
        follow_up_id = self.follow_up_id_for(task_id)
        if follow_up_id in self.follow_ups:
            return False
        self._follow_up_opened(
            unit_id=self.unit_id, follow_up_id=follow_up_id, task_id=task_id,
            task_title=task_title, task_deadline=task_deadline,
            upstream_event_id=upstream_event_id, actor=actor, occurred_at=occurred_at,
        )
        return True

    @event("FollowUpOpened")
    def _follow_up_opened(
        self,
        unit_id: UUID,
        follow_up_id: UUID,
        task_id: UUID,
        task_title: str,
        task_deadline: date,
        upstream_event_id: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.follow_ups[follow_up_id] = {"task_id": task_id, "addressed_by": None}

    def address_follow_ups(
        self, inspection_id: UUID, actor: Actor, occurred_at: datetime
    ) -> list[UUID]:
        """An inspection of this unit addresses every follow-up item still open."""
        addressed = self.open_follow_up_ids
        for follow_up_id in addressed:
            self._follow_up_addressed(
                unit_id=self.unit_id, follow_up_id=follow_up_id,
                task_id=self.follow_ups[follow_up_id]["task_id"], inspection_id=inspection_id,
                actor=actor, occurred_at=occurred_at,
            )
        return addressed

    @event("FollowUpAddressed")
    def _follow_up_addressed(
        self,
        unit_id: UUID,
        follow_up_id: UUID,
        task_id: UUID,
        inspection_id: UUID,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.follow_ups[follow_up_id]["addressed_by"] = inspection_id

"""The discipline commission's supervision responsibility: inspections, rectification notices,
bulletins, quarterly reports, the disclosure trail, and what it learns from the responsibility
service (units and tasks).

Every event records who acted (``actor``) and the business time of the act (``occurred_at``).
An unannounced visit's scheduling event carries nothing but its id and the actor: where, when
and whom appear only in the event recorded when the visit was conducted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import ConflictError, DomainError, NotFoundError

ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:supervision")

# Inspections recorded in one go; an unannounced visit is scheduled first, then conducted.
INSPECTION_KINDS = ("key_project", "weekly", "open_visit", "land_acquisition_demolition")
UNANNOUNCED_VISIT = "unannounced_visit"
PROBLEM_CATEGORIES = (
    "responsibility_not_fulfilled",
    "work_discipline",
    "eight_point_rules",
    "formalism_bureaucratism",
    "fund_management",
    "project_management",
    "land_acquisition_demolition",
    "public_service_conduct",
    "other",
)
BULLETIN_KINDS = ("special_report", "circular", "meeting_circular")
# "unit" is a district department, town or subdistrict (区直单位 and the like).
RECIPIENT_KINDS = ("unit", "community", "cadre")
RECIPIENT_UNIT_KINDS = ("district_department", "town", "subdistrict", "community")
NOTICE_STATUSES = (
    "issued",
    "acknowledged",
    "rectification_reported",
    "sent_back",
    "verified",
    "closed",
)
# Statuses in which the recipient still owes a rectification report: the deadline runs.
AWAITING_RECTIFICATION = ("issued", "acknowledged", "sent_back")
# Urgency, rising only: green (time enough, or awaiting verification), blue, yellow, red.
URGENCY_COLOURS = ("green", "blue", "yellow", "red")
DISCLOSURE_STEPS = ("topic_collected", "decided", "result_published", "execution_supervised")
STEP_WORDS = {
    "topic_collected": "topic collected",
    "decided": "decided at a meeting",
    "result_published": "result published",
    "execution_supervised": "execution supervised",
}


# Errors. Messages are for the clerk who issued the command.


class UnitNotFoundError(NotFoundError):
    pass


class InvalidInspectionError(DomainError):
    pass


class KeyProjectListNotFoundError(NotFoundError):
    pass


class ProjectNotOnListError(NotFoundError):
    pass


class ProjectAlreadyListedError(ConflictError):
    pass


class InspectionAlreadyRecordedError(ConflictError):
    pass


class VisitNotFoundError(NotFoundError):
    pass


class VisitAlreadyConductedError(DomainError):
    pass


class VisitCancelledError(DomainError):
    pass


class ProblemNotFoundError(NotFoundError):
    pass


class NoticeNotFoundError(NotFoundError):
    pass


class InvalidRecipientError(DomainError):
    pass


class InvalidNoticeError(DomainError):
    pass


class NoticeStepError(DomainError):
    """A step of a rectification notice's lifecycle taken out of turn."""


class NoticeNotAcknowledgedError(NoticeStepError):
    pass


class NoticeAlreadyAcknowledgedError(NoticeStepError):
    pass


class NoticeNotReportedError(NoticeStepError):
    pass


class NoticeNotVerifiedError(NoticeStepError):
    pass


class NoticeAlreadyClosedError(NoticeStepError):
    pass


class NoticeAlreadyEscalatedError(NoticeStepError):
    pass


class SelfExaminationMissingError(NoticeStepError):
    pass


class BulletinCitesUnknownNoticeError(NotFoundError):
    pass


class BulletinNotFoundError(NotFoundError):
    pass


class DuplicateBulletinRequestError(ConflictError):
    pass


class InvalidBulletinError(DomainError):
    pass


class QuarterlyReportAlreadySubmittedError(ConflictError):
    pass


class QuarterNotStartedError(DomainError):
    pass


class InvalidQuarterError(DomainError):
    pass


class UnitDoesNotReportError(DomainError):
    pass


class DecisionNotFoundError(NotFoundError):
    pass


class DisclosureStepOutOfOrderError(DomainError):
    pass


class NotACommunityError(DomainError):
    pass


class DisclosureBoardAlreadyInstalledError(ConflictError):
    pass


class DisclosureBoardNotFoundError(NotFoundError):
    pass


# Calendar rules.


def check_quarter(quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        msg = f"There is no quarter {quarter}: quarters are numbered 1 to 4."
        raise InvalidQuarterError(msg)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_start(year, quarter + 1) - timedelta(days=1)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def report_deadline(year: int, quarter: int, grace_days: int) -> date:
    """The last day a quarterly report is on time: ``grace_days`` after the quarter ends."""
    return quarter_end(year, quarter) + timedelta(days=grace_days)


def quarter_key(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def urgency_colour(days_left: int, blue_days: int, yellow_days: int) -> str:
    """The colour of a deadline ``days_left`` away: red when passed."""
    if days_left < 0:
        return "red"
    if days_left <= yellow_days:
        return "yellow"
    if days_left <= blue_days:
        return "blue"
    return "green"


# Problems found.


def check_problems(problems: Iterable[dict[str, Any]]) -> None:
    for number, problem in enumerate(problems, start=1):
        if problem.get("category") not in PROBLEM_CATEGORIES:
            msg = (
                f"Problem {number} has the category {problem.get('category')!r}; use one of: "
                + ", ".join(PROBLEM_CATEGORIES)
                + "."
            )
            raise InvalidInspectionError(msg)
        if problem.get("unit_id") is None and problem.get("cadre_id") is None:
            msg = f"Problem {number} names neither the unit nor the cadre it concerns."
            raise InvalidInspectionError(msg)
        if not str(problem.get("description", "")).strip():
            msg = f"Problem {number} has no description."
            raise InvalidInspectionError(msg)


def number_problems(record_id: UUID, problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each problem found a stable id, derived from the record and its position."""
    return [
        {
            "problem_id": uuid5(ID_NAMESPACE, f"problem:{record_id}:{index}"),
            "category": p["category"],
            "description": p["description"],
            "unit_id": p.get("unit_id"),
            "cadre_id": p.get("cadre_id"),
        }
        for index, p in enumerate(problems, start=1)
    ]


def check_inspection(
    kind: str, project: dict[str, Any] | None, unit_ids: list[UUID],
    problems: list[dict[str, Any]], location: str,
) -> None:
    if kind not in (*INSPECTION_KINDS, UNANNOUNCED_VISIT):
        msg = f"There is no inspection kind {kind!r}; use one of: " + ", ".join(INSPECTION_KINDS)
        raise InvalidInspectionError(msg)
    if kind == "key_project" and project is None:
        msg = "A key-project inspection names the project on the key-project list it inspected."
        raise InvalidInspectionError(msg)
    if kind != "key_project" and project is not None:
        msg = "Only a key-project inspection names a project from the key-project list."
        raise InvalidInspectionError(msg)
    if not unit_ids:
        msg = "An inspection records at least one unit inspected."
        raise InvalidInspectionError(msg)
    if len(set(unit_ids)) != len(unit_ids):
        msg = "A unit is listed twice among the units inspected."
        raise InvalidInspectionError(msg)
    if not location.strip():
        msg = "An inspection records where it took place."
        raise InvalidInspectionError(msg)
    check_problems(problems)


# What the service learns from the responsibility service.


class UnitFile(Aggregate):
    """Supervision's file on one unit registered with the responsibility service: its
    quarterly reports and the follow-up items waiting for its next inspection.

    Its id is derived from the unit's id in this service's namespace, so that a CloudEvent id
    (``<aggregate id>:<version>``) never repeats one of the responsibility service's.
    """

    @staticmethod
    def create_id(unit_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"unit-file:{unit_id}")

    @event("Learned")
    def __init__(
        self,
        unit_id: UUID,
        code: str,
        name: str,
        kind: str,
        parent_unit_id: UUID | None,
        upstream_event_id: str,
        actor: dict[str, Any],
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

    def owes_report(self, year: int, quarter: int, unit_kinds: Iterable[str]) -> bool:
        """A unit of a reporting kind owes a report for every quarter that ended after it
        was registered."""
        return self.kind in tuple(unit_kinds) and (
            self.registered_at.date() <= quarter_end(year, quarter)
        )

    # Quarterly reports.

    def check_reports(self, unit_kinds: Iterable[str]) -> None:
        kinds = tuple(unit_kinds)
        if self.kind not in kinds:
            msg = (
                f"{self.name} is a {self.kind.replace('_', ' ')}; quarterly reports come from "
                + ", ".join(k.replace("_", " ") + "s" for k in kinds)
                + "."
            )
            raise UnitDoesNotReportError(msg)

    def submit_quarterly_report(
        self,
        year: int,
        quarter: int,
        summary: str,
        deadline: date,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        check_quarter(quarter)
        key = quarter_key(year, quarter)
        if key in self.reports:
            submitted = self.reports[key]["submitted_at"]
            msg = (
                f"{self.name} already submitted its report for {key} on {submitted:%Y-%m-%d}."
            )
            raise QuarterlyReportAlreadySubmittedError(msg)
        if occurred_at.date() < quarter_start(year, quarter):
            msg = f"The report for {key} cannot be submitted before the quarter has begun."
            raise QuarterNotStartedError(msg)
        days_late = max(0, (occurred_at.date() - deadline).days)
        self._quarterly_report_submitted(
            unit_id=self.unit_id, year=year, quarter=quarter, summary=summary,
            deadline=deadline, on_time=days_late == 0, days_late=days_late,
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
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.reports[quarter_key(year, quarter)] = {
            "submitted_at": occurred_at, "on_time": on_time, "days_late": days_late,
        }

    def flag_missing_report_if_due(
        self,
        year: int,
        quarter: int,
        deadline: date,
        as_of: datetime,
        unit_kinds: Iterable[str],
        actor: dict[str, Any],
    ) -> bool:
        """Record, once, that the report for a quarter did not arrive by its deadline."""
        key = quarter_key(year, quarter)
        if key in self.reports or key in self.missing_flagged:
            return False
        if as_of.date() <= deadline or not self.owes_report(year, quarter, unit_kinds):
            return False
        self._quarterly_report_missing(
            unit_id=self.unit_id, year=year, quarter=quarter, deadline=deadline,
            actor=actor, occurred_at=as_of,
        )
        return True

    @event("QuarterlyReportMissing")
    def _quarterly_report_missing(
        self,
        unit_id: UUID,
        year: int,
        quarter: int,
        deadline: date,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.missing_flagged.add(quarter_key(year, quarter))

    # Follow-up items for the unit's next inspection.

    @staticmethod
    def follow_up_id_for(task_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"follow-up:task-overdue:{task_id}")

    @property
    def open_follow_up_ids(self) -> list[UUID]:
        return [i for i, f in self.follow_ups.items() if f["addressed_by"] is None]

    def open_follow_up(
        self,
        task_id: UUID,
        task_title: str,
        task_deadline: date,
        upstream_event_id: str,
        actor: dict[str, Any],
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
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.follow_ups[follow_up_id] = {"task_id": task_id, "addressed_by": None}

    def address_follow_ups(
        self, inspection_id: UUID, actor: dict[str, Any], occurred_at: datetime
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
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.follow_ups[follow_up_id]["addressed_by"] = inspection_id


class TaskWatch(Aggregate):
    """What supervision keeps of a responsibility task: enough to follow it up when overdue."""

    @staticmethod
    def create_id(task_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"task-watch:{task_id}")

    @event("Learned")
    def __init__(
        self,
        task_id: UUID,
        lead_unit_id: UUID,
        title: str,
        deadline: date,
        upstream_event_id: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.task_id = task_id
        self.lead_unit_id = lead_unit_id
        self.title = title
        self.deadline = deadline


# Inspections.


class KeyProjectList(Aggregate):
    """A named list of key projects (e.g. the year's hundred key projects) to inspect."""

    @event("Published")
    def __init__(
        self,
        id: UUID,
        year: int,
        name: str,
        projects: list[dict[str, Any]],
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.year = year
        self.name = name
        self.projects = {p["code"]: dict(p) for p in projects}

    @staticmethod
    def check_projects(projects: list[dict[str, Any]]) -> None:
        codes = [p["code"] for p in projects]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            msg = "A key-project list names each project once; repeated: " + ", ".join(duplicates)
            raise ProjectAlreadyListedError(msg)

    def project(self, code: str) -> dict[str, Any]:
        try:
            return self.projects[code]
        except KeyError:
            msg = f"Project {code!r} is not on the key-project list {self.name!r}."
            raise ProjectNotOnListError(msg) from None

    def add_project(
        self, project: dict[str, Any], actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        if project["code"] in self.projects:
            msg = f"Project {project['code']!r} is already on the list {self.name!r}."
            raise ProjectAlreadyListedError(msg)
        self._project_added(
            code=project["code"], name=project["name"], lead_unit_id=project["lead_unit_id"],
            actor=actor, occurred_at=occurred_at,
        )

    @event("ProjectAdded")
    def _project_added(
        self, code: str, name: str, lead_unit_id: UUID, actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.projects[code] = {"code": code, "name": name, "lead_unit_id": lead_unit_id}


class Inspection(Aggregate):
    """An inspection recorded once it took place: who led it, where, when, the units
    inspected and the problems found."""

    @event("Recorded")
    def __init__(
        self,
        id: UUID,
        kind: str,
        project: dict[str, Any] | None,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.kind = kind
        self.project = project
        self.leader_person_id = leader_person_id
        self.leader_name = leader_name
        self.location = location
        self.held_on = held_on
        self.unit_ids = list(unit_ids)
        self.problems = [dict(p) for p in problems]
        self.summary = summary


class UnannouncedVisit(Aggregate):
    """An unannounced visit (暗访). Scheduling it records only that it was scheduled, by whom:
    nothing that could warn the units visited. Where, when and whom are recorded when it has
    been conducted."""

    @event("Scheduled")
    def __init__(self, id: UUID, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "scheduled"
        self.scheduled_at = occurred_at

    def check_scheduled(self) -> None:
        if self.status == "conducted":
            msg = f"Unannounced visit {self.id} has already been conducted and recorded."
            raise VisitAlreadyConductedError(msg)
        if self.status == "cancelled":
            msg = f"Unannounced visit {self.id} was cancelled; schedule a new visit instead."
            raise VisitCancelledError(msg)

    def conduct(
        self,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.check_scheduled()
        check_inspection(UNANNOUNCED_VISIT, None, unit_ids, problems, location)
        self._conducted(
            leader_person_id=leader_person_id, leader_name=leader_name, location=location,
            held_on=held_on, unit_ids=list(unit_ids), problems=number_problems(self.id, problems),
            summary=summary, actor=actor, occurred_at=occurred_at,
        )

    @event("Conducted")
    def _conducted(
        self,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.status = "conducted"
        self.unit_ids = list(unit_ids)
        self.problems = [dict(p) for p in problems]

    def cancel(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.check_scheduled()
        self._cancelled(actor=actor, occurred_at=occurred_at)

    @event("Cancelled")
    def _cancelled(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "cancelled"


# Rectification notices.


def recipient_kind_for(unit_name: str, unit_kind: str, cadre_id: UUID | None) -> str:
    if unit_kind not in RECIPIENT_UNIT_KINDS:
        msg = (
            f"{unit_name} is a {unit_kind.replace('_', ' ')}; rectification notices go to "
            "district departments, towns, subdistricts, communities or their cadres."
        )
        raise InvalidRecipientError(msg)
    if cadre_id is not None:
        return "cadre"
    return "community" if unit_kind == "community" else "unit"


class RectificationNotice(Aggregate):
    """A rectification notice (责令整改通知书) to a unit, a community or a cadre.

    issued → acknowledged → rectification reported → verified (→ closed) or sent back (→
    reported again). The deadline runs while a rectification report is owed; check_deadlines
    raises its urgency colour and records it overdue, once.
    """

    @event("Issued")
    def __init__(
        self,
        id: UUID,
        recipient_kind: str,
        recipient_unit_id: UUID,
        recipient_cadre_id: UUID | None,
        problems: list[dict[str, Any]],
        deadline: date,
        self_examination_required: bool,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.recipient_kind = recipient_kind
        self.recipient_unit_id = recipient_unit_id
        self.recipient_cadre_id = recipient_cadre_id
        self.problems = [dict(p) for p in problems]
        self.deadline = deadline
        self.self_examination_required = self_examination_required
        self.issuer_unit_id: UUID = actor["unit_id"]
        self.issued_at = occurred_at
        self.status = "issued"
        self.colour = "green"
        self.overdue_recorded = False
        self.escalated = False

    @staticmethod
    def check_issuable(
        problems: list[dict[str, Any]], deadline: date, occurred_at: datetime
    ) -> None:
        if not problems:
            msg = "A rectification notice cites at least one problem found."
            raise InvalidNoticeError(msg)
        if deadline < occurred_at.date():
            msg = (
                f"The rectification deadline {deadline:%Y-%m-%d} is before the notice's date "
                f"{occurred_at:%Y-%m-%d}."
            )
            raise InvalidNoticeError(msg)

    @property
    def awaiting_rectification(self) -> bool:
        return self.status in AWAITING_RECTIFICATION

    def _status_words(self) -> str:
        return self.status.replace("_", " ")

    def check_open(self) -> None:
        if self.status == "closed":
            msg = f"Rectification notice {self.id} is closed; nothing more can be recorded on it."
            raise NoticeAlreadyClosedError(msg)

    def acknowledge(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.check_open()
        if self.status != "issued":
            msg = f"Rectification notice {self.id} was already acknowledged."
            raise NoticeAlreadyAcknowledgedError(msg)
        self._acknowledged(actor=actor, occurred_at=occurred_at)

    @event("Acknowledged")
    def _acknowledged(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "acknowledged"

    def report_rectification(
        self,
        report: str,
        self_examination: str | None,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.check_open()
        if self.status == "issued":
            msg = (
                f"Rectification notice {self.id} has not been acknowledged yet: acknowledge "
                "receipt of the notice before reporting the rectification."
            )
            raise NoticeNotAcknowledgedError(msg)
        if not self.awaiting_rectification:
            msg = (
                f"Rectification notice {self.id} is already {self._status_words()}; a new "
                "report is only taken after the report was sent back."
            )
            raise NoticeStepError(msg)
        if self.self_examination_required and not (self_examination or "").strip():
            msg = (
                f"Rectification notice {self.id} requires a written self-examination (书面检查); "
                "attach it to the rectification report."
            )
            raise SelfExaminationMissingError(msg)
        self._rectification_reported(
            report=report, self_examination=self_examination or None,
            on_time=occurred_at.date() <= self.deadline, actor=actor, occurred_at=occurred_at,
        )

    @event("RectificationReported")
    def _rectification_reported(
        self,
        report: str,
        self_examination: str | None,
        on_time: bool,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.status = "rectification_reported"

    def _check_reported(self, doing: str) -> None:
        self.check_open()
        if self.status != "rectification_reported":
            msg = (
                f"Rectification notice {self.id} cannot be {doing}: no rectification report "
                f"is waiting (the notice is {self._status_words()})."
            )
            raise NoticeNotReportedError(msg)

    def verify(self, note: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self._check_reported("verified")
        self._verified(note=note, actor=actor, occurred_at=occurred_at)

    @event("RectificationVerified")
    def _verified(self, note: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "verified"

    def send_back(self, reason: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self._check_reported("sent back")
        self._sent_back(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("RectificationSentBack")
    def _sent_back(self, reason: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "sent_back"

    def close(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.check_open()
        if self.status != "verified":
            msg = (
                f"Rectification notice {self.id} cannot be closed before its rectification "
                f"has been verified (the notice is {self._status_words()})."
            )
            raise NoticeNotVerifiedError(msg)
        self._closed(actor=actor, occurred_at=occurred_at)

    @event("Closed")
    def _closed(self, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.status = "closed"

    def escalate(self, reason: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        """Hand the notice to casework as a lead (问题线索)."""
        self.check_open()
        if self.escalated:
            msg = f"Rectification notice {self.id} was already escalated to casework."
            raise NoticeAlreadyEscalatedError(msg)
        self._escalated(
            recipient_kind=self.recipient_kind, recipient_unit_id=self.recipient_unit_id,
            recipient_cadre_id=self.recipient_cadre_id,
            problems=[dict(p) for p in self.problems], deadline=self.deadline,
            status=self.status, reason=reason, actor=actor, occurred_at=occurred_at,
        )

    @event("EscalatedToCasework")
    def _escalated(
        self,
        recipient_kind: str,
        recipient_unit_id: UUID,
        recipient_cadre_id: UUID | None,
        problems: list[dict[str, Any]],
        deadline: date,
        status: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.escalated = True

    def record_deadline_events_due(
        self, as_of: datetime, blue_days: int, yellow_days: int, actor: dict[str, Any]
    ) -> bool:
        """Raise the urgency colour, or record the notice overdue, as due by ``as_of``.

        The colour only rises, and only to the most urgent level reached: a clock that first
        looks with 2 days left goes straight to yellow. Overdue is recorded exactly once.
        """
        if not self.awaiting_rectification or self.overdue_recorded:
            return False
        days_left = (self.deadline - as_of.date()).days
        colour = urgency_colour(days_left, blue_days, yellow_days)
        if colour == "red":
            self._overdue(
                deadline=self.deadline, previous_colour=self.colour, actor=actor,
                occurred_at=as_of,
            )
            return True
        if URGENCY_COLOURS.index(colour) <= URGENCY_COLOURS.index(self.colour):
            return False
        self._urgency_raised(
            deadline=self.deadline, days_left=days_left, previous_colour=self.colour,
            colour=colour, actor=actor, occurred_at=as_of,
        )
        return True

    @event("UrgencyRaised")
    def _urgency_raised(
        self,
        deadline: date,
        days_left: int,
        previous_colour: str,
        colour: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.colour = colour

    @event("Overdue")
    def _overdue(
        self, deadline: date, previous_colour: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.colour = "red"
        self.overdue_recorded = True


# Bulletins.


def check_bulletin(kind: str, meeting: str | None) -> None:
    if kind not in BULLETIN_KINDS:
        msg = f"There is no bulletin kind {kind!r}; use one of: " + ", ".join(BULLETIN_KINDS)
        raise InvalidBulletinError(msg)
    if kind == "meeting_circular" and not (meeting or "").strip():
        msg = "A circular read out at a meeting names the meeting."
        raise InvalidBulletinError(msg)
    if kind != "meeting_circular" and meeting is not None:
        msg = "Only a circular read out at a meeting names a meeting."
        raise InvalidBulletinError(msg)


class BulletinRegister(Aggregate):
    """The register of one kind of bulletin for one year: it hands out issue numbers 1, 2, 3…
    without gaps or duplicates. It is saved with the bulletin it numbers, in one
    transaction, so two bulletins issued at once cannot both take the same number."""

    @staticmethod
    def create_id(kind: str, year: int) -> UUID:
        return uuid5(ID_NAMESPACE, f"bulletin-register:{kind}:{year}")

    @event("Opened")
    def __init__(self, kind: str, year: int, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.kind = kind
        self.year = year
        self.bulletin_ids: list[UUID] = []

    @property
    def last_number(self) -> int:
        return len(self.bulletin_ids)

    def assign_number(self, bulletin_id: UUID, actor: dict[str, Any], occurred_at: datetime) -> int:
        if bulletin_id in self.bulletin_ids:
            number = self.bulletin_ids.index(bulletin_id) + 1
            msg = f"Bulletin {bulletin_id} already has number {number} of {self.year}."
            raise DuplicateBulletinRequestError(msg)
        number = self.last_number + 1
        self._number_assigned(
            number=number, bulletin_id=bulletin_id, actor=actor, occurred_at=occurred_at
        )
        return number

    @event("NumberAssigned")
    def _number_assigned(
        self, number: int, bulletin_id: UUID, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.bulletin_ids.append(bulletin_id)


class Bulletin(Aggregate):
    """A special report (督查专报), a circular (督查通报) or a circular read out at a meeting,
    numbered per kind and year. Its id derives from the client's request id, so the same
    request submitted twice is recognised."""

    @staticmethod
    def create_id(request_id: str) -> UUID:
        return uuid5(ID_NAMESPACE, f"bulletin-request:{request_id}")

    @event("Issued")
    def __init__(
        self,
        request_id: str,
        kind: str,
        year: int,
        number: int,
        title: str,
        summary: str,
        meeting: str | None,
        problems: list[dict[str, Any]],
        notice_ids: list[UUID],
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.request_id = request_id
        self.kind = kind
        self.year = year
        self.number = number
        self.title = title


# Disclosure (traceable management).


class MajorDecision(Aggregate):
    """A major decision traced step by step: topic collected → decided at a meeting → result
    published → execution supervised (the last step may be repeated, once per check)."""

    @event("TopicCollected")
    def __init__(
        self,
        id: UUID,
        unit_id: UUID,
        topic: str,
        collected_from: str,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.unit_id = unit_id
        self.topic = topic
        self.step = "topic_collected"
        self.step_at = occurred_at

    def check_next_step(self, step: str, occurred_at: datetime) -> None:
        current = DISCLOSURE_STEPS.index(self.step)
        wanted = DISCLOSURE_STEPS.index(step)
        repeat = step == self.step == "execution_supervised"
        if wanted <= current and not repeat:
            msg = (
                f"The decision on {self.topic!r} was already {STEP_WORDS[step]}; the trail "
                f"so far ends at {STEP_WORDS[self.step]!r}."
            )
            raise DisclosureStepOutOfOrderError(msg)
        if wanted > current + 1:
            needed = STEP_WORDS[DISCLOSURE_STEPS[max(wanted - 1, 0)]]
            msg = (
                f"The decision on {self.topic!r} cannot be recorded as {STEP_WORDS[step]}: "
                f"that step follows {needed!r}, and the trail so far ends at "
                f"{STEP_WORDS[self.step]!r}. The order is topic collected → decided at a "
                "meeting → result published → execution supervised."
            )
            raise DisclosureStepOutOfOrderError(msg)
        if occurred_at < self.step_at:
            msg = (
                f"The decision on {self.topic!r} cannot be {STEP_WORDS[step]} on "
                f"{occurred_at:%Y-%m-%d}, before it was {STEP_WORDS[self.step]} on "
                f"{self.step_at:%Y-%m-%d}."
            )
            raise DisclosureStepOutOfOrderError(msg)

    def decide(
        self, meeting: str, decision: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_next_step("decided", occurred_at)
        self._decided(meeting=meeting, decision=decision, actor=actor, occurred_at=occurred_at)

    @event("DecidedAtMeeting")
    def _decided(
        self, meeting: str, decision: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.step = "decided"
        self.step_at = occurred_at

    def publish_result(
        self, channel: str, summary: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_next_step("result_published", occurred_at)
        self._result_published(
            channel=channel, summary=summary, actor=actor, occurred_at=occurred_at
        )

    @event("ResultPublished")
    def _result_published(
        self, channel: str, summary: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.step = "result_published"
        self.step_at = occurred_at

    def supervise_execution(
        self, findings: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_next_step("execution_supervised", occurred_at)
        self._execution_supervised(findings=findings, actor=actor, occurred_at=occurred_at)

    @event("ExecutionSupervised")
    def _execution_supervised(
        self, findings: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.step = "execution_supervised"
        self.step_at = occurred_at


class DisclosureBoard(Aggregate):
    """A community's disclosure board (公开栏); one per community."""

    @staticmethod
    def create_id(community_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"disclosure-board:{community_id}")

    @event("Installed")
    def __init__(
        self, community_id: UUID, location: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.community_id = community_id
        self.location = location

    def post(self, content: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self._content_posted(content=content, actor=actor, occurred_at=occurred_at)

    @event("ContentPosted")
    def _content_posted(self, content: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        pass


AGGREGATES: tuple[type[Aggregate], ...] = (
    UnitFile,
    TaskWatch,
    KeyProjectList,
    Inspection,
    UnannouncedVisit,
    RectificationNotice,
    BulletinRegister,
    Bulletin,
    MajorDecision,
    DisclosureBoard,
)

"""Use cases, the policy for the responsibility service's events, and the queries of the
supervision service (the discipline commission's supervision responsibility)."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import RecordConflictError
from pydantic import BaseModel, ValidationError

from services.supervision.domain import (
    AWAITING_RECTIFICATION,
    UNANNOUNCED_VISIT,
    Bulletin,
    BulletinCitesUnknownNoticeError,
    BulletinNotFoundError,
    BulletinRegister,
    DecisionNotFoundError,
    DisclosureBoard,
    DisclosureBoardAlreadyInstalledError,
    DisclosureBoardNotFoundError,
    DuplicateBulletinRequestError,
    Inspection,
    InspectionAlreadyRecordedError,
    InvalidInspectionError,
    KeyProjectList,
    KeyProjectListNotFoundError,
    MajorDecision,
    NotACommunityError,
    NoticeNotFoundError,
    ProblemNotFoundError,
    RectificationNotice,
    TaskWatch,
    UnannouncedVisit,
    UnitFile,
    UnitNotFoundError,
    VisitNotFoundError,
    check_bulletin,
    check_inspection,
    check_quarter,
    next_quarter,
    number_problems,
    quarter_of,
    recipient_kind_for,
    report_deadline,
)
from services.supervision.views import (
    BulletinView,
    DecisionView,
    DisclosureCoverage,
    FollowUpView,
    InspectionView,
    NoticeView,
    OpenNotice,
    Overview,
    PeriodCounts,
    ReportCompliance,
    UnitNotices,
    UnitView,
)
from shared.actors import SYSTEM_ACTOR, Actor
from shared.catchup import CatchUpMixin
from shared.clock import as_aware, end_of_day
from shared.contracts.responsibility import TaskCreated, TaskOverdue, UnitRegistered
from shared.errors import ConflictError, NotPermittedError, PoisonMessageError
from shared.persistence import ServiceApplication

log = logging.getLogger(__name__)

SERVICE = "supervision"

UNIT_REGISTERED = "dutytrail.responsibility.unit_registered.v1"
TASK_CREATED = "dutytrail.responsibility.task_created.v1"
TASK_OVERDUE = "dutytrail.responsibility.task_overdue.v1"

# Units that report quarterly: the units the party committee signs letters with. Communities
# report through their town or subdistrict.
DEFAULT_REPORTING_UNIT_KINDS = ("district_department", "town", "subdistrict")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ProblemFound:
    """A problem found by an inspection, with the unit or the cadre it concerns."""

    category: str
    description: str
    unit_id: UUID | None = None
    cadre_id: UUID | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category, "description": self.description,
            "unit_id": self.unit_id, "cadre_id": self.cadre_id,
        }


@dataclass(frozen=True)
class InspectionReport:
    """What every inspection records: who led it, where, when, whom, and what was found."""

    leader_person_id: UUID
    leader_name: str
    location: str
    held_on: date
    unit_ids: list[UUID]
    problems: list[ProblemFound] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class KeyProject:
    code: str
    name: str
    lead_unit_id: UUID

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "lead_unit_id": self.lead_unit_id}


def _ints(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split(",") if part.strip())


class Supervision(CatchUpMixin, ServiceApplication):
    """The supervision service's eventsourcing application."""

    name = SERVICE
    service_name: ClassVar[str] = SERVICE

    def __init__(
        self,
        env: Any = None,
        notice_warning_days: tuple[int, int] | None = None,
        report_grace_days: int | None = None,
        reporting_unit_kinds: tuple[str, ...] | None = None,
        numbering_attempts: int | None = None,
    ) -> None:
        super().__init__(env)
        self.overview = Overview()
        blue, yellow = notice_warning_days or _ints(
            os.environ.get("DUTYTRAIL_NOTICE_WARNING_DAYS", "7,3")
        )
        if not blue > yellow >= 0:
            msg = f"notice warning days must be blue > yellow >= 0, not {blue},{yellow}"
            raise ValueError(msg)
        self.blue_days, self.yellow_days = blue, yellow
        self.report_grace_days = (
            report_grace_days if report_grace_days is not None
            else int(os.environ.get("DUTYTRAIL_QUARTERLY_REPORT_GRACE_DAYS", "10"))
        )
        self.reporting_unit_kinds = reporting_unit_kinds or tuple(
            k.strip() for k in os.environ.get(
                "DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS", ",".join(DEFAULT_REPORTING_UNIT_KINDS)
            ).split(",") if k.strip()
        )
        self.numbering_attempts = numbering_attempts or int(
            os.environ.get("DUTYTRAIL_BULLETIN_NUMBERING_ATTEMPTS", "10")
        )

    # The responsibility service's events (a Policy for shared.feed.UpstreamFeed).

    def policy_for_responsibility(self, event: dict[str, Any]) -> list[Any]:
        """The aggregates one responsibility CloudEvent changes; [] for the types ignored.

        Units and tasks are kept under ids derived from theirs, so learning them twice
        changes nothing; a task gone overdue opens one follow-up item for its lead unit's
        next inspection.
        """
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == UNIT_REGISTERED:
            return self._learn_unit(event)
        if kind == TASK_CREATED:
            return self._learn_task(event)
        if kind == TASK_OVERDUE:
            return self._follow_up_overdue_task(event)
        return []

    def _learn_unit(self, event: dict[str, Any]) -> list[Any]:
        data, actor, when = _upstream(event, UnitRegistered)
        if UnitFile.create_id(data.unit_id) in self.repository:
            return []
        return [UnitFile(
            unit_id=data.unit_id, code=data.code, name=data.name, kind=data.kind,
            parent_unit_id=data.parent_unit_id, upstream_event_id=str(event["id"]),
            actor=actor, occurred_at=when,
        )]

    def _learn_task(self, event: dict[str, Any]) -> list[Any]:
        data, actor, when = _upstream(event, TaskCreated)
        if TaskWatch.create_id(data.task_id) in self.repository:
            return []
        return [TaskWatch(
            task_id=data.task_id, lead_unit_id=data.lead_unit_id, title=data.title,
            deadline=data.deadline, upstream_event_id=str(event["id"]), actor=actor,
            occurred_at=when,
        )]

    def _follow_up_overdue_task(self, event: dict[str, Any]) -> list[Any]:
        data, actor, when = _upstream(event, TaskOverdue)
        try:
            watch: TaskWatch = self.repository.get(TaskWatch.create_id(data.task_id))
            unit_file: UnitFile = self.repository.get(UnitFile.create_id(watch.lead_unit_id))
        except AggregateNotFoundError:
            log.warning("task %s went overdue but its task or lead unit is unknown", data.task_id)
            return []
        opened = unit_file.open_follow_up(
            task_id=data.task_id, task_title=watch.title, task_deadline=data.deadline,
            upstream_event_id=str(event["id"]), actor=actor, occurred_at=when,
        )
        return [unit_file] if opened else []

    # Inspections.

    def publish_key_project_list(
        self,
        year: int,
        name: str,
        projects: Sequence[KeyProject],
        actor: Actor,
        occurred_at: datetime | None = None,
        project_list_id: UUID | None = None,
    ) -> UUID:
        items = [p.as_dict() for p in projects]
        KeyProjectList.check_projects(items)
        self._check_units_known(p.lead_unit_id for p in projects)
        project_list = KeyProjectList(
            id=project_list_id or uuid4(), year=year, name=name, projects=items,
            actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        self._save_new(
            project_list, ConflictError(f"Key-project list {project_list.id} already exists.")
        )
        return project_list.id

    def add_key_project(
        self,
        project_list_id: UUID,
        project: KeyProject,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        self._check_units_known([project.lead_unit_id])
        project_list = self._get_project_list(project_list_id)
        project_list.add_project(project.as_dict(), actor.as_dict(), as_aware(occurred_at))
        self._save(project_list)

    def record_inspection(
        self,
        kind: str,
        report: InspectionReport,
        actor: Actor,
        occurred_at: datetime | None = None,
        project_list_id: UUID | None = None,
        project_code: str | None = None,
        inspection_id: UUID | None = None,
    ) -> UUID:
        """Record an inspection that took place; it addresses the follow-up items open for
        the units inspected."""
        when = as_aware(occurred_at)
        new_id = inspection_id or uuid4()
        if kind == UNANNOUNCED_VISIT:
            msg = (
                "An unannounced visit is scheduled first (which reveals nothing) and recorded "
                "when conducted; use schedule_unannounced_visit and conduct_unannounced_visit."
            )
            raise InvalidInspectionError(msg)
        project = None
        if project_list_id is not None or project_code is not None:
            if project_list_id is None or project_code is None:
                msg = "A key-project inspection names both the key-project list and the project."
                raise InvalidInspectionError(msg)
            project_list = self._get_project_list(project_list_id)
            project = {"project_list_id": project_list.id, **project_list.project(project_code)}
        problems = [p.as_dict() for p in report.problems]
        check_inspection(kind, project, report.unit_ids, problems, report.location)
        self._check_units_known([*report.unit_ids, *_problem_units(problems)])

        def attempt() -> UUID:
            if new_id in self.repository:
                raise InspectionAlreadyRecordedError(f"Inspection {new_id} is already recorded.")
            inspection = Inspection(
                id=new_id, kind=kind, project=project,
                leader_person_id=report.leader_person_id, leader_name=report.leader_name,
                location=report.location, held_on=report.held_on,
                unit_ids=list(report.unit_ids), problems=number_problems(new_id, problems),
                summary=report.summary, actor=actor.as_dict(), occurred_at=when,
            )
            files = self._address_follow_ups(report.unit_ids, new_id, actor, when)
            self.save(inspection, *files)
            return new_id

        return self._with_retries(attempt, 3)

    def schedule_unannounced_visit(
        self, actor: Actor, occurred_at: datetime | None = None, visit_id: UUID | None = None
    ) -> UUID:
        """Schedule a visit: the record says only that it was scheduled, and by whom. Where,
        when and whom are kept off the record until the visit has been conducted."""
        visit = UnannouncedVisit(
            id=visit_id or uuid4(), actor=actor.as_dict(), occurred_at=as_aware(occurred_at)
        )
        self._save_new(visit, ConflictError(f"Unannounced visit {visit.id} already exists."))
        return visit.id

    def conduct_unannounced_visit(
        self,
        visit_id: UUID,
        report: InspectionReport,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        when = as_aware(occurred_at)
        problems = [p.as_dict() for p in report.problems]
        self._check_units_known([*report.unit_ids, *_problem_units(problems)])

        def attempt() -> None:
            visit = self._get_visit(visit_id)
            visit.conduct(
                report.leader_person_id, report.leader_name, report.location, report.held_on,
                list(report.unit_ids), problems, report.summary, actor.as_dict(), when,
            )
            files = self._address_follow_ups(report.unit_ids, visit_id, actor, when)
            self.save(visit, *files)

        self._with_retries(attempt, 3)

    def cancel_unannounced_visit(
        self, visit_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        visit = self._get_visit(visit_id)
        visit.cancel(actor.as_dict(), as_aware(occurred_at))
        self._save(visit)

    # Rectification notices.

    def issue_notice(
        self,
        recipient_unit_id: UUID,
        problem_ids: Sequence[UUID],
        deadline: date,
        self_examination_required: bool,
        actor: Actor,
        occurred_at: datetime | None = None,
        recipient_cadre_id: UUID | None = None,
        notice_id: UUID | None = None,
    ) -> UUID:
        """A rectification notice to a unit or community, or to a cadre of that unit."""
        when = as_aware(occurred_at)
        unit = self._get_unit_file(recipient_unit_id)
        recipient_kind = recipient_kind_for(unit.name, unit.kind, recipient_cadre_id)
        problems = self._cited_problems(problem_ids)
        RectificationNotice.check_issuable(problems, deadline, when)
        notice = RectificationNotice(
            id=notice_id or uuid4(), recipient_kind=recipient_kind,
            recipient_unit_id=recipient_unit_id, recipient_cadre_id=recipient_cadre_id,
            problems=problems, deadline=deadline,
            self_examination_required=self_examination_required, actor=actor.as_dict(),
            occurred_at=when,
        )
        self._save_new(notice, ConflictError(f"Rectification notice {notice.id} already exists."))
        return notice.id

    def acknowledge_notice(
        self, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.recipient_unit_id, "the notice's recipient")
        notice.acknowledge(actor.as_dict(), as_aware(occurred_at))
        self._save(notice)

    def report_rectification(
        self,
        notice_id: UUID,
        report: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        self_examination: str | None = None,
    ) -> None:
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.recipient_unit_id, "the notice's recipient")
        notice.report_rectification(
            report, self_examination, actor.as_dict(), as_aware(occurred_at)
        )
        self._save(notice)

    def verify_rectification(
        self, notice_id: UUID, note: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.verify(note, actor.as_dict(), as_aware(occurred_at))
        self._save(notice)

    def send_back_rectification(
        self, notice_id: UUID, reason: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.send_back(reason, actor.as_dict(), as_aware(occurred_at))
        self._save(notice)

    def close_notice(
        self, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.close(actor.as_dict(), as_aware(occurred_at))
        self._save(notice)

    def escalate_notice(
        self, notice_id: UUID, reason: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """Hand the notice to casework as a lead."""
        notice = self._get_notice(notice_id)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.escalate(reason, actor.as_dict(), as_aware(occurred_at))
        self._save(notice)

    # Bulletins.

    def issue_bulletin(
        self,
        kind: str,
        request_id: str,
        title: str,
        summary: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        problem_ids: Sequence[UUID] = (),
        notice_ids: Sequence[UUID] = (),
        meeting: str | None = None,
    ) -> UUID:
        """Issue a bulletin with the next number of its kind and year.

        The number comes from the kind's register for the year, saved with the bulletin in
        one transaction; if another bulletin took the number first, the whole issue is
        retried on fresh state. The bulletin's id derives from ``request_id``, so the same
        request submitted twice is refused, even when both arrive at once.
        """
        when = as_aware(occurred_at)
        check_bulletin(kind, meeting)
        bulletin_id = Bulletin.create_id(request_id)
        self._check_new_bulletin_request(bulletin_id, request_id)
        problems = self._cited_problems(problem_ids)
        cited = list(dict.fromkeys(notice_ids))
        for cited_id in cited:
            if not isinstance(self._find(cited_id), RectificationNotice):
                msg = (
                    f"The bulletin cites rectification notice {cited_id}, which does not exist; "
                    "cite only notices that have been issued."
                )
                raise BulletinCitesUnknownNoticeError(msg)

        def attempt() -> UUID:
            self._check_new_bulletin_request(bulletin_id, request_id)
            register = self._find(BulletinRegister.create_id(kind, when.year))
            if not isinstance(register, BulletinRegister):
                register = BulletinRegister(
                    kind=kind, year=when.year, actor=actor.as_dict(), occurred_at=when
                )
            number = register.assign_number(bulletin_id, actor.as_dict(), when)
            bulletin = Bulletin(
                request_id=request_id, kind=kind, year=when.year, number=number, title=title,
                summary=summary, meeting=meeting, problems=problems, notice_ids=cited,
                actor=actor.as_dict(), occurred_at=when,
            )
            self.save(bulletin, register)
            return bulletin_id

        return self._with_retries(attempt, self.numbering_attempts)

    def _check_new_bulletin_request(self, bulletin_id: UUID, request_id: str) -> None:
        existing = self._find(bulletin_id)
        if isinstance(existing, Bulletin):
            msg = (
                f"Request {request_id!r} was already issued as {existing.kind.replace('_', ' ')} "
                f"No. {existing.number} of {existing.year} ({existing.title!r}); the same "
                "request is not issued twice."
            )
            raise DuplicateBulletinRequestError(msg)

    # Quarterly reports.

    def submit_quarterly_report(
        self,
        unit_id: UUID,
        year: int,
        quarter: int,
        summary: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        unit = self._get_unit_file(
            unit_id, "a quarterly report can only come from a unit registered with the "
            "responsibility service",
        )
        self._check_acts_for(actor, unit_id, "the reporting unit")
        unit.check_reports(self.reporting_unit_kinds)
        unit.submit_quarterly_report(
            year, quarter, summary, report_deadline(year, quarter, self.report_grace_days),
            actor.as_dict(), as_aware(occurred_at),
        )
        self._save(unit)

    # Disclosure (traceable management).

    def collect_topic(
        self,
        unit_id: UUID,
        topic: str,
        collected_from: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        decision_id: UUID | None = None,
    ) -> UUID:
        """The first step of a major decision's trail: its topic collected."""
        self._get_unit_file(unit_id)
        decision = MajorDecision(
            id=decision_id or uuid4(), unit_id=unit_id, topic=topic,
            collected_from=collected_from, actor=actor.as_dict(),
            occurred_at=as_aware(occurred_at),
        )
        self._save_new(decision, ConflictError(f"Decision {decision.id} already exists."))
        return decision.id

    def decide_at_meeting(
        self,
        decision_id: UUID,
        meeting: str,
        decision: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        trail = self._get_decision(decision_id)
        trail.decide(meeting, decision, actor.as_dict(), as_aware(occurred_at))
        self._save(trail)

    def publish_decision_result(
        self,
        decision_id: UUID,
        channel: str,
        summary: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        trail = self._get_decision(decision_id)
        trail.publish_result(channel, summary, actor.as_dict(), as_aware(occurred_at))
        self._save(trail)

    def supervise_decision_execution(
        self, decision_id: UUID, findings: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        trail = self._get_decision(decision_id)
        trail.supervise_execution(findings, actor.as_dict(), as_aware(occurred_at))
        self._save(trail)

    def install_disclosure_board(
        self, community_id: UUID, location: str, actor: Actor, occurred_at: datetime | None = None
    ) -> UUID:
        community = self._get_unit_file(community_id)
        if community.kind != "community":
            msg = (
                f"{community.name} is a {community.kind.replace('_', ' ')}; disclosure boards "
                "are counted per community."
            )
            raise NotACommunityError(msg)
        board = DisclosureBoard(
            community_id=community_id, location=location, actor=actor.as_dict(),
            occurred_at=as_aware(occurred_at),
        )
        self._save_new(board, DisclosureBoardAlreadyInstalledError(
            f"{community.name} already has a disclosure board."
        ))
        return board.id

    def post_to_disclosure_board(
        self, community_id: UUID, content: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        board = self._find(DisclosureBoard.create_id(community_id))
        if not isinstance(board, DisclosureBoard):
            msg = f"No disclosure board is installed in community {community_id}."
            raise DisclosureBoardNotFoundError(msg)
        board.post(content, actor.as_dict(), as_aware(occurred_at))
        self._save(board)

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every urgency change, overdue notice and missing quarterly report due by
        ``as_of``, each exactly once. Returns the ids of the aggregates that got new events."""
        as_of = as_aware(as_of)
        self.overview.catch_up(self)
        actor = SYSTEM_ACTOR.as_dict()
        recorded: list[UUID] = []
        due_notices = [
            n.notice_id for n in self.overview.notices.values()
            if n.status in AWAITING_RECTIFICATION and not n.overdue_recorded
            and (n.deadline - as_of.date()).days <= self.blue_days
        ]
        for notice_id in due_notices:
            notice = self._get_notice(notice_id)
            if notice.record_deadline_events_due(as_of, self.blue_days, self.yellow_days, actor):
                self._save_quietly(notice, recorded)
        for unit in list(self.overview.units.values()):
            if unit.kind not in self.reporting_unit_kinds:
                continue
            quarters = self._quarters_due(unit, as_of.date())
            if not quarters:
                continue
            unit_file = self._get_unit_file(unit.unit_id)
            flagged = [
                unit_file.flag_missing_report_if_due(
                    year, quarter, report_deadline(year, quarter, self.report_grace_days),
                    as_of, self.reporting_unit_kinds, actor,
                )
                for year, quarter in quarters
            ]
            if any(flagged):
                self._save_quietly(unit_file, recorded)
        return recorded

    def _quarters_due(self, unit: UnitView, day: date) -> list[tuple[int, int]]:
        """Quarters since the unit registered whose report deadline has passed, without a
        report or a missing flag yet."""
        due = []
        year, quarter = quarter_of(unit.registered_at.date())
        while report_deadline(year, quarter, self.report_grace_days) < day:
            report = self.overview.reports.get((unit.unit_id, year, quarter))
            if report is None or (report.submitted_at is None and not report.missing_flagged_at):
                due.append((year, quarter))
            year, quarter = next_quarter(year, quarter)
        return due

    def _save_quietly(self, aggregate: Any, recorded: list[UUID]) -> None:
        try:
            self.save(aggregate)
        except RecordConflictError:
            return  # another caller recorded it (or changed the record) first
        recorded.append(aggregate.id)

    # Queries. Each answers as the store says now, or as of a date (business time).

    def as_of(self, day: date | None = None) -> Overview:
        if day is None:
            self.overview.catch_up(self)
            return self.overview
        overview = Overview(until=end_of_day(day))
        overview.catch_up(self)
        return overview

    def list_units(self, as_of: date | None = None) -> list[UnitView]:
        return sorted(self.as_of(as_of).units.values(), key=lambda u: u.code)

    def list_inspections(
        self,
        start: date,
        end: date,
        unit_id: UUID | None = None,
        kind: str | None = None,
        as_of: date | None = None,
    ) -> list[InspectionView]:
        return sorted(
            (
                i for i in self.as_of(as_of).inspections.values()
                if start <= i.held_on <= end and kind in (None, i.kind)
                and (unit_id is None or unit_id in i.unit_ids)
            ),
            key=lambda i: (i.held_on, str(i.inspection_id)),
        )

    def get_notice(self, notice_id: UUID, as_of: date | None = None) -> NoticeView:
        try:
            return self.as_of(as_of).notices[notice_id]
        except KeyError:
            raise NoticeNotFoundError(f"No rectification notice {notice_id}.") from None

    def open_notices(
        self, as_of: date, unit_id: UUID | None = None, colour: str | None = None
    ) -> list[OpenNotice]:
        """Notices not closed on that day, with their urgency colour, by recipient unit."""
        return [
            o for o in self.as_of(as_of).open_notices(as_of, self.blue_days, self.yellow_days)
            if unit_id in (None, o.notice.recipient_unit_id) and colour in (None, o.colour)
        ]

    def open_notices_by_unit(self, as_of: date) -> list[UnitNotices]:
        return self.as_of(as_of).notices_by_unit(as_of, self.blue_days, self.yellow_days)

    def overdue_notices(self, as_of: date) -> list[OpenNotice]:
        """Notices past their deadline on that day whose rectification report is still owed."""
        return sorted(
            self.open_notices(as_of, colour="red"), key=lambda o: (o.notice.deadline, o.days_left)
        )

    def get_bulletin(self, bulletin_id: UUID, as_of: date | None = None) -> BulletinView:
        try:
            return self.as_of(as_of).bulletins[bulletin_id]
        except KeyError:
            raise BulletinNotFoundError(f"No bulletin {bulletin_id}.") from None

    def bulletin_register(
        self, year: int, kind: str | None = None, as_of: date | None = None
    ) -> list[BulletinView]:
        return self.as_of(as_of).bulletin_register(year, kind)

    def quarterly_compliance(
        self, year: int, quarter: int, as_of: date, unit_id: UUID | None = None
    ) -> list[ReportCompliance]:
        check_quarter(quarter)
        rows = self.as_of(as_of).compliance(
            year, quarter, as_of, report_deadline(year, quarter, self.report_grace_days),
            self.reporting_unit_kinds,
        )
        return [r for r in rows if unit_id in (None, r.unit_id)]

    def get_decision(self, decision_id: UUID, as_of: date | None = None) -> DecisionView:
        try:
            return self.as_of(as_of).decisions[decision_id]
        except KeyError:
            raise DecisionNotFoundError(f"No major decision {decision_id}.") from None

    def list_decisions(
        self, unit_id: UUID | None = None, incomplete_only: bool = False,
        as_of: date | None = None,
    ) -> list[DecisionView]:
        return sorted(
            (
                d for d in self.as_of(as_of).decisions.values()
                if unit_id in (None, d.unit_id) and not (incomplete_only and d.complete)
            ),
            key=lambda d: (d.steps[0].at, str(d.decision_id)),
        )

    def disclosure_coverage(self, as_of: date) -> DisclosureCoverage:
        return self.as_of(as_of).disclosure_coverage(as_of)

    def period_counts(self, start: date, end: date, as_of: date | None = None) -> PeriodCounts:
        return self.as_of(as_of or end).period_counts(start, end)

    def open_follow_ups(
        self, as_of: date | None = None, unit_id: UUID | None = None
    ) -> list[FollowUpView]:
        return sorted(
            (
                f for f in self.as_of(as_of).follow_ups.values()
                if f.addressed_by is None and unit_id in (None, f.unit_id)
            ),
            key=lambda f: (f.opened_at, str(f.follow_up_id)),
        )

    # Helpers.

    def _address_follow_ups(
        self, unit_ids: Iterable[UUID], inspection_id: UUID, actor: Actor, when: datetime
    ) -> list[UnitFile]:
        changed = []
        for unit_id in unit_ids:
            unit_file = self._get_unit_file(unit_id)
            if unit_file.address_follow_ups(inspection_id, actor.as_dict(), when):
                changed.append(unit_file)
        return changed

    def _cited_problems(self, problem_ids: Iterable[UUID]) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(problem_ids))
        if not wanted:
            return []
        self.overview.catch_up(self)
        problems = []
        for problem_id in wanted:
            found = self.overview.problems.get(problem_id)
            if found is None:
                msg = f"No problem {problem_id} was recorded by any inspection."
                raise ProblemNotFoundError(msg)
            problems.append({k: v for k, v in found.items() if k != "inspection_id"})
        return problems

    def _check_units_known(self, unit_ids: Iterable[UUID]) -> None:
        for unit_id in dict.fromkeys(unit_ids):
            self._get_unit_file(unit_id)

    def _check_acts_for(self, actor: Actor, unit_id: UUID, role: str) -> None:
        if actor.unit_id != unit_id:
            msg = (
                f"Only a clerk of {role} ({unit_id}) may do this; you act for unit "
                f"{actor.unit_id}."
            )
            raise NotPermittedError(msg)

    def _with_retries(self, attempt: Callable[[], T], attempts: int) -> T:
        """Run a load-change-save use case again on fresh state after a conflict."""
        for tries in range(1, attempts + 1):
            try:
                return attempt()
            except RecordConflictError:
                if tries == attempts:
                    break
                time.sleep(random.uniform(0, 0.01 * tries))
        msg = "Others changed the same records at the same moment; try again."
        raise ConflictError(msg)

    def _find(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _get_project_list(self, project_list_id: UUID) -> KeyProjectList:
        found = self._find(project_list_id)
        if not isinstance(found, KeyProjectList):
            raise KeyProjectListNotFoundError(f"No key-project list {project_list_id}.")
        return found

    def _get_visit(self, visit_id: UUID) -> UnannouncedVisit:
        found = self._find(visit_id)
        if not isinstance(found, UnannouncedVisit):
            raise VisitNotFoundError(f"No unannounced visit {visit_id} was scheduled.")
        return found

    def _get_decision(self, decision_id: UUID) -> MajorDecision:
        found = self._find(decision_id)
        if not isinstance(found, MajorDecision):
            msg = f"No major decision {decision_id}: its trail starts with collecting the topic."
            raise DecisionNotFoundError(msg)
        return found

    def _get_unit_file(self, unit_id: UUID, why: str = "") -> UnitFile:
        found = self._find(UnitFile.create_id(unit_id))
        if not isinstance(found, UnitFile):
            msg = (
                f"No unit {unit_id} is known: "
                + (why or "units are registered with the responsibility service, and "
                   "supervision learns of them from its events")
                + "."
            )
            raise UnitNotFoundError(msg)
        return found

    def _get_notice(self, notice_id: UUID) -> RectificationNotice:
        found = self._find(notice_id)
        if not isinstance(found, RectificationNotice):
            raise NoticeNotFoundError(f"No rectification notice {notice_id}.")
        return found


def _problem_units(problems: Iterable[dict[str, Any]]) -> list[UUID]:
    return [p["unit_id"] for p in problems if p.get("unit_id") is not None]


def _upstream(event: dict[str, Any], model: type[M]) -> tuple[M, dict[str, Any], datetime]:
    """The validated data of an upstream CloudEvent, its actor and its business time."""
    try:
        data = model.model_validate(event["data"])
        when = as_aware(datetime.fromisoformat(str(event["time"])))
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        msg = f"{event.get('type')} {event.get('id')} does not match its contract: {error}"
        raise PoisonMessageError(msg) from None
    actor = getattr(data, "actor", None)
    if actor is None:
        raise PoisonMessageError(f"{event.get('type')} {event.get('id')} names no actor")
    return data, {"person_id": actor.person_id, "unit_id": actor.unit_id}, when

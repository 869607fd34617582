"""Use cases and queries of the supervision service (the discipline commission's supervision
responsibility); its reactions to the responsibility service's events are in ``policy.py``.

Each use case takes, by keyword, exactly the fields of the command bound to it in
``service.py``; the rules themselves live in the domain, which the queries, the clock and the
gauges ask rather than restate.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.utils import EnvType

from services.supervision import metrics
from services.supervision.commands import InspectionReport, KeyProject
from services.supervision.domain import (
    URGENCY_COLOURS,
    Bulletin,
    BulletinRegister,
    CadreFile,
    DisclosureBoard,
    Inspection,
    InspectionAlreadyRecordedError,
    InvalidInspectionError,
    InvalidRecipientError,
    KeyProjectList,
    MajorDecision,
    NotTheRecipientError,
    ProblemNotFoundError,
    RectificationNotice,
    UnannouncedVisit,
    UnitFile,
    WeeklyFinding,
    check_bulletin,
    check_escalation_route,
    check_inspection,
    check_problems_concern_recipient,
    check_quarter,
    check_recorded_kind,
    number_problems,
    quarter_of,
    recipient_kind_for,
    units_concerned,
    unknown_notice_cited,
)
from services.supervision.policy import LearnsFromResponsibility
from services.supervision.settings import SupervisionSettings
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
from shared.application import project
from shared.bounds import check_clock_as_of
from shared.clock import as_aware, start_of_day, utcnow
from shared.contracts.supervision import EscalationRoute
from shared.domain import DomainAggregate
from shared.errors import ConflictError, NotPermittedError

log = logging.getLogger(__name__)
A = TypeVar("A", bound=DomainAggregate)


# A bulletin register is snapshotted every this many numbers (bench/command_scale.py).
BULLETIN_REGISTER_SNAPSHOT_INTERVAL = 10

# How often recording an inspection is tried again when a unit file it addresses changed
# meanwhile.
INSPECTION_ATTEMPTS = 3


class Supervision(LearnsFromResponsibility):
    """The supervision service's eventsourcing application."""

    service_name: ClassVar[str] = "supervision"
    projection = Overview
    # Snapshots of the aggregate that grows all year: a bulletin register takes an event per
    # bulletin, so it is snapshotted every BULLETIN_REGISTER_SNAPSHOT_INTERVAL numbers and
    # loading it reads one snapshot and fewer numbers than that (issue 8, item 3). The other
    # aggregates stay short: a notice's lifecycle is a dozen events, a unit file gets a few
    # reports and follow-ups a year (and its state, a dict keyed by UUIDs and a set, would
    # need another form before the JSON transcoder could snapshot it).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        BulletinRegister: BULLETIN_REGISTER_SNAPSHOT_INTERVAL,
    }
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {BulletinRegister: project}

    def __init__(
        self, env: EnvType | None = None, settings: SupervisionSettings | None = None
    ) -> None:
        self.settings = settings or SupervisionSettings.from_environ()
        super().__init__(env)

    # Inspections.

    def publish_key_project_list(
        self,
        *,
        year: int,
        name: str,
        projects: Sequence[KeyProject],
        actor: Actor,
        occurred_at: datetime | None = None,
        project_list_id: UUID | None = None,
    ) -> UUID:
        items = [p.model_dump() for p in projects]
        KeyProjectList.check_projects(items)
        self._check_units_known(p.lead_unit_id for p in projects)
        project_list = KeyProjectList(
            id=project_list_id or uuid4(), year=year, name=name, projects=items,
            actor=actor, occurred_at=as_aware(occurred_at),
        )
        self.save_new(
            project_list, ConflictError(f"Key-project list {project_list.id} already exists.")
        )
        return project_list.id

    def add_key_project(
        self,
        *,
        project_list_id: UUID,
        project: KeyProject,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        self._check_units_known([project.lead_unit_id])
        project_list = self.load(project_list_id, KeyProjectList)
        project_list.add_project(project.model_dump(), actor, as_aware(occurred_at))
        self.save_changes(project_list)

    def record_inspection(
        self,
        *,
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
        check_recorded_kind(kind)
        project = None
        if project_list_id is not None or project_code is not None:
            if project_list_id is None or project_code is None:
                msg = "A key-project inspection names both the key-project list and the project."
                raise InvalidInspectionError(msg)
            project = self.load(project_list_id, KeyProjectList).inspected(project_code)
        problems = [p.model_dump() for p in report.problems]
        check_inspection(kind, project, report.unit_ids, problems, report.location)
        self._check_units_known([*report.unit_ids, *units_concerned(problems)])

        def attempt() -> UUID:
            if new_id in self.repository:
                raise InspectionAlreadyRecordedError(f"Inspection {new_id} is already recorded.")
            inspection = Inspection(
                id=new_id, kind=kind, project=project,
                leader_person_id=report.leader_person_id, leader_name=report.leader_name,
                location=report.location, held_on=report.held_on,
                unit_ids=list(report.unit_ids), problems=number_problems(new_id, problems),
                summary=report.summary, actor=actor, occurred_at=when,
            )
            files = self._address_follow_ups(report.unit_ids, new_id, actor, when)
            self.save_changes(inspection, *files)
            return new_id

        return self.retrying(attempt, INSPECTION_ATTEMPTS)

    def schedule_unannounced_visit(
        self, *, actor: Actor, occurred_at: datetime | None = None, visit_id: UUID | None = None
    ) -> UUID:
        """Schedule a visit: the record says only that it was scheduled, and by whom. Where,
        when and whom are kept off the record until the visit has been conducted."""
        visit = UnannouncedVisit(
            id=visit_id or uuid4(), actor=actor, occurred_at=as_aware(occurred_at)
        )
        self.save_new(visit, ConflictError(f"Unannounced visit {visit.id} already exists."))
        return visit.id

    def conduct_unannounced_visit(
        self,
        *,
        visit_id: UUID,
        report: InspectionReport,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        when = as_aware(occurred_at)
        problems = [p.model_dump() for p in report.problems]
        self._check_units_known([*report.unit_ids, *units_concerned(problems)])

        def attempt() -> None:
            visit = self.load(visit_id, UnannouncedVisit)
            visit.conduct(
                leader_person_id=report.leader_person_id, leader_name=report.leader_name,
                location=report.location, held_on=report.held_on,
                unit_ids=list(report.unit_ids), problems=problems, summary=report.summary,
                actor=actor, occurred_at=when,
            )
            files = self._address_follow_ups(report.unit_ids, visit_id, actor, when)
            self.save_changes(visit, *files)

        self.retrying(attempt, INSPECTION_ATTEMPTS)

    def cancel_unannounced_visit(
        self, *, visit_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        visit = self.load(visit_id, UnannouncedVisit)
        visit.cancel(actor, as_aware(occurred_at))
        self.save_changes(visit)

    # Rectification notices.

    def issue_notice(
        self,
        *,
        recipient_unit_id: UUID,
        problem_ids: Sequence[UUID],
        deadline: date,
        actor: Actor,
        occurred_at: datetime | None = None,
        recipient_cadre_id: UUID | None = None,
        self_examination_required: bool = True,
        notice_id: UUID | None = None,
    ) -> UUID:
        """A rectification notice to a unit or community, or to a (known) cadre of that unit;
        every problem it cites concerns the recipient."""
        when = as_aware(occurred_at)
        unit = self._unit(recipient_unit_id)
        recipient_kind = recipient_kind_for(unit.name, unit.kind, recipient_cadre_id)
        if recipient_cadre_id is not None:
            cadre = self._cadre(recipient_cadre_id)
            if cadre.unit_id != recipient_unit_id:
                msg = (
                    f"Cadre {cadre.name} ({recipient_cadre_id}) is a cadre of unit "
                    f"{cadre.unit_id}, not of the notice's recipient unit {recipient_unit_id}."
                )
                raise InvalidRecipientError(msg)
        problems = self._cited_problems(problem_ids)
        RectificationNotice.check_issuable(problems, deadline, when)
        check_problems_concern_recipient(
            problems, recipient_unit_id, recipient_cadre_id,
            {c.cadre_id: c.unit_id for c in self.as_of().cadres.values()},
        )
        notice = RectificationNotice(
            id=notice_id or uuid4(), recipient_kind=recipient_kind,
            recipient_unit_id=recipient_unit_id, recipient_cadre_id=recipient_cadre_id,
            problems=problems, deadline=deadline,
            self_examination_required=self_examination_required, actor=actor,
            occurred_at=when,
        )
        self.save_new(notice, ConflictError(f"Rectification notice {notice.id} already exists."))
        return notice.id

    def acknowledge_notice(
        self, *, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.recipient_unit_id, "the notice's recipient")
        notice.acknowledge(actor, as_aware(occurred_at))
        self.save_changes(notice)

    def report_rectification(
        self,
        *,
        notice_id: UUID,
        report: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        self_examination: str | None = None,
    ) -> None:
        """The recipient's rectification report; a cadre named by the notice files it, with
        their own written self-examination, themself."""
        notice = self.load(notice_id, RectificationNotice)
        self._check_is_recipient(actor, notice)
        notice.report_rectification(report, self_examination, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def submit_rectification_plan(
        self, *, notice_id: UUID, plan: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """整改方案: the recipient's plan for the rectification."""
        notice = self.load(notice_id, RectificationNotice)
        self._check_is_recipient(actor, notice)
        notice.submit_plan(plan, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def request_extension(
        self, *, notice_id: UUID, requested_deadline: date, reason: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """延期申请: the recipient asks, before the deadline, for a later one."""
        notice = self.load(notice_id, RectificationNotice)
        self._check_is_recipient(actor, notice)
        notice.request_extension(requested_deadline, reason, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def approve_extension(
        self, *, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None,
        note: str = "",
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.approve_extension(note, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def refuse_extension(
        self, *, notice_id: UUID, reason: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.refuse_extension(reason, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def verify_rectification(
        self, *, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None,
        note: str = "",
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.verify(note, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def send_back_rectification(
        self, *, notice_id: UUID, reason: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.send_back(reason, actor, as_aware(occurred_at))
        self.save_changes(notice)

    def close_notice(
        self, *, notice_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.close(actor, as_aware(occurred_at))
        self.save_changes(notice)

    def escalate_notice(
        self, *, notice_id: UUID, reason: str, actor: Actor, occurred_at: datetime | None = None,
        route: EscalationRoute = "case_lead",
    ) -> None:
        """Escalate the notice: to accountability (问责) or to casework as a lead (线索)."""
        check_escalation_route(route)
        notice = self.load(notice_id, RectificationNotice)
        self._check_acts_for(actor, notice.issuer_unit_id, "the issuing unit")
        notice.escalate(reason, actor, as_aware(occurred_at), route)
        self.save_changes(notice)

    # Bulletins.

    def issue_bulletin(
        self,
        *,
        kind: str,
        request_id: str,
        title: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        summary: str = "",
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
        self._check_new_bulletin_request(bulletin_id)
        problems = self._cited_problems(problem_ids)
        cited = list(dict.fromkeys(notice_ids))
        for cited_id in cited:
            if self.find(cited_id, RectificationNotice) is None:
                raise unknown_notice_cited(cited_id)

        retry = False

        def attempt() -> UUID:
            nonlocal retry
            if retry:  # another caller may have issued the same request meanwhile
                self._check_new_bulletin_request(bulletin_id)
            retry = True
            register = self.find(BulletinRegister.create_id(kind, when.year), BulletinRegister)
            if register is None:
                register = BulletinRegister(kind=kind, year=when.year, actor=actor,
                                            occurred_at=when)
            number = register.assign_number(bulletin_id, actor, when)
            bulletin = Bulletin(
                request_id=request_id, kind=kind, year=when.year, number=number, title=title,
                summary=summary, meeting=meeting, problems=problems, notice_ids=cited,
                actor=actor, occurred_at=when,
            )
            self.save_changes(bulletin, register)
            return bulletin_id

        return self.retrying(attempt, self.settings.numbering_attempts)

    def _check_new_bulletin_request(self, bulletin_id: UUID) -> None:
        existing = self.find(bulletin_id, Bulletin)
        if existing is not None:
            raise existing.already_issued()

    # Quarterly reports.

    def submit_quarterly_report(
        self,
        *,
        unit_id: UUID,
        year: int,
        quarter: int,
        summary: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        unit = self._unit(
            unit_id, "a quarterly report can only come from a unit registered with the "
            "responsibility service",
        )
        self._check_acts_for(actor, unit_id, "the reporting unit")
        unit.submit_quarterly_report(
            year, quarter, summary, self.settings.reporting, actor, as_aware(occurred_at),
            learned_at=utcnow(),
        )
        self.save_changes(unit)

    def record_paper_quarterly_report(
        self,
        *,
        unit_id: UUID,
        year: int,
        quarter: int,
        summary: str,
        received_on: date,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """A commission clerk records a unit's quarterly report that arrived on paper, with
        the day it was received: lateness is judged against that day, and the record keeps
        both it and when it was recorded. The act's business time is the day received unless
        the command states one."""
        unit = self._unit(
            unit_id, "a quarterly report can only come from a unit registered with the "
            "responsibility service",
        )
        when = as_aware(occurred_at) if occurred_at is not None else start_of_day(received_on)
        unit.submit_quarterly_report(
            year, quarter, summary, self.settings.reporting, actor, when,
            learned_at=utcnow(), received_on=received_on,
        )
        self.save_changes(unit)

    # Disclosure (traceable management).

    def collect_topic(
        self,
        *,
        unit_id: UUID,
        topic: str,
        collected_from: str,
        actor: Actor,
        occurred_at: datetime | None = None,
        decision_id: UUID | None = None,
    ) -> UUID:
        """The first step of a major decision's trail: its topic collected."""
        self._unit(unit_id)
        decision = MajorDecision(
            id=decision_id or uuid4(), unit_id=unit_id, topic=topic,
            collected_from=collected_from, actor=actor, occurred_at=as_aware(occurred_at),
        )
        self.save_new(decision, ConflictError(f"Decision {decision.id} already exists."))
        return decision.id

    def decide_at_meeting(
        self,
        *,
        decision_id: UUID,
        meeting: str,
        decision: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        trail = self.load(decision_id, MajorDecision)
        trail.decide(meeting, decision, actor, as_aware(occurred_at))
        self.save_changes(trail)

    def publish_decision_result(
        self,
        *,
        decision_id: UUID,
        channel: str,
        summary: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        trail = self.load(decision_id, MajorDecision)
        trail.publish_result(channel, summary, actor, as_aware(occurred_at))
        self.save_changes(trail)

    def supervise_decision_execution(
        self, *, decision_id: UUID, findings: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        trail = self.load(decision_id, MajorDecision)
        trail.supervise_execution(findings, actor, as_aware(occurred_at))
        self.save_changes(trail)

    def install_disclosure_board(
        self, *, community_id: UUID, location: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        community = self._unit(community_id)
        DisclosureBoard.check_site(community.name, community.kind)
        board = DisclosureBoard(
            community_id=community_id, location=location, actor=actor,
            occurred_at=as_aware(occurred_at),
        )
        self.save_new(board, DisclosureBoard.already_in(community.name))
        return board.id

    def post_to_disclosure_board(
        self, *, community_id: UUID, content: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        board = self.find(DisclosureBoard.create_id(community_id), DisclosureBoard)
        if board is None:
            raise DisclosureBoard.none_in(community_id)
        board.post(content, actor, as_aware(occurred_at))
        self.save_changes(board)

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every urgency change, overdue notice, missing quarterly report and week
        without an inspection or a circular (每周一督查一通报) due by ``as_of``, each exactly
        once. Returns the ids of the aggregates that got new events. A day outside the
        calendar (shared.bounds) is refused before anything is stored."""
        as_of = as_aware(as_of)
        check_clock_as_of(as_of)
        day, live = as_of.date(), self.as_of()
        warning, reporting = self.settings.warning, self.settings.reporting
        recorded: list[UUID] = []
        for notice_id in live.notices_due_on_clock(day, warning):
            notice = self.clock_load(notice_id, RectificationNotice)
            if notice is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if notice.record_deadline_events_due(as_of, warning, SYSTEM_ACTOR):
                self._record_mark(notice, recorded)
        for unit_id in list(live.reports_due_on_clock(day, reporting)):
            unit_file = self.clock_load(UnitFile.create_id(unit_id), UnitFile)
            if unit_file is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if unit_file.flag_missing_reports_due(as_of, reporting, SYSTEM_ACTOR):
                self._record_mark(unit_file, recorded)
        for monday, kind in live.weekly_findings_due(day):
            finding = WeeklyFinding.record(monday, kind, SYSTEM_ACTOR, as_of)
            try:
                self.save_new(finding, ConflictError("recorded by another clock run"))
            except ConflictError:
                continue  # another process's clock recorded it first: once either way
            recorded.append(finding.id)
        return recorded

    def _record_mark(self, aggregate: Any, recorded: list[UUID]) -> None:
        if self.save_if_uncontested(aggregate):
            recorded.append(aggregate.id)

    def refresh_gauges(self, as_of: date) -> None:
        service = self.service_name
        open_now = self.open_notices(as_of=as_of)
        by_colour = Counter(o.colour for o in open_now)
        for colour in URGENCY_COLOURS:
            metrics.NOTICES_OPEN.labels(service, colour).set(by_colour[colour])
        metrics.NOTICES_OVERDUE.labels(service).set(sum(o.urgency.overdue for o in open_now))
        year, quarter = quarter_of(as_of)
        compliance = self.quarterly_compliance(year=year, quarter=quarter, as_of=as_of)
        metrics.REPORTS_MISSING.labels(service).set(
            sum(r.status == "missing" for r in compliance)
        )

    # Queries. Each answers as the store says now, or as of a date (business time).

    def list_units(self, *, as_of: date | None = None) -> list[UnitView]:
        return sorted(self.as_of(as_of).units.values(), key=lambda u: u.code)

    def list_inspections(
        self,
        *,
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

    def get_notice(self, *, notice_id: UUID, as_of: date | None = None) -> NoticeView:
        try:
            return self.as_of(as_of).notices[notice_id]
        except KeyError:
            raise RectificationNotice.not_found(notice_id) from None

    def open_notices(
        self, *, as_of: date, unit_id: UUID | None = None, colour: str | None = None
    ) -> list[OpenNotice]:
        """Notices not closed on that day, with their urgency colour, by recipient unit."""
        return [
            o for o in self.as_of(as_of).open_notices(as_of, self.settings.warning)
            if unit_id in (None, o.notice.recipient_unit_id) and colour in (None, o.colour)
        ]

    def open_notices_by_unit(self, *, as_of: date) -> list[UnitNotices]:
        return self.as_of(as_of).notices_by_unit(as_of, self.settings.warning)

    def overdue_notices(self, *, as_of: date) -> list[OpenNotice]:
        """Notices past their deadline on that day whose rectification report is still owed."""
        return sorted(
            (o for o in self.open_notices(as_of=as_of) if o.urgency.overdue),
            key=lambda o: (o.notice.deadline, o.days_left),
        )

    def get_bulletin(self, *, bulletin_id: UUID, as_of: date | None = None) -> BulletinView:
        try:
            return self.as_of(as_of).bulletins[bulletin_id]
        except KeyError:
            raise Bulletin.not_found(bulletin_id) from None

    def bulletin_register(
        self, *, year: int, kind: str | None = None, as_of: date | None = None
    ) -> list[BulletinView]:
        return self.as_of(as_of).bulletin_register(year, kind)

    def quarterly_compliance(
        self, *, year: int, quarter: int, as_of: date, unit_id: UUID | None = None
    ) -> list[ReportCompliance]:
        check_quarter(quarter)
        rows = self.as_of(as_of).compliance(year, quarter, as_of, self.settings.reporting)
        return [r for r in rows if unit_id in (None, r.unit_id)]

    def get_decision(self, *, decision_id: UUID, as_of: date | None = None) -> DecisionView:
        try:
            return self.as_of(as_of).decisions[decision_id]
        except KeyError:
            raise MajorDecision.not_found(decision_id) from None

    def list_decisions(
        self, *, unit_id: UUID | None = None, incomplete_only: bool = False,
        as_of: date | None = None,
    ) -> list[DecisionView]:
        return sorted(
            (
                d for d in self.as_of(as_of).decisions.values()
                if unit_id in (None, d.unit_id) and not (incomplete_only and d.complete)
            ),
            key=lambda d: (d.steps[0].at, str(d.decision_id)),
        )

    def disclosure_coverage(self, *, as_of: date) -> DisclosureCoverage:
        return self.as_of(as_of).disclosure_coverage(as_of)

    def period_counts(
        self, *, start: date, end: date, as_of: date | None = None
    ) -> PeriodCounts:
        return self.as_of(as_of or end).period_counts(start, end)

    def open_follow_ups(
        self, *, as_of: date | None = None, unit_id: UUID | None = None
    ) -> list[FollowUpView]:
        return sorted(
            (
                f for f in self.as_of(as_of).follow_ups.values()
                if f.addressed_by is None and unit_id in (None, f.unit_id)
            ),
            key=lambda f: (f.opened_at, str(f.follow_up_id)),
        )

    # Helpers.

    def _unit(self, unit_id: UUID, why: str = "") -> UnitFile:
        """The file of a unit learned from the responsibility service (its id is derived)."""
        unit_file = self.find(UnitFile.create_id(unit_id), UnitFile)
        if unit_file is None:
            raise UnitFile.unknown(unit_id, why)
        return unit_file

    def _cadre(self, cadre_id: UUID) -> CadreFile:
        """A cadre learned from the responsibility service (its file's id is derived)."""
        cadre = self.find(CadreFile.create_id(cadre_id), CadreFile)
        if cadre is None:
            raise CadreFile.unknown(cadre_id)
        return cadre

    def _check_is_recipient(self, actor: Actor, notice: RectificationNotice) -> None:
        """The recipient's own steps: a clerk of the recipient unit, or, for a notice to a
        cadre, the cadre themself (their own token: the person is the cadre's)."""
        if notice.recipient_cadre_id is None:
            self._check_acts_for(actor, notice.recipient_unit_id, "the notice's recipient")
            return
        cadre = self._cadre(notice.recipient_cadre_id)
        if actor.person_id != cadre.person_id or actor.unit_id != cadre.unit_id:
            msg = (
                f"Rectification notice {notice.id} names cadre {cadre.name}: only the cadre, "
                "for themself, files its rectification, plan and written self-examination."
            )
            raise NotTheRecipientError(msg)

    def _check_units_known(self, unit_ids: Iterable[UUID]) -> None:
        for unit_id in dict.fromkeys(unit_ids):
            self._unit(unit_id)

    def _address_follow_ups(
        self, unit_ids: Iterable[UUID], inspection_id: UUID, actor: Actor, when: datetime
    ) -> list[UnitFile]:
        changed = []
        for unit_id in unit_ids:
            unit_file = self._unit(unit_id)
            if unit_file.address_follow_ups(inspection_id, actor, when):
                changed.append(unit_file)
        return changed

    def _cited_problems(self, problem_ids: Iterable[UUID]) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(problem_ids))
        if not wanted:
            return []
        found = self.as_of().problems
        problems = []
        for problem_id in wanted:
            if problem_id not in found:
                msg = f"No problem {problem_id} was recorded by any inspection."
                raise ProblemNotFoundError(msg)
            problems.append({k: v for k, v in found[problem_id].items() if k != "inspection_id"})
        return problems

    @staticmethod
    def _check_acts_for(actor: Actor, unit_id: UUID, role: str) -> None:
        if actor.unit_id != unit_id:
            msg = (
                f"Only a clerk of {role} ({unit_id}) may do this; you act for unit "
                f"{actor.unit_id}."
            )
            raise NotPermittedError(msg)

"""The read side of the supervision service: what the stored events say, now or as of a date.

``Overview`` is a projection of every supervision event. The live one follows the log; an
"as of" query replays the log into a fresh one, keeping only acts whose business time is on or
before the date asked. Units and tasks learned from the responsibility service carry that
service's business time, so "registered before the quarter ended" is answered the same way.

Every rule (how urgent a notice is, who owes a quarterly report and where it stands, which
units get a disclosure board, when a trail is complete) is asked of the domain, never
restated here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.supervision.domain import (
    COUNTED_RECIPIENT_KINDS,
    ESCALATION_ROUTES,
    UNANNOUNCED_VISIT,
    URGENCY_COLOURS,
    QuarterlyReporting,
    Urgency,
    WarningDays,
    counted_recipient_kind,
    needs_board,
    recipient_id,
    register_order,
    report_status,
    trail_complete,
    urgency,
    weekly_duties_missed,
    weeks_ended,
)
from shared.actors import Actor
from shared.contracts.supervision import (
    NoticeStatus,
    ReportStatus,
    UrgencyColour,
    VisitStatus,
)
from shared.readmodel import Projection, records_of


@dataclass
class UnitView:
    unit_id: UUID
    code: str
    name: str
    kind: str
    parent_unit_id: UUID | None
    registered_at: datetime


@dataclass
class CadreView:
    cadre_id: UUID
    person_id: UUID
    name: str
    unit_id: UUID


@dataclass
class InspectionView:
    inspection_id: UUID
    kind: str
    project: dict[str, Any] | None
    leader_person_id: UUID
    leader_name: str
    location: str
    held_on: date
    unit_ids: list[UUID]
    problems: list[dict[str, Any]]
    summary: str
    recorded_at: datetime
    recorded_by: Actor


@dataclass
class VisitView:
    visit_id: UUID
    status: VisitStatus
    scheduled_at: datetime
    scheduled_by: Actor


@dataclass
class ProjectListView:
    project_list_id: UUID
    year: int
    name: str
    projects: dict[str, dict[str, Any]]


@dataclass
class StepView:
    """One step of a trail: what happened, who did it, when."""

    step: str
    actor: Actor
    at: datetime
    details: dict[str, Any]


@dataclass
class NoticeView:
    notice_id: UUID
    recipient_kind: str
    recipient_unit_id: UUID
    recipient_cadre_id: UUID | None
    problems: list[dict[str, Any]]
    deadline: date
    self_examination_required: bool
    issuer_unit_id: UUID
    issued_at: datetime
    status: NoticeStatus = "issued"
    colour_recorded: UrgencyColour = "green"  # the urgency last recorded by check_deadlines
    overdue_recorded: bool = False
    reported_at: datetime | None = None
    reported_on_time: bool | None = None
    self_examination: str | None = None
    sent_back: int = 0
    escalated_at: datetime | None = None
    escalation_reason: str | None = None
    escalation_route: str | None = None  # accountability (问责) or case_lead (线索)
    plan: str | None = None  # the recipient's rectification plan (整改方案), the latest
    extension_requested: date | None = None  # a request (延期申请) awaiting the commission
    extensions_approved: int = 0
    extensions_refused: int = 0
    history: list[StepView] = field(default_factory=list)

    def urgency(self, day: date, warning: WarningDays) -> Urgency:
        return urgency(self.deadline, day, warning, self.status)


@dataclass
class OpenNotice:
    """An open notice and its urgency on the day asked."""

    notice: NoticeView
    colour: UrgencyColour
    days_left: int

    @property
    def urgency(self) -> Urgency:
        return Urgency(self.colour, self.days_left)


@dataclass
class UnitNotices:
    unit_id: UUID
    unit_name: str
    by_colour: dict[str, int]


@dataclass
class BulletinView:
    bulletin_id: UUID
    request_id: str
    kind: str
    year: int
    number: int
    title: str
    summary: str
    meeting: str | None
    problems: list[dict[str, Any]]
    notice_ids: list[UUID]
    issued_at: datetime
    issued_by: Actor


@dataclass
class ReportView:
    unit_id: UUID
    year: int
    quarter: int
    submitted_at: datetime | None = None  # the business time the report claims
    recorded_at: datetime | None = None  # when the system learned of it
    received_on: date | None = None  # the day the commission received it on paper
    on_time: bool | None = None
    days_late: int = 0
    summary: str = ""
    missing_flagged_at: datetime | None = None


@dataclass
class ReportCompliance:
    unit_id: UUID
    unit_name: str
    year: int
    quarter: int
    deadline: date
    status: ReportStatus
    submitted_at: datetime | None  # the date the report claims (the act's business time)
    days_late: int
    missing_flagged: bool
    # When the system learned of the report, and, for a paper report, the day the commission
    # received it: lateness is judged against these, not against ``submitted_at``.
    recorded_at: datetime | None = None
    received_on: date | None = None


@dataclass
class FollowUpView:
    follow_up_id: UUID
    unit_id: UUID
    task_id: UUID
    task_title: str
    task_deadline: date
    opened_at: datetime
    addressed_by: UUID | None = None
    addressed_at: datetime | None = None


@dataclass
class DecisionView:
    decision_id: UUID
    unit_id: UUID
    topic: str
    step: str
    steps: list[StepView]

    @property
    def complete(self) -> bool:
        return trail_complete(self.step)


@dataclass
class BoardView:
    board_id: UUID
    community_id: UUID
    location: str
    installed_at: datetime
    postings: list[StepView] = field(default_factory=list)


@dataclass
class DisclosureCoverage:
    as_of: date
    communities: list[UUID]
    with_board: list[UUID]
    without_board: list[UUID]

    @property
    def complete(self) -> bool:
        return bool(self.communities) and not self.without_board


@dataclass
class PeriodCounts:
    """The seed's figures for a period: bulletins by kind, rectification notices by kind of
    recipient (notices and distinct recipients, each counted apart: district departments,
    towns and subdistricts, communities, cadres), inspections by kind and problems found."""

    start: date
    end: date
    special_reports: int
    circulars: int
    meeting_circulars: int
    notices: dict[str, int]
    notice_recipients: dict[str, int]
    inspections: dict[str, int]
    problems_found: int
    # 每周一督查一通报: the Mondays of the weeks in the period the clock recorded without an
    # inspection, and without a circular.
    weeks_without_inspection: list[date] = field(default_factory=list)
    weeks_without_circular: list[date] = field(default_factory=list)
    # Notices issued in the period: escalated, by route (accountability 问责, case_lead 线索);
    # with a rectification plan; extensions approved and refused.
    escalations: dict[str, int] = field(default_factory=dict)
    notices_with_plan: int = 0
    extensions_approved: int = 0
    extensions_refused: int = 0


class Overview(Projection):
    """Units, inspections, notices, bulletins, quarterly reports, follow-ups and disclosure."""

    # Kept as record versions in the service's store (shared/readmodel.py).
    stored = (
        "units", "cadres", "reports", "follow_ups", "project_lists", "inspections", "visits",
        "problems", "notices", "bulletins", "decisions", "boards", "weekly_findings",
    )
    stored_scalars = ("first_unit_learned",)

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.units: dict[UUID, UnitView] = {}
        self.cadres: dict[UUID, CadreView] = {}
        self.reports: dict[tuple[UUID, int, int], ReportView] = {}
        self.follow_ups: dict[UUID, FollowUpView] = {}
        self.project_lists: dict[UUID, ProjectListView] = {}
        self.inspections: dict[UUID, InspectionView] = {}
        self.visits: dict[UUID, VisitView] = {}
        self.problems: dict[UUID, dict[str, Any]] = {}
        self.notices: dict[UUID, NoticeView] = {}
        self.bulletins: dict[UUID, BulletinView] = {}
        self.decisions: dict[UUID, DecisionView] = {}
        self.boards: dict[UUID, BoardView] = {}
        # 每周一督查一通报: the findings recorded, by (the week's Monday, kind).
        self.weekly_findings: dict[tuple[date, str], datetime] = {}
        self.first_unit_learned: date | None = None

    # What the responsibility service told us.

    def on_UnitFile_Learned(self, e: Any) -> None:  # noqa: N802 - named after the event class
        self.units[e.unit_id] = UnitView(
            e.unit_id, e.code, e.name, e.kind, e.parent_unit_id, e.occurred_at
        )
        day = e.occurred_at.date()
        if self.first_unit_learned is None or day < self.first_unit_learned:
            self.first_unit_learned = day

    def on_CadreFile_Learned(self, e: Any) -> None:  # noqa: N802
        self.cadres[e.cadre_id] = CadreView(e.cadre_id, e.person_id, e.name, e.unit_id)

    def _report(self, e: Any) -> ReportView:
        key = (e.unit_id, e.year, e.quarter)
        return self.reports.setdefault(key, ReportView(e.unit_id, e.year, e.quarter))

    def on_UnitFile_QuarterlyReportSubmitted(self, e: Any) -> None:  # noqa: N802
        report = self._report(e)
        report.submitted_at = e.occurred_at
        report.recorded_at = e.timestamp
        report.received_on = getattr(e, "received_on", None)  # absent from older events
        report.on_time = e.on_time
        report.days_late = e.days_late
        report.summary = e.summary

    def on_UnitFile_QuarterlyReportMissing(self, e: Any) -> None:  # noqa: N802
        self._report(e).missing_flagged_at = e.occurred_at

    def on_UnitFile_FollowUpOpened(self, e: Any) -> None:  # noqa: N802
        self.follow_ups[e.follow_up_id] = FollowUpView(
            e.follow_up_id, e.unit_id, e.task_id, e.task_title, e.task_deadline, e.occurred_at
        )

    def on_UnitFile_FollowUpAddressed(self, e: Any) -> None:  # noqa: N802
        follow_up = self.follow_ups.get(e.follow_up_id)
        if follow_up is not None:
            follow_up.addressed_by = e.inspection_id
            follow_up.addressed_at = e.occurred_at

    # Inspections.

    def on_KeyProjectList_Published(self, e: Any) -> None:  # noqa: N802
        self.project_lists[e.originator_id] = ProjectListView(
            e.originator_id, e.year, e.name, {p["code"]: dict(p) for p in e.projects}
        )

    def on_KeyProjectList_ProjectAdded(self, e: Any) -> None:  # noqa: N802
        project_list = self.project_lists.get(e.originator_id)
        if project_list is not None:
            project_list.projects[e.code] = {
                "code": e.code, "name": e.name, "lead_unit_id": e.lead_unit_id,
            }

    def _add_inspection(self, e: Any, kind: str, project: dict[str, Any] | None) -> None:
        self.inspections[e.originator_id] = InspectionView(
            e.originator_id, kind, project, e.leader_person_id, e.leader_name, e.location,
            e.held_on, list(e.unit_ids), [dict(p) for p in e.problems], e.summary,
            e.occurred_at, e.actor,
        )
        for problem in e.problems:
            self.problems[problem["problem_id"]] = {**problem, "inspection_id": e.originator_id}

    def on_Inspection_Recorded(self, e: Any) -> None:  # noqa: N802
        self._add_inspection(e, e.kind, e.project)

    def on_UnannouncedVisit_Scheduled(self, e: Any) -> None:  # noqa: N802
        self.visits[e.originator_id] = VisitView(
            e.originator_id, "scheduled", e.occurred_at, e.actor
        )

    def on_UnannouncedVisit_Conducted(self, e: Any) -> None:  # noqa: N802
        if e.originator_id in self.visits:
            self.visits[e.originator_id].status = "conducted"
        self._add_inspection(e, UNANNOUNCED_VISIT, None)

    def on_UnannouncedVisit_Cancelled(self, e: Any) -> None:  # noqa: N802
        if e.originator_id in self.visits:
            self.visits[e.originator_id].status = "cancelled"

    # Rectification notices.

    def on_RectificationNotice_Issued(self, e: Any) -> None:  # noqa: N802
        # A notice stored with the former kind "unit" reads as the kind it is counted as.
        unit = self.units.get(e.recipient_unit_id)
        kind = counted_recipient_kind(e.recipient_kind, unit.kind if unit else None)
        self.notices[e.originator_id] = NoticeView(
            e.originator_id, kind, e.recipient_unit_id, e.recipient_cadre_id,
            [dict(p) for p in e.problems], e.deadline, e.self_examination_required,
            e.actor.unit_id, e.occurred_at,
            history=[StepView("issued", e.actor, e.occurred_at, {})],
        )

    def _step(self, e: Any, step: str, **details: Any) -> NoticeView | None:
        notice = self.notices.get(e.originator_id)
        if notice is not None:
            notice.history.append(StepView(step, e.actor, e.occurred_at, details))
        return notice

    def on_RectificationNotice_Acknowledged(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "acknowledged"):
            notice.status = "acknowledged"

    def on_RectificationNotice_RectificationReported(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "rectification_reported", report=e.report):
            notice.status = "rectification_reported"
            notice.reported_at = e.occurred_at
            notice.reported_on_time = e.on_time
            notice.self_examination = e.self_examination

    def on_RectificationNotice_PlanSubmitted(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "plan_submitted", plan=e.plan):
            notice.plan = e.plan

    def on_RectificationNotice_ExtensionRequested(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "extension_requested", reason=e.reason,
                                requested_deadline=e.requested_deadline):
            notice.extension_requested = e.requested_deadline

    def on_RectificationNotice_ExtensionApproved(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "extension_approved", note=e.note,
                                previous_deadline=e.previous_deadline):
            notice.deadline = e.new_deadline
            notice.extension_requested = None
            notice.extensions_approved += 1
            notice.colour_recorded = "green"  # the clock judges the new deadline afresh

    def on_RectificationNotice_ExtensionRefused(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "extension_refused", reason=e.reason):
            notice.extension_requested = None
            notice.extensions_refused += 1

    def on_RectificationNotice_RectificationVerified(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "verified", note=e.note):
            notice.status = "verified"

    def on_RectificationNotice_RectificationSentBack(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "sent_back", reason=e.reason):
            notice.status = "sent_back"
            notice.sent_back += 1

    def on_RectificationNotice_Closed(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "closed"):
            notice.status = "closed"

    def on_RectificationNotice_UrgencyRaised(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "urgency_raised", colour=e.colour, days_left=e.days_left):
            notice.colour_recorded = e.colour

    def on_RectificationNotice_Overdue(self, e: Any) -> None:  # noqa: N802
        if notice := self._step(e, "overdue"):
            notice.colour_recorded = "red"
            notice.overdue_recorded = True

    def on_RectificationNotice_EscalatedToCasework(self, e: Any) -> None:  # noqa: N802
        route = getattr(e, "route", "case_lead")  # absent from events stored before routes
        if notice := self._step(e, "escalated", reason=e.reason, route=route):
            notice.escalated_at = e.occurred_at
            notice.escalation_reason = e.reason
            notice.escalation_route = route

    # Bulletins.

    def on_Bulletin_Issued(self, e: Any) -> None:  # noqa: N802
        self.bulletins[e.originator_id] = BulletinView(
            e.originator_id, e.request_id, e.kind, e.year, e.number, e.title, e.summary,
            e.meeting, [dict(p) for p in e.problems], list(e.notice_ids), e.occurred_at,
            e.actor,
        )

    # 每周一督查一通报.

    def on_WeeklyFinding_Recorded(self, e: Any) -> None:  # noqa: N802
        self.weekly_findings[(e.week_start, e.kind)] = e.occurred_at

    # Disclosure.

    def on_MajorDecision_TopicCollected(self, e: Any) -> None:  # noqa: N802
        self.decisions[e.originator_id] = DecisionView(
            e.originator_id, e.unit_id, e.topic, "topic_collected",
            [StepView("topic_collected", e.actor, e.occurred_at,
                      {"collected_from": e.collected_from})],
        )

    def _decision_step(self, e: Any, step: str, **details: Any) -> None:
        decision = self.decisions.get(e.originator_id)
        if decision is not None:
            decision.step = step
            decision.steps.append(StepView(step, e.actor, e.occurred_at, details))

    def on_MajorDecision_DecidedAtMeeting(self, e: Any) -> None:  # noqa: N802
        self._decision_step(e, "decided", meeting=e.meeting, decision=e.decision)

    def on_MajorDecision_ResultPublished(self, e: Any) -> None:  # noqa: N802
        self._decision_step(e, "result_published", channel=e.channel, summary=e.summary)

    def on_MajorDecision_ExecutionSupervised(self, e: Any) -> None:  # noqa: N802
        self._decision_step(e, "execution_supervised", findings=e.findings)

    def on_DisclosureBoard_Installed(self, e: Any) -> None:  # noqa: N802
        self.boards[e.originator_id] = BoardView(
            e.originator_id, e.community_id, e.location, e.occurred_at
        )

    def on_DisclosureBoard_ContentPosted(self, e: Any) -> None:  # noqa: N802
        board = self.boards.get(e.originator_id)
        if board is not None:
            board.postings.append(StepView("posted", e.actor, e.occurred_at,
                                           {"content": e.content}))

    # Questions.

    def unit_name(self, unit_id: UUID) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit is not None else str(unit_id)

    def open_notices(self, day: date, warning: WarningDays) -> list[OpenNotice]:
        """Notices not closed on ``day``, with their urgency that day: by recipient unit, the
        most urgent first."""
        urgent = []
        for notice in self.notices.values():
            if notice.status != "closed":
                now = notice.urgency(day, warning)
                urgent.append(OpenNotice(notice, now.colour, now.days_left))
        return sorted(
            urgent,
            key=lambda o: (
                self.unit_name(o.notice.recipient_unit_id), -o.urgency.rank,
                o.notice.deadline, str(o.notice.notice_id),
            ),
        )

    def notices_by_unit(self, day: date, warning: WarningDays) -> list[UnitNotices]:
        counts: dict[UUID, Counter[str]] = {}
        for item in self.open_notices(day, warning):
            counts.setdefault(item.notice.recipient_unit_id, Counter())[item.colour] += 1
        return sorted(
            (
                UnitNotices(unit_id, self.unit_name(unit_id),
                            {c: counter.get(c, 0) for c in URGENCY_COLOURS})
                for unit_id, counter in counts.items()
            ),
            key=lambda u: u.unit_name,
        )

    def notices_due_on_clock(self, day: date, warning: WarningDays) -> list[UUID]:
        """Notices whose urgency on ``day`` rises above the colour last recorded: the clock
        has something to record on each."""
        return [
            n.notice_id for n in self.notices.values()
            if n.urgency(day, warning).rises_above(n.colour_recorded)
        ]

    def weekly_findings_due(self, day: date) -> list[tuple[date, str]]:
        """(Monday, kind) of every whole week ended before ``day`` that lacked an inspection
        or a circular and is not recorded yet: the clock has these to record."""
        if self.first_unit_learned is None:
            return []
        inspected = [i.held_on for i in self.inspections.values()]
        circulated = [b.issued_at.date() for b in self.bulletins.values() if b.kind == "circular"]
        return [
            (monday, kind)
            for monday in weeks_ended(self.first_unit_learned, day)
            for kind in weekly_duties_missed(monday, inspected, circulated)
            if (monday, kind) not in self.weekly_findings
        ]

    def bulletin_register(self, year: int, kind: str | None) -> list[BulletinView]:
        return sorted(
            (b for b in self.bulletins.values() if b.year == year and kind in (None, b.kind)),
            key=lambda b: (register_order(b.kind), b.number),
        )

    def report_status(
        self, unit_id: UUID, year: int, quarter: int, day: date, reporting: QuarterlyReporting
    ) -> ReportStatus:
        report = self.reports.get((unit_id, year, quarter))
        on_time = report.on_time if report is not None else None
        return report_status(reporting.deadline(year, quarter), day, on_time)

    def compliance(
        self, year: int, quarter: int, day: date, reporting: QuarterlyReporting
    ) -> list[ReportCompliance]:
        """Every unit that owes a report for the quarter, and where its report stands."""
        rows = []
        for unit in self.units.values():
            if not reporting.owes(unit.kind, unit.registered_at.date(), year, quarter,
                                  unit.code):
                continue
            report = self.reports.get((unit.unit_id, year, quarter))
            rows.append(ReportCompliance(
                unit.unit_id, unit.name, year, quarter, reporting.deadline(year, quarter),
                self.report_status(unit.unit_id, year, quarter, day, reporting),
                report.submitted_at if report else None, report.days_late if report else 0,
                bool(report and report.missing_flagged_at),
                report.recorded_at if report else None, report.received_on if report else None,
            ))
        return sorted(rows, key=lambda r: r.unit_name)

    def reports_due_on_clock(
        self, day: date, reporting: QuarterlyReporting
    ) -> Iterator[UUID]:
        """Units with a report missing on ``day`` that the clock has not flagged yet."""
        for unit in self.units.values():
            quarters = reporting.quarters_past_deadline(
                unit.kind, unit.registered_at.date(), day, unit.code
            )
            if any(
                self.report_status(unit.unit_id, year, quarter, day, reporting) == "missing"
                and not self._flagged(unit.unit_id, year, quarter)
                for year, quarter in quarters
            ):
                yield unit.unit_id

    def _flagged(self, unit_id: UUID, year: int, quarter: int) -> bool:
        report = self.reports.get((unit_id, year, quarter))
        return report is not None and report.missing_flagged_at is not None

    def disclosure_coverage(self, day: date) -> DisclosureCoverage:
        communities = sorted(
            (u.unit_id for u in self.units.values() if needs_board(u.kind)), key=str
        )
        boarded = {b.community_id for b in self.boards.values()}
        return DisclosureCoverage(
            day, communities, [c for c in communities if c in boarded],
            [c for c in communities if c not in boarded],
        )

    def period_counts(self, start: date, end: date) -> PeriodCounts:
        def within(moment: datetime) -> bool:
            return start <= moment.date() <= end

        bulletins = Counter(b.kind for b in self.bulletins.values() if within(b.issued_at))
        notices = [n for n in self.notices.values() if within(n.issued_at)]
        recipients: dict[str, set[UUID]] = {k: set() for k in COUNTED_RECIPIENT_KINDS}
        for n in notices:
            recipients[n.recipient_kind].add(
                recipient_id(n.recipient_kind, n.recipient_unit_id, n.recipient_cadre_id)
            )
        inspections = [i for i in self.inspections.values() if start <= i.held_on <= end]
        notice_counts = Counter(n.recipient_kind for n in notices)
        return PeriodCounts(
            start=start,
            end=end,
            special_reports=bulletins.get("special_report", 0),
            circulars=bulletins.get("circular", 0),
            meeting_circulars=bulletins.get("meeting_circular", 0),
            notices={k: notice_counts.get(k, 0) for k in COUNTED_RECIPIENT_KINDS},
            notice_recipients={k: len(v) for k, v in recipients.items()},
            inspections=dict(Counter(i.kind for i in inspections)),
            problems_found=sum(len(i.problems) for i in inspections),
            escalations={
                route: sum(1 for n in notices if n.escalation_route == route)
                for route in ESCALATION_ROUTES
            },
            notices_with_plan=sum(1 for n in notices if n.plan is not None),
            extensions_approved=sum(n.extensions_approved for n in notices),
            extensions_refused=sum(n.extensions_refused for n in notices),
            weeks_without_inspection=self._weeks_missed("inspection", start, end),
            weeks_without_circular=self._weeks_missed("circular", start, end),
        )

    def _weeks_missed(self, kind: str, start: date, end: date) -> list[date]:
        return sorted(
            monday for monday, k in self.weekly_findings
            if k == kind and start <= monday <= end
        )


Overview.record_classes = records_of(__name__, Actor)

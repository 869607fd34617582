"""Public events of the supervision service (the discipline commission's supervision
responsibility).

Classification: what names problems, units and cadres found by inspections is ``internal``;
the scheduling (and cancelling) of an unannounced visit is ``confidential`` and carries only
the visit's id and the actor; bulletin numbering and the disclosure trail are ``public``.
No event carries the identity of a petitioner or whistleblower.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import EventData, contract
from shared.contracts.responsibility import UnitKind

SERVICE = "supervision"

# The vocabularies below are defined here and nowhere else: the supervision domain derives its
# tuples from them (typing.get_args), and the commands and queries validate with them.

# Inspections recorded in one go; an unannounced visit is scheduled first, then conducted.
InspectionKind = Literal["key_project", "weekly", "open_visit", "land_acquisition_demolition"]
UnannouncedVisitKind = Literal["unannounced_visit"]
AnyInspectionKind = Literal[InspectionKind, UnannouncedVisitKind]
VisitStatus = Literal["scheduled", "conducted", "cancelled"]
ProblemCategory = Literal[
    "responsibility_not_fulfilled",
    "work_discipline",
    "eight_point_rules",
    "formalism_bureaucratism",
    "fund_management",
    "project_management",
    "land_acquisition_demolition",
    "public_service_conduct",
    "other",
]
# In the order of the bulletin register.
BulletinKind = Literal["special_report", "circular", "meeting_circular"]
# Counted apart, as the seed counts them: 区直单位 (district departments), 镇街 (towns and
# subdistricts), 社区 (communities) and 干部 (cadres). "unit" is how notices to a district
# department, town or subdistrict were recorded before they were counted apart: no new notice
# records it, and a stored one is counted by its unit's kind (docs/contract.md).
RecipientKind = Literal[
    "unit", "community", "cadre", "district_department", "town_or_subdistrict"
]
# In rising order of urgency: green (time enough, or awaiting verification), blue, yellow, red.
UrgencyColour = Literal["green", "blue", "yellow", "red"]
NoticeStatus = Literal[
    "issued", "acknowledged", "rectification_reported", "sent_back", "verified", "closed"
]
Quarter = Literal[1, 2, 3, 4]
# Where a unit's quarterly report stands on a day (an answer, not an event).
ReportStatus = Literal["on_time", "late", "missing", "pending"]
# The steps of a major decision's disclosure trail, in their order.
DisclosureStep = Literal["topic_collected", "decided", "result_published", "execution_supervised"]
# Where an overdue (or otherwise unrectified) notice is escalated: accountability of those
# responsible (问责), or a case lead (问题线索) for casework.
EscalationRoute = Literal["accountability", "case_lead"]
# 每周一督查一通报: what a week owes, an inspection held and a circular issued.
WeeklyDutyKind = Literal["inspection", "circular"]


class Problem(BaseModel):
    """A problem found, with the unit or the cadre it concerns (at least one of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    problem_id: UUID
    category: ProblemCategory
    description: str = Field(min_length=1)
    unit_id: UUID | None
    cadre_id: UUID | None


class KeyProject(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    lead_unit_id: UUID


class ProjectInspected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    project_list_id: UUID
    code: str
    name: str
    lead_unit_id: UUID


# What supervision learns from the responsibility service.


@contract(
    service=SERVICE, name="unit_file_opened", domain_event="UnitFile.Learned",
    subject_field="unit_file_id", classification="internal",
)
class UnitFileOpened(EventData):
    """Supervision opened its file on a unit registered with the responsibility service."""

    unit_file_id: UUID
    unit_id: UUID
    code: str
    name: str
    kind: UnitKind
    parent_unit_id: UUID | None
    upstream_event_id: str = Field(description="id of the responsibility CloudEvent")


@contract(
    service=SERVICE, name="quarterly_report_submitted",
    domain_event="UnitFile.QuarterlyReportSubmitted", subject_field="unit_file_id",
    classification="internal",
)
class QuarterlyReportSubmitted(EventData):
    unit_file_id: UUID
    unit_id: UUID
    year: int
    quarter: Quarter
    summary: str
    deadline: date
    on_time: bool
    days_late: int = Field(ge=0)
    received_on: date | None = Field(
        default=None,
        description="the day the commission received the report on paper, as its clerk "
        "recorded it; null when the unit entered the report itself (then lateness is judged "
        "against the CloudEvent's recordedtime, when the system learned of it)",
    )


@contract(
    service=SERVICE, name="quarterly_report_missing",
    domain_event="UnitFile.QuarterlyReportMissing", subject_field="unit_file_id",
    classification="internal",
)
class QuarterlyReportMissing(EventData):
    unit_file_id: UUID
    unit_id: UUID
    year: int
    quarter: Quarter
    deadline: date


@contract(
    service=SERVICE, name="follow_up_opened", domain_event="UnitFile.FollowUpOpened",
    subject_field="unit_file_id", classification="internal",
)
class FollowUpOpened(EventData):
    """A task of the unit went overdue: its next inspection follows it up."""

    unit_file_id: UUID
    unit_id: UUID
    follow_up_id: UUID
    task_id: UUID
    task_title: str
    task_deadline: date
    upstream_event_id: str


@contract(
    service=SERVICE, name="follow_up_addressed", domain_event="UnitFile.FollowUpAddressed",
    subject_field="unit_file_id", classification="internal",
)
class FollowUpAddressed(EventData):
    unit_file_id: UUID
    unit_id: UUID
    follow_up_id: UUID
    task_id: UUID
    inspection_id: UUID


@contract(
    service=SERVICE, name="cadre_file_opened", domain_event="CadreFile.Learned",
    subject_field="cadre_file_id", classification="internal",
)
class CadreFileOpened(EventData):
    """Supervision learned a cadre registered with the responsibility service: a notice may
    name only a cadre it knows, and only that cadre files their self-examination."""

    cadre_file_id: UUID
    cadre_id: UUID
    person_id: UUID
    name: str
    unit_id: UUID
    upstream_event_id: str = Field(description="id of the responsibility CloudEvent")


@contract(
    service=SERVICE, name="task_watched", domain_event="TaskWatch.Learned",
    subject_field="task_watch_id", classification="internal",
)
class TaskWatched(EventData):
    task_watch_id: UUID
    task_id: UUID
    lead_unit_id: UUID
    title: str
    deadline: date
    upstream_event_id: str


# Inspections.


@contract(
    service=SERVICE, name="key_project_list_published", domain_event="KeyProjectList.Published",
    subject_field="project_list_id",
)
class KeyProjectListPublished(EventData):
    project_list_id: UUID
    year: int
    name: str
    projects: list[KeyProject]


@contract(
    service=SERVICE, name="key_project_added", domain_event="KeyProjectList.ProjectAdded",
    subject_field="project_list_id",
)
class KeyProjectAdded(EventData):
    project_list_id: UUID
    code: str
    name: str
    lead_unit_id: UUID


@contract(
    service=SERVICE, name="inspection_recorded", domain_event="Inspection.Recorded",
    subject_field="inspection_id", classification="internal",
)
class InspectionRecorded(EventData):
    inspection_id: UUID
    kind: InspectionKind
    project: ProjectInspected | None
    leader_person_id: UUID
    leader_name: str
    location: str
    held_on: date
    unit_ids: list[UUID] = Field(min_length=1)
    problems: list[Problem]
    summary: str


@contract(
    service=SERVICE, name="unannounced_visit_scheduled",
    domain_event="UnannouncedVisit.Scheduled", subject_field="visit_id",
    classification="confidential",
)
class UnannouncedVisitScheduled(EventData):
    """Only that a visit was scheduled, and by whom: never where, when or whom."""

    visit_id: UUID


@contract(
    service=SERVICE, name="unannounced_visit_conducted",
    domain_event="UnannouncedVisit.Conducted", subject_field="visit_id",
    classification="internal",
)
class UnannouncedVisitConducted(EventData):
    visit_id: UUID
    leader_person_id: UUID
    leader_name: str
    location: str
    held_on: date
    unit_ids: list[UUID] = Field(min_length=1)
    problems: list[Problem]
    summary: str


@contract(
    service=SERVICE, name="unannounced_visit_cancelled",
    domain_event="UnannouncedVisit.Cancelled", subject_field="visit_id",
    classification="confidential",
)
class UnannouncedVisitCancelled(EventData):
    visit_id: UUID


# Rectification notices.


@contract(
    service=SERVICE, name="rectification_notice_issued", domain_event="RectificationNotice.Issued",
    subject_field="notice_id", classification="internal",
)
class RectificationNoticeIssued(EventData):
    notice_id: UUID
    recipient_kind: RecipientKind
    recipient_unit_id: UUID = Field(description="the unit, community, or the cadre's unit")
    recipient_cadre_id: UUID | None
    problems: list[Problem] = Field(min_length=1)
    deadline: date
    self_examination_required: bool


@contract(
    service=SERVICE, name="rectification_notice_acknowledged",
    domain_event="RectificationNotice.Acknowledged", subject_field="notice_id",
    classification="internal",
)
class RectificationNoticeAcknowledged(EventData):
    notice_id: UUID


@contract(
    service=SERVICE, name="rectification_reported",
    domain_event="RectificationNotice.RectificationReported", subject_field="notice_id",
    classification="internal",
)
class RectificationReported(EventData):
    notice_id: UUID
    report: str
    self_examination: str | None
    on_time: bool


@contract(
    service=SERVICE, name="rectification_plan_submitted",
    domain_event="RectificationNotice.PlanSubmitted", subject_field="notice_id",
    classification="internal",
)
class RectificationPlanSubmitted(EventData):
    """The recipient's rectification plan (整改方案): what it will do, by the deadline."""

    notice_id: UUID
    plan: str
    deadline: date


@contract(
    service=SERVICE, name="rectification_extension_requested",
    domain_event="RectificationNotice.ExtensionRequested", subject_field="notice_id",
    classification="internal",
)
class RectificationExtensionRequested(EventData):
    """The recipient's extension request (延期申请), made before the deadline passed."""

    notice_id: UUID
    deadline: date
    requested_deadline: date
    reason: str


@contract(
    service=SERVICE, name="rectification_extension_approved",
    domain_event="RectificationNotice.ExtensionApproved", subject_field="notice_id",
    classification="internal",
)
class RectificationExtensionApproved(EventData):
    """The commission approved the extension: the notice's deadline is ``new_deadline`` from
    now on, and the clock judges its urgency afresh."""

    notice_id: UUID
    previous_deadline: date
    new_deadline: date
    note: str


@contract(
    service=SERVICE, name="rectification_extension_refused",
    domain_event="RectificationNotice.ExtensionRefused", subject_field="notice_id",
    classification="internal",
)
class RectificationExtensionRefused(EventData):
    notice_id: UUID
    deadline: date = Field(description="the deadline, which stands")
    reason: str


@contract(
    service=SERVICE, name="rectification_verified",
    domain_event="RectificationNotice.RectificationVerified", subject_field="notice_id",
    classification="internal",
)
class RectificationVerified(EventData):
    notice_id: UUID
    note: str


@contract(
    service=SERVICE, name="rectification_sent_back",
    domain_event="RectificationNotice.RectificationSentBack", subject_field="notice_id",
    classification="internal",
)
class RectificationSentBack(EventData):
    notice_id: UUID
    reason: str


@contract(
    service=SERVICE, name="rectification_notice_closed", domain_event="RectificationNotice.Closed",
    subject_field="notice_id", classification="internal",
)
class RectificationNoticeClosed(EventData):
    notice_id: UUID


@contract(
    service=SERVICE, name="rectification_notice_urgency_raised",
    domain_event="RectificationNotice.UrgencyRaised", subject_field="notice_id",
    classification="internal",
)
class RectificationNoticeUrgencyRaised(EventData):
    notice_id: UUID
    deadline: date
    days_left: int = Field(ge=0)
    previous_colour: UrgencyColour
    colour: UrgencyColour


@contract(
    service=SERVICE, name="rectification_notice_overdue",
    domain_event="RectificationNotice.Overdue", subject_field="notice_id",
    classification="internal",
)
class RectificationNoticeOverdue(EventData):
    notice_id: UUID
    deadline: date
    previous_colour: UrgencyColour


@contract(
    service=SERVICE, name="rectification_notice_escalated",
    domain_event="RectificationNotice.EscalatedToCasework", subject_field="notice_id",
    classification="internal",
)
class RectificationNoticeEscalated(EventData):
    """A lead for casework, self-contained: the notice, its recipient, the problems and why.

    It names units and cadres concerned, never a petitioner or whistleblower.
    """

    notice_id: UUID
    recipient_kind: RecipientKind
    recipient_unit_id: UUID
    recipient_cadre_id: UUID | None
    problems: list[Problem] = Field(min_length=1)
    deadline: date
    status: NoticeStatus = Field(description="the notice's status when it was escalated")
    reason: str = Field(min_length=1)
    route: EscalationRoute = Field(
        default="case_lead",
        description="accountability (问责) or a case lead (问题线索) for casework; events "
        "stored before routes were named were case leads",
    )


# 每周一督查一通报.


@contract(
    service=SERVICE, name="weekly_supervision_missed", domain_event="WeeklyFinding.Recorded",
    subject_field="finding_id",
)
class WeeklySupervisionMissed(EventData):
    """A week (Monday to Sunday) passed without an inspection held, or without a circular
    issued: recorded by the clock once the week is over, once per week and kind."""

    finding_id: UUID
    week_start: date = Field(description="the week's Monday")
    week_end: date = Field(description="the week's Sunday")
    kind: WeeklyDutyKind = Field(description="what the week lacked")


# Bulletins.


@contract(
    service=SERVICE, name="bulletin_register_opened", domain_event="BulletinRegister.Opened",
    subject_field="register_id",
)
class BulletinRegisterOpened(EventData):
    register_id: UUID
    kind: BulletinKind
    year: int


@contract(
    service=SERVICE, name="bulletin_number_assigned",
    domain_event="BulletinRegister.NumberAssigned", subject_field="register_id",
)
class BulletinNumberAssigned(EventData):
    register_id: UUID
    number: int = Field(ge=1)
    bulletin_id: UUID


@contract(
    service=SERVICE, name="bulletin_issued", domain_event="Bulletin.Issued",
    subject_field="bulletin_id", classification="internal",
)
class BulletinIssued(EventData):
    bulletin_id: UUID
    request_id: str
    kind: BulletinKind
    year: int
    number: int = Field(ge=1)
    title: str
    summary: str
    meeting: str | None
    problems: list[Problem]
    notice_ids: list[UUID]


# Disclosure (traceable management).


@contract(
    service=SERVICE, name="decision_topic_collected", domain_event="MajorDecision.TopicCollected",
    subject_field="decision_id",
)
class DecisionTopicCollected(EventData):
    decision_id: UUID
    unit_id: UUID
    topic: str
    collected_from: str


@contract(
    service=SERVICE, name="decision_made_at_meeting",
    domain_event="MajorDecision.DecidedAtMeeting", subject_field="decision_id",
)
class DecisionMadeAtMeeting(EventData):
    decision_id: UUID
    meeting: str
    decision: str


@contract(
    service=SERVICE, name="decision_result_published",
    domain_event="MajorDecision.ResultPublished", subject_field="decision_id",
)
class DecisionResultPublished(EventData):
    decision_id: UUID
    channel: str
    summary: str


@contract(
    service=SERVICE, name="decision_execution_supervised",
    domain_event="MajorDecision.ExecutionSupervised", subject_field="decision_id",
)
class DecisionExecutionSupervised(EventData):
    decision_id: UUID
    findings: str


@contract(
    service=SERVICE, name="disclosure_board_installed", domain_event="DisclosureBoard.Installed",
    subject_field="board_id",
)
class DisclosureBoardInstalled(EventData):
    board_id: UUID
    community_id: UUID
    location: str


@contract(
    service=SERVICE, name="disclosure_board_content_posted",
    domain_event="DisclosureBoard.ContentPosted", subject_field="board_id",
)
class DisclosureBoardContentPosted(EventData):
    board_id: UUID
    content: str

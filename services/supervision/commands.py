"""Pydantic models of the supervision service's commands and queries: each one's fields are the
keyword parameters of the application method it is bound to (services/supervision/service.py)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.bounds import (
    MAX_IDS,
    MAX_PROBLEMS,
    BusinessDate,
    Name,
    Note,
    ProjectCode,
    RequestId,
    Text,
    Title,
    Year,
)
from shared.commands import Command, CreatingCommand, Query
from shared.contracts.supervision import (
    AnyInspectionKind,
    BulletinKind,
    EscalationRoute,
    InspectionKind,
    ProblemCategory,
    Quarter,
    UrgencyColour,
)


class Frozen(BaseModel):
    """A part of a command (a report, a problem, a project), passed on as this model."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ProblemFound(Frozen):
    category: ProblemCategory
    description: Text
    unit_id: UUID | None = None
    cadre_id: UUID | None = None

    @model_validator(mode="after")
    def _names_whom(self) -> ProblemFound:
        if self.unit_id is None and self.cadre_id is None:
            msg = "a problem names the unit or the cadre it concerns"
            raise ValueError(msg)
        return self


class InspectionReport(Frozen):
    leader_person_id: UUID
    leader_name: Name
    location: Name
    held_on: BusinessDate
    unit_ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_IDS)]
    problems: list[ProblemFound] = Field(default_factory=list, max_length=MAX_PROBLEMS)
    summary: Note = ""


class KeyProject(Frozen):
    code: ProjectCode
    name: Name
    lead_unit_id: UUID


class PublishKeyProjectList(CreatingCommand):
    year: Year
    name: Name
    projects: Annotated[list[KeyProject], Field(min_length=1, max_length=MAX_IDS)]
    project_list_id: UUID | None = None


class AddKeyProject(Command):
    project_list_id: UUID
    project: KeyProject


class RecordInspection(CreatingCommand):
    kind: InspectionKind
    report: InspectionReport
    project_list_id: UUID | None = None
    project_code: ProjectCode | None = None
    inspection_id: UUID | None = None


class ScheduleUnannouncedVisit(CreatingCommand):
    """Deliberately nothing but the actor (and an optional id): no place, date or target."""

    visit_id: UUID | None = None


class ConductUnannouncedVisit(Command):
    visit_id: UUID
    report: InspectionReport


class CancelUnannouncedVisit(Command):
    visit_id: UUID


class IssueNotice(CreatingCommand):
    recipient_unit_id: UUID
    recipient_cadre_id: UUID | None = None
    problem_ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_IDS)]
    deadline: BusinessDate
    self_examination_required: bool = True
    notice_id: UUID | None = None


class NoticeStep(Command):
    notice_id: UUID


class AcknowledgeNotice(NoticeStep):
    pass


class ReportRectification(NoticeStep):
    report: Text
    self_examination: Text | None = None


class SubmitRectificationPlan(NoticeStep):
    plan: Text


class RequestExtension(NoticeStep):
    requested_deadline: BusinessDate
    reason: Text


class ApproveExtension(NoticeStep):
    note: Note = ""


class RefuseExtension(NoticeStep):
    reason: Text


class VerifyRectification(NoticeStep):
    note: Note = ""


class SendBackRectification(NoticeStep):
    reason: Text


class CloseNotice(NoticeStep):
    pass


class EscalateNotice(NoticeStep):
    reason: Text
    route: EscalationRoute = "case_lead"


class IssueBulletin(CreatingCommand):
    kind: BulletinKind
    request_id: RequestId
    title: Title
    summary: Note = ""
    problem_ids: list[UUID] = Field(default_factory=list, max_length=MAX_IDS)
    notice_ids: list[UUID] = Field(default_factory=list, max_length=MAX_IDS)
    meeting: Name | None = None


class SubmitQuarterlyReport(Command):
    unit_id: UUID
    year: Year
    quarter: Quarter
    summary: Text


class RecordPaperQuarterlyReport(Command):
    """Only a commission clerk may record the day a paper report was received."""

    unit_id: UUID
    year: Year
    quarter: Quarter
    summary: Text
    received_on: BusinessDate


class CollectTopic(CreatingCommand):
    unit_id: UUID
    topic: Title
    collected_from: Name
    decision_id: UUID | None = None


class DecideAtMeeting(Command):
    decision_id: UUID
    meeting: Name
    decision: Text


class PublishDecisionResult(Command):
    decision_id: UUID
    channel: Name
    summary: Text


class SuperviseDecisionExecution(Command):
    decision_id: UUID
    findings: Text


class InstallDisclosureBoard(CreatingCommand):
    community_id: UUID
    location: Name


class PostToDisclosureBoard(Command):
    community_id: UUID
    content: Text


# Queries.


class AsOf(Query):
    as_of: BusinessDate | None = None


class OnDay(Query):
    as_of: BusinessDate


class NoticeQuery(Query):
    as_of: BusinessDate
    unit_id: UUID | None = None
    colour: UrgencyColour | None = None


class NoticeId(Query):
    notice_id: UUID
    as_of: BusinessDate | None = None


class BulletinId(Query):
    bulletin_id: UUID
    as_of: BusinessDate | None = None


class BulletinRegisterQuery(Query):
    year: Year
    kind: BulletinKind | None = None
    as_of: BusinessDate | None = None


class ComplianceQuery(Query):
    year: Year
    quarter: Quarter
    as_of: BusinessDate
    unit_id: UUID | None = None


class InspectionQuery(Query):
    start: BusinessDate
    end: BusinessDate
    unit_id: UUID | None = None
    kind: AnyInspectionKind | None = None
    as_of: BusinessDate | None = None


class DecisionId(Query):
    decision_id: UUID
    as_of: BusinessDate | None = None


class DecisionQuery(Query):
    unit_id: UUID | None = None
    incomplete_only: bool = False
    as_of: BusinessDate | None = None


class PeriodQuery(Query):
    start: BusinessDate
    end: BusinessDate
    as_of: BusinessDate | None = None


class FollowUpQuery(Query):
    as_of: BusinessDate | None = None
    unit_id: UUID | None = None

"""Pydantic models of the supervision service's commands and queries: each one's fields are the
keyword parameters of the application method it is bound to (services/supervision/service.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.commands import Command, Query
from shared.contracts.supervision import (
    AnyInspectionKind,
    BulletinKind,
    EscalationRoute,
    InspectionKind,
    ProblemCategory,
    Quarter,
    UrgencyColour,
)

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Note = Annotated[str, Field(max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Year = Annotated[int, Field(ge=2000, le=2100)]


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
    held_on: date
    unit_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]
    problems: list[ProblemFound] = Field(default_factory=list)
    summary: Note = ""


class KeyProject(Frozen):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Name
    lead_unit_id: UUID


class PublishKeyProjectList(Command):
    year: Year
    name: Name
    projects: Annotated[list[KeyProject], Field(min_length=1)]
    project_list_id: UUID | None = None


class AddKeyProject(Command):
    project_list_id: UUID
    project: KeyProject


class RecordInspection(Command):
    kind: InspectionKind
    report: InspectionReport
    project_list_id: UUID | None = None
    project_code: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    inspection_id: UUID | None = None


class ScheduleUnannouncedVisit(Command):
    """Deliberately nothing but the actor (and an optional id): no place, date or target."""

    visit_id: UUID | None = None


class ConductUnannouncedVisit(Command):
    visit_id: UUID
    report: InspectionReport


class CancelUnannouncedVisit(Command):
    visit_id: UUID


class IssueNotice(Command):
    recipient_unit_id: UUID
    recipient_cadre_id: UUID | None = None
    problem_ids: Annotated[list[UUID], Field(min_length=1)]
    deadline: date
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
    requested_deadline: date
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


class IssueBulletin(Command):
    kind: BulletinKind
    request_id: Annotated[str, Field(min_length=1, max_length=100)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    summary: Note = ""
    problem_ids: list[UUID] = Field(default_factory=list)
    notice_ids: list[UUID] = Field(default_factory=list)
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
    received_on: date


class CollectTopic(Command):
    unit_id: UUID
    topic: Annotated[str, Field(min_length=1, max_length=300)]
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


class InstallDisclosureBoard(Command):
    community_id: UUID
    location: Name


class PostToDisclosureBoard(Command):
    community_id: UUID
    content: Text


# Queries.


class AsOf(Query):
    as_of: date | None = None


class OnDay(Query):
    as_of: date


class NoticeQuery(Query):
    as_of: date
    unit_id: UUID | None = None
    colour: UrgencyColour | None = None


class NoticeId(Query):
    notice_id: UUID
    as_of: date | None = None


class BulletinId(Query):
    bulletin_id: UUID
    as_of: date | None = None


class BulletinRegisterQuery(Query):
    year: Year
    kind: BulletinKind | None = None
    as_of: date | None = None


class ComplianceQuery(Query):
    year: Year
    quarter: Quarter
    as_of: date
    unit_id: UUID | None = None


class InspectionQuery(Query):
    start: date
    end: date
    unit_id: UUID | None = None
    kind: AnyInspectionKind | None = None
    as_of: date | None = None


class DecisionId(Query):
    decision_id: UUID
    as_of: date | None = None


class DecisionQuery(Query):
    unit_id: UUID | None = None
    incomplete_only: bool = False
    as_of: date | None = None


class PeriodQuery(Query):
    start: date
    end: date
    as_of: date | None = None


class FollowUpQuery(Query):
    as_of: date | None = None
    unit_id: UUID | None = None

"""Public events of the responsibility service (the party committee's primary responsibility)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shared.contracts.base import EventData, contract

SERVICE = "responsibility"

# The service's vocabularies, defined here once: the domain derives its tuples from them
# (``typing.get_args``) and commands and answers use them as types.

# An office (科室) is a unit's own office, registered with the unit as its parent, so that
# tasks can be broken down "vertical to every level".
UnitKind = Literal[
    "party_committee", "district_department", "town", "subdistrict", "community", "office"
]
EducationKind = Literal["study_session", "phone_class", "party_lecture", "warning_education_visit"]
# A letter is a draft until signed; a signed letter is never edited, only superseded.
LetterStatus = Literal["draft", "signed", "superseded"]
# The two sides that sign a letter (签字背书): the issuing unit's principal leader and the
# signatory, each for themself.
SignatureSide = Literal["issuer", "signatory"]
# A task on a given day: green done, blue on track, yellow due soon, red overdue.
TaskColour = Literal["green", "blue", "yellow", "red"]


class IndividualClause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str = Field(min_length=1)
    risk_point: str = Field(min_length=1, description="the integrity-risk point it addresses")


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    person_id: UUID
    unit_id: UUID
    signed_at: datetime


@contract(
    service=SERVICE, name="unit_registered", domain_event="Unit.Registered",
    subject_field="unit_id",
)
class UnitRegistered(EventData):
    unit_id: UUID
    code: str
    name: str
    kind: UnitKind
    parent_unit_id: UUID | None


@contract(
    service=SERVICE, name="cadre_registered", domain_event="Cadre.Registered",
    subject_field="cadre_id", classification="internal",
)
class CadreRegistered(EventData):
    cadre_id: UUID
    person_id: UUID
    name: str
    unit_id: UUID
    post_title: str
    line_of_work: str
    leadership_member: bool
    top_leader: bool


@contract(
    service=SERVICE, name="letter_drafted", domain_event="Letter.Drafted",
    subject_field="letter_id",
)
class LetterDrafted(EventData):
    letter_id: UUID
    year: int
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    signatory_is_top_leader: bool
    common_clauses: list[str]
    individual_clauses: list[IndividualClause]
    top_leader_duties: list[str]
    sign_by: date | None
    supersedes: UUID | None


@contract(
    service=SERVICE, name="letter_individual_clause_added",
    domain_event="Letter.IndividualClauseAdded", subject_field="letter_id",
)
class LetterIndividualClauseAdded(EventData):
    letter_id: UUID
    text: str
    risk_point: str


@contract(
    service=SERVICE, name="letter_top_leader_duties_set",
    domain_event="Letter.TopLeaderDutiesSet", subject_field="letter_id",
)
class LetterTopLeaderDutiesSet(EventData):
    letter_id: UUID
    duties: list[str]


@contract(
    service=SERVICE, name="letter_signed", domain_event="Letter.Signed",
    subject_field="letter_id",
)
class LetterSigned(EventData):
    letter_id: UUID
    issuer_signature: Signature
    signatory_signature: Signature


@contract(
    service=SERVICE, name="letter_signature_recorded", domain_event="Letter.SignatureRecorded",
    subject_field="letter_id",
)
class LetterSignatureRecorded(EventData):
    """The first of a letter's two signatures; the second one signs the letter
    (``letter_signed``, which carries both)."""

    letter_id: UUID
    side: SignatureSide
    signature: Signature


@contract(
    service=SERVICE, name="letter_superseded", domain_event="Letter.Superseded",
    subject_field="letter_id",
)
class LetterSuperseded(EventData):
    letter_id: UUID
    superseded_by: UUID


@contract(
    service=SERVICE, name="letter_signing_overdue", domain_event="Letter.SigningOverdue",
    subject_field="letter_id",
)
class LetterSigningOverdue(EventData):
    letter_id: UUID
    sign_by: date


@contract(
    service=SERVICE, name="letter_flagged_as_boilerplate",
    domain_event="Letter.FlaggedAsBoilerplate", subject_field="letter_id",
)
class LetterFlaggedAsBoilerplate(EventData):
    letter_id: UUID
    similar_letter_id: UUID
    similarity: float = Field(ge=0, le=1, description="Sørensen–Dice similarity of clause bigrams")


@contract(
    service=SERVICE, name="letter_flagged_outside_risk_register",
    domain_event="Letter.FlaggedOutsideRiskRegister", subject_field="letter_id",
)
class LetterFlaggedOutsideRiskRegister(EventData):
    """At the signing, the letter's individual clauses were judged against the signatory's post
    risk-point register (廉政风险点): these risk points are not in it."""

    letter_id: UUID
    risk_points: list[str] = Field(min_length=1, description="risk points outside the register")
    post_has_register: bool = Field(
        description="false: the post had no register, so every clause was outside it"
    )


@contract(
    service=SERVICE, name="task_created", domain_event="Task.Created", subject_field="task_id",
)
class TaskCreated(EventData):
    task_id: UUID
    year: int
    title: str
    requirement: str
    lead_unit_id: UUID
    co_unit_ids: list[UUID]
    responsible_cadre_id: UUID
    deadline: date
    parent_task_id: UUID | None


@contract(
    service=SERVICE, name="task_subtask_added", domain_event="Task.SubtaskAdded",
    subject_field="task_id",
)
class TaskSubtaskAdded(EventData):
    task_id: UUID
    subtask_id: UUID


@contract(
    service=SERVICE, name="task_progress_reported", domain_event="Task.ProgressReported",
    subject_field="task_id",
)
class TaskProgressReported(EventData):
    task_id: UUID
    percent: int = Field(ge=0, le=100)
    note: str


@contract(
    service=SERVICE, name="task_completed", domain_event="Task.Completed", subject_field="task_id",
)
class TaskCompleted(EventData):
    task_id: UUID
    note: str


@contract(
    service=SERVICE, name="task_deadline_warning", domain_event="Task.DeadlineWarning",
    subject_field="task_id",
)
class TaskDeadlineWarning(EventData):
    task_id: UUID
    deadline: date
    days_left: int
    threshold: int
    reached: list[int]


@contract(
    service=SERVICE, name="task_overdue", domain_event="Task.Overdue", subject_field="task_id",
)
class TaskOverdue(EventData):
    task_id: UUID
    deadline: date


@contract(
    service=SERVICE, name="task_lead_unit_meeting_convened",
    domain_event="Task.LeadUnitMeetingConvened", subject_field="task_id",
)
class TaskLeadUnitMeetingConvened(EventData):
    """The task's lead unit convened its co-units (牵头单位召集协调会)."""

    task_id: UUID
    held_on: date
    agenda: str
    co_unit_ids: list[UUID]


@contract(
    service=SERVICE, name="task_co_unit_reported", domain_event="Task.CoUnitReported",
    subject_field="task_id",
)
class TaskCoUnitReported(EventData):
    """A co-unit reported on its part to the task's lead unit (配合单位向牵头单位报告)."""

    task_id: UUID
    co_unit_id: UUID
    lead_unit_id: UUID
    report: str


@contract(
    service=SERVICE, name="task_lead_unit_meeting_missing",
    domain_event="Task.LeadUnitMeetingMissing", subject_field="task_id",
)
class TaskLeadUnitMeetingMissing(EventData):
    """Recorded once by the clock: the lead unit of a task with co-units had not convened
    them by ``convene_by`` (``DUTYTRAIL_LEAD_UNIT_MEETING_DAYS`` before the deadline)."""

    task_id: UUID
    lead_unit_id: UUID
    deadline: date
    convene_by: date


@contract(
    service=SERVICE, name="education_activity_recorded",
    domain_event="EducationActivity.Recorded", subject_field="activity_id",
)
class EducationActivityRecorded(EventData):
    activity_id: UUID
    kind: EducationKind
    title: str
    held_on: date
    organiser_unit_id: UUID
    participant_count: int = Field(ge=0)
    # Added to v1 as an optional field: present only when the activity lists who attended
    # (distinct persons, one person-time each); an event without a list, and every event
    # stored before the field existed, carries exactly the fields it always did.
    participant_person_ids: list[UUID] | None = Field(
        default=None, description="who attended, when listed: distinct persons"
    )

    @model_serializer(mode="wrap")
    def _omit_absent_list(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("participant_person_ids") is None:
            data.pop("participant_person_ids", None)
        return data


# The risk-point register (廉政风险点, seed §四(一)) and the recorded acts of reminders, talks
# and 述责述廉 (seed §三(三)). Added to the contract: new types only, no existing type changed.

# How serious an integrity-risk point is (廉政风险等级).
RiskLevel = Literal["high", "medium", "low"]


class RiskPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200, description="the integrity-risk point")
    level: RiskLevel
    measures: list[str] = Field(
        min_length=1, description="the control measures (防控措施)"
    )


@contract(
    service=SERVICE, name="risk_register_registered", domain_event="RiskRegister.Registered",
    subject_field="register_id",
)
class RiskRegisterRegistered(EventData):
    register_id: UUID
    unit_id: UUID
    post_title: str
    risk_points: list[RiskPoint]


@contract(
    service=SERVICE, name="risk_register_updated", domain_event="RiskRegister.Updated",
    subject_field="register_id",
)
class RiskRegisterUpdated(EventData):
    register_id: UUID
    risk_points: list[RiskPoint] = Field(description="the post's risk points as they now stand")


@contract(
    service=SERVICE, name="reminder_recorded", domain_event="Reminder.Recorded",
    subject_field="reminder_id", classification="internal",
)
class ReminderRecorded(EventData):
    reminder_id: UUID
    by_unit_id: UUID
    by_cadre_id: UUID | None = Field(description="who gave the reminder, when named")
    to_cadre_id: UUID
    to_unit_id: UUID
    subject: str
    given_on: date


@contract(
    service=SERVICE, name="talk_held", domain_event="Talk.Held", subject_field="talk_id",
    classification="internal",
)
class TalkHeld(EventData):
    talk_id: UUID
    by_unit_id: UUID = Field(description="the party committee or the discipline commission")
    by_cadre_id: UUID | None
    leader_cadre_id: UUID
    unit_id: UUID
    subject: str
    held_on: date


@contract(
    service=SERVICE, name="accountability_report_given",
    domain_event="AccountabilityReport.Given", subject_field="report_id",
)
class AccountabilityReportGiven(EventData):
    report_id: UUID
    cadre_id: UUID
    unit_id: UUID
    year: int
    reported_on: date
    given_to: str = Field(description="the body the report was given to")
    summary: str

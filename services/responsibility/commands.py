"""Pydantic models of the responsibility service's commands and queries; each model's fields
are the keyword parameters of the application method it is bound to in ``service.py``."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.bounds import (
    MAX_CLAUSES,
    MAX_IDS,
    MAX_MEASURES,
    MAX_PARTICIPANTS,
    MAX_RISK_POINTS,
    BusinessDate,
    Code,
    Name,
    Note,
    PersonName,
    Subject,
    Text,
    Title,
    Year,
)
from shared.commands import Command, CreatingCommand, Query
from shared.contracts.responsibility import (
    EducationKind,
    IndividualClause,
    RiskPoint,
    UnitKind,
)

# Why a letter was flagged at signing (flagged_letters).
FlagReason = Literal["copy", "outside_risk_register"]


class RegisterUnit(CreatingCommand):
    code: Code
    name: Name
    kind: UnitKind
    parent_unit_id: UUID | None = None


class RegisterCadre(CreatingCommand):
    person_id: UUID
    name: PersonName
    unit_id: UUID
    post_title: Name
    line_of_work: Name
    leadership_member: bool = False
    top_leader: bool = False


class BoundedClause(IndividualClause):
    """An individual clause as a command gives it: the contract's clause, bounded
    (shared.bounds)."""

    text: Text
    risk_point: Name = Field(description="the integrity-risk point it addresses")


class LetterContent(BaseModel):
    """What a letter says, for a new letter and for one that supersedes another."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    year: Year
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None = None
    common_clauses: Annotated[list[Text], Field(min_length=1, max_length=MAX_CLAUSES)]
    individual_clauses: list[BoundedClause] = Field(default_factory=list, max_length=MAX_CLAUSES)
    top_leader_duties: list[Text] = Field(default_factory=list, max_length=MAX_CLAUSES)
    sign_by: BusinessDate | None = None


class DraftLetter(CreatingCommand):
    letter: LetterContent
    letter_id: UUID | None = None


class AddIndividualClause(Command):
    letter_id: UUID
    text: Text
    risk_point: Name


class SetTopLeaderDuties(Command):
    letter_id: UUID
    duties: Annotated[list[Text], Field(min_length=1, max_length=MAX_CLAUSES)]


class SignLetter(Command):
    """One of a letter's two signatures, made by the signer with their own token (the person
    is the token's, never one the command names)."""

    letter_id: UUID


class SupersedeLetter(CreatingCommand):
    letter_id: UUID
    letter: LetterContent
    new_letter_id: UUID | None = None


class LetterQuery(Query):
    year: Year | None = None
    unit_id: UUID | None = None
    as_of: BusinessDate | None = None


class CadreQuery(Query):
    unit_id: UUID | None = None
    as_of: BusinessDate | None = None


class LetterId(Query):
    letter_id: UUID
    as_of: BusinessDate | None = None


class CreateTask(CreatingCommand):
    year: Year
    title: Title
    requirement: Text
    lead_unit_id: UUID
    co_unit_ids: list[UUID] = Field(default_factory=list, max_length=MAX_IDS)
    responsible_cadre_id: UUID
    deadline: BusinessDate
    task_id: UUID | None = None


class BreakDownTask(CreatingCommand):
    parent_task_id: UUID
    title: Title
    requirement: Text
    lead_unit_id: UUID
    responsible_cadre_id: UUID
    deadline: BusinessDate
    task_id: UUID | None = None


class ReportProgress(Command):
    task_id: UUID
    percent: Annotated[int, Field(ge=0, le=100)]
    note: Note = ""


class CompleteTask(Command):
    task_id: UUID
    note: Note = ""


class ConveneTaskMeeting(Command):
    task_id: UUID
    held_on: BusinessDate
    agenda: Text


class ReportToLeadUnit(Command):
    task_id: UUID
    report: Text


class RecordEducationActivity(CreatingCommand):
    kind: EducationKind
    title: Title
    held_on: BusinessDate
    organiser_unit_id: UUID
    participant_count: Annotated[int, Field(ge=0, le=1_000_000)]
    # Who attended, when known: lets distinct persons be counted as well as person-times.
    participant_person_ids: Annotated[list[UUID], Field(max_length=MAX_PARTICIPANTS)] | None = None
    activity_id: UUID | None = None


class AsOf(Query):
    as_of: BusinessDate | None = None


class TaskTreeQuery(Query):
    unit_id: UUID
    as_of: BusinessDate


class OverdueQuery(Query):
    as_of: BusinessDate


class YearQuery(Query):
    year: Year
    as_of: BusinessDate


class FlaggedQuery(Query):
    year: Year
    as_of: BusinessDate | None = None
    reason: FlagReason = Field(
        "copy",
        description="copy: clauses copying another post's letter (千篇一律); "
        "outside_risk_register: clauses on risk points outside the signatory's post register",
    )


class PeriodQuery(Query):
    start: BusinessDate
    end: BusinessDate
    as_of: BusinessDate | None = None


# The risk-point register (廉政风险点) and the recorded acts: reminders (提醒), talks (约谈) and
# 述责述廉 (issue 10, items 12 and 13).


class BoundedRiskPoint(RiskPoint):
    """A risk point as a command gives it: the contract's risk point, bounded
    (shared.bounds)."""

    name: Name = Field(description="the integrity-risk point")
    measures: Annotated[list[Subject], Field(min_length=1, max_length=MAX_MEASURES)] = Field(
        description="the control measures (防控措施)"
    )


class RegisterRiskPoints(CreatingCommand):
    unit_id: UUID
    post_title: Name
    risk_points: Annotated[list[BoundedRiskPoint], Field(min_length=1, max_length=MAX_RISK_POINTS)]


class UpdateRiskPoints(Command):
    unit_id: UUID
    post_title: Name
    risk_points: Annotated[list[BoundedRiskPoint], Field(min_length=1, max_length=MAX_RISK_POINTS)]


class RiskRegisterQuery(Query):
    unit_id: UUID | None = None
    as_of: BusinessDate | None = None


class RegisterYearQuery(Query):
    year: Year
    as_of: BusinessDate | None = None


class RecordReminder(CreatingCommand):
    to_cadre_id: UUID
    subject: Subject
    given_on: BusinessDate
    by_cadre_id: UUID | None = None
    reminder_id: UUID | None = None


class RecordTalk(CreatingCommand):
    leader_cadre_id: UUID
    subject: Subject
    held_on: BusinessDate
    by_cadre_id: UUID | None = None
    talk_id: UUID | None = None


class RecordAccountabilityReport(CreatingCommand):
    cadre_id: UUID
    year: Year
    reported_on: BusinessDate
    given_to: Name
    summary: Note = ""


class ActsQuery(Query):
    year: Year
    unit_id: UUID | None = None
    as_of: BusinessDate | None = None

"""Pydantic models of the responsibility service's commands and queries; each model's fields
are the keyword parameters of the application method it is bound to in ``service.py``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.commands import Command, Query
from shared.contracts.responsibility import (
    EducationKind,
    IndividualClause,
    RiskPoint,
    UnitKind,
)

# Why a letter was flagged at signing (flagged_letters).
FlagReason = Literal["copy", "outside_risk_register"]

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class RegisterUnit(Command):
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: UnitKind
    parent_unit_id: UUID | None = None


class RegisterCadre(Command):
    person_id: UUID
    name: Annotated[str, Field(min_length=1, max_length=100)]
    unit_id: UUID
    post_title: Annotated[str, Field(min_length=1, max_length=200)]
    line_of_work: Annotated[str, Field(min_length=1, max_length=200)]
    leadership_member: bool = False
    top_leader: bool = False


class LetterContent(BaseModel):
    """What a letter says, for a new letter and for one that supersedes another."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    year: Year
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None = None
    common_clauses: Annotated[list[Text], Field(min_length=1)]
    individual_clauses: list[IndividualClause] = Field(default_factory=list)
    top_leader_duties: list[Text] = Field(default_factory=list)
    sign_by: date | None = None


class DraftLetter(Command):
    letter: LetterContent
    letter_id: UUID | None = None


class AddIndividualClause(Command):
    letter_id: UUID
    text: Text
    risk_point: Text


class SetTopLeaderDuties(Command):
    letter_id: UUID
    duties: Annotated[list[Text], Field(min_length=1)]


class SignLetter(Command):
    """One of a letter's two signatures, made by the signer with their own token (the person
    is the token's, never one the command names)."""

    letter_id: UUID


class SupersedeLetter(Command):
    letter_id: UUID
    letter: LetterContent
    new_letter_id: UUID | None = None


class LetterQuery(Query):
    year: Year | None = None
    unit_id: UUID | None = None
    as_of: date | None = None


class CadreQuery(Query):
    unit_id: UUID | None = None
    as_of: date | None = None


class LetterId(Query):
    letter_id: UUID
    as_of: date | None = None


class CreateTask(Command):
    year: Year
    title: Annotated[str, Field(min_length=1, max_length=300)]
    requirement: Text
    lead_unit_id: UUID
    co_unit_ids: list[UUID] = Field(default_factory=list)
    responsible_cadre_id: UUID
    deadline: date
    task_id: UUID | None = None


class BreakDownTask(Command):
    parent_task_id: UUID
    title: Annotated[str, Field(min_length=1, max_length=300)]
    requirement: Text
    lead_unit_id: UUID
    responsible_cadre_id: UUID
    deadline: date
    task_id: UUID | None = None


class ReportProgress(Command):
    task_id: UUID
    percent: Annotated[int, Field(ge=0, le=100)]
    note: Annotated[str, Field(max_length=4000)] = ""


class CompleteTask(Command):
    task_id: UUID
    note: Annotated[str, Field(max_length=4000)] = ""


class ConveneTaskMeeting(Command):
    task_id: UUID
    held_on: date
    agenda: Text


class ReportToLeadUnit(Command):
    task_id: UUID
    report: Text


class RecordEducationActivity(Command):
    kind: EducationKind
    title: Annotated[str, Field(min_length=1, max_length=300)]
    held_on: date
    organiser_unit_id: UUID
    participant_count: Annotated[int, Field(ge=0, le=1_000_000)]
    # Who attended, when known: lets distinct persons be counted as well as person-times.
    participant_person_ids: Annotated[list[UUID], Field(max_length=1_000_000)] | None = None
    activity_id: UUID | None = None


class AsOf(Query):
    as_of: date | None = None


class TaskTreeQuery(Query):
    unit_id: UUID
    as_of: date


class OverdueQuery(Query):
    as_of: date


class YearQuery(Query):
    year: Year
    as_of: date


class FlaggedQuery(Query):
    year: Year
    as_of: date | None = None
    reason: FlagReason = Field(
        "copy",
        description="copy: clauses copying another post's letter (千篇一律); "
        "outside_risk_register: clauses on risk points outside the signatory's post register",
    )


class PeriodQuery(Query):
    start: date
    end: date
    as_of: date | None = None


# The risk-point register (廉政风险点) and the recorded acts: reminders (提醒), talks (约谈) and
# 述责述廉 (issue 10, items 12 and 13).


PostTitle = Annotated[str, Field(min_length=1, max_length=200)]
Subject = Annotated[str, Field(min_length=1, max_length=1000)]


class RegisterRiskPoints(Command):
    unit_id: UUID
    post_title: PostTitle
    risk_points: Annotated[list[RiskPoint], Field(min_length=1, max_length=200)]


class UpdateRiskPoints(Command):
    unit_id: UUID
    post_title: PostTitle
    risk_points: Annotated[list[RiskPoint], Field(min_length=1, max_length=200)]


class RiskRegisterQuery(Query):
    unit_id: UUID | None = None
    as_of: date | None = None


class RegisterYearQuery(Query):
    year: Year
    as_of: date | None = None


class RecordReminder(Command):
    to_cadre_id: UUID
    subject: Subject
    given_on: date
    by_cadre_id: UUID | None = None
    reminder_id: UUID | None = None


class RecordTalk(Command):
    leader_cadre_id: UUID
    subject: Subject
    held_on: date
    by_cadre_id: UUID | None = None
    talk_id: UUID | None = None


class RecordAccountabilityReport(Command):
    cadre_id: UUID
    year: Year
    reported_on: date
    given_to: Annotated[str, Field(min_length=1, max_length=200)]
    summary: Annotated[str, Field(max_length=4000)] = ""


class ActsQuery(Query):
    year: Year
    unit_id: UUID | None = None
    as_of: date | None = None

"""Pydantic models of the responsibility service's commands and queries."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.commands import Command
from shared.contracts.responsibility import IndividualClause, UnitKind

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
    letter_id: UUID
    issuer_person_id: UUID
    signatory_person_id: UUID


class SupersedeLetter(Command):
    letter_id: UUID
    letter: LetterContent
    new_letter_id: UUID | None = None


class LetterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    year: Year | None = None
    unit_id: UUID | None = None


class CadreQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unit_id: UUID | None = None


class LetterId(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    letter_id: UUID

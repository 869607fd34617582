"""Public events of the responsibility service (the party committee's primary responsibility)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import EventData, contract

SERVICE = "responsibility"

UnitKind = Literal["party_committee", "district_department", "town", "subdistrict", "community"]


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

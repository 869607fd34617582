"""The casework service's commands and queries (pydantic models). Each model's fields are
exactly the keyword parameters of the application method it is bound to in ``service.py``;
the actor comes from the caller's token, never from here."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import Field

from shared.bounds import MAX_IDS, BusinessDate, Name, Note, PersonName, Subject, Text
from shared.commands import Command, CreatingCommand, Query
from shared.contracts.casework import (
    AccountabilityForm,
    CasePerson,
    Channel,
    ClauseKind,
    FourForms,
    InquiryOutcome,
    KeyArea,
    LeadRoute,
    LeadSource,
    LeadStatus,
    OutcomeKind,
    PetitionStatus,
    ResponsibilityDegree,
)

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2,
                                 description="yuan, to the fen")]
Contact = Annotated[Name, Field(description="a phone number, an address or an e-mail")]


# Petitions and reporters.


class ReceivePetition(CreatingCommand):
    """A petition or tip-off received; a real-name one gives the reporter's name and contact,
    which are sealed at once and never stored or published in clear."""

    channel: Channel
    anonymous: bool
    reporter_name: PersonName | None = None
    reporter_contact: Contact | None = None
    reported_unit_id: UUID | None = None
    reported_person_id: UUID | None = None
    summary: Text
    repeat_of: UUID | None = Field(None, description="the petition this one repeats")
    petition_id: UUID | None = Field(None, description="the id to register it under")


class PetitionId(Command):
    petition_id: UUID


class AcceptPetition(Command):
    """Accept a petition: its lead is registered centrally (answer: the lead's id, derived
    from the petition's, so accepting is once-only without a command id)."""

    petition_id: UUID


class NotAcceptPetition(Command):
    petition_id: UUID
    reason: Text


class PassOnPetition(Command):
    petition_id: UUID
    to_body: Name


class ReadReporterIdentity(Command):
    petition_id: UUID
    reason: Text


class EraseReporterIdentity(Command):
    reporter_id: UUID
    reason: Text


# Leads.


class RegisterLead(CreatingCommand):
    source: LeadSource
    source_id: UUID | None = None
    reported_unit_id: UUID | None = None
    reported_person_id: UUID | None = None
    reported_cadre_id: UUID | None = None
    summary: Text
    lead_id: UUID | None = Field(None, description="the id to register it under")


class ProposeDisposal(Command):
    lead_id: UUID
    route: LeadRoute
    collective_decision: Subject = Field(description="the meeting that decided it, and when")


class ReturnDisposal(Command):
    lead_id: UUID
    reason: Text


class ReplyToInquiry(Command):
    lead_id: UUID
    reply: Text
    countersigned_by: UUID | None = Field(
        None, description="the principal of the person's party organisation who countersigned")


class ConcludeInquiry(Command):
    lead_id: UUID
    outcome: InquiryOutcome
    note: Note = ""


class ApproveVerification(Command):
    lead_id: UUID
    team: list[UUID] = Field(max_length=50)


class LeadId(Command):
    lead_id: UUID


class ExtendVerification(Command):
    lead_id: UUID
    reason: Text


class ConcludeVerification(Command):
    lead_id: UUID
    file_case: bool
    reason: Text


class RecordFalseAccusation(Command):
    lead_id: UUID
    petition_id: UUID
    note: Text


class ClearName(Command):
    lead_id: UUID
    how: Text


# Cases.


class FileCase(CreatingCommand):
    """Propose the filing of a case for a lead whose verification concluded to file one."""

    lead_id: UUID
    persons: list[CasePerson] = Field(min_length=1, max_length=MAX_IDS)
    summary: Text
    key_areas: list[KeyArea] = Field(default_factory=list, max_length=3)
    harms_public_interest: bool = False
    case_id: UUID | None = Field(None, description="the id to register it under")


class CaseId(Command):
    case_id: UUID


class AnnounceFiling(Command):
    case_id: UUID
    note: Note = ""


class ConcludeInvestigation(Command):
    case_id: UUID
    findings: Text


class ConcludeReview(Command):
    case_id: UUID
    opinion: Text


class DecideOutcome(Command):
    case_id: UUID
    person_id: UUID
    kind: OutcomeKind
    sanction: Name | None = None
    form: FourForms
    confiscated: Money = Decimal("0")
    note: Note = ""


class NotifyOrganisation(Command):
    """The organisation (unit) of a person in a filed case notified of the filing."""

    case_id: UUID
    unit_id: UUID
    note: Note = ""


class OutcomeStep(Command):
    """A person's outcome announced to them, or executed."""

    case_id: UUID
    person_id: UUID
    note: Note = ""


class LodgeAppeal(Command):
    """申诉, lodged by the person sanctioned (the caller) for themself."""

    case_id: UUID
    person_id: UUID
    grounds: Text


class DecideAppeal(Command):
    case_id: UUID
    person_id: UUID
    upheld: bool
    note: Note = ""


# Accountability.


class OpenAccountability(CreatingCommand):
    """一案双查: examine the leaders responsible for the unit of a closed case."""

    case_id: UUID
    unit_id: UUID
    area: Name | None = Field(
        None, description="the area of responsibility examined (a line of work, 分管领域, as "
        "the responsibility service registered it); none: the whole unit")
    reason: Text


class DecideAccountability(Command):
    examination_id: UUID
    cadre_id: UUID
    letter_id: UUID
    clause_kind: ClauseKind
    clause_number: Annotated[int, Field(ge=1, le=1000)]
    form: AccountabilityForm
    degree: ResponsibilityDegree
    note: Note = ""


class ConcludeAccountability(Command):
    examination_id: UUID
    note: Note = ""


class RecordAdmonishment(CreatingCommand):
    """诫勉 after an assessment (考核)."""

    person_id: UUID
    cadre_id: UUID | None = None
    unit_id: UUID
    basis: Text


# Queries.


class FiguresQuery(Query):
    start: BusinessDate
    end: BusinessDate
    as_of: BusinessDate | None = None


class PetitionQuery(Query):
    petition_id: UUID
    as_of: BusinessDate | None = None


class LeadQuery(Query):
    lead_id: UUID
    as_of: BusinessDate | None = None


class CaseQuery(Query):
    case_id: UUID
    as_of: BusinessDate | None = None


class LeadListQuery(Query):
    source: LeadSource | None = None
    status: LeadStatus | None = None
    as_of: BusinessDate | None = None


class PetitionListQuery(Query):
    channel: Channel | None = None
    status: PetitionStatus | None = None
    as_of: BusinessDate | None = None


class ExaminationQuery(Query):
    open_only: bool = False
    as_of: BusinessDate | None = None


class ExaminationId(Query):
    examination_id: UUID
    as_of: BusinessDate | None = None


class AsOf(Query):
    as_of: BusinessDate | None = None

"""Public events of the casework service (the discipline commission's 执纪审查).

A whistleblower's or petitioner's identity never appears in any of them: a reporter is a
random id, and the sealed identity stored with that id (ciphertext and key id) is left out of
the published event (``ReporterSealed`` ignores it). Events that name persons under
investigation (leads, cases, outcomes, appeals) and every read of a reporter's identity are
``confidential``; petitions (channel, status, the unit concerned) and accountability decisions
are ``internal``; what casework learns from responsibility stays ``internal``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import EventData, contract

SERVICE = "casework"

# The vocabularies below are defined here and nowhere else: the domain derives its tuples from
# them (typing.get_args), and the commands validate with them.

# 信访举报 channels: 12388 hotline, report box, letter, visit, online, or transferred from
# another body or service (a supervision notice escalated, a funds referral).
Channel = Literal["hotline", "report_box", "letter", "visit", "online", "transferred"]
# The services whose matters reach casework as transferred petitions.
TransferringService = Literal["supervision", "funds"]
PetitionStatus = Literal["received", "accepted", "not_accepted", "passed_on"]
# Where a lead (问题线索) comes from.
LeadSource = Literal["petition", "supervision", "funds", "inquiry", "inspection", "other"]
# The four routes of disposal: 谈话函询, 初步核实, 暂存待查, 予以了结.
LeadRoute = Literal["talk_or_letter_inquiry", "preliminary_verification", "held", "closed"]
LeadStatus = Literal[
    "registered", "disposal_proposed", "inquiry", "inquiry_replied", "verification_proposed",
    "awaiting_secretary", "verifying", "to_be_filed", "filed", "held", "closed",
    "cleared", "handled", "no_case",
]
# What a 谈话函询 ends in: 了结澄清, 批评教育, 责令检查, 诫勉, or sent on to 初步核实.
InquiryOutcome = Literal[
    "cleared", "criticism_and_education", "ordered_self_examination", "admonishment",
    "to_verification",
]
CaseStatus = Literal[
    "proposed", "approved_by_commission", "filed", "announced", "in_review", "reviewed",
    "closed",
]
# 重点领域、关键岗位、重要环节.
KeyArea = Literal["key_field", "key_post", "key_step"]
# Per person: 党纪处分, 政务处分, 免予处分, 组织处理, 诫勉, 移送司法机关.
OutcomeKind = Literal[
    "party_sanction", "government_sanction", "exemption", "organisational_handling",
    "admonishment", "transfer_to_judiciary",
]
# 党纪处分: 警告, 严重警告, 撤销党内职务, 留党察看, 开除党籍.
PartySanction = Literal[
    "warning", "serious_warning", "removal_from_party_post", "probation_within_party",
    "expulsion_from_party",
]
# 政务处分: 警告, 记过, 记大过, 降级, 撤职, 开除.
GovernmentSanction = Literal[
    "warning", "demerit", "major_demerit", "demotion", "dismissal_from_post", "expulsion",
]
# 四种形态, first to fourth.
FourForms = Literal["first", "second", "third", "fourth"]
# 问责 forms: 通报, 诫勉, 组织调整/组织处理, 纪律处分.
AccountabilityForm = Literal[
    "circular", "admonishment", "organisational_adjustment", "disciplinary_sanction",
]
# 全面领导责任, 主要领导责任, 重要领导责任.
ResponsibilityDegree = Literal["overall_leadership", "main_leadership", "important_leadership"]
AccountabilitySource = Literal["case", "notice"]
# How a leader answers for the examined area: the whole unit examined (no area named), as a
# top leader (every area), as the member in charge of it (分管), or under a clause for it.
AccountabilityCoverage = Literal["unit", "top_leader", "line_of_work", "clause"]
# Where a responsibility letter's clause stands: 共性条款, 个性条款, 一把手职责.
ClauseKind = Literal["common", "individual", "top_leader_duty"]
# Where an admonishment (诫勉) was decided: each is counted once, by the date of its decision.
AdmonishmentSource = Literal["case", "inquiry", "accountability", "assessment"]
DeadlineName = Literal[
    "handling", "acceptance_notice", "result_notice", "inquiry_reply", "verification",
]


class CasePerson(BaseModel):
    """A person a case is filed against: the cadre when responsibility knows them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    person_id: UUID
    cadre_id: UUID | None
    unit_id: UUID


def _c(name: str, domain_event: str, subject_field: str,
       classification: Literal["public", "internal", "confidential"] = "confidential") -> Any:
    return contract(service=SERVICE, name=name, domain_event=domain_event,
                    subject_field=subject_field, classification=classification)


# Reporters: never an identity in clear, and not even its ciphertext once published.


@_c("reporter_sealed", "Reporter.Sealed", "reporter_id")
class ReporterSealed(EventData):
    """A real-name reporter's identity was sealed under a key of their own. The stored event
    also holds the ciphertext; the published one leaves it out (extra fields are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    reporter_id: UUID
    key_id: str


@_c("reporter_identity_read", "Reporter.IdentityRead", "reporter_id")
class ReporterIdentityRead(EventData):
    """Who read a reporter's identity (the actor), when, why, and for which petition."""

    reporter_id: UUID
    petition_id: UUID
    reason: str


@_c("reporter_key_erased", "Reporter.KeyErased", "reporter_id")
class ReporterKeyErased(EventData):
    reporter_id: UUID
    reason: str


# Petitions.


@_c("petition_received", "Petition.Received", "petition_id")
class PetitionReceived(EventData):
    petition_id: UUID
    channel: Channel
    anonymous: bool
    reporter_id: UUID | None = Field(description="a random id; the identity is sealed")
    reported_unit_id: UUID | None
    reported_person_id: UUID | None
    summary: str
    repeat_of: UUID | None = Field(description="the petition this one repeats (not counted)")
    source_event_id: str | None = Field(description="the upstream event it was transferred from")
    handling_due: date
    acceptance_notice_due: date | None
    transferred_from: TransferringService | None = Field(
        None, description="the service that passed the matter on (channel transferred)")
    source_id: UUID | None = Field(
        None, description="the record it came from there (the notice, the referral)")
    reported_cadre_id: UUID | None = Field(None, description="the cadre reported, if known")


@_c("petition_accepted", "Petition.Accepted", "petition_id", "internal")
class PetitionAccepted(EventData):
    petition_id: UUID
    lead_id: UUID


@_c("petition_not_accepted", "Petition.NotAccepted", "petition_id", "internal")
class PetitionNotAccepted(EventData):
    petition_id: UUID
    reason: str


@_c("petition_passed_on", "Petition.PassedOn", "petition_id", "internal")
class PetitionPassedOn(EventData):
    petition_id: UUID
    to_body: str


@_c("reporter_told_of_acceptance", "Petition.ReporterToldOfAcceptance", "petition_id",
    "internal")
class ReporterToldOfAcceptance(EventData):
    petition_id: UUID


@_c("petition_matter_concluded", "Petition.MatterConcluded", "petition_id", "internal")
class PetitionMatterConcluded(EventData):
    petition_id: UUID
    result_notice_due: date | None


@_c("reporter_told_of_result", "Petition.ReporterToldOfResult", "petition_id", "internal")
class ReporterToldOfResult(EventData):
    petition_id: UUID


@_c("petition_deadline_warning", "Petition.DeadlineWarned", "petition_id", "internal")
class PetitionDeadlineWarning(EventData):
    petition_id: UUID
    deadline: DeadlineName
    due: date


@_c("petition_deadline_overdue", "Petition.DeadlineOverdue", "petition_id", "internal")
class PetitionDeadlineOverdue(EventData):
    petition_id: UUID
    deadline: DeadlineName
    due: date


# Leads (confidential: they name the persons reported).


@_c("lead_registered", "Lead.Registered", "lead_id")
class LeadRegistered(EventData):
    lead_id: UUID
    source: LeadSource
    source_id: UUID | None
    source_event_id: str | None
    reported_unit_id: UUID | None
    reported_person_id: UUID | None
    reported_cadre_id: UUID | None
    summary: str


@_c("lead_disposal_proposed", "Lead.DisposalProposed", "lead_id")
class LeadDisposalProposed(EventData):
    """A disposal proposed by collective decision; it takes effect once another person
    approves it (``lead_disposed``)."""

    lead_id: UUID
    route: LeadRoute
    collective_decision: str


@_c("lead_disposal_returned", "Lead.DisposalReturned", "lead_id")
class LeadDisposalReturned(EventData):
    """The approver sent a proposed disposal back: the lead is to be disposed of again."""

    lead_id: UUID
    reason: str


@_c("lead_disposed", "Lead.Disposed", "lead_id")
class LeadDisposed(EventData):
    """A disposal approved (the actor approved; the proposal's actor proposed): the lead is
    disposed of as of this act."""

    lead_id: UUID
    route: LeadRoute
    collective_decision: str
    inquiry_due: date | None


@_c("inquiry_replied", "Lead.InquiryReplied", "lead_id")
class InquiryReplied(EventData):
    lead_id: UUID
    reply: str
    countersigned_by: UUID


@_c("inquiry_concluded", "Lead.InquiryConcluded", "lead_id")
class InquiryConcluded(EventData):
    lead_id: UUID
    outcome: InquiryOutcome
    note: str


@_c("verification_approved", "Lead.VerificationApproved", "lead_id")
class VerificationApproved(EventData):
    lead_id: UUID
    team: list[UUID]
    needs_secretary: bool
    due: date


@_c("verification_approved_by_secretary", "Lead.VerificationApprovedBySecretary", "lead_id")
class VerificationApprovedBySecretary(EventData):
    lead_id: UUID
    due: date


@_c("verification_extended", "Lead.VerificationExtended", "lead_id")
class VerificationExtended(EventData):
    lead_id: UUID
    new_due: date
    reason: str


@_c("verification_concluded", "Lead.VerificationConcluded", "lead_id")
class VerificationConcluded(EventData):
    lead_id: UUID
    file_case: bool
    reason: str


@_c("lead_case_opened", "Lead.CaseOpened", "lead_id")
class LeadCaseOpened(EventData):
    lead_id: UUID
    case_id: UUID


@_c("false_accusation_found", "Lead.FalseAccusationFound", "lead_id")
class FalseAccusationFound(EventData):
    lead_id: UUID
    petition_id: UUID
    note: str


@_c("name_cleared", "Lead.NameCleared", "lead_id")
class NameCleared(EventData):
    lead_id: UUID
    how: str


@_c("lead_deadline_warning", "Lead.DeadlineWarned", "lead_id")
class LeadDeadlineWarning(EventData):
    lead_id: UUID
    deadline: DeadlineName
    due: date


@_c("lead_deadline_overdue", "Lead.DeadlineOverdue", "lead_id")
class LeadDeadlineOverdue(EventData):
    lead_id: UUID
    deadline: DeadlineName
    due: date


# Cases (confidential: persons under investigation).


@_c("case_proposed", "Case.Proposed", "case_id")
class CaseProposed(EventData):
    case_id: UUID
    lead_id: UUID
    persons: list[CasePerson] = Field(min_length=1)
    summary: str
    key_areas: list[KeyArea]
    harms_public_interest: bool


@_c("case_approved_by_commission", "Case.ApprovedByCommission", "case_id")
class CaseApprovedByCommission(EventData):
    case_id: UUID


@_c("case_filed", "Case.Filed", "case_id")
class CaseFiled(EventData):
    """The party committee's principal approved: the case is filed (立案) as of this act."""

    case_id: UUID


@_c("case_filing_announced", "Case.FilingAnnounced", "case_id")
class CaseFilingAnnounced(EventData):
    """The filing announced to the persons under investigation."""

    case_id: UUID
    note: str


@_c("case_organisation_notified", "Case.OrganisationNotified", "case_id")
class CaseOrganisationNotified(EventData):
    """The organisation (unit) of a person under investigation notified of the filing: an
    act of its own, once per organisation, before the investigation concludes."""

    case_id: UUID
    unit_id: UUID
    note: str


@_c("case_investigation_concluded", "Case.InvestigationConcluded", "case_id")
class CaseInvestigationConcluded(EventData):
    case_id: UUID
    findings: str


@_c("case_review_concluded", "Case.ReviewConcluded", "case_id")
class CaseReviewConcluded(EventData):
    case_id: UUID
    opinion: str


@_c("case_outcome_decided", "Case.OutcomeDecided", "case_id")
class CaseOutcomeDecided(EventData):
    case_id: UUID
    person_id: UUID
    kind: OutcomeKind
    sanction: str | None
    form: FourForms
    confiscated: Decimal = Field(description="yuan, published as a decimal string")
    note: str


@_c("case_outcome_announced", "Case.OutcomeAnnounced", "case_id")
class CaseOutcomeAnnounced(EventData):
    """A person's outcome announced to them (宣布); an appeal may follow, the execution must."""

    case_id: UUID
    person_id: UUID
    note: str


@_c("case_outcome_executed", "Case.OutcomeExecuted", "case_id")
class CaseOutcomeExecuted(EventData):
    """A person's outcome carried out (执行), after its announcement."""

    case_id: UUID
    person_id: UUID
    note: str


@_c("case_closed", "Case.Closed", "case_id")
class CaseClosed(EventData):
    case_id: UUID


@_c("case_appeal_lodged", "Case.AppealLodged", "case_id")
class CaseAppealLodged(EventData):
    """申诉 lodged by the person the outcome concerns (the actor is that person)."""

    case_id: UUID
    person_id: UUID
    grounds: str


@_c("case_appeal_decided", "Case.AppealDecided", "case_id")
class CaseAppealDecided(EventData):
    case_id: UUID
    person_id: UUID
    upheld: bool
    note: str


# Accountability (问责, 一案双查).


@_c("accountability_examination_opened", "AccountabilityExamination.Opened", "examination_id",
    "internal")
class AccountabilityExaminationOpened(EventData):
    examination_id: UUID
    source: AccountabilitySource
    source_id: UUID
    unit_id: UUID
    reason: str
    source_event_id: str | None
    area: str | None = Field(
        None, description="the area of responsibility examined (a line of work, 分管领域); "
        "none: the whole unit")


@_c("accountability_decided", "AccountabilityExamination.Decided", "examination_id",
    "internal")
class AccountabilityDecided(EventData):
    """A leader held accountable under a clause of their responsibility letter."""

    examination_id: UUID
    cadre_id: UUID
    letter_id: UUID
    clause_kind: ClauseKind
    clause_number: int = Field(ge=1)
    clause: str
    form: AccountabilityForm
    degree: ResponsibilityDegree
    note: str
    area: str | None = Field(None, description="the area examined, if one was named")
    coverage: AccountabilityCoverage = Field(
        "unit", description="how the leader answers for the area")


@_c("accountability_examination_concluded", "AccountabilityExamination.Concluded",
    "examination_id", "internal")
class AccountabilityExaminationConcluded(EventData):
    examination_id: UUID
    note: str


@_c("admonishment_recorded", "Admonishment.Recorded", "admonishment_id")
class AdmonishmentRecorded(EventData):
    """诫勉 after an assessment (考核), outside a case, an inquiry or accountability."""

    admonishment_id: UUID
    person_id: UUID
    cadre_id: UUID | None
    unit_id: UUID
    basis: str


# What casework learned from the responsibility service.


@_c("cadre_file_opened", "CadreFile.Learned", "cadre_file_id", "internal")
class CaseworkCadreFileOpened(EventData):
    cadre_file_id: UUID
    cadre_id: UUID
    person_id: UUID
    unit_id: UUID
    top_leader: bool
    upstream_event_id: str
    line_of_work: str = Field("", description="the area the cadre is in charge of (分管领域)")


@_c("letter_file_opened", "LetterFile.Learned", "letter_file_id", "internal")
class LetterFileOpened(EventData):
    letter_file_id: UUID
    letter_id: UUID
    year: int
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    common_clauses: list[str]
    individual_clauses: list[str]
    top_leader_duties: list[str]
    upstream_event_id: str
    individual_risk_points: list[str] | None = Field(
        None, description="the risk point (area) each individual clause was written for")


@_c("letter_clause_learned", "LetterFile.ClauseLearned", "letter_file_id", "internal")
class LetterClauseLearned(EventData):
    letter_file_id: UUID
    text: str
    upstream_event_id: str
    risk_point: str = ""


@_c("letter_duties_learned", "LetterFile.DutiesLearned", "letter_file_id", "internal")
class LetterDutiesLearned(EventData):
    letter_file_id: UUID
    duties: list[str]
    upstream_event_id: str


@_c("letter_signing_learned", "LetterFile.SigningLearned", "letter_file_id", "internal")
class LetterSigningLearned(EventData):
    letter_file_id: UUID
    upstream_event_id: str


@_c("letter_superseding_learned", "LetterFile.SupersedingLearned", "letter_file_id",
    "internal")
class LetterSupersedingLearned(EventData):
    letter_file_id: UUID
    superseded_by: UUID
    upstream_event_id: str

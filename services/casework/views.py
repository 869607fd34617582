"""The read side of casework: what the stored events say, now or as of a date, kept in the
service's store (docs/architecture.md, "Read models in the store").

``CaseworkView`` holds one record per petition, lead, case, person's outcome, admonishment,
accountability decision and running deadline, each with the business time of its own acts, so
that the figures for any period count each act by its own date, as of any day. It holds no
reporter's identity: a petition's reporter is a random id, and whether they gave a name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.casework.domain.accountability import ACCOUNTABILITY_FORMS
from services.casework.domain.calendar import DeadlineRule
from services.casework.domain.cases import FOUR_FORMS, KEY_AREAS, SANCTIONS
from services.casework.domain.leads import LEAD_ROUTES
from shared.actors import Actor
from shared.readmodel import Projection, records_of

# The stages an open matter can be at (the gauge's labels).
OPEN_STAGES = (
    "petition_received",
    *(f"lead_{s}" for s in ("registered", "disposal_proposed", "held", "inquiry", "inquiry_replied",
                            "verification_proposed", "awaiting_secretary", "verifying",
                            "to_be_filed")),
    *(f"case_{s}" for s in ("proposed", "approved_by_commission", "filed", "announced",
                            "in_review", "reviewed")),
    "accountability_open",
)
# 谈话函询 outcomes that are the first form (第一种形态) of the four.
FIRST_FORM_INQUIRY_OUTCOMES = ("criticism_and_education", "ordered_self_examination",
                               "admonishment")


@dataclass
class PetitionView:
    petition_id: UUID
    channel: str
    anonymous: bool
    reported_unit_id: UUID | None
    repeat_of: UUID | None
    received_at: datetime
    status: str = "received"
    handled_at: datetime | None = None
    lead_id: UUID | None = None
    concluded_at: datetime | None = None
    false_accusation_at: datetime | None = None
    transferred_from: str | None = None
    source_id: UUID | None = None


@dataclass
class LeadView:
    lead_id: UUID
    source: str
    source_id: UUID | None
    reported_unit_id: UUID | None
    registered_at: datetime
    status: str = "registered"
    route: str | None = None
    proposed_route: str | None = None
    proposed_at: datetime | None = None
    status_before_proposal: str = "registered"
    disposed_at: datetime | None = None
    verification_approved_at: datetime | None = None
    case_id: UUID | None = None
    name_cleared_at: datetime | None = None


@dataclass
class CaseView:
    case_id: UUID
    lead_id: UUID
    person_ids: list[UUID]
    key_areas: list[str]
    harms_public_interest: bool
    proposed_at: datetime
    status: str = "proposed"
    filed_at: datetime | None = None
    closed_at: datetime | None = None
    notified_unit_ids: list[UUID] = field(default_factory=list)


@dataclass
class OutcomeView:
    case_id: UUID
    person_id: UUID
    kind: str
    sanction: str | None
    form: str
    confiscated: Decimal
    decided_at: datetime
    announced_at: datetime | None = None
    executed_at: datetime | None = None
    appeals: int = 0


@dataclass
class AdmonishmentView:
    """One 诫勉, whatever decided it, counted once by the date of its decision."""

    source: str
    source_id: UUID
    decided_at: datetime


@dataclass
class ExaminationView:
    examination_id: UUID
    source: str
    source_id: UUID
    unit_id: UUID
    opened_at: datetime
    concluded_at: datetime | None = None
    decisions: int = 0
    area: str | None = None


@dataclass
class AccountabilityView:
    examination_id: UUID
    cadre_id: UUID
    letter_id: UUID
    clause_kind: str
    clause_number: int
    clause: str
    form: str
    degree: str
    decided_at: datetime
    area: str | None = None
    coverage: str = "unit"


@dataclass
class DeadlineView:
    record_id: UUID
    record_kind: str  # petition or lead
    deadline: str
    due: date
    warned_at: datetime | None = None
    overdue_at: datetime | None = None
    met: bool = False


@dataclass
class LetterView:
    """A responsibility letter as casework learned it: whom it binds, for which unit, and its
    clauses (an accountability decision cites one)."""

    letter_id: UUID
    year: int
    unit_id: UUID
    cadre_id: UUID | None
    common_clauses: list[str]
    individual_clauses: list[str]
    top_leader_duties: list[str]
    signed: bool = False
    superseded: bool = False
    individual_risk_points: list[str] = field(default_factory=list)
    # The signatory as casework learned them: a top leader answers for every area, another
    # leadership member for their line of work (分管领域).
    top_leader: bool = False
    line_of_work: str = ""

    def covers(self, area: str | None) -> bool:
        return area is None or self.top_leader or self.line_of_work == area \
            or area in self.individual_risk_points


@dataclass
class CadreView:
    cadre_id: UUID
    unit_id: UUID
    top_leader: bool
    line_of_work: str


@dataclass
class IdentityReadView:
    """Who read which reporter's identity, when and why (the audit trail of 回避)."""

    reporter_id: UUID
    petition_id: UUID
    reason: str
    reader: Actor
    read_at: datetime


@dataclass
class Figures:
    """The casework figures for a period, each act counted by the date of its own act."""

    start: date
    end: date
    petitions_received: int
    petitions_accepted: int
    repeat_petitions: int
    leads_registered: int
    leads_by_route: dict[str, int]
    preliminary_verifications: int
    cases_filed: int
    persons_filed: int
    cases_closed: int
    persons_sanctioned: int
    admonishments: int
    confiscated: Decimal
    four_forms: dict[str, int]
    cases_by_key_area: dict[str, int]
    cases_harming_public_interest: int
    accountability_by_form: dict[str, int]
    false_accusations: int
    names_cleared: int
    outcomes_by_kind: dict[str, int] = field(default_factory=dict)
    # Beyond the seed: decisions by the area examined ("" for a whole unit), petitions by
    # channel (transferred ones included), outcomes announced and executed, appeals lodged.
    accountability_by_area: dict[str, int] = field(default_factory=dict)
    petitions_by_channel: dict[str, int] = field(default_factory=dict)
    outcomes_announced: int = 0
    outcomes_executed: int = 0
    appeals_lodged: int = 0


class CaseworkView(Projection):
    stored = (
        "petitions", "leads", "cases", "outcomes", "admonishments", "examinations",
        "accountability", "deadlines", "identity_reads", "inquiry_outcomes", "letters",
        "cadres", "appeals",
    )

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.petitions: dict[UUID, PetitionView] = {}
        self.leads: dict[UUID, LeadView] = {}
        self.cases: dict[UUID, CaseView] = {}
        self.outcomes: dict[str, OutcomeView] = {}  # "<case>:<person>"
        self.admonishments: dict[str, AdmonishmentView] = {}  # "<source>:<decision>"
        self.examinations: dict[UUID, ExaminationView] = {}
        self.accountability: dict[str, AccountabilityView] = {}  # "<examination>:<cadre>"
        self.deadlines: dict[str, DeadlineView] = {}  # "<record>:<deadline>"
        self.identity_reads: dict[str, IdentityReadView] = {}  # "<reporter>:<version>"
        self.inquiry_outcomes: dict[UUID, tuple[str, datetime]] = {}  # lead → outcome
        self.letters: dict[UUID, LetterView] = {}  # by the letter file's id
        self.cadres: dict[UUID, CadreView] = {}  # by the cadre's id
        self.appeals: dict[str, datetime] = {}  # "<case>:<person>:<version>" → lodged

    # Deadlines of petitions and leads.

    def _deadline(self, record_kind: str, record_id: UUID, name: str, due: date) -> None:
        self.deadlines[f"{record_id}:{name}"] = DeadlineView(record_id, record_kind, name, due)

    def _met(self, record_id: UUID, name: str) -> None:
        found = self.deadlines.get(f"{record_id}:{name}")
        if found is not None:
            found.met = True

    def _warned(self, e: Any) -> None:
        self.deadlines[f"{e.originator_id}:{e.deadline}"].warned_at = e.occurred_at

    def _overdue(self, e: Any) -> None:
        self.deadlines[f"{e.originator_id}:{e.deadline}"].overdue_at = e.occurred_at

    # Petitions.

    def on_Petition_Received(self, e: Any) -> None:  # noqa: N802 - named after the event class
        self.petitions[e.originator_id] = PetitionView(
            e.originator_id, e.channel, e.anonymous, e.reported_unit_id, e.repeat_of,
            e.occurred_at, transferred_from=getattr(e, "transferred_from", None),
            source_id=getattr(e, "source_id", None),
        )
        self._deadline("petition", e.originator_id, "handling", e.handling_due)
        if e.acceptance_notice_due is not None:
            self._deadline("petition", e.originator_id, "acceptance_notice",
                           e.acceptance_notice_due)

    def _handled(self, e: Any, status: str) -> PetitionView:
        petition = self.petitions[e.originator_id]
        petition.status, petition.handled_at = status, e.occurred_at
        self._met(e.originator_id, "handling")
        return petition

    def on_Petition_Accepted(self, e: Any) -> None:  # noqa: N802
        self._handled(e, "accepted").lead_id = e.lead_id

    def on_Petition_NotAccepted(self, e: Any) -> None:  # noqa: N802
        self._handled(e, "not_accepted")

    def on_Petition_PassedOn(self, e: Any) -> None:  # noqa: N802
        self._handled(e, "passed_on")

    def on_Petition_ReporterToldOfAcceptance(self, e: Any) -> None:  # noqa: N802
        self._met(e.originator_id, "acceptance_notice")

    def on_Petition_MatterConcluded(self, e: Any) -> None:  # noqa: N802
        self.petitions[e.originator_id].concluded_at = e.occurred_at
        if e.result_notice_due is not None:
            self._deadline("petition", e.originator_id, "result_notice", e.result_notice_due)

    def on_Petition_ReporterToldOfResult(self, e: Any) -> None:  # noqa: N802
        self._met(e.originator_id, "result_notice")

    def on_Petition_DeadlineWarned(self, e: Any) -> None:  # noqa: N802
        self._warned(e)

    def on_Petition_DeadlineOverdue(self, e: Any) -> None:  # noqa: N802
        self._overdue(e)

    def on_Reporter_IdentityRead(self, e: Any) -> None:  # noqa: N802
        self.identity_reads[f"{e.originator_id}:{e.originator_version}"] = IdentityReadView(
            e.originator_id, e.petition_id, e.reason, e.actor, e.occurred_at,
        )

    # Leads.

    def on_Lead_Registered(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id] = LeadView(
            e.originator_id, e.source, e.source_id, e.reported_unit_id, e.occurred_at,
        )

    def on_Lead_DisposalProposed(self, e: Any) -> None:  # noqa: N802
        lead = self.leads[e.originator_id]
        lead.status_before_proposal, lead.status = lead.status, "disposal_proposed"
        lead.proposed_route, lead.proposed_at = e.route, e.occurred_at

    def on_Lead_DisposalReturned(self, e: Any) -> None:  # noqa: N802
        lead = self.leads[e.originator_id]
        lead.status, lead.proposed_route = lead.status_before_proposal, None

    def on_Lead_Disposed(self, e: Any) -> None:  # noqa: N802
        lead = self.leads[e.originator_id]
        lead.route, lead.disposed_at = e.route, e.occurred_at
        lead.status = {"talk_or_letter_inquiry": "inquiry",
                       "preliminary_verification": "verification_proposed"}.get(e.route, e.route)
        if e.inquiry_due is not None:
            self._deadline("lead", e.originator_id, "inquiry_reply", e.inquiry_due)

    def on_Lead_InquiryReplied(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id].status = "inquiry_replied"
        self._met(e.originator_id, "inquiry_reply")

    def on_Lead_InquiryConcluded(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id].status = {
            "cleared": "cleared", "to_verification": "verification_proposed"
        }.get(e.outcome, "handled")
        self.inquiry_outcomes[e.originator_id] = (e.outcome, e.occurred_at)
        if e.outcome == "admonishment":
            self.admonishments[f"inquiry:{e.originator_id}"] = AdmonishmentView(
                "inquiry", e.originator_id, e.occurred_at)

    def on_Lead_VerificationApproved(self, e: Any) -> None:  # noqa: N802
        lead = self.leads[e.originator_id]
        lead.verification_approved_at = e.occurred_at
        lead.status = "awaiting_secretary" if e.needs_secretary else "verifying"
        if not e.needs_secretary:
            self._deadline("lead", e.originator_id, "verification", e.due)

    def on_Lead_VerificationApprovedBySecretary(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id].status = "verifying"
        self._deadline("lead", e.originator_id, "verification", e.due)

    def on_Lead_VerificationExtended(self, e: Any) -> None:  # noqa: N802
        self._deadline("lead", e.originator_id, "verification", e.new_due)

    def on_Lead_VerificationConcluded(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id].status = "to_be_filed" if e.file_case else "no_case"
        self._met(e.originator_id, "verification")

    def on_Lead_CaseOpened(self, e: Any) -> None:  # noqa: N802
        lead = self.leads[e.originator_id]
        lead.status, lead.case_id = "filed", e.case_id

    def on_Lead_FalseAccusationFound(self, e: Any) -> None:  # noqa: N802
        petition = self.petitions.get(e.petition_id)
        if petition is not None:
            petition.false_accusation_at = e.occurred_at

    def on_Lead_NameCleared(self, e: Any) -> None:  # noqa: N802
        self.leads[e.originator_id].name_cleared_at = e.occurred_at

    def on_Lead_DeadlineWarned(self, e: Any) -> None:  # noqa: N802
        self._warned(e)

    def on_Lead_DeadlineOverdue(self, e: Any) -> None:  # noqa: N802
        self._overdue(e)

    # Cases.

    def on_Case_Proposed(self, e: Any) -> None:  # noqa: N802
        self.cases[e.originator_id] = CaseView(
            e.originator_id, e.lead_id, [p["person_id"] for p in e.persons],
            list(e.key_areas), e.harms_public_interest, e.occurred_at,
        )

    def _case_status(self, e: Any, status: str) -> CaseView:
        case = self.cases[e.originator_id]
        case.status = status
        return case

    def on_Case_ApprovedByCommission(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "approved_by_commission")

    def on_Case_Filed(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "filed").filed_at = e.occurred_at

    def on_Case_FilingAnnounced(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "announced")

    def on_Case_InvestigationConcluded(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "in_review")

    def on_Case_ReviewConcluded(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "reviewed")

    def on_Case_OutcomeDecided(self, e: Any) -> None:  # noqa: N802
        self.outcomes[f"{e.originator_id}:{e.person_id}"] = OutcomeView(
            e.originator_id, e.person_id, e.kind, e.sanction, e.form, e.confiscated,
            e.occurred_at,
        )
        if e.kind == "admonishment":
            self.admonishments[f"case:{e.originator_id}:{e.person_id}"] = AdmonishmentView(
                "case", e.originator_id, e.occurred_at)

    def on_Case_OrganisationNotified(self, e: Any) -> None:  # noqa: N802
        self.cases[e.originator_id].notified_unit_ids.append(e.unit_id)

    def on_Case_OutcomeAnnounced(self, e: Any) -> None:  # noqa: N802
        self.outcomes[f"{e.originator_id}:{e.person_id}"].announced_at = e.occurred_at

    def on_Case_OutcomeExecuted(self, e: Any) -> None:  # noqa: N802
        self.outcomes[f"{e.originator_id}:{e.person_id}"].executed_at = e.occurred_at

    def on_Case_Closed(self, e: Any) -> None:  # noqa: N802
        self._case_status(e, "closed").closed_at = e.occurred_at

    def on_Case_AppealLodged(self, e: Any) -> None:  # noqa: N802
        self.outcomes[f"{e.originator_id}:{e.person_id}"].appeals += 1
        self.appeals[f"{e.originator_id}:{e.person_id}:{e.originator_version}"] = e.occurred_at

    # Accountability.

    def on_AccountabilityExamination_Opened(self, e: Any) -> None:  # noqa: N802
        self.examinations[e.originator_id] = ExaminationView(
            e.originator_id, e.source, e.source_id, e.unit_id, e.occurred_at,
            area=getattr(e, "area", None))

    def on_AccountabilityExamination_Decided(self, e: Any) -> None:  # noqa: N802
        self.accountability[f"{e.originator_id}:{e.cadre_id}"] = AccountabilityView(
            e.originator_id, e.cadre_id, e.letter_id, e.clause_kind, e.clause_number, e.clause,
            e.form, e.degree, e.occurred_at, getattr(e, "area", None),
            getattr(e, "coverage", "unit"),
        )
        self.examinations[e.originator_id].decisions += 1
        if e.form == "admonishment":
            self.admonishments[f"accountability:{e.originator_id}:{e.cadre_id}"] = \
                AdmonishmentView("accountability", e.originator_id, e.occurred_at)

    def on_Admonishment_Recorded(self, e: Any) -> None:  # noqa: N802
        self.admonishments[f"assessment:{e.originator_id}"] = AdmonishmentView(
            "assessment", e.originator_id, e.occurred_at)

    def on_AccountabilityExamination_Concluded(self, e: Any) -> None:  # noqa: N802
        self.examinations[e.originator_id].concluded_at = e.occurred_at

    # Responsibility letters learned.

    def on_CadreFile_Learned(self, e: Any) -> None:  # noqa: N802
        self.cadres[e.cadre_id] = CadreView(e.cadre_id, e.unit_id, e.top_leader,
                                            getattr(e, "line_of_work", ""))

    def on_LetterFile_Learned(self, e: Any) -> None:  # noqa: N802
        cadre = self.cadres.get(e.signatory_cadre_id) if e.signatory_cadre_id else None
        self.letters[e.originator_id] = LetterView(
            e.letter_id, e.year, e.signatory_unit_id, e.signatory_cadre_id,
            list(e.common_clauses), list(e.individual_clauses), list(e.top_leader_duties),
            individual_risk_points=list(getattr(e, "individual_risk_points", None) or []),
            top_leader=bool(cadre and cadre.top_leader),
            line_of_work=cadre.line_of_work if cadre else "")

    def on_LetterFile_ClauseLearned(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.individual_clauses.append(e.text)
        if getattr(e, "risk_point", ""):
            letter.individual_risk_points.append(e.risk_point)

    def on_LetterFile_DutiesLearned(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].top_leader_duties = list(e.duties)

    def on_LetterFile_SigningLearned(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].signed = True

    def on_LetterFile_SupersedingLearned(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].superseded = True

    # Answers.

    def letters_covering(self, unit_id: UUID, area: str | None = None) -> list[LetterView]:
        """The signed letters in force for a unit — of the leaders who answer for ``area``
        when one is named (the top leaders, the member in charge of it, a letter with a
        clause for it): the leaders an examination looks at, and the clauses it may cite."""
        return sorted(
            (x for x in self.letters.values()
             if x.unit_id == unit_id and x.signed and not x.superseded and x.covers(area)),
            key=lambda x: (x.year, str(x.letter_id)),
        )

    def open_by_stage(self) -> dict[str, int]:
        """Matters open now, by the stage they are at (every stage, for the gauges: a stage
        emptied reads 0)."""
        stages: Counter[str] = Counter({stage: 0 for stage in OPEN_STAGES})
        for p in self.petitions.values():
            if p.status == "received":
                stages["petition_received"] += 1
        for lead in self.leads.values():
            if f"lead_{lead.status}" in OPEN_STAGES:
                stages[f"lead_{lead.status}"] += 1
        for case in self.cases.values():
            if case.status != "closed":
                stages[f"case_{case.status}"] += 1
        stages["accountability_open"] = sum(
            1 for x in self.examinations.values() if x.concluded_at is None)
        return dict(stages)

    def deadlines_due_on_clock(self, day: date, rule: DeadlineRule) -> list[tuple[str, UUID]]:
        """The petitions and leads with a deadline whose warning or overdue the clock has not
        recorded yet on ``day``."""
        due = set()
        for d in self.deadlines.values():
            if d.met:
                continue
            state = rule.state(d.due, day)
            if (state == "overdue" and d.overdue_at is None) or (
                    state == "warning" and d.warned_at is None and d.overdue_at is None):
                due.add((d.record_kind, d.record_id))
        return sorted(due, key=lambda x: (x[0], str(x[1])))

    def overdue_on(self, day: date) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for d in self.deadlines.values():
            if not d.met and day > d.due:
                counts[d.deadline] += 1
        return dict(counts)

    def figures(self, start: date, end: date) -> Figures:
        def within(moment: datetime | None) -> bool:
            return moment is not None and start <= moment.date() <= end

        petitions = [p for p in self.petitions.values() if within(p.received_at)]
        accepted = [p for p in self.petitions.values()
                    if p.status == "accepted" and within(p.handled_at) and p.repeat_of is None]
        leads = [x for x in self.leads.values() if within(x.registered_at)]
        routes = Counter(x.route for x in self.leads.values() if within(x.disposed_at))
        filed = [c for c in self.cases.values() if within(c.filed_at)]
        outcomes = [o for o in self.outcomes.values() if within(o.decided_at)]
        forms = Counter(o.form for o in outcomes)
        forms["first"] += sum(1 for outcome, at in self.inquiry_outcomes.values()
                              if outcome in FIRST_FORM_INQUIRY_OUTCOMES and within(at))
        decisions = [a for a in self.accountability.values() if within(a.decided_at)]
        areas = Counter(a for c in filed for a in c.key_areas)
        return Figures(
            start=start, end=end,
            petitions_received=sum(1 for p in petitions if p.repeat_of is None),
            petitions_accepted=len(accepted),
            repeat_petitions=sum(1 for p in petitions if p.repeat_of is not None),
            leads_registered=len(leads),
            leads_by_route={r: routes.get(r, 0) for r in LEAD_ROUTES},
            preliminary_verifications=sum(
                1 for x in self.leads.values() if within(x.verification_approved_at)),
            cases_filed=len(filed),
            persons_filed=sum(len(c.person_ids) for c in filed),
            cases_closed=sum(1 for c in self.cases.values() if within(c.closed_at)),
            persons_sanctioned=len({o.person_id for o in outcomes if o.kind in SANCTIONS}),
            admonishments=sum(1 for a in self.admonishments.values() if within(a.decided_at)),
            confiscated=sum((o.confiscated for o in outcomes), Decimal("0")),
            four_forms={f: forms.get(f, 0) for f in FOUR_FORMS},
            cases_by_key_area={a: areas.get(a, 0) for a in KEY_AREAS},
            cases_harming_public_interest=sum(1 for c in filed if c.harms_public_interest),
            accountability_by_form={
                f: sum(1 for a in decisions if a.form == f) for f in ACCOUNTABILITY_FORMS},
            false_accusations=sum(1 for p in self.petitions.values()
                                  if within(p.false_accusation_at)),
            names_cleared=sum(1 for x in self.leads.values() if within(x.name_cleared_at)),
            outcomes_by_kind=dict(Counter(o.kind for o in outcomes)),
            accountability_by_area=dict(Counter(a.area or "" for a in decisions)),
            petitions_by_channel=dict(Counter(p.channel for p in petitions)),
            outcomes_announced=sum(1 for o in self.outcomes.values() if within(o.announced_at)),
            outcomes_executed=sum(1 for o in self.outcomes.values() if within(o.executed_at)),
            appeals_lodged=sum(1 for moment in self.appeals.values() if within(moment)),
        )


CaseworkView.record_classes = records_of(__name__, Actor)

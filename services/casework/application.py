"""Use cases and queries of the casework service; its reactions to upstream events are in
``policy.py``. Each use case takes, by keyword, exactly the fields of the command bound to it
in ``service.py``; the rules live in the domain. A reporter's identity passes through here
only on its way into the sealer, and out of it to a reader who stated why (and that read is
recorded first)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.utils import EnvType

from services.casework import metrics
from services.casework.domain.accountability import AccountabilityExamination
from services.casework.domain.admonishments import Admonishment
from services.casework.domain.calendar import add_months
from services.casework.domain.cases import Case, CaseStepError
from services.casework.domain.files import CadreFile, LetterFile
from services.casework.domain.ids import derived_id
from services.casework.domain.leads import Lead
from services.casework.domain.petitions import Petition, PetitionStepError
from services.casework.domain.reporters import Reporter
from services.casework.policy import LearnsFromUpstreams, examination_id_for, lead_id_for
from services.casework.sealing import KeyVault, ReporterIdentity, Sealer
from services.casework.settings import CaseworkSettings
from services.casework.views import (
    CaseView,
    CaseworkView,
    ExaminationView,
    Figures,
    IdentityReadView,
    LeadView,
    LetterView,
    PetitionView,
)
from shared.actors import SYSTEM_ACTOR, Actor
from shared.bounds import check_clock_as_of
from shared.clock import as_aware
from shared.contracts.casework import CasePerson
from shared.errors import ConflictError, DomainError, NotFoundError

log = logging.getLogger(__name__)


class CaseNotClosedError(CaseStepError):
    """一案双查 follows a closed case."""


class UnitNotInCaseError(DomainError):
    pass


class RepeatOfUnknownPetitionError(NotFoundError):
    pass


class DuplicateRecordError(ConflictError):
    """A record with the id the caller chose exists already."""


class DuplicatePetitionError(DuplicateRecordError):
    pass


class Casework(LearnsFromUpstreams):
    """The casework service's eventsourcing application."""

    service_name: ClassVar[str] = "casework"
    projection = CaseworkView

    def __init__(self, env: EnvType | None = None,
                 settings: CaseworkSettings | None = None) -> None:
        self.settings = settings or CaseworkSettings.from_environ()
        super().__init__(env)
        self.vault = KeyVault(self.env)
        self.sealer = Sealer(self.vault)

    def close(self) -> None:
        vault = getattr(self, "vault", None)
        if vault is not None:
            vault.close()
        super().close()

    # Petitions.

    def receive_petition(
        self, *, channel: str, anonymous: bool, summary: str,
        reporter_name: str | None = None, reporter_contact: str | None = None,
        reported_unit_id: UUID | None = None, reported_person_id: UUID | None = None,
        repeat_of: UUID | None = None, petition_id: UUID | None = None, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        at = as_aware(occurred_at)
        # Anonymous: nothing of the reporter at all; real name: both the name and a contact.
        has_identity = bool(reporter_name or reporter_contact) if anonymous \
            else bool(reporter_name and reporter_contact)
        Petition.check_receivable(channel, anonymous, has_identity)
        if repeat_of is not None and self.find(repeat_of, Petition) is None:
            msg = f"Petition {repeat_of}, which this one repeats, is not registered."
            raise RepeatOfUnknownPetitionError(msg)
        petition_id, reporter = petition_id or uuid4(), None
        if self.find(petition_id, Petition) is not None:
            raise DuplicatePetitionError(f"Petition {petition_id} is registered already.")
        if not anonymous:
            assert reporter_name and reporter_contact
            # A pseudonym: the reporter of this petition (a key for each, erased alone).
            reporter_id = derived_id(f"reporter:{petition_id}")
            key_id, sealed = self.sealer.seal(
                reporter_id, ReporterIdentity(reporter_name, reporter_contact))
            reporter = Reporter(id=reporter_id, key_id=key_id, sealed_identity=sealed,
                                actor=actor, occurred_at=at)
        day = at.date()
        petition = Petition(
            id=petition_id, channel=channel, anonymous=anonymous,
            reporter_id=None if reporter is None else reporter.id,
            reported_unit_id=reported_unit_id, reported_person_id=reported_person_id,
            summary=summary, repeat_of=repeat_of, source_event_id=None,
            handling_due=self.settings.add_working_days(day, self.settings.handling_working_days),
            acceptance_notice_due=None if anonymous else self.settings.add_working_days(
                day, self.settings.acceptance_notice_working_days),
            actor=actor, occurred_at=at,
        )
        self.save_changes(petition, reporter)
        return petition.id

    def accept_petition(self, *, petition_id: UUID, actor: Actor,
                        occurred_at: datetime | None = None) -> UUID:
        """Accept a petition; a lead is registered for it (a repeat joins the lead of the
        petition it repeats). Answers the lead's id."""
        at = as_aware(occurred_at)
        petition = self.load(petition_id, Petition)
        original = self.find(petition.repeat_of, Petition) if petition.repeat_of else None
        if original is not None and original.lead_id is not None:
            petition.accept(original.lead_id, actor, at)
            self.save_changes(petition)
            return original.lead_id
        # The lead's id is derived from the petition's: accepting is once-only by itself.
        # A transferred petition's lead names the service and record it came from, and the
        # upstream event, so the lead links back to its source.
        lead = Lead(id=lead_id_for("petition", petition_id),
                    source=petition.transferred_from or "petition",
                    source_id=petition.source_id or petition_id,
                    source_event_id=petition.source_event_id,
                    reported_unit_id=petition.reported_unit_id,
                    reported_person_id=petition.reported_person_id,
                    reported_cadre_id=petition.reported_cadre_id,
                    summary=f"petition {petition_id} accepted", actor=actor, occurred_at=at)
        petition.accept(lead.id, actor, at)
        self.save_changes(lead, petition)
        return lead.id

    def not_accept_petition(self, *, petition_id: UUID, reason: str, actor: Actor,
                            occurred_at: datetime | None = None) -> None:
        petition = self.load(petition_id, Petition)
        petition.refuse(reason, actor, as_aware(occurred_at))
        self.save_changes(petition)

    def pass_on_petition(self, *, petition_id: UUID, to_body: str, actor: Actor,
                         occurred_at: datetime | None = None) -> None:
        petition = self.load(petition_id, Petition)
        petition.pass_on(to_body, actor, as_aware(occurred_at))
        self.save_changes(petition)

    def tell_reporter_of_acceptance(self, *, petition_id: UUID, actor: Actor,
                                    occurred_at: datetime | None = None) -> None:
        petition = self.load(petition_id, Petition)
        petition.tell_acceptance(actor, as_aware(occurred_at))
        self.save_changes(petition)

    def tell_reporter_of_result(self, *, petition_id: UUID, actor: Actor,
                                occurred_at: datetime | None = None) -> None:
        petition = self.load(petition_id, Petition)
        petition.tell_result(actor, as_aware(occurred_at))
        self.save_changes(petition)

    # Reporters' identities.

    def read_reporter_identity(self, *, petition_id: UUID, reason: str, actor: Actor,
                               occurred_at: datetime | None = None) -> dict[str, str]:
        """The identity of a petition's reporter, to a reader with no conflict (回避) who
        states why; the read is recorded before the identity is opened."""
        petition = self.load(petition_id, Petition)
        if petition.reporter_id is None:
            msg = f"Petition {petition_id} is anonymous: there is no identity to read."
            raise PetitionStepError(msg)
        reporter = self.load(petition.reporter_id, Reporter)
        Reporter.check_reader(actor, reason, petition.reported_person_id,
                              petition.reported_unit_id)
        reporter.check_not_erased()
        reporter.record_read(petition_id=petition_id, reason=reason, actor=actor,
                             occurred_at=as_aware(occurred_at))
        self.save_changes(reporter)
        return self.sealer.open(reporter.id, reporter.key_id, reporter.sealed_identity).as_dict()

    def erase_reporter_identity(self, *, reporter_id: UUID, reason: str, actor: Actor,
                                occurred_at: datetime | None = None) -> None:
        """Crypto-shred: destroy the reporter's key. The history stays; the identity is
        gone for ever."""
        reporter = self.load(reporter_id, Reporter)
        reporter.check_not_erased()
        reporter.record_erasure(reason=reason, actor=actor, occurred_at=as_aware(occurred_at))
        self.save_changes(reporter)
        self.vault.erase(reporter.key_id)

    # Leads.

    def register_lead(
        self, *, source: str, summary: str, source_id: UUID | None = None,
        reported_unit_id: UUID | None = None, reported_person_id: UUID | None = None,
        reported_cadre_id: UUID | None = None, lead_id: UUID | None = None, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        Lead.check_source(source)
        lead = Lead(id=lead_id or uuid4(), source=source, source_id=source_id, source_event_id=None,
                    reported_unit_id=reported_unit_id, reported_person_id=reported_person_id,
                    reported_cadre_id=reported_cadre_id, summary=summary, actor=actor,
                    occurred_at=as_aware(occurred_at))
        self.save_new(lead, DuplicateRecordError(f"Lead {lead.id} is registered already."))
        return lead.id

    def propose_disposal(self, *, lead_id: UUID, route: str, collective_decision: str,
                         actor: Actor, occurred_at: datetime | None = None) -> None:
        lead = self.load(lead_id, Lead)
        lead.propose_disposal(route, collective_decision, actor, as_aware(occurred_at))
        self.save_changes(lead)

    def approve_disposal(self, *, lead_id: UUID, actor: Actor,
                         occurred_at: datetime | None = None) -> None:
        """The disposal takes effect: a 谈话函询's reply limit runs from the approval."""
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        due = self.settings.add_working_days(at.date(), self.settings.inquiry_reply_working_days)
        lead.approve_disposal(due, actor, at)
        changed: list[Any] = [lead]
        if lead.status == "closed":
            changed += self._conclude_petitions(lead_id, actor, at)
        self.save_changes(*changed)

    def return_disposal(self, *, lead_id: UUID, reason: str, actor: Actor,
                        occurred_at: datetime | None = None) -> None:
        lead = self.load(lead_id, Lead)
        lead.return_disposal(reason, actor, as_aware(occurred_at))
        self.save_changes(lead)

    def reply_to_inquiry(self, *, lead_id: UUID, reply: str,
                         countersigned_by: UUID | None = None, actor: Actor,
                         occurred_at: datetime | None = None) -> None:
        lead = self.load(lead_id, Lead)
        lead.reply_to_inquiry(reply, countersigned_by, actor, as_aware(occurred_at))
        self.save_changes(lead)

    def conclude_inquiry(self, *, lead_id: UUID, outcome: str, note: str = "", actor: Actor,
                         occurred_at: datetime | None = None) -> None:
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        lead.conclude_inquiry(outcome, note, actor, at)
        changed: list[Any] = [lead]
        if lead.concluded:
            changed += self._conclude_petitions(lead_id, actor, at)
        self.save_changes(*changed)

    def approve_verification(self, *, lead_id: UUID, team: list[UUID], actor: Actor,
                             occurred_at: datetime | None = None) -> None:
        """The commission approves a preliminary verification and its team; the district
        party secretary's approval is needed too when the person reported is the principal
        (top leader) of a lower-level party organisation."""
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        lead.approve_verification(
            list(team), self._needs_secretary(lead), self._verification_due(at), actor, at)
        self.save_changes(lead)

    def approve_verification_as_secretary(self, *, lead_id: UUID, actor: Actor,
                                          occurred_at: datetime | None = None) -> None:
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        lead.approve_as_secretary(self._verification_due(at), actor, at)
        self.save_changes(lead)

    def extend_verification(self, *, lead_id: UUID, reason: str, actor: Actor,
                            occurred_at: datetime | None = None) -> None:
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        current = lead.deadlines.get("verification", {}).get("due", at.date())
        new_due = add_months(current, self.settings.verification_extension_months)
        lead.extend_verification(new_due, reason, self.settings.verification_extensions,
                                 actor, at)
        self.save_changes(lead)

    def conclude_verification(self, *, lead_id: UUID, file_case: bool, reason: str,
                              actor: Actor, occurred_at: datetime | None = None) -> None:
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        lead.conclude_verification(file_case, reason, actor, at)
        changed: list[Any] = [lead]
        if not file_case:
            changed += self._conclude_petitions(lead_id, actor, at)
        self.save_changes(*changed)

    def record_false_accusation(self, *, lead_id: UUID, petition_id: UUID, note: str,
                                actor: Actor, occurred_at: datetime | None = None) -> None:
        lead = self.load(lead_id, Lead)
        petition = self.load(petition_id, Petition)
        if petition.lead_id != lead_id:
            msg = f"Petition {petition_id} did not raise lead {lead_id}."
            raise PetitionStepError(msg)
        lead.find_false_accusation(petition_id, note, actor, as_aware(occurred_at))
        self.save_changes(lead)

    def clear_name(self, *, lead_id: UUID, how: str, actor: Actor,
                   occurred_at: datetime | None = None) -> None:
        lead = self.load(lead_id, Lead)
        lead.clear_name(how, actor, as_aware(occurred_at))
        self.save_changes(lead)

    # Cases.

    def file_case(
        self, *, lead_id: UUID, persons: list[CasePerson], summary: str,
        key_areas: list[str] | None = None, harms_public_interest: bool = False,
        case_id: UUID | None = None, actor: Actor, occurred_at: datetime | None = None,
    ) -> UUID:
        at = as_aware(occurred_at)
        lead = self.load(lead_id, Lead)
        people = [p.model_dump() if isinstance(p, CasePerson) else dict(p) for p in persons]
        Case.check_proposable(people, list(key_areas or []))
        case = Case(id=case_id or uuid4(), lead_id=lead_id, persons=people, summary=summary,
                    key_areas=list(key_areas or []),
                    harms_public_interest=harms_public_interest, actor=actor, occurred_at=at)
        lead.open_case(case.id, actor, at)
        self.save_new(case, DuplicateRecordError(f"Case {case.id} is registered already."), lead)
        return case.id

    def _case_step(self, case_id: UUID, step: str, actor: Actor,
                   occurred_at: datetime | None, **kwargs: Any) -> Case:
        case = self.load(case_id, Case)
        getattr(case, step)(**kwargs, actor=actor, occurred_at=as_aware(occurred_at))
        return case

    def approve_filing_by_commission(self, *, case_id: UUID, actor: Actor,
                                     occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "approve_by_commission", actor, occurred_at))

    def approve_filing_by_committee(self, *, case_id: UUID, actor: Actor,
                                    occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "approve_by_committee", actor, occurred_at))

    def announce_filing(self, *, case_id: UUID, note: str = "", actor: Actor,
                        occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "announce_filing", actor, occurred_at,
                                          note=note))

    def notify_organisation(self, *, case_id: UUID, unit_id: UUID, note: str = "",
                            actor: Actor, occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "notify_organisation", actor, occurred_at,
                                          unit_id=unit_id, note=note))

    def conclude_investigation(self, *, case_id: UUID, findings: str, actor: Actor,
                               occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "conclude_investigation", actor,
                                          occurred_at, findings=findings))

    def conclude_review(self, *, case_id: UUID, opinion: str, actor: Actor,
                        occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "conclude_review", actor, occurred_at,
                                          opinion=opinion))

    def decide_outcome(
        self, *, case_id: UUID, person_id: UUID, kind: str, form: str,
        sanction: str | None = None, confiscated: Decimal = Decimal("0"), note: str = "",
        actor: Actor, occurred_at: datetime | None = None,
    ) -> None:
        self.save_changes(self._case_step(
            case_id, "decide_outcome", actor, occurred_at, person_id=person_id, kind=kind,
            sanction=sanction, form=form, confiscated=Decimal(confiscated), note=note))

    def announce_outcome(self, *, case_id: UUID, person_id: UUID, note: str = "",
                         actor: Actor, occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "announce_outcome", actor, occurred_at,
                                          person_id=person_id, note=note))

    def execute_outcome(self, *, case_id: UUID, person_id: UUID, note: str = "",
                        actor: Actor, occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "execute_outcome", actor, occurred_at,
                                          person_id=person_id, note=note))

    def close_case(self, *, case_id: UUID, actor: Actor,
                   occurred_at: datetime | None = None) -> None:
        at = as_aware(occurred_at)
        case = self._case_step(case_id, "close", actor, at)
        self.save_changes(case, *self._conclude_petitions(case.lead_id, actor, at))

    def lodge_appeal(self, *, case_id: UUID, person_id: UUID, grounds: str, actor: Actor,
                     occurred_at: datetime | None = None) -> None:
        """申诉, by the person the outcome concerns (the caller), for themself."""
        self.save_changes(self._case_step(case_id, "lodge_appeal", actor, occurred_at,
                                          person_id=person_id, grounds=grounds))

    def decide_appeal(self, *, case_id: UUID, person_id: UUID, upheld: bool, note: str = "",
                      actor: Actor, occurred_at: datetime | None = None) -> None:
        self.save_changes(self._case_step(case_id, "decide_appeal", actor, occurred_at,
                                          person_id=person_id, upheld=upheld, note=note))

    # Accountability (问责, 一案双查).

    def open_accountability(self, *, case_id: UUID, unit_id: UUID, reason: str,
                            area: str | None = None, actor: Actor,
                            occurred_at: datetime | None = None) -> UUID:
        case = self.load(case_id, Case)
        if case.status != "closed":
            msg = (f"Case {case_id} is {case.status.replace('_', ' ')}: 一案双查 examines the "
                   "leaders responsible once the case is closed.")
            raise CaseNotClosedError(msg)
        if unit_id not in {p["unit_id"] for p in case.persons.values()}:
            msg = f"No person of case {case_id} works in unit {unit_id}."
            raise UnitNotInCaseError(msg)
        examination = AccountabilityExamination(
            id=examination_id_for("case", f"{case_id}:{unit_id}"), source="case",
            source_id=case_id, unit_id=unit_id, reason=reason, source_event_id=None,
            actor=actor, occurred_at=as_aware(occurred_at), area=area)
        self.save_new(examination, CaseStepError(
            f"Unit {unit_id} of case {case_id} is examined already (一案双查 once a unit)."))
        return examination.id

    def decide_accountability(
        self, *, examination_id: UUID, cadre_id: UUID, letter_id: UUID, clause_kind: str,
        clause_number: int, form: str, degree: str, note: str = "", actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """Hold a leader accountable under a clause of their signed responsibility letter
        for the examined unit; when the examination names an area, only a leader who answers
        for it (a top leader, the member in charge of it, or under a clause written for it)."""
        examination = self.load(examination_id, AccountabilityExamination)
        cadre = self.load(CadreFile.create_id(cadre_id), CadreFile)
        letter = self.load(LetterFile.create_id(letter_id), LetterFile)
        clause = letter.clause(cadre_id, examination.unit_id, clause_kind, clause_number)
        coverage = "unit" if examination.area is None else cadre.covers_area(
            examination.area, letter)
        examination.decide(cadre_id, letter_id, clause_kind, clause_number, clause, form,
                           degree, note, actor, as_aware(occurred_at), coverage)
        self.save_changes(examination)

    def conclude_accountability(self, *, examination_id: UUID, note: str = "", actor: Actor,
                                occurred_at: datetime | None = None) -> None:
        examination = self.load(examination_id, AccountabilityExamination)
        examination.conclude(note, actor, as_aware(occurred_at))
        self.save_changes(examination)

    def record_admonishment(self, *, person_id: UUID, unit_id: UUID, basis: str,
                            cadre_id: UUID | None = None, actor: Actor,
                            occurred_at: datetime | None = None) -> UUID:
        """诫勉 after an assessment (考核): counted with every other 诫勉, once."""
        admonishment = Admonishment(id=uuid4(), person_id=person_id, cadre_id=cadre_id,
                                    unit_id=unit_id, basis=basis, actor=actor,
                                    occurred_at=as_aware(occurred_at))
        self.save_changes(admonishment)
        return admonishment.id

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record each petition's and lead's deadline warning and overdue due by ``as_of``,
        once each; the ids of the records that got one."""
        as_of = as_aware(as_of)
        check_clock_as_of(as_of)
        rule, recorded = self.settings.deadline_rule, []
        for kind, record_id in self.as_of().deadlines_due_on_clock(as_of.date(), rule):
            record: Petition | Lead | None = (
                self.clock_load(record_id, Petition) if kind == "petition"
                else self.clock_load(record_id, Lead))
            if record is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if record.record_deadline_marks(as_of, rule, SYSTEM_ACTOR) and \
                    self.save_if_uncontested(record):
                recorded.append(record.id)
        return recorded

    def refresh_gauges(self, as_of: date) -> None:
        view = self.as_of(as_of)
        for stage, count in view.open_by_stage().items():
            metrics.MATTERS_OPEN.labels(self.service_name, stage).set(count)
        overdue = view.overdue_on(as_of)
        for name in ("handling", "acceptance_notice", "result_notice", "inquiry_reply",
                     "verification"):
            metrics.DEADLINES_OVERDUE.labels(self.service_name, name).set(overdue.get(name, 0))

    # Queries.

    def figures(self, *, start: date, end: date, as_of: date | None = None) -> Figures:
        return self.as_of(as_of or end).figures(start, end)

    def get_petition(self, *, petition_id: UUID, as_of: date | None = None) -> PetitionView:
        found = self.as_of(as_of).petitions.get(petition_id)
        if found is None:
            raise Petition.not_found(petition_id)
        return found

    def get_lead(self, *, lead_id: UUID, as_of: date | None = None) -> LeadView:
        found = self.as_of(as_of).leads.get(lead_id)
        if found is None:
            raise Lead.not_found(lead_id)
        return found

    def get_case(self, *, case_id: UUID, as_of: date | None = None) -> CaseView:
        found = self.as_of(as_of).cases.get(case_id)
        if found is None:
            raise Case.not_found(case_id)
        return found

    def identity_reads(self, *, as_of: date | None = None) -> list[IdentityReadView]:
        return sorted(self.as_of(as_of).identity_reads.values(), key=lambda r: r.read_at)

    def list_leads(self, *, source: str | None = None, status: str | None = None,
                   as_of: date | None = None) -> list[LeadView]:
        return sorted(
            (x for x in self.as_of(as_of).leads.values()
             if source in (None, x.source) and status in (None, x.status)),
            key=lambda x: (x.registered_at, str(x.lead_id)),
        )

    def list_petitions(self, *, channel: str | None = None, status: str | None = None,
                       as_of: date | None = None) -> list[PetitionView]:
        return sorted(
            (x for x in self.as_of(as_of).petitions.values()
             if channel in (None, x.channel) and status in (None, x.status)),
            key=lambda x: (x.received_at, str(x.petition_id)),
        )

    def list_examinations(self, *, open_only: bool = False,
                          as_of: date | None = None) -> list[ExaminationView]:
        return sorted(
            (x for x in self.as_of(as_of).examinations.values()
             if not open_only or x.concluded_at is None),
            key=lambda x: (x.opened_at, str(x.examination_id)),
        )

    def leaders_to_examine(self, *, examination_id: UUID,
                           as_of: date | None = None) -> list[LetterView]:
        """一案双查: the signed responsibility letters in force for the examined unit — the
        leaders whose "who is responsible for what" the examination looks at."""
        view = self.as_of(as_of)
        examination = view.examinations.get(examination_id)
        if examination is None:
            raise AccountabilityExamination.not_found(examination_id)
        return view.letters_covering(examination.unit_id, examination.area)

    def open_matters(self, *, as_of: date | None = None) -> dict[str, int]:
        return self.as_of(as_of).open_by_stage()

    # Helpers.

    def _verification_due(self, at: datetime) -> date:
        return add_months(at.date(), self.settings.verification_months)

    def _needs_secretary(self, lead: Lead) -> bool:
        if lead.reported_cadre_id is None:
            return False
        cadre = self.find(CadreFile.create_id(lead.reported_cadre_id), CadreFile)
        return bool(cadre and cadre.top_leader)

    def _conclude_petitions(self, lead_id: UUID, actor: Actor, at: datetime) -> list[Petition]:
        """The petitions that raised a lead, marked concluded (the real-name reporters' result
        notices start to run)."""
        concluded = []
        for view in self.as_of().petitions.values():
            if view.lead_id != lead_id:
                continue
            petition = self.load(view.petition_id, Petition)
            due = None if petition.anonymous else self.settings.add_working_days(
                at.date(), self.settings.result_notice_working_days)
            if petition.conclude(due, actor, at):
                concluded.append(petition)
        return concluded

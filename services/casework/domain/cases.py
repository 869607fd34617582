"""Cases (立案): one case, one or more persons. Filing is approved by the commission's
principal and then by the party committee's principal; the filing is announced to the persons
and, as separate acts, notified to each of their organisations; 审查调查 (investigation)
concludes and the case goes to 审理 (review), which is mandatory before any outcome; then each
person's outcome (a party or government sanction by kind, exemption, organisational handling,
admonishment or transfer to the judiciary; its form of the four forms; money confiscated in
yuan), announced to the person and then executed (two acts), and appeals (申诉) the person
lodges themself. A case closes when every person's outcome was executed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.casework import (
    CaseStatus,
    FourForms,
    GovernmentSanction,
    KeyArea,
    OutcomeKind,
    PartySanction,
)
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)
OUTCOME_KINDS: tuple[OutcomeKind, ...] = get_args(OutcomeKind)
PARTY_SANCTIONS: tuple[PartySanction, ...] = get_args(PartySanction)
GOVERNMENT_SANCTIONS: tuple[GovernmentSanction, ...] = get_args(GovernmentSanction)
FOUR_FORMS: tuple[FourForms, ...] = get_args(FourForms)
KEY_AREAS: tuple[KeyArea, ...] = get_args(KeyArea)
# Outcomes that are sanctions (a person with several is counted once as sanctioned).
SANCTIONS: tuple[OutcomeKind, ...] = ("party_sanction", "government_sanction")


class CaseNotFoundError(NotFoundError):
    pass


class CaseStepError(DomainError):
    """A step of a case taken out of turn."""


class FilingNotApprovedByCommissionError(CaseStepError):
    pass


class FilingAlreadyApprovedError(CaseStepError):
    pass


class CaseNotFiledError(CaseStepError):
    pass


class FilingNotAnnouncedError(CaseStepError):
    pass


class OrganisationNotNotifiedError(CaseStepError):
    """The organisations of the persons are notified of a filing before it is investigated."""


class OrganisationAlreadyNotifiedError(CaseStepError):
    pass


class OrganisationNotInCaseError(DomainError):
    pass


class OutcomeNotAnnouncedError(CaseStepError):
    pass


class OutcomeAlreadyAnnouncedError(CaseStepError):
    pass


class AppellantNotThePersonError(DomainError):
    """An appeal (申诉) is lodged by the person sanctioned, for themself."""


class InvestigationNotConcludedError(CaseStepError):
    pass


class ReviewRequiredError(CaseStepError):
    """审理 is mandatory before any outcome."""


class OutcomeAlreadyDecidedError(CaseStepError):
    pass


class OutcomeNotDecidedError(CaseStepError):
    pass


class OutcomeAlreadyExecutedError(CaseStepError):
    pass


class OutcomesOutstandingError(CaseStepError):
    pass


class CaseClosedError(CaseStepError):
    pass


class AppealAlreadyOpenError(CaseStepError):
    pass


class NoAppealOpenError(CaseStepError):
    pass


class PersonNotInCaseError(DomainError):
    pass


class InvalidCaseError(DomainError):
    pass


class InvalidOutcomeError(DomainError):
    pass


def check_outcome(kind: str, sanction: str | None, form: str, confiscated: Decimal) -> None:
    if kind not in OUTCOME_KINDS:
        raise InvalidOutcomeError(f"An outcome is one of {', '.join(OUTCOME_KINDS)}, not {kind!r}.")
    if form not in FOUR_FORMS:
        raise InvalidOutcomeError(f"The four forms are {', '.join(FOUR_FORMS)}, not {form!r}.")
    allowed = {"party_sanction": PARTY_SANCTIONS,
               "government_sanction": GOVERNMENT_SANCTIONS}.get(kind)
    if allowed is not None and sanction not in allowed:
        msg = f"A {kind.replace('_', ' ')} is one of {', '.join(allowed)}, not {sanction!r}."
        raise InvalidOutcomeError(msg)
    if allowed is None and sanction is not None:
        msg = f"A {kind.replace('_', ' ')} names no sanction kind (got {sanction!r})."
        raise InvalidOutcomeError(msg)
    if kind == "transfer_to_judiciary" and form != "fourth":
        msg = "A transfer to the judiciary is of the fourth form (第四种形态)."
        raise InvalidOutcomeError(msg)
    if confiscated < 0:
        raise InvalidOutcomeError(f"Money confiscated is not negative ({confiscated}).")


class Case(DomainAggregate):
    noun: ClassVar[str] = "case"
    NotFound: ClassVar[type[NotFoundError]] = CaseNotFoundError

    @event("Proposed")
    def __init__(
        self, id: UUID, lead_id: UUID, persons: list[dict[str, Any]], summary: str,
        key_areas: list[str], harms_public_interest: bool, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.lead_id = lead_id
        self.persons = {p["person_id"]: dict(p) for p in persons}
        self.status: CaseStatus = "proposed"
        self.outcomes: dict[UUID, dict[str, Any]] = {}
        self.appeals: dict[UUID, bool] = {}  # person → an appeal is open
        self.notified_units: list[UUID] = []

    @property
    def units(self) -> list[UUID]:
        """The organisations (units) of the persons, each once, in the persons' order."""
        return list(dict.fromkeys(p["unit_id"] for p in self.persons.values()))

    @staticmethod
    def check_proposable(persons: list[dict[str, Any]], key_areas: list[str]) -> None:
        if not persons:
            raise InvalidCaseError("A case is filed against at least one person.")
        if len({p["person_id"] for p in persons}) != len(persons):
            raise InvalidCaseError("A case names each person once.")
        unknown = [a for a in key_areas if a not in KEY_AREAS]
        if unknown:
            raise InvalidCaseError(f"Key areas are {', '.join(KEY_AREAS)}, not {unknown}.")

    def _refuse(self, error: type[CaseStepError], wanted: str) -> CaseStepError:
        return error(f"Case {self.id} is {self.status.replace('_', ' ')}: {wanted}.")

    def _check_open(self) -> None:
        if self.status == "closed":
            raise CaseClosedError(f"Case {self.id} is closed; nothing more is recorded on it.")

    # Filing.

    def approve_by_commission(self, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "proposed":
            raise self._refuse(FilingAlreadyApprovedError,
                               "the commission's principal approves a proposed filing once")
        self._commission_approved(actor=actor, occurred_at=occurred_at)

    @event("ApprovedByCommission")
    def _commission_approved(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "approved_by_commission"

    def approve_by_committee(self, actor: Actor, occurred_at: datetime) -> None:
        if self.status == "proposed":
            raise self._refuse(FilingNotApprovedByCommissionError,
                               "the party committee's principal approves after the commission's")
        if self.status != "approved_by_commission":
            raise self._refuse(FilingAlreadyApprovedError, "the filing was approved already")
        self._filed(actor=actor, occurred_at=occurred_at)

    @event("Filed")
    def _filed(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "filed"

    def announce_filing(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        """The filing announced to the persons under investigation (向被审查人宣布)."""
        if self.status != "filed":
            error = FilingAlreadyApprovedError if self.status == "announced" \
                else CaseNotFiledError
            raise self._refuse(error, "a filing is announced once, after both principals "
                                      "approved it")
        self._filing_announced(note=note, actor=actor, occurred_at=occurred_at)

    @event("FilingAnnounced")
    def _filing_announced(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "announced"

    def notify_organisation(self, unit_id: UUID, note: str, actor: Actor,
                            occurred_at: datetime) -> None:
        """The organisation (unit) of a person under investigation notified of the filing
        (通报所在单位党组织): a separate act, once per organisation."""
        if self.status not in ("filed", "announced"):
            if self.status in ("proposed", "approved_by_commission"):
                raise self._refuse(CaseNotFiledError,
                                   "an organisation is notified once the case is filed")
            raise self._refuse(OrganisationAlreadyNotifiedError,
                               "organisations are notified before the investigation ends")
        if unit_id not in self.units:
            msg = f"No person of case {self.id} works in unit {unit_id}: it is not notified."
            raise OrganisationNotInCaseError(msg)
        if unit_id in self.notified_units:
            msg = f"The organisation {unit_id} was already notified of case {self.id}."
            raise OrganisationAlreadyNotifiedError(msg)
        self._organisation_notified(unit_id=unit_id, note=note, actor=actor,
                                    occurred_at=occurred_at)

    @event("OrganisationNotified")
    def _organisation_notified(self, unit_id: UUID, note: str, actor: Actor,
                               occurred_at: datetime) -> None:
        self.notified_units.append(unit_id)

    # 审查调查 → 审理.

    def conclude_investigation(self, findings: str, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "announced":
            error = CaseNotFiledError if self.status in ("proposed", "approved_by_commission") \
                else FilingNotAnnouncedError
            raise self._refuse(error, "the investigation concludes on an announced filing")
        unnotified = [u for u in self.units if u not in self.notified_units]
        if unnotified:
            msg = (f"Case {self.id}: {len(unnotified)} organisation(s) of the persons were not "
                   "notified of the filing yet; the investigation concludes after they are.")
            raise OrganisationNotNotifiedError(msg)
        self._investigation_concluded(findings=findings, actor=actor, occurred_at=occurred_at)

    @event("InvestigationConcluded")
    def _investigation_concluded(self, findings: str, actor: Actor,
                                 occurred_at: datetime) -> None:
        self.status = "in_review"

    def conclude_review(self, opinion: str, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "in_review":
            raise self._refuse(InvestigationNotConcludedError,
                               "审理 reviews a case whose investigation concluded")
        self._review_concluded(opinion=opinion, actor=actor, occurred_at=occurred_at)

    @event("ReviewConcluded")
    def _review_concluded(self, opinion: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "reviewed"

    # Outcomes.

    def _person(self, person_id: UUID) -> dict[str, Any]:
        person = self.persons.get(person_id)
        if person is None:
            raise PersonNotInCaseError(f"Person {person_id} is not among case {self.id}'s persons.")
        return person

    def decide_outcome(self, person_id: UUID, kind: str, sanction: str | None, form: str,
                       confiscated: Decimal, note: str, actor: Actor,
                       occurred_at: datetime) -> None:
        self._check_open()
        if self.status != "reviewed":
            raise self._refuse(ReviewRequiredError,
                               "审理 (review) is mandatory before any outcome is decided")
        self._person(person_id)
        if person_id in self.outcomes:
            msg = f"The outcome for person {person_id} in case {self.id} was already decided."
            raise OutcomeAlreadyDecidedError(msg)
        check_outcome(kind, sanction, form, confiscated)
        self._outcome_decided(person_id=person_id, kind=kind, sanction=sanction, form=form,
                              confiscated=confiscated, note=note, actor=actor,
                              occurred_at=occurred_at)

    @event("OutcomeDecided")
    def _outcome_decided(self, person_id: UUID, kind: str, sanction: str | None, form: str,
                         confiscated: Decimal, note: str, actor: Actor,
                         occurred_at: datetime) -> None:
        self.outcomes[person_id] = {"kind": kind, "announced": False, "executed": False}

    def _decided(self, person_id: UUID) -> dict[str, Any]:
        self._person(person_id)
        outcome = self.outcomes.get(person_id)
        if outcome is None:
            msg = f"No outcome is decided yet for person {person_id} in case {self.id}."
            raise OutcomeNotDecidedError(msg)
        return outcome

    def _check_not_yet(self, person_id: UUID, outcome: dict[str, Any], step: str,
                       error: type[CaseStepError]) -> None:
        if outcome[step]:
            msg = f"The outcome for person {person_id} in case {self.id} was already {step}."
            raise error(msg)

    def announce_outcome(self, person_id: UUID, note: str, actor: Actor,
                         occurred_at: datetime) -> None:
        """The decision announced to the person (宣布处分决定)."""
        self._check_open()
        self._check_not_yet(person_id, self._decided(person_id), "announced",
                            OutcomeAlreadyAnnouncedError)
        self._outcome_announced(person_id=person_id, note=note, actor=actor,
                                occurred_at=occurred_at)

    @event("OutcomeAnnounced")
    def _outcome_announced(self, person_id: UUID, note: str, actor: Actor,
                           occurred_at: datetime) -> None:
        self.outcomes[person_id]["announced"] = True

    def execute_outcome(self, person_id: UUID, note: str, actor: Actor,
                        occurred_at: datetime) -> None:
        """The decision carried out (执行): after it was announced, once."""
        self._check_open()
        outcome = self._decided(person_id)
        if not outcome["announced"]:
            msg = (f"The outcome for person {person_id} in case {self.id} is not announced "
                   "yet: a decision is announced to the person before it is executed.")
            raise OutcomeNotAnnouncedError(msg)
        self._check_not_yet(person_id, outcome, "executed", OutcomeAlreadyExecutedError)
        self._outcome_executed(person_id=person_id, note=note, actor=actor,
                               occurred_at=occurred_at)

    @event("OutcomeExecuted")
    def _outcome_executed(self, person_id: UUID, note: str, actor: Actor,
                          occurred_at: datetime) -> None:
        self.outcomes[person_id]["executed"] = True

    def close(self, actor: Actor, occurred_at: datetime) -> None:
        self._check_open()
        if self.status != "reviewed":
            raise self._refuse(ReviewRequiredError, "a case closes after 审理 and its outcomes")
        outstanding = [p for p in self.persons
                       if not self.outcomes.get(p, {}).get("executed", False)]
        if outstanding:
            msg = (f"Case {self.id} cannot close: {len(outstanding)} person(s) have no outcome "
                   "decided and executed yet.")
            raise OutcomesOutstandingError(msg)
        self._closed(actor=actor, occurred_at=occurred_at)

    @event("Closed")
    def _closed(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "closed"

    # 申诉.

    def lodge_appeal(self, person_id: UUID, grounds: str, actor: Actor,
                     occurred_at: datetime) -> None:
        """申诉: lodged by the person, for themself, against an outcome announced to them."""
        self._person(person_id)
        if actor.person_id != person_id:
            msg = (f"An appeal in case {self.id} is lodged by the person the outcome concerns, "
                   "for themself.")
            raise AppellantNotThePersonError(msg)
        if person_id not in self.outcomes:
            msg = f"Person {person_id} has no outcome in case {self.id} to appeal against."
            raise OutcomeNotDecidedError(msg)
        if not self.outcomes[person_id]["announced"]:
            msg = (f"The outcome for person {person_id} in case {self.id} is not announced "
                   "yet: an appeal follows the announcement.")
            raise OutcomeNotAnnouncedError(msg)
        if self.appeals.get(person_id):
            msg = f"An appeal of person {person_id} in case {self.id} is open already."
            raise AppealAlreadyOpenError(msg)
        self._appeal_lodged(person_id=person_id, grounds=grounds, actor=actor,
                            occurred_at=occurred_at)

    @event("AppealLodged")
    def _appeal_lodged(self, person_id: UUID, grounds: str, actor: Actor,
                       occurred_at: datetime) -> None:
        self.appeals[person_id] = True

    def decide_appeal(self, person_id: UUID, upheld: bool, note: str, actor: Actor,
                      occurred_at: datetime) -> None:
        self._person(person_id)
        if not self.appeals.get(person_id):
            msg = f"No appeal of person {person_id} in case {self.id} is open."
            raise NoAppealOpenError(msg)
        self._appeal_decided(person_id=person_id, upheld=upheld, note=note, actor=actor,
                             occurred_at=occurred_at)

    @event("AppealDecided")
    def _appeal_decided(self, person_id: UUID, upheld: bool, note: str, actor: Actor,
                        occurred_at: datetime) -> None:
        self.appeals[person_id] = False

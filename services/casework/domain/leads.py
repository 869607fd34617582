"""Leads (问题线索): registered centrally by the case supervision office whatever their source
(a petition accepted, a supervision notice escalated, a funds referral ...), then disposed of
by collective decision into one of four routes, each with its own steps:

- 谈话函询 (talk or letter inquiry): the reply, countersigned by the principal of the person's
  party organisation, is due within the inquiry limit; it ends cleared, in criticism and
  education, an ordered self-examination, an admonishment (诫勉), or sent on to verification;
- 初步核实 (preliminary verification): approved with a team of at least two; when the person
  is the principal of a lower-level party organisation the district party secretary approves
  too; a time limit with a limited number of extensions; it concludes in a case to file or in
  no case (with the reason);
- 暂存待查 (held): disposed of again later;
- 予以了结 (closed).

A false accusation found (诬告陷害) and a name cleared (澄清正名) are recorded on a lead that
found nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.casework.domain.deadlines import WithDeadlines
from shared.actors import Actor
from shared.contracts.casework import InquiryOutcome, LeadRoute, LeadSource, LeadStatus
from shared.errors import DomainError, NotFoundError

LEAD_SOURCES: tuple[LeadSource, ...] = get_args(LeadSource)
LEAD_ROUTES: tuple[LeadRoute, ...] = get_args(LeadRoute)
LEAD_STATUSES: tuple[LeadStatus, ...] = get_args(LeadStatus)
INQUIRY_OUTCOMES: tuple[InquiryOutcome, ...] = get_args(InquiryOutcome)
MIN_TEAM = 2
# Statuses in which a lead found nothing against the person: a false accusation may be found,
# and the person's name cleared.
FOUND_NOTHING: tuple[LeadStatus, ...] = ("cleared", "no_case", "closed")
# Statuses in which a lead is concluded (nothing more happens to it but the acts above).
CONCLUDED: tuple[LeadStatus, ...] = ("cleared", "handled", "no_case", "closed", "filed")


class LeadNotFoundError(NotFoundError):
    pass


class LeadStepError(DomainError):
    """A step of a lead taken out of turn."""


class LeadNotDisposableError(LeadStepError):
    pass


class DisposalNotProposedError(LeadStepError):
    pass


class ApproverIsProposerError(LeadStepError):
    """A disposal is approved by someone other than who proposed it."""


class NotInInquiryError(LeadStepError):
    pass


class InquiryNotRepliedError(LeadStepError):
    pass


class CountersignatureMissingError(LeadStepError):
    """A 谈话函询 reply is countersigned by the principal of the person's party organisation."""


class NotAwaitingVerificationApprovalError(LeadStepError):
    pass


class VerificationTeamTooSmallError(LeadStepError):
    pass


class SecretaryApprovalNotNeededError(LeadStepError):
    pass


class NotVerifyingError(LeadStepError):
    pass


class ExtensionsExhaustedError(LeadStepError):
    pass


class NotToBeFiledError(LeadStepError):
    pass


class NothingFoundRequiredError(LeadStepError):
    """False accusation and clearing a name follow only a lead that found nothing."""


class NameAlreadyClearedError(LeadStepError):
    pass


class InvalidLeadError(DomainError):
    pass


def _words(status: str) -> str:
    return status.replace("_", " ")


class Lead(WithDeadlines):
    noun: ClassVar[str] = "lead"
    NotFound: ClassVar[type[NotFoundError]] = LeadNotFoundError

    @event("Registered")
    def __init__(
        self, id: UUID, source: str, source_id: UUID | None, source_event_id: str | None,
        reported_unit_id: UUID | None, reported_person_id: UUID | None,
        reported_cadre_id: UUID | None, summary: str, actor: Actor, occurred_at: datetime,
    ) -> None:
        self.source = source
        self.source_id = source_id
        self.reported_unit_id = reported_unit_id
        self.reported_person_id = reported_person_id
        self.reported_cadre_id = reported_cadre_id
        self.status: LeadStatus = "registered"
        self.route: str | None = None
        self.team: list[UUID] = []
        self.extensions = 0
        self.case_id: UUID | None = None
        self.false_accusations: list[UUID] = []
        self.name_cleared = False
        self.proposal: dict[str, Any] = {}
        self.deadlines: dict[str, dict[str, Any]] = {}

    @staticmethod
    def check_source(source: str) -> None:
        if source not in LEAD_SOURCES:
            msg = f"A lead comes from {', '.join(LEAD_SOURCES)}, not {source!r}."
            raise InvalidLeadError(msg)

    @property
    def concluded(self) -> bool:
        return self.status in CONCLUDED

    def _refuse(self, error: type[LeadStepError], wanted: str) -> LeadStepError:
        return error(f"Lead {self.id} is {_words(self.status)}: {wanted}.")

    # Disposal: proposed by collective decision, then approved by someone else.

    def propose_disposal(self, route: str, collective_decision: str, actor: Actor,
                         occurred_at: datetime) -> None:
        if self.status not in ("registered", "held"):
            raise self._refuse(
                LeadNotDisposableError,
                "a disposal is proposed once a lead is registered, or again once it was held",
            )
        if route not in LEAD_ROUTES:
            msg = f"A lead is disposed of by {', '.join(LEAD_ROUTES)}, not {route!r}."
            raise InvalidLeadError(msg)
        self._disposal_proposed(route=route, collective_decision=collective_decision,
                                actor=actor, occurred_at=occurred_at)

    @event("DisposalProposed")
    def _disposal_proposed(self, route: str, collective_decision: str, actor: Actor,
                           occurred_at: datetime) -> None:
        self.proposal = {"route": route, "collective_decision": collective_decision,
                         "proposed_by": actor.person_id, "held_before": self.status == "held"}
        self.status = "disposal_proposed"

    def approve_disposal(self, inquiry_due: date, actor: Actor, occurred_at: datetime) -> None:
        """The disposal takes effect on its approval, by someone other than its proposer."""
        if self.status != "disposal_proposed":
            raise self._refuse(DisposalNotProposedError,
                               "a disposal is approved once it was proposed")
        if actor.person_id == self.proposal["proposed_by"]:
            msg = (f"The disposal of lead {self.id} was proposed by the same person who now "
                   "approves it: another person approves a disposal.")
            raise ApproverIsProposerError(msg)
        route = self.proposal["route"]
        self._disposed(route=route, collective_decision=self.proposal["collective_decision"],
                       inquiry_due=inquiry_due if route == "talk_or_letter_inquiry" else None,
                       actor=actor, occurred_at=occurred_at)

    @event("Disposed")
    def _disposed(self, route: str, collective_decision: str, inquiry_due: date | None,
                  actor: Actor, occurred_at: datetime) -> None:
        self.route = route
        self.status = {
            "talk_or_letter_inquiry": "inquiry", "preliminary_verification":
            "verification_proposed", "held": "held", "closed": "closed",
        }[route]  # type: ignore[assignment]
        if inquiry_due is not None:
            self._start_deadline("inquiry_reply", inquiry_due)

    def return_disposal(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        """The approver sends a proposal back: the lead is to be disposed of again."""
        if self.status != "disposal_proposed":
            raise self._refuse(DisposalNotProposedError,
                               "a disposal is sent back once it was proposed")
        self._disposal_returned(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("DisposalReturned")
    def _disposal_returned(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "held" if self.proposal.get("held_before") else "registered"

    # 谈话函询.

    def reply_to_inquiry(self, reply: str, countersigned_by: UUID | None, actor: Actor,
                         occurred_at: datetime) -> None:
        if self.status != "inquiry":
            raise self._refuse(NotInInquiryError, "a reply is taken while a 谈话函询 is open")
        if countersigned_by is None:
            msg = ("A 谈话函询 reply is countersigned by the principal of the person's party "
                   "organisation: name who countersigned it.")
            raise CountersignatureMissingError(msg)
        self._inquiry_replied(reply=reply, countersigned_by=countersigned_by, actor=actor,
                              occurred_at=occurred_at)

    @event("InquiryReplied")
    def _inquiry_replied(self, reply: str, countersigned_by: UUID, actor: Actor,
                         occurred_at: datetime) -> None:
        self.status = "inquiry_replied"
        self._meet_deadline("inquiry_reply")

    def conclude_inquiry(self, outcome: str, note: str, actor: Actor,
                         occurred_at: datetime) -> None:
        if self.status != "inquiry_replied":
            raise self._refuse(InquiryNotRepliedError,
                               "a 谈话函询 concludes after the reply was received")
        if outcome not in INQUIRY_OUTCOMES:
            msg = f"A 谈话函询 ends {', '.join(INQUIRY_OUTCOMES)}, not {outcome!r}."
            raise InvalidLeadError(msg)
        self._inquiry_concluded(outcome=outcome, note=note, actor=actor, occurred_at=occurred_at)

    @event("InquiryConcluded")
    def _inquiry_concluded(self, outcome: str, note: str, actor: Actor,
                           occurred_at: datetime) -> None:
        self.status = {"cleared": "cleared", "to_verification": "verification_proposed"}.get(
            outcome, "handled")  # type: ignore[assignment]

    # 初步核实.

    def approve_verification(self, team: list[UUID], needs_secretary: bool,
                             due: date, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "verification_proposed":
            raise self._refuse(NotAwaitingVerificationApprovalError,
                               "a preliminary verification is approved once it is proposed")
        if len(set(team)) < MIN_TEAM:
            msg = (f"A preliminary verification team has at least {MIN_TEAM} people, not "
                   f"{len(set(team))}.")
            raise VerificationTeamTooSmallError(msg)
        self._verification_approved(team=list(dict.fromkeys(team)),
                                    needs_secretary=needs_secretary, due=due, actor=actor,
                                    occurred_at=occurred_at)

    @event("VerificationApproved")
    def _verification_approved(self, team: list[UUID], needs_secretary: bool, due: date,
                               actor: Actor, occurred_at: datetime) -> None:
        self.team = list(team)
        if needs_secretary:
            self.status = "awaiting_secretary"
        else:
            self.status = "verifying"
            self._start_deadline("verification", due)

    def approve_as_secretary(self, due: date, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "awaiting_secretary":
            if self.status == "verifying":
                msg = (f"Lead {self.id} needs no approval of the district party secretary: "
                       "the person is not the principal of a lower-level party organisation, "
                       "or it was given already.")
                raise SecretaryApprovalNotNeededError(msg)
            raise self._refuse(NotAwaitingVerificationApprovalError,
                               "the party secretary approves after the commission did")
        self._secretary_approved(due=due, actor=actor, occurred_at=occurred_at)

    @event("VerificationApprovedBySecretary")
    def _secretary_approved(self, due: date, actor: Actor, occurred_at: datetime) -> None:
        self.status = "verifying"
        self._start_deadline("verification", due)

    def extend_verification(self, new_due: date, reason: str, allowed: int, actor: Actor,
                            occurred_at: datetime) -> None:
        if self.status != "verifying":
            raise self._refuse(NotVerifyingError, "only a running verification is extended")
        if self.extensions >= allowed:
            msg = (f"The verification of lead {self.id} was extended {self.extensions} "
                   f"time(s); at most {allowed} extension(s) are allowed.")
            raise ExtensionsExhaustedError(msg)
        current = self.deadlines["verification"]["due"]
        if new_due <= current:
            msg = f"An extension moves the limit {current:%Y-%m-%d} later, not to {new_due}."
            raise InvalidLeadError(msg)
        self._verification_extended(new_due=new_due, reason=reason, actor=actor,
                                    occurred_at=occurred_at)

    @event("VerificationExtended")
    def _verification_extended(self, new_due: date, reason: str, actor: Actor,
                               occurred_at: datetime) -> None:
        self.extensions += 1
        self._start_deadline("verification", new_due)

    def conclude_verification(self, file_case: bool, reason: str, actor: Actor,
                              occurred_at: datetime) -> None:
        if self.status != "verifying":
            raise self._refuse(NotVerifyingError,
                               "a verification concludes while it runs, once approved")
        self._verification_concluded(file_case=file_case, reason=reason, actor=actor,
                                     occurred_at=occurred_at)

    @event("VerificationConcluded")
    def _verification_concluded(self, file_case: bool, reason: str, actor: Actor,
                                occurred_at: datetime) -> None:
        self.status = "to_be_filed" if file_case else "no_case"
        self._meet_deadline("verification")

    def open_case(self, case_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        if self.status != "to_be_filed":
            raise self._refuse(NotToBeFiledError,
                               "a case is proposed after a verification concluded to file one")
        self._case_opened(case_id=case_id, actor=actor, occurred_at=occurred_at)

    @event("CaseOpened")
    def _case_opened(self, case_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.case_id = case_id
        self.status = "filed"

    # After a lead that found nothing.

    def find_false_accusation(self, petition_id: UUID, note: str, actor: Actor,
                              occurred_at: datetime) -> None:
        if self.status not in FOUND_NOTHING:
            raise self._refuse(NothingFoundRequiredError,
                               "a false accusation is found only on a lead that found nothing")
        self._false_accusation_found(petition_id=petition_id, note=note, actor=actor,
                                     occurred_at=occurred_at)

    @event("FalseAccusationFound")
    def _false_accusation_found(self, petition_id: UUID, note: str, actor: Actor,
                                occurred_at: datetime) -> None:
        self.false_accusations.append(petition_id)

    def clear_name(self, how: str, actor: Actor, occurred_at: datetime) -> None:
        if self.status not in FOUND_NOTHING:
            raise self._refuse(NothingFoundRequiredError,
                               "a name is cleared only after a lead that found nothing")
        if self.name_cleared:
            msg = f"The name of the person in lead {self.id} was already cleared."
            raise NameAlreadyClearedError(msg)
        self._name_cleared(how=how, actor=actor, occurred_at=occurred_at)

    @event("NameCleared")
    def _name_cleared(self, how: str, actor: Actor, occurred_at: datetime) -> None:
        self.name_cleared = True

    @event("DeadlineWarned")
    def _deadline_warned(self, deadline: str, due: date, actor: Actor,
                         occurred_at: datetime) -> None:
        self._mark(deadline, "warned")

    @event("DeadlineOverdue")
    def _deadline_overdue(self, deadline: str, due: date, actor: Actor,
                          occurred_at: datetime) -> None:
        self._mark(deadline, "overdue")

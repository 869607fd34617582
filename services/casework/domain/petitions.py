"""Petitions and tip-offs (信访举报): received by channel, anonymous or under a real name
(the reporter a random id, the identity sealed elsewhere); accepted, not accepted (with the
reason) or passed on to another body within the handling limit; a repeat of a matter already
received is registered but not counted again. A real-name reporter is told of acceptance, and
of the result once the matter is concluded, each within its limit.

A matter another service passes on (supervision's escalated notice, a funds referral) arrives
as a petition of channel ``transferred``: it names the service, the record and the event it
came from, and no reporter (casework holds none for it), and is accepted or not like any
other."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.casework.domain.deadlines import WithDeadlines
from shared.actors import Actor
from shared.contracts.casework import Channel, PetitionStatus
from shared.errors import DomainError, NotFoundError

CHANNELS: tuple[Channel, ...] = get_args(Channel)
PETITION_STATUSES: tuple[PetitionStatus, ...] = get_args(PetitionStatus)


class PetitionNotFoundError(NotFoundError):
    pass


class PetitionStepError(DomainError):
    """A step of a petition taken out of turn."""


class PetitionAlreadyHandledError(PetitionStepError):
    pass


class PetitionNotAcceptedError(PetitionStepError):
    pass


class AnonymousPetitionError(PetitionStepError):
    """An anonymous petition has no one to tell."""


class ReporterAlreadyToldError(PetitionStepError):
    pass


class MatterNotConcludedError(PetitionStepError):
    pass


class InvalidPetitionError(DomainError):
    pass


class Petition(WithDeadlines):
    noun: ClassVar[str] = "petition"
    NotFound: ClassVar[type[NotFoundError]] = PetitionNotFoundError

    @event("Received")
    def __init__(
        self, id: UUID, channel: str, anonymous: bool, reporter_id: UUID | None,
        reported_unit_id: UUID | None, reported_person_id: UUID | None, summary: str,
        repeat_of: UUID | None, source_event_id: str | None, handling_due: date,
        acceptance_notice_due: date | None, actor: Actor, occurred_at: datetime,
        transferred_from: str | None = None, source_id: UUID | None = None,
        reported_cadre_id: UUID | None = None,
    ) -> None:
        self.channel = channel
        self.transferred_from = transferred_from
        self.source_id = source_id
        self.source_event_id = source_event_id
        self.reported_cadre_id = reported_cadre_id
        self.anonymous = anonymous
        self.reporter_id = reporter_id
        self.reported_unit_id = reported_unit_id
        self.reported_person_id = reported_person_id
        self.repeat_of = repeat_of
        self.status: PetitionStatus = "received"
        self.lead_id: UUID | None = None
        self.told_acceptance = False
        self.told_result = False
        self.concluded = False
        self.deadlines: dict[str, dict[str, Any]] = {}
        self._start_deadline("handling", handling_due)
        if acceptance_notice_due is not None:
            self._start_deadline("acceptance_notice", acceptance_notice_due)

    @staticmethod
    def check_receivable(channel: str, anonymous: bool, has_identity: bool) -> None:
        if channel not in CHANNELS:
            msg = f"A petition comes by {', '.join(CHANNELS)}, not {channel!r}."
            raise InvalidPetitionError(msg)
        if anonymous and has_identity:
            msg = "An anonymous petition carries no reporter's name or contact."
            raise InvalidPetitionError(msg)
        if not anonymous and not has_identity:
            msg = "A real-name petition gives the reporter's name and contact."
            raise InvalidPetitionError(msg)

    def _check_received(self) -> None:
        if self.status != "received":
            msg = (f"Petition {self.id} was already handled ({self.status.replace('_', ' ')}); "
                   "it is accepted, not accepted or passed on once.")
            raise PetitionAlreadyHandledError(msg)

    def accept(self, lead_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self._check_received()
        self._accepted(lead_id=lead_id, actor=actor, occurred_at=occurred_at)

    @event("Accepted")
    def _accepted(self, lead_id: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.status = "accepted"
        self.lead_id = lead_id
        self._meet_deadline("handling")

    def refuse(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_received()
        self._not_accepted(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("NotAccepted")
    def _not_accepted(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "not_accepted"
        self._meet_deadline("handling")

    def pass_on(self, to_body: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_received()
        self._passed_on(to_body=to_body, actor=actor, occurred_at=occurred_at)

    @event("PassedOn")
    def _passed_on(self, to_body: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "passed_on"
        self._meet_deadline("handling")

    def tell_acceptance(self, actor: Actor, occurred_at: datetime) -> None:
        if self.anonymous:
            msg = f"Petition {self.id} is anonymous: there is no reporter to tell."
            raise AnonymousPetitionError(msg)
        if self.status == "received":
            msg = (f"Petition {self.id} is not handled yet: the reporter is told once it is "
                   "accepted, not accepted or passed on.")
            raise PetitionNotAcceptedError(msg)
        if self.told_acceptance:
            msg = f"The reporter of petition {self.id} was already told of its acceptance."
            raise ReporterAlreadyToldError(msg)
        self._told_acceptance(actor=actor, occurred_at=occurred_at)

    @event("ReporterToldOfAcceptance")
    def _told_acceptance(self, actor: Actor, occurred_at: datetime) -> None:
        self.told_acceptance = True
        self._meet_deadline("acceptance_notice")

    def conclude(self, result_notice_due: date | None, actor: Actor,
                 occurred_at: datetime) -> bool:
        """The matter this petition raised was concluded; whether anything was recorded."""
        if self.concluded or self.status != "accepted":
            return False
        self._matter_concluded(result_notice_due=result_notice_due, actor=actor,
                               occurred_at=occurred_at)
        return True

    @event("MatterConcluded")
    def _matter_concluded(self, result_notice_due: date | None, actor: Actor,
                          occurred_at: datetime) -> None:
        self.concluded = True
        if result_notice_due is not None:
            self._start_deadline("result_notice", result_notice_due)

    def tell_result(self, actor: Actor, occurred_at: datetime) -> None:
        if self.anonymous:
            msg = f"Petition {self.id} is anonymous: there is no reporter to tell."
            raise AnonymousPetitionError(msg)
        if not self.concluded:
            msg = (f"The matter of petition {self.id} is not concluded yet: the reporter is "
                   "told of the result after it closes.")
            raise MatterNotConcludedError(msg)
        if self.told_result:
            msg = f"The reporter of petition {self.id} was already told of the result."
            raise ReporterAlreadyToldError(msg)
        self._told_result(actor=actor, occurred_at=occurred_at)

    @event("ReporterToldOfResult")
    def _told_result(self, actor: Actor, occurred_at: datetime) -> None:
        self.told_result = True
        self._meet_deadline("result_notice")

    @event("DeadlineWarned")
    def _deadline_warned(self, deadline: str, due: date, actor: Actor,
                         occurred_at: datetime) -> None:
        self._mark(deadline, "warned")

    @event("DeadlineOverdue")
    def _deadline_overdue(self, deadline: str, due: date, actor: Actor,
                          occurred_at: datetime) -> None:
        self._mark(deadline, "overdue")

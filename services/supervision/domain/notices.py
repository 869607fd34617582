"""Rectification notices (责令整改通知书): to whom they go, their lifecycle, and how urgent one
is on a given day (the one rule the clock, the queries and the gauges all ask)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.calendar import days_left, deadline_passed
from shared.actors import Actor
from shared.contracts.responsibility import UnitKind
from shared.contracts.supervision import (
    EscalationRoute,
    NoticeStatus,
    RecipientKind,
    UrgencyColour,
)
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError, NotPermittedError

NOTICE_STATUSES: tuple[NoticeStatus, ...] = get_args(NoticeStatus)
RECIPIENT_KINDS: tuple[RecipientKind, ...] = get_args(RecipientKind)
# In rising order of urgency.
URGENCY_COLOURS: tuple[UrgencyColour, ...] = get_args(UrgencyColour)
ESCALATION_ROUTES: tuple[EscalationRoute, ...] = get_args(EscalationRoute)
# Statuses in which the recipient still owes a rectification report: the deadline runs.
AWAITING_RECTIFICATION: tuple[NoticeStatus, ...] = ("issued", "acknowledged", "sent_back")
# The units a notice may go to (or to one of their cadres), not the party committee, and the
# kind of recipient each is counted as: 区直单位, 镇街 (towns and subdistricts), 社区.
UNIT_RECIPIENT_KINDS: dict[UnitKind, RecipientKind] = {
    "district_department": "district_department",
    "town": "town_or_subdistrict",
    "subdistrict": "town_or_subdistrict",
    "community": "community",
}
RECIPIENT_UNIT_KINDS: tuple[UnitKind, ...] = tuple(UNIT_RECIPIENT_KINDS)
# The kind notices to a district department, town or subdistrict were recorded with before
# they were counted apart; never recorded again (docs/contract.md).
FORMER_UNIT_RECIPIENT: RecipientKind = "unit"
# The kinds of recipient counted apart, in the seed's order (区直单位、镇街、社区、干部).
COUNTED_RECIPIENT_KINDS: tuple[RecipientKind, ...] = (
    "district_department", "town_or_subdistrict", "community", "cadre",
)


class NoticeNotFoundError(NotFoundError):
    pass


class InvalidRecipientError(DomainError):
    pass


class InvalidNoticeError(DomainError):
    pass


class NoticeStepError(DomainError):
    """A step of a rectification notice's lifecycle taken out of turn."""


class NoticeNotAcknowledgedError(NoticeStepError):
    pass


class NoticeAlreadyAcknowledgedError(NoticeStepError):
    pass


class NoticeNotReportedError(NoticeStepError):
    pass


class NoticeNotVerifiedError(NoticeStepError):
    pass


class NoticeAlreadyClosedError(NoticeStepError):
    pass


class NoticeAlreadyEscalatedError(NoticeStepError):
    pass


class SelfExaminationMissingError(NoticeStepError):
    pass


class ProblemNotOfRecipientError(InvalidNoticeError):
    """A cited problem concerns neither the recipient unit nor the recipient cadre."""


class NotTheRecipientError(NotPermittedError):
    """A step only the notice's recipient takes (a cadre for themself) taken by another."""


class ExtensionError(NoticeStepError):
    """An extension request (延期申请) out of turn, or a new deadline that extends nothing."""


class InvalidEscalationRouteError(DomainError):
    pass


# Urgency.


@dataclass(frozen=True)
class WarningDays:
    """Days left at which a notice turns blue, then yellow (DUTYTRAIL_NOTICE_WARNING_DAYS)."""

    blue: int = 7
    yellow: int = 3

    def __post_init__(self) -> None:
        if not self.blue > self.yellow >= 0:
            msg = f"notice warning days must be blue > yellow >= 0, not {self.blue},{self.yellow}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Urgency:
    """How urgent a notice is on a day."""

    colour: UrgencyColour
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.colour == "red"

    @property
    def rank(self) -> int:
        return URGENCY_COLOURS.index(self.colour)

    def rises_above(self, colour: UrgencyColour) -> bool:
        """Whether this urgency is more urgent than the colour recorded so far (colours only
        rise: the clock records each colour once, and overdue once)."""
        return self.rank > URGENCY_COLOURS.index(colour)


def urgency(
    deadline: date, as_of: date, warning: WarningDays, status: NoticeStatus = "issued"
) -> Urgency:
    """A notice's urgency on ``as_of``: while a rectification report is owed, green with time
    enough, blue then yellow as the deadline nears, red (overdue) once it has passed; green
    while a report awaits verification."""
    left = days_left(deadline, as_of)
    colour: UrgencyColour
    if status not in AWAITING_RECTIFICATION:
        colour = "green"
    elif deadline_passed(deadline, as_of):
        colour = "red"
    elif left <= warning.yellow:
        colour = "yellow"
    elif left <= warning.blue:
        colour = "blue"
    else:
        colour = "green"
    return Urgency(colour, left)


# Recipients.


def recipient_kind_for(unit_name: str, unit_kind: str, cadre_id: UUID | None) -> RecipientKind:
    if unit_kind not in RECIPIENT_UNIT_KINDS:
        msg = (
            f"{unit_name} is a {unit_kind.replace('_', ' ')}; rectification notices go to "
            "district departments, towns, subdistricts, communities or their cadres."
        )
        raise InvalidRecipientError(msg)
    if cadre_id is not None:
        return "cadre"
    return UNIT_RECIPIENT_KINDS[unit_kind]


def counted_recipient_kind(recipient_kind: str, unit_kind: str | None) -> RecipientKind:
    """The kind a notice's recipient is counted as: the recorded kind, except that a notice
    recorded with the former kind "unit" is counted by its recipient unit's kind (a unit
    supervision no longer knows stays a district department, as it was counted then)."""
    if recipient_kind != FORMER_UNIT_RECIPIENT:
        return recipient_kind  # type: ignore[return-value]
    if unit_kind in UNIT_RECIPIENT_KINDS and unit_kind != "community":
        return UNIT_RECIPIENT_KINDS[unit_kind]
    return "district_department"


def check_problems_concern_recipient(
    problems: list[dict[str, Any]],
    recipient_unit_id: UUID,
    recipient_cadre_id: UUID | None,
    cadre_units: dict[UUID, UUID],
) -> None:
    """Every cited problem concerns the recipient: the recipient unit (for a cadre, the
    cadre's unit), or the recipient cadre; a problem naming only a cadre concerns that
    cadre's unit. ``cadre_units`` maps the cadres supervision knows to their units."""
    for p in problems:
        unit_id, cadre_id = p.get("unit_id"), p.get("cadre_id")
        if recipient_cadre_id is not None and cadre_id == recipient_cadre_id:
            continue
        if unit_id is None and cadre_id is not None:
            unit_id = cadre_units.get(cadre_id)
        if unit_id == recipient_unit_id:
            continue
        whom = f"cadre {recipient_cadre_id} of unit {recipient_unit_id}" if recipient_cadre_id \
            else f"unit {recipient_unit_id}"
        msg = (
            f"Problem {p.get('problem_id')} concerns "
            + (f"unit {unit_id}" if unit_id is not None else f"cadre {cadre_id}")
            + f", not the notice's recipient ({whom}): a notice cites only the recipient's "
            "own problems."
        )
        raise ProblemNotOfRecipientError(msg)


def check_escalation_route(route: str) -> None:
    if route not in ESCALATION_ROUTES:
        msg = f"An escalation goes to {' or '.join(ESCALATION_ROUTES)}, not {route!r}."
        raise InvalidEscalationRouteError(msg)


def recipient_id(recipient_kind: str, unit_id: UUID, cadre_id: UUID | None) -> UUID:
    """Who the notice went to: the cadre for a notice to a cadre, otherwise the unit."""
    return cadre_id if recipient_kind == "cadre" and cadre_id is not None else unit_id


class RectificationNotice(DomainAggregate):
    """A rectification notice (责令整改通知书) to a district department, a town or
    subdistrict, a community, or a cadre.

    issued → acknowledged → rectification reported → verified (→ closed) or sent back (→
    reported again). The deadline runs while a rectification report is owed; check_deadlines
    raises its urgency colour and records it overdue, once.
    """

    noun: ClassVar[str] = "rectification notice"
    NotFound: ClassVar[type[NotFoundError]] = NoticeNotFoundError

    @event("Issued")
    def __init__(
        self,
        id: UUID,
        recipient_kind: str,
        recipient_unit_id: UUID,
        recipient_cadre_id: UUID | None,
        problems: list[dict[str, Any]],
        deadline: date,
        self_examination_required: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.recipient_kind = recipient_kind
        self.recipient_unit_id = recipient_unit_id
        self.recipient_cadre_id = recipient_cadre_id
        self.problems = [dict(p) for p in problems]
        self.deadline = deadline
        self.self_examination_required = self_examination_required
        self.issuer_unit_id: UUID = actor.unit_id
        self.issued_at = occurred_at
        self.status: NoticeStatus = "issued"
        self.colour: UrgencyColour = "green"  # the urgency last recorded by the clock
        self.escalated = False
        self.extension_requested: date | None = None  # a request awaiting the commission
        self.plan: str | None = None

    @staticmethod
    def check_issuable(
        problems: list[dict[str, Any]], deadline: date, occurred_at: datetime
    ) -> None:
        if not problems:
            msg = "A rectification notice cites at least one problem found."
            raise InvalidNoticeError(msg)
        if deadline < occurred_at.date():
            msg = (
                f"The rectification deadline {deadline:%Y-%m-%d} is before the notice's date "
                f"{occurred_at:%Y-%m-%d}."
            )
            raise InvalidNoticeError(msg)

    @property
    def awaiting_rectification(self) -> bool:
        return self.status in AWAITING_RECTIFICATION

    @property
    def overdue_recorded(self) -> bool:
        return self.colour == "red"

    def urgency_on(self, day: date, warning: WarningDays) -> Urgency:
        return urgency(self.deadline, day, warning, self.status)

    def _status_words(self) -> str:
        return self.status.replace("_", " ")

    def check_open(self) -> None:
        if self.status == "closed":
            msg = f"Rectification notice {self.id} is closed; nothing more can be recorded on it."
            raise NoticeAlreadyClosedError(msg)

    def acknowledge(self, actor: Actor, occurred_at: datetime) -> None:
        self.check_open()
        if self.status != "issued":
            msg = f"Rectification notice {self.id} was already acknowledged."
            raise NoticeAlreadyAcknowledgedError(msg)
        self._acknowledged(actor=actor, occurred_at=occurred_at)

    @event("Acknowledged")
    def _acknowledged(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "acknowledged"

    def report_rectification(
        self, report: str, self_examination: str | None, actor: Actor, occurred_at: datetime
    ) -> None:
        self.check_open()
        if self.status == "issued":
            msg = (
                f"Rectification notice {self.id} has not been acknowledged yet: acknowledge "
                "receipt of the notice before reporting the rectification."
            )
            raise NoticeNotAcknowledgedError(msg)
        if not self.awaiting_rectification:
            msg = (
                f"Rectification notice {self.id} is already {self._status_words()}; a new "
                "report is only taken after the report was sent back."
            )
            raise NoticeStepError(msg)
        if self.self_examination_required and not (self_examination or "").strip():
            msg = (
                f"Rectification notice {self.id} requires a written self-examination (书面检查); "
                "attach it to the rectification report."
            )
            raise SelfExaminationMissingError(msg)
        self._rectification_reported(
            report=report, self_examination=self_examination or None,
            on_time=not deadline_passed(self.deadline, occurred_at.date()), actor=actor,
            occurred_at=occurred_at,
        )

    @event("RectificationReported")
    def _rectification_reported(
        self,
        report: str,
        self_examination: str | None,
        on_time: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.status = "rectification_reported"

    # The rectification plan (整改方案) and the extension request (延期申请).

    def _check_awaiting(self, doing: str) -> None:
        self.check_open()
        if self.status == "issued":
            msg = (
                f"Rectification notice {self.id} has not been acknowledged yet: acknowledge "
                f"receipt of the notice before {doing}."
            )
            raise NoticeNotAcknowledgedError(msg)
        if not self.awaiting_rectification:
            msg = (
                f"Rectification notice {self.id} is {self._status_words()}: {doing} is for a "
                "notice whose rectification is still owed."
            )
            raise NoticeStepError(msg)

    def submit_plan(self, plan: str, actor: Actor, occurred_at: datetime) -> None:
        """The recipient's plan: what it will rectify, and how, by the deadline. A later plan
        (after a report was sent back, say) revises it."""
        self._check_awaiting("submitting a rectification plan")
        self._plan_submitted(plan=plan, deadline=self.deadline, actor=actor,
                             occurred_at=occurred_at)

    @event("PlanSubmitted")
    def _plan_submitted(
        self, plan: str, deadline: date, actor: Actor, occurred_at: datetime
    ) -> None:
        self.plan = plan

    def request_extension(
        self, requested_deadline: date, reason: str, actor: Actor, occurred_at: datetime
    ) -> None:
        """延期申请: before the deadline passes, for a later deadline, one at a time."""
        self._check_awaiting("requesting an extension")
        if deadline_passed(self.deadline, occurred_at.date()):
            msg = (
                f"Rectification notice {self.id}'s deadline {self.deadline:%Y-%m-%d} has "
                "passed: an extension is requested before the deadline."
            )
            raise ExtensionError(msg)
        if requested_deadline <= self.deadline:
            msg = (
                f"The extension asks for {requested_deadline:%Y-%m-%d}, which is not after the "
                f"deadline {self.deadline:%Y-%m-%d}."
            )
            raise ExtensionError(msg)
        if self.extension_requested is not None:
            msg = (
                f"Rectification notice {self.id} has an extension request awaiting the "
                "commission's decision."
            )
            raise ExtensionError(msg)
        self._extension_requested(
            deadline=self.deadline, requested_deadline=requested_deadline, reason=reason,
            actor=actor, occurred_at=occurred_at,
        )

    @event("ExtensionRequested")
    def _extension_requested(
        self, deadline: date, requested_deadline: date, reason: str, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.extension_requested = requested_deadline

    def _check_extension_pending(self) -> date:
        self.check_open()
        if self.extension_requested is None:
            msg = f"Rectification notice {self.id} has no extension request awaiting a decision."
            raise ExtensionError(msg)
        return self.extension_requested

    def approve_extension(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        """The commission approves: the requested deadline is the deadline from now on, and
        the clock judges the notice's urgency afresh (from green)."""
        new_deadline = self._check_extension_pending()
        self._extension_approved(
            previous_deadline=self.deadline, new_deadline=new_deadline, note=note, actor=actor,
            occurred_at=occurred_at,
        )

    @event("ExtensionApproved")
    def _extension_approved(
        self, previous_deadline: date, new_deadline: date, note: str, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.deadline = new_deadline
        self.extension_requested = None
        self.colour = "green"

    def refuse_extension(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_extension_pending()
        self._extension_refused(deadline=self.deadline, reason=reason, actor=actor,
                                occurred_at=occurred_at)

    @event("ExtensionRefused")
    def _extension_refused(
        self, deadline: date, reason: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.extension_requested = None

    def _check_reported(self, doing: str) -> None:
        self.check_open()
        if self.status != "rectification_reported":
            msg = (
                f"Rectification notice {self.id} cannot be {doing}: no rectification report "
                f"is waiting (the notice is {self._status_words()})."
            )
            raise NoticeNotReportedError(msg)

    def verify(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_reported("verified")
        self._verified(note=note, actor=actor, occurred_at=occurred_at)

    @event("RectificationVerified")
    def _verified(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "verified"

    def send_back(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self._check_reported("sent back")
        self._sent_back(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("RectificationSentBack")
    def _sent_back(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "sent_back"

    def close(self, actor: Actor, occurred_at: datetime) -> None:
        self.check_open()
        if self.status != "verified":
            msg = (
                f"Rectification notice {self.id} cannot be closed before its rectification "
                f"has been verified (the notice is {self._status_words()})."
            )
            raise NoticeNotVerifiedError(msg)
        self._closed(actor=actor, occurred_at=occurred_at)

    @event("Closed")
    def _closed(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "closed"

    def escalate(
        self, reason: str, actor: Actor, occurred_at: datetime,
        route: EscalationRoute = "case_lead",
    ) -> None:
        """Escalate the notice: to accountability (问责) or to casework as a lead (问题线索)."""
        check_escalation_route(route)
        self.check_open()
        if self.escalated:
            msg = f"Rectification notice {self.id} was already escalated to casework."
            raise NoticeAlreadyEscalatedError(msg)
        self._escalated(
            recipient_kind=self.recipient_kind, recipient_unit_id=self.recipient_unit_id,
            recipient_cadre_id=self.recipient_cadre_id,
            problems=[dict(p) for p in self.problems], deadline=self.deadline,
            status=self.status, reason=reason, route=route, actor=actor,
            occurred_at=occurred_at,
        )

    @event("EscalatedToCasework")
    def _escalated(
        self,
        recipient_kind: str,
        recipient_unit_id: UUID,
        recipient_cadre_id: UUID | None,
        problems: list[dict[str, Any]],
        deadline: date,
        status: str,
        reason: str,
        actor: Actor,
        occurred_at: datetime,
        route: str = "case_lead",  # absent from events stored before routes were named
    ) -> None:
        self.escalated = True

    def record_deadline_events_due(
        self, as_of: datetime, warning: WarningDays, actor: Actor
    ) -> bool:
        """Raise the urgency colour, or record the notice overdue, as due by ``as_of``.

        The colour only rises, and only to the most urgent level reached: a clock that first
        looks with 2 days left goes straight to yellow. Overdue is recorded exactly once.
        """
        now = self.urgency_on(as_of.date(), warning)
        if not now.rises_above(self.colour):
            return False
        if now.overdue:
            self._overdue(
                deadline=self.deadline, previous_colour=self.colour, actor=actor,
                occurred_at=as_of,
            )
        else:
            self._urgency_raised(
                deadline=self.deadline, days_left=now.days_left, previous_colour=self.colour,
                colour=now.colour, actor=actor, occurred_at=as_of,
            )
        return True

    @event("UrgencyRaised")
    def _urgency_raised(
        self,
        deadline: date,
        days_left: int,
        previous_colour: str,
        colour: UrgencyColour,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.colour = colour

    @event("Overdue")
    def _overdue(
        self, deadline: date, previous_colour: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.colour = "red"

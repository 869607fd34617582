"""The party committee's primary responsibility: the organisation and responsibility letters.

Units, cadres and letters are event-sourced aggregates. Every event records who acted
(``actor``) and the business time of the act (``occurred_at``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import ConflictError, DomainError, NotFoundError, NotPermittedError

ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:responsibility")

TASK_COLOURS = ("green", "blue", "yellow", "red")
EDUCATION_KINDS = ("study_session", "phone_class", "party_lecture", "warning_education_visit")

UNIT_KINDS = (
    "party_committee",
    "district_department",
    "town",
    "subdistrict",
    "community",
    "office",
)


class UnitAlreadyRegisteredError(ConflictError):
    pass


class CadreAlreadyRegisteredError(ConflictError):
    pass


class UnitNotFoundError(NotFoundError):
    pass


class CadreNotFoundError(NotFoundError):
    pass


class LetterNotFoundError(NotFoundError):
    pass


class LetterAlreadySignedError(DomainError):
    """A signed letter is never edited; supersede it with a new letter instead."""


class LetterNotSignableError(DomainError):
    pass


class LetterNotSignedError(DomainError):
    pass


class LetterAlreadySupersededError(DomainError):
    pass


class WrongSignatoryError(NotPermittedError):
    pass


class TaskNotFoundError(NotFoundError):
    pass


class TaskDeadlineAfterParentError(DomainError):
    pass


class TaskAlreadyCompletedError(DomainError):
    pass


class TaskHasOpenSubtasksError(DomainError):
    pass


class Unit(Aggregate):
    """A district department, town, subdistrict, community or the party committee itself."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(ID_NAMESPACE, f"unit:{code}")

    @event("Registered")
    def __init__(
        self,
        code: str,
        name: str,
        kind: str,
        parent_unit_id: UUID | None,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.parent_unit_id = parent_unit_id
        self.registered_at = occurred_at


class Cadre(Aggregate):
    """A person holding a post: a leadership member carries the dual duty of the post."""

    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return uuid5(ID_NAMESPACE, f"cadre:{person_id}")

    @event("Registered")
    def __init__(
        self,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        post_title: str,
        line_of_work: str,
        leadership_member: bool,
        top_leader: bool,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.person_id = person_id
        self.name = name
        self.unit_id = unit_id
        self.post_title = post_title
        self.line_of_work = line_of_work
        self.leadership_member = leadership_member
        self.top_leader = top_leader


class Letter(Aggregate):
    """A responsibility letter: common clauses plus individual clauses for one post."""

    @event("Drafted")
    def __init__(
        self,
        id: UUID,
        year: int,
        issuer_unit_id: UUID,
        signatory_unit_id: UUID,
        signatory_cadre_id: UUID | None,
        signatory_is_top_leader: bool,
        common_clauses: list[str],
        individual_clauses: list[dict[str, str]],
        top_leader_duties: list[str],
        sign_by: date | None,
        supersedes: UUID | None,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.year = year
        self.issuer_unit_id = issuer_unit_id
        self.signatory_unit_id = signatory_unit_id
        self.signatory_cadre_id = signatory_cadre_id
        self.signatory_is_top_leader = signatory_is_top_leader
        self.common_clauses = list(common_clauses)
        self.individual_clauses = [dict(c) for c in individual_clauses]
        self.top_leader_duties = list(top_leader_duties)
        self.sign_by = sign_by
        self.supersedes = supersedes
        self.superseded_by: UUID | None = None
        self.signed_at: datetime | None = None
        self.signatures: list[dict[str, Any]] = []
        self.signing_overdue_recorded = False
        self.flagged_like: UUID | None = None
        self.drafted_at = occurred_at

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    # Guards.

    def check_not_signed(self) -> None:
        if self.is_signed:
            msg = (
                f"Letter {self.id} was signed on {self.signed_at:%Y-%m-%d} and can no longer "
                "be changed; draft a new letter that supersedes it."
            )
            raise LetterAlreadySignedError(msg)

    def check_signable(self) -> None:
        self.check_not_signed()
        if not self.individual_clauses:
            msg = (
                f"Letter {self.id} has no individual clause: add at least one clause written "
                "for this post and its integrity-risk points before signing."
            )
            raise LetterNotSignableError(msg)
        if self.signatory_is_top_leader and not self.top_leader_duties:
            msg = (
                f"Letter {self.id} is addressed to a unit's top leader (一把手) and must state "
                "the top leader's own duties before it can be signed."
            )
            raise LetterNotSignableError(msg)

    # Commands.

    def add_individual_clause(
        self, text: str, risk_point: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_not_signed()
        self._individual_clause_added(
            text=text, risk_point=risk_point, actor=actor, occurred_at=occurred_at
        )

    @event("IndividualClauseAdded")
    def _individual_clause_added(
        self, text: str, risk_point: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.individual_clauses.append({"text": text, "risk_point": risk_point})

    def set_top_leader_duties(
        self, duties: list[str], actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_not_signed()
        self._top_leader_duties_set(duties=duties, actor=actor, occurred_at=occurred_at)

    @event("TopLeaderDutiesSet")
    def _top_leader_duties_set(
        self, duties: list[str], actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.top_leader_duties = list(duties)

    def sign(
        self,
        issuer_signature: dict[str, Any],
        signatory_signature: dict[str, Any],
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.check_signable()
        self._signed(
            issuer_signature=issuer_signature,
            signatory_signature=signatory_signature,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Signed")
    def _signed(
        self,
        issuer_signature: dict[str, Any],
        signatory_signature: dict[str, Any],
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.signed_at = occurred_at
        self.signatures = [issuer_signature, signatory_signature]

    def mark_superseded(
        self, superseded_by: UUID, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        if not self.is_signed:
            msg = f"Letter {self.id} is still a draft: change the draft instead of superseding it."
            raise LetterNotSignedError(msg)
        if self.superseded_by is not None:
            msg = f"Letter {self.id} was already superseded by letter {self.superseded_by}."
            raise LetterAlreadySupersededError(msg)
        self._superseded(superseded_by=superseded_by, actor=actor, occurred_at=occurred_at)

    @event("Superseded")
    def _superseded(
        self, superseded_by: UUID, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.superseded_by = superseded_by

    def record_signing_overdue_if_due(self, as_of: datetime, actor: dict[str, Any]) -> bool:
        """Record, once, that the letter was not signed by its deadline."""
        if self.is_signed or self.signing_overdue_recorded or self.sign_by is None:
            return False
        if as_of.date() <= self.sign_by:
            return False
        self._signing_overdue(sign_by=self.sign_by, actor=actor, occurred_at=as_of)
        return True

    @event("SigningOverdue")
    def _signing_overdue(
        self, sign_by: date, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.signing_overdue_recorded = True

    def flag_as_boilerplate(
        self,
        similar_letter_id: UUID,
        similarity: float,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        """Record that this letter's individual clauses copy another post's letter."""
        if self.flagged_like is not None:
            return
        self._flagged_as_boilerplate(
            similar_letter_id=similar_letter_id, similarity=round(similarity, 4),
            actor=actor, occurred_at=occurred_at,
        )

    @event("FlaggedAsBoilerplate")
    def _flagged_as_boilerplate(
        self,
        similar_letter_id: UUID,
        similarity: float,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.flagged_like = similar_letter_id


class Task(Aggregate):
    """A task broken down to a lead unit and a responsible person, with a deadline.

    Tasks form a tree: a unit breaks its task down again to offices and people. A parent
    completes only when all its subtasks have.
    """

    @event("Created")
    def __init__(
        self,
        id: UUID,
        year: int,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        co_unit_ids: list[UUID],
        responsible_cadre_id: UUID,
        deadline: date,
        parent_task_id: UUID | None,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.year = year
        self.title = title
        self.requirement = requirement
        self.lead_unit_id = lead_unit_id
        self.co_unit_ids = list(co_unit_ids)
        self.responsible_cadre_id = responsible_cadre_id
        self.deadline = deadline
        self.parent_task_id = parent_task_id
        self.subtask_ids: list[UUID] = []
        self.progress = 0
        self.completed_at: datetime | None = None
        self.warned_thresholds: set[int] = set()
        self.overdue_recorded = False

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def check_open(self) -> None:
        if self.is_completed:
            msg = f"Task {self.title!r} was completed on {self.completed_at:%Y-%m-%d}."
            raise TaskAlreadyCompletedError(msg)

    def check_subtask_deadline(self, deadline: date) -> None:
        if deadline > self.deadline:
            msg = (
                f"A subtask cannot be due on {deadline:%Y-%m-%d}, after its parent task "
                f"{self.title!r} is due ({self.deadline:%Y-%m-%d})."
            )
            raise TaskDeadlineAfterParentError(msg)

    def add_subtask(self, subtask_id: UUID, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.check_open()
        self._subtask_added(subtask_id=subtask_id, actor=actor, occurred_at=occurred_at)

    @event("SubtaskAdded")
    def _subtask_added(
        self, subtask_id: UUID, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.subtask_ids.append(subtask_id)

    def report_progress(
        self, percent: int, note: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_open()
        self._progress_reported(percent=percent, note=note, actor=actor, occurred_at=occurred_at)

    @event("ProgressReported")
    def _progress_reported(
        self, percent: int, note: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.progress = percent

    def complete(
        self, open_subtasks: list[str], note: str, actor: dict[str, Any], occurred_at: datetime
    ) -> None:
        self.check_open()
        if open_subtasks:
            msg = (
                f"Task {self.title!r} cannot be completed while its subtasks are open: "
                + ", ".join(open_subtasks)
            )
            raise TaskHasOpenSubtasksError(msg)
        self._completed(note=note, actor=actor, occurred_at=occurred_at)

    @event("Completed")
    def _completed(self, note: str, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.completed_at = occurred_at
        self.progress = 100

    def record_deadline_events_due(
        self, as_of: datetime, thresholds: tuple[int, ...], actor: dict[str, Any]
    ) -> bool:
        """Record, each exactly once, the warnings and the overdue mark due by ``as_of``.

        Only the most urgent threshold reached is recorded: a clock that first looks with 2
        days left records the 3-day warning, not a stale 7-day one as well.
        """
        if self.is_completed or self.overdue_recorded:
            return False
        days_left = (self.deadline - as_of.date()).days
        if days_left < 0:
            self._overdue(deadline=self.deadline, actor=actor, occurred_at=as_of)
            return True
        reached = [t for t in thresholds if days_left <= t]
        if not reached or min(reached) in self.warned_thresholds:
            return False
        self._deadline_warning(
            deadline=self.deadline, days_left=days_left, threshold=min(reached),
            reached=sorted(reached), actor=actor, occurred_at=as_of,
        )
        return True

    @event("DeadlineWarning")
    def _deadline_warning(
        self,
        deadline: date,
        days_left: int,
        threshold: int,
        reached: list[int],
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.warned_thresholds.update(reached)

    @event("Overdue")
    def _overdue(self, deadline: date, actor: dict[str, Any], occurred_at: datetime) -> None:
        self.overdue_recorded = True


class EducationActivity(Aggregate):
    """An integrity-education activity: study session, phone class, lecture or a visit."""

    @event("Recorded")
    def __init__(
        self,
        kind: str,
        title: str,
        held_on: date,
        organiser_unit_id: UUID,
        participant_count: int,
        actor: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.kind = kind
        self.title = title
        self.held_on = held_on
        self.organiser_unit_id = organiser_unit_id
        self.participant_count = participant_count

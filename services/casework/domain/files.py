"""What casework learns from the responsibility service: cadres (to know who is the principal
of a party organisation, in which unit a person works, and which area of responsibility —
line of work, 分管领域 — they are in charge of) and responsibility letters with
their clauses (to link an accountability decision to the duty it enforces). Each is kept
under an id derived from the upstream's, so learning one twice changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from services.casework.domain.ids import derived_id
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError


class CadreNotKnownError(NotFoundError):
    pass


class LetterNotKnownError(NotFoundError):
    pass


class LetterDoesNotCoverError(DomainError):
    """The letter named is not the cadre's signed letter for the unit examined, or has no
    such clause."""


class AreaNotCoveredError(LetterDoesNotCoverError):
    """The cadre does not answer for the examined area of responsibility."""


class CadreFile(DomainAggregate):
    noun: ClassVar[str] = "cadre known to casework"
    NotFound: ClassVar[type[NotFoundError]] = CadreNotKnownError

    @staticmethod
    def create_id(cadre_id: UUID) -> UUID:
        return derived_id(f"cadre-file:{cadre_id}")

    @event("Learned")
    def __init__(self, cadre_id: UUID, person_id: UUID, unit_id: UUID, top_leader: bool,
                 upstream_event_id: str, actor: Actor, occurred_at: datetime,
                 line_of_work: str = "") -> None:
        self.cadre_id = cadre_id
        self.person_id = person_id
        self.unit_id = unit_id
        self.top_leader = top_leader
        # The area of responsibility (分管领域) responsibility registered for the cadre.
        self.line_of_work = line_of_work

    def covers_area(self, area: str, letter: LetterFile) -> str:
        """How this cadre answers for ``area`` under ``letter``: as a top leader (for every
        area), as the member in charge of it (their line of work), or under an individual
        clause written for it (its risk point); else a named refusal."""
        if self.top_leader:
            return "top_leader"
        if self.line_of_work == area:
            return "line_of_work"
        if area in letter.individual_risk_points:
            return "clause"
        msg = (f"Cadre {self.cadre_id} is neither a top leader nor in charge of {area!r}, and "
               f"responsibility letter {letter.letter_id} has no clause for it: the area is "
               "not theirs to answer for.")
        raise AreaNotCoveredError(msg)


class LetterFile(DomainAggregate):
    noun: ClassVar[str] = "responsibility letter known to casework"
    NotFound: ClassVar[type[NotFoundError]] = LetterNotKnownError

    @staticmethod
    def create_id(letter_id: UUID) -> UUID:
        return derived_id(f"letter-file:{letter_id}")

    @event("Learned")
    def __init__(
        self, letter_id: UUID, year: int, signatory_unit_id: UUID,
        signatory_cadre_id: UUID | None, common_clauses: list[str],
        individual_clauses: list[str], top_leader_duties: list[str], upstream_event_id: str,
        actor: Actor, occurred_at: datetime, individual_risk_points: list[str] | None = None,
    ) -> None:
        self.letter_id = letter_id
        self.year = year
        self.signatory_unit_id = signatory_unit_id
        self.signatory_cadre_id = signatory_cadre_id
        self.common_clauses = list(common_clauses)
        self.individual_clauses = list(individual_clauses)
        # The integrity-risk point (an area) each individual clause was written for.
        self.individual_risk_points = list(individual_risk_points or [])
        self.top_leader_duties = list(top_leader_duties)
        self.signed = False
        self.superseded = False

    @event("ClauseLearned")
    def learn_clause(self, text: str, upstream_event_id: str, actor: Actor,
                     occurred_at: datetime, risk_point: str = "") -> None:
        self.individual_clauses.append(text)
        if risk_point:
            self.individual_risk_points.append(risk_point)

    @event("DutiesLearned")
    def learn_duties(self, duties: list[str], upstream_event_id: str, actor: Actor,
                     occurred_at: datetime) -> None:
        self.top_leader_duties = list(duties)

    @event("SigningLearned")
    def learn_signing(self, upstream_event_id: str, actor: Actor, occurred_at: datetime) -> None:
        self.signed = True

    @event("SupersedingLearned")
    def learn_superseding(self, superseded_by: UUID, upstream_event_id: str, actor: Actor,
                          occurred_at: datetime) -> None:
        self.superseded = True

    def clause(self, cadre_id: UUID, unit_id: UUID, kind: str, number: int) -> str:
        """The clause ``number`` (from 1) of ``kind`` of this letter, if it is a signed letter
        of ``unit_id`` signed by ``cadre_id``; else a named refusal."""
        if not self.signed:
            msg = f"Responsibility letter {self.letter_id} was never signed: it binds no one."
            raise LetterDoesNotCoverError(msg)
        if self.signatory_unit_id != unit_id:
            msg = (f"Responsibility letter {self.letter_id} is another unit's: it does not "
                   f"cover unit {unit_id}.")
            raise LetterDoesNotCoverError(msg)
        if self.signatory_cadre_id is not None and self.signatory_cadre_id != cadre_id:
            msg = f"Responsibility letter {self.letter_id} was signed by another cadre."
            raise LetterDoesNotCoverError(msg)
        clauses = {"common": self.common_clauses, "individual": self.individual_clauses,
                   "top_leader_duty": self.top_leader_duties}.get(kind)
        if clauses is None or not 1 <= number <= len(clauses):
            msg = (f"Responsibility letter {self.letter_id} has no {kind} clause {number} "
                   f"(it has {len(clauses or [])}).")
            raise LetterDoesNotCoverError(msg)
        return clauses[number - 1]

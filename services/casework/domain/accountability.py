"""Accountability (问责) and 一案双查: when a case closes, or a rectification notice is
ignored, the leaders whose responsibility letters cover that unit — and, when the examination
names an area of responsibility (a line of work, 分管领域), that area — are examined. Each decision
names the cadre, the letter and the clause whose duty was not fulfilled, the form (通报, 诫勉,
组织调整/组织处理, 纪律处分) and the degree of responsibility (全面, 主要 or 重要领导责任): a
responsibility letter's "who is responsible for what" made enforceable."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.casework import (
    AccountabilityForm,
    ClauseKind,
    ResponsibilityDegree,
)
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

ACCOUNTABILITY_FORMS: tuple[AccountabilityForm, ...] = get_args(AccountabilityForm)
RESPONSIBILITY_DEGREES: tuple[ResponsibilityDegree, ...] = get_args(ResponsibilityDegree)
CLAUSE_KINDS: tuple[ClauseKind, ...] = get_args(ClauseKind)


class ExaminationNotFoundError(NotFoundError):
    pass


class ExaminationConcludedError(DomainError):
    pass


class CadreAlreadyHeldAccountableError(DomainError):
    pass


class InvalidAccountabilityError(DomainError):
    pass


class AccountabilityExamination(DomainAggregate):
    noun: ClassVar[str] = "accountability examination"
    NotFound: ClassVar[type[NotFoundError]] = ExaminationNotFoundError

    @event("Opened")
    def __init__(self, id: UUID, source: str, source_id: UUID, unit_id: UUID, reason: str,
                 source_event_id: str | None, actor: Actor, occurred_at: datetime,
                 area: str | None = None) -> None:
        self.source = source
        self.source_id = source_id
        self.unit_id = unit_id
        # The area of responsibility examined (a line of work, 分管领域), or the whole unit.
        self.area = area
        self.concluded = False
        self.decided: list[UUID] = []

    def decide(self, cadre_id: UUID, letter_id: UUID, clause_kind: str, clause_number: int,
               clause: str, form: str, degree: str, note: str, actor: Actor,
               occurred_at: datetime, coverage: str = "unit") -> None:
        if self.concluded:
            msg = f"Accountability examination {self.id} is concluded; no more decisions."
            raise ExaminationConcludedError(msg)
        if form not in ACCOUNTABILITY_FORMS:
            msg = f"问责 takes the form {', '.join(ACCOUNTABILITY_FORMS)}, not {form!r}."
            raise InvalidAccountabilityError(msg)
        if degree not in RESPONSIBILITY_DEGREES:
            msg = f"The degree is {', '.join(RESPONSIBILITY_DEGREES)}, not {degree!r}."
            raise InvalidAccountabilityError(msg)
        if cadre_id in self.decided:
            msg = f"Cadre {cadre_id} was already held accountable in examination {self.id}."
            raise CadreAlreadyHeldAccountableError(msg)
        self._decided(cadre_id=cadre_id, letter_id=letter_id, clause_kind=clause_kind,
                      clause_number=clause_number, clause=clause, form=form, degree=degree,
                      note=note, actor=actor, occurred_at=occurred_at, area=self.area,
                      coverage=coverage)

    @event("Decided")
    def _decided(self, cadre_id: UUID, letter_id: UUID, clause_kind: str, clause_number: int,
                 clause: str, form: str, degree: str, note: str, actor: Actor,
                 occurred_at: datetime, area: str | None = None,
                 coverage: str = "unit") -> None:
        self.decided.append(cadre_id)

    def conclude(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        if self.concluded:
            msg = f"Accountability examination {self.id} is concluded already."
            raise ExaminationConcludedError(msg)
        self._concluded(note=note, actor=actor, occurred_at=occurred_at)

    @event("Concluded")
    def _concluded(self, note: str, actor: Actor, occurred_at: datetime) -> None:
        self.concluded = True

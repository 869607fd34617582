"""Use cases and queries of the responsibility service (the party committee's primary
responsibility): registering the organisation, drafting, signing and superseding letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, RecordConflictError

from services.responsibility.domain import (
    Cadre,
    CadreAlreadyRegisteredError,
    CadreNotFoundError,
    Letter,
    LetterNotFoundError,
    Unit,
    UnitAlreadyRegisteredError,
    UnitNotFoundError,
    WrongSignatoryError,
)
from shared.actors import SYSTEM_ACTOR, Actor
from shared.catchup import CatchUpMixin
from shared.clock import as_aware
from shared.errors import ConflictError, NotPermittedError
from shared.persistence import ServiceApplication
from shared.readmodel import Projection

SERVICE = "responsibility"


@dataclass
class UnitView:
    unit_id: UUID
    code: str
    name: str
    kind: str
    parent_unit_id: UUID | None


@dataclass
class CadreView:
    cadre_id: UUID
    person_id: UUID
    name: str
    unit_id: UUID
    post_title: str
    line_of_work: str
    leadership_member: bool
    top_leader: bool


@dataclass
class LetterView:
    letter_id: UUID
    year: int
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    status: str  # draft | signed | superseded
    common_clauses: list[str]
    individual_clauses: list[dict[str, str]]
    top_leader_duties: list[str]
    sign_by: date | None
    supersedes: UUID | None
    superseded_by: UUID | None = None
    signed_at: datetime | None = None
    signatures: list[dict[str, Any]] = field(default_factory=list)
    signing_overdue: bool = False


class Organisation(Projection):
    """Units, cadres and letters as the store says now."""

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[UUID, UnitView] = {}
        self.cadres: dict[UUID, CadreView] = {}
        self.letters: dict[UUID, LetterView] = {}

    def on_Unit_Registered(self, e: Any) -> None:  # noqa: N802 - named after the event class
        self.units[e.originator_id] = UnitView(
            e.originator_id, e.code, e.name, e.kind, e.parent_unit_id
        )

    def on_Cadre_Registered(self, e: Any) -> None:  # noqa: N802
        self.cadres[e.originator_id] = CadreView(
            e.originator_id, e.person_id, e.name, e.unit_id, e.post_title,
            e.line_of_work, e.leadership_member, e.top_leader,
        )

    def on_Letter_Drafted(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id] = LetterView(
            e.originator_id, e.year, e.issuer_unit_id, e.signatory_unit_id,
            e.signatory_cadre_id, "draft", list(e.common_clauses),
            [dict(c) for c in e.individual_clauses], list(e.top_leader_duties),
            e.sign_by, e.supersedes,
        )

    def on_Letter_IndividualClauseAdded(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].individual_clauses.append(
            {"text": e.text, "risk_point": e.risk_point}
        )

    def on_Letter_TopLeaderDutiesSet(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].top_leader_duties = list(e.duties)

    def on_Letter_Signed(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.status = "signed"
        letter.signed_at = e.occurred_at
        letter.signatures = [e.issuer_signature, e.signatory_signature]

    def on_Letter_Superseded(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.status = "superseded"
        letter.superseded_by = e.superseded_by

    def on_Letter_SigningOverdue(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].signing_overdue = True


@dataclass(frozen=True)
class LetterDraft:
    """What a letter says; used for a new letter and for one that supersedes another."""

    year: int
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    common_clauses: list[str]
    individual_clauses: list[dict[str, str]]
    top_leader_duties: list[str]
    sign_by: date | None = None


class Responsibilities(CatchUpMixin, ServiceApplication):
    """The responsibility service's eventsourcing application."""

    name = SERVICE
    service_name: ClassVar[str] = SERVICE

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self.organisation = Organisation()

    # Organisation.

    def register_unit(
        self,
        code: str,
        name: str,
        kind: str,
        parent_unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        if parent_unit_id is not None:
            self._get_unit(parent_unit_id)
        unit = Unit(
            code=code, name=name, kind=kind, parent_unit_id=parent_unit_id,
            actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        duplicate = UnitAlreadyRegisteredError(f"Unit code {code!r} is already registered.")
        self._save_new(unit, duplicate)
        return unit.id

    def register_cadre(
        self,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        post_title: str,
        line_of_work: str,
        leadership_member: bool,
        top_leader: bool,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        self._get_unit(unit_id)
        cadre = Cadre(
            person_id=person_id, name=name, unit_id=unit_id, post_title=post_title,
            line_of_work=line_of_work, leadership_member=leadership_member,
            top_leader=top_leader, actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        self._save_new(
            cadre, CadreAlreadyRegisteredError(f"Person {person_id} is already registered.")
        )
        return cadre.id

    # Letters.

    def draft_letter(
        self,
        draft: LetterDraft,
        actor: Actor,
        occurred_at: datetime | None = None,
        letter_id: UUID | None = None,
    ) -> UUID:
        letter = self._new_letter(draft, actor, as_aware(occurred_at), letter_id, supersedes=None)
        self._save_new(letter, ConflictError(f"Letter {letter.id} already exists."))
        return letter.id

    def add_individual_clause(
        self,
        letter_id: UUID,
        text: str,
        risk_point: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        letter.add_individual_clause(text, risk_point, actor.as_dict(), as_aware(occurred_at))
        self._save(letter)

    def set_top_leader_duties(
        self, letter_id: UUID, duties: list[str], actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        letter.set_top_leader_duties(duties, actor.as_dict(), as_aware(occurred_at))
        self._save(letter)

    def sign_letter(
        self,
        letter_id: UUID,
        issuer_person_id: UUID,
        signatory_person_id: UUID,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        when = as_aware(occurred_at)
        if letter.signatory_cadre_id is not None:
            cadre = self._get_cadre(letter.signatory_cadre_id)
            if cadre.person_id != signatory_person_id:
                msg = (
                    f"Letter {letter_id} is addressed to {cadre.name}; only that person can "
                    "sign it as signatory."
                )
                raise WrongSignatoryError(msg)
        letter.sign(
            issuer_signature={
                "person_id": issuer_person_id, "unit_id": letter.issuer_unit_id,
                "signed_at": when,
            },
            signatory_signature={
                "person_id": signatory_person_id, "unit_id": letter.signatory_unit_id,
                "signed_at": when,
            },
            actor=actor.as_dict(),
            occurred_at=when,
        )
        self._save(letter)

    def supersede_letter(
        self,
        letter_id: UUID,
        draft: LetterDraft,
        actor: Actor,
        occurred_at: datetime | None = None,
        new_letter_id: UUID | None = None,
    ) -> UUID:
        old = self._get_letter(letter_id)
        self._check_acts_for(actor, old.issuer_unit_id)
        when = as_aware(occurred_at)
        new = self._new_letter(draft, actor, when, new_letter_id, supersedes=old.id)
        old.mark_superseded(new.id, actor.as_dict(), when)
        # One transaction: the new letter and the old one's "superseded" mark both land or
        # neither does.
        self._save(new, old)
        return new.id

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every letter not signed by its deadline, each exactly once."""
        as_of = as_aware(as_of)
        self.organisation.catch_up(self)
        due = [
            v.letter_id for v in self.organisation.letters.values()
            if v.status == "draft" and not v.signing_overdue
            and v.sign_by is not None and as_of.date() > v.sign_by
        ]
        recorded = []
        for letter_id in due:
            letter = self._get_letter(letter_id)
            if letter.record_signing_overdue_if_due(as_of, SYSTEM_ACTOR.as_dict()):
                try:
                    self.save(letter)
                except RecordConflictError:
                    continue  # another caller recorded it (or changed the letter) first
                recorded.append(letter_id)
        return recorded

    # Queries.

    def list_units(self) -> list[UnitView]:
        self.organisation.catch_up(self)
        return sorted(self.organisation.units.values(), key=lambda u: u.code)

    def list_cadres(self, unit_id: UUID | None = None) -> list[CadreView]:
        self.organisation.catch_up(self)
        return sorted(
            (c for c in self.organisation.cadres.values() if unit_id in (None, c.unit_id)),
            key=lambda c: (str(c.unit_id), c.name),
        )

    def get_letter(self, letter_id: UUID) -> LetterView:
        self.organisation.catch_up(self)
        try:
            return self.organisation.letters[letter_id]
        except KeyError:
            raise LetterNotFoundError(f"No letter {letter_id}.") from None

    def list_letters(
        self, year: int | None = None, unit_id: UUID | None = None
    ) -> list[LetterView]:
        self.organisation.catch_up(self)
        return sorted(
            (
                v for v in self.organisation.letters.values()
                if year in (None, v.year)
                and unit_id in (None, v.signatory_unit_id, v.issuer_unit_id)
            ),
            key=lambda v: (v.year, str(v.signatory_unit_id), str(v.letter_id)),
        )

    # Helpers.

    def _new_letter(
        self,
        draft: LetterDraft,
        actor: Actor,
        when: datetime,
        letter_id: UUID | None,
        supersedes: UUID | None,
    ) -> Letter:
        self._check_acts_for(actor, draft.issuer_unit_id)
        self._get_unit(draft.issuer_unit_id)
        self._get_unit(draft.signatory_unit_id)
        top_leader = False
        if draft.signatory_cadre_id is not None:
            cadre = self._get_cadre(draft.signatory_cadre_id)
            if cadre.unit_id != draft.signatory_unit_id:
                msg = (
                    f"{cadre.name} belongs to another unit than the letter's signatory unit "
                    f"{draft.signatory_unit_id}."
                )
                raise WrongSignatoryError(msg)
            top_leader = cadre.top_leader
        return Letter(
            id=letter_id or uuid4(), year=draft.year, issuer_unit_id=draft.issuer_unit_id,
            signatory_unit_id=draft.signatory_unit_id,
            signatory_cadre_id=draft.signatory_cadre_id, signatory_is_top_leader=top_leader,
            common_clauses=list(draft.common_clauses),
            individual_clauses=[dict(c) for c in draft.individual_clauses],
            top_leader_duties=list(draft.top_leader_duties), sign_by=draft.sign_by,
            supersedes=supersedes, actor=actor.as_dict(), occurred_at=when,
        )

    def _check_acts_for(self, actor: Actor, unit_id: UUID) -> None:
        if actor.unit_id != unit_id:
            msg = (
                f"Only a clerk of the issuing unit {unit_id} may do this; you act for unit "
                f"{actor.unit_id}."
            )
            raise NotPermittedError(msg)

    def _save(self, *aggregates: Any) -> None:
        try:
            self.save(*aggregates)
        except RecordConflictError:
            msg = "Someone changed this record at the same moment; reload it and try again."
            raise ConflictError(msg) from None

    def _save_new(self, aggregate: Any, duplicate: ConflictError) -> None:
        try:
            self.save(aggregate)
        except (RecordConflictError, IntegrityError):
            raise duplicate from None

    def _get_unit(self, unit_id: UUID) -> Unit:
        try:
            unit: Unit = self.repository.get(unit_id)
        except AggregateNotFoundError:
            raise UnitNotFoundError(f"No unit {unit_id} is registered.") from None
        return unit

    def _get_cadre(self, cadre_id: UUID) -> Cadre:
        try:
            cadre: Cadre = self.repository.get(cadre_id)
        except AggregateNotFoundError:
            raise CadreNotFoundError(f"No cadre {cadre_id} is registered.") from None
        return cadre

    def _get_letter(self, letter_id: UUID) -> Letter:
        try:
            letter: Letter = self.repository.get(letter_id)
        except AggregateNotFoundError:
            raise LetterNotFoundError(f"No letter {letter_id}.") from None
        return letter

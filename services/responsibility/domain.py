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

UNIT_KINDS = (
    "party_committee",
    "district_department",
    "town",
    "subdistrict",
    "community",
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

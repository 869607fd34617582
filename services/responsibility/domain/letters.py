"""Responsibility letters (责任书): common clauses plus individual clauses for one post, signed
by both sides (the issuing unit's principal leader and the signatory, each for themself),
never edited once signed but superseded by a new letter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, get_args
from uuid import UUID, uuid4

from eventsourcing.domain import event

from services.responsibility.domain.cadres import Cadre, WrongSignatoryError
from services.responsibility.domain.risk_points import clause_outside_register
from services.responsibility.domain.similarity import shingles, similarity
from shared.actors import Actor
from shared.contracts.responsibility import LetterStatus, SignatureSide
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

LETTER_STATUSES: tuple[LetterStatus, ...] = get_args(LetterStatus)


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


class SignatureAlreadyRecordedError(DomainError):
    """Each side signs a letter once."""


class Clause(Protocol):
    """An individual clause: the text written for the post, and the risk point it addresses."""

    @property
    def text(self) -> str: ...

    @property
    def risk_point(self) -> str: ...


class LetterTerms(Protocol):
    """What a letter says (a new letter's or a superseding one's)."""

    @property
    def year(self) -> int: ...

    @property
    def issuer_unit_id(self) -> UUID: ...

    @property
    def signatory_unit_id(self) -> UUID: ...

    @property
    def signatory_cadre_id(self) -> UUID | None: ...

    @property
    def common_clauses(self) -> Sequence[str]: ...

    @property
    def individual_clauses(self) -> Sequence[Clause]: ...

    @property
    def top_leader_duties(self) -> Sequence[str]: ...

    @property
    def sign_by(self) -> date | None: ...


class OtherLetter(Protocol):
    """Another letter as the read model knows it, for boilerplate comparison."""

    @property
    def letter_id(self) -> UUID: ...

    @property
    def year(self) -> int: ...

    @property
    def status(self) -> LetterStatus: ...

    @property
    def signatory_unit_id(self) -> UUID: ...

    @property
    def signatory_cadre_id(self) -> UUID | None: ...

    @property
    def individual_clauses(self) -> Sequence[Mapping[str, str]]: ...


# A letter's clause bigrams as the read model keeps them (None: not kept, compute them).
ShinglesOf = Callable[[UUID], frozenset[str] | None]


def signing_overdue_mark_due(
    *, sign_by: date | None, signed: bool, recorded: bool, on: date
) -> bool:
    """Whether a letter's signing is overdue on ``on`` and not yet recorded as such: a letter
    with a deadline that is still unsigned the day after it."""
    return not signed and not recorded and sign_by is not None and on > sign_by


class Letter(DomainAggregate):
    """A responsibility letter: common clauses plus individual clauses for one post."""

    noun: ClassVar[str] = "letter"
    NotFound: ClassVar[type[NotFoundError]] = LetterNotFoundError

    @classmethod
    def draft(
        cls,
        *,
        terms: LetterTerms,
        signatory: Cadre | None,
        letter_id: UUID | None,
        supersedes: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> Letter:
        """A new draft; ``signatory`` is the cadre ``terms`` addresses, if it names one."""
        _check_addressee(signatory, terms.signatory_cadre_id)
        if signatory is not None and signatory.unit_id != terms.signatory_unit_id:
            msg = (
                f"{signatory.name} belongs to another unit than the letter's signatory unit "
                f"{terms.signatory_unit_id}."
            )
            raise WrongSignatoryError(msg)
        return cls(
            id=letter_id or uuid4(), year=terms.year, issuer_unit_id=terms.issuer_unit_id,
            signatory_unit_id=terms.signatory_unit_id,
            signatory_cadre_id=terms.signatory_cadre_id,
            signatory_is_top_leader=signatory is not None and signatory.top_leader,
            common_clauses=list(terms.common_clauses),
            individual_clauses=[_clause(c.text, c.risk_point) for c in terms.individual_clauses],
            top_leader_duties=list(terms.top_leader_duties), sign_by=terms.sign_by,
            supersedes=supersedes, actor=actor, occurred_at=occurred_at,
        )

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
        actor: Actor,
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
        self.issuer_signature: dict[str, Any] | None = None
        self.signatory_signature: dict[str, Any] | None = None
        self.signing_overdue_recorded = False
        self.flagged_like: UUID | None = None
        self.outside_risk_register: list[str] | None = None
        self.drafted_at = occurred_at

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def status(self) -> LetterStatus:
        if self.superseded_by is not None:
            return "superseded"
        return "signed" if self.is_signed else "draft"

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
        self, text: str, risk_point: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.check_not_signed()
        self._individual_clause_added(
            text=text, risk_point=risk_point, actor=actor, occurred_at=occurred_at
        )

    @event("IndividualClauseAdded")
    def _individual_clause_added(
        self, text: str, risk_point: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.individual_clauses.append(_clause(text, risk_point))

    def set_top_leader_duties(
        self, duties: Sequence[str], actor: Actor, occurred_at: datetime
    ) -> None:
        self.check_not_signed()
        self._top_leader_duties_set(duties=list(duties), actor=actor, occurred_at=occurred_at)

    @event("TopLeaderDutiesSet")
    def _top_leader_duties_set(
        self, duties: list[str], actor: Actor, occurred_at: datetime
    ) -> None:
        self.top_leader_duties = list(duties)

    def sign_as_issuer(
        self, *, signer: Cadre, actor: Actor, occurred_at: datetime,
        replaced: Letter | None = None,
    ) -> bool:
        """The issuing unit's signature, made by one of its principal leaders (党政主要领导;
        for the district's letters, the district party secretary) for themself. Whether the
        letter is now signed (the signatory had signed first)."""
        if signer.unit_id != self.issuer_unit_id or not signer.top_leader:
            msg = (
                f"Letter {self.id} is signed for the issuing unit by one of its principal "
                f"leaders (党政主要领导); {signer.name} is not one of them."
            )
            raise WrongSignatoryError(msg)
        return self._sign("issuer", signer, actor, occurred_at, replaced)

    def countersign(
        self, *, signer: Cadre, actor: Actor, occurred_at: datetime,
        replaced: Letter | None = None,
    ) -> bool:
        """The signatory's own signature: the cadre the letter is addressed to or, for a
        letter to a unit without a named cadre, one of that unit's principal leaders. Whether
        the letter is now signed (the issuer had signed first)."""
        if self.signatory_cadre_id is not None:
            if signer.id != self.signatory_cadre_id:
                msg = (
                    f"Letter {self.id} is addressed to another cadre; only that person can "
                    f"sign it as signatory, not {signer.name}."
                )
                raise WrongSignatoryError(msg)
        elif signer.unit_id != self.signatory_unit_id or not signer.top_leader:
            msg = (
                f"Letter {self.id} is addressed to a unit and is signed for it by one of its "
                f"principal leaders (党政主要领导); {signer.name} is not one of them."
            )
            raise WrongSignatoryError(msg)
        return self._sign("signatory", signer, actor, occurred_at, replaced)

    def signature_of(self, side: SignatureSide) -> dict[str, Any] | None:
        """The signature recorded for ``side``, if any."""
        return self.issuer_signature if side == "issuer" else self.signatory_signature

    def _sign(
        self, side: SignatureSide, signer: Cadre, actor: Actor, occurred_at: datetime,
        replaced: Letter | None,
    ) -> bool:
        """Record ``signer``'s signature for ``side``; with the other side's already there,
        the letter is signed (签字背书: two real signatures, each by its signer's own hand).

        A letter that supersedes another (``replaced``, the letter named by ``supersedes``)
        takes its place only when signed: the old letter stays valid while its replacement is
        a draft, even a half-signed one, and is marked superseded by the second signature
        (the caller saves both at once)."""
        if signer.person_id != actor.person_id:
            msg = (
                f"{signer.name} signs for themself: the signature must be made with their own "
                "token, not by someone acting for them."
            )
            raise WrongSignatoryError(msg)
        self.check_signable()
        if self.signature_of(side) is not None:
            msg = f"Letter {self.id} already carries the {side}'s signature."
            raise SignatureAlreadyRecordedError(msg)
        other: SignatureSide = "signatory" if side == "issuer" else "issuer"
        counterpart = self.signature_of(other)
        if counterpart is not None and counterpart["person_id"] == signer.person_id:
            msg = (
                f"{signer.name} already signed letter {self.id} as its {other}; the issuer and "
                "the signatory are two people."
            )
            raise WrongSignatoryError(msg)
        if (replaced.id if replaced is not None else None) != self.supersedes:
            msg = (
                f"expected the letter this one supersedes {self.supersedes}, got "
                f"{replaced and replaced.id}"
            )
            raise ValueError(msg)
        # A history stored before the rule was corrected marked the old letter at drafting.
        old = replaced if replaced is not None and replaced.superseded_by != self.id else None
        if old is not None:
            old.check_may_be_superseded()
        signature = {"person_id": signer.person_id, "unit_id": signer.unit_id,
                     "signed_at": occurred_at}
        if counterpart is None:
            self._signature_recorded(
                side=side, signature=signature, actor=actor, occurred_at=occurred_at
            )
            return False
        issuer, signatory = (signature, counterpart) if side == "issuer" else (
            counterpart, signature)
        self._signed(
            issuer_signature=issuer, signatory_signature=signatory, actor=actor,
            occurred_at=occurred_at,
        )
        if old is not None:
            old.mark_superseded(self.id, actor, occurred_at)
        return True

    @event("SignatureRecorded")
    def _signature_recorded(
        self, side: str, signature: dict[str, Any], actor: Actor, occurred_at: datetime
    ) -> None:
        if side == "issuer":
            self.issuer_signature = signature
        else:
            self.signatory_signature = signature

    @event("Signed")
    def _signed(
        self,
        issuer_signature: dict[str, Any],
        signatory_signature: dict[str, Any],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.signed_at = occurred_at
        self.issuer_signature = issuer_signature
        self.signatory_signature = signatory_signature
        self.signatures = [issuer_signature, signatory_signature]

    def check_may_be_superseded(self) -> None:
        """Only a signed letter, not yet superseded, can be replaced by a new one."""
        if not self.is_signed:
            msg = f"Letter {self.id} is still a draft: change the draft instead of superseding it."
            raise LetterNotSignedError(msg)
        if self.superseded_by is not None:
            msg = f"Letter {self.id} was already superseded by letter {self.superseded_by}."
            raise LetterAlreadySupersededError(msg)

    def mark_superseded(self, superseded_by: UUID, actor: Actor, occurred_at: datetime) -> None:
        """Record that ``superseded_by`` replaced this letter: done when the replacement is
        signed (``sign``), never when it is drafted."""
        self.check_may_be_superseded()
        self._superseded(superseded_by=superseded_by, actor=actor, occurred_at=occurred_at)

    @event("Superseded")
    def _superseded(self, superseded_by: UUID, actor: Actor, occurred_at: datetime) -> None:
        self.superseded_by = superseded_by

    def record_signing_overdue_if_due(self, as_of: datetime, actor: Actor) -> bool:
        """Record, once, that the letter was not signed by its deadline."""
        if not signing_overdue_mark_due(
            sign_by=self.sign_by, signed=self.is_signed, recorded=self.signing_overdue_recorded,
            on=as_of.date(),
        ):
            return False
        assert self.sign_by is not None  # only a letter with a deadline is ever overdue
        self._signing_overdue(sign_by=self.sign_by, actor=actor, occurred_at=as_of)
        return True

    @event("SigningOverdue")
    def _signing_overdue(self, sign_by: date, actor: Actor, occurred_at: datetime) -> None:
        self.signing_overdue_recorded = True

    # Boilerplate detection.

    def compares_with(self, other: OtherLetter) -> bool:
        """Whether ``other`` is a letter this one must not copy: another post's letter of the
        same year that was signed (not a draft, not the letter this one supersedes)."""
        return (
            other.letter_id not in (self.id, self.supersedes)
            and other.year == self.year
            and other.status != "draft"
            and (other.signatory_cadre_id, other.signatory_unit_id)
            != (self.signatory_cadre_id, self.signatory_unit_id)
        )

    def clause_shingles(self) -> frozenset[str]:
        """The bigrams of this letter's individual clauses (what boilerplate is judged on)."""
        return shingles(c["text"] for c in self.individual_clauses)

    def most_similar(
        self, others: Iterable[OtherLetter], threshold: float, *,
        shingles_of: ShinglesOf | None = None,
    ) -> tuple[UUID, float] | None:
        """The letter whose individual clauses this one's copy most closely, if any reaches
        ``threshold``, with the similarity (the first of ``others`` on a tie).

        ``others`` may be every letter the read model knows or only the candidates its index
        found (every letter that can reach the threshold, in the same order); ``shingles_of``
        gives a letter's bigrams computed once, when it was indexed, instead of again here."""
        mine = self.clause_shingles()
        best: tuple[UUID, float] | None = None
        for other in others:
            if not self.compares_with(other):
                continue
            theirs = None if shingles_of is None else shingles_of(other.letter_id)
            if theirs is None:
                theirs = shingles(c["text"] for c in other.individual_clauses)
            score = similarity(mine, theirs)
            if score >= threshold and (best is None or score > best[1]):
                best = (other.letter_id, score)
        return best

    def flag_if_copy(
        self, others: Iterable[OtherLetter], threshold: float, actor: Actor,
        occurred_at: datetime, *, shingles_of: ShinglesOf | None = None,
    ) -> bool:
        """Flag the letter if its individual clauses copy another post's letter of the year;
        whether a flag was recorded."""
        found = self.most_similar(others, threshold, shingles_of=shingles_of)
        if found is None:
            return False
        return self.flag_as_boilerplate(found[0], found[1], actor, occurred_at)

    def flag_as_boilerplate(
        self, similar_letter_id: UUID, similarity: float, actor: Actor, occurred_at: datetime
    ) -> bool:
        """Record, once, that this letter's individual clauses copy another post's letter."""
        if self.flagged_like is not None:
            return False
        self._flagged_as_boilerplate(
            similar_letter_id=similar_letter_id, similarity=round(similarity, 4),
            actor=actor, occurred_at=occurred_at,
        )
        return True

    @event("FlaggedAsBoilerplate")
    def _flagged_as_boilerplate(
        self, similar_letter_id: UUID, similarity: float, actor: Actor, occurred_at: datetime
    ) -> None:
        self.flagged_like = similar_letter_id

    # Judged against the risk-point register (廉政风险点): individual clauses are drafted from
    # the signatory's post register, so a clause on a risk point the post does not carry is
    # written for no post in particular.

    def flag_if_outside_register(
        self, register: Sequence[Mapping[str, Any]] | None, actor: Actor, occurred_at: datetime
    ) -> bool:
        """Record, once, the risk points of this letter's individual clauses that are not in
        the signatory's post register as it stands at the signing (``None``: the post has no
        register, so every clause is outside it); whether a flag was recorded."""
        if self.outside_risk_register is not None or self.signatory_cadre_id is None:
            return False
        outside = sorted({
            c["risk_point"] for c in self.individual_clauses
            if clause_outside_register(c["risk_point"], register)
        })
        if not outside:
            return False
        self._flagged_outside_risk_register(
            risk_points=outside, post_has_register=register is not None, actor=actor,
            occurred_at=occurred_at,
        )
        return True

    @event("FlaggedOutsideRiskRegister")
    def _flagged_outside_risk_register(
        self, risk_points: list[str], post_has_register: bool, actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.outside_risk_register = list(risk_points)


def _clause(text: str, risk_point: str) -> dict[str, str]:
    return {"text": text, "risk_point": risk_point}


def _check_addressee(cadre: Cadre | None, cadre_id: UUID | None) -> None:
    """The caller must hand over exactly the cadre the letter names (a programming error
    otherwise, not a clerk's)."""
    if (cadre.id if cadre is not None else None) != cadre_id:
        msg = f"expected the letter's addressee {cadre_id}, got {cadre and cadre.id}"
        raise ValueError(msg)

"""Bulletins: special reports (督查专报), circulars (督查通报) and circulars read out at a
meeting, numbered 1, 2, 3… per kind and year by a register."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.supervision import BulletinKind
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError

# In the order of the register.
BULLETIN_KINDS: tuple[str, ...] = get_args(BulletinKind)


class BulletinNotFoundError(NotFoundError):
    pass


class BulletinCitesUnknownNoticeError(NotFoundError):
    pass


class DuplicateBulletinRequestError(ConflictError):
    pass


class InvalidBulletinError(DomainError):
    pass


def check_bulletin(kind: str, meeting: str | None) -> None:
    if kind not in BULLETIN_KINDS:
        msg = f"There is no bulletin kind {kind!r}; use one of: " + ", ".join(BULLETIN_KINDS)
        raise InvalidBulletinError(msg)
    if kind == "meeting_circular" and not (meeting or "").strip():
        msg = "A circular read out at a meeting names the meeting."
        raise InvalidBulletinError(msg)
    if kind != "meeting_circular" and meeting is not None:
        msg = "Only a circular read out at a meeting names a meeting."
        raise InvalidBulletinError(msg)


def register_order(kind: str) -> int:
    """Where a kind of bulletin comes in the register."""
    return BULLETIN_KINDS.index(kind)


def unknown_notice_cited(notice_id: UUID) -> BulletinCitesUnknownNoticeError:
    return BulletinCitesUnknownNoticeError(
        f"The bulletin cites rectification notice {notice_id}, which does not exist; "
        "cite only notices that have been issued."
    )


class BulletinRegister(DomainAggregate):
    """The register of one kind of bulletin for one year: it hands out issue numbers 1, 2, 3…
    without gaps or duplicates. It is saved with the bulletin it numbers, in one
    transaction, so two bulletins issued at once cannot both take the same number.

    It stays small however many numbers it has handed out: it keeps its last number and the
    bulletins of its latest few (``RECENT``), never the whole list, and the application
    snapshots it (services/supervision/application.py), so loading it reads its last
    snapshot and the numbers after it, never every number of the year. That a request is
    numbered once at all is the bulletin's to guarantee: its id derives from the request and
    it is stored with its number in one transaction (``Supervision.issue_bulletin``); the
    register refuses a repeat of one of its latest bulletins itself."""

    noun: ClassVar[str] = "bulletin register"
    NotFound: ClassVar[type[NotFoundError]] = BulletinNotFoundError

    # The latest bulletins the register remembers (the rest it knows only by their count).
    RECENT: ClassVar[int] = 16

    @staticmethod
    def create_id(kind: str, year: int) -> UUID:
        return derived_id(f"bulletin-register:{kind}:{year}")

    @event("Opened")
    def __init__(self, kind: str, year: int, actor: Actor, occurred_at: datetime) -> None:
        self.kind = kind
        self.year = year
        self.last_number = 0
        # The bulletins numbered last, oldest first: the last one has ``last_number``.
        self.recent_ids: list[UUID] = []

    def number_of(self, bulletin_id: UUID) -> int | None:
        """The number the register gave ``bulletin_id``, if it is one of its latest."""
        if bulletin_id not in self.recent_ids:
            return None
        return self.last_number - len(self.recent_ids) + 1 + self.recent_ids.index(bulletin_id)

    def assign_number(self, bulletin_id: UUID, actor: Actor, occurred_at: datetime) -> int:
        number = self.number_of(bulletin_id)
        if number is not None:
            msg = f"Bulletin {bulletin_id} already has number {number} of {self.year}."
            raise DuplicateBulletinRequestError(msg)
        number = self.last_number + 1
        self._number_assigned(
            number=number, bulletin_id=bulletin_id, actor=actor, occurred_at=occurred_at
        )
        return number

    @event("NumberAssigned")
    def _number_assigned(
        self, number: int, bulletin_id: UUID, actor: Actor, occurred_at: datetime
    ) -> None:
        self.last_number = number
        self.recent_ids.append(bulletin_id)
        del self.recent_ids[: -self.RECENT]


class Bulletin(DomainAggregate):
    """A special report (督查专报), a circular (督查通报) or a circular read out at a meeting,
    numbered per kind and year. Its id derives from the client's request id, so the same
    request submitted twice is recognised."""

    noun: ClassVar[str] = "bulletin"
    NotFound: ClassVar[type[NotFoundError]] = BulletinNotFoundError

    @staticmethod
    def create_id(request_id: str) -> UUID:
        return derived_id(f"bulletin-request:{request_id}")

    @event("Issued")
    def __init__(
        self,
        request_id: str,
        kind: str,
        year: int,
        number: int,
        title: str,
        summary: str,
        meeting: str | None,
        problems: list[dict[str, Any]],
        notice_ids: list[UUID],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.request_id = request_id
        self.kind = kind
        self.year = year
        self.number = number
        self.title = title

    def already_issued(self) -> DuplicateBulletinRequestError:
        """The refusal of the same request submitted again."""
        return DuplicateBulletinRequestError(
            f"Request {self.request_id!r} was already issued as {self.kind.replace('_', ' ')} "
            f"No. {self.number} of {self.year} ({self.title!r}); the same request is not "
            "issued twice."
        )

"""述责述廉 (seed §三(三)): a leadership member's yearly report on how they carried their
responsibility for clean governance and their own integrity, given on a date to a body (the
district commission's plenary, the party committee, the unit's leadership meeting…)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from services.responsibility.domain.talks import Leader
from services.responsibility.domain.units import ID_NAMESPACE
from shared.actors import Actor
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, InvalidCommandError, NotFoundError


class AccountabilityReportNotFoundError(NotFoundError):
    pass


class AccountabilityReportAlreadyGivenError(ConflictError):
    """A leader gives one 述责述廉 report a year."""


class NotALeadershipMemberError(DomainError):
    """述责述廉 is owed by the leadership members (班子成员) and top leaders."""


class ReportDateOutsideYearError(InvalidCommandError):
    """A year's report is given during that year or early in the next, never before it."""


def check_report_date(year: int, reported_on: date) -> None:
    if reported_on.year not in (year, year + 1):
        msg = (
            f"reported_on: {reported_on} is not a date for the {year} report; it is given "
            f"during {year} or in {year + 1}."
        )
        raise ReportDateOutsideYearError(msg)


class AccountabilityReport(DomainAggregate):
    """A leader's 述责述廉 report of one year."""

    noun: ClassVar[str] = "accountability report"
    NotFound: ClassVar[type[NotFoundError]] = AccountabilityReportNotFoundError

    @staticmethod
    def create_id(cadre_id: UUID, year: int) -> UUID:
        return uuid5(ID_NAMESPACE, f"accountability-report:{cadre_id}:{year}")

    @classmethod
    def give(
        cls,
        *,
        leader: Leader,
        year: int,
        reported_on: date,
        given_to: str,
        summary: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> AccountabilityReport:
        if not (leader.leadership_member or leader.top_leader):
            msg = (
                f"cadre_id: {leader.name} is not a leadership member; 述责述廉 is reported by "
                "a unit's leadership members and top leaders."
            )
            raise NotALeadershipMemberError(msg)
        check_report_date(year, reported_on)
        return cls(
            id=cls.create_id(leader.id, year), cadre_id=leader.id, unit_id=leader.unit_id,
            year=year, reported_on=reported_on, given_to=given_to, summary=summary,
            actor=actor, occurred_at=occurred_at,
        )

    @event("Given")
    def __init__(
        self,
        id: UUID,
        cadre_id: UUID,
        unit_id: UUID,
        year: int,
        reported_on: date,
        given_to: str,
        summary: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.cadre_id = cadre_id
        self.unit_id = unit_id
        self.year = year
        self.reported_on = reported_on
        self.given_to = given_to
        self.summary = summary

"""Inspections and the problems they find, and the key-project lists key-project inspections
are made from."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from services.supervision.domain.ids import derived_id
from shared.actors import Actor
from shared.contracts.supervision import (
    InspectionKind,
    ProblemCategory,
    UnannouncedVisitKind,
)
from shared.domain import DomainAggregate
from shared.errors import ConflictError, DomainError, NotFoundError

# Inspections recorded in one go; an unannounced visit is scheduled first, then conducted.
INSPECTION_KINDS: tuple[str, ...] = get_args(InspectionKind)
(UNANNOUNCED_VISIT,) = get_args(UnannouncedVisitKind)
PROBLEM_CATEGORIES: tuple[str, ...] = get_args(ProblemCategory)


class InvalidInspectionError(DomainError):
    pass


class InspectionNotFoundError(NotFoundError):
    pass


class InspectionAlreadyRecordedError(ConflictError):
    pass


class ProblemNotFoundError(NotFoundError):
    pass


class KeyProjectListNotFoundError(NotFoundError):
    pass


class ProjectNotOnListError(NotFoundError):
    pass


class ProjectAlreadyListedError(ConflictError):
    pass


# Problems found.


def check_problems(problems: Iterable[dict[str, Any]]) -> None:
    """Each problem has a known category, a description, and names the unit or the cadre it
    concerns."""
    for number, problem in enumerate(problems, start=1):
        if problem.get("category") not in PROBLEM_CATEGORIES:
            msg = (
                f"Problem {number} has the category {problem.get('category')!r}; use one of: "
                + ", ".join(PROBLEM_CATEGORIES)
                + "."
            )
            raise InvalidInspectionError(msg)
        if problem.get("unit_id") is None and problem.get("cadre_id") is None:
            msg = f"Problem {number} names neither the unit nor the cadre it concerns."
            raise InvalidInspectionError(msg)
        if not str(problem.get("description", "")).strip():
            msg = f"Problem {number} has no description."
            raise InvalidInspectionError(msg)


def number_problems(record_id: UUID, problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each problem found a stable id, derived from the record and its position."""
    return [
        {
            "problem_id": derived_id(f"problem:{record_id}:{index}"),
            "category": p["category"],
            "description": p["description"],
            "unit_id": p.get("unit_id"),
            "cadre_id": p.get("cadre_id"),
        }
        for index, p in enumerate(problems, start=1)
    ]


def units_concerned(problems: Iterable[dict[str, Any]]) -> list[UUID]:
    """The units the problems name (a problem may name only a cadre)."""
    return [p["unit_id"] for p in problems if p.get("unit_id") is not None]


# Inspections.


def check_recorded_kind(kind: str) -> None:
    """Only the kinds recorded in one go: an unannounced visit has its own two steps."""
    if kind == UNANNOUNCED_VISIT:
        msg = (
            "An unannounced visit is scheduled first (which reveals nothing) and recorded "
            "when conducted; use schedule_unannounced_visit and conduct_unannounced_visit."
        )
        raise InvalidInspectionError(msg)


def check_inspection(
    kind: str, project: dict[str, Any] | None, unit_ids: list[UUID],
    problems: list[dict[str, Any]], location: str,
) -> None:
    if kind not in (*INSPECTION_KINDS, UNANNOUNCED_VISIT):
        msg = f"There is no inspection kind {kind!r}; use one of: " + ", ".join(INSPECTION_KINDS)
        raise InvalidInspectionError(msg)
    if kind == "key_project" and project is None:
        msg = "A key-project inspection names the project on the key-project list it inspected."
        raise InvalidInspectionError(msg)
    if kind != "key_project" and project is not None:
        msg = "Only a key-project inspection names a project from the key-project list."
        raise InvalidInspectionError(msg)
    if not unit_ids:
        msg = "An inspection records at least one unit inspected."
        raise InvalidInspectionError(msg)
    if len(set(unit_ids)) != len(unit_ids):
        msg = "A unit is listed twice among the units inspected."
        raise InvalidInspectionError(msg)
    if not location.strip():
        msg = "An inspection records where it took place."
        raise InvalidInspectionError(msg)
    check_problems(problems)


class KeyProjectList(DomainAggregate):
    """A named list of key projects (e.g. the year's hundred key projects) to inspect."""

    noun: ClassVar[str] = "key-project list"
    NotFound: ClassVar[type[NotFoundError]] = KeyProjectListNotFoundError

    @event("Published")
    def __init__(
        self,
        id: UUID,
        year: int,
        name: str,
        projects: list[dict[str, Any]],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.year = year
        self.name = name
        self.projects = {p["code"]: dict(p) for p in projects}

    @staticmethod
    def check_projects(projects: list[dict[str, Any]]) -> None:
        codes = [p["code"] for p in projects]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            msg = "A key-project list names each project once; repeated: " + ", ".join(duplicates)
            raise ProjectAlreadyListedError(msg)

    def project(self, code: str) -> dict[str, Any]:
        try:
            return self.projects[code]
        except KeyError:
            msg = f"Project {code!r} is not on the key-project list {self.name!r}."
            raise ProjectNotOnListError(msg) from None

    def inspected(self, code: str) -> dict[str, Any]:
        """What a key-project inspection records of the project it inspected."""
        return {"project_list_id": self.id, **self.project(code)}

    def add_project(self, project: dict[str, Any], actor: Actor, occurred_at: datetime) -> None:
        if project["code"] in self.projects:
            msg = f"Project {project['code']!r} is already on the list {self.name!r}."
            raise ProjectAlreadyListedError(msg)
        self._project_added(
            code=project["code"], name=project["name"], lead_unit_id=project["lead_unit_id"],
            actor=actor, occurred_at=occurred_at,
        )

    @event("ProjectAdded")
    def _project_added(
        self, code: str, name: str, lead_unit_id: UUID, actor: Actor, occurred_at: datetime
    ) -> None:
        self.projects[code] = {"code": code, "name": name, "lead_unit_id": lead_unit_id}


class Inspection(DomainAggregate):
    """An inspection recorded once it took place: who led it, where, when, the units
    inspected and the problems found."""

    noun: ClassVar[str] = "inspection"
    NotFound: ClassVar[type[NotFoundError]] = InspectionNotFoundError

    @event("Recorded")
    def __init__(
        self,
        id: UUID,
        kind: str,
        project: dict[str, Any] | None,
        leader_person_id: UUID,
        leader_name: str,
        location: str,
        held_on: date,
        unit_ids: list[UUID],
        problems: list[dict[str, Any]],
        summary: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.kind = kind
        self.project = project
        self.leader_person_id = leader_person_id
        self.leader_name = leader_name
        self.location = location
        self.held_on = held_on
        self.unit_ids = list(unit_ids)
        self.problems = [dict(p) for p in problems]
        self.summary = summary

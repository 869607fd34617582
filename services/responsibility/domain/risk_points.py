"""The risk-point register (廉政风险点, seed §四(一)): for each post (a unit and a post title),
its integrity-risk points, each with a level and the control measures (防控措施). Individual
clauses of a letter are drafted from the signatory's post register, and are judged against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol, get_args
from uuid import UUID, uuid5

from eventsourcing.domain import event

from services.responsibility.domain.similarity import normalise
from services.responsibility.domain.units import ID_NAMESPACE
from shared.actors import Actor
from shared.contracts.responsibility import RiskLevel
from shared.domain import DomainAggregate
from shared.errors import ConflictError, InvalidCommandError, NotFoundError, NotPermittedError

RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)


class RiskRegisterNotFoundError(NotFoundError):
    pass


class RiskRegisterAlreadyExistsError(ConflictError):
    """A post has one register; revise it with ``update_risk_points``."""


class RiskPointListError(InvalidCommandError):
    """A post's risk points: at least one, each named once, with a known level and at least one
    control measure."""


class RiskRegisterNotPermittedError(NotPermittedError):
    """Only the party committee or the unit's own clerk keeps a post's register."""


class RiskPointTerms(Protocol):
    """A risk point as a command states it."""

    @property
    def name(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def measures(self) -> Sequence[str]: ...


def risk_key(name: str) -> str:
    """How risk points are matched: letters and digits only, full-width folded, lower-cased
    (so "工程 招投标" and "工程招投标" are one risk point)."""
    return normalise(name)


def post_key(post_title: str) -> str:
    return normalise(post_title)


def check_risk_points(points: Sequence[RiskPointTerms]) -> list[dict[str, Any]]:
    """A post's risk points as they are stored; refused (naming each problem) unless there is
    at least one, each named once, each with a level of the vocabulary and a control measure."""
    problems = []
    if not points:
        problems.append("a post's register lists at least one risk point")
    seen: dict[str, str] = {}
    for i, point in enumerate(points):
        key = risk_key(point.name)
        if not key:
            problems.append(f"risk_points.{i}.name: names no risk point")
        elif key in seen:
            problems.append(f"risk_points.{i}.name: {point.name!r} is listed twice")
        seen.setdefault(key, point.name)
        if point.level not in RISK_LEVELS:
            problems.append(
                f"risk_points.{i}.level: {point.level!r} is not a risk level "
                f"({', '.join(RISK_LEVELS)})"
            )
        if not [m for m in point.measures if m.strip()]:
            problems.append(
                f"risk_points.{i}.measures: {point.name!r} needs at least one control measure "
                "(防控措施)"
            )
    if problems:
        raise RiskPointListError("; ".join(problems) + ".")
    return [
        {"name": p.name.strip(), "level": p.level,
         "measures": [m.strip() for m in p.measures if m.strip()]}
        for p in points
    ]


def check_keeps_register(actor: Actor, unit_id: UUID, actor_is_party_committee: bool) -> None:
    """A post's register is kept by the party committee or by the clerk of the post's unit."""
    if actor_is_party_committee or actor.unit_id == unit_id:
        return
    msg = (
        f"Only the party committee or a clerk of unit {unit_id} may keep the risk-point "
        f"register of its posts; you act for unit {actor.unit_id}."
    )
    raise RiskRegisterNotPermittedError(msg)


def clause_outside_register(
    risk_point: str, register: Iterable[Mapping[str, Any]] | None
) -> bool:
    """Whether an individual clause's risk point is missing from the post's register (a post
    with no register has none, so every clause is outside it)."""
    if register is None:
        return True
    return risk_key(risk_point) not in {risk_key(p["name"]) for p in register}


class RiskRegister(DomainAggregate):
    """The integrity-risk points of one post (a unit and a post title)."""

    noun: ClassVar[str] = "risk-point register"
    NotFound: ClassVar[type[NotFoundError]] = RiskRegisterNotFoundError

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        return RiskRegisterNotFoundError(
            f"No risk-point register {aggregate_id}; register the post's risk points first."
        )

    @staticmethod
    def create_id(unit_id: UUID, post_title: str) -> UUID:
        return uuid5(ID_NAMESPACE, f"risk-register:{unit_id}:{post_key(post_title)}")

    @classmethod
    def register(
        cls,
        *,
        unit_id: UUID,
        post_title: str,
        risk_points: Sequence[RiskPointTerms],
        actor: Actor,
        occurred_at: datetime,
    ) -> RiskRegister:
        if not post_key(post_title):
            raise RiskPointListError("post_title: names no post.")
        return cls(
            id=cls.create_id(unit_id, post_title), unit_id=unit_id,
            post_title=post_title.strip(), risk_points=check_risk_points(risk_points),
            actor=actor, occurred_at=occurred_at,
        )

    @event("Registered")
    def __init__(
        self,
        id: UUID,
        unit_id: UUID,
        post_title: str,
        risk_points: list[dict[str, Any]],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.unit_id = unit_id
        self.post_title = post_title
        self.risk_points = [dict(p) for p in risk_points]
        # Every version with the business time it took effect: a letter signed (in business
        # time) before a revision is judged against the version before it.
        self.versions: list[tuple[datetime, list[dict[str, Any]]]] = [
            (occurred_at, self.risk_points)
        ]

    def as_at(self, moment: datetime) -> list[dict[str, Any]] | None:
        """The risk points in effect at ``moment`` (None: not yet registered then)."""
        in_effect = [points for effective_at, points in self.versions if effective_at <= moment]
        return in_effect[-1] if in_effect else None

    def update(
        self, risk_points: Sequence[RiskPointTerms], actor: Actor, occurred_at: datetime
    ) -> None:
        """The post's risk points as they now stand (the whole list, replacing the last)."""
        self._updated(
            risk_points=check_risk_points(risk_points), actor=actor, occurred_at=occurred_at
        )

    @event("Updated")
    def _updated(
        self, risk_points: list[dict[str, Any]], actor: Actor, occurred_at: datetime
    ) -> None:
        self.risk_points = [dict(p) for p in risk_points]
        self.versions.append((occurred_at, self.risk_points))

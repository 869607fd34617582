"""The district the audit trail and replay tests start from: a party committee, its finance
department whose head is the responsible cadre, and two of the department's tasks, both due
at the end of March, in responsibility's store beside supervision's. Each act is a command of
its own, under a trace of its own, as the service kit runs it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from shared import tracing
from shared.actors import Actor
from shared.persistence import store_environment
from shared.settings import StoreSettings


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def traced(work: Any) -> Any:
    """``work()`` as one command: under a trace of its own, as the service kit runs it."""
    with tracing.tracing(tracing.new_trace()):
        return work()


def two_tasks(r: Responsibilities) -> tuple[Actor, list[UUID]]:
    """The department's clerk (the leader acting for it) and its two tasks, created on
    10 and 12 January."""
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    leader_person = uuid.uuid4()
    pc = traced(lambda: r.register_unit(code="PC", name="**区委", kind="party_committee",
                                        actor=founder, occurred_at=at(1, 2)))
    dept = traced(lambda: r.register_unit(code="D01", name="区财政局",
                                          kind="district_department", parent_unit_id=pc,
                                          actor=founder, occurred_at=at(1, 2)))
    leader = traced(lambda: r.register_cadre(
        person_id=leader_person, name="王伟", unit_id=dept, post_title="局长",
        line_of_work="财政", leadership_member=True, top_leader=True, actor=founder,
        occurred_at=at(1, 3)))
    clerk = Actor(person_id=leader_person, unit_id=dept)
    tasks = [
        traced(lambda title=title, day=day: r.create_task(
            year=2026, title=title, requirement="逐岗排查", lead_unit_id=dept,
            responsible_cadre_id=leader, deadline=date(2026, 3, 31), actor=clerk,
            occurred_at=at(1, day)))
        for title, day in (("风险点排查", 10), ("台账整理", 12))
    ]
    return clerk, tasks


@contextmanager
def responsibility_and_supervision(
    store: StoreSettings,
) -> Iterator[tuple[Responsibilities, Supervision]]:
    r = Responsibilities(store_environment("responsibility", store))
    s = Supervision(store_environment("supervision", store))
    try:
        yield r, s
    finally:
        r.close()
        s.close()

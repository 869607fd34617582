"""Domain rules of inspections, key-project lists and unannounced visits."""

from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import uuid4

import pytest

from services.supervision.domain import (
    InvalidInspectionError,
    KeyProjectList,
    ProjectAlreadyListedError,
    ProjectNotOnListError,
    UnannouncedVisit,
    VisitAlreadyConductedError,
    VisitCancelledError,
    check_inspection,
    number_problems,
)
from shared.actors import Actor

ACTOR = Actor(person_id=uuid4(), unit_id=uuid4())
WHEN = datetime(2026, 5, 8, 9, 0, tzinfo=UTC)
UNIT = uuid4()


def problem(**overrides):
    return {"category": "work_discipline", "description": "上班时间脱岗", "unit_id": UNIT,
            "cadre_id": None, **overrides}


def test_an_inspection_records_where_and_at_least_one_unit():
    check_inspection("weekly", None, [UNIT], [problem()], "区政务大厅")
    with pytest.raises(InvalidInspectionError, match="at least one unit"):
        check_inspection("weekly", None, [], [], "区政务大厅")
    with pytest.raises(InvalidInspectionError, match="listed twice"):
        check_inspection("weekly", None, [UNIT, UNIT], [], "区政务大厅")
    with pytest.raises(InvalidInspectionError, match="where"):
        check_inspection("open_visit", None, [UNIT], [], "  ")
    with pytest.raises(InvalidInspectionError, match="no inspection kind"):
        check_inspection("picnic", None, [UNIT], [], "x")


def test_only_a_key_project_inspection_names_a_project():
    project = {"project_list_id": uuid4(), "code": "P001", "name": "棚户区改造",
               "lead_unit_id": UNIT}
    check_inspection("key_project", project, [UNIT], [], "项目工地")
    with pytest.raises(InvalidInspectionError, match="names the project"):
        check_inspection("key_project", None, [UNIT], [], "项目工地")
    with pytest.raises(InvalidInspectionError, match="Only a key-project"):
        check_inspection("weekly", project, [UNIT], [], "项目工地")


def test_each_problem_has_a_category_and_names_a_unit_or_a_cadre():
    check_inspection("weekly", None, [UNIT], [problem(unit_id=None, cadre_id=uuid4())], "x")
    with pytest.raises(InvalidInspectionError, match="Problem 2 names neither"):
        check_inspection("weekly", None, [UNIT], [problem(), problem(unit_id=None)], "x")
    with pytest.raises(InvalidInspectionError, match="Problem 1 has the category 'gossip'"):
        check_inspection("weekly", None, [UNIT], [problem(category="gossip")], "x")
    with pytest.raises(InvalidInspectionError, match="no description"):
        check_inspection("weekly", None, [UNIT], [problem(description=" ")], "x")


def test_problem_ids_are_stable_per_record_and_position():
    record = uuid4()
    first = number_problems(record, [problem(), problem(description="台账不全")])
    again = number_problems(record, [problem(), problem(description="台账不全")])
    assert [p["problem_id"] for p in first] == [p["problem_id"] for p in again]
    assert len({p["problem_id"] for p in first}) == 2
    assert number_problems(uuid4(), [problem()])[0]["problem_id"] != first[0]["problem_id"]


def test_scheduling_an_unannounced_visit_records_nothing_but_who_scheduled_it():
    visit = UnannouncedVisit(id=uuid4(), actor=ACTOR, occurred_at=WHEN)
    [scheduled] = visit.pending_events
    carried = set(vars(scheduled)) - {"originator_id", "originator_version", "timestamp",
                                      "originator_topic"}
    assert carried == {"actor", "occurred_at"}


def test_a_visit_is_conducted_once_with_where_when_and_whom():
    visit = UnannouncedVisit(id=uuid4(), actor=ACTOR, occurred_at=WHEN)
    visit.conduct(uuid4(), "张明", "**镇便民服务中心", date(2026, 5, 9), [UNIT],
                  [problem()], "午休时间无人值守", ACTOR, WHEN)
    # The event class is made at runtime by @event; mypy cannot see its fields.
    conducted = cast(Any, visit.pending_events[-1])
    assert conducted.location == "**镇便民服务中心"
    assert conducted.held_on == date(2026, 5, 9)
    assert conducted.unit_ids == [UNIT]
    assert conducted.problems[0]["problem_id"] is not None
    with pytest.raises(VisitAlreadyConductedError):
        visit.conduct(uuid4(), "张明", "x", date(2026, 5, 9), [UNIT], [], "", ACTOR, WHEN)
    with pytest.raises(VisitAlreadyConductedError):
        visit.cancel(ACTOR, WHEN)


def test_a_cancelled_visit_cannot_be_conducted():
    visit = UnannouncedVisit(id=uuid4(), actor=ACTOR, occurred_at=WHEN)
    visit.cancel(ACTOR, WHEN)
    with pytest.raises(VisitCancelledError, match="schedule a new visit"):
        visit.conduct(uuid4(), "张明", "x", date(2026, 5, 9), [UNIT], [], "", ACTOR, WHEN)


def test_a_key_project_list_names_each_project_once():
    projects = [{"code": "P001", "name": "棚户区改造", "lead_unit_id": UNIT}]
    with pytest.raises(ProjectAlreadyListedError, match="P001"):
        KeyProjectList.check_projects(projects * 2)
    key_projects = KeyProjectList(id=uuid4(), year=2026, name="2026年百个重点项目",
                                  projects=projects, actor=ACTOR, occurred_at=WHEN)
    assert key_projects.project("P001")["name"] == "棚户区改造"
    with pytest.raises(ProjectNotOnListError, match="P404"):
        key_projects.project("P404")
    key_projects.add_project({"code": "P002", "name": "道路提升", "lead_unit_id": UNIT},
                             ACTOR, WHEN)
    assert key_projects.project("P002")["name"] == "道路提升"
    with pytest.raises(ProjectAlreadyListedError):
        key_projects.add_project({"code": "P002", "name": "x", "lead_unit_id": UNIT},
                                 ACTOR, WHEN)

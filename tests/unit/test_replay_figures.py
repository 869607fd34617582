"""What ``dutytrail audit replay`` asks each application (dutytrail_ops/audit/_replay_figures.py):
every "as of" query found by its signature, its parameters filled in for the day, the
per-record queries once per listed record, and where two answers differ."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dutytrail_ops.audit._replay_figures import (
    Answer,
    Call,
    differences,
    for_records,
    listed_ids,
    plan,
)
from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from shared.persistence import store_environment

DAY = date(2026, 5, 15)


@pytest.fixture
def apps(sqlite_store: Any) -> Any:
    opened: list[Any] = [Responsibilities(store_environment("responsibility", sqlite_store)),
              Supervision(store_environment("supervision", sqlite_store))]
    yield opened
    for app in opened:
        app.close()


def test_each_query_is_asked_for_the_day(apps: Any) -> None:
    responsibility, supervision = apps
    general, per_record, skipped = plan(responsibility, DAY)
    labels = {call.label() for call in general}
    assert {"list_units()", "overdue_tasks()", "coverage(year=2026)",
            "education_totals(start=2026-01-01, end=2026-05-15)"} <= labels
    assert not any(c.query in ("check_deadlines", "run_clock", "refresh_gauges")
                   for c in general + per_record)
    assert {c.query for c in per_record} >= {"task_tree", "get_letter"}
    assert skipped == []
    # Quarters begun by 15 May: the first and the second.
    general, _, _ = plan(supervision, DAY)
    quarters = sorted(dict(c.arguments)["quarter"] for c in general
                      if c.query == "quarterly_compliance")
    assert quarters == [1, 2]


def test_a_per_record_query_is_asked_once_per_listed_record() -> None:
    listed = [Answer(Call("list_letters"), [{"letter_id": "a"}, {"letter_id": "b"}], None),
              Answer(Call("get_thing"), {"letter_id": "a", "other_id": "x"}, None)]
    template = Call("get_letter", (("letter_id", None),))
    calls = for_records(template, listed_ids(listed, "letter_id"))
    assert [c.label() for c in calls] == ["get_letter(letter_id=a)", "get_letter(letter_id=b)"]


def test_differences_name_each_path() -> None:
    stored = {"units": [{"code": "D01", "name": "区财政所"}, {"code": "PC"}], "count": 2}
    history = {"units": [{"code": "D01", "name": "区财政局"}, {"code": "PC"}, {"code": "T01"}],
               "count": 3, "extra": True}
    assert differences(stored, history) == [
        ("$.count", 2, 3),
        ("$.extra", None, True),
        ("$.units.length", 2, 3),
        ("$.units[0].name", "区财政所", "区财政局"),
    ]
    assert differences(stored, stored) == []
    assert differences(1, 1.0) == [("$", 1, 1.0)]

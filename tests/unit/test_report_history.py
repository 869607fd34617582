"""Small recorded histories for the district report's unit tests, built fact by fact so each
test knows its answers by construction; and how the report reads one stored event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from dutytrail_ops.report.facts import Fact, History, Period

YEAR = 2025
JAN_TO_NOV = Period(date(YEAR, 1, 1), date(YEAR, 11, 30))


def uid(name: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:test:report:{name}"))


def fact(event: str, day: date, subject: str = "", service: str = "responsibility",
         **data: Any) -> Fact:
    """One recorded act, at 10:00 UTC on ``day``; its subject derived from its content unless
    given."""
    return Fact(service, event, datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
                subject or uid(f"{event}:{day}:{sorted(data.items(), key=str)!r}"), data)


def unit(key: str, name: str, kind: str, parent: str | None = None,
         on: date = date(YEAR, 1, 2)) -> Fact:
    return fact("unit_registered", on, uid(key), unit_id=uid(key), code=key, name=name,
                kind=kind, parent_unit_id=uid(parent) if parent else None)


def district() -> list[Fact]:
    """The party committee, two departments, a town with two communities."""
    return [
        unit("pc", "**区委", "party_committee"),
        unit("finance", "区财政局", "district_department", "pc"),
        unit("housing", "区住建局", "district_department", "pc"),
        unit("town", "**镇", "town", "pc"),
        unit("c1", "**社区1", "community", "town"),
        unit("c2", "**社区2", "community", "town"),
    ]


def letter(key: str, issuer: str, signatory: str, signed_on: date | None,
           cadre: str | None = None) -> list[Fact]:
    drafted = fact("letter_drafted", date(YEAR, 1, 3), uid(key), letter_id=uid(key),
                   year=YEAR, issuer_unit_id=uid(issuer), signatory_unit_id=uid(signatory),
                   signatory_cadre_id=uid(cadre) if cadre else None)
    if signed_on is None:
        return [drafted]
    return [drafted, fact("letter_signed", signed_on, uid(key), letter_id=uid(key))]


def test_a_fact_is_read_from_the_events_cloudevent_form():
    event = {
        "type": "dutytrail.supervision.bulletin_issued.v1", "subject": uid("b"),
        "time": "2025-03-04T09:30:00+08:00", "recordedtime": "2025-03-05T01:00:00+00:00",
        "data": {"kind": "circular", "number": 3},
    }
    read = Fact.from_cloudevent(event)
    assert (read.service, read.name, read.subject) == ("supervision", "bulletin_issued", uid("b"))
    assert read.day == date(2025, 3, 4)  # the business time, not when it was recorded
    assert read.data["number"] == 3


def test_the_units_register_prefers_responsibility_to_what_others_learned():
    learned = fact("unit_file_opened", date(YEAR, 1, 3), service="supervision",
                   unit_id=uid("x"), name="旧名", kind="district_department",
                   parent_unit_id=None)
    registered = unit("x", "区审计局", "district_department")
    only_learned = fact("unit_learned", date(YEAR, 1, 3), service="funds", unit_id=uid("y"),
                        name="区统计局", kind="district_department", parent_unit_id=None)
    units = History([registered, learned, only_learned]).units()
    assert units[uid("x")].name == "区审计局"
    assert units[uid("y")].name == "区统计局"

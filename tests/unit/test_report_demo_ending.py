"""`dutytrail demo` ends with the district report for the seed's January to November of the
year it played, from the events the services stored (docs/report.md)."""

from __future__ import annotations

from typing import Any

from dutytrail_ops.demo import district_report_of
from tests.unit.test_report_history import uid


def cloudevent(event: str, time: str, service: str = "supervision", **data: Any) -> dict[str, Any]:
    return {"type": f"dutytrail.{service}.{event}.v1", "time": time, "subject": uid(time),
            "data": data}


def test_the_demo_reports_january_to_november_of_its_year_in_chinese():
    events = [
        cloudevent("unit_registered", "2025-01-02T10:00:00+00:00", "responsibility",
                   unit_id=uid("pc"), name="**区委", kind="party_committee",
                   parent_unit_id=None),
        cloudevent("bulletin_issued", "2025-01-06T10:00:00+00:00", kind="circular"),
        cloudevent("bulletin_issued", "2025-11-30T23:00:00+00:00", kind="circular"),
        cloudevent("bulletin_issued", "2025-12-01T09:00:00+00:00", kind="circular"),
        cloudevent("bulletin_issued", "2024-12-31T09:00:00+00:00", kind="special_report"),
    ]
    report = district_report_of(2025, events)
    assert report.startswith("**区党风廉政建设主体责任和监督责任落实情况报告（2025年1－11月）")
    assert "2025年1－11月，共印发《督查专报》0期、《督查通报》2期" in report
    assert "三、存在问题" in report

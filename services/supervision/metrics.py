"""The supervision service's gauges, set by the application after each run of the clock
(``Supervision.refresh_gauges``) from the domain's own rules."""

from __future__ import annotations

from prometheus_client import Gauge

NOTICES_OPEN = Gauge(
    "dutytrail_notices_open", "Open rectification notices by urgency colour, at the last check",
    ["service", "colour"],
)
NOTICES_OVERDUE = Gauge(
    "dutytrail_notices_overdue", "Rectification notices past their deadline, at the last check",
    ["service"],
)
REPORTS_MISSING = Gauge(
    "dutytrail_quarterly_reports_missing",
    "Units whose quarterly report is missing this quarter, at the last check", ["service"],
)

"""The casework service's gauges, set after each run of the clock
(``Casework.refresh_gauges``). Labels are stages and deadline names only: never a person,
a unit or a reporter."""

from __future__ import annotations

from prometheus_client import Gauge

MATTERS_OPEN = Gauge(
    "dutytrail_casework_matters_open",
    "Petitions, leads, cases and accountability examinations open, by stage, at the last check",
    ["service", "stage"],
)
DEADLINES_OVERDUE = Gauge(
    "dutytrail_casework_deadlines_overdue",
    "Casework deadlines past due and not met, by deadline, at the last check",
    ["service", "deadline"],
)

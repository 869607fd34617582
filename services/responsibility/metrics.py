"""The responsibility service's own Prometheus measures (docs/operations.md); the measures
every service shares are in ``shared.metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

TASKS_OVERDUE = Gauge(
    "dutytrail_tasks_overdue", "Tasks past their deadline and not completed, at the last check",
    ["service"],
)
LETTERS_FLAGGED = Counter(
    "dutytrail_letters_flagged_total",
    "Letters flagged as boilerplate copies of another post's letter", ["service"],
)
LETTERS_OUTSIDE_REGISTER = Counter(
    "dutytrail_letters_outside_risk_register_total",
    "Signed letters with individual clauses outside the signatory's post risk-point register",
    ["service"],
)

"""The funds service's gauges, set from its read model's running totals after the clock ran
and after each ledger (``Funds.refresh_gauges``). No label names a person, a programme or a
unit: the only labels are the service and a warning rule."""

from __future__ import annotations

from prometheus_client import Gauge

PAYMENTS_RECORDED = Gauge(
    "dutytrail_funds_payments_recorded", "Payments in the ledger, net of reversals",
    ["service"],
)
AMOUNT_DISBURSED = Gauge(
    "dutytrail_funds_amount_disbursed_yuan", "Yuan paid to beneficiaries, net of reversals",
    ["service"],
)
WARNINGS_OPEN = Gauge(
    "dutytrail_funds_warnings_open", "Warnings neither cleared nor transferred, by rule",
    ["service", "rule"],
)

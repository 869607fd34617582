"""Prometheus metrics shared by every service and relay process (one HTTP port each)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

COMMANDS = Counter(
    "dutytrail_commands_total", "Commands and queries handled, by name and outcome",
    ["service", "command", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "dutytrail_command_seconds", "Time to handle one command or query",
    ["service", "command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_STORED = Counter(
    "dutytrail_events_stored_total", "Domain events stored, by event class",
    ["service", "event"],
)
EVENTS_PUBLISHED = Counter(
    "dutytrail_events_published_total", "CloudEvents confirmed by the broker", ["service"]
)
RELAY_LAG = Gauge(
    "dutytrail_relay_lag", "Last stored position minus last published position", ["service"]
)
RELAY_POSITION = Gauge(
    "dutytrail_relay_position", "Last position the broker confirmed", ["service"]
)
DEAD_LETTERED = Counter(
    "dutytrail_dead_lettered_total", "Messages sent to the dead-letter queue, by reason",
    ["service", "reason"],
)
UPSTREAM_POSITION = Gauge(
    "dutytrail_upstream_position", "Last upstream position applied by a consumer",
    ["service", "upstream"],
)

TASKS_OVERDUE = Gauge(
    "dutytrail_tasks_overdue", "Tasks past their deadline and not completed, at the last check",
    ["service"],
)
LETTERS_FLAGGED = Counter(
    "dutytrail_letters_flagged_total",
    "Letters flagged as boilerplate copies of another post's letter", ["service"],
)

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

_started: set[int] = set()
_lock = threading.Lock()


def _threaded_server(port: int) -> None:
    start_http_server(port, addr="127.0.0.1")


def serve_metrics(port: int, start: Callable[[int], None] = _threaded_server) -> bool:
    """Start this process's metrics endpoint once; port 0 disables it.

    Several nameko containers may run in one process (tests): only the first starts a server,
    the others share the process-wide registry instead of colliding on the port. Under
    eventlet, pass a green ``start``: the standard threaded server blocks the hub.
    """
    if port <= 0:
        return False
    with _lock:
        if port in _started:
            return False
        try:
            start(port)
        except OSError as error:
            log.warning("metrics port %s unavailable: %s", port, error)
            return False
        _started.add(port)
        return True

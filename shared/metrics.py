"""Prometheus metrics every service and relay process shares (one HTTP port each); each
service defines its own domain gauges beside its application."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app, start_http_server

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

DEAD_LETTER_REASONS = ("undecodable", "poison", "delivery_limit")

_started: set[tuple[str, int]] = set()
_lock = threading.Lock()


class MetricsPortTakenError(RuntimeError):
    """Another process already serves metrics on this port; two must never share one."""


def metrics_app() -> Callable[..., Any]:
    """The WSGI application serving this process's registry."""
    app: Callable[..., Any] = make_wsgi_app()
    return app


def declare_service_series(service: str) -> None:
    """Create the series an alert needs before the first occurrence (a counter that has no
    series yet cannot be alerted on)."""
    for reason in DEAD_LETTER_REASONS:
        DEAD_LETTERED.labels(service, reason)


def _threaded_server(address: str, port: int) -> None:
    start_http_server(port, addr=address)


def serve_metrics(
    address: str, port: int, start: Callable[[str, int], None] = _threaded_server
) -> bool:
    """Start this process's metrics endpoint once; port 0 disables it.

    Several nameko containers may run in one process (tests): only the first starts a server,
    the others share the process-wide registry. A port another process holds is an error: the
    process must not start and silently go unscraped. Under eventlet, pass a green ``start``:
    the standard threaded server blocks the hub.
    """
    if port <= 0:
        return False
    with _lock:
        if (address, port) in _started:
            return False
        try:
            start(address, port)
        except OSError as error:
            msg = f"cannot serve metrics on {address}:{port}: {error.strerror or error}"
            raise MetricsPortTakenError(msg) from None
        _started.add((address, port))
        log.info("metrics on http://%s:%s/metrics", address, port)
        return True

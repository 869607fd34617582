"""Prometheus metrics every service and relay process shares (one HTTP port each); each
service defines its own domain gauges beside its application.

The port answers ``/metrics``, ``/healthz`` (the process is alive) and, in a process that
registered a readiness check (a relay), ``/readyz``; any other path is a 404, so that a probe
pointed at the wrong path fails instead of passing. Labels name public event types
(``dutytrail.responsibility.unit_registered.v1``), never the domain's class names, and every
series an alert rule needs exists from the start (deploy/prometheus/alerts.yml).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from shared.contracts import UnknownEventError, all_contracts, contract_for_domain_event

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
    "dutytrail_events_stored_total", "Domain events stored, by public event type",
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
DAMAGED_RECORDS = Gauge(
    "dutytrail_damaged_records",
    "Records whose stored history the last clock run found damaged and skipped",
    ["service"],
)
RELAY_LEADER = Gauge(
    "dutytrail_relay_leader", "1 while this relay is the one publishing its service's events",
    ["service"],
)

DEAD_LETTER_REASONS = ("undecodable", "poison", "delivery_limit")
COMMAND_OUTCOMES = ("ok", "refused", "error")
# The label of a stored event that has no public contract (the relay stops at it).
UNREGISTERED_EVENT = "unregistered"

# What a process's /readyz asks: each check returns its problems (none: ready).
ReadinessCheck = Callable[[], list[str]]
_readiness: dict[str, ReadinessCheck] = {}

_started: set[tuple[str, int]] = set()
_lock = threading.Lock()


class MetricsPortTakenError(RuntimeError):
    """Another process already serves metrics on this port; two must never share one."""


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def add_readiness_check(name: str, check: ReadinessCheck) -> None:
    """Make ``check`` part of this process's ``/readyz`` (a relay registers its own)."""
    _readiness[name] = check


def remove_readiness_check(name: str) -> None:
    _readiness.pop(name, None)


def readiness_problems() -> list[str] | None:
    """Every registered check's problems; None when no check is registered (the process's
    readiness is served elsewhere, like a service's on its HTTP port)."""
    if not _readiness:
        return None
    problems: list[str] = []
    for name, check in list(_readiness.items()):
        try:
            problems.extend(check())
        except Exception as error:  # noqa: BLE001 - a failing check is a reported problem
            problems.append(f"{name}: {type(error).__name__}: {error}")
    return problems


def _answer(
    start_response: StartResponse, status: str, body: dict[str, Any]
) -> Iterator[bytes]:
    data = json.dumps(body, separators=(",", ":")).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    yield data


def metrics_app() -> WsgiApp:
    """The WSGI application of a metrics port: ``/metrics``, ``/healthz``, ``/readyz``."""
    exposition: WsgiApp = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/metrics":
            return exposition(environ, start_response)
        if path == "/healthz":
            return _answer(start_response, "200 OK", {"alive": True})
        problems = readiness_problems() if path == "/readyz" else None
        if problems is None:
            return _answer(start_response, "404 Not Found", {"error": f"no {path} here"})
        status = "503 Service Unavailable" if problems else "200 OK"
        return _answer(start_response, status, {"ready": not problems, "problems": problems})

    return app


def stored_event_label(service: str, qualname: str) -> str | None:
    """The ``event`` label of a stored domain event: its public type; None for a confidential
    one, which no metric may reveal (docs/trust.md, "Confidential events")."""
    try:
        info = contract_for_domain_event(service, qualname)
    except UnknownEventError:
        return UNREGISTERED_EVENT
    return None if info.classification == "confidential" else info.type


def count_stored(service: str, qualnames: Iterable[str]) -> None:
    """Count newly stored events (``ServiceApplication.add_recorded_listener``)."""
    for qualname in qualnames:
        label = stored_event_label(service, qualname)
        if label is not None:
            EVENTS_STORED.labels(service, label).inc()


def declare_service_series(service: str, commands: Iterable[str] = ()) -> None:
    """Create, at 0, the series an alert or a dashboard needs before the first occurrence (a
    counter without a series cannot be alerted on): dead letters by reason, damaged records,
    each public event type stored, and each of ``commands`` (the entrypoints a metric may
    name) by outcome."""
    for reason in DEAD_LETTER_REASONS:
        DEAD_LETTERED.labels(service, reason)
    DAMAGED_RECORDS.labels(service)
    for info in all_contracts():
        if info.service == service and info.classification != "confidential":
            EVENTS_STORED.labels(service, info.type)
    for command in commands:
        for outcome in COMMAND_OUTCOMES:
            COMMANDS.labels(service, command, outcome)


def declare_relay_series(service: str) -> None:
    """A relay's series, present (at 0) before its first publication."""
    EVENTS_PUBLISHED.labels(service)
    RELAY_LAG.labels(service)
    RELAY_POSITION.labels(service)
    RELAY_LEADER.labels(service)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes every few seconds would drown the log."""


def _threaded_server(address: str, port: int) -> None:
    server = make_server(address, port, metrics_app(), ThreadingWSGIServer,
                         handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()


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

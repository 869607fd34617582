"""The HTTP side every service shares (docs/openapi.yaml): catch-up without nameko's RPC
protocol (``GET /events``), liveness and readiness (``GET /healthz``, ``GET /readyz``) and the
published JSON Schemas that the events' ``dataschema`` names (``GET /schemas/<type>.json``).

Each service listens on its own port: ``WEB_SERVER_ADDRESS`` in its nameko configuration if
set, else ``DUTYTRAIL_HTTP_ADDRESS`` (all interfaces) and ``DUTYTRAIL_<SERVICE>_HTTP_PORT``,
else ``DUTYTRAIL_HTTP_PORT``, else its declared metrics port minus 1000 (responsibility 8100,
supervision 8101, ...), so a new service gets it from its declaration. 0 picks a free port.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import eventlet
import eventlet.wsgi
from kombu.connection import Connection
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import BindAddress, WebServer, parse_address
from pydantic import ValidationError
from werkzeug.wrappers import Request, Response

from shared.application import ServiceApplication
from shared.clock import utcnow
from shared.commands import EventsAfter
from shared.contracts import ContractInfo, UnknownEventError, contract_for_type
from shared.contracts.base import earlier_majors
from shared.envelope import EnvelopeBuilder
from shared.errors import NotAuthenticatedError, NotPermittedError
from shared.feed import UpstreamFeed
from shared.roles import CLEARED, EVENT_READERS
from shared.settings import env
from shared.tokens import verify_token

log = logging.getLogger(__name__)
ACCESS_LOG = logging.getLogger("dutytrail.http.access")
ACCESS_LOG.setLevel(logging.WARNING)

WEB_SERVER_ADDRESS = "WEB_SERVER_ADDRESS"  # nameko's own configuration key
DEFAULT_LIMIT = 100
JSON = "application/json"
JSON_LINES = "application/x-ndjson"
SCHEMA_JSON = "application/schema+json"
# Declared metrics ports are 91xx; HTTP ports are the same minus 1000 (81xx).
HTTP_PORT_OFFSET = -1000


def http_port_variable(service: str) -> str:
    return f"DUTYTRAIL_{service.upper()}_HTTP_PORT"


def http_port(service: str, metrics_port: int) -> int:
    """The port ``service`` answers HTTP on (see the module's docstring)."""
    default = metrics_port + HTTP_PORT_OFFSET if metrics_port > -HTTP_PORT_OFFSET else 0
    generic = env("DUTYTRAIL_HTTP_PORT", str(default))
    return int(env(http_port_variable(service), generic))


def http_address() -> str:
    return env("DUTYTRAIL_HTTP_ADDRESS", "0.0.0.0")


class ServiceWebServer(WebServer):
    """nameko's web server, bound where the service's declaration and the environment say."""

    @property
    def bind_addr(self) -> BindAddress:
        configured = self.container.config.get(WEB_SERVER_ADDRESS)
        if configured:
            return parse_address(str(configured))
        declaration = self.container.service_cls.declaration
        return BindAddress(http_address(), http_port(declaration.name, declaration.metrics_port))

    def start(self) -> None:
        """nameko's start, except that the port is not shared: eventlet.listen would set
        SO_REUSEPORT, letting a second process on the same port take half the requests (and
        serve another store's events); here a taken port stops the service, as for metrics."""
        if getattr(self, "_starting", False):
            return
        self._starting = True
        self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
        self._sock.settimeout(None)  # as nameko does (kombu issue 838)
        self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
        self._gt = self.container.spawn_managed_thread(self.run)
        host, port = self._sock.getsockname()[:2]
        log.info("%s answers HTTP on %s:%s", self.container.service_name, host, port)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, *args: Any, **kwargs: Any) -> Any:
        """nameko's server, without an INFO line per request (the supervisor's /readyz
        probes would fill the log); errors are still logged."""
        server = super().get_wsgi_server(sock, wsgi_app, *args, **kwargs)
        server.log = eventlet.wsgi.get_logger(ACCESS_LOG, False)
        return server

    def port(self) -> int:
        """The bound port (useful when 0 asked for a free one)."""
        return int(self._sock.getsockname()[1])


class HttpEntrypoint(HttpRequestHandler):
    server = ServiceWebServer()


http = HttpEntrypoint.decorator


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, headers=headers or {}, mimetype=JSON)


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as one JSON object ``{"error": ...}`` with its status."""
    return _json(status, {"error": message, "status": status}, headers)


def broker_problem(uri: str) -> str | None:
    """Why the broker at ``uri`` does not answer, or None."""
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return f"broker: {type(error).__name__}: {error}"
    return None


class Readiness(DependencyProvider):
    """Whether the broker answers, with the container's own broker login."""

    def get_dependency(self, worker_ctx: Any) -> Readiness:
        return self

    def broker_problem(self) -> str | None:
        return broker_problem(self.container.config["AMQP_URI"])


def feed_limits() -> tuple[int, float]:
    """How far an upstream feed may be behind before the service is not ready: events
    (``DUTYTRAIL_READY_FEED_MAX_EVENTS``, 1000) and seconds
    (``DUTYTRAIL_READY_FEED_MAX_SECONDS``, 300)."""
    return (int(env("DUTYTRAIL_READY_FEED_MAX_EVENTS", "1000")),
            float(env("DUTYTRAIL_READY_FEED_MAX_SECONDS", "300")))


def view_limit() -> int:
    """How far behind the log a read model being written may be before the service is not
    ready (``DUTYTRAIL_READY_VIEW_MAX_EVENTS``, 1000 events)."""
    return int(env("DUTYTRAIL_READY_VIEW_MAX_EVENTS", "1000"))


def feed_readiness(feeds: Mapping[str, UpstreamFeed]) -> tuple[dict[str, Any], list[str]]:
    """Each upstream feed's position, the upstream's highest known and how long it has been
    behind; and a problem naming each feed behind by more than :func:`feed_limits`."""
    max_events, max_seconds = feed_limits()
    described: dict[str, Any] = {}
    problems: list[str] = []
    for upstream in sorted(feeds):
        try:
            lag = feeds[upstream].lag()
        except Exception as error:  # noqa: BLE001 - reported, not raised
            problems.append(f"feed {upstream}: {type(error).__name__}: {error}")
            continue
        lagging = lag.events > max_events or lag.seconds > max_seconds
        described[upstream] = {
            "position": lag.position, "upstream_position": lag.known,
            "behind_events": lag.events, "behind_seconds": round(lag.seconds, 1),
            "lagging": lagging,
        }
        if lagging:
            problems.append(
                f"feed {upstream}: {lag.events} events behind (at {lag.position}, "
                f"{upstream} at {lag.known}) for {lag.seconds:.0f} s; ready within "
                f"{max_events} events and {max_seconds:.0f} s"
            )
    return described, problems


def readiness(
    app: ServiceApplication[Any], broker: Callable[[], str | None],
    feeds: Mapping[str, UpstreamFeed] | None = None,
) -> Response:
    """``GET /readyz``: 200 when the store and the broker answer, no read model is being
    written further than :func:`view_limit` behind the log, and no upstream feed is behind
    by more than :func:`feed_limits`; else 503 naming each problem (and the feeds)."""
    problems: list[str] = []
    try:
        position = app.last_position()
    except Exception as error:  # noqa: BLE001 - reported, not raised
        problems.append(f"store: {type(error).__name__}: {error}")
        position = None
    if position is not None:
        problems += app.read_models_being_written(position, view_limit())
    found = broker()
    if found:
        problems.append(found)
    described, lagging = feed_readiness(feeds or {})
    problems += lagging
    body: dict[str, Any] = {"ready": not problems, "problems": problems, "position": position}
    if described:
        body["feeds"] = described
    return _json(503 if problems else 200, body)


_builders: dict[str, EnvelopeBuilder] = {}


def pinned_majors(service: str, types: list[str]) -> dict[str, ContractInfo]:
    """The earlier majors a caller pins (``pin=<type>``), by domain event; ValueError for a
    type that is not an earlier major of ``service`` still published today."""
    pins: dict[str, ContractInfo] = {}
    for event_type in types:
        try:
            info = contract_for_type(event_type)
        except UnknownEventError:
            info = None
        published = (
            earlier_majors(service, info.domain_event, utcnow().date()) if info else []
        )
        if info is None or info.service != service or info not in published:
            msg = f"{event_type} is not an earlier major of a {service} event still published"
            raise ValueError(msg)
        pins[info.domain_event] = info
    return pins


def pin_events(
    events: list[dict[str, Any]], pins: dict[str, ContractInfo], builder: EnvelopeBuilder
) -> list[dict[str, Any]]:
    """``events`` with each event whose domain event is pinned in its pinned major."""
    if not pins:
        return events
    pinned = []
    for event in events:
        info = pins.get(contract_for_type(str(event["type"])).domain_event)
        pinned.append(builder.as_earlier(event, info) if info is not None else event)
    return pinned


def catch_up(app: ServiceApplication[Any], request: Request) -> Response:
    """``GET /events?after=N&limit=M``: the events after position N, at most M positions read
    (1..500, default 100), confidential ones only for a cleared caller.

    The answer says where to continue (``next_after``, also the header X-Next-After) and
    whether more may follow (``more``, X-More): a page that hid confidential events is shorter
    than ``limit`` but still continues at ``next_after``."""
    try:
        caller = verify_token(request.headers.get("Authorization", ""))
    except NotAuthenticatedError as error:
        return problem(401, str(error), {"WWW-Authenticate": 'Bearer realm="dutytrail"'})
    if not caller.has_any(EVENT_READERS):
        held = ", ".join(sorted(caller.roles))
        message = f"This needs one of the roles {', '.join(EVENT_READERS)}; your token has {held}."
        return problem(403, str(NotPermittedError(message)))
    try:
        query = EventsAfter.model_validate({
            "after": request.args.get("after", "0"),
            "limit": request.args.get("limit", str(DEFAULT_LIMIT)),
        })
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return problem(400, f"after is a position >= 0, limit 1..500 ({details})")
    service = app.service_name
    try:
        pins = pinned_majors(service, request.args.getlist("pin"))
    except ValueError as error:
        return problem(400, str(error))
    page = app.events_after(query.after, query.limit, cleared=True)
    next_after = int(page[-1]["sequence"]) if page else query.after
    if not caller.has_any(CLEARED):
        page = [e for e in page if e.get("dataclassification") != "confidential"]
    more = app.last_position() > next_after
    if pins:
        if service not in _builders:
            _builders[service] = EnvelopeBuilder(service)
        page = pin_events(page, pins, _builders[service])
    headers = {"X-Next-After": str(next_after), "X-More": "true" if more else "false"}
    wants = request.args.get("format") or ""
    if wants == "jsonl" or (not wants and JSON_LINES in request.headers.get("Accept", "")):
        lines = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n"
                        for e in page)
        return Response(lines, status=200, headers=headers, mimetype=JSON_LINES)
    return _json(200, {"events": page, "next_after": next_after, "more": more}, headers)


def schema(event_type: str) -> Response:
    """``GET /schemas/<type>.json``: the published JSON Schema of one event type's data."""
    from shared.contracts.base import published_schema
    from shared.envelope import dataschema_for

    try:
        info = contract_for_type(event_type)
    except UnknownEventError as error:
        return problem(404, str(error))
    body = {"$id": dataschema_for(info.type), **published_schema(info)}
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return Response(text, status=200, mimetype=SCHEMA_JSON,
                    headers={"Cache-Control": "public, max-age=300"})


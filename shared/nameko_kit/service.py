"""The base of every nameko service class, wired from the service's declaration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from shared.clock import utcnow
from shared.commands import CheckDeadlines, EventsAfter, arguments, parse_command
from shared.declaration import ServiceDeclaration
from shared.errors import NotPermittedError
from shared.feed import UpstreamFeed
from shared.ledger.config import checkpoint_interval_seconds
from shared.ledger.service_side import sign_checkpoint
from shared.nameko_kit.consumer import rpc_pull, upstream_handler
from shared.nameko_kit.draining import drain_in_short_steps
from shared.nameko_kit.entrypoints import EXPECTED, admitting
from shared.nameko_kit.http import Readiness, catch_up, http, readiness, schema
from shared.nameko_kit.providers import (
    CallerProvider,
    ServiceIdentity,
    ServiceMetrics,
    TraceProvider,
    UpstreamFeeds,
)
from shared.roles import AUDITOR, CLEARED, EVENT_READERS, SERVICE, SYSTEM_CLOCK
from shared.settings import clock_skew_seconds
from shared.tracing import per_record

drain_in_short_steps()  # a stop takes a fraction of a second (shared/nameko_kit/draining.py)

# How often a consumer pulls each upstream, whatever was delivered: it covers an event whose
# message never arrived and a pull that failed (docs/reliability.md).
PULL_INTERVAL_SECONDS = 5.0
CLOCK_INTERVAL_SECONDS = 3600


class ServiceKit:
    """Subclass it with ``declaration = DECLARATION`` and ``app = ApplicationProvider(App)``.

    Every service gets the catch-up query ``events_after`` (services, subscribers, auditors),
    the clock ``check_deadlines`` (an RPC for the system clock, as of now or earlier, and an
    hourly timer), a timer that signs a checkpoint of the log (docs/audit.md), ``ping`` (open
    to all), HTTP ``GET /events``, ``/healthz``, ``/readyz``
    and ``/schemas/<type>.json`` (shared/nameko_kit/http.py), its metrics, the verification
    of every caller's token and its own token for the calls it makes by itself; a service
    with upstreams also gets, per upstream, an ``on_<upstream>_event`` handler on a
    dead-lettering quorum queue, an RPC proxy for pulls, a pull timer and
    ``upstream_position``.
    """

    declaration: ClassVar[ServiceDeclaration]
    pull_interval: ClassVar[float] = PULL_INTERVAL_SECONDS
    name: ClassVar[str]
    app: Any
    feeds: dict[str, UpstreamFeed]  # set when the declaration names upstreams
    metrics = ServiceMetrics()
    caller = CallerProvider()
    identity = ServiceIdentity()
    readiness_checks = Readiness()
    trace = TraceProvider()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declaration: ServiceDeclaration | None = cls.__dict__.get("declaration")
        if declaration is None:
            return
        cls.name = declaration.name
        if declaration.upstreams:
            _wire_upstreams(cls, declaration.upstreams)

    @rpc(expected_exceptions=EXPECTED)
    @admitting(EVENT_READERS)
    def events_after(self, query: Any = None) -> list[dict[str, Any]]:
        q = parse_command(EventsAfter, query or {})
        cleared = self.caller.require(EVENT_READERS).has_any(CLEARED)
        events: list[dict[str, Any]] = self.app.events_after(**arguments(q), cleared=cleared)
        return events

    @rpc(expected_exceptions=EXPECTED)
    @per_record
    @admitting((SYSTEM_CLOCK,))
    def check_deadlines(self, command: Any) -> Any:
        c = parse_command(CheckDeadlines, command)
        latest = utcnow() + timedelta(seconds=clock_skew_seconds())
        if c.as_of > latest:
            msg = (
                f"The clock checks deadlines as of now, not as of {c.as_of.isoformat()}: "
                "a deadline in the future has not passed yet."
            )
            raise NotPermittedError(msg)
        run = self.app.run_clock(c.as_of)
        self.app.refresh_gauges(c.as_of.date())
        return run.answer()

    @timer(interval=CLOCK_INTERVAL_SECONDS)
    @per_record
    def check_deadlines_now(self) -> None:
        now = utcnow()
        self.app.run_clock(now)
        self.app.refresh_gauges(now.date())

    # The ledger (docs/audit.md): a signed checkpoint of the log, if it grew, stored as an
    # event of the log and published like any other.
    @timer(interval=checkpoint_interval_seconds())
    def sign_checkpoint_now(self) -> None:
        sign_checkpoint(self.app)

    @rpc
    def ping(self) -> str:
        return utcnow().isoformat()

    # HTTP (shared/nameko_kit/http.py, docs/openapi.yaml): catch-up without nameko's RPC
    # protocol, liveness, readiness and the published schemas.

    @http("GET", "/events")
    def http_events(self, request: Any) -> Any:
        return catch_up(self.app, request)

    @http("GET", "/healthz")
    def http_healthz(self, request: Any) -> Any:
        return 200, {"Content-Type": "application/json"}, '{"alive":true}'

    @http("GET", "/readyz")
    def http_readyz(self, request: Any) -> Any:
        feeds = getattr(self, "feeds", None)  # a service with upstreams has them
        return readiness(self.app, self.readiness_checks.broker_problem, feeds)

    @http("GET", "/schemas/<event_type>.json")
    def http_schema(self, request: Any, event_type: str) -> Any:
        return schema(event_type)


def _wire_upstreams(cls: type[ServiceKit], upstreams: tuple[str, ...]) -> None:
    """The consumer of each upstream, built from the declaration (docs/reliability.md)."""
    attributes: dict[str, Any] = {"feeds": UpstreamFeeds(upstreams)}
    for upstream in upstreams:
        attributes[f"{upstream}_rpc"] = RpcProxy(upstream)
        attributes[f"on_{upstream}_event"] = _event_handler(upstream)

    def pull_upstreams(self: Any) -> int:
        return sum(
            self.feeds[upstream].retry(rpc_pull(getattr(self, f"{upstream}_rpc")))
            for upstream in upstreams
        )

    @admitting((AUDITOR, SERVICE))
    def upstream_position(self: Any, query: Any = None) -> dict[str, int]:
        return {upstream: self.feeds[upstream].position() for upstream in upstreams}

    attributes["pull_upstreams"] = timer(interval=cls.pull_interval)(pull_upstreams)
    attributes["upstream_position"] = rpc(expected_exceptions=EXPECTED)(upstream_position)
    for name, value in attributes.items():
        setattr(cls, name, value)


def _event_handler(upstream: str) -> Any:
    def on_event(self: Any, cloud_event: Any) -> str:
        proxy = getattr(self, f"{upstream}_rpc")
        outcome: str = self.feeds[upstream].deliver(cloud_event, rpc_pull(proxy))
        return outcome

    on_event.__name__ = on_event.__qualname__ = f"on_{upstream}_event"
    return upstream_handler(upstream)(on_event)

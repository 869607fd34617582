"""Dependency providers, one job each: the application, the upstream feeds, the metrics."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from shared import metrics
from shared.application import ServiceApplication
from shared.clock import utcnow
from shared.errors import DomainError, NotPermittedError
from shared.feed import UpstreamFeed
from shared.policy import Reactions
from shared.roles import Role
from shared.settings import metrics_address, metrics_port
from shared.signing import EventVerifier
from shared.tokens import SERVICE_TOKEN_SECONDS, Caller, issue_service_token, verify_token
from shared.tracing import ATTRIBUTE as TRACEPARENT
from shared.tracing import PER_RECORD_ATTRIBUTE, from_caller, new_trace, reset, set_current

log = logging.getLogger(__name__)

# Set on an entrypoint whose calls no metric may reveal (see entrypoints.command).
CONFIDENTIAL_ATTRIBUTE = "__dutytrail_confidential__"

# The call-context key (an AMQP header ``nameko.authorization``) that carries the token.
AUTHORIZATION = "authorization"


class ApplicationProvider(DependencyProvider):
    """Builds the service's eventsourcing application once per container (nameko makes a
    worker per call) and hands the same one to every worker."""

    def __init__(self, factory: Callable[[], ServiceApplication[Any]], **kwargs: Any) -> None:
        self.factory = factory
        self.app: ServiceApplication[Any] | None = None
        super().__init__(**kwargs)

    def setup(self) -> None:
        self.app = self.factory()
        # The container's workers, spawned or running (nameko keeps them until they end).
        workers = self.container._worker_threads
        self.app.count_work_with(lambda: len(workers))

    def stop(self) -> None:
        if self.app is not None:
            self.app.close()

    def get_dependency(self, worker_ctx: Any) -> ServiceApplication[Any]:
        assert self.app is not None
        return self.app


def _application_of(container: Any) -> ServiceApplication[Any]:
    """The application built by the container's (only) ApplicationProvider."""
    for dependency in container.dependencies:
        if isinstance(dependency, ApplicationProvider) and dependency.app is not None:
            return dependency.app
    msg = f"{container.service_cls.__name__} has no ApplicationProvider"
    raise RuntimeError(msg)


class UpstreamFeeds(DependencyProvider):
    """One :class:`UpstreamFeed` per declared upstream, applying the application's
    ``@reacts_to`` reactions for that upstream to the events its public key verifies
    (docs/contract.md, "Verifying events")."""

    def __init__(self, upstreams: tuple[str, ...], **kwargs: Any) -> None:
        self.upstreams = upstreams
        self.feeds: dict[str, UpstreamFeed] = {}
        super().__init__(**kwargs)

    def start(self) -> None:
        app = _application_of(self.container)
        service = self.container.service_name
        for upstream in self.upstreams:
            gauge = metrics.UPSTREAM_POSITION.labels(service, upstream)
            self.feeds[upstream] = UpstreamFeed(
                app, upstream, Reactions(app, upstream), on_applied=gauge.set,
                verifier=EventVerifier.for_service(upstream),
            )
            gauge.set(self.feeds[upstream].position())

    def get_dependency(self, worker_ctx: Any) -> dict[str, UpstreamFeed]:
        return self.feeds


def _green_metrics_server(address: str, port: int) -> None:
    """prometheus-client's threaded server blocks the eventlet hub; serve it green. No
    SO_REUSEPORT: a second process on the same port must fail, not take half the scrapes."""
    import eventlet
    import eventlet.wsgi

    sock = eventlet.listen((address, port), reuse_port=False)
    quiet = logging.getLogger("dutytrail.metrics.http")
    quiet.setLevel(logging.WARNING)
    eventlet.spawn_n(
        eventlet.wsgi.server, sock, metrics.metrics_app(), log=quiet, log_output=False
    )


class ServiceMetrics(DependencyProvider):
    """The process's /metrics endpoint, and the measures every service shares: each
    entrypoint's outcome and latency, and every stored event."""

    def __init__(self, **kwargs: Any) -> None:
        self._started: dict[Any, float] = {}
        super().__init__(**kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        configured = self.container.config.get("METRICS_PORT")
        default = self.container.service_cls.declaration.metrics_port
        port = int(configured) if configured is not None else metrics_port(service, False, default)
        metrics.serve_metrics(metrics_address(), port, start=_green_metrics_server)

    def start(self) -> None:
        service = self.container.service_name
        app = _application_of(self.container)
        # Labelled by public type; a confidential act (an unannounced visit scheduled) must
        # not show in a counter or its timestamps before it is disclosed (docs/trust.md).
        app.add_recorded_listener(functools.partial(metrics.count_stored, service))
        metrics.declare_service_series(service, self._public_entrypoints())
        # The domain gauges exist from the start, with true values, not after the first
        # hourly clock run (an alert on their rise needs them).
        self.container.spawn_managed_thread(self._refresh_gauges)

    def _public_entrypoints(self) -> list[str]:
        names = {entrypoint.method_name for entrypoint in self.container.entrypoints}
        return sorted(
            name for name in names
            if not getattr(getattr(self.container.service_cls, name, None),
                           CONFIDENTIAL_ATTRIBUTE, False)
        )

    def _refresh_gauges(self) -> None:
        try:
            _application_of(self.container).refresh_gauges(utcnow().date())
        except Exception:
            log.warning("could not set the %s gauges at start; the clock sets them",
                        self.container.service_name, exc_info=True)

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        method = getattr(self.container.service_cls, name, None)
        if getattr(method, CONFIDENTIAL_ATTRIBUTE, False):
            return  # not even that it was called, nor when
        service = self.container.service_name
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], DomainError):
            outcome = "refused"
        else:
            outcome = "error"
        metrics.COMMANDS.labels(service, name, outcome).inc()
        if started is not None:
            metrics.COMMAND_SECONDS.labels(service, name).observe(time.perf_counter() - started)


class CallerCheck:
    """The caller of one RPC: verified on demand against the roles an entrypoint admits."""

    def __init__(self, authorization: Any) -> None:
        self.authorization = authorization
        self._verified: Caller | None = None

    def require(self, roles: Sequence[Role]) -> Caller:
        if self._verified is None:
            self._verified = verify_token(self.authorization)
        caller = self._verified
        if not caller.has_any(roles):
            held = ", ".join(sorted(caller.roles))
            msg = f"This needs one of the roles {', '.join(roles)}; your token has {held}."
            raise NotPermittedError(msg)
        return caller


class CallerProvider(DependencyProvider):
    """Hands each RPC worker the token its caller sent in nameko's call context (the
    ``authorization`` key); nothing else may name the actor of a command."""

    def get_dependency(self, worker_ctx: Any) -> CallerCheck:
        # Read now, before any worker_setup runs: a call without a token must never pick up
        # the service's own identity below.
        return CallerCheck(worker_ctx.data.get(AUTHORIZATION))


class ServiceIdentity(DependencyProvider):
    """The service's own token on the calls it makes by itself (pulling an upstream's
    events from a message handler or a timer); never on an RPC a caller made."""

    def __init__(self, **kwargs: Any) -> None:
        self._token = ""
        self._expires = 0.0
        super().__init__(**kwargs)

    def worker_setup(self, worker_ctx: Any) -> None:
        if isinstance(worker_ctx.entrypoint, Rpc | HttpRequestHandler):
            return  # a caller's call: only the caller's own token may act
        worker_ctx.data[AUTHORIZATION] = f"Bearer {self._current()}"

    def _current(self) -> str:
        if time.monotonic() > self._expires:
            self._token = issue_service_token(self.container.service_name)
            self._expires = time.monotonic() + SERVICE_TOKEN_SECONDS / 2
        return self._token


class TraceProvider(DependencyProvider):
    """Sets each worker's trace (shared/tracing.py, docs/tracing.md) in the worker's own green
    thread: an RPC's from the caller's ``traceparent`` (nameko's call context) if valid, an
    HTTP request's from its ``traceparent`` header, anything else (a timer, a consumed
    message: the feed continues each event's own trace) a new one. The worker's calls to
    other services carry it on."""

    def __init__(self, **kwargs: Any) -> None:
        self._tokens: dict[Any, Any] = {}
        super().__init__(**kwargs)

    def worker_setup(self, worker_ctx: Any) -> None:
        method = getattr(self.container.service_cls, worker_ctx.entrypoint.method_name, None)
        fan_out = bool(getattr(method, PER_RECORD_ATTRIBUTE, False))
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, Rpc):
            context = from_caller(worker_ctx.data.get(TRACEPARENT), per_record=fan_out)
        elif isinstance(entrypoint, HttpRequestHandler) and worker_ctx.args:
            headers = getattr(worker_ctx.args[0], "headers", None)
            sent = headers.get(TRACEPARENT) if headers is not None else None
            context = from_caller(sent, per_record=fan_out)
        else:
            context = new_trace(per_record=fan_out)
        worker_ctx.data[TRACEPARENT] = context.traceparent
        self._tokens[worker_ctx] = set_current(context)

    def worker_teardown(self, worker_ctx: Any) -> None:
        token = self._tokens.pop(worker_ctx, None)
        if token is not None:
            try:
                reset(token)
            except ValueError:  # not this green thread's: nothing of ours to undo
                log.debug("trace context of %s set elsewhere", worker_ctx)

"""Everything nameko: the application provider, command metrics, the dead-lettering upstream
handler and the service configuration. Services import nameko only here and in service.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import eventlet
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.mixins import ConsumerMixin
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.rpc import rpc
from nameko.timer import timer

from shared import metrics
from shared.clock import utcnow
from shared.commands import CheckDeadlines, EventsAfter, parse_command
from shared.envelope import (
    CONTENT_ENCODING,
    CONTENT_TYPE,
    SERIALIZER_NAME,
    register_content_type,
)
from shared.errors import DomainError, PoisonMessageError
from shared.feed import Pull, UpstreamFeed
from shared.persistence import ServiceApplication
from shared.settings import amqp_uri, delivery_limit, service_metrics_port

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "dutytrail.dead-letter"
DEAD_LETTER_QUEUE = "dutytrail.dead-letters"
PULL_TIMEOUT_SECONDS = 15.0


def service_config(**overrides: Any) -> dict[str, Any]:
    """The nameko configuration every service runs with (mirrored in deploy/*.yaml)."""
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri(),
        "SERIALIZER": "json",
        "ACCEPT": ["json", SERIALIZER_NAME],
        "SERIALIZERS": {
            SERIALIZER_NAME: {
                "encoder": "shared.envelope.encode",
                "decoder": "shared.envelope.decode",
                "content_type": CONTENT_TYPE,
                "content_encoding": CONTENT_ENCODING,
            }
        },
        "max_workers": 10,
    }
    config.update(overrides)
    return config


def _green_metrics_server(port: int) -> None:
    """prometheus-client's threaded server blocks the eventlet hub; serve it green."""
    import eventlet.wsgi
    from prometheus_client import make_wsgi_app

    sock = eventlet.listen(("127.0.0.1", port))
    quiet = logging.getLogger("dutytrail.metrics.http")
    quiet.setLevel(logging.WARNING)
    eventlet.spawn_n(eventlet.wsgi.server, sock, make_wsgi_app(), log=quiet, log_output=False)


class ApplicationProvider(DependencyProvider):
    """Builds the service's eventsourcing application once per container, counts stored
    events, and measures every entrypoint (name, outcome, latency)."""

    def __init__(self, factory: Callable[[], ServiceApplication], **kwargs: Any) -> None:
        self.factory = factory
        self.app: ServiceApplication | None = None
        self._started: dict[Any, float] = {}
        super().__init__(**kwargs)

    def setup(self) -> None:
        register_content_type()
        service = self.container.service_name
        self.app = self.factory()

        def count_stored(names: list[str]) -> None:
            for name in names:
                metrics.EVENTS_STORED.labels(service, name).inc()

        self.app.add_recorded_listener(count_stored)
        metrics.serve_metrics(
            int(self.container.config.get("METRICS_PORT", service_metrics_port(service))),
            start=_green_metrics_server,
        )

    def stop(self) -> None:
        if self.app is not None:
            self.app.close()

    def get_dependency(self, worker_ctx: Any) -> ServiceApplication:
        assert self.app is not None
        return self.app

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
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


def rpc_pull(proxy: Any) -> Pull:
    """A pull function over an upstream's ``events_after`` RPC, bounded in time so that a
    missing upstream never holds the feed's lock for ever (the timer retries).

    The timeout raises an ordinary ``TimeoutError``: ``eventlet.Timeout`` itself derives from
    ``BaseException``, which neither the feed nor nameko's worker catches (the message would
    stay unacknowledged, the feed would not know it is behind, and the container would log a
    crashed thread)."""

    def pull(after: int, limit: int) -> list[dict[str, Any]]:
        timed_out = TimeoutError(f"events_after did not answer within {PULL_TIMEOUT_SECONDS}s")
        with eventlet.Timeout(PULL_TIMEOUT_SECONDS, timed_out):
            page: list[dict[str, Any]] = proxy.events_after({"after": after, "limit": limit})
            return page

    return pull


class UpstreamFeeds(DependencyProvider):
    """One :class:`UpstreamFeed` per upstream, built on the service's application.

    ``app_provider`` is the service's own ``ApplicationProvider`` class attribute. nameko binds
    a copy of every extension it finds on an extension's attributes (and cannot bind a
    dependency provider that way), so the prototype is kept out of sight in a tuple, and the
    copy bound to this container is looked up when the container starts.
    """

    def __init__(
        self,
        app_provider: ApplicationProvider,
        policies: dict[str, Callable[[ServiceApplication], Any]],
        **kwargs: Any,
    ) -> None:
        self._app_provider_prototype = (app_provider,)
        self.policies = policies
        self.feeds: dict[str, UpstreamFeed] = {}
        super().__init__(**kwargs)

    def _bound_app_provider(self) -> ApplicationProvider:
        prototype = self._app_provider_prototype[0]
        service_cls = self.container.service_cls
        for dependency in self.container.dependencies:
            if getattr(service_cls, dependency.attr_name, None) is prototype:
                assert isinstance(dependency, ApplicationProvider)
                return dependency
        msg = f"{service_cls.__name__} has no attribute holding the ApplicationProvider given"
        raise RuntimeError(msg)

    def start(self) -> None:
        app = self._bound_app_provider().app
        assert app is not None
        service = self.container.service_name
        for upstream, policy_of in self.policies.items():
            gauge = metrics.UPSTREAM_POSITION.labels(service, upstream)
            self.feeds[upstream] = UpstreamFeed(
                app, upstream, policy_of(app), on_applied=gauge.set
            )

    def get_dependency(self, worker_ctx: Any) -> dict[str, UpstreamFeed]:
        return self.feeds


class DeadLetteringQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that an undecodable message (bad JSON, a content type
    nobody accepts) is rejected to the dead-letter exchange instead of acknowledged away."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        log.error(
            "undecodable message (content type %r) sent to %s: %s",
            message.content_type, DEAD_LETTER_QUEUE, exc,
        )
        metrics.DEAD_LETTERED.labels(self.container.service_name, "undecodable").inc()
        message.reject(requeue=False)


# Keep kombu's mixin hook reachable for the subclass (nameko passes it to every consumer).
assert hasattr(ConsumerMixin, "on_decode_error")


def declare_dead_letter_queue(uri: str) -> None:
    exchange = Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True)
    queue = Queue(
        DEAD_LETTER_QUEUE, exchange=exchange, durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )
    with Connection(uri) as conn:
        queue(conn.default_channel).declare()


class UpstreamEventHandler(EventHandler):
    """``@event_handler(upstream, "#")`` on a quorum queue with a delivery limit and a
    dead-letter exchange (DESIGN §3): a failing handler is retried a few times and then
    dead-lettered; a poison message is dead-lettered at once."""

    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, source_service: str, **kwargs: Any) -> None:
        super().__init__(source_service, "#", requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        super().setup()
        uri = self.container.config["AMQP_URI"]
        declare_dead_letter_queue(uri)
        limit = int(self.container.config.get("DELIVERY_LIMIT", delivery_limit()))
        self.delivery_limit = limit
        nameko_queue: Any = getattr(self, "queue")  # noqa: B009 - untyped nameko attribute
        self.queue = Queue(
            nameko_queue.name,
            exchange=nameko_queue.exchange,
            routing_key="#",
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": limit,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            },
        )

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        service = self.container.service_name
        if exc_info is not None and isinstance(exc_info[1], PoisonMessageError):
            log.error("poison message sent to %s: %s", DEAD_LETTER_QUEUE, exc_info[1])
            metrics.DEAD_LETTERED.labels(service, "poison").inc()
            message.reject(requeue=False)
            return
        if exc_info is not None:
            deliveries = int((message.headers or {}).get("x-delivery-count", 0)) + 1
            if deliveries > self.delivery_limit:
                metrics.DEAD_LETTERED.labels(service, "delivery_limit").inc()
        super().handle_message_processed(message, result, exc_info)


upstream_handler = UpstreamEventHandler.decorator


class ServiceEntrypoints:
    """The entrypoints every service has: catch-up reading, the clock and a ping.

    A service class inherits them and says, in ``record_gauges``, which metrics the clock
    refreshes. ``app`` is the service's ApplicationProvider attribute.
    """

    app: Any

    @rpc(expected_exceptions=(DomainError,))
    def events_after(self, query: Any = None) -> list[dict[str, Any]]:
        q = parse_command(EventsAfter, query or {})
        events: list[dict[str, Any]] = self.app.events_after(q.after, q.limit)
        return events

    @rpc(expected_exceptions=(DomainError,))
    def check_deadlines(self, command: Any) -> list[str]:
        c = parse_command(CheckDeadlines, command)
        recorded = self.app.check_deadlines(c.as_of)
        self.record_gauges(c.as_of.date())
        return [str(i) for i in recorded]

    @timer(interval=3600)
    def check_deadlines_now(self) -> None:
        now = utcnow()
        self.app.check_deadlines(now)
        self.record_gauges(now.date())

    @rpc
    def ping(self) -> str:
        return utcnow().isoformat()

    def record_gauges(self, as_of: date) -> None:
        """Refresh the service's gauges after the clock ran."""

"""A small consuming service used only by the tests: ``ledger_probe``, built with the same
service kit as production services (declaration, ``@reacts_to`` reactions, the kit's queue,
dead-lettering, pull timer and feed), so the consumer the tests prove is the one services run.

For every responsibility event it reacts to, it records the event's position in one log
aggregate per upstream (``AppliedLog``), so "applied exactly once, in order" can be read back
from its own store: the log's entries are the applied positions in the order they were
applied, and the tracking row is the last position seen. Events of ``IGNORED_TYPES`` have no
reaction, but their positions still advance tracking.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import eventlet
from eventsourcing.domain import event
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.exceptions import ChannelError
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from shared.application import ServiceApplication
from shared.contracts import all_contracts
from shared.declaration import ServiceDeclaration
from shared.domain import DomainAggregate
from shared.nameko_kit import ApplicationProvider, ServiceKit
from shared.policy import UpstreamEvent, reacts_to
from shared.readmodel import Projection

PROBE_STORE = "ledger_probe"
UPSTREAM = "responsibility"
IGNORED_TYPES = frozenset({"dutytrail.responsibility.cadre_registered.v1"})
RETRY_INTERVAL = 0.5

# What each delivery turned out to be (applied / duplicate / pulled, and events applied by
# the pull timer as timer_pulled), and how often each CloudEvent id reached a handler, per
# nameko service name.
OUTCOMES: dict[str, Counter[str]] = {}
ATTEMPTS: dict[str, Counter[str]] = {}

REACTED_TO = tuple(
    info.model for info in all_contracts()
    if info.service == UPSTREAM and info.type not in IGNORED_TYPES
)


def log_id(upstream: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:dutytrail:test:{PROBE_STORE}:log:{upstream}")


class AppliedLog(DomainAggregate):
    """The positions of one upstream's events, in the order this consumer applied them."""

    noun = "applied log"

    @staticmethod
    def create_id(upstream: str) -> UUID:
        return log_id(upstream)

    @event("Started")
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.entries: list[dict[str, Any]] = []
        self.notes: list[str] = []

    @event("Applied")
    def applied(self, sequence: int, event_id: str, event_type: str) -> None:
        self.entries.append({"sequence": sequence, "id": event_id, "type": event_type})

    @event("Noted")
    def note(self, text: str) -> None:
        """A local command on the same aggregate (used to force a concurrency conflict)."""
        self.notes.append(text)


class LedgerProbe(ServiceApplication[Projection]):
    """The probe's eventsourcing application; its store comes from ``store_environment``."""

    service_name: ClassVar[str] = PROBE_STORE

    @reacts_to(*REACTED_TO)
    def record_responsibility_event(self, upstream_event: UpstreamEvent[Any]) -> list[Any]:
        return self.record(UPSTREAM, upstream_event)

    def record(self, upstream: str, upstream_event: UpstreamEvent[Any]) -> list[Any]:
        log = self.find(log_id(upstream), AppliedLog) or AppliedLog(upstream)
        log.applied(upstream_event.sequence, upstream_event.id, upstream_event.type)
        return [log]

    def note(self, upstream: str, text: str) -> None:
        log = self.find(log_id(upstream), AppliedLog) or AppliedLog(upstream)
        log.note(text)
        self.save(log)

    def applied_positions(self, upstream: str = UPSTREAM) -> list[int]:
        log = self.find(log_id(upstream), AppliedLog)
        return [] if log is None else [entry["sequence"] for entry in log.entries]

    def position(self, upstream: str = UPSTREAM) -> int:
        return self.process_recorder.max_tracking_id(upstream) or 0


class DeliveryLog(DependencyProvider):
    """Test instrumentation around the kit's entrypoints (it changes nothing they do): counts
    each upstream handler's attempts by CloudEvent id and its outcomes, and what the kit's
    pull timer applied."""

    def worker_setup(self, worker_ctx: Any) -> None:
        if _is_upstream_handler(worker_ctx) and worker_ctx.args:
            received = worker_ctx.args[0]
            if isinstance(received, dict):
                attempts = ATTEMPTS.setdefault(self.container.service_name, Counter())
                attempts[str(received.get("id"))] += 1

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        outcomes = OUTCOMES.setdefault(self.container.service_name, Counter())
        if exc_info is not None:
            return
        if _is_upstream_handler(worker_ctx):
            outcomes[str(result)] += 1
        elif worker_ctx.entrypoint.method_name == "pull_upstreams":
            outcomes["timer_pulled"] += int(result or 0)


def _is_upstream_handler(worker_ctx: Any) -> bool:
    name: str = worker_ctx.entrypoint.method_name
    return name.startswith("on_") and name.endswith("_event")


PROBE = ServiceDeclaration(
    name=PROBE_STORE,
    title="Test consumer of responsibility events",
    service_class="tests.integration.probe_consumer:LedgerProbeService",
    upstreams=(UPSTREAM,),
)


class LedgerProbeService(ServiceKit):
    """Consumes ``responsibility`` events through the kit: live via the dead-lettering
    handler, and by pulling ``events_after`` pages whenever a message is not exactly the
    next one or the timer fires."""

    declaration = PROBE
    pull_interval = RETRY_INTERVAL
    app = ApplicationProvider(LedgerProbe)
    deliveries = DeliveryLog()

    @rpc
    def status(self) -> dict[str, Any]:
        return {
            "position": self.app.position(),
            "applied": self.app.applied_positions(),
            "behind": self.feeds[UPSTREAM].behind,
        }


def probe_service(service_name: str) -> type[LedgerProbeService]:
    """The probe under another nameko name, so each test gets queues of its own."""
    return type(f"LedgerProbeService_{service_name}", (LedgerProbeService,),
                {"name": service_name})


# Test support shared by the integration tests (real broker, real containers).


def handler_queue_name(upstream: str, service_name: str, method_name: str) -> str:
    """The queue nameko declares for ``@event_handler(upstream, "#")`` (SERVICE_POOL)."""
    return f"evt-{upstream}-#--{service_name}.{method_name}"


@contextmanager
def running(service_cls: type[Any], config: dict[str, Any]) -> Iterator[ServiceContainer]:
    """One nameko container, in this process, stopped (or killed if stuck) afterwards."""
    container = ServiceContainer(service_cls, config)
    container.start()
    try:
        yield container
    finally:
        stop_container(container)


def stop_container(container: ServiceContainer, timeout: float = 30.0) -> None:
    # Longer than the kit's pull timeout (15 s): a consumer stopped while its pull waits on
    # an upstream that is not running stops only when that pull gives up.
    try:
        with eventlet.Timeout(timeout):
            container.stop()
    except eventlet.Timeout:
        container.kill()
        raise AssertionError(f"{container.service_name} did not stop within {timeout}s") from None


def wait_until(
    condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s waiting for {text}")
        eventlet.sleep(interval)


@dataclass(frozen=True)
class RawMessage:
    """A message published exactly as given (no serialisation by kombu)."""

    routing_key: str
    body: bytes
    content_type: str
    message_id: str
    content_encoding: str = "utf-8"


def publish_raw(uri: str, exchange_name: str, messages: Iterable[RawMessage]) -> int:
    """Publish messages on a durable topic exchange with publisher confirms."""
    exchange = Exchange(exchange_name, type="topic", durable=True)
    count = 0
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        exchange(conn.default_channel).declare()
        for message in messages:
            producer.publish(
                message.body, exchange=exchange, routing_key=message.routing_key,
                content_type=message.content_type, content_encoding=message.content_encoding,
                message_id=message.message_id, delivery_mode=2, retry=False,
            )
            count += 1
    return count


def assert_no_other_consumers(uri: str, *queues: str) -> None:
    """Fail early, and say why, when another process on this broker and virtual host already
    serves a queue the test relies on (say a ``responsibility`` service left running by a
    demo): it would answer the test's RPCs from another store."""
    with Connection(uri) as conn:
        for name in queues:
            channel = conn.channel()
            try:
                _, _, consumers = channel.queue_declare(name, passive=True)
            except ChannelError:
                continue  # no such queue: nobody serves it
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
            assert consumers == 0, (
                f"{consumers} consumer(s) outside this test already read {name!r} on "
                f"{uri}; stop them or point AMQP_URI at a virtual host of your own"
            )


def delete_queues(uri: str, *names: str) -> None:
    with Connection(uri) as conn:
        channel = conn.default_channel
        for name in names:
            channel.queue_delete(name)

"""A small consuming service used only by the tests: ``ledger_probe``.

For every responsibility event it records the event's position in one log aggregate per
upstream (``AppliedLog``), through :class:`shared.feed.UpstreamFeed`, so "applied exactly
once, in order" can be read back from its own store: the log's entries are the applied
positions in the order they were applied, and the tracking row is the last position seen.
Events of ``IGNORED_TYPES`` are not recorded, but their positions still advance tracking.
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
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from kombu import Connection, Exchange
from kombu.exceptions import ChannelError
from nameko.containers import ServiceContainer
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from shared.envelope import parse_position
from shared.feed import Policy, UpstreamFeed
from shared.nameko_adapters import ApplicationProvider, UpstreamFeeds, rpc_pull, upstream_handler
from shared.persistence import ServiceApplication

PROBE_STORE = "ledger_probe"
UPSTREAM = "responsibility"
IGNORED_TYPES = frozenset({"dutytrail.responsibility.cadre_registered.v1"})
RETRY_INTERVAL = 0.5

# What each delivery turned out to be (applied / duplicate / pulled), per nameko service name.
OUTCOMES: dict[str, Counter[str]] = {}


def log_id(upstream: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:dutytrail:test:{PROBE_STORE}:log:{upstream}")


class AppliedLog(Aggregate):
    """The positions of one upstream's events, in the order this consumer applied them."""

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


class LedgerProbe(ServiceApplication):
    """The probe's eventsourcing application; its store comes from ``store_environment``."""

    name = PROBE_STORE
    service_name: ClassVar[str] = PROBE_STORE

    def policy_for(self, upstream: str) -> Policy:
        def policy(cloud_event: dict[str, Any]) -> list[AppliedLog]:
            if cloud_event["type"] in IGNORED_TYPES:
                return []
            log = self._log(upstream)
            log.applied(parse_position(cloud_event["sequence"]), cloud_event["id"],
                        cloud_event["type"])
            return [log]

        return policy

    def note(self, upstream: str, text: str) -> None:
        log = self._log(upstream)
        log.note(text)
        self.save(log)

    def applied_positions(self, upstream: str = UPSTREAM) -> list[int]:
        try:
            log: AppliedLog = self.repository.get(log_id(upstream))
        except AggregateNotFoundError:
            return []
        return [entry["sequence"] for entry in log.entries]

    def position(self, upstream: str = UPSTREAM) -> int:
        return self.process_recorder.max_tracking_id(upstream) or 0

    def _log(self, upstream: str) -> AppliedLog:
        try:
            log: AppliedLog = self.repository.get(log_id(upstream))
        except AggregateNotFoundError:
            log = AppliedLog(upstream)
        return log


def _responsibility_policy(app: ServiceApplication) -> Policy:
    assert isinstance(app, LedgerProbe)
    return app.policy_for(UPSTREAM)


class LedgerProbeService:
    """Consumes ``responsibility`` events: live via the dead-lettering handler, and by pulling
    ``events_after`` pages whenever a message is not exactly the next one."""

    name = PROBE_STORE
    app: LedgerProbe = ApplicationProvider(LedgerProbe)
    feeds: dict[str, UpstreamFeed] = UpstreamFeeds(app, {UPSTREAM: _responsibility_policy})
    responsibility = RpcProxy(UPSTREAM)

    @upstream_handler(UPSTREAM)
    def on_responsibility_event(self, cloud_event: Any) -> str:
        outcome = self.feeds[UPSTREAM].deliver(cloud_event, rpc_pull(self.responsibility))
        OUTCOMES.setdefault(self.name, Counter())[outcome] += 1
        return outcome

    @timer(interval=RETRY_INTERVAL)
    def retry_pulls(self) -> None:
        feed = self.feeds[UPSTREAM]
        if feed.behind:
            applied = feed.pull(rpc_pull(self.responsibility))
            OUTCOMES.setdefault(self.name, Counter())["timer_pulled"] += applied

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


def stop_container(container: ServiceContainer, timeout: float = 15.0) -> None:
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

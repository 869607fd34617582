"""The outbox relay: follows one service's notification log and publishes every stored event
as a CloudEvent on ``<service>.events`` (docs/reliability.md).

A plain process (no eventlet). It publishes batches with publisher confirms pipelined on the
channel, keeping at most two in flight, and records a batch's last position with
eventsourcing tracking only once the broker confirmed it. A crash anywhere re-publishes at
most two batches;
it never skips an event. No ``mandatory`` flag: an event nobody subscribes to yet is normal.
Every event is signed with the service's key by the envelope builder (docs/contract.md,
"Verifying events"); without a configured key the relay refuses to start.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import amqp
from eventsourcing.persistence import ApplicationRecorder, Notification, Tracking

from shared import metrics
from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, EnvelopeBuilder, encode
from shared.outbox import Outbox, open_outbox_quietly
from shared.persistence import open_factory, store_environment
from shared.settings import StoreSettings, amqp_uri_for

log = logging.getLogger(__name__)


class PublishNotConfirmedError(ConnectionError):
    """The broker refused (nacked) or did not confirm a published event in time."""


@dataclass(frozen=True)
class AmqpTarget:
    host: str
    userid: str
    password: str
    virtual_host: str

    @classmethod
    def from_uri(cls, uri: str) -> AmqpTarget:
        parts = urlparse(uri)
        vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
        return cls(
            host=f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
            userid=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            virtual_host=vhost,
        )


def event_exchange_name(service: str) -> str:
    return f"{service}.events"


def confidential_exchange_name(service: str) -> str:
    """Where a service's confidential events go: an exchange only cleared users may read
    (docs/trust.md, "Confidential events"), never ``<service>.events``."""
    return f"{service}.confidential"


def exchange_for(service: str, event: dict[str, Any]) -> str:
    if event.get("dataclassification") == "confidential":
        return confidential_exchange_name(service)
    return event_exchange_name(service)


class ConfirmingPublisher:
    """Publishes on one channel with confirms, many in flight, then waits for all of them."""

    def __init__(
        self, target: AmqpTarget, exchange: str, confirm_timeout: float = 30.0,
        route: Callable[[dict[str, Any]], str] | None = None,
        also_declare: Sequence[str] = (),
    ) -> None:
        self.exchange = exchange
        self.route = route
        self.confirm_timeout = confirm_timeout
        self.connection = amqp.Connection(
            host=target.host, userid=target.userid, password=target.password,
            virtual_host=target.virtual_host, connect_timeout=5, heartbeat=0,
        )
        self.connection.connect()
        self.channel = self.connection.channel()
        # The same attributes nameko's event handlers declare the exchange with.
        for name in (exchange, *also_declare):
            self.channel.exchange_declare(name, "topic", durable=True, auto_delete=False)
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self._next_tag = 0
        self._unconfirmed: set[int] = set()
        self._nacked = False

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True
        self._on_ack(delivery_tag, multiple)

    def publish(self, event: dict[str, Any]) -> None:
        message = amqp.Message(
            body=encode(event).encode(CONTENT_ENCODING),
            content_type=CONTENT_TYPE,
            content_encoding=CONTENT_ENCODING,
            delivery_mode=2,
            message_id=event["id"],
            type=event["type"],
        )
        exchange = self.route(event) if self.route is not None else self.exchange
        self.channel.basic_publish(message, exchange=exchange, routing_key=event["type"])
        self._next_tag += 1
        self._unconfirmed.add(self._next_tag)

    @property
    def last_tag(self) -> int:
        return self._next_tag

    def confirmed_through(self, tag: int) -> bool:
        """Has the broker confirmed every message up to and including ``tag``?"""
        self._check_nacks()
        return min(self._unconfirmed, default=tag + 1) > tag

    def poll(self) -> None:
        """Take in whatever confirms have already arrived, without waiting."""
        try:
            while True:
                self.connection.drain_events(timeout=0)
        except TimeoutError:
            return

    def wait_through(self, tag: int) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while not self.confirmed_through(tag):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"{len(self._unconfirmed)} events not confirmed in time"
                raise PublishNotConfirmedError(msg)
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue

    def wait_for_confirms(self) -> None:
        self.wait_through(self._next_tag)

    def _check_nacks(self) -> None:
        if self._nacked:
            self._nacked = False
            raise PublishNotConfirmedError("the broker refused (nacked) a published event")

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:
            log.debug("closing AMQP connection failed", exc_info=True)


class Relay:
    """Publishes one service's stored events, in log order, at least once each."""

    def __init__(
        self,
        service: str,
        settings: StoreSettings | None = None,
        uri: str | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.05,
    ) -> None:
        self.service = service
        self.tracking_name = f"{service}.relay"
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.target = AmqpTarget.from_uri(uri or amqp_uri_for(service))
        settings = settings or StoreSettings.from_environ()
        env = store_environment(service, settings)
        recorder = open_factory(env).application_recorder()
        self.recorder: ApplicationRecorder = recorder
        # The events the service signed after each commit (None: sign every event here).
        self.outbox: Outbox | None = open_outbox_quietly(service, env)
        self.tracking = open_factory(
            store_environment(service, settings, purpose="relay")
        ).tracking_recorder()
        self.builder = EnvelopeBuilder(service)
        self.stopping = threading.Event()
        self._publisher: ConfirmingPublisher | None = None
        self._in_flight: deque[tuple[int, int, int]] = deque()  # last tag, position, count
        self._sent_position: int | None = None
        self._closed = False

    def position(self) -> int:
        return self.tracking.max_tracking_id(self.tracking_name) or 0

    def publish_batch(self) -> int:
        """Publish the next batch after the last one sent; return how many.

        Two batches at most are in flight: the next is read, built and published while the
        broker confirms the previous one. Positions are recorded strictly in order, each only
        once the broker confirmed its whole batch, so a crash re-publishes at most two batches.
        """
        recorded = self.position()
        self._update_lag(recorded)
        start = self._sent_position if self._sent_position is not None else recorded
        notifications: Sequence[Notification] = self.recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            self.flush()
            return 0
        publisher = self._connected()
        previous: int | None = start or None
        stored = self.outbox.bodies_for(notifications) if self.outbox is not None else {}
        for notification in notifications:
            body = stored.get(notification.id)
            publisher.publish(self.builder.reuse_or_build(notification, previous, body))
            previous = notification.id
        self._in_flight.append((publisher.last_tag, notifications[-1].id, len(notifications)))
        self._sent_position = notifications[-1].id
        self._settle(keep=1)
        return len(notifications)

    def flush(self) -> None:
        """Wait for every batch in flight to be confirmed, and record it."""
        self._settle(keep=0)
        self._sent_position = None  # nothing in flight: the recorded position says where

    def _settle(self, keep: int) -> None:
        """Record every confirmed batch, in order; wait until at most ``keep`` are in flight."""
        publisher = self._publisher
        if publisher is None:
            return
        publisher.poll()
        while self._in_flight:
            last_tag, last_position, count = self._in_flight[0]
            if not publisher.confirmed_through(last_tag):
                if len(self._in_flight) <= keep:
                    return
                publisher.wait_through(last_tag)
            self.tracking.insert_tracking(Tracking(self.tracking_name, last_position))
            self._in_flight.popleft()
            metrics.EVENTS_PUBLISHED.labels(self.service).inc(count)
            self._update_lag(last_position)

    def _update_lag(self, position: int) -> None:
        stored = self.recorder.max_notification_id() or 0
        metrics.RELAY_POSITION.labels(self.service).set(position)
        metrics.RELAY_LAG.labels(self.service).set(max(0, stored - position))

    def _connected(self) -> ConfirmingPublisher:
        if self._publisher is None:
            self._publisher = ConfirmingPublisher(
                self.target, event_exchange_name(self.service),
                route=functools.partial(exchange_for, self.service),
                also_declare=(confidential_exchange_name(self.service),),
            )
        return self._publisher

    def _disconnect(self) -> None:
        # Whatever was in flight is published again from the recorded position.
        self._in_flight.clear()
        self._sent_position = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def drain(self) -> int:
        """Publish until the log is exhausted (used by tests and the CLI's one-shot mode)."""
        total = 0
        while True:
            published = self.publish_batch()
            total += published
            if published == 0:
                return total

    def run(self) -> None:
        """Follow the log until stopped, reconnecting with back-off after any failure."""
        backoff = 0.5
        log.info("relay for %s starts at position %s", self.service, self.position())
        while not self.stopping.is_set():
            try:
                if self.publish_batch() == 0:
                    self.stopping.wait(self.poll_interval)
                backoff = 0.5
            except Exception:
                log.warning(
                    "relay for %s failed; retrying in %.1fs", self.service, backoff,
                    exc_info=True,
                )
                self._disconnect()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.close()

    def stop(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        """Disconnect from the broker and close the store connections (once)."""
        self._disconnect()
        if self._closed:
            return
        self._closed = True
        for recorder in (self.recorder, self.tracking):
            datastore = getattr(recorder, "datastore", None)
            if datastore is not None:
                datastore.close()
        if self.outbox is not None:
            self.outbox.close()

"""The outbox relay: follows one service's notification log and publishes every stored event
as a CloudEvent on ``<service>.events`` (docs/reliability.md).

A plain process (no eventlet). It publishes batches with publisher confirms pipelined on the
channel, keeping up to four in flight, and records the last position the broker confirmed
with eventsourcing tracking (never one it has not confirmed). A crash anywhere re-publishes
what was in flight or not yet recorded; it never skips an event. No ``mandatory`` flag: an
event nobody subscribes to yet is normal.
Every event is signed with the service's key by the envelope builder (docs/contract.md,
"Verifying events"); without a configured key the relay refuses to start.

An idle relay waits to be woken by the service's store (``shared.outbox.Waker``: PostgreSQL
``LISTEN``/``NOTIFY``, a datagram on SQLite), and looks at the log anyway every
``fallback_interval`` seconds, so that an event whose announcement was lost is published all
the same (docs/reliability.md, "How the relay is woken").
"""

from __future__ import annotations

import functools
import logging
import select
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import amqp
from eventsourcing.persistence import ApplicationRecorder, Notification, Tracking

from shared import metrics
from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, EnvelopeBuilder, encode
from shared.leadership import LeaderLock, leader_lock
from shared.outbox import Outbox, QuietWaker, Waker, open_outbox_quietly, open_waker
from shared.persistence import created, open_factory, store_environment
from shared.settings import (
    StoreSettings,
    amqp_uri_for,
    relay_fallback_seconds,
    relay_poll_seconds,
    relay_wakeup_enabled,
)

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


_BASIC_PUBLISH = struct.pack(">HHH", 60, 40, 0)  # class basic, method publish, ticket 0
_FRAME_END = b"\xce"
# Basic properties present: content-type, content-encoding, delivery-mode, message-id, type.
_PROPERTY_FLAGS = (1 << 15) | (1 << 14) | (1 << 12) | (1 << 7) | (1 << 5)
_WRITE_AT = 256 * 1024  # bytes of frames gathered before they are written to the socket


def _shortstr(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > 255:
        msg = f"{value[:40]!r}... is longer than an AMQP short string"
        raise ValueError(msg)
    return bytes((len(raw),)) + raw


class ConfirmingPublisher:
    """Publishes on one channel with confirms, many in flight, then waits for all of them.

    Each message is written as its three AMQP frames (publish method, content header, body),
    built here with the relay's fixed properties, and the frames of many messages are gathered
    into one write: py-amqp's ``basic_publish`` costs about as much per message as all the
    relay's other work (a property table and a system call per message, and a read of the
    socket to look for ``connection.blocked``). The frames are byte for byte what
    ``basic_publish`` writes (tests/integration/test_relay_wakeup.py). Confirms are counted
    with a watermark, so an ``ack`` with ``multiple`` costs the same for 1 or 1,000.
    """

    def __init__(
        self, target: AmqpTarget, exchange: str, confirm_timeout: float = 30.0,
        route: Callable[[dict[str, Any]], str] | None = None,
        also_declare: Sequence[str] = (),
        *,
        confirms: bool = True,
    ) -> None:
        """``confirms=False`` only for a benchmark's baseline: nothing is ever confirmed."""
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
        if confirms:
            self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self._next_tag = 0
        self._confirmed = 0  # every tag up to this one is confirmed
        self._confirmed_above: set[int] = set()  # single confirms beyond the watermark
        self._nacked = False
        self._pending = bytearray()  # frames not written yet
        self._channel_prefix = struct.pack(">BH", 1, self.channel.channel_id)
        self._header_prefix = struct.pack(">BH", 2, self.channel.channel_id)
        self._body_prefix = struct.pack(">BH", 3, self.channel.channel_id)
        self._fixed_properties = (
            struct.pack(">H", _PROPERTY_FLAGS) + _shortstr(CONTENT_TYPE)
            + _shortstr(CONTENT_ENCODING) + bytes((2,))  # delivery mode 2: persistent
        )
        self._properties_size = len(self._fixed_properties) + 1  # + the message id's length
        # Per (exchange, type): the whole method frame, and the properties after the id.
        self._routes: dict[tuple[str, str], tuple[bytes, bytes]] = {}
        self._max_body = self.connection.frame_max - 8

    def _route_frames(self, exchange: str, event_type: str) -> tuple[bytes, bytes]:
        method = _BASIC_PUBLISH + _shortstr(exchange) + _shortstr(event_type) + b"\x00"
        method_frame = (
            self._channel_prefix + struct.pack(">I", len(method)) + method + _FRAME_END
        )
        return method_frame, _shortstr(event_type)  # the type follows the message id

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            if delivery_tag > self._confirmed:
                self._confirmed = delivery_tag
        elif delivery_tag > self._confirmed:
            self._confirmed_above.add(delivery_tag)
        above = self._confirmed_above
        if above:
            while self._confirmed + 1 in above:
                self._confirmed += 1
                above.discard(self._confirmed)
            if above and min(above) <= self._confirmed:
                self._confirmed_above = {t for t in above if t > self._confirmed}

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True
        self._on_ack(delivery_tag, multiple)

    def publish(self, event: dict[str, Any]) -> None:
        """Publish ``event``, encoded here."""
        exchange = self.route(event) if self.route is not None else self.exchange
        self.publish_body(
            encode(event).encode(CONTENT_ENCODING), event["id"], event["type"], exchange
        )

    def publish_body(
        self, body: bytes, message_id: str, event_type: str, exchange: str | None = None
    ) -> None:
        """Publish an event's JSON ``body`` as it is (persistent, routed by its type); it is
        written to the socket with the next ones (:meth:`send`, or any wait)."""
        route = (exchange if exchange is not None else self.exchange, event_type)
        fixed = self._routes.get(route)
        if fixed is None:
            fixed = self._routes[route] = self._route_frames(*route)
        method_frame, properties_end = fixed
        message_id_bytes = message_id.encode("utf-8")
        if len(message_id_bytes) > 255:
            msg = f"message id {message_id[:40]!r}... is longer than an AMQP short string"
            raise ValueError(msg)
        size = len(body)
        pending = self._pending
        pending += method_frame
        pending += self._header_prefix
        pending += struct.pack(
            ">IHHQ", 12 + self._properties_size + len(message_id_bytes) + len(properties_end),
            60, 0, size,
        )
        pending += self._fixed_properties
        pending += bytes((len(message_id_bytes),))
        pending += message_id_bytes
        pending += properties_end
        pending += _FRAME_END
        if 0 < size <= self._max_body:  # one body frame (no copy of the body)
            pending += self._body_prefix
            pending += struct.pack(">I", size)
            pending += body
            pending += _FRAME_END
        else:
            for offset in range(0, size, self._max_body):
                chunk = body[offset:offset + self._max_body]
                pending += self._body_prefix
                pending += struct.pack(">I", len(chunk))
                pending += chunk
                pending += _FRAME_END
        self._next_tag += 1
        if len(pending) >= _WRITE_AT:
            self.send()

    def send(self) -> None:
        """Write every gathered frame to the socket."""
        if self._pending:
            frames, self._pending = self._pending, bytearray()
            self.connection.transport.write(frames)

    @property
    def last_tag(self) -> int:
        return self._next_tag

    def confirmed_through(self, tag: int) -> bool:
        """Has the broker confirmed every message up to and including ``tag``?"""
        self._check_nacks()
        return self._confirmed >= tag

    @property
    def unconfirmed(self) -> int:
        return self._next_tag - self._confirmed - len(self._confirmed_above)

    def poll(self) -> None:
        """Take in whatever confirms have already arrived, without waiting."""
        self.send()
        if not getattr(self.connection.transport, "_read_buffer", b"x") and not select.select(
            [self.connection.sock], (), (), 0
        )[0]:
            return  # nothing arrived (one system call, not a timed-out read)
        try:
            while True:
                self.connection.drain_events(timeout=0)
        except TimeoutError:
            return

    def wait_through(self, tag: int) -> None:
        self.send()
        deadline = time.monotonic() + self.confirm_timeout
        while not self.confirmed_through(tag):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"{self.unconfirmed} events not confirmed in time"
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
        self._pending = bytearray()
        try:
            self.connection.close()
        except Exception:
            log.debug("closing AMQP connection failed", exc_info=True)


class Relay:
    """Publishes one service's stored events, in log order, at least once each.

    ``wakeup`` (default: ``DUTYTRAIL_RELAY_WAKEUP``, on) makes an idle relay wait for the
    store's announcement of a write, and look at the log anyway after ``fallback_interval``
    seconds (default: ``DUTYTRAIL_RELAY_FALLBACK_SECONDS``, 1); without it, or when the store
    cannot announce writes, it looks every ``poll_interval`` seconds (default:
    ``DUTYTRAIL_RELAY_POLL_SECONDS``, 0.05).

    Up to ``max_in_flight`` batches are published and not yet confirmed. The last confirmed
    position is recorded once ``batch_size`` events were confirmed since the last record, or
    ``record_interval`` seconds after it, or when the relay stops: a crash re-publishes what
    was in flight and what was confirmed since the last record, never less.
    """

    def __init__(
        self,
        service: str,
        settings: StoreSettings | None = None,
        uri: str | None = None,
        batch_size: int = 500,
        poll_interval: float | None = None,
        *,
        max_in_flight: int = 4,
        record_interval: float = 0.2,
        wakeup: bool | None = None,
        fallback_interval: float | None = None,
        standby_interval: float = 1.0,
    ) -> None:
        self.service = service
        self.tracking_name = f"{service}.relay"
        self.batch_size = batch_size
        # Enough to keep the broker busy while it stores and confirms (about 100 ms for 1,000
        # persistent messages on a classic queue here).
        self.max_in_flight = max_in_flight
        # Live, a batch is a few events: one tracking write per wake-up would contend with
        # the service's own writes (SQLite has one writer).
        self.record_interval = record_interval
        self.poll_interval = relay_poll_seconds() if poll_interval is None else poll_interval
        self.wakeup = relay_wakeup_enabled() if wakeup is None else wakeup
        self.fallback_interval = (
            relay_fallback_seconds() if fallback_interval is None else fallback_interval
        )
        self.target = AmqpTarget.from_uri(uri or amqp_uri_for(service))
        settings = settings or StoreSettings.from_environ()
        env = store_environment(service, settings)
        self._env = env
        recorder = created(lambda: open_factory(env).application_recorder())
        self.recorder: ApplicationRecorder = recorder
        # The events the service signed after each commit (None: sign every event here).
        self.outbox: Outbox | None = open_outbox_quietly(service, env)
        self._events_table: str = getattr(recorder, "events_table_name", "")
        relay_env = store_environment(service, settings, purpose="relay")
        self.tracking = created(lambda: open_factory(relay_env).tracking_recorder())
        self.builder = EnvelopeBuilder(service)
        # Only the candidate holding the service's leader lock publishes (shared/leadership.py);
        # a standby tries again every ``standby_interval`` seconds.
        self.leader_lock: LeaderLock = leader_lock(service, env)
        self.standby_interval = standby_interval
        self.leading = False
        self._standing_by = False
        self.stopping = threading.Event()
        self.waker: Waker | None = None  # the store's announcements
        self._quiet: Waker | None = None  # no announcements: only stop() and the broker
        self._exchanges = (event_exchange_name(service), confidential_exchange_name(service))
        self._publisher: ConfirmingPublisher | None = None
        self._in_flight: deque[tuple[int, int, int]] = deque()  # last tag, position, count
        self._sent_position: int | None = None  # the last position published
        self._confirmed: int | None = None  # the last position the broker confirmed
        self._unrecorded = 0  # events confirmed since the last record
        self._recorded_at = time.monotonic()
        self._recorded: tuple[str, int] | None = None  # (tracking name, position) recorded
        self._log_end = 0  # the last position known to be in the log (for the lag)
        self._read_through = 0  # the log held nothing after it at the last short read
        self._closed = False
        self.problem: str | None = None  # why the last pass failed (None: it succeeded)
        # Set at every pass: looking the labelled series up each time costs more than setting.
        self._gauges = (
            metrics.RELAY_POSITION.labels(service), metrics.RELAY_LAG.labels(service)
        )

    def position(self) -> int:
        """The last position recorded as published (read from the store once, then kept: this
        relay is the only writer of its tracking name)."""
        recorded = self._recorded
        if recorded is None or recorded[0] != self.tracking_name:
            name = self.tracking_name
            recorded = (name, self.tracking.max_tracking_id(name) or 0)
            self._recorded = recorded
        return recorded[1]

    def publish_batch(self) -> int:
        """Publish the next batch after the last one sent; return how many (0: the log is
        exhausted, and everything published was confirmed and recorded).

        Up to ``max_in_flight`` batches are in flight: the next is read, built and published
        while the broker confirms the previous ones. Positions are recorded strictly in
        order, each only once the broker confirmed its whole batch and every earlier one.
        """
        return self._publish(flush_when_exhausted=True)

    def _publish(self, flush_when_exhausted: bool) -> int:
        recorded = self.position()
        if self._sent_position is not None:
            start = self._sent_position
        else:
            start = self._confirmed if self._confirmed is not None else recorded
        notifications, stored = self._read(start)
        if len(notifications) < self.batch_size:
            # The whole log was read: whatever is stored later is announced after this read.
            self._read_through = notifications[-1].id if notifications else start
            self._log_end = max(self._log_end, self._read_through)
        else:
            self._log_end = max(self._log_end, self.recorder.max_notification_id() or 0)
        self._update_lag(self._confirmed if self._confirmed is not None else recorded)
        if not notifications:
            if flush_when_exhausted:
                self.flush()
            return 0
        publisher = self._connected()
        previous: int | None = start or None
        public, confidential = self._exchanges
        reuse_or_build = self.builder.reuse_or_build_encoded
        earlier_events = self.builder.earlier_events
        publish = publisher.publish_body
        for notification in notifications:
            # The stored body as it is when it is what this builder signs; else signed here.
            event, text = reuse_or_build(notification, previous, stored.get(notification.id))
            exchange = (
                confidential if event.get("dataclassification") == "confidential" else public
            )
            publish(text.encode(CONTENT_ENCODING), event["id"], event["type"], exchange)
            # An earlier major still published side by side (docs/versioning.md).
            for older in earlier_events(notification, previous):
                body = encode(older).encode(CONTENT_ENCODING)
                publish(body, older["id"], older["type"], exchange)
            previous = notification.id
        publisher.send()
        self._in_flight.append((publisher.last_tag, notifications[-1].id, len(notifications)))
        self._sent_position = notifications[-1].id
        self._settle(keep=self.max_in_flight - 1)
        return len(notifications)

    def _read(self, after: int) -> tuple[Sequence[Notification], Mapping[int, str]]:
        """The next batch after position ``after`` and the signed bodies stored with it: one
        query reading the events with their outbox rows; if that fails (or there is no
        outbox), the log first, then the outbox (whose failure leaves every event to be
        signed here)."""
        outbox = self.outbox
        if outbox is not None:
            try:
                rows = outbox.read_after(self._events_table, after, self.batch_size)
            except Exception:  # this time, read them apart (and fail as that fails)
                log.warning("could not read the %s log with its outbox; reading them apart",
                            self.service, exc_info=True)
            else:
                return [n for n, _ in rows], {n.id: b for n, b in rows if b is not None}
        notifications = self.recorder.select_notifications(
            start=after, limit=self.batch_size, inclusive_of_start=False
        )
        return notifications, outbox.bodies_for(notifications) if outbox is not None else {}

    def flush(self) -> None:
        """Wait for every batch in flight to be confirmed, and record the last position."""
        self._settle(keep=0, record_now=True)
        # Nothing in flight, nothing unrecorded: the recorded position says where.
        self._sent_position = None
        self._confirmed = None

    def _settle(self, keep: int, record_now: bool = False) -> None:
        """Take in the confirms that arrived; wait until at most ``keep`` batches are in
        flight; record the last confirmed position if it is due (or ``record_now``)."""
        publisher = self._publisher
        if publisher is not None:
            publisher.poll()
            count = 0
            while self._in_flight:
                last_tag, last_position, size = self._in_flight[0]
                if not publisher.confirmed_through(last_tag):
                    if len(self._in_flight) <= keep:
                        break
                    publisher.wait_through(last_tag)
                self._in_flight.popleft()
                self._confirmed, count = last_position, count + size
            if count:
                self._unrecorded += count
                metrics.EVENTS_PUBLISHED.labels(self.service).inc(count)
                self._update_lag(self._confirmed)
        self._record(force=record_now)

    def _record(self, force: bool) -> None:
        confirmed = self._confirmed
        if confirmed is None or confirmed <= self.position():
            return
        if not force and self._record_due_in() > 0:
            return
        self.tracking.insert_tracking(Tracking(self.tracking_name, confirmed))
        self._recorded = (self.tracking_name, confirmed)
        self._unrecorded = 0
        self._recorded_at = time.monotonic()

    def _record_due_in(self) -> float:
        """Seconds until the confirmed position is due to be recorded (0: now)."""
        if self._unrecorded >= self.batch_size:
            return 0.0
        return max(0.0, self._recorded_at + self.record_interval - time.monotonic())

    def _update_lag(self, position: int | None) -> None:
        position = position or 0
        position_gauge, lag_gauge = self._gauges
        position_gauge.set(position)
        lag_gauge.set(max(0, self._log_end - position))

    def _connected(self) -> ConfirmingPublisher:
        if self._publisher is None:
            self._publisher = ConfirmingPublisher(
                self.target, event_exchange_name(self.service),
                route=functools.partial(exchange_for, self.service),
                also_declare=(confidential_exchange_name(self.service),),
            )
        return self._publisher

    def _disconnect(self) -> None:
        # Whatever was not recorded is published again from the recorded position.
        self._in_flight.clear()
        self._sent_position = None
        self._confirmed = None
        self._unrecorded = 0
        self._recorded = None  # read it again from the store
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

    def open_waker(self) -> Waker | None:
        """Start listening for the store's announcements (``run`` does it before it first
        reads the log, so that no write can fall between the two); None, and polling every
        ``poll_interval``, when wake-ups are off or the store cannot announce."""
        if self.waker is not None or not self.wakeup:
            return self.waker
        try:
            self.waker = open_waker(self.service, self._env)
        except OSError as error:  # another relay listens on this store already
            log.warning("relay for %s cannot be woken by its store (%s); it looks at the log "
                        "every %.2fs", self.service, error, self.poll_interval)
            return None
        if self.waker is None:
            log.warning("relay for %s: this store announces no writes; it looks at the log "
                        "every %.2fs", self.service, self.poll_interval)
        return self.waker

    def idle(self) -> bool:
        """After the whole log was read: wait for a wake-up (True), or until the fallback
        interval (the poll interval without a waker) ran out (False). Meanwhile, take in the
        broker's confirms as they come and record the confirmed position when it is due:
        publishing the next events never waits for the confirms of the previous ones."""
        waker = self.waker
        interval = self.fallback_interval
        if waker is None:
            waker = self._quiet = self._quiet or QuietWaker()
            interval = self.poll_interval
        deadline = time.monotonic() + interval
        while not self.stopping.is_set():
            self._settle(keep=self.max_in_flight)  # never waits
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            also = []
            if self._confirmed is not None and self._confirmed > self.position():
                remaining = min(remaining, max(0.001, self._record_due_in()))
            publisher = self._publisher
            if self._in_flight and publisher is not None:
                also.append(publisher.connection.sock)  # a confirm arrives
            if waker.wait(remaining, after=self._read_through, also=also):
                return True
        return True

    def run(self) -> None:
        """Follow the log until stopped, reconnecting with back-off after any failure."""
        backoff = 0.5
        # /readyz on the metrics port: ready while the last pass over the store and the
        # broker succeeded (an idle relay reads its log every fallback interval).
        metrics.declare_relay_series(self.service)
        metrics.add_readiness_check(self.tracking_name, self.readiness_problems)
        try:
            while not self.stopping.is_set():
                if not self.leading and not self._lead():
                    continue
                try:
                    if not self.leader_lock.still_held():
                        self._step_down("its leader lock was lost")
                        continue
                    published = self._publish(flush_when_exhausted=False)
                    self.problem = None
                    if published < self.batch_size and not self.stopping.is_set():
                        self.idle()  # everything stored was read
                    backoff = 0.5
                except Exception as error:
                    self.problem = f"{type(error).__name__}: {error}"
                    log.warning(
                        "relay for %s failed; retrying in %.1fs", self.service, backoff,
                        exc_info=True,
                    )
                    self._disconnect()
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
            try:  # stopped: record what the broker confirmed, so that none is sent again
                self.flush()
            except Exception:
                log.warning("relay for %s could not record its last position on stopping",
                            self.service, exc_info=True)
        finally:
            metrics.RELAY_LEADER.labels(self.service).set(0)
            metrics.remove_readiness_check(self.tracking_name)
            self.close()

    def _lead(self) -> bool:
        """Take the lead if no other relay of the service holds it; a standby waits."""
        try:
            acquired = self.leader_lock.try_acquire()
        except OSError as error:
            self.problem = f"leader lock: {error}"
            acquired = False
        if not acquired:
            if self.problem is None and not self._standing_by:
                log.info("relay for %s stands by: another relay of the service leads",
                         self.service)
            self._standing_by = True
            self.problem = None  # a standby is ready: it takes over when the leader dies
            self.stopping.wait(self.standby_interval)
            return False
        self._standing_by = False
        self.leading = True
        metrics.RELAY_LEADER.labels(self.service).set(1)
        # Another relay led until now: its last recorded position is where this one starts.
        self._recorded = None
        self.open_waker()  # before the first read of the log, so no write falls between
        log.info("relay for %s starts at position %s (it leads: no other relay of the "
                 "service publishes)", self.service, self.position())
        return True

    def _step_down(self, why: str) -> None:
        log.warning("relay for %s stops publishing: %s", self.service, why)
        self.leading = False
        metrics.RELAY_LEADER.labels(self.service).set(0)
        self._disconnect()  # what it published and did not record, the next leader publishes
        if self.waker is not None:
            self.waker.close()
            self.waker = None
        self.leader_lock.release()

    def readiness_problems(self) -> list[str]:
        """Why this relay cannot publish now (none: ready). An idle relay holds no broker
        connection, so the broker is asked with a login of its own."""
        if self.problem:
            return [f"relay for {self.service}: {self.problem}"]
        if self._publisher is None:
            try:
                probe = amqp.Connection(
                    host=self.target.host, userid=self.target.userid,
                    password=self.target.password, virtual_host=self.target.virtual_host,
                    connect_timeout=3,
                )
                probe.connect()
                probe.close()
            except Exception as error:  # noqa: BLE001 - reported, not raised
                return [f"relay for {self.service}: broker: {type(error).__name__}: {error}"]
        return []

    def stop(self) -> None:
        self.stopping.set()
        for waker in (self.waker, self._quiet):
            if waker is not None:
                waker.interrupt()

    def close(self) -> None:
        """Disconnect from the broker and close the store connections (once)."""
        self._disconnect()
        if self._closed:
            return
        self._closed = True
        for waker in (self.waker, self._quiet):
            if waker is not None:
                waker.close()
        for recorder in (self.recorder, self.tracking):
            datastore = getattr(recorder, "datastore", None)
            if datastore is not None:
                datastore.close()
        self.leader_lock.release()
        self.leading = False
        if self.outbox is not None:
            self.outbox.close()

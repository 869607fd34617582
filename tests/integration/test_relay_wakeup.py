"""The relay is woken by its store (docs/reliability.md, "How the relay is woken"): PostgreSQL
``NOTIFY`` in the outbox's insert, a datagram from the SQLite service. Its fallback is to look
at the log anyway every ``fallback_interval`` seconds; a service with no relay listening is
neither slowed nor failed. Real RabbitMQ, real PostgreSQL, real relay processes."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import amqp
import eventlet
import pika
import psycopg
import pytest

from services.responsibility.application import Responsibilities
from shared.actors import Actor
from shared.envelope import CONTENT_ENCODING, CONTENT_TYPE, encode
from shared.outbox import (
    DatagramWaker,
    PostgresWaker,
    SQLiteOutbox,
    WakerUnavailableError,
    nudge_address,
    open_outbox,
    open_waker,
)
from shared.persistence import store_environment
from shared.relay import AmqpTarget, ConfirmingPublisher, Relay, event_exchange_name
from shared.settings import StoreSettings
from tests.e2e.helpers import Launcher, process_env

SERVICE = "responsibility"
CLERK = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
STARTS_AT = r"relay for responsibility starts at position (\d+)"
# A fallback long enough that only a wake-up can explain a prompt delivery.
NO_POLLING = 30.0


@pytest.fixture
def app(any_store: StoreSettings) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment(SERVICE, any_store))
    yield application
    application.close()


@pytest.fixture
def subscriber(amqp_uri: str) -> Iterator[tuple[Any, str]]:
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    queue = f"wakeup.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare(event_exchange_name(SERVICE), "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, event_exchange_name(SERVICE), routing_key="#")
    yield channel, queue
    channel.queue_delete(queue)
    conn.close()


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.close()


def register(app: Responsibilities) -> str:
    code = uuid.uuid4().hex[:6]
    return str(app.register_unit(code=code, name=f"单位 {code}", kind="town", actor=CLERK))


def next_event(channel: Any, queue: str, timeout: float) -> tuple[dict[str, Any] | None, Any]:
    """The next message's event and properties, or (None, None) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return json.loads(body), (method, properties)
        time.sleep(0.005)
    return None, None


def start_relay(launcher: Launcher, settings: StoreSettings, amqp_uri: str, **extra: str) -> Any:
    env = process_env(settings, amqp_uri)
    env.update(extra)
    relay = launcher.start(["relay", SERVICE], env, "relay")
    relay.wait_for(STARTS_AT, timeout=30)
    return relay


def test_a_relay_process_that_never_polls_publishes_each_event_within_a_second(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str,
    subscriber: tuple[Any, str], launcher: Launcher,
) -> None:
    channel, queue = subscriber
    relay = start_relay(launcher, any_store, amqp_uri,
                        DUTYTRAIL_RELAY_FALLBACK_SECONDS=str(NO_POLLING))
    time.sleep(0.3)  # the relay has read the empty log and waits (for up to 30 s)
    delays = []
    for _ in range(5):
        started = time.monotonic()
        unit = register(app)
        event, _ = next_event(channel, queue, timeout=1.0)
        assert event is not None, f"no event within 1 s; relay output:\n{relay.tail()}"
        delays.append(time.monotonic() - started)
        assert event["subject"] == unit
        time.sleep(0.2)  # idle again between commands
    assert relay.popen.poll() is None, relay.tail()
    print(f"{any_store.backend}: command -> subscriber {[f'{d * 1000:.0f}ms' for d in delays]}")


def test_without_wake_ups_the_same_relay_would_not_have_published_it(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str,
    subscriber: tuple[Any, str], launcher: Launcher,
) -> None:
    """The control of the test above: without wake-ups, looking at the log only every 30 s
    (``dutytrail relay --poll 30``), the event stays in the store: the prompt delivery above
    is the wake-up's doing."""
    channel, queue = subscriber
    env = process_env(any_store, amqp_uri)
    relay = launcher.start(["relay", SERVICE, "--poll", str(NO_POLLING)], env, "relay")
    relay.wait_for(STARTS_AT, timeout=30)
    time.sleep(0.3)
    register(app)
    event, _ = next_event(channel, queue, timeout=1.5)
    assert event is None


def test_without_any_announcement_the_relay_publishes_within_the_fallback(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str,
    subscriber: tuple[Any, str],
) -> None:
    """A service that crashed between its commit and its outbox write announces nothing:
    the relay still publishes (and signs) the event after at most its fallback interval."""
    channel, queue = subscriber
    relay = Relay(SERVICE, any_store, amqp_uri, fallback_interval=1.0)
    outcomes: list[bool] = []
    idle = relay.idle

    def counted_idle() -> bool:
        woken = idle()
        outcomes.append(woken)
        return woken

    relay.idle = counted_idle  # type: ignore[method-assign]
    thread = eventlet.spawn(relay.run)
    try:
        eventlet.sleep(0.3)
        # No outbox row, no announcement: as for events stored before the outbox existed.
        outbox, app._outbox = app._outbox, None
        signing = app.recorder.signing  # type: ignore[attr-defined]
        app.recorder.sign_in_transaction(None)  # type: ignore[attr-defined]
        try:
            unit = register(app)
        finally:
            app._outbox = outbox
            app.recorder.sign_in_transaction(signing)  # type: ignore[attr-defined]
        written = time.monotonic()
        event, _ = next_event(channel, queue, timeout=3.0)
        assert event is not None and event["subject"] == unit
        assert time.monotonic() - written < 1.0 + 1.0
        assert False in outcomes  # the wait ran out: no wake-up brought it
        assert True not in outcomes
    finally:
        relay.stop()
        thread.wait()


def test_a_lost_listen_connection_is_made_again(
    postgres_store: StoreSettings, amqp_uri: str, subscriber: tuple[Any, str],
) -> None:
    """PostgreSQL ends the relay's LISTEN connection (a restart, an administrator): the
    relay listens again at once, and the next event is as prompt as ever."""
    channel, queue = subscriber
    app = Responsibilities(store_environment(SERVICE, postgres_store))
    relay = Relay(SERVICE, postgres_store, amqp_uri, fallback_interval=NO_POLLING)
    thread = eventlet.spawn(relay.run)
    try:
        eventlet.sleep(0.5)
        waker = relay.waker
        assert isinstance(waker, PostgresWaker)
        first_pid = waker._connection.info.backend_pid
        with psycopg.connect(host=postgres_store.pg_host, port=postgres_store.pg_port,
                             user=postgres_store.pg_user, dbname=postgres_store.pg_dbname,
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        eventlet.sleep(0.5)
        assert waker._connection is not None
        assert waker._connection.info.backend_pid != first_pid
        started = time.monotonic()
        unit = register(app)
        event, _ = next_event(channel, queue, timeout=1.0)
        assert event is not None and event["subject"] == unit
        assert time.monotonic() - started < 1.0
    finally:
        relay.stop()
        thread.wait()
        app.close()


def test_stop_ends_a_long_wait_at_once_and_the_hub_keeps_running(
    any_store: StoreSettings, amqp_uri: str
) -> None:
    """Under eventlet (this process is monkey-patched, as a service is) the relay's wait is a
    green select: other green threads run meanwhile, and stop() interrupts it."""
    relay = Relay(SERVICE, any_store, amqp_uri, fallback_interval=NO_POLLING)
    thread = eventlet.spawn(relay.run)
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        while True:
            eventlet.sleep(0.01)
            ticks += 1

    ticker = eventlet.spawn(tick)
    try:
        eventlet.sleep(1.0)
        assert relay.waker is not None
        assert ticks >= 40, ticks  # the hub was not blocked by the relay's wait
        stopped = time.monotonic()
        relay.stop()
        with eventlet.Timeout(5):
            thread.wait()
        assert time.monotonic() - stopped < 1.0
    finally:
        ticker.kill()
        relay.stop()


def test_a_command_is_neither_slowed_nor_failed_when_no_relay_listens(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    outbox = app._outbox
    assert outbox is not None
    for _ in range(3):
        register(app)
    assert app.last_position() == 3
    reread = open_outbox(SERVICE, store_environment(SERVICE, any_store))
    assert reread is not None
    try:
        assert sorted(reread.bodies(1, 3)) == [1, 2, 3]
    finally:
        reread.close()
    started = time.perf_counter()
    for position in range(1000):
        outbox.wake(position)
    assert time.perf_counter() - started < 1.0  # well under 1 ms each, nobody listening


def test_a_relay_that_does_not_read_its_nudges_never_blocks_the_service(
    sqlite_store: StoreSettings
) -> None:
    """A relay busy elsewhere (its socket's queue full): the service's nudges are dropped,
    never waited for."""
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    outbox = app._outbox
    assert isinstance(outbox, SQLiteOutbox) and outbox.nudge_address is not None
    deaf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    deaf.bind(outbox.nudge_address)  # listens, never reads
    try:
        started = time.perf_counter()
        for position in range(5000):  # far more than a datagram queue holds
            outbox.wake(position)
        assert time.perf_counter() - started < 2.0
        started = time.perf_counter()
        register(app)
        assert time.perf_counter() - started < 2.0
        assert app.last_position() == 1
    finally:
        deaf.close()
        app.close()


def test_one_relay_listens_per_sqlite_store(sqlite_store: StoreSettings) -> None:
    env = store_environment(SERVICE, sqlite_store)
    first = open_waker(SERVICE, env)
    assert isinstance(first, DatagramWaker)
    try:
        assert first.address == nudge_address(env["SQLITE_DBNAME"])
        with pytest.raises(WakerUnavailableError):
            open_waker(SERVICE, env)
        assert not first.wait(0.05)  # nothing announced
        outbox = open_outbox(SERVICE, env)
        assert outbox is not None
        try:
            outbox.wake(7)
            assert first.wait(1.0, after=6)
            outbox.wake(7)
            assert not first.wait(0.05, after=7)  # stale: that position was read already
        finally:
            outbox.close()
    finally:
        first.close()


def test_frames_written_by_the_publisher_arrive_as_basic_publish_sends_them(
    amqp_uri: str, subscriber: tuple[Any, str]
) -> None:
    """The relay's publisher writes the AMQP frames itself; the broker must deliver exactly
    what py-amqp's basic_publish delivers (properties, routing, body), and bodies larger than
    a frame in several body frames."""
    channel, queue = subscriber
    event: dict[str, Any] = {
        "id": f"{uuid.uuid4()}:1", "type": "dutytrail.responsibility.unit_registered.v1",
        "data": {"name": "单位 ünïcode"},
    }
    body = encode(event).encode(CONTENT_ENCODING)
    big = encode({**event, "data": {"text": "长" * 150_000}}).encode(CONTENT_ENCODING)
    target = AmqpTarget.from_uri(amqp_uri)
    exchange = event_exchange_name(SERVICE)
    connection = amqp.Connection(host=target.host, userid=target.userid,
                                 password=target.password, virtual_host=target.virtual_host)
    connection.connect()
    try:
        connection.channel().basic_publish(
            amqp.Message(body=body, content_type=CONTENT_TYPE, content_encoding=CONTENT_ENCODING,
                         delivery_mode=2, message_id=event["id"], type=event["type"]),
            exchange=exchange, routing_key=event["type"],
        )
    finally:
        connection.close()
    publisher = ConfirmingPublisher(target, exchange)
    try:
        publisher.publish_body(body, event["id"], event["type"])
        publisher.publish(event)
        publisher.publish_body(big, event["id"], event["type"])
        publisher.wait_for_confirms()
        assert publisher.confirmed_through(3)
    finally:
        publisher.close()
    received = []
    for _ in range(4):
        got, (method, properties) = next_event(channel, queue, timeout=5.0)
        assert got is not None
        received.append((method.exchange, method.routing_key, properties, got))
    reference = received[0]
    for exchange_name, routing_key, properties, got in received[1:3]:
        assert (exchange_name, routing_key) == (reference[0], reference[1]) == (
            exchange, event["type"])
        assert properties.content_type == reference[2].content_type == CONTENT_TYPE
        assert properties.content_encoding == reference[2].content_encoding == CONTENT_ENCODING
        assert properties.delivery_mode == reference[2].delivery_mode == 2
        assert properties.message_id == reference[2].message_id == event["id"]
        assert properties.type == reference[2].type == event["type"]
        assert properties.headers is None and properties.priority is None
        assert got == reference[3] == event
    assert received[3][3]["data"]["text"] == "长" * 150_000


def test_the_frames_are_byte_for_byte_what_basic_publish_writes(amqp_uri: str) -> None:
    """The relay's publisher against py-amqp's own frame writer, for a body in one frame and
    a body larger than a frame (several body frames), on each exchange the relay uses."""
    from amqp import spec
    from amqp.method_framing import frame_writer
    from amqp.serialization import dumps

    target = AmqpTarget.from_uri(amqp_uri)
    publisher = ConfirmingPublisher(target, event_exchange_name(SERVICE))
    try:
        frame_max = publisher.connection.frame_max
        small = encode({"data": {"name": "单位 ünïcode"}}).encode(CONTENT_ENCODING)
        big = b"x" * (frame_max + frame_max // 2)  # two body frames (and not written yet)
        for body, exchange in ((small, None), (big, "responsibility.confidential")):
            event_id = f"{uuid.uuid4()}:12"
            event_type = "dutytrail.responsibility.unit_registered.v1"
            publisher.publish_body(body, event_id, event_type, exchange)
            mine = bytes(publisher._pending)
            publisher._pending = bytearray()  # never sent

            class Transport:
                written: list[bytes] = []

                def write(self, data: Any) -> None:
                    self.written.append(bytes(data))

            class Connection:
                bytes_sent = 0

            connection = Connection()
            connection.frame_max = frame_max  # type: ignore[attr-defined]
            transport = Transport()
            transport.written = []
            write = frame_writer(connection, transport)
            args = dumps("Bssbb", (0, exchange or event_exchange_name(SERVICE), event_type,
                                   False, False))
            message = amqp.Message(
                body=body, content_type=CONTENT_TYPE, content_encoding=CONTENT_ENCODING,
                delivery_mode=2, message_id=event_id, type=event_type,
            )
            write(1, publisher.channel.channel_id, spec.Basic.Publish, args, message)
            assert mine and b"".join(transport.written) == mine
    finally:
        publisher.close()

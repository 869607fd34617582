"""The handover from history to live (shared/subscription.py): a subscriber that joins late,
is stopped mid-stream and restarted from the position it recorded ends with exactly the
stored events, once each, in order; a forged event never reaches its handler."""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import amqp.exceptions
import eventlet
import pytest
from kombu.connection import Connection

from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from shared.actors import Actor
from shared.envelope import encode, parse_position
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.relay import Relay
from shared.roles import SUBSCRIBER
from shared.settings import StoreSettings
from shared.subscription import Subscription
from shared.tokens import issue_token
from tests.integration.probe_consumer import delete_queues, running, wait_until
from tests.integration.test_http_catch_up import free_port


class SubscriberCrashError(Exception):
    """The subscriber's process dies while handling an event."""


class Recorder:
    """A subscriber's handler: it keeps what it handled and the position it reached (what a
    real subscriber would store with its own changes); it crashes once, before handling its
    ``crash_at``-th event."""

    def __init__(self, crash_at: int) -> None:
        self.handled: list[dict[str, Any]] = []
        self.crash_at = crash_at

    def __call__(self, event: dict[str, Any]) -> None:
        if len(self.handled) + 1 == self.crash_at:
            self.crash_at = 0
            raise SubscriberCrashError(event["sequence"])
        self.handled.append(event)

    @property
    def position(self) -> int:
        return parse_position(self.handled[-1]["sequence"]) if self.handled else 0


def register(app: Responsibilities, actor: Actor, first: int, count: int) -> None:
    for i in range(first, first + count):
        app.register_unit(code=f"U{i}", name=f"单位{i}", kind="town", actor=actor)


@dataclass
class Served:
    """The responsibility service answering HTTP on ``port``, and its relay running."""

    app: Responsibilities
    port: int
    relay: Relay
    relay_thread: Any  # eventlet's GreenThread running the relay
    actor: Actor = field(
        default_factory=lambda: Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    )

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def register(self, first: int, count: int) -> None:
        register(self.app, self.actor, first, count)

    def published(self) -> None:
        wait_until(lambda: self.relay.position() >= self.app.last_position(),
                   message="published")

    def stop_relay(self) -> None:
        """Stop the relay and wait until it has: nothing stored later is published."""
        self.relay.stop()
        self.relay_thread.wait()


@contextmanager
def serving(store: StoreSettings, amqp_uri: str, *queues: str) -> Iterator[Served]:
    """The service and its relay on ``store``; afterwards both stopped and ``queues`` (with the
    service's RPC queue) deleted. The application stays open for the test to read."""
    port = free_port()
    config = service_config(
        AMQP_URI=amqp_uri, METRICS_PORT=0, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"
    )
    relay = Relay("responsibility", store, amqp_uri)
    relay.poll_interval = 0.02
    app = Responsibilities(store_environment("responsibility", store))
    served = Served(app, port, relay, eventlet.spawn(relay.run))
    try:
        with running(ResponsibilityService, config):
            yield served
    finally:
        served.stop_relay()
        delete_queues(amqp_uri, "rpc-responsibility", *queues)


def publish_raw(uri: str, event: dict[str, Any]) -> None:
    """``event`` on the service's exchange, as given, past the relay."""
    with Connection(uri) as conn:
        channel = conn.channel()
        channel.basic_publish(
            channel.prepare_message(encode(event), content_encoding="utf-8"),
            exchange="responsibility.events", routing_key=event["type"],
        )
        channel.close()


def vhost_of(uri: str) -> str:
    """The virtual host an AMQP URI names, as rabbitmqctl's ``-p`` takes it (quoted)."""
    with Connection(uri) as conn:
        return shlex.quote(conn.virtual_host or "/")


def declare_classic_queue(uri: str, queue: str) -> None:
    """A subscriber's queue as an earlier version declared it: classic, no arguments."""
    with Connection(uri) as conn:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_bind(queue, "responsibility.events", "#")
        channel.close()


def test_history_then_live_once_each_in_order_across_a_restart(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    queue = f"sub{uuid.uuid4().hex[:8]}.responsibility"
    recorder = Recorder(crash_at=17)

    with serving(sqlite_store, amqp_uri, queue) as served:
        app = served.app

        def subscription(after: int) -> Subscription:
            return Subscription(
                "responsibility", recorder, after=after, http_url=served.http_url,
                amqp_uri=amqp_uri, token=issue_token(uuid.uuid4(), uuid.uuid4(), [SUBSCRIBER]),
                queue=queue, page_size=4,
            )

        served.register(0, 10)  # history, published before anyone subscribed
        served.published()
        # Step. Join late at 0: history over HTTP, then live; stop mid-stream.
        first = subscription(0)
        runner = eventlet.spawn(first.run)
        eventlet.sleep(0.3)
        served.register(10, 10)  # live, while the subscriber runs
        with eventlet.Timeout(30), pytest.raises(SubscriberCrashError):
            runner.wait()
        assert len(recorder.handled) == 16
        assert not is_quorum_queue(amqp_uri, queue), "classic unless asked otherwise"

        # Step. Stored while it is stopped; plus a forged event on the exchange.
        served.register(20, 5)
        served.published()
        forged = dict(recorder.handled[-1])
        forged["data"] = {**forged["data"], "name": "伪造"}
        forged["sequence"] = f"{app.last_position() + 1:020d}"
        forged["prevsequence"] = f"{app.last_position():020d}"
        publish_raw(amqp_uri, forged)

        # Step. Restarted from the position it recorded: the rest, once each, in order.
        second = subscription(recorder.position)
        second.run(idle_seconds=1.5)
        served.register(25, 3)
        third = subscription(recorder.position)
        with eventlet.Timeout(30):
            third.run(lambda: recorder.position >= app.last_position())

        # Step. Live, a message is lost: the next one's prevsequence shows the gap, and the
        # history fills it before that one is handled.
        served.stop_relay()
        live = eventlet.spawn(
            subscription(recorder.position).run, lambda: len(recorder.handled) >= 30
        )
        eventlet.sleep(0.5)
        served.register(28, 2)
        publish_raw(amqp_uri, app.events_after(app.last_position() - 1)[-1])
        with eventlet.Timeout(30):
            live.wait()
    stored = app.events_after(0)
    app.close()

    assert [e["id"] for e in recorder.handled] == [e["id"] for e in stored]
    assert len(stored) == 30
    assert all(e["data"]["name"] != "伪造" for e in recorder.handled)
    # What was signed, attribute for attribute (the handler gets the verified event).
    signature = ("dssematerial", "signedextattrs")
    assert recorder.handled == [
        {k: v for k, v in e.items() if k not in signature} for e in stored
    ]


def is_quorum_queue(uri: str, queue: str) -> bool:
    """What the broker holds: redeclaring a queue as quorum is refused unless it is one."""
    with Connection(uri) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(
                queue, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"}
            )
        except amqp.exceptions.PreconditionFailed:
            return False
        channel.close()
        return True


def test_a_queue_of_another_type_is_kept_then_replaced_by_a_quorum_queue_without_loss(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    use_store(sqlite_store)
    queue = f"sub{uuid.uuid4().hex[:8]}.responsibility"
    handled: list[dict[str, Any]] = []

    def position() -> int:
        return parse_position(handled[-1]["sequence"]) if handled else 0

    with serving(sqlite_store, amqp_uri, queue) as served:
        app = served.app

        def subscription() -> Subscription:
            return Subscription(
                "responsibility", handled.append, after=position(), http_url=served.http_url,
                amqp_uri=amqp_uri, token=issue_token(uuid.uuid4(), uuid.uuid4(), [SUBSCRIBER]),
                queue=queue, queue_type="quorum",
            )

        served.register(0, 1)
        served.published()  # the exchange exists
        # Step. The subscriber's classic queue from before, with events in it.
        declare_classic_queue(amqp_uri, queue)
        served.register(1, 5)
        served.published()
        with eventlet.Timeout(30), caplog.at_level("WARNING", "shared.subscription"):
            subscription().run(lambda: position() >= app.last_position())
        assert not is_quorum_queue(amqp_uri, queue), "the classic queue was kept"
        assert f"rabbitmqctl delete_queue -p {vhost_of(amqp_uri)} {queue}" in caplog.text

        # Step. Stopped: more events wait in the old queue; the operator deletes it, and what
        # is stored after that reaches no queue at all.
        served.register(6, 4)
        served.published()
        delete_queues(amqp_uri, queue)
        served.register(10, 3)
        served.published()

        # Step. Started again from its position: a quorum queue, the gap from the history,
        # then live through the new queue.
        live = eventlet.spawn(subscription().run, lambda: len(handled) >= 15)
        wait_until(lambda: len(handled) >= 13, message="caught up")
        assert is_quorum_queue(amqp_uri, queue)
        served.register(13, 2)
        with eventlet.Timeout(30):
            live.wait()
    stored = app.events_after(0)
    app.close()

    assert len(stored) == 15
    assert [e["id"] for e in handled] == [e["id"] for e in stored]


def test_an_unknown_queue_type_is_refused() -> None:
    with pytest.raises(ValueError, match="quorum, classic"):
        Subscription(
            "responsibility", print, http_url="http://127.0.0.1:1", amqp_uri="amqp://",
            token="t", queue="q", queue_type="lazy",
        )

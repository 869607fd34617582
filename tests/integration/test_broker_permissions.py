"""The broker itself enforces who may publish and consume (docs/operations.md, "Broker users
and permissions"): ``dutytrail_ops.broker`` sets up the users in a virtual host of this test's
own, and connections as those users are refused (403 ACCESS_REFUSED) or served by RabbitMQ.

Users are broker-wide, so this test names them with a prefix of its own and deletes them (and
its virtual host) afterwards; a deployment's ``dutytrail-*`` users are never touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pika
import pytest
from amqp.exceptions import AccessRefused
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import ChannelClosedByBroker

from dutytrail_ops import broker
from dutytrail_ops.registry import service_names
from dutytrail_ops.supervisor import live_instances
from services.responsibility.service import ResponsibilityService
from shared.nameko_kit import service_config
from shared.nameko_kit.consumer import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    declare_dead_letter_queue,
)
from shared.relay import AmqpTarget, ConfirmingPublisher

EVENTS = "responsibility.events"
RPC_QUEUE = "rpc-responsibility"
# The queue nameko's @event_handler("responsibility", "#") of the supervision service uses.
SUPERVISION_QUEUE = "evt-responsibility-#--supervision.on_responsibility_event"
SUBSCRIBER = "audit"


@dataclass(frozen=True)
class Logins:
    vhost: str
    uris: dict[str, str]  # "responsibility", "supervision", "casework", "subscriber", "client"


CLEARED_SUBSCRIBER = "auditoffice"
CONFIDENTIAL = "responsibility.confidential"


@pytest.fixture(scope="module")
def logins() -> Iterator[Logins]:
    tag = uuid.uuid4().hex[:8]
    vhost = f"dutytrail-broker-test-{tag}"
    prefix = f"dutytrail-test{tag}"
    services = broker.service_users(prefix=prefix)
    subscriber = broker.subscriber_user_name(SUBSCRIBER, prefix)
    cleared = broker.subscriber_user_name(CLEARED_SUBSCRIBER, prefix)
    client = broker.client_user_name("clerks", prefix)
    names = [u.name for u in services] + [subscriber, client]
    cleared_password, _ = broker.choose_passwords([cleared])
    passwords, generated = broker.choose_passwords(names)
    assert sorted(generated) == sorted(names)
    created: list[str] = []
    try:
        created = [u.name for u in broker.setup(vhost, passwords, prefix=prefix)]
        created.append(
            broker.add_subscriber(
                SUBSCRIBER, ["responsibility"], vhost, passwords[subscriber], prefix
            ).name
        )
        created.append(broker.add_client("clerks", vhost, passwords[client], prefix).name)
        created.append(
            broker.add_subscriber(
                CLEARED_SUBSCRIBER, ["responsibility"], vhost, cleared_password[cleared], prefix,
                cleared=True,
            ).name
        )
        uris = {
            name.removeprefix(f"{prefix}-").split("-")[0]: broker.uri_as(
                name, passwords[name], vhost
            )
            for name in names
        }
        uris["cleared"] = broker.uri_as(cleared, cleared_password[cleared], vhost)
        yield Logins(vhost, uris)
    finally:
        for name in created:
            broker.delete_user(name)
        broker.rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="module")
def declared(logins: Logins) -> None:
    """What the responsibility service and its relay declare, as they declare it, under the
    responsibility user: its events exchange (by the relay's own publisher) and its RPC queue."""
    target = AmqpTarget.from_uri(logins.uris["responsibility"])
    ConfirmingPublisher(target, EVENTS, also_declare=(CONFIDENTIAL,)).close()
    with connection(logins, "responsibility") as channel:
        channel.exchange_declare("nameko-rpc", "topic", durable=True)
        channel.queue_declare(RPC_QUEUE, durable=True)
        channel.queue_bind(RPC_QUEUE, "nameko-rpc", routing_key="responsibility.*")


class connection:  # noqa: N801 - used as a context manager, like open()
    """A pika channel with publisher confirms, logged in as ``who``."""

    def __init__(self, logins: Logins, who: str) -> None:
        self.conn = pika.BlockingConnection(pika.URLParameters(logins.uris[who]))

    def __enter__(self) -> BlockingChannel:
        channel = self.conn.channel()
        channel.confirm_delivery()
        return channel

    def __exit__(self, *exc: object) -> None:
        if self.conn.is_open:
            self.conn.close()


def refused(logins: Logins, who: str, action: Callable[[BlockingChannel], Any]) -> str:
    """The broker's 403 text when ``who`` tries ``action`` on a fresh channel."""
    with connection(logins, who) as channel, pytest.raises(ChannelClosedByBroker) as closed:
        action(channel)
    assert closed.value.reply_code == 403, closed.value
    return str(closed.value.reply_text)


def publish(exchange: str, routing_key: str = "dutytrail.responsibility.probe.v1") -> Callable[
    [BlockingChannel], None
]:
    def action(channel: BlockingChannel) -> None:
        channel.basic_publish(exchange, routing_key, b"{}")

    return action


def consume(queue: str) -> Callable[[BlockingChannel], None]:
    def action(channel: BlockingChannel) -> None:
        channel.basic_consume(queue, lambda *args: None)

    return action


def receive_one(channel: BlockingChannel, queue: str, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, _properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return bytes(body)
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived on {queue} within {timeout}s")


def test_only_a_service_publishes_its_events(logins, declared):
    text = refused(logins, "supervision", publish(EVENTS))
    assert "access to exchange 'responsibility.events'" in text
    assert "-supervision'" in text
    for who in ("casework", "subscriber", "client"):
        refused(logins, who, publish(EVENTS))
    with connection(logins, "responsibility") as channel:
        channel.basic_publish(EVENTS, "dutytrail.responsibility.probe.v1", b"{}")  # confirmed


def test_only_a_service_consumes_its_rpc_queue(logins, declared):
    text = refused(logins, "supervision", consume(RPC_QUEUE))
    assert "access to queue 'rpc-responsibility'" in text
    for who in ("casework", "subscriber", "client"):
        refused(logins, who, consume(RPC_QUEUE))
    with connection(logins, "responsibility") as channel:
        channel.basic_cancel(channel.basic_consume(RPC_QUEUE, lambda *args: None))


def test_a_service_reads_its_upstream_through_its_own_queue(logins, declared):
    # As nameko and the consumer kit declare it: the dead-letter queue, the upstream's
    # exchange, the quorum queue with its dead-letter exchange, bound with "#".
    declare_dead_letter_queue(logins.uris["supervision"])
    with connection(logins, "supervision") as channel:
        channel.exchange_declare(EVENTS, "topic", durable=True)
        channel.queue_declare(SUPERVISION_QUEUE, durable=True, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": 5,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        })
        channel.queue_bind(SUPERVISION_QUEUE, EVENTS, routing_key="#")
        with connection(logins, "responsibility") as publisher:
            publisher.basic_publish(EVENTS, "dutytrail.responsibility.probe.v1", b'{"n": 1}')
        assert receive_one(channel, SUPERVISION_QUEUE) == b'{"n": 1}'

    # Not another service's consumer queue, not the dead letters, not others' RPC requests.
    casework_queue = "evt-responsibility-#--casework.on_responsibility_event"
    refused(logins, "supervision", lambda ch: ch.queue_declare(casework_queue, durable=True))
    refused(logins, "supervision", consume(DEAD_LETTER_QUEUE))
    reply_queue = f"rpc.reply-supervision-{uuid.uuid4()}"

    def eavesdrop(channel: BlockingChannel) -> None:
        channel.queue_declare(reply_queue, exclusive=True)
        channel.queue_bind(reply_queue, "nameko-rpc", routing_key="responsibility.*")

    assert "topic" in refused(logins, "supervision", eavesdrop)


def test_a_subscriber_reads_its_services_and_writes_nothing(logins, declared):
    queue = f"{SUBSCRIBER}.x"
    with connection(logins, "subscriber") as channel:
        channel.exchange_declare(EVENTS, passive=True)  # it may not declare it otherwise
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, EVENTS, routing_key="#")
        with connection(logins, "responsibility") as publisher:
            publisher.basic_publish(EVENTS, "dutytrail.responsibility.probe.v1", b'{"n": 2}')
        assert receive_one(channel, queue) == b'{"n": 2}'

    for exchange, key in [
        (EVENTS, "dutytrail.responsibility.probe.v1"), ("nameko-rpc", "responsibility.ping"),
        (DEAD_LETTER_EXCHANGE, "x"), ("", queue),  # the default exchange, to its own queue
    ]:
        refused(logins, "subscriber", publish(exchange, key))
    refused(logins, "subscriber", consume(RPC_QUEUE))
    refused(logins, "subscriber", lambda ch: ch.exchange_declare(EVENTS, "topic", durable=True))
    refused(logins, "subscriber", lambda ch: ch.queue_declare("other.x", durable=True))
    # Only the services it was given: supervision's events are not among them.
    refused(logins, "subscriber", lambda ch: ch.queue_bind(queue, "supervision.events", "#"))


def test_the_service_runs_under_its_own_user_and_a_client_calls_it(
    logins, declared, sqlite_store, use_store
):
    use_store(sqlite_store)
    config = service_config(AMQP_URI=logins.uris["responsibility"], METRICS_PORT=0)
    container = ServiceContainer(ResponsibilityService, config)
    container.start()
    try:
        with ClusterRpcProxy(service_config(AMQP_URI=logins.uris["client"]), timeout=20) as rpc:
            assert rpc.responsibility.ping()
        # `dutytrail up` logs in as a client too, and still sees the live instance.
        assert live_instances(["responsibility", "supervision"], logins.uris["client"]) == {
            "responsibility": 1}
        # A subscriber calls no RPC: it may not even declare a reply queue.
        with pytest.raises(AccessRefused):
            ClusterRpcProxy(service_config(AMQP_URI=logins.uris["subscriber"]), timeout=5).start()
    finally:
        container.stop()


def test_confidential_events_reach_only_cleared_subscribers(logins, declared):
    """The relay routes confidential events to ``<service>.confidential``: an uncleared
    subscriber cannot even bind to it; a cleared one can and receives them."""
    with connection(logins, "subscriber") as channel:
        channel.queue_declare(f"{SUBSCRIBER}.secret", durable=True)
    refused(logins, "subscriber", lambda ch: ch.queue_bind(
        f"{SUBSCRIBER}.secret", CONFIDENTIAL, routing_key="#"
    ))
    refused(logins, "supervision", publish(CONFIDENTIAL))
    queue = f"{CLEARED_SUBSCRIBER}.secret"
    with connection(logins, "cleared") as channel:
        channel.exchange_declare(CONFIDENTIAL, passive=True)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, CONFIDENTIAL, routing_key="#")
        with connection(logins, "responsibility") as publisher:
            publisher.basic_publish(CONFIDENTIAL, "dutytrail.responsibility.probe.v1", b"{}")
        assert receive_one(channel, queue) == b"{}"


def test_setting_a_user_up_again_changes_its_password_and_the_old_one_is_refused() -> None:
    tag = uuid.uuid4().hex[:8]
    vhost = f"dutytrail-broker-test-{tag}"
    user = broker.client_user("rotation", service_names(), f"dutytrail-test{tag}")

    def logs_in(password: str) -> bool:
        uri = broker.uri_as(user.name, password, vhost, "amqp://127.0.0.1:5672/")
        try:
            pika.BlockingConnection(pika.URLParameters(uri)).close()
        except pika.exceptions.ProbableAuthenticationError:
            return False
        return True

    try:
        broker.apply_users([(user, "first-password")], vhost)
        assert logs_in("first-password")
        broker.apply_users([(user, "second-password")], vhost)
        assert logs_in("second-password")
        assert not logs_in("first-password")
    finally:
        broker.delete_user(user.name)
        broker.rabbitmqctl("delete_vhost", vhost)

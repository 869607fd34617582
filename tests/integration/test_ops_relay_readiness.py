"""A relay's /readyz (served on its metrics port): ready while it reaches its store and its
broker, and naming the problem when it cannot; its leader gauge is 1 while it runs. Real
RabbitMQ, real stores."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import eventlet
from prometheus_client import REGISTRY

from services.responsibility.application import Responsibilities
from shared import metrics
from shared.actors import Actor
from shared.persistence import store_environment
from shared.relay import Relay
from shared.settings import StoreSettings

SERVICE = "responsibility"
CLERK = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        eventlet.sleep(0.05)


def leader() -> float | None:
    return REGISTRY.get_sample_value("dutytrail_relay_leader", {"service": SERVICE})


def test_a_running_relay_is_ready_and_leads(any_store: StoreSettings, amqp_uri: str) -> None:
    relay = Relay(SERVICE, any_store, amqp_uri, fallback_interval=0.2)
    thread = eventlet.spawn(relay.run)
    try:
        eventually(lambda: metrics.readiness_problems() == [] and leader() == 1.0)
        assert relay.readiness_problems() == []
    finally:
        relay.stop()
        thread.wait()
    assert leader() == 0.0
    assert metrics.readiness_problems() is None  # its check left with it


def test_a_relay_the_broker_refuses_is_not_ready_idle_or_publishing(
    sqlite_store: StoreSettings, amqp_uri: str
) -> None:
    parts = urlparse(amqp_uri)
    refused = f"amqp://guest:not-the-password@{parts.hostname}:{parts.port or 5672}{parts.path}"
    relay = Relay(SERVICE, sqlite_store, refused, fallback_interval=0.2)
    thread = eventlet.spawn(relay.run)
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    try:
        # Idle (nothing to publish yet): the broker is asked with a login of its own.
        eventually(lambda: bool(relay.readiness_problems()))
        assert "broker" in relay.readiness_problems()[0]
        # With an event to publish, the failed pass itself is the problem.
        app.register_unit(code=uuid.uuid4().hex[:6], name="单位", kind="town", actor=CLERK)
        eventually(lambda: relay.problem is not None)
        problems = metrics.readiness_problems()
        assert problems and problems[0].startswith("relay for responsibility: ")
        assert "ACCESS_REFUSED" in problems[0] or "Access" in problems[0], problems
    finally:
        relay.stop()
        thread.wait()
        app.close()

"""Fixtures of the end-to-end tests: a private vhost, child processes, a pika subscriber."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import Launcher, Subscriber, private_vhost


@pytest.fixture(autouse=True)
def _broker(test_vhost: str) -> str:
    return test_vhost


@pytest.fixture
def vhost(amqp_uri: str) -> Iterator[str]:
    yield from private_vhost(amqp_uri)


@pytest.fixture
def launcher(tmp_path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.close()


@pytest.fixture
def subscriber(vhost: str) -> Iterator[Subscriber]:
    subscriber = Subscriber(vhost)
    yield subscriber
    subscriber.close()

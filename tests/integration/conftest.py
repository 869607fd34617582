"""Integration tests talk to the real RabbitMQ (in a virtual host of this test session's)
and the real PostgreSQL; a server that cannot be reached fails the test, never skips it."""

import pytest


@pytest.fixture(autouse=True)
def _broker(test_vhost: str) -> str:
    return test_vhost

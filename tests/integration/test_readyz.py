"""A service's /readyz counts its upstream feeds (shared/nameko_kit/http.py; docs/runbook.md,
"Readiness"): not ready while a feed is more events behind its upstream, or behind for longer,
than the limits, and the answer names the feed. Over a real store (SQLite and PostgreSQL), the
real broker, and the feed exactly as the kit builds it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from shared.feed import UpstreamFeed
from shared.nameko_kit.http import broker_problem, readiness
from shared.persistence import store_environment
from shared.settings import StoreSettings
from tests.integration.probe_consumer import PROBE_STORE, UPSTREAM, LedgerProbe
from tests.integration.test_consumer import FakeUpstream, feed_for


@pytest.fixture
def probe(any_store: StoreSettings) -> Iterator[LedgerProbe]:
    app = LedgerProbe(store_environment(PROBE_STORE, any_store))
    yield app
    app.close()


def ready(app: LedgerProbe, feed: UpstreamFeed, amqp_uri: str) -> tuple[int, dict[str, Any]]:
    answer = readiness(app, partial(broker_problem, amqp_uri), {UPSTREAM: feed})
    return answer.status_code, json.loads(answer.get_data())


def test_a_feed_too_many_events_behind_makes_the_service_not_ready_naming_it(
    probe: LedgerProbe, amqp_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYTRAIL_READY_FEED_MAX_EVENTS", "3")
    upstream = FakeUpstream([1, 2, 3, 4, 5])
    feed = feed_for(probe, upstream)
    assert feed.deliver(upstream.events[0], upstream.pull) == "applied"
    status, body = ready(probe, feed, amqp_uri)
    assert status == 200 and body["problems"] == []
    assert body["feeds"][UPSTREAM]["behind_events"] == 0
    # The upstream's fifth event arrives while the upstream cannot be pulled from.
    upstream.failures_left = 1
    assert feed.deliver(upstream.events[4], upstream.pull) == "pulled"
    status, body = ready(probe, feed, amqp_uri)
    assert status == 503 and body["ready"] is False
    described = body["feeds"][UPSTREAM]
    assert (described["position"], described["upstream_position"]) == (1, 5)
    assert (described["behind_events"], described["lagging"]) == (4, True)
    [problem] = body["problems"]
    assert problem.startswith(f"feed {UPSTREAM}: 4 events behind (at 1, {UPSTREAM} at 5)")
    # The timer's next pull catches up: ready again.
    assert feed.retry(upstream.pull) == 4
    status, body = ready(probe, feed, amqp_uri)
    assert status == 200
    assert body["feeds"][UPSTREAM] == {
        "position": 5, "upstream_position": 5, "behind_events": 0, "behind_seconds": 0.0,
        "lagging": False,
    }


def test_a_feed_behind_for_too_long_makes_the_service_not_ready_even_one_event_behind(
    probe: LedgerProbe, amqp_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYTRAIL_READY_FEED_MAX_SECONDS", "0.3")
    upstream = FakeUpstream([1, 2])
    feed = feed_for(probe, upstream)
    upstream.failures_left = 5
    assert feed.deliver(upstream.events[1], upstream.pull) == "pulled"
    assert ready(probe, feed, amqp_uri)[0] == 200  # one event, just now: within the limits
    time.sleep(0.4)
    status, body = ready(probe, feed, amqp_uri)
    assert status == 503
    assert body["feeds"][UPSTREAM]["behind_seconds"] >= 0.3
    assert body["problems"][0].startswith(f"feed {UPSTREAM}: 2 events behind")
    upstream.failures_left = 0
    assert feed.retry(upstream.pull) == 2
    assert ready(probe, feed, amqp_uri)[0] == 200


def test_a_broker_that_does_not_answer_is_named_beside_the_feeds(
    probe: LedgerProbe,
) -> None:
    upstream = FakeUpstream([1])
    feed = feed_for(probe, upstream)
    status, body = ready(probe, feed, "amqp://guest:guest@127.0.0.1:1/")
    assert status == 503
    assert [p.split(":")[0] for p in body["problems"]] == ["broker"]
    assert body["feeds"][UPSTREAM]["lagging"] is False

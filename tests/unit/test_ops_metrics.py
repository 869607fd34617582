"""The metrics port: its paths, its labels and the series that exist before anything happens."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from shared import metrics


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def port() -> int:
    chosen = _free_port()
    assert metrics.serve_metrics("127.0.0.1", chosen)
    return chosen


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def readiness() -> Iterator[list[str]]:
    problems: list[str] = []
    metrics.add_readiness_check("test", lambda: list(problems))
    yield problems
    metrics.remove_readiness_check("test")


def test_the_metrics_port_serves_metrics_and_liveness_and_nothing_else(port: int) -> None:
    status, body = _get(port, "/metrics")
    assert status == 200 and "dutytrail_commands_total" in body
    assert _get(port, "/healthz") == (200, '{"alive":true}')
    assert _get(port, "/")[0] == 404
    assert _get(port, "/metrics/extra")[0] == 404
    # No readiness check registered here: a probe of /readyz must fail, not pass blindly.
    assert _get(port, "/readyz")[0] == 404


def test_readyz_answers_503_with_the_problems_until_they_are_gone(
    port: int, readiness: list[str]
) -> None:
    assert json.loads(_get(port, "/readyz")[1]) == {"ready": True, "problems": []}
    readiness.append("relay for depot: ConnectionRefusedError: broker down")
    status, body = _get(port, "/readyz")
    assert status == 503
    assert json.loads(body)["problems"] == ["relay for depot: ConnectionRefusedError: broker down"]


def test_stored_events_are_labelled_with_their_public_type_and_confidential_ones_not_at_all(
) -> None:
    before = REGISTRY.get_sample_value(
        "dutytrail_events_stored_total",
        {"service": "supervision", "event": "dutytrail.supervision.bulletin_issued.v1"},
    ) or 0.0
    metrics.count_stored("supervision", ["Bulletin.Issued", "UnannouncedVisit.Scheduled"])
    assert REGISTRY.get_sample_value(
        "dutytrail_events_stored_total",
        {"service": "supervision", "event": "dutytrail.supervision.bulletin_issued.v1"},
    ) == before + 1
    labels = {
        sample.labels["event"]
        for family in REGISTRY.collect() if family.name == "dutytrail_events_stored"
        for sample in family.samples
    }
    assert not any("." in label and not label.startswith("dutytrail.") for label in labels)
    assert not any("unannounced_visit_scheduled" in label for label in labels)


def test_the_series_alerts_need_exist_at_zero_before_the_first_occurrence() -> None:
    metrics.declare_service_series("responsibility", ["register_unit"])
    metrics.declare_relay_series("responsibility")
    # The registry is the process's: other tests in this process count responsibility's
    # commands, so the zeros are checked on a command nothing else calls.
    metrics.declare_service_series("responsibility", ["never_called_in_tests"])
    metrics.declare_service_series("ops_probe_service")
    for reason in metrics.DEAD_LETTER_REASONS:
        assert REGISTRY.get_sample_value(
            "dutytrail_dead_lettered_total", {"service": "ops_probe_service", "reason": reason}
        ) == 0.0
    for outcome in metrics.COMMAND_OUTCOMES:
        assert REGISTRY.get_sample_value(
            "dutytrail_commands_total",
            {"service": "responsibility", "command": "never_called_in_tests",
             "outcome": outcome},
        ) == 0.0
        assert REGISTRY.get_sample_value(
            "dutytrail_commands_total",
            {"service": "responsibility", "command": "register_unit", "outcome": outcome},
        ) is not None
    assert REGISTRY.get_sample_value(
        "dutytrail_events_stored_total",
        {"service": "responsibility", "event": "dutytrail.responsibility.unit_registered.v1"},
    ) is not None
    for name in ("dutytrail_relay_lag", "dutytrail_relay_leader",
                 "dutytrail_events_published_total"):
        assert REGISTRY.get_sample_value(name, {"service": "responsibility"}) is not None

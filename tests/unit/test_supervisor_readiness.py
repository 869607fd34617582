"""What `dutytrail up` tells the operator: where each child's readiness is, when it changes,
and which store and broker it uses, never with a password."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dutytrail_ops.supervisor import (
    Child,
    Supervisor,
    children_for,
    describe_broker,
    describe_store,
)
from shared import metrics
from shared.settings import StoreSettings


def test_a_service_child_learns_its_readyz_from_the_http_line_of_its_log() -> None:
    child = Child("supervision", [])
    child.notice("2026-11-27 supervision INFO nameko: metrics on http://0.0.0.0:9101/metrics")
    assert child.readyz is None  # a service's metrics port has no readiness of its own
    child.notice('{"message": "supervision answers HTTP on 0.0.0.0:40213", "level": "INFO"}')
    assert child.readyz == "http://127.0.0.1:40213/readyz"


def test_a_relay_child_learns_its_readyz_from_its_metrics_line_and_port_0_is_none() -> None:
    relay = Child("funds-relay", [], relay=True)
    relay.notice("x funds-relay INFO shared.metrics: metrics on http://0.0.0.0:0/metrics")
    assert relay.readyz is None
    relay.notice("x funds-relay INFO shared.metrics: metrics on http://10.0.0.5:9203/metrics")
    assert relay.readyz == "http://10.0.0.5:9203/readyz"


def test_the_store_and_broker_are_described_without_their_passwords(tmp_path: Path) -> None:
    postgres = StoreSettings("postgres", tmp_path, "db.internal", "5433", "dutytrail",
                             "s3cret-pw", "district", "prod_")
    described = describe_store(postgres)
    assert described == ("PostgreSQL dutytrail@db.internal:5433 database 'district', "
                         "schemas 'prod_<service>'")
    assert str(tmp_path) in describe_store(StoreSettings.sqlite(tmp_path))
    broker = describe_broker("amqp://dutytrail-client-ops:p%40ss@rabbit:5672/dutytrail")
    assert broker == "RabbitMQ dutytrail-client-ops@rabbit:5672 vhost 'dutytrail'"
    assert "p%40ss" not in broker and "p@ss" not in broker


@pytest.fixture
def readyz() -> Iterator[tuple[str, list[str]]]:
    """A real /readyz (a metrics port with a readiness check) and the problems it reports."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    metrics.serve_metrics("127.0.0.1", port)
    problems: list[str] = []
    metrics.add_readiness_check("supervisor-test", lambda: list(problems))
    yield f"http://127.0.0.1:{port}/readyz", problems
    metrics.remove_readiness_check("supervisor-test")


def test_the_supervisor_says_each_change_of_readiness_and_when_all_are_ready(
    readyz: tuple[str, list[str]],
) -> None:
    url, problems = readyz
    out = io.StringIO()
    child = Child("depot-relay", [], relay=True)
    child.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child.readyz = url
        # A relay without a metrics port has no /readyz: it never holds "all ready" back.
        quiet = Child("quiet-relay", [], relay=True, probed=False)
        supervisor = Supervisor([child, quiet], out=out)
        problems.append("relay for depot: ConnectionRefusedError: [Errno 111] refused")
        supervisor.check_readiness()
        supervisor.check_readiness()  # no change: nothing said
        problems.clear()
        supervisor.check_readiness()
    finally:
        child.process.kill()
        child.process.wait()
    assert out.getvalue().splitlines() == [
        "[dutytrail] depot-relay not ready: relay for depot: ConnectionRefusedError: "
        "[Errno 111] refused",
        "[dutytrail] depot-relay ready",
        "[dutytrail] all 1 processes ready",
    ]


def test_only_a_relay_without_a_metrics_port_goes_unprobed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYTRAIL_SUPERVISION_RELAY_METRICS_PORT", "0")
    monkeypatch.setenv("DUTYTRAIL_SUPERVISION_METRICS_PORT", "0")
    children = {c.tag: c for c in children_for(["supervision", "responsibility"])}
    assert not children["supervision-relay"].probed
    assert children["supervision"].probed  # its /readyz is on its HTTP port, not metrics
    assert children["responsibility-relay"].probed

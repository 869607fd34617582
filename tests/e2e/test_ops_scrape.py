"""Operations end to end: `dutytrail up` says which store and broker it uses and when each
process is ready, refuses a second instance on the same virtual host, and every metric that
the Grafana dashboard and the alert rules name is in the running processes' scrapes."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from dutytrail_ops.registry import service_names
from dutytrail_ops.supervisor import live_instances
from shared.persistence import drop_postgres_schemas
from tests.conftest import environ_for, postgres_settings, sqlite_settings
from tests.e2e.helpers import Launcher, free_port, process_env, run_cli

pytestmark = [pytest.mark.rabbitmq]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = tuple(service_names())  # the dashboard has a panel for each one's own metrics
# Metric names are the identifiers with these prefixes; the rest of an expression is PromQL
# (functions, labels) or Prometheus's own series (`up`).
METRIC = re.compile(r"\b((?:dutytrail|process|python)_[a-z0-9_]+)\b")


def dashboard_queries() -> list[str]:
    board = json.loads((DEPLOY / "grafana" / "dutytrail.json").read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def alert_queries() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def scraped_names(port: int) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in scrape(port).splitlines()
            if line and not line.startswith("#")}


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_up_reports_store_and_readiness_refuses_a_second_instance_and_serves_every_metric_used(
    launcher: Launcher, vhost: str, tmp_path: Path
) -> None:
    settings = sqlite_settings(tmp_path / "var")
    env = process_env(settings, vhost)
    ports = {}
    for service in SERVICES:
        for suffix in ("", "_RELAY"):
            ports[f"{service}{suffix.lower().replace('_', '-')}"] = port = free_port()
            env[f"DUTYTRAIL_{service.upper()}{suffix}_METRICS_PORT"] = str(port)
    env["DUTYTRAIL_HTTP_PORT"] = "0"  # any free port: the supervisor reads it from the log
    args = ["up", *(f"--service={s}" for s in SERVICES)]
    up = launcher.start(args, env, "up")

    store = re.escape(str(settings.var_dir))
    up.wait_for(rf"\[dutytrail\] store: SQLite, one file per service in {store}", 30)
    broker = up.wait_for(r"\[dutytrail\] broker: (.*)", 30).group(1)
    assert vhost.rsplit("/", 1)[1] in broker and "guest@" in broker and ":guest@" not in broker
    up.wait_for(rf"\[dutytrail\] all {2 * len(SERVICES)} processes ready", 120)
    for tag in ports:
        assert f"[dutytrail] {tag} ready" in up.output()

    # Every metric the dashboard and the alerts name exists before anything happened.
    scraped = set().union(*(scraped_names(port) for port in ports.values()))
    used = {name for query in dashboard_queries() + alert_queries()
            for name in METRIC.findall(query)}
    assert used and used <= scraped, sorted(used - scraped)
    # Stored events are labelled with their public types, each at 0 before the first.
    events = re.findall(r'dutytrail_events_stored_total\{event="([^"]+)"', scrape(ports["responsibility"]))
    assert "dutytrail.responsibility.unit_registered.v1" in events
    assert all(e.startswith("dutytrail.responsibility.") for e in events), events

    # A relay's metrics port answers its readiness and nothing it does not serve.
    relay = ports["supervision-relay"]
    assert status_of(f"http://127.0.0.1:{relay}/readyz") == 200
    assert status_of(f"http://127.0.0.1:{relay}/healthz") == 200
    assert status_of(f"http://127.0.0.1:{relay}/anything") == 404

    # A second instance on the same virtual host is refused, before it starts anything.
    second = {**env, "DUTYTRAIL_VAR_DIR": str(tmp_path / "other")}
    for service in SERVICES:  # its ports would be free: only the RPC queues tell
        second[f"DUTYTRAIL_{service.upper()}_METRICS_PORT"] = "0"
        second[f"DUTYTRAIL_{service.upper()}_RELAY_METRICS_PORT"] = "0"
    refused = run_cli(args, second, timeout=60)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "responsibility (1 consumers on rpc-responsibility)" in refused.stderr
    assert "already running" in refused.stderr and "--replica" in refused.stderr
    assert "started" not in refused.stdout
    # A replica shares the store: not possible with one host's SQLite files.
    replica = run_cli([*args, "--replica"], second, timeout=60)
    assert replica.returncode == 2 and "needs DUTYTRAIL_STORE=postgres" in replica.stderr
    # On PostgreSQL it starts beside the live instance: its service's consumers join the same
    # RPC queue, and its relay is a candidate that stands by while another leads.
    postgres = postgres_settings(f"t{uuid.uuid4().hex[:10]}_")
    try:
        beside = launcher.start(["up", "--replica", "--service=supervision"],
                                {**second, **environ_for(postgres)}, "replica")
        beside.wait_for(r"\[dutytrail\] supervision ready", 60)
        assert live_instances(["supervision"], vhost) == {"supervision": 2}
        beside.wait_for(r"\[supervision-relay\].*(stands by|starts at position)", 60)
    finally:
        launcher.close()
        drop_postgres_schemas(postgres)

"""The deployment files cover every declared service, and the dashboard's and alerts' queries
are PromQL that Prometheus accepts (deploy/check-deploy.sh validates the files' schemas).

promtool is required, not optional: deploy/check-deploy.sh installs it; a machine without it
fails here rather than skipping the check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from dutytrail_ops.registry import declarations

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _promtool() -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run deploy/check-deploy.sh (apt-get install prometheus)"
    return tool


def test_the_compose_file_is_valid_for_docker_compose() -> None:
    tool = shutil.which("docker-compose")
    assert tool, "docker-compose is missing: run deploy/check-deploy.sh"
    secrets = {"RABBITMQ_PASSWORD": "x", "POSTGRES_PASSWORD": "x", "GRAFANA_ADMIN_PASSWORD": "x"}
    checked = subprocess.run(
        [tool, "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        env={**os.environ, **secrets}, capture_output=True, text=True, timeout=60, check=False,
    )
    assert checked.returncode == 0, checked.stderr
    # Without its secrets the file refuses to be used, rather than start with empty ones.
    unset = {k: v for k, v in os.environ.items() if k not in secrets}
    refused = subprocess.run(
        [tool, "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        env=unset, capture_output=True, text=True, timeout=60, check=False,
    )
    assert refused.returncode != 0 and "set RABBITMQ_PASSWORD" in refused.stderr


def test_the_kubernetes_manifests_match_the_kubernetes_schemas() -> None:
    tool = Path(sys.executable).with_name("kubernetes-validate")
    assert tool.exists(), "kubernetes-validate is missing: pip install -e '.[dev]'"
    manifests = sorted(map(str, (DEPLOY / "k8s").rglob("*.yaml")))
    checked = subprocess.run(
        [str(tool), "--strict", "--quiet", *manifests],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_runs_every_declared_service_and_its_relay_with_their_probes() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"rabbitmq", "postgres", "prometheus", "grafana"} <= set(compose)
    for name, declared in declarations().items():
        service, relay = compose[name], compose[f"{name}-relay"]
        assert service["command"] == ["run", name] and relay["command"] == ["relay", name]
        http = declared.metrics_port - 1000
        assert f"127.0.0.1:{http}/readyz" in " ".join(service["healthcheck"]["test"])
        assert f"127.0.0.1:{declared.relay_metrics_port}/readyz" in " ".join(
            relay["healthcheck"]["test"])
        key = f"DUTYTRAIL_{name.upper()}_PRIVATE_KEY_FILE"
        assert service["environment"][key] == relay["environment"][key]


def test_prometheus_scrapes_every_declared_service_and_relay() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {f"{name}:{c['port']}" for job in config["scrape_configs"]
               for c in job["dns_sd_configs"] for name in c["names"]}
    expected = set()
    for name, declared in declarations().items():
        expected |= {f"{name}:{declared.metrics_port}",
                     f"{name}-relay:{declared.relay_metrics_port}"}
    assert targets == expected


def test_kubernetes_has_probed_deployments_metrics_services_and_a_budget_per_service() -> None:
    for name, declared in declarations().items():
        found = {(d["kind"], d["metadata"]["name"]): d
                 for d in _documents(DEPLOY / "k8s" / f"{name}.yaml")}
        service = found[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
        relay = found[("Deployment", f"{name}-relay")]["spec"]["template"]["spec"]
        ports = {p["name"]: p["containerPort"] for p in service["ports"]}
        assert ports == {"http": declared.metrics_port - 1000, "metrics": declared.metrics_port}
        assert service["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert service["livenessProbe"]["httpGet"]["path"] == "/healthz"
        relay_container = relay["containers"][0]
        assert relay_container["ports"] == [
            {"name": "metrics", "containerPort": declared.relay_metrics_port}]
        assert relay_container["readinessProbe"]["httpGet"] == {"path": "/readyz",
                                                                 "port": "metrics"}
        # Two relay candidates (one leads, by the leader lock), never none during a rollout.
        relay_spec = found[("Deployment", f"{name}-relay")]["spec"]
        assert relay_spec["replicas"] == 2
        assert relay_spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert ("PodDisruptionBudget", f"{name}-relay") in found
        for metrics in (f"{name}-metrics", f"{name}-relay-metrics"):
            annotations = found[("Service", metrics)]["metadata"]["annotations"]
            assert annotations["prometheus.io/scrape"] == "true"
        assert ("PodDisruptionBudget", name) in found


def test_every_dashboard_query_is_valid_promql() -> None:
    board = json.loads((DEPLOY / "grafana" / "dutytrail.json").read_text())
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(queries) >= 15
    # promtool parses PromQL only in rule files: each query becomes a recording rule.
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{i}", "expr": q} for i, q in enumerate(queries)]}]}
    checked = subprocess.run(
        [_promtool(), "check", "rules", "/dev/stdin"], input=yaml.safe_dump(rules),
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_has_a_unit_test_in_which_it_fires_and_the_tests_pass() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text())["tests"]
    firing = {c["alertname"] for t in tests for c in t["alert_rule_test"] if c["exp_alerts"]}
    assert alerts == firing
    done = subprocess.run(
        [_promtool(), "test", "rules", "alerts_test.yml"], cwd=DEPLOY / "prometheus",
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

"""docs/openapi.yaml describes exactly the HTTP routes every service gets from the kit, and
each service's port comes from its declaration unless the environment moves it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dutytrail_ops.registry import declarations
from shared.nameko_kit.http import HttpEntrypoint, http_port
from shared.nameko_kit.service import ServiceKit

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def kit_routes() -> set[tuple[str, str]]:
    routes = set()
    for member in vars(ServiceKit).values():
        for entrypoint in getattr(member, "nameko_entrypoints", set()):
            if isinstance(entrypoint, HttpEntrypoint):
                url = re.sub(r"<[^>]+>", "{type}", entrypoint.url)
                routes.add((entrypoint.method.lower(), url))
    return routes


def test_openapi_describes_every_route_of_the_kit():
    document = yaml.safe_load(OPENAPI.read_text("utf-8"))
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    assert described == kit_routes()
    assert document["openapi"].startswith("3.1")


def test_a_service_port_follows_its_declaration_unless_the_environment_moves_it(monkeypatch):
    monkeypatch.delenv("DUTYTRAIL_HTTP_PORT", raising=False)
    ports = {name: http_port(name, d.metrics_port) for name, d in declarations().items()}
    assert ports["responsibility"] == 8100 and ports["supervision"] == 8101
    assert len(set(ports.values())) == len(ports)  # no two services on one port
    monkeypatch.setenv("DUTYTRAIL_HTTP_PORT", "0")
    assert http_port("responsibility", 9100) == 0
    monkeypatch.setenv("DUTYTRAIL_RESPONSIBILITY_HTTP_PORT", "18100")
    assert http_port("responsibility", 9100) == 18100
    assert http_port("supervision", 9101) == 0

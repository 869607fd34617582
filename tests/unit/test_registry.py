"""The services are discovered from their declarations, and everything that runs them offers
exactly those (no broker, no database)."""

from __future__ import annotations

import importlib
import pkgutil
import random

import pytest
from click.testing import CliRunner

import services
from dutytrail_ops import registry
from dutytrail_ops.acting import Acting
from dutytrail_ops.cli import main
from dutytrail_ops.demo import timeline
from dutytrail_ops.registry import (
    UnknownServiceError,
    declaration,
    declarations,
    in_dependency_order,
    load_service_class,
    service_names,
)
from dutytrail_ops.supervisor import children_for
from shared.declaration import ServiceDeclaration


def packages_with_a_declaration() -> set[str]:
    found = set()
    for module in pkgutil.iter_modules(services.__path__):
        package = importlib.import_module(f"services.{module.name}")
        if hasattr(package, "DECLARATION"):
            found.add(module.name)
    return found


def test_the_registry_finds_exactly_the_packages_with_a_declaration():
    found = declarations()
    assert set(found) == packages_with_a_declaration()
    assert {"responsibility", "supervision"} <= set(found)
    assert "nonesuch" not in found
    assert list(found) == sorted(found)
    assert service_names() == list(found)
    for name, declared in found.items():
        assert isinstance(declared, ServiceDeclaration)
        assert declared.name == name
        assert declaration(name) is declared


def test_an_unknown_name_is_refused_with_a_clear_error():
    with pytest.raises(UnknownServiceError) as refused:
        declaration("nonesuch")
    message = str(refused.value)
    assert "no service named 'nonesuch'" in message
    for name in service_names():
        assert name in message
    assert isinstance(refused.value, LookupError)
    with pytest.raises(UnknownServiceError, match="'nonesuch'"):
        declaration("nonesuch")
    with pytest.raises(UnknownServiceError):
        load_service_class("nonesuch")


@pytest.mark.parametrize("name", service_names())
def test_every_declared_service_class_imports(name):
    module_name, _, class_name = declaration(name).service_class.partition(":")
    cls = load_service_class(name)
    assert isinstance(cls, type)
    assert cls.__name__ == class_name
    assert cls.__module__ == module_name


def test_ports_are_set_and_distinct_across_services():
    ports = [
        port for declared in declarations().values()
        for port in (declared.metrics_port, declared.relay_metrics_port)
    ]
    assert all(port > 0 for port in ports), ports
    assert len(set(ports)) == len(ports), ports


def test_upstreams_are_declared_and_come_first():
    order = in_dependency_order()
    assert sorted(order) == service_names()
    for name in order:
        for upstream in declaration(name).upstreams:
            assert upstream in order, f"{name} follows undeclared {upstream}"
            assert order.index(upstream) < order.index(name)


@pytest.mark.parametrize("command", ["run", "relay", "events"])
def test_the_command_line_offers_exactly_the_declared_services(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    offered = result.output.split("{", 1)[1].split("}", 1)[0].split("|")
    assert offered == service_names()

    refused = CliRunner().invoke(main, [command, "nonesuch"])
    assert refused.exit_code == 2
    assert "'nonesuch' is not one of" in refused.output


def test_the_supervisor_starts_a_service_and_a_relay_per_declaration(monkeypatch):
    for name in service_names():
        monkeypatch.delenv(f"DUTYTRAIL_{name.upper()}_METRICS_PORT", raising=False)
        monkeypatch.delenv(f"DUTYTRAIL_{name.upper()}_RELAY_METRICS_PORT", raising=False)
    monkeypatch.setenv("DUTYTRAIL_SUPERVISION_RELAY_METRICS_PORT", "19301")
    children = {child.tag: child for child in children_for(service_names())}
    assert set(children) == {t for s in service_names() for t in (s, f"{s}-relay")}
    for name, declared in declarations().items():
        service, relay = children[name], children[f"{name}-relay"]
        assert service.argv[1:] == ["-m", "dutytrail_ops.cli", "run", name]
        assert relay.argv[1:] == ["-m", "dutytrail_ops.cli", "relay", name]
        assert service.env == {"DUTYTRAIL_METRICS_PORT": str(declared.metrics_port)}
        if name != "supervision":
            assert relay.env == {"DUTYTRAIL_METRICS_PORT": str(declared.relay_metrics_port)}
    # The operator's port wins over the declared one.
    assert children["supervision-relay"].env == {"DUTYTRAIL_METRICS_PORT": "19301"}
    with pytest.raises(UnknownServiceError):
        children_for(["nonesuch"])


def test_the_demo_plays_the_scenario_of_each_running_service_and_notes_the_rest():
    def context(running):
        return timeline.DemoContext(Acting(proxy=None), random.Random(1), 1, 2026, running)

    scenarios, notes = timeline.find_scenarios(
        context(["responsibility", "supervision", "nonesuch"])
    )
    assert [s.service for s in scenarios] == ["responsibility", "supervision"]
    assert len(notes) == 1 and notes[0].startswith("nonesuch: no demo scenario"), notes

    # A scenario whose upstream plays no part is skipped with a note, not played blind.
    scenarios, notes = timeline.find_scenarios(context(["supervision"]))
    assert scenarios == []
    assert "responsibility" in notes[0], notes


def test_declarations_are_read_once():
    assert registry.declarations() is registry.declarations()

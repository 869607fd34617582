"""What a service is, declared once in its package's ``__init__.py``.

Everything that runs services (the command line, the process supervisor, metrics, schema
export, the demo) discovers them from these declarations; nothing else keeps a list of
services. See docs/adding-a-service.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDeclaration:
    """One service: its name, the services whose events it follows, and its ports."""

    name: str
    title: str
    # The nameko service class, as ``module:Class`` so that declarations import nothing heavy.
    service_class: str
    upstreams: tuple[str, ...] = ()
    # Default Prometheus ports of the service process and of its relay process; the
    # environment overrides them (shared.settings.metrics_port, docs/operations.md).
    metrics_port: int = 0
    relay_metrics_port: int = 0

    @property
    def contracts_module(self) -> str:
        return f"shared.contracts.{self.name}"

    @property
    def deploy_file(self) -> str:
        return f"deploy/{self.name}.yaml"

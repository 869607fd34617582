"""The ``dutytrail`` command line: run the services, read events, export schemas, the demo.

Every command that takes a service offers exactly the declared ones (``dutytrail_ops.registry``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dutytrail_ops.registry import service_names

Reader = Callable[[int, int], list[dict[str, Any]]]


@click.group()
def main() -> None:
    """dutytrail: a traceable record of a district's two responsibilities."""
    # Known, harmless noise from pinned dependencies (docs/operations.md), not for operators'
    # eyes.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    logging.getLogger("amqp").setLevel(logging.ERROR)


@main.command()
@click.option("--service", "services", multiple=True, type=click.Choice(service_names()),
              help="Only these services (repeatable).")
def up(services: tuple[str, ...]) -> None:
    """Start every service and its relay as supervised child processes (Ctrl-C stops)."""
    from dutytrail_ops.preflight import check_broker, check_store
    from dutytrail_ops.supervisor import Supervisor, children_for

    chosen = sorted(set(services)) or service_names()
    problems = [p for p in (check_broker(), check_store()) if p]
    if problems:
        for problem in problems:
            click.echo(f"cannot start: {problem}", err=True)
        sys.exit(2)
    sys.exit(Supervisor(children_for(chosen)).run())


@main.command()
@click.argument("service", type=click.Choice(service_names()))
def run(service: str) -> None:
    """Run one service's nameko container in this process."""
    from dutytrail_ops.runner import run_service

    run_service(service)


@main.command()
@click.argument("service", type=click.Choice(service_names()))
def relay(service: str) -> None:
    """Run one service's relay (stored events -> <service>.events) in this process."""
    from dutytrail_ops.runner import run_relay

    run_relay(service)


@main.command()
@click.argument("service", type=click.Choice(service_names()))
@click.option("--from", "start", type=int, default=1, show_default=True,
              help="First position to print (inclusive).")
@click.option("--follow", is_flag=True, help="Keep printing new events as they are stored.")
@click.option("--rpc", "via_rpc", is_flag=True,
              help="Read through the service's catch-up RPC instead of its store.")
def events(service: str, start: int, follow: bool, via_rpc: bool) -> None:
    """Print SERVICE's events from position N onward, one CloudEvent JSON per line."""
    from shared.application import MAX_PAGE
    from shared.envelope import encode, parse_position

    read, close = _rpc_reader(service) if via_rpc else _store_reader(service)
    after = max(0, start - 1)
    try:
        while True:
            page = read(after, MAX_PAGE)
            for event in page:
                click.echo(encode(event))
                after = parse_position(event["sequence"])
            if len(page) < MAX_PAGE:
                if not follow:
                    return
                time.sleep(0.5)
    finally:
        close()


def _store_reader(service: str) -> tuple[Reader, Callable[[], None]]:
    from shared.envelope import EnvelopeBuilder, read_page
    from shared.persistence import open_factory, store_environment

    factory = open_factory(store_environment(service))
    recorder = factory.application_recorder()
    builder = EnvelopeBuilder(service)

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        return read_page(recorder, builder, after, limit)

    def close() -> None:
        datastore = getattr(recorder, "datastore", None)
        if datastore is not None:
            datastore.close()

    return read, close


def _rpc_reader(service: str) -> tuple[Reader, Callable[[], None]]:
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.nameko_kit.config import service_config

    proxy = ClusterRpcProxy(service_config(), timeout=30).start()
    remote = getattr(proxy, service)

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        page: list[dict[str, Any]] = remote.events_after({"after": after, "limit": limit})
        return page

    return read, proxy.stop


@main.group()
def schemas() -> None:
    """JSON Schemas of the public events."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_schemas(directory: Path) -> None:
    """Write one JSON Schema per public event type of every declared service into DIRECTORY."""
    import importlib

    from dutytrail_ops.registry import declarations
    from shared.contracts import all_contracts
    from shared.envelope import dataschema_for

    for declared in declarations().values():
        importlib.import_module(declared.contracts_module)  # registers its contracts
    directory.mkdir(parents=True, exist_ok=True)
    for info in all_contracts():
        if info.service not in declarations():
            continue
        schema = info.model.model_json_schema()
        schema["$id"] = dataschema_for(info.type)
        schema["title"] = info.type
        schema["x-dataclassification"] = info.classification
        path = directory / f"{info.type}.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", "utf-8")
        click.echo(str(path))


@main.command()
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--year", type=int, default=2026, show_default=True)
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the services to answer.")
def demo(seed: int, year: int, timeout: float) -> None:
    """Play a seeded district year over RPC against the running services and report."""
    from dutytrail_ops.demo import run_demo

    sys.exit(run_demo(seed=seed, year=year, timeout=timeout))


if __name__ == "__main__":
    main()

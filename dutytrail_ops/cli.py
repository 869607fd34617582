"""The ``dutytrail`` command line: run the services, read events, export schemas, the demo.

Every command that takes a service offers exactly the declared ones (``dutytrail_ops.registry``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dutytrail_ops.broker import broker
from dutytrail_ops.cli_events import TOKEN_VARIABLE, events
from dutytrail_ops.cli_schemas import schemas
from dutytrail_ops.dlq import dlq
from dutytrail_ops.exits import OneLineErrors
from dutytrail_ops.registry import service_names
from dutytrail_ops.report.cli import report
from shared.roles import ROLES

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["TOKEN_VARIABLE", "main"]


def _version() -> str:
    try:
        return version("dutytrail")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


@click.group(cls=OneLineErrors)
@click.version_option(_version(), "--version", prog_name="dutytrail",
                      message="%(prog)s %(version)s")
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
@click.option("--replica", is_flag=True,
              help="Run beside a live instance on the same virtual host and store "
              "(PostgreSQL only); its relays stand by while another leads.")
def up(services: tuple[str, ...], replica: bool) -> None:
    """Start every service and its relay as supervised child processes (Ctrl-C stops)."""
    from dutytrail_ops.preflight import check_broker, check_keys, check_store
    from dutytrail_ops.supervisor import Supervisor, children_for, instance_problem

    chosen = sorted(set(services)) or service_names()
    problems = [p for p in (check_broker(), check_store()) if p]
    problems += [p for p in map(check_keys, chosen) if p and p not in problems]
    if not problems:  # a second instance would compete for the same RPC queues
        problems += [p for p in [instance_problem(chosen, replica=replica)] if p]
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
@click.option("--fallback", type=click.FloatRange(min=0.01), default=None,
              help="Seconds an idle relay waits to be woken by the store before it looks at "
                   "the log anyway [DUTYTRAIL_RELAY_FALLBACK_SECONDS, 1].")
@click.option("--poll", type=click.FloatRange(min=0.001), default=None,
              help="Never wait to be woken: look at the log every SECONDS (what the relay "
                   "does when wake-ups are off: DUTYTRAIL_RELAY_WAKEUP=0, "
                   "DUTYTRAIL_RELAY_POLL_SECONDS).")
def relay(service: str, fallback: float | None, poll: float | None) -> None:
    """Run one service's relay (stored events -> <service>.events) in this process.

    An idle relay is woken by the service's store when events are stored (docs/reliability.md,
    "How the relay is woken")."""
    from dutytrail_ops.runner import run_relay

    # The relay reads its settings from the environment (shared/settings.py).
    if fallback is not None:
        os.environ["DUTYTRAIL_RELAY_FALLBACK_SECONDS"] = str(fallback)
    if poll is not None:
        os.environ["DUTYTRAIL_RELAY_WAKEUP"] = "0"
        os.environ["DUTYTRAIL_RELAY_POLL_SECONDS"] = str(poll)
    run_relay(service)


# Events, schemas, dead letters and the district report (one module each).
main.add_command(events)
main.add_command(schemas)
main.add_command(dlq)
main.add_command(report)


class _LazyGroup(click.Group):
    """A command group imported only when asked for: ``funds``, ``audit`` and ``report`` import
    the public contracts (pydantic), which must not be loaded before ``dutytrail run``
    monkey-patches for eventlet."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name=name, help=help)
        self._target = target

    def _group(self) -> click.Group:
        import importlib

        module, attribute = self._target.split(":")
        group = getattr(importlib.import_module(module), attribute)
        assert isinstance(group, click.Group)
        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._group().get_command(ctx, cmd_name)


main.add_command(_LazyGroup(
    "funds", "dutytrail_ops.funds_cli:funds",
    help="The livelihood-fund supervision platform (惠民资金监管平台).",
))
main.add_command(_LazyGroup(
    "audit", "dutytrail_ops.audit.cli:audit",
    help="For auditors: export, verify, prove, replay as of a date, one matter's trail. "
         "None needs the broker.",
))


@main.group()
def keys() -> None:
    """Public keys that verify the services' events (docs/contract.md, "Verifying events")."""


@keys.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print the keys written as one JSON list of {name, path, keyid}.")
def export_keys(directory: Path, as_json: bool) -> None:
    """Write <service>.pub (PEM) for every declared service, and tokens.pub if configured,
    into DIRECTORY."""
    from shared.keys import TOKEN_AUTHORITY, KeyConfigurationError, public_pem
    from shared.signing import key_id

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in [*service_names(), TOKEN_AUTHORITY]:
        try:
            key = _public_key_of(name)
        except KeyConfigurationError as error:
            if name == TOKEN_AUTHORITY:
                continue  # no token authority configured here: nothing to export
            raise click.ClickException(str(error)) from None
        path = directory / f"{name}.pub"
        path.write_bytes(public_pem(key))
        written.append({"name": name, "path": str(path), "keyid": key_id(name, key)})
        if not as_json:
            click.echo(f"{path}  {key_id(name, key)}")
    if as_json:
        click.echo(json.dumps(written))


def _public_key_of(name: str) -> Ed25519PublicKey:
    """The public half of the key ``name`` signs with where its private key is configured
    (the producer's host), else its configured public key."""
    from shared.keys import KeyConfigurationError, private_key, public_key

    try:
        return private_key(name).public_key()
    except KeyConfigurationError:
        return public_key(name)


# RabbitMQ users and permissions (dutytrail_ops/broker.py).
main.add_command(broker)


@main.command()
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--year", type=int, default=lambda: _last_complete_year(),
              show_default="the last complete year",
              help="The year played: a past one (the clock checks deadlines as of now or "
                   "earlier).")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the services to answer.")
def demo(seed: int, year: int, timeout: float) -> None:
    """Play a seeded district year over RPC against the running services and report."""
    from dutytrail_ops.demo import run_demo

    sys.exit(run_demo(seed=seed, year=year, timeout=timeout))


def _last_complete_year() -> int:
    from dutytrail_ops.demo.timeline import last_complete_year

    return last_complete_year()



@main.group()
def token() -> None:
    """Callers' tokens (docs/roles.md)."""


@token.command("issue")
@click.option("--person", "person_id", type=click.UUID, required=True, help="The person acting.")
@click.option("--unit", "unit_id", type=click.UUID, required=True, help="The unit they act for.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
    help="A role the token grants (repeatable).",
)
@click.option("--hours", type=click.FloatRange(min=0.01, max=24 * 31), default=8.0,
              show_default=True, help="How long the token is valid.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {token, person, unit, roles, expires} as one JSON object.")
def issue_token_command(
    person_id: uuid.UUID, unit_id: uuid.UUID, roles: tuple[str, ...], hours: float,
    as_json: bool,
) -> None:
    """Print a token signed by the token authority's key (``tokens``)."""
    from shared.keys import KeyConfigurationError
    from shared.tokens import issue_token

    granted = [r for r in ROLES if r in roles]
    try:
        issued = issue_token(person_id, unit_id, granted, timedelta(hours=hours))
    except KeyConfigurationError as error:
        raise click.ClickException(str(error)) from None
    if not as_json:
        click.echo(issued)
        return
    expires = datetime.now(UTC) + timedelta(hours=hours)
    click.echo(json.dumps({
        "token": issued, "person": str(person_id), "unit": str(unit_id), "roles": granted,
        "expires": expires.isoformat(timespec="seconds"),
    }))


@main.group()
def roles() -> None:
    """Who may call what."""


@roles.command("matrix")
@click.option("--json", "as_json", is_flag=True,
              help="As one JSON object: service -> method -> roles (or \"open\").")
def roles_matrix(as_json: bool) -> None:
    """Print the role matrix of every declared service (docs/roles.md) as Markdown."""
    from dutytrail_ops.roles_matrix import markdown, matrix

    if as_json:
        click.echo(json.dumps(matrix()))
        return
    click.echo(markdown(), nl=False)


if __name__ == "__main__":
    main()

"""The ``dutytrail`` command line: run the services, read events, export schemas, the demo.

Every command that takes a service offers exactly the declared ones (``dutytrail_ops.registry``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dutytrail_ops.broker import broker
from dutytrail_ops.registry import service_names
from shared.roles import ROLES

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Reader = Callable[[int, int], list[dict[str, Any]]]
# The caller's token for the commands that call a service (``events --rpc``).
TOKEN_VARIABLE = "DUTYTRAIL_TOKEN"


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
    from dutytrail_ops.preflight import check_broker, check_keys, check_store
    from dutytrail_ops.supervisor import Supervisor, children_for

    chosen = sorted(set(services)) or service_names()
    problems = [p for p in (check_broker(), check_store()) if p]
    problems += [p for p in map(check_keys, chosen) if p and p not in problems]
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


@main.command()
@click.argument("service", type=click.Choice(service_names()))
@click.option("--from", "start", type=int, default=1, show_default=True,
              help="First position to print (inclusive).")
@click.option("--follow", is_flag=True, help="Keep printing new events as they are stored.")
@click.option("--rpc", "via_rpc", is_flag=True,
              help="Read through the service's catch-up RPC instead of its store, with the "
                   "token in DUTYTRAIL_TOKEN.")
def events(service: str, start: int, follow: bool, via_rpc: bool) -> None:
    """Print SERVICE's events from position N onward, one CloudEvent JSON per line.

    With --rpc the call carries the token in the environment variable DUTYTRAIL_TOKEN (a
    token with the role auditor, service or subscriber: `dutytrail token issue`)."""
    from shared.application import MAX_PAGE
    from shared.envelope import encode, parse_position
    from shared.keys import KeyConfigurationError

    if via_rpc and not os.environ.get(TOKEN_VARIABLE, "").strip():
        msg = f"--rpc needs a token: set {TOKEN_VARIABLE} (see `dutytrail token issue`)"
        raise click.ClickException(msg)
    try:
        read, close = _rpc_reader(service) if via_rpc else _store_reader(service)
    except KeyConfigurationError as error:  # the store reader signs what it prints
        raise click.ClickException(str(error)) from None
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

    builder = EnvelopeBuilder(service)  # first: no signing key, no store opened
    factory = open_factory(store_environment(service))
    recorder = factory.application_recorder()

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        return read_page(recorder, builder, after, limit)

    def close() -> None:
        datastore = getattr(recorder, "datastore", None)
        if datastore is not None:
            datastore.close()

    return read, close


def _rpc_reader(service: str) -> tuple[Reader, Callable[[], None]]:
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.nameko_kit.config import service_config
    from shared.nameko_kit.providers import AUTHORIZATION

    token = os.environ[TOKEN_VARIABLE].strip().removeprefix("Bearer ")
    context = {AUTHORIZATION: f"Bearer {token}"}
    client = ClusterRpcProxy(service_config(), timeout=30, context_data=context)
    remote = getattr(client.start(), service)

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        try:
            page: list[dict[str, Any]] = remote.events_after({"after": after, "limit": limit})
        except RemoteError as error:
            if error.exc_type in ("NotAuthenticatedError", "NotPermittedError"):
                raise click.ClickException(f"{TOKEN_VARIABLE}: {error.value}") from None
            raise
        return page

    return read, client.stop


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


@main.group()
def keys() -> None:
    """Public keys that verify the services' events (docs/contract.md, "Verifying events")."""


@keys.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_keys(directory: Path) -> None:
    """Write <service>.pub (PEM) for every declared service, and tokens.pub if configured,
    into DIRECTORY."""
    from shared.keys import TOKEN_AUTHORITY, KeyConfigurationError, public_pem
    from shared.signing import key_id

    directory.mkdir(parents=True, exist_ok=True)
    for name in [*service_names(), TOKEN_AUTHORITY]:
        try:
            key = _public_key_of(name)
        except KeyConfigurationError as error:
            if name == TOKEN_AUTHORITY:
                continue  # no token authority configured here: nothing to export
            raise click.ClickException(str(error)) from None
        path = directory / f"{name}.pub"
        path.write_bytes(public_pem(key))
        click.echo(f"{path}  {key_id(name, key)}")


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
def issue_token_command(
    person_id: uuid.UUID, unit_id: uuid.UUID, roles: tuple[str, ...], hours: float
) -> None:
    """Print a token signed by the token authority's key (``tokens``)."""
    from shared.keys import KeyConfigurationError
    from shared.tokens import issue_token

    try:
        click.echo(issue_token(
            person_id, unit_id, [r for r in ROLES if r in roles], timedelta(hours=hours)
        ))
    except KeyConfigurationError as error:
        raise click.ClickException(str(error)) from None


@main.group()
def roles() -> None:
    """Who may call what."""


@roles.command("matrix")
def roles_matrix() -> None:
    """Print the role matrix of every declared service (docs/roles.md) as Markdown."""
    from dutytrail_ops.roles_matrix import markdown

    click.echo(markdown(), nl=False)


if __name__ == "__main__":
    main()

"""``dutytrail events``: a service's events from a position, from its store, its catch-up RPC
or its HTTP catch-up, filtered, once or following (docs/subscribing.md)."""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from dutytrail_ops.exits import BrokerUnreachableError, RefusedError, require_broker, require_store
from dutytrail_ops.registry import service_names

Reader = Callable[[int, int], list[dict[str, Any]]]
# The caller's token for the commands that call a service (``events --rpc`` / ``--http``).
TOKEN_VARIABLE = "DUTYTRAIL_TOKEN"
FOLLOW_PAUSE_SECONDS = 0.5
RPC_TIMEOUT_SECONDS = 30


class EventFilter:
    """Which events to print: types (exact or with ``*`` wildcards) and subjects; none given
    means every event."""

    def __init__(self, types: tuple[str, ...], subjects: tuple[str, ...]) -> None:
        self.types = types
        self.subjects = set(subjects)

    def admits(self, event: dict[str, Any]) -> bool:
        if self.types and not any(
            fnmatch.fnmatchcase(str(event.get("type", "")), t) for t in self.types
        ):
            return False
        return not self.subjects or str(event.get("subject", "")) in self.subjects


def pages(
    read: Reader, after: int, until: int | None, follow: bool, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Pages of events after ``after`` up to ``until`` (inclusive), following the log for new
    ones with ``follow`` until ``until`` is reached."""
    from shared.envelope import parse_position

    while True:
        page = read(after, page_size)
        if until is not None:
            page = [e for e in page if parse_position(e["sequence"]) <= until]
        if page:
            yield page
            after = parse_position(page[-1]["sequence"])
        if until is not None and after >= until:
            return
        if len(page) < page_size:
            if not follow:
                return
            time.sleep(FOLLOW_PAUSE_SECONDS)


@click.command()
@click.argument("service", type=click.Choice(service_names()))
@click.option("--from", "start", type=click.IntRange(min=1), default=1, show_default=True,
              help="First position to print (inclusive); positions start at 1.")
@click.option("--until", type=click.IntRange(min=1), default=None,
              help="Last position to print (inclusive); with --follow, stop once it is passed.")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only events of this type; '*' matches anything "
                   "(e.g. 'dutytrail.responsibility.letter_*'). Repeatable.")
@click.option("--subject", "subjects", multiple=True, metavar="ID",
              help="Only events about this aggregate id (the CloudEvent subject). Repeatable.")
@click.option("--follow", is_flag=True, help="Keep printing new events as they are stored.")
@click.option("--rpc", "via_rpc", is_flag=True,
              help="Read through the service's catch-up RPC instead of its store, with the "
                   "token in DUTYTRAIL_TOKEN.")
@click.option("--http", "http_url", default=None, metavar="URL",
              help="Read through the service's HTTP catch-up at URL (e.g. "
                   "http://127.0.0.1:8100), with the token in DUTYTRAIL_TOKEN.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines, one CloudEvent per line (the default; accepted so that every "
                   "command takes --json).")
@click.option("--progress", is_flag=True,
              help="Report on stderr how many events were read, and the position reached.")
def events(
    service: str, start: int, until: int | None, types: tuple[str, ...],
    subjects: tuple[str, ...], follow: bool, via_rpc: bool, http_url: str | None,
    as_json: bool, progress: bool,
) -> None:
    """Print SERVICE's events from position N onward, one CloudEvent JSON per line.

    With --rpc or --http the call carries the token in the environment variable
    DUTYTRAIL_TOKEN (a token with the role auditor, service or subscriber:
    `dutytrail token issue`). Exit codes: docs/subscribing.md."""
    from shared.application import MAX_PAGE
    from shared.envelope import encode

    if via_rpc and http_url:
        raise click.UsageError("--rpc and --http exclude each other")
    if until is not None and until < start:
        raise click.BadParameter(f"{until} is before --from {start}", param_hint="--until")
    if (via_rpc or http_url) and not os.environ.get(TOKEN_VARIABLE, "").strip():
        how = "--rpc" if via_rpc else "--http"
        msg = f"{how} needs a token: set {TOKEN_VARIABLE} (see `dutytrail token issue`)"
        raise RefusedError(msg)
    if via_rpc:
        read, close = rpc_reader(service)
    elif http_url:
        read, close = http_reader(http_url)
    else:
        read, close = store_reader(service)
    wanted = EventFilter(types, subjects)
    count = 0
    try:
        for page in pages(read, start - 1, until, follow, MAX_PAGE):
            for event in page:
                if wanted.admits(event):
                    click.echo(encode(event))
                    count += 1
            if progress:
                click.echo(f"{count} printed, at position {int(page[-1]['sequence'])}", err=True)
    finally:
        close()


def store_reader(service: str) -> tuple[Reader, Callable[[], None]]:
    from shared.envelope import EnvelopeBuilder, read_page
    from shared.keys import KeyConfigurationError
    from shared.persistence import open_factory, store_environment

    try:
        builder = EnvelopeBuilder(service)  # first: no signing key, no store opened
    except KeyConfigurationError as error:  # the store reader signs what it prints
        raise click.ClickException(str(error)) from None
    require_store()
    factory = open_factory(store_environment(service))
    recorder = factory.application_recorder()

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        return read_page(recorder, builder, after, limit)

    def close() -> None:
        datastore = getattr(recorder, "datastore", None)
        if datastore is not None:
            datastore.close()

    return read, close


def _token() -> str:
    return os.environ[TOKEN_VARIABLE].strip().removeprefix("Bearer ").strip()


def rpc_reader(service: str) -> tuple[Reader, Callable[[], None]]:
    """Pages over the ``events_after`` RPC; the reply queue is deleted when done (nameko
    would leave it to expire)."""
    from nameko.exceptions import RemoteError

    from dutytrail_ops.rpc_client import RpcClient

    require_broker()
    client = RpcClient(service, _token(), timeout=RPC_TIMEOUT_SECONDS)

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        try:
            page: list[dict[str, Any]] = client.call(
                "events_after", {"after": after, "limit": limit}
            )
        except RemoteError as error:
            if error.exc_type in ("NotAuthenticatedError", "NotPermittedError"):
                raise RefusedError(f"{TOKEN_VARIABLE}: {error.value}") from None
            raise
        except TimeoutError:
            raise BrokerUnreachableError(
                f"{service} did not answer within {RPC_TIMEOUT_SECONDS}s: is it running?"
            ) from None
        return page

    return read, client.close


def http_reader(base_url: str) -> tuple[Reader, Callable[[], None]]:
    """Pages over ``GET <base_url>/events`` (docs/openapi.yaml)."""
    from shared.subscription import (
        HttpCatchUp,
        SubscriptionRefusedError,
        SubscriptionUnreachableError,
    )

    catch_up = HttpCatchUp(base_url, _token())

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        try:
            return catch_up.page(after, limit)
        except SubscriptionRefusedError as error:
            raise RefusedError(f"{TOKEN_VARIABLE}: {error}") from None
        except SubscriptionUnreachableError as error:
            raise BrokerUnreachableError(str(error)) from None

    return read, lambda: None

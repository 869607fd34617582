"""``dutytrail audit checkpoint SERVICE``: sign a checkpoint of the service's log now, from its
store (docs/audit.md, "Checkpoints as events")."""

from __future__ import annotations

import click

from dutytrail_ops.audit._ledger_cli import emit, stores_reachable
from dutytrail_ops.registry import service_names


@click.command()
@click.argument("service", type=click.Choice(service_names()))
@click.option("--json", "as_json", is_flag=True, help="The checkpoint as JSON.")
def command(service: str, as_json: bool) -> None:
    """Sign a checkpoint of SERVICE's log now and store it as an event of that log.

    It is signed with the service's own key in the deployment's suite
    (DUTYTRAIL_LEDGER_SUITE), needs the store only, and the service's relay publishes it."""
    from eventsourcing.persistence import IntegrityError

    from shared.keys import KeyConfigurationError
    from shared.ledger.checkpointing import next_checkpoint
    from shared.ledger.keys import checkpoint_signer, published_verifier_key
    from shared.ledger.logs import open_log
    from shared.tokens import service_actor

    try:
        signer = checkpoint_signer(service)
    except KeyConfigurationError as error:
        raise click.ClickException(str(error)) from None
    stores_reachable()
    log = open_log(service)
    try:
        event = next_checkpoint(log.recorder, log.mapper, service, signer,
                                actor=service_actor(service), force=True)
        assert event is not None  # forced
        try:
            stored = log.append([event])
        except IntegrityError:
            raise click.ClickException(
                f"{service} stored a checkpoint at this very moment; run it again"
            ) from None
    finally:
        log.close()
    key = published_verifier_key(service, event.suite)
    payload = {"service": service, "position": stored[0].id, "size": event.size,
               "root": event.root, "suite": event.suite, "note": event.note,
               "verifier_key": key}
    emit(as_json, payload, [
        f"{service}: checkpoint of {event.size} events stored at position {stored[0].id}",
        event.note.rstrip("\n"),
        f"verifier key: {key}",
    ])

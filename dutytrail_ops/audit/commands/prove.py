"""``dutytrail audit prove EVENT_ID``: a proof file that the event is in a signed checkpoint
of its service's log, and optionally that an earlier checkpoint is consistent with that one
(docs/audit.md, "Proofs")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dutytrail_ops.audit._ledger_cli import (
    caller_from_token,
    emit,
    services_or_all,
    stores_reachable,
)
from dutytrail_ops.exits import LedgerDamagedError, NotFoundError
from dutytrail_ops.registry import service_names


@click.command()
@click.argument("event_id")
@click.option("--service", default=None, type=click.Choice(service_names()),
              help="The event's service (found by its id otherwise).")
@click.option("--checkpoint", "size", type=click.IntRange(min=1), default=None,
              help="The checkpoint of this many events (the latest covering it by default).")
@click.option("--since", type=click.IntRange(min=1), default=None,
              help="Also prove that the checkpoint of this many events is consistent with it.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The proof file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the proof file's summary as JSON.")
@click.option("--progress", is_flag=True, help="A progress bar on stderr even when it is not "
                                                "a terminal.")
def command(event_id: str, service: str | None, size: int | None, since: int | None,
            out: Path, as_json: bool, progress: bool) -> None:
    """Write to --out a proof that EVENT_ID (a CloudEvent id, <record id>:<version>) is in a
    signed checkpoint. `dutytrail audit check-proof` checks it with nothing but the file and
    the service's verifier key. The file holds the event as stored: a confidential event
    needs a token of a cleared role (DUTYTRAIL_TOKEN)."""
    import json
    from uuid import UUID

    try:
        record, version = event_id.rsplit(":", 1)
        originator, number = UUID(record), int(version)
    except ValueError:
        raise click.BadParameter("an event id is <record id>:<version>, as in the CloudEvent",
                                 param_hint="EVENT_ID") from None
    stores_reachable()
    service = service or _service_of(originator, number)
    proof = _prove(service, originator, number, size, since, progress)
    out.write_text(json.dumps(proof, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = {k: proof[k] for k in ("service", "event_id", "position", "leaf_index", "suite")}
    summary["checkpoint_size"] = proof["checkpoint_size"]
    summary["since"] = since
    emit(as_json, summary, [
        f"{service}: event {event_id} at position {proof['position']} proven in the checkpoint "
        f"of {proof['checkpoint_size']} events" + (f", consistent since {since}" if since else "")
        + f"; written to {out}",
    ])


def _service_of(originator: Any, version: int) -> str:
    from shared.ledger.logs import open_log

    for service in services_or_all(()):
        log = open_log(service)
        try:
            if log.recorder.select_events(originator, gt=version - 1, lte=version, limit=1):
                return service
        finally:
            log.close()
    raise NotFoundError(f"no service stores the event {originator}:{version}")


def _prove(service: str, originator: Any, version: int, size: int | None,
           since: int | None, progress: bool) -> dict[str, Any]:
    import base64

    from dutytrail_ops.audit._ledger_progress import progress as progress_bar
    from dutytrail_ops.audit._ledger_proofs import FORMAT
    from shared.contracts import UnknownEventError, contract_for_domain_event
    from shared.ledger.checkpoint import open_note
    from shared.ledger.config import ledger_suite
    from shared.ledger.keys import published_verifier_key
    from shared.ledger.logs import open_log
    from shared.ledger.merkle import consistency_proof, inclusion_proof, tree_root
    from shared.ledger.suites import suite_named
    from shared.roles import CLEARED

    suite = ledger_suite()
    hasher = suite_named(suite).hasher
    key = published_verifier_key(service, suite)
    leaves: list[bytes] = []  # 32 bytes an event: what the proofs are cut from
    checkpoints: dict[int, str] = {}
    log = open_log(service)
    try:
        length = int(log.recorder.max_notification_id() or 0)
        with progress_bar(f"prove {service}", length, progress) as bar:
            target = _walk(log, hasher, key, originator, version, leaves, checkpoints, bar)
    finally:
        log.close()
    if target is None:
        raise NotFoundError(f"{service} stores no event {originator}:{version}")
    index, leaf, position, topic = target
    try:
        info = contract_for_domain_event(service, topic.rpartition(":")[2])
        confidential = info.classification == "confidential"
    except UnknownEventError:
        confidential = True
    if confidential:
        caller_from_token(CLEARED, "a proof of a confidential event")
    covering = sorted(s for s in checkpoints if s > index)
    chosen = size if size is not None else (covering[-1] if covering else None)
    if chosen is None or chosen not in checkpoints or chosen <= index:
        raise NotFoundError(
            f"no signed checkpoint of {chosen or 'any'} events covers position {position} of "
            f"{service}: sign one with `dutytrail audit checkpoint {service}`"
        )
    checkpoint = open_note(checkpoints[chosen], key)
    if tree_root(hasher, leaves[:chosen]) != checkpoint.root:
        raise LedgerDamagedError(f"{service}: the stored events no longer match the checkpoint "
                                 f"of {chosen} events: run `dutytrail audit verify`")
    proof: dict[str, Any] = {
        "format": FORMAT, "service": service, "suite": suite,
        "event_id": f"{originator}:{version}", "position": position, "leaf_index": index,
        "leaf": base64.b64encode(leaf).decode(), "checkpoint": checkpoints[chosen],
        "checkpoint_size": chosen, "verifier_key": key,
        "inclusion": [base64.b64encode(h).decode()
                      for h in inclusion_proof(hasher, leaves[:chosen], index)],
    }
    if since is not None:
        if since not in checkpoints or since > chosen:
            raise NotFoundError(f"{service} has no signed checkpoint of {since} events before "
                                f"the one of {chosen}")
        proof["consistency"] = {
            "checkpoint": checkpoints[since],
            "proof": [base64.b64encode(h).decode()
                      for h in consistency_proof(hasher, leaves[:chosen], since)],
        }
    return proof


def _walk(log: Any, hasher: Any, key: str, originator: Any, version: int,
          leaves: list[bytes], checkpoints: dict[int, str], bar: Any,
          ) -> tuple[int, bytes, int, str] | None:
    """Every leaf hash of the log into ``leaves``, its verified checkpoints into
    ``checkpoints``; the wanted event's index, leaf, position and topic."""
    import contextlib

    from dutytrail_ops.audit._ledger_sources import checkpoint_note
    from shared.ledger.checkpoint import CheckpointError, open_note
    from shared.ledger.leaves import leaf_bytes, stored_notifications

    target = None
    for notification in stored_notifications(log.recorder, page=2000):
        note = checkpoint_note(notification)
        if note is not None:
            # One that does not verify proves nothing (`audit verify` names it).
            with contextlib.suppress(CheckpointError):
                checkpoints[open_note(note, key).size] = note
        leaf = leaf_bytes(notification)
        if (notification.originator_id, notification.originator_version) == (
                originator, version):
            target = (len(leaves), leaf, notification.id, notification.topic)
        leaves.append(hasher.leaf(leaf))
        bar.reach(notification.id)
    return target

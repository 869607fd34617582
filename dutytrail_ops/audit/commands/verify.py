"""``dutytrail audit verify``: recompute every leaf and root of each service's log, from the
live stores or an export, check every checkpoint, and name the first damaged position
(docs/audit.md, "Verify")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dutytrail_ops.audit._ledger_cli import (
    emit,
    services_or_all,
    stores_reachable,
    suite_or_deployments,
)
from dutytrail_ops.exits import LedgerDamagedError
from dutytrail_ops.registry import service_names

if TYPE_CHECKING:
    from dutytrail_ops.audit._ledger_verify import LogVerifier


@click.command()
@click.option("--from-export", "export", default=None,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Verify an export (`dutytrail audit export`) instead of the live stores.")
@click.option("--service", "services", multiple=True, type=click.Choice(service_names()),
              help="Only this service (repeatable); every service by default.")
@click.option("--suite", default=None, help="The suite the checkpoints were signed in (the "
                                             "deployment's, or the export's, by default).")
@click.option("--checkpoints", "held_file", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Checkpoints you kept, as JSON lines with a 'note' each (an earlier "
                   "export's <service>.checkpoints.jsonl, or the notes of the published "
                   "checkpoint_signed events): checked too, even if the log lost them.")
@click.option("--every-event", is_flag=True,
              help="Check every event against its signed record, not only those no matching "
                   "checkpoint covers (always so for an export: its lines are what is read).")
@click.option("--json", "as_json", is_flag=True, help="One JSON report for all services.")
@click.option("--progress", is_flag=True, help="A progress bar on stderr even when it is not "
                                                "a terminal.")
def command(export: Path | None, services: tuple[str, ...], suite: str | None,
            held_file: Path | None, every_event: bool, as_json: bool, progress: bool) -> None:
    """Check that no stored event was altered, removed, inserted or reordered.

    Exit 0 when every service's log is intact; exit 7 naming, for each damaged service, the
    first position and the event id that was altered, removed, inserted or reordered."""
    import json

    from dutytrail_ops.audit._ledger_progress import progress as progress_bar
    from dutytrail_ops.audit._ledger_verify import ServiceReport

    reports: list[ServiceReport] = []
    if export is not None:
        manifest = json.loads((export / "manifest.json").read_text())
        suite = suite_or_deployments(suite or manifest.get("suite"))
        chosen = sorted(set(services) or set(manifest.get("services", {})))
    else:
        suite = suite_or_deployments(suite)
        chosen = services_or_all(services)
        stores_reachable()
    held = _held_notes(held_file)
    for service in chosen:
        verifier, close = _verifier(service, suite, export, every_event, held)
        try:
            length = verifier.source.last_position()
            with progress_bar(f"verify {service}", length, progress) as bar:
                reports.append(verifier.run(bar))
        finally:
            close()
    damaged = [r.finding for r in reports if r.finding is not None]
    lines = []
    for report in reports:
        matching = sum(1 for c in report.checkpoints if c.matches)
        state = "damaged" if report.finding else "intact"
        lines.append(f"{report.service}: {report.events} events, {matching} of "
                     f"{len(report.checkpoints)} checkpoints match, "
                     f"{report.checked_one_by_one} checked one by one: {state}")
        lines.extend(f"  {report.service}: {note}" for note in report.notes)
    emit(as_json, {"ok": not damaged, "services": [r.as_json() for r in reports]}, lines)
    if damaged:
        raise LedgerDamagedError("; ".join(f.message() for f in damaged))


def _held_notes(path: Path | None) -> list[str]:
    import json

    if path is None:
        return []
    notes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            note = record.get("note") or record.get("data", {}).get("note")
        except (ValueError, AttributeError):
            note = None
        if not isinstance(note, str):
            raise click.BadParameter(f"line {number} has no checkpoint note",
                                     param_hint="--checkpoints")
        notes.append(note)
    return notes


def _verifier(service: str, suite: str, export: Path | None, every_event: bool,
              held: list[str]) -> tuple[LogVerifier, Callable[[], None]]:
    from dutytrail_ops.audit._ledger_sources import LiveSource
    from dutytrail_ops.audit._ledger_verify import LogVerifier
    from shared.ledger.checkpoint import CheckpointError
    from shared.ledger.keys import published_verifier_key
    from shared.ledger.logs import open_log
    from shared.ledger.suites import suite_named
    from shared.signing import EventVerifier

    hasher = suite_named(suite).hasher
    try:
        if export is None:
            log = open_log(service)
            verifier = LogVerifier(LiveSource(log, hasher), suite, hasher,
                                   published_verifier_key(service, suite),
                                   EventVerifier.for_service(service), every_event, held)
            return verifier, log.close
        return _export_verifier(service, suite, export, held), lambda: None
    except CheckpointError as error:
        raise click.BadParameter(f"{service}: {error}", param_hint="--checkpoints") from None


def _export_verifier(service: str, suite: str, export: Path, held: list[str]) -> LogVerifier:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from dutytrail_ops.audit._ledger_sources import (
        ExportSource,
        event_key_file,
        verifier_key_file,
    )
    from dutytrail_ops.audit._ledger_verify import LogVerifier
    from shared.ledger.suites import suite_named
    from shared.signing import EventVerifier

    hasher = suite_named(suite).hasher
    key = load_pem_public_key(event_key_file(export, service).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise click.ClickException(f"{event_key_file(export, service)} is not an Ed25519 key")
    vkey = verifier_key_file(export, service).read_text().strip()
    return LogVerifier(ExportSource(export, service, hasher), suite, hasher, vkey,
                       EventVerifier(service, key), every_event=True, held=held)

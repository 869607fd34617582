"""``dutytrail audit export``: every service's full history, its checkpoints and its public
keys, from the stores directly (docs/audit.md, "Export")."""

from __future__ import annotations

from pathlib import Path

import click

from dutytrail_ops.audit._ledger_cli import (
    caller_from_token,
    emit,
    services_or_all,
    stores_reachable,
    suite_or_deployments,
)
from dutytrail_ops.registry import service_names
from shared.roles import DISCIPLINE_COMMISSION, EVENT_READERS, PARTY_COMMITTEE, Role

# Who may export: whoever may read a service's events, and the two committees.
EXPORTERS: tuple[Role, ...] = (*EVENT_READERS, DISCIPLINE_COMMISSION, PARTY_COMMITTEE)


@click.command()
@click.option("--out", "folder", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the export to (created if missing).")
@click.option("--service", "services", multiple=True, type=click.Choice(service_names()),
              help="Only this service (repeatable); every service by default.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option("--progress", is_flag=True, help="A progress bar on stderr even when it is not "
                                                "a terminal.")
def command(folder: Path, services: tuple[str, ...], as_json: bool, progress: bool) -> None:
    """Export every event of each service, its checkpoints and public keys into --out.

    One CloudEvents JSON-lines file per service (<service>.events.jsonl), read from the
    store with bounded memory. Confidential events are exported in full only to a token of a
    cleared role (DUTYTRAIL_TOKEN); otherwise as their leaf hash. The export is recorded in
    each service's log (history_exported: who, when, what)."""
    import json
    import uuid

    from dutytrail_ops.audit._ledger_export import export_service
    from dutytrail_ops.audit._ledger_progress import progress as progress_bar
    from dutytrail_ops.audit._ledger_sources import event_key_file, verifier_key_file
    from shared.clock import utcnow
    from shared.keys import public_key, public_pem
    from shared.ledger.events import Ledger
    from shared.ledger.keys import published_verifier_key
    from shared.ledger.logs import open_log
    from shared.ledger.suites import suite_named
    from shared.roles import CLEARED

    caller = caller_from_token(EXPORTERS, "an export")
    cleared = caller.has_any(CLEARED)
    suite = suite_or_deployments(None)
    hasher = suite_named(suite).hasher
    stores_reachable()
    folder.mkdir(parents=True, exist_ok=True)
    export_id = uuid.uuid4()
    chosen = services_or_all(services)
    manifest: dict[str, object] = {
        "format": "dutytrail-export/1", "export_id": str(export_id),
        "exported_at": utcnow().isoformat(), "suite": suite,
        "by": caller.actor.model_dump(mode="json"), "roles": sorted(caller.roles),
        "cleared": cleared, "services": {},
    }
    lines = []
    for service in chosen:
        log = open_log(service)
        try:
            length = int(log.recorder.max_notification_id() or 0)
            with progress_bar(f"export {service}", length, progress) as bar:
                done = export_service(log, hasher, folder, cleared, bar)
            vkey = published_verifier_key(service, suite)
            verifier_key_file(folder, service).write_text(vkey + "\n")
            event_key_file(folder, service).write_bytes(public_pem(public_key(service)))
            log.append([Ledger.Exported(  # type: ignore[call-arg]
                originator_id=export_id, originator_version=1, timestamp=utcnow(),
                actor=caller.actor, services=chosen, last_position=done.last_position,
                events=done.events, withheld=done.withheld, cleared=cleared,
            )])
        finally:
            log.close()
        services_manifest = manifest["services"]
        assert isinstance(services_manifest, dict)
        services_manifest[service] = {
            "events": done.events, "withheld": done.withheld,
            "checkpoints": done.checkpoints, "last_position": done.last_position,
            "verifier_key": vkey,
        }
        note = f", {done.withheld} confidential withheld (leaf hash only)" if done.withheld else ""
        lines.append(f"{service}: {done.events} events, {done.checkpoints} checkpoints{note}")
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    lines.append(f"export {export_id} written to {folder}; recorded in each service's log")
    emit(as_json, manifest, lines)

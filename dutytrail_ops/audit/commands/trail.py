"""``dutytrail audit trail ID``: one matter's complete history across every service, who did
what and when, read from the stores directly (docs/audit.md, "Trail and replay")."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from dutytrail_ops.audit._trail_token import CLEARED_HINT
from dutytrail_ops.exits import NotFoundError, RefusedError, require_store

if TYPE_CHECKING:
    from dutytrail_ops.audit._trail_links import Names, TrailEntry
    from shared.tokens import Caller

@click.command(name="trail")
@click.argument("matter")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@click.option("--progress", is_flag=True,
              help="A progress bar on stderr even when it is not a terminal.")
def command(matter: str, as_json: bool, progress: bool) -> None:
    """The time-ordered history of MATTER (the id of a letter, task, notice, case, lead,
    programme, …) in every service: its own events, the events that name it, the other events
    of the same commands and the reactions other services stored (same trace id), and the later
    life of the records those reactions created.

    Confidential events (casework) are shown only to a token of a cleared role in
    DUTYTRAIL_TOKEN (discipline_commission or auditor), and such a read is recorded in the
    service's log (a trail_read event: who, which matter, how many events) before anything is
    printed."""
    from dutytrail_ops.audit._trail_links import Names, build_trail
    from dutytrail_ops.audit._trail_progress import bar
    from dutytrail_ops.audit._trail_read import last_position, read_service
    from dutytrail_ops.audit._trail_token import is_cleared, reader
    from dutytrail_ops.registry import service_names
    from shared.persistence import store_environment

    try:
        wanted = str(uuid.UUID(matter.strip()))
    except ValueError:
        raise click.BadParameter(f"{matter!r} is not the id of a record (a UUID)",
                                 param_hint="MATTER") from None
    caller = reader()
    require_store()
    services = []
    for service in service_names():
        env = store_environment(service)
        with bar(f"reading {service:<15}", last_position(env), progress) as shown:
            services.append(read_service(service, env, shown.reach))
    trail = build_trail(wanted, services)
    if not trail:
        raise NotFoundError(f"no event of any service is about or names {wanted}")
    cleared = is_cleared(caller)
    shown_entries = [e for e in trail if cleared or not e.confidential]
    withheld = len(trail) - len(shown_entries)
    if not shown_entries:
        raise RefusedError(
            f"the events of {wanted} are confidential: its trail needs {CLEARED_HINT}"
        )
    if cleared and caller is not None:
        _record_reads(wanted, shown_entries, caller)
    names = Names(services)
    if as_json:
        click.echo(json.dumps(_as_json(wanted, shown_entries, names, withheld > 0),
                              ensure_ascii=False, indent=2))
    else:
        for line in _as_text(wanted, shown_entries, names, withheld > 0):
            click.echo(line)


def _record_reads(matter: str, entries: list[TrailEntry], caller: Caller) -> None:
    from dutytrail_ops.audit._trail_reads import record

    confidential = Counter(e.service for e in entries if e.confidential)
    for service, count in sorted(confidential.items()):
        record(service, caller.actor, sorted(caller.roles), matter, count)


def _as_json(
    matter: str, entries: list[TrailEntry], names: Names, withheld: bool
) -> dict[str, Any]:
    return {
        "matter": matter,
        "services": sorted({e.service for e in entries}),
        "confidential_left_out": withheld,
        "events": [
            {
                "time": e.event["time"],
                "recordedtime": e.event.get("recordedtime"),
                "service": e.service,
                "type": e.event["type"],
                "subject": e.event.get("subject"),
                "id": e.event["id"],
                "sequence": e.event.get("sequence"),
                "link": e.link,
                "actor": names.actor(e.event),
                "trace_id": e.trace_id,
                "dataclassification": e.event.get("dataclassification"),
                "data": e.event.get("data"),
            }
            for e in entries
        ],
    }


def _as_text(matter: str, entries: list[TrailEntry], names: Names, withheld: bool) -> list[str]:
    first, last = entries[0].time, entries[-1].time
    services = sorted({e.service for e in entries})
    lines = [
        f"trail of {matter}: {len(entries)} events in {', '.join(services)}, "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}",
        "",
    ]
    for entry in entries:
        trace = entry.trace_id[:8] if entry.trace_id else "-"
        lines.append(
            f"{entry.time:%Y-%m-%d %H:%M}  {entry.service:<14} {entry.name:<40} "
            f"{names.describe(entry.event)}  [{entry.link}; trace {trace}]"
        )
    if withheld:
        lines += ["", f"confidential events are left out: {CLEARED_HINT} shows them"]
    return lines

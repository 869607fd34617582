"""``dutytrail audit export`` and ``verify`` of a service's whole log against a raw read of
the same rows in the same run, and their peak memory at two sizes (flat as the history grows).

The log is made once per size on a fresh store (SQLite by default), removed afterwards: the
responsibility service's ``Unit.Registered`` events, stored a page at a time with their
signed CloudEvents in the outbox (as the service stores them), a checkpoint every
``--interval`` events (as the hourly timer signs them) and a few events after the last one.
Each figure is measured in a child process of its own, so that its peak memory (ru_maxrss)
is its own:

- raw read: every stored row read through the recorder, a page at a time, nothing done;
- verify: ``dutytrail audit verify``'s engine on the live store (every leaf and root, every
  checkpoint, the events after the last checkpoint one by one against their signed records);
- export: ``dutytrail audit export``'s writer (cleared: every event in full), to a temporary
  folder;
- verify of that export (every line checked against its signed record: slower by design).

Raw read, verify and export run ``--rounds`` times alternately; the table gives the median
time and the highest peak. The verify of the export runs once.

    .venv/bin/python bench/audit_ledger.py [--events 1000000] [--interval 10000]
        [--backend sqlite|postgres] [--rounds 3] [--skip-export-verify]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVICE = "responsibility"
PAGE = 2000


def settings_for(backend: str, place: str) -> Any:
    from shared.settings import StoreSettings

    if backend == "sqlite":
        return StoreSettings.sqlite(Path(place))
    return StoreSettings.postgres(place)


def build(backend: str, place: str, events: int, interval: int) -> None:
    """A log of ``events`` events with checkpoints every ``interval`` and signed records."""
    from eventsourcing.persistence import StoredEvent

    from services.responsibility.application import Responsibilities
    from shared.actors import Actor
    from shared.envelope import EnvelopeBuilder
    from shared.ledger.checkpointing import next_checkpoint
    from shared.ledger.keys import checkpoint_signer
    from shared.ledger.logs import ServiceLog
    from shared.persistence import store_environment
    from shared.tokens import service_actor

    settings = settings_for(backend, place)
    app = Responsibilities(store_environment(SERVICE, settings))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    app.register_unit(code="U0", name="单位0", kind="district_department", actor=founder,
                      occurred_at=datetime(2025, 1, 2, tzinfo=UTC))
    template = app.recorder.select_notifications(start=1, limit=1)[0]
    state = json.loads(template.state)
    log = ServiceLog(SERVICE, app.recorder, app._outbox)  # the service's own outbox
    builder = EnvelopeBuilder(SERVICE)
    signer = checkpoint_signer(SERVICE)
    stored = 1
    tail = min(50, events // 10)  # events no checkpoint covers yet
    step = min(PAGE, interval)
    while stored < events:
        batch = []
        # Up to the next interval, or to the tail.
        until = events - tail if stored < events - tail else events
        for _ in range(min(step, until - stored)):
            stored += 1
            state.update(code=f"U{stored}", name=f"单位{stored}")
            batch.append(StoredEvent(originator_id=uuid.uuid4(), originator_version=1,
                                     topic=template.topic,
                                     state=json.dumps(state, ensure_ascii=False).encode()))
        ids = app.recorder.insert_events(batch) or []
        notifications = app.recorder.select_notifications(start=ids[0], limit=len(ids))
        if app._outbox is not None:
            app._outbox.record(builder, app.recorder, notifications)
        crossed = stored // interval != (stored - len(batch)) // interval
        if (crossed and stored < events - tail) or stored == events - tail:
            checkpoint = next_checkpoint(app.recorder, log.mapper, SERVICE, signer,
                                         actor=service_actor(SERVICE))
            if checkpoint is not None:
                log.append([checkpoint])
    app.close()


def measure(kind: str, backend: str, place: str, folder: str) -> dict[str, Any]:
    import shared.envelope  # noqa: F401 - the contracts load before the clock starts
    from dutytrail_ops.audit._ledger_export import export_service
    from dutytrail_ops.audit._ledger_progress import Progress
    from dutytrail_ops.audit._ledger_sources import ExportSource, LiveSource
    from dutytrail_ops.audit._ledger_verify import LogVerifier
    from shared.ledger.config import ledger_suite
    from shared.ledger.keys import published_verifier_key
    from shared.ledger.leaves import stored_notifications
    from shared.ledger.logs import open_log
    from shared.ledger.suites import suite_named
    from shared.signing import EventVerifier

    suite = ledger_suite()
    hasher = suite_named(suite).hasher
    log = open_log(SERVICE, settings_for(backend, place))
    started = time.perf_counter()
    outcome = ""
    if kind == "raw":
        events = sum(1 for _ in stored_notifications(log.recorder, page=PAGE))
    elif kind == "verify":
        report = LogVerifier(LiveSource(log, hasher), suite, hasher,
                             published_verifier_key(SERVICE, suite),
                             EventVerifier.for_service(SERVICE)).run(Progress(None))
        events, outcome = report.events, "intact" if report.finding is None else "DAMAGED"
        outcome += f", {report.checked_one_by_one} one by one"
    elif kind == "export":
        events = export_service(log, hasher, Path(folder), True, Progress(None)).events
    else:  # verify the export
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        from shared.keys import public_key, public_pem

        key: Any = load_pem_public_key(public_pem(public_key(SERVICE)))
        report = LogVerifier(ExportSource(Path(folder), SERVICE, hasher), suite, hasher,
                             published_verifier_key(SERVICE, suite),
                             EventVerifier(SERVICE, key), every_event=True).run(Progress(None))
        events, outcome = report.events, "intact" if report.finding is None else "DAMAGED"
    seconds = time.perf_counter() - started
    log.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"kind": kind, "events": events, "seconds": seconds, "peak_kb": peak,
            "outcome": outcome}


def child(kind: str, backend: str, place: str, folder: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--backend", backend, "--place", place,
         "--folder", folder],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--interval", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-export-verify", action="store_true")
    parser.add_argument("--child", default=None)
    parser.add_argument("--place", default="")
    parser.add_argument("--folder", default="")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.backend, args.place, args.folder)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")
    os.environ.setdefault("DUTYTRAIL_KEY_DIR", str(work / "keys"))
    rows = []
    places = []
    try:
        for size in (args.events // 5, args.events):
            place = (str(work / f"var{size}") if args.backend == "sqlite"
                     else f"bench{uuid.uuid4().hex[:8]}_")
            places.append(place)
            started = time.perf_counter()
            build(args.backend, place, size, args.interval)
            built = time.perf_counter() - started
            folder = work / f"export{size}"
            folder.mkdir()
            runs: dict[str, list[dict[str, Any]]] = {}
            for _ in range(args.rounds):  # alternately, so the machine's noise falls on all
                for kind in ("raw", "verify", "export"):
                    runs.setdefault(kind, []).append(
                        child(kind, args.backend, place, str(folder)))
            if not args.skip_export_verify:  # slow by design: once
                runs["export-verify"] = [child("export-verify", args.backend, place,
                                               str(folder))]
            for done in runs.values():
                seconds = statistics.median(r["seconds"] for r in done)
                rows.append({**done[0], "size": size, "built_s": built, "seconds": seconds,
                             "peak_kb": max(r["peak_kb"] for r in done)})
    finally:
        if args.backend == "postgres":
            from shared.persistence import drop_postgres_schemas

            for place in places:
                drop_postgres_schemas(settings_for("postgres", place))
        shutil.rmtree(work, ignore_errors=True)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}  backend: {args.backend}"
          f"  load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'size':>9} {'what':<14} {'events':>9} {'s':>8} {'events/s':>10} "
          f"{'vs raw':>7} {'peak MB':>8}  outcome")
    for row in rows:
        raw = next(r for r in rows if r["size"] == row["size"] and r["kind"] == "raw")
        rate = row["events"] / row["seconds"]
        ratio = row["seconds"] / raw["seconds"]
        print(f"{row['size']:>9} {row['kind']:<14} {row['events']:>9} {row['seconds']:>8.2f} "
              f"{rate:>10,.0f} {ratio:>6.2f}x {row['peak_kb'] / 1024:>8.1f}  {row['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

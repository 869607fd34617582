"""``dutytrail audit export``, ``verify`` and ``replay`` of a service's whole log against a raw
read of the same rows in the same run, and their peak memory at two sizes (flat as the history
grows).

The log is made once per size on a fresh store (SQLite by default), removed afterwards: the
responsibility service's unit, clerk and 1,000 tasks made by its own commands, then progress
reports on those tasks round robin (``Task.ProgressReported``), stored a page at a time with
their signed CloudEvents in the outbox (as the service stores them), a checkpoint every
``--interval`` events (as the hourly timer signs them) and a few events after the last one;
the service's read models caught up in the store, as the running service keeps them.
Each figure is measured in a child process of its own, so that its peak memory (ru_maxrss)
is its own:

- raw read: every stored row read through the recorder, a page at a time, nothing done;
- verify: ``dutytrail audit verify``'s engine on the live store (every leaf and root, every
  checkpoint, the events after the last checkpoint one by one against their signed records);
- export: ``dutytrail audit export``'s writer (cleared: every event in full), to a temporary
  folder;
- replay: ``dutytrail audit replay --as-of``'s engine for the end of the history's year
  (every read model rebuilt in memory from the events alone, every figure compared with the
  one the stored read models answer);
- verify of that export (every line checked against its signed record: slower by design).

Raw read, verify, export and replay run ``--rounds`` times alternately; the table gives the median
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cleanup import unwind_on_sigterm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVICE = "responsibility"
PAGE = 2000
RECORDS = 1000  # tasks the history's progress reports fall on
DAY = date(2025, 12, 31)  # the replay's "as of": the end of the history's year


def settings_for(backend: str, place: str) -> Any:
    from shared.settings import StoreSettings

    if backend == "sqlite":
        return StoreSettings.sqlite(Path(place))
    return StoreSettings.postgres(place)


def build(backend: str, place: str, events: int, interval: int) -> None:
    """A log of ``events`` events with checkpoints every ``interval`` and signed records: a
    unit, its clerk and ``RECORDS`` tasks made by the service's own commands, then progress
    reports on those tasks, round robin, stored a page at a time (as a year of a district adds
    events to the same records: what a replay holds stays the same as the history grows).
    The service's read models are caught up at the end, as the running service keeps them."""
    from eventsourcing.persistence import StoredEvent

    from services.responsibility.application import Responsibilities
    from shared.actors import Actor
    from shared.ledger.checkpointing import next_checkpoint
    from shared.ledger.keys import checkpoint_signer
    from shared.ledger.logs import ServiceLog
    from shared.persistence import store_environment
    from shared.tokens import service_actor

    settings = settings_for(backend, place)
    env = store_environment(SERVICE, settings)
    app = Responsibilities(env)
    at = datetime(DAY.year, 3, 2, tzinfo=UTC)
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    unit = app.register_unit(code="U0", name="单位0", kind="district_department",
                             actor=founder, occurred_at=at)
    clerk = Actor(person_id=uuid.uuid4(), unit_id=unit)
    cadre = app.register_cadre(person_id=clerk.person_id, name="干部", unit_id=unit,
                               post_title="主任", line_of_work="综合", actor=founder,
                               occurred_at=at)
    tasks = [
        app.create_task(year=DAY.year, title=f"任务{n}", requirement="落实主体责任",
                        lead_unit_id=unit, responsible_cadre_id=cadre,
                        deadline=date(DAY.year, 12, 31), actor=founder, occurred_at=at)
        for n in range(min(RECORDS, events // 2))
    ]
    app.report_progress(task_id=tasks[0], percent=1, actor=clerk, occurred_at=at)
    template = app.recorder.select_notifications(start=app.recorder.max_notification_id() or 0,
                                                 limit=1)[0]
    state = json.loads(template.state)
    versions = {task: 2 for task in tasks}
    versions[tasks[0]] = 3
    log = ServiceLog(SERVICE, app.recorder, app._outbox)  # the service's own outbox
    signer = checkpoint_signer(SERVICE)
    stored = app.recorder.max_notification_id() or 0
    tail = min(50, events // 10)  # events no checkpoint covers yet
    step = min(PAGE, interval)
    turn = 0
    while stored < events:
        batch = []
        # Up to the next interval, or to the tail.
        until = events - tail if stored < events - tail else events
        for _ in range(min(step, until - stored)):
            stored += 1
            task = tasks[turn % len(tasks)]
            turn += 1
            state.update(percent=stored % 100, note=f"进展{stored}")
            batch.append(StoredEvent(originator_id=task, originator_version=versions[task],
                                     topic=template.topic,
                                     state=json.dumps(state, ensure_ascii=False).encode()))
            versions[task] += 1
        # The service's recorder signs them into the outbox in the insert's transaction.
        app.recorder.insert_events(batch)
        crossed = stored // interval != (stored - len(batch)) // interval
        if (crossed and stored < events - tail) or stored == events - tail:
            checkpoint = next_checkpoint(app.recorder, log.mapper, SERVICE, signer,
                                         actor=service_actor(SERVICE))
            if checkpoint is not None:
                log.append([checkpoint])
    app.close()
    catch_up_read_models(env)


def catch_up_read_models(env: Any) -> None:
    """Every read model the replay compares brought up to date in the store's rows."""
    from dutytrail_ops.audit._replay_apps import open_stored
    from dutytrail_ops.audit._replay_figures import ask, plan

    app = open_stored(SERVICE, env)
    try:
        general, _, _ = plan(app, DAY)
        for call in general:
            ask(app, call, DAY)
    finally:
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
    elif kind == "replay":
        from dutytrail_ops.audit._replay_run import replay_service
        from shared.persistence import store_environment

        result = replay_service(SERVICE, store_environment(SERVICE, settings_for(backend, place)),
                                DAY)
        events = log.recorder.max_notification_id() or 0
        outcome = (f"{len(result.answers)} answers, {len(result.differing)} differing"
                   if not result.differing else "DIFFER")
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
    unwind_on_sigterm()
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
                for kind in ("raw", "verify", "export", "replay"):
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

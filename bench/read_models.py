"""Read-model latency as the history grows: the first query after a start, a live query, an
"as of" query, how long the eventlet hub is held up while each runs, and the process's memory.

    .venv/bin/python bench/read_models.py [--backend sqlite|postgres] [--events 10000 100000]
        [--runs 3] [--keep DIR] [--rebuild]

For each history size a responsibility store is filled once (units, cadres, tasks, and weekly
progress reports through the domain, saved in batches, no outbox), then each run starts a
fresh application on it, as a restarted service would, under eventlet monkey-patching as a
service runs:

- ``cold``: the first live query (``list_units``) of a freshly started application;
- ``live``: the same query again;
- ``as of``: ``overdue_tasks`` as of 30 June of the history's year, the first "as of" the
  started application answers (its statements not yet prepared, its caches empty);
- ``as of, running``: then ``overdue_tasks`` as of the 15th of each month from February to
  November, as a running service answers them one after another: the median of the ten, and
  the longest the hub was held during any of them;
- ``as of today``: ``overdue_tasks`` as of today (every act of the history is before it);
- ``stall``: the longest the hub went without running a 1 ms ticker greenthread during the
  ``as of`` query (what a ``ping`` to the same service would have waited);
- ``rss``: resident memory after the queries, and of the same process before the store was
  opened (the empty-service baseline in the same run).

With ``--rebuild``, once per size after the runs: the read model's tables are dropped (as a
start under other rules drops them: docs/architecture.md, "Rules and rebuilding") and a fresh
application's first query writes the rows again from the log; the seconds it took, the
longest the hub was held meanwhile, and the memory after it.

Figures: bench/README.md ("Read models").
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")

import eventlet

eventlet.monkey_patch()

from shared.green_psycopg import install  # noqa: E402

install()  # psycopg waits as in a service (dutytrail_ops/runner.py)

import argparse  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from cleanup import unwind_on_sigterm  # noqa: E402

from dutytrail_ops.collector import freeze_what_startup_made  # noqa: E402
from services.responsibility.application import Responsibilities  # noqa: E402
from services.responsibility.domain import Task  # noqa: E402
from shared.actors import Actor  # noqa: E402
from shared.persistence import drop_postgres_schemas, store_environment  # noqa: E402
from shared.settings import StoreSettings  # noqa: E402

SERVICE = "responsibility"
YEAR = 2025
UNITS = 20
TASKS = 400
BATCH = 20  # tasks saved per transaction while filling


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def quiet_app(settings: StoreSettings) -> Responsibilities:
    app = Responsibilities(store_environment(SERVICE, settings))
    app.leave_signing_to_the_relay()  # the bench measures reading, not signing
    return app


def fill(settings: StoreSettings, events: int) -> int:
    """A district's year: units, one leader each, tasks, then progress reports until the log
    holds ``events`` events; returns the number stored."""
    app = quiet_app(settings)
    try:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        start = datetime(YEAR, 1, 2, 9, 0, tzinfo=UTC)
        pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=founder,
                               occurred_at=start)
        committee = Actor(person_id=uuid.uuid4(), unit_id=pc)
        leaders = []
        for i in range(UNITS):
            unit = app.register_unit(code=f"U{i:03}", name=f"单位{i}",
                                     kind="district_department", parent_unit_id=pc,
                                     actor=committee, occurred_at=start)
            leaders.append((unit, app.register_cadre(
                person_id=uuid.uuid4(), name=f"负责人{i}", unit_id=unit, post_title="局长",
                line_of_work="全面", leadership_member=True, top_leader=True, actor=committee,
                occurred_at=start,
            )))
        task_ids = []
        for n in range(TASKS):
            unit, cadre = leaders[n % UNITS]
            task_ids.append(app.create_task(
                year=YEAR, title=f"任务{n}", requirement="按期完成", lead_unit_id=unit,
                responsible_cadre_id=cadre, deadline=date(YEAR, 3 + n % 9, 28),
                actor=committee, occurred_at=start,
            ))
        tasks = [app.load(t, Task) for t in task_ids]
        stored = app.last_position()
        per_task = max(1, (events - stored) // len(tasks))
        span = timedelta(days=360) / per_task
        for step in range(per_task):
            when = start + span * step
            for first in range(0, len(tasks), BATCH):
                group = tasks[first:first + BATCH]
                for task in group:
                    unit_actor = Actor(person_id=committee.person_id, unit_id=task.lead_unit_id)
                    task.report_progress(min(99, step % 100), "", unit_actor, when)
                app.save(*group)
        app.as_of()  # the read model follows the log as the service would have, as it went
        return app.last_position()
    finally:
        app.close()


def worst_stall(work: Callable[[], Any]) -> tuple[float, float]:
    """Run ``work`` in this greenthread while a 1 ms ticker runs in another; the work's
    seconds and the longest gap between two ticks."""
    gaps: list[float] = []
    running = True

    def ticker() -> None:
        last = time.perf_counter()
        while running:
            eventlet.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    thread = eventlet.spawn(ticker)
    eventlet.sleep(0.005)
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    eventlet.sleep(0.005)
    running = False
    thread.wait()
    return took, max(gaps, default=0.0)


def measure(settings: StoreSettings) -> dict[str, float]:
    before = rss_mb()
    started = time.perf_counter()
    app = quiet_app(settings)
    opened = time.perf_counter() - started
    freeze_what_startup_made()  # as `dutytrail run` does once its service has started
    try:
        started = time.perf_counter()
        app.list_units()
        cold = opened + time.perf_counter() - started
        started = time.perf_counter()
        app.list_units()
        live = time.perf_counter() - started
        as_of, stall = worst_stall(lambda: app.overdue_tasks(date(YEAR, 6, 30)))
        today, today_stall = worst_stall(lambda: app.overdue_tasks(date.today()))
        running = [
            worst_stall(partial(app.overdue_tasks, date(YEAR, month, 15)))
            for month in range(2, 12)
        ]
        return {
            "cold": cold, "live": live, "as_of": as_of, "stall": stall, "today": today,
            "today_stall": today_stall, "rss_before": before, "rss": rss_mb(),
            "running": statistics.median(took for took, _ in running),
            "running_stall": max(held for _, held in running),
        }
    finally:
        app.close()


def rebuild(settings: StoreSettings) -> tuple[float, float, float]:
    app = quiet_app(settings)
    try:
        store = app.live.store
        assert store is not None, "the read model is not kept in the store"
        store.drop()
    finally:
        app.close()
    app = quiet_app(settings)
    freeze_what_startup_made()  # as `dutytrail run` does once its service has started
    try:
        took, held = worst_stall(app.list_units)
        assert app.live.position == app.last_position()
        return took, held, rss_mb()
    finally:
        app.close()


def spread(values: list[float], unit: float = 1000.0, fmt: str = "{:.1f}") -> str:
    scaled = [v * unit for v in values]
    return "/".join(fmt.format(x) for x in (min(scaled), statistics.median(scaled), max(scaled)))


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each filled store under this directory (PostgreSQL: a "
                             "schema named after the size) and reuse it on the next run")
    parser.add_argument("--rebuild", action="store_true",
                        help="also time writing the read model again from the log")
    args = parser.parse_args(argv)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"{args.backend}; each figure min/median/max of {args.runs} runs, milliseconds "
          "unless said")
    for events in args.events:
        kept = args.keep / f"{args.backend}-{events}" if args.keep else None
        var_dir = kept or Path(tempfile.mkdtemp(prefix="dutytrail-bench-read-"))
        var_dir.mkdir(parents=True, exist_ok=True)
        prefix = (f"benchrmkeep{events}_" if kept else f"benchrm{uuid.uuid4().hex[:8]}_")
        settings = (StoreSettings.sqlite(var_dir) if args.backend == "sqlite"
                    else StoreSettings.postgres(prefix))
        marker = var_dir / "filled"
        try:
            filled_at = time.perf_counter()
            if marker.exists():
                stored = int(marker.read_text())
                how = "kept from an earlier run"
            else:
                stored = fill(settings, events)
                marker.write_text(str(stored))
                how = f"filled in {time.perf_counter() - filled_at:.0f} s"
            runs = [measure(settings) for _ in range(args.runs)]
            column: dict[str, list[float]] = {k: [r[k] for r in runs] for k in runs[0]}
            print(
                f"{stored:>9,} events ({how}): "
                f"cold {spread(column['cold'])}; live {spread(column['live'], fmt='{:.2f}')}; "
                f"as of {spread(column['as_of'])} (hub held {spread(column['stall'])}); "
                f"as of, running {spread(column['running'])} "
                f"(hub held {spread(column['running_stall'])}); "
                f"as of today {spread(column['today'])} "
                f"(hub held {spread(column['today_stall'])}); "
                f"RSS {spread(column['rss'], 1, '{:.0f}')} MB "
                f"(before opening the store {spread(column['rss_before'], 1, '{:.0f}')} MB)",
                flush=True,
            )
            if args.rebuild:
                took, held, rss = rebuild(settings)
                print(f"{stored:>9,} events: read model written again from the log in "
                      f"{took:.1f} s ({stored / took:,.0f} events/s), hub held at most "
                      f"{held * 1000:.1f} ms, RSS after {rss:.0f} MB", flush=True)
        finally:
            if kept is None:
                shutil.rmtree(var_dir, ignore_errors=True)
                if args.backend == "postgres":
                    drop_postgres_schemas(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

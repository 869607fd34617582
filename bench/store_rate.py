"""The store's raw save rate: ``Responsibilities.register_unit`` in-process, one thread.

No broker, no nameko, no eventlet: one eventsourcing application saving one new ``Unit``
(one event, one transaction) per call, on a fresh store that is removed afterwards.

    .venv/bin/python bench/store_rate.py [--backend sqlite|postgres] [--events 2000] [--json]
        [--no-outbox]

By default each save also signs its event and stores it in the outbox (shared/outbox.py), as
a service does; ``--no-outbox`` measures the saves alone.

``bench/end_to_end.py`` runs this as a child process (so that its own eventlet monkey-patching
does not touch the measurement) and reads the ``--json`` line.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from cleanup import unwind_on_sigterm

from services.responsibility.application import Responsibilities
from shared.actors import Actor
from shared.persistence import drop_postgres_schemas, store_environment
from shared.settings import StoreSettings

SERVICE = "responsibility"
ACTOR = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())


def sqlite_settings(var_dir: Path) -> StoreSettings:
    return StoreSettings.sqlite(var_dir)


def postgres_settings(prefix: str) -> StoreSettings:
    return StoreSettings.postgres(prefix)


def measure(
    settings: StoreSettings, events: int, warmup: int = 50, outbox: bool = True
) -> dict[str, Any]:
    app = Responsibilities(store_environment(SERVICE, settings))
    if not outbox:
        app.leave_signing_to_the_relay()
    try:
        run = uuid.uuid4().hex[:8]
        for i in range(warmup):
            app.register_unit(code=f"warm-{run}-{i}", name="warm-up unit",
                              kind="district_department", actor=ACTOR)
        started = time.perf_counter()
        for i in range(events):
            app.register_unit(code=f"bench-{run}-{i}", name=f"bench unit {i}",
                              kind="district_department", actor=ACTOR)
        elapsed = time.perf_counter() - started
    finally:
        app.close()
    return {
        "backend": settings.backend, "events": events, "seconds": elapsed,
        "per_second": events / elapsed, "outbox": outbox,
    }


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=2000, help="saves to time (default 2000)")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    parser.add_argument("--no-outbox", action="store_true",
                        help="save without signing into the outbox")
    args = parser.parse_args(argv)

    if args.backend == "sqlite":
        var_dir = Path(tempfile.mkdtemp(prefix="dutytrail-bench-store-"))
        try:
            result = measure(sqlite_settings(var_dir), args.events, outbox=not args.no_outbox)
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)
    else:
        settings = postgres_settings(f"bench{uuid.uuid4().hex[:8]}_")
        try:
            result = measure(settings, args.events, outbox=not args.no_outbox)
        finally:
            drop_postgres_schemas(settings)

    if args.json:
        print(json.dumps(result))
    else:
        print(f"command: {shlex.join([sys.executable, *sys.argv])}")
        print(f"{result['backend']}: {result['events']} register_unit saves in "
              f"{result['seconds']:.2f} s = {result['per_second']:,.0f} events/s "
              f"(one thread, in-process, {'with' if args.no_outbox is False else 'without'} "
              "the outbox write)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

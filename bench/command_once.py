"""The cost of running commands once (docs/commands-once.md): ``create_task`` per second
with a ``command_id`` against without one, in the same run, alternating rounds.

In-process, one thread, no broker: each command goes the way the kit's entrypoint takes it
(validated by its model; with a ``command_id``, its digest computed, the id looked up, and the
command's row inserted in the transaction of its event), on a fresh store removed afterwards.
Also timed: answering a command sent again (the look-up alone, nothing runs). The rounds
alternate which kind goes first.

    .venv/bin/python bench/command_once.py [--backend sqlite,postgres] [--commands 200]
        [--rounds 10]
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleanup import unwind_on_sigterm

from services.responsibility.application import Responsibilities
from services.responsibility.commands import CreateTask
from shared.actors import Actor
from shared.application import CommandRequest
from shared.commands import arguments, parse_command
from shared.nameko_kit.entrypoints import request_digest
from shared.persistence import drop_postgres_schemas, store_environment
from shared.settings import StoreSettings

SERVICE = "responsibility"


class Bench:
    def __init__(self, app: Responsibilities) -> None:
        self.app = app
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=founder)
        self.clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
        dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                                 parent_unit_id=pc, actor=self.clerk)
        leader = app.register_cadre(person_id=uuid.uuid4(), name="王伟", unit_id=dept,
                                    post_title="局长", line_of_work="财政", actor=self.clerk)
        self.task = {"year": 2026, "title": "任务", "requirement": "落实", "lead_unit_id": dept,
                     "responsible_cadre_id": leader, "deadline": "2026-06-30"}

    def plain(self, payload: dict[str, Any]) -> Any:
        message = parse_command(CreateTask, payload)
        kwargs = arguments(message)
        kwargs.pop("command_id")
        return self.app.create_task(**kwargs, actor=self.clerk)

    def once(self, payload: dict[str, Any]) -> Any:
        message = parse_command(CreateTask, payload)
        kwargs = arguments(message)
        command_id = kwargs.pop("command_id")
        sent = CommandRequest(
            command_id, "create_task", request_digest("create_task", message, self.clerk)
        )
        return self.app.run_once(sent, lambda: self.app.create_task(**kwargs, actor=self.clerk))

    def rate(self, send: Callable[[dict[str, Any]], Any], payloads: list[dict[str, Any]]) -> float:
        started = time.perf_counter()
        for payload in payloads:
            send(payload)
        return len(payloads) / (time.perf_counter() - started)


def measure(settings: StoreSettings, commands: int, rounds: int) -> dict[str, list[float]]:
    app = Responsibilities(store_environment(SERVICE, settings))
    rates: dict[str, list[float]] = {"without": [], "with": [], "sent again": []}
    try:
        bench = Bench(app)
        for _ in range(2):  # warm up both paths
            bench.plain(bench.task)
            bench.once({**bench.task, "command_id": str(uuid.uuid4())})
        for n in range(rounds):
            with_ids = [{**bench.task, "command_id": str(uuid.uuid4())} for _ in range(commands)]
            # Which kind goes first alternates, so that a drift of the store favours neither.
            for kind in ("without", "with") if n % 2 == 0 else ("with", "without"):
                if kind == "without":
                    rates[kind].append(bench.rate(bench.plain, [bench.task] * commands))
                else:
                    rates[kind].append(bench.rate(bench.once, with_ids))
            rates["sent again"].append(bench.rate(bench.once, with_ids))
        stored = app.recorder.max_notification_id() or 0
        expected = 3 + 4 + 2 * commands * rounds
        assert stored == expected, f"{stored} events stored, {expected} expected"
    finally:
        app.close()
    return rates


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite,postgres")
    parser.add_argument("--commands", type=int, default=200, help="per round and kind")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}")
    for backend in args.backend.split(","):
        if backend == "sqlite":
            var_dir = Path(tempfile.mkdtemp(prefix="dutytrail-bench-once-"))
            try:
                rates = measure(StoreSettings.sqlite(var_dir), args.commands, args.rounds)
            finally:
                shutil.rmtree(var_dir, ignore_errors=True)
        else:
            settings = StoreSettings.postgres(f"bench{uuid.uuid4().hex[:8]}_")
            try:
                rates = measure(settings, args.commands, args.rounds)
            finally:
                drop_postgres_schemas(settings)
        without, with_id = statistics.median(rates["without"]), statistics.median(rates["with"])
        print(f"{backend}: create_task, {args.commands} a round, median of {args.rounds} rounds "
              "(one thread, in-process)")
        for kind, values in rates.items():
            shown = ", ".join(f"{v:,.0f}" for v in values)
            print(f"  {kind + ' command_id':<22} {statistics.median(values):>7,.0f}/s  ({shown})")
        print(f"  cost of the command record: {1e6 / with_id - 1e6 / without:+,.0f} µs a "
              f"command ({with_id / without - 1:+.0%} rate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

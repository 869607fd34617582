"""Commands per second with two replicas of a service against one, in the same run (issue 15,
item 1).

    .venv/bin/python bench/replicas.py [--callers 20] [--seconds 5] [--rounds 3]

On PostgreSQL (a fresh schema prefix, dropped at the end): the responsibility service runs as
one process, then as two (``dutytrail run responsibility`` twice, consuming one RPC queue),
with one relay, alternately for ``--rounds`` rounds, so that the machine's noise falls on both.
In each phase ``--callers`` green threads send ``register_unit`` for ``--seconds``, and an
outside subscriber counts the events (end to end: first call to last event received).
Reported: commands/s (RPC side) and end-to-end events/s per configuration, min/median/max
over the rounds, and each round's ratio two/one; and the CPU each configuration's services
used. On a 2-core machine that also runs the broker, PostgreSQL and the callers, a second
replica adds little processor; what it shows is that commands spread over replicas and
nothing is lost doing so (each phase checks every command's event arrived).

Figures: bench/README.md ("Replicas").
"""

from __future__ import annotations

import os
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")  # psycopg under eventlet

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from cleanup import unwind_on_sigterm  # noqa: E402
from end_to_end import (  # noqa: E402  (bench/ is the script's directory)
    BIN_DIR,
    SERVICE,
    Child,
    Subscriber,
    cpu_seconds,
    register,
    run_callers,
    start_child,
    wait_until_serving,
)
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from prompt_delivery import store_environ  # noqa: E402

from dutytrail_ops.acting import Acting  # noqa: E402
from shared.nameko_kit import service_config  # noqa: E402
from shared.persistence import drop_postgres_schemas  # noqa: E402
from shared.roles import PARTY_COMMITTEE  # noqa: E402
from shared.settings import StoreSettings, amqp_uri  # noqa: E402


def children_environ(run_id: str, var_dir: Path, uri: str) -> tuple[dict[str, str],
                                                                     StoreSettings]:
    """prompt_delivery's PostgreSQL environment, with the HTTP port free as well."""
    environ, settings = store_environ("postgres", var_dir, run_id, uri)
    environ[f"DUTYTRAIL_{SERVICE.upper()}_HTTP_PORT"] = "0"
    return environ, settings


def phase(
    replicas: int, environ: dict[str, str], var_dir: Path, args: argparse.Namespace,
    subscriber: Subscriber, name: str,
) -> tuple[float, float, float, list[float]]:
    """One configuration: ``replicas`` service processes; returns commands/s, end-to-end
    events/s, the services' CPU seconds per command and each replica's share of that CPU
    (commands spread over the replicas if each has about its share)."""
    dutytrail = str(BIN_DIR / "dutytrail")
    services: list[Child] = [
        start_child(f"{name}-service-{n}", [dutytrail, "run", SERVICE], environ, var_dir)
        for n in range(replicas)
    ]
    config = service_config(AMQP_URI=args.amqp_uri)
    proxies: list[Any] = []
    try:
        wait_until_serving(config, services, timeout=90)
        eventlet.sleep(1.0)  # the second replica consumes too before the clock starts
        for _ in range(args.callers):
            client = ClusterRpcProxy(config, timeout=60)
            proxies.append((client, Acting(client.start()).as_(
                uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE)))
        before = [cpu_seconds(s.process.pid) for s in services]
        result = run_callers([p for _, p in proxies], args.callers, args.seconds,
                             register(name, subscriber.prefix))
        each = [cpu_seconds(s.process.pid) - b for s, b in zip(services, before, strict=True)]
        used = sum(each)
        last = subscriber.wait_for(name, result.calls, timeout=120)
    finally:
        for client, _ in proxies:
            client.stop()
        for service in services:
            service.stop()
    return (result.calls / result.seconds, result.calls / (last - result.started),
            used / max(1, result.calls), [e / used if used else 0.0 for e in each])


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--amqp-uri", default=amqp_uri())
    args = parser.parse_args(argv)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; PostgreSQL; {args.callers} callers, {args.seconds:.0f} s "
          f"per phase, {args.rounds} rounds")
    run_id = uuid.uuid4().hex[:8]
    var_dir = Path(tempfile.mkdtemp(prefix="dutytrail-bench-replicas-"))
    environ, settings = children_environ(run_id, var_dir, args.amqp_uri)
    os.environ.update({k: environ[k] for k in ("DUTYTRAIL_DEV_KEYS", "DUTYTRAIL_KEY_DIR")})
    figures: dict[int, list[tuple[float, float, float, list[float]]]] = {1: [], 2: []}
    subscriber = Subscriber(args.amqp_uri, run_id)
    relay = start_child("relay", [str(BIN_DIR / "dutytrail"), "relay", SERVICE], environ,
                        var_dir)
    try:
        for round_ in range(args.rounds):
            order = (1, 2) if round_ % 2 == 0 else (2, 1)
            for replicas in order:
                name = f"r{round_}x{replicas}"
                figures[replicas].append(
                    phase(replicas, environ, var_dir, args, subscriber, name))
                shares = " / ".join(f"{x:.0%}" for x in figures[replicas][-1][3])
                print(f"  round {round_ + 1}, {replicas} replica(s): "
                      f"{figures[replicas][-1][0]:.0f} commands/s (CPU by replica: {shares})",
                      flush=True)
    finally:
        relay.stop()
        subscriber.close()
        drop_postgres_schemas(settings)
        shutil.rmtree(var_dir, ignore_errors=True)
    print()
    print("replicas | commands/s (min/median/max) | end to end events/s | service CPU ms "
          "per command")
    for replicas in (1, 2):
        rows = figures[replicas]
        print(f"       {replicas} | {spread([r[0] for r in rows]):>27} | "
              f"{spread([r[1] for r in rows]):>19} | "
              f"{spread([r[2] * 1000 for r in rows], '{:.2f}')}")
    ratios = [two[0] / one[0] for one, two in zip(figures[1], figures[2], strict=True)]
    print(f"two replicas / one, commands/s, per round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""RPC round trip with token verification against the same call without it, in one run.

Two entrypoints on one kit service in this process, over the real broker: ``plain_echo``
(no token asked) and ``checked_echo`` (the kit verifies the caller's EdDSA token and its role,
as every dutytrail command does). Rounds alternate so that machine noise falls on both.

    AMQP_URI=amqp://guest:guest@127.0.0.1:5672/dutytrail-bench \\
        .venv/bin/python bench/token_rpc.py [--calls 1000] [--rounds 3]

The virtual host must exist (``rabbitmqctl add_vhost dutytrail-bench`` and
``set_permissions``, as bench/README.md says). Development keys are made in a temporary
directory (``DUTYTRAIL_DEV_KEYS=1``).
"""

from __future__ import annotations

import os

from cleanup import own_directory, unwind_on_sigterm

os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")
own_directory("DUTYTRAIL_KEY_DIR", "dutytrail-bench-keys-")
own_directory("DUTYTRAIL_VAR_DIR", "dutytrail-bench-var-")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from typing import Any  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from shared.application import ServiceApplication  # noqa: E402
from shared.declaration import ServiceDeclaration  # noqa: E402
from shared.nameko_kit import ApplicationProvider, ServiceKit, service_config  # noqa: E402
from shared.nameko_kit.entrypoints import admitting  # noqa: E402
from shared.readmodel import Projection  # noqa: E402
from shared.roles import UNIT_CLERK  # noqa: E402
from shared.tokens import issue_token  # noqa: E402


class Echoes(ServiceApplication[Projection]):
    service_name = "bench_echo"


class EchoService(ServiceKit):
    declaration = ServiceDeclaration(name="bench_echo", title="bench", service_class="")
    app = ApplicationProvider(Echoes)

    @rpc
    def plain_echo(self, payload: Any) -> Any:
        return payload

    @rpc
    @admitting((UNIT_CLERK,))
    def checked_echo(self, payload: Any) -> Any:
        return payload


def timed(
    method: Any, calls: int, tokens: list[str] | None = None, proxy: Any = None
) -> list[float]:
    """Latencies of ``calls`` calls; with ``tokens``, each call carries a token never seen
    before (so the service verifies its signature instead of recognising it)."""
    latencies = []
    for i in range(calls):
        if tokens is not None:
            proxy._worker_ctx.data["authorization"] = f"Bearer {tokens[i]}"
        started = time.perf_counter()
        method({"n": i})
        latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = service_config(METRICS_PORT=0)
    container = ServiceContainer(EchoService, config)
    container.start()
    token = issue_token(uuid.uuid4(), uuid.uuid4(), [UNIT_CLERK])
    plain: list[float] = []
    checked: list[float] = []
    fresh: list[float] = []
    try:
        with ClusterRpcProxy(config, context_data={"authorization": f"Bearer {token}"}) as proxy:
            timed(proxy.bench_echo.plain_echo, 100)  # warm-up
            timed(proxy.bench_echo.checked_echo, 100)
            for _ in range(args.rounds):
                plain += timed(proxy.bench_echo.plain_echo, args.calls)
                checked += timed(proxy.bench_echo.checked_echo, args.calls)
                tokens = [
                    issue_token(uuid.uuid4(), uuid.uuid4(), [UNIT_CLERK])
                    for _ in range(args.calls)
                ]
                fresh += timed(proxy.bench_echo.checked_echo, args.calls, tokens, proxy)
                proxy._worker_ctx.data["authorization"] = f"Bearer {token}"
    finally:
        container.stop()
    print(f"calls per variant: {len(plain)} ({args.rounds} alternating rounds)")
    base = statistics.median(plain)
    for label, latencies in [
        ("without token", plain),
        ("with a session's token (verified once)", checked),
        ("with a new token every call (verified every call)", fresh),
    ]:
        p50 = statistics.median(latencies)
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(f"{label}: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
              f"p50 ratio to without {p50 / base:.2f}x (aim: within 1.2x)")


if __name__ == "__main__":
    main()

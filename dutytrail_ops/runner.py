"""Starting one service's nameko container or its relay as a process of its own.

Services are started through ``nameko.runners.ServiceRunner`` rather than nameko's CLI (which
imports ``pkg_resources``; docs/operations.md). The service class is the one the service's
declaration names (``dutytrail_ops.registry``), so that ``shared`` never imports a service's
code.

Each process serves /metrics on the port ``DUTYTRAIL_METRICS_PORT`` gives it (the supervisor
sets it for every child), else its declaration's default (``shared.settings.metrics_port``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from dutytrail_ops.collector import freeze_what_startup_made
from dutytrail_ops.registry import declaration, load_service_class
from dutytrail_ops.supervised import stop_with_supervisor

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def load_config(service: str) -> dict[str, Any]:
    """The service's deploy/<service>.yaml with ``${VAR:default}`` resolved, as nameko does."""
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    path = PROJECT_ROOT / declaration(service).deploy_file
    with path.open(encoding="utf-8") as handle:
        config: dict[str, Any] = yaml.safe_load(handle)
    return config


def run_service(service: str) -> None:
    """Run one nameko service until SIGTERM or SIGINT."""
    declaration(service)  # an unknown name fails here, before eventlet patches anything
    stop_with_supervisor()
    _refuse_without_keys(service, upstreams=True)
    # psycopg's C wait would block the eventlet hub on every round trip (docs/operations.md).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
    from shared.green_psycopg import install

    install()  # cooperative waits that skip the hub when the socket is ready
    from nameko.runners import ServiceRunner

    from shared.logs import configure_logging
    from shared.settings import amqp_uri_for

    configure_logging(service)
    config = load_config(service)
    # The service's own broker login when it has one (DUTYTRAIL_<SERVICE>_AMQP_URI), else
    # AMQP_URI, as the YAML says (docs/operations.md, "Broker users and permissions").
    config["AMQP_URI"] = amqp_uri_for(service)
    runner = ServiceRunner(config)
    runner.add_service(load_service_class(service))

    stopping: list[int] = []

    def shutdown(signum: int, frame: Any) -> None:
        # Ctrl-C under `dutytrail up` delivers SIGINT to the whole process group and the
        # supervisor then sends SIGTERM: a second ``runner.stop`` fails inside nameko
        # ("Trying to re-send() an already-triggered event") and the service never exits.
        if not stopping:
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    freeze_what_startup_made()
    logging.getLogger(__name__).info("%s service running", service)
    runner.wait()


def run_relay(service: str) -> None:
    """Run one service's relay (plain Python, no eventlet) until SIGTERM or SIGINT."""
    from shared import metrics
    from shared.logs import configure_logging
    from shared.relay import Relay
    from shared.settings import metrics_address, metrics_port

    declared = declaration(service)
    stop_with_supervisor()
    _refuse_without_keys(service, upstreams=False)
    configure_logging(f"{service}-relay")
    relay = Relay(service)
    freeze_what_startup_made()
    metrics.serve_metrics(
        metrics_address(), metrics_port(service, relay=True, default=declared.relay_metrics_port)
    )

    def shutdown(signum: int, frame: Any) -> None:
        # Not relay.stop() here: the handler runs on the main thread, which may be holding
        # the stop event's lock inside Event.wait(); setting the event from the handler would
        # then wait for that lock for ever. Another thread sets it once the handler returns.
        threading.Thread(target=relay.stop, name="relay-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    relay.run()


def _refuse_without_keys(service: str, upstreams: bool) -> None:
    """Stop here, with the KeyConfigurationError's message, when the service's signing key
    (or an upstream's public key) is not configured (docs/contract.md, "Verifying events")."""
    from dutytrail_ops.preflight import check_keys

    problem = check_keys(service, upstreams=upstreams)
    if problem:
        raise SystemExit(f"cannot start {service}: {problem}")

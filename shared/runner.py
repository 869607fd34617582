"""Starting one service's nameko container or its relay as a process of its own.

Services are started through ``nameko.runners.ServiceRunner`` rather than nameko's CLI (which
imports ``pkg_resources``; DESIGN §7). The service class is named by an import path, so that
``shared`` never imports a service's code.
"""

from __future__ import annotations

import importlib
import logging
import logging.config
import os
import signal
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEPLOY_DIR = PROJECT_ROOT / "deploy"

SERVICE_CLASSES: dict[str, str] = {
    "responsibility": "services.responsibility.service:ResponsibilityService",
    "supervision": "services.supervision.service:SupervisionService",
}


def available_services() -> list[str]:
    return list(SERVICE_CLASSES)


def load_service_class(service: str) -> type[Any]:
    module_name, _, class_name = SERVICE_CLASSES[service].partition(":")
    cls: type[Any] = getattr(importlib.import_module(module_name), class_name)
    return cls


def load_config(service: str) -> dict[str, Any]:
    """The service's deploy/<service>.yaml with ``${VAR:default}`` resolved, as nameko does."""
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with (DEPLOY_DIR / f"{service}.yaml").open(encoding="utf-8") as handle:
        config: dict[str, Any] = yaml.safe_load(handle)
    return config


def run_service(service: str) -> None:
    """Run one nameko service until SIGTERM or SIGINT."""
    # psycopg's C wait would block the eventlet hub on every round trip (DESIGN §7).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
    from nameko.runners import ServiceRunner

    config = load_config(service)
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
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
    logging.getLogger(__name__).info("%s service running", service)
    runner.wait()


def run_relay(service: str) -> None:
    """Run one service's relay (plain Python, no eventlet) until SIGTERM or SIGINT."""
    from shared import metrics
    from shared.relay import Relay
    from shared.settings import relay_metrics_port

    logging.basicConfig(
        level=os.environ.get("DUTYTRAIL_LOG_LEVEL", "INFO"),
        format=f"%(asctime)s {service}-relay %(levelname)s %(name)s: %(message)s",
    )
    relay = Relay(service)
    metrics.serve_metrics(relay_metrics_port(service))

    def shutdown(signum: int, frame: Any) -> None:
        relay.stop()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    relay.run()

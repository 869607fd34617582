"""A kit service stops promptly (shared/nameko_kit/draining.py): its queue consumers look for
the stop request every tenth of a second, so a container's stop no longer waits a second for
each of its queues, and `dutytrail up` stops wave after wave in a few seconds."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from shared.nameko_kit import service_config
from shared.settings import StoreSettings
from tests.integration.probe_consumer import (
    UPSTREAM,
    delete_queues,
    handler_queue_name,
    probe_service,
    stop_container,
)


def test_a_consumer_with_its_rpc_and_event_queues_stops_in_well_under_three_seconds(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    name = f"ledger_probe_{uuid4().hex[:8]}"
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0,
                            WEB_SERVER_ADDRESS="127.0.0.1:0")
    container = ServiceContainer(probe_service(name), config)
    try:
        container.start()
        with ClusterRpcProxy(config, timeout=20) as rpc:
            assert getattr(rpc, name).ping()  # its RPC queue is consumed
        started = time.monotonic()
        stop_container(container)
        took = time.monotonic() - started
    finally:
        delete_queues(amqp_uri, handler_queue_name(UPSTREAM, name, "on_responsibility_event"),
                      f"rpc-{name}")
    # nameko's stop cancels its RPC consumer, its reply listener and its event consumer in
    # turn; each waited for a one-second read of the broker before (3 s at least).
    assert took < 2.0, f"the container took {took:.2f}s to stop"

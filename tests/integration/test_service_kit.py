"""The kit on the real broker: a service declared with nothing but its declaration and its
application answers the entrypoints every service shares (to the roles each admits), and a
service whose metrics port another process holds refuses to start."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.casework.service import CaseworkService
from shared.metrics import MetricsPortTakenError
from shared.nameko_kit import service_config
from shared.roles import AUDITOR, SYSTEM_CLOCK, UNIT_CLERK
from shared.settings import StoreSettings
from tests.integration.probe_consumer import delete_queues, running


def test_a_declared_service_without_use_cases_answers_the_shared_entrypoints(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    try:
        with running(CaseworkService, config), ClusterRpcProxy(config) as rpc:
            acting = Acting(rpc)
            # ping is open to every caller, even one without a token.
            assert datetime.fromisoformat(acting.anonymous.casework.ping()).tzinfo is not None
            auditor = acting.as_(uuid4(), uuid4(), AUDITOR).casework
            assert auditor.events_after({"after": 0}) == []
            as_of = datetime(2026, 6, 1, tzinfo=UTC).isoformat()
            clock = acting.as_(uuid4(), uuid4(), SYSTEM_CLOCK).casework
            assert clock.check_deadlines({"as_of": as_of}) == {"recorded": [], "damaged": []}
            # The shared entrypoints admit their roles only.
            clerk = acting.as_(uuid4(), uuid4(), UNIT_CLERK).casework
            for call in (lambda: clerk.events_after({"after": 0}),
                         lambda: clerk.check_deadlines({"as_of": as_of}),
                         lambda: auditor.check_deadlines({"as_of": as_of})):
                with pytest.raises(RemoteError) as refused:
                    call()
                assert refused.value.exc_type == "NotPermittedError"
    finally:
        delete_queues(amqp_uri, "rpc-casework")
    assert (sqlite_store.var_dir / "casework.sqlite").exists()


def test_a_service_refuses_to_start_when_its_metrics_port_is_taken(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    holder = socket.socket()
    # The holder even allows sharing (as a second process would with SO_REUSEPORT): the
    # metrics server must still refuse, not split the scrapes with it.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    container = ServiceContainer(CaseworkService, service_config(AMQP_URI=amqp_uri, METRICS_PORT=port))
    try:
        with pytest.raises(MetricsPortTakenError, match=str(port)):
            container.start()
    finally:
        container.kill()
        holder.close()
        delete_queues(amqp_uri, "rpc-casework")

"""Every RPC method of every declared service, called under every role over the real broker:
exactly the cells docs/roles.md marks get past the role check; every other call is refused
with NotPermittedError and stores nothing (zero unauthorised commands accepted)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any
from uuid import uuid4

from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.registry import (
    declaration,
    in_dependency_order,
    load_service_class,
    service_names,
)
from dutytrail_ops.roles_matrix import OPEN, markdown, matrix
from shared.nameko_kit import service_config
from shared.roles import AUDITOR, ROLES, Role
from shared.settings import StoreSettings
from shared.tokens import issue_token
from tests.integration.probe_consumer import delete_queues, handler_queue_name, running

ROLE_REFUSAL = "needs one of the roles"


def test_the_documented_matrix_is_the_one_the_services_enforce() -> None:
    documented = (Path(__file__).parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    assert documented == markdown(), "docs/roles.md is stale: run `dutytrail roles matrix`"


def call_as(rpc: Any, role: Role, service: str, method: str) -> str:
    """Call ``method`` with an empty payload as a fresh person holding ``role``; what came
    back: ``ok``, ``refused by role`` or the name of another refusal."""
    token = issue_token(uuid4(), uuid4(), [role])
    rpc._worker_ctx.data["authorization"] = f"Bearer {token}"
    try:
        remote = getattr(getattr(rpc, service), method)
        remote() if method == "ping" else remote({})
    except RemoteError as error:
        if error.exc_type == "NotPermittedError" and ROLE_REFUSAL in str(error.value):
            return "refused by role"
        return str(error.exc_type)
    return "ok"


def stored_positions(rpc: Any) -> dict[str, int]:
    rpc._worker_ctx.data["authorization"] = "Bearer " + issue_token(uuid4(), uuid4(), [AUDITOR])
    counts: dict[str, int] = {
        name: len(getattr(rpc, name).events_after({"after": 0})) for name in service_names()
    }
    return counts


def test_every_method_under_every_role_admits_exactly_the_allowed_cells(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    table = matrix()
    # The consumer queues are durable: messages earlier tests left there must not reach
    # these containers (they would be applied to this test's stores).
    consumer_queues = [
        handler_queue_name(upstream, name, f"on_{upstream}_event")
        for name in table for upstream in declaration(name).upstreams
    ]
    delete_queues(amqp_uri, *consumer_queues)
    with ExitStack() as stack:
        stack.callback(delete_queues, amqp_uri, *(f"rpc-{name}" for name in table),
                       *consumer_queues)
        # Each service after its upstreams, so each stops before them: a consumer stopped
        # after its upstream would wait out a pull nobody answers.
        for name in in_dependency_order(list(table)):
            stack.enter_context(running(load_service_class(name), config))
        rpc = stack.enter_context(ClusterRpcProxy(config, timeout=30))

        # Step. Every forbidden cell first: each is refused, and nothing at all is stored.
        before = stored_positions(rpc)
        forbidden = [
            (service, method, role)
            for service, methods in table.items() for method, roles in methods.items()
            for role in ROLES if roles != OPEN and role not in roles
        ]
        assert len(forbidden) > 200
        outcomes = {cell: call_as(rpc, cell[2], cell[0], cell[1]) for cell in forbidden}
        wrong = {cell: got for cell, got in outcomes.items() if got != "refused by role"}
        assert not wrong, wrong
        assert stored_positions(rpc) == before

        # Step. Every allowed cell gets past the role check (an empty payload is then refused
        # as malformed, answered, or carried out).
        allowed = [
            (service, method, role)
            for service, methods in table.items() for method, roles in methods.items()
            for role in ROLES if roles == OPEN or role in roles
        ]
        outcomes = {cell: call_as(rpc, cell[2], cell[0], cell[1]) for cell in allowed}
        wrong = {cell: got for cell, got in outcomes.items() if got == "refused by role"}
        assert not wrong, wrong
        assert len(forbidden) + len(allowed) == sum(len(m) for m in table.values()) * len(ROLES)

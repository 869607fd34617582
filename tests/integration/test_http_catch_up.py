"""Every service answers HTTP from the kit (shared/nameko_kit/http.py, docs/openapi.yaml):
GET /events pages the log with a bearer token, confidential events for cleared callers only,
and says where to continue; /healthz, /readyz and /schemas/<type>.json."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from typing import Any

from click.testing import CliRunner
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from dutytrail_ops.cli import main
from services.supervision.service import SupervisionService
from shared.nameko_kit import service_config
from shared.roles import AUDITOR, DISCIPLINE_COMMISSION, SUBSCRIBER, UNIT_CLERK
from shared.settings import StoreSettings
from shared.tokens import issue_token
from tests.integration.probe_consumer import delete_queues, handler_queue_name, running

VISIT_SCHEDULED = "dutytrail.supervision.unannounced_visit_scheduled.v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, token: str | None = None, accept: str = "application/json") -> tuple[
    int, dict[str, str], str
]:
    headers = {"Accept": accept}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def token(*roles: Any) -> str:
    return issue_token(uuid.uuid4(), uuid.uuid4(), list(roles))


def test_http_catch_up_health_readiness_and_schemas(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> None:
    use_store(sqlite_store)
    # Supervision consumes responsibility's events on a durable queue of the session's virtual
    # host: what earlier tests published there would land first in this fresh store.
    delete_queues(amqp_uri, handler_queue_name("responsibility", "supervision",
                                               "on_responsibility_event"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = service_config(
        AMQP_URI=amqp_uri, METRICS_PORT=0, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"
    )
    try:
        with running(SupervisionService, config), ClusterRpcProxy(config, timeout=30) as rpc:
            commission = Acting(rpc).as_(uuid.uuid4(), uuid.uuid4(), DISCIPLINE_COMMISSION)
            # Step. A confidential visit, then two public circulars.
            commission.supervision.schedule_unannounced_visit({})
            for n in (1, 2):
                commission.supervision.issue_bulletin({
                    "kind": "circular", "request_id": f"r-{n}", "title": f"督查通报第{n}期",
                })

            # Step. Alive and ready (store and broker answer).
            assert get(f"{base}/healthz")[0] == 200
            status, _, body = get(f"{base}/readyz")
            assert status == 200 and json.loads(body)["ready"] is True
            # Its upstream feed is described, and not behind.
            assert json.loads(body)["feeds"]["responsibility"]["lagging"] is False

            # Step. A cleared auditor pages everything, one event at a time.
            auditor = token(AUDITOR)
            seen: list[dict[str, Any]] = []
            after, more = 0, True
            while more:
                status, headers, body = get(f"{base}/events?after={after}&limit=1", auditor)
                assert status == 200, body
                page = json.loads(body)
                seen += page["events"]
                assert headers["x-next-after"] == str(page["next_after"])
                after, more = page["next_after"], page["more"]
            assert seen[0]["type"] == VISIT_SCHEDULED
            assert {e["dataclassification"] for e in seen[1:]} != {"confidential"}
            assert VISIT_SCHEDULED not in {e["type"] for e in seen[1:]}
            assert [e["prevsequence"] for e in seen[1:]] == [e["sequence"] for e in seen[:-1]]

            # Step. An uncleared subscriber: the visit's position is skipped, not hidden as
            # the end of the log.
            outsider = token(SUBSCRIBER)
            status, _, body = get(f"{base}/events?after=0&limit=1", outsider)
            first = json.loads(body)
            assert first["events"] == [] and first["more"] is True
            assert first["next_after"] == int(seen[0]["sequence"])
            status, headers, body = get(f"{base}/events?after=0&format=jsonl", outsider)
            assert headers["content-type"].startswith("application/x-ndjson")
            lines = [json.loads(line) for line in body.splitlines()]
            assert [e["id"] for e in lines] == [e["id"] for e in seen[1:]]
            assert headers["x-more"] == "false"

            # Step. Refusals: no token 401, a clerk 403, bad bounds 400.
            status, headers, body = get(f"{base}/events")
            assert status == 401 and "Bearer" in headers["www-authenticate"]
            assert "token" in json.loads(body)["error"]
            status, _, body = get(f"{base}/events", token(UNIT_CLERK))
            assert status == 403 and "subscriber" in json.loads(body)["error"]
            for query in ("after=-5", "limit=0", "limit=501", "after=x",
                          f"pin={VISIT_SCHEDULED}"):  # a current major cannot be pinned
                assert get(f"{base}/events?{query}", auditor)[0] == 400, query

            # Step. The schema every event's dataschema names, open to unknown fields.
            status, headers, body = get(f"{base}/schemas/{seen[1]['type']}.json")
            assert status == 200 and headers["content-type"].startswith("application/schema+json")
            schema = json.loads(body)
            assert schema["$id"] == seen[1]["dataschema"]
            assert schema["additionalProperties"] is True
            assert "$defs" not in schema
            assert get(f"{base}/schemas/dutytrail.nothing.v1.json")[0] == 404

            # Step. The command line reads the same pages: `dutytrail events --http`.
            result = CliRunner(env={"DUTYTRAIL_TOKEN": outsider}).invoke(
                main, ["events", "supervision", "--http", base]
            )
            assert result.exit_code == 0, result.output
            assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
                e["id"] for e in seen[1:]
            ]
    finally:
        delete_queues(amqp_uri, "rpc-supervision")


def test_a_taken_http_port_stops_the_service_rather_than_sharing_it(amqp_uri: str) -> None:
    """eventlet would share a port (SO_REUSEPORT) with another process, which would then
    answer half the catch-up calls from its own store; the kit refuses to start instead."""
    import eventlet
    import pytest
    from nameko.containers import ServiceContainer

    port = free_port()
    other = eventlet.listen(("127.0.0.1", port), reuse_port=True)  # as eventlet makes them
    config = service_config(
        AMQP_URI=amqp_uri, METRICS_PORT=0, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"
    )
    container = ServiceContainer(SupervisionService, config)
    try:
        with pytest.raises(OSError, match="in use"):
            container.start()
    finally:
        container.kill()
        other.close()
        delete_queues(amqp_uri, "rpc-supervision")

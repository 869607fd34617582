"""`dutytrail events SERVICE --from N` prints the stored events from N onward (no broker), and
with --rpc reads them through the service's catch-up RPC with the token in DUTYTRAIL_TOKEN."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner

from dutytrail_ops.cli import main
from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from shared import metrics
from shared.actors import Actor
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.relay import Relay
from shared.roles import AUDITOR, UNIT_CLERK
from shared.tokens import issue_token
from tests.integration.probe_consumer import delete_queues, running


def test_events_command_prints_cloudevents_from_a_position(any_store, use_store):
    use_store(any_store)
    app = Responsibilities(store_environment("responsibility", any_store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee", actor=founder)
    for i in range(4):
        app.register_unit(
            code=f"T{i}", name=f"镇{i}", kind="town", parent_unit_id=pc,
            actor=Actor(person_id=uuid.uuid4(), unit_id=pc),
        )
    stored = app.events_after(0)
    app.close()
    third = int(stored[2]["sequence"])

    result = CliRunner().invoke(main, ["events", "responsibility", "--from", str(third)])

    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.output.splitlines()]
    assert printed == stored[2:]
    assert printed[0]["prevsequence"] == stored[1]["sequence"]


def test_relay_reports_published_events_and_lag(any_store, amqp_uri):
    app = Responsibilities(store_environment("responsibility", any_store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    for i in range(3):
        app.register_unit(
            code=f"U{i}", name=f"单位{i}", kind="district_department", actor=founder
        )
    app.close()
    published = metrics.EVENTS_PUBLISHED.labels("responsibility")
    before = published._value.get()
    relay = Relay("responsibility", any_store, amqp_uri)
    relay.batch_size = 2
    assert relay.publish_batch() == 2
    assert metrics.RELAY_LAG.labels("responsibility")._value.get() > 0
    assert relay.drain() == 1
    assert published._value.get() == before + 3
    assert metrics.RELAY_LAG.labels("responsibility")._value.get() == 0
    assert metrics.RELAY_POSITION.labels("responsibility")._value.get() == relay.position()
    relay.close()


def test_events_over_rpc_carry_the_token_from_dutytrail_token(
    sqlite_store, use_store, amqp_uri, monkeypatch
):
    use_store(sqlite_store)
    app = Responsibilities(store_environment("responsibility", sqlite_store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    for i in range(3):
        app.register_unit(code=f"U{i}", name=f"单位{i}", kind="town", actor=founder)
    stored = app.events_after(0)
    app.close()
    runner = CliRunner()

    # Step. No token: one line naming the variable, a non-zero exit, nothing called.
    monkeypatch.delenv("DUTYTRAIL_TOKEN", raising=False)
    for args in (["--rpc"], ["--rpc", "--follow"]):
        refused = runner.invoke(main, ["events", "responsibility", *args])
        assert refused.exit_code != 0
        assert "DUTYTRAIL_TOKEN" in refused.output
        assert len(refused.output.strip().splitlines()) == 1, refused.output
        assert "Traceback" not in refused.output

    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    try:
        with running(ResponsibilityService, config):
            # Step. An auditor's token: the events, through the service.
            monkeypatch.setenv("DUTYTRAIL_TOKEN", issue_token(uuid.uuid4(), uuid.uuid4(), [AUDITOR]))
            result = runner.invoke(main, ["events", "responsibility", "--rpc"])
            assert result.exit_code == 0, result.output
            printed = [json.loads(line) for line in result.output.splitlines()]
            assert [e["id"] for e in printed] == [e["id"] for e in stored]
            # Step. A clerk may not read the event log: one line, a non-zero exit.
            monkeypatch.setenv(
                "DUTYTRAIL_TOKEN", issue_token(uuid.uuid4(), uuid.uuid4(), [UNIT_CLERK])
            )
            refused = runner.invoke(main, ["events", "responsibility", "--rpc"])
            assert refused.exit_code != 0
            assert "DUTYTRAIL_TOKEN" in refused.output and "auditor" in refused.output
            assert len(refused.output.strip().splitlines()) == 1, refused.output
    finally:
        delete_queues(amqp_uri, "rpc-responsibility")

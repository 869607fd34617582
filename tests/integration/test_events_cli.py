"""`dutytrail events SERVICE --from N` prints the stored events from N onward (no broker)."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner

from dutytrail_ops.cli import main
from services.responsibility.application import Responsibilities
from shared import metrics
from shared.actors import Actor
from shared.persistence import store_environment
from shared.relay import Relay


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

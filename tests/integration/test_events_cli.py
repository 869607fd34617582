"""`dutytrail events SERVICE --from N` prints the stored events from N onward (no broker), and
with --rpc reads them through the service's catch-up RPC with the token in DUTYTRAIL_TOKEN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

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

DUTYTRAIL = str(Path(sys.executable).with_name("dutytrail"))


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


def _reply_queues(vhost_uri: str) -> set[str]:
    vhost = vhost_uri.rsplit("/", 1)[1]
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "--no-table-headers"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.split()
    return {name for name in listed if name.startswith("rpc.reply-standalone_rpc_proxy-")}


def _a_district(store, use_store, units: int) -> list[dict[str, Any]]:
    use_store(store)
    app = Responsibilities(store_environment("responsibility", store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee", actor=founder)
    clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
    for i in range(units):
        unit = app.register_unit(code=f"T{i}", name=f"镇{i}", kind="town", parent_unit_id=pc,
                                 actor=clerk)
        app.register_cadre(person_id=uuid.uuid4(), name=f"干部{i}", unit_id=unit,
                           post_title="书记", line_of_work="全面", actor=clerk)
    stored = app.events_after(0)
    app.close()
    return stored


def test_events_filter_by_type_subject_and_until(sqlite_store, use_store):
    stored = _a_district(sqlite_store, use_store, 3)
    runner = CliRunner()
    cadres = [e for e in stored if e["type"].endswith(".cadre_registered.v1")]
    result = runner.invoke(main, ["events", "responsibility", "--type", "*.cadre_registered.v1"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == [
        e["id"] for e in cadres
    ]
    one = stored[2]
    about = runner.invoke(main, ["events", "responsibility", "--subject", one["subject"]])
    assert [json.loads(line)["subject"] for line in about.output.splitlines()] == [
        e["subject"] for e in stored if e["subject"] == one["subject"]
    ]
    until = int(stored[3]["sequence"])
    upto = runner.invoke(main, ["events", "responsibility", "--from", "2", "--until", str(until)])
    assert [json.loads(line)["id"] for line in upto.output.splitlines()] == [
        e["id"] for e in stored[1:4]
    ]
    both = runner.invoke(main, [
        "events", "responsibility", "--type", "dutytrail.responsibility.unit_registered.v1",
        "--until", str(until), "--json", "--progress",
    ])
    printed = [json.loads(line) for line in both.stdout.splitlines()]
    assert [e["id"] for e in printed] == [
        e["id"] for e in stored[:4] if e["type"].endswith("unit_registered.v1")
    ]
    assert "printed, at position" in both.stderr


def test_events_over_rpc_as_a_script_runs_them_exit_0_and_leave_no_reply_queue(
    sqlite_store, use_store, amqp_uri
):
    """The installed `dutytrail` command, in its own process: --rpc, and --rpc --follow up to a
    position, print the events and exit 0; neither leaves its reply queue behind."""
    stored = _a_district(sqlite_store, use_store, 2)
    last = int(stored[-1]["sequence"])
    env = {
        **os.environ, "AMQP_URI": amqp_uri,
        "DUTYTRAIL_TOKEN": issue_token(uuid.uuid4(), uuid.uuid4(), [AUDITOR]),
    }
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    before = _reply_queues(amqp_uri)
    try:
        with running(ResponsibilityService, config):
            for args in (["--rpc"], ["--rpc", "--follow", "--until", str(last)]):
                done = subprocess.run(
                    [DUTYTRAIL, "events", "responsibility", *args], env=env,
                    capture_output=True, text=True, timeout=90, check=False,
                )
                assert done.returncode == 0, done.stderr
                assert "Traceback" not in done.stderr
                printed = [json.loads(line) for line in done.stdout.splitlines()]
                assert [e["id"] for e in printed] == [e["id"] for e in stored]
    finally:
        delete_queues(amqp_uri, "rpc-responsibility")
    assert _reply_queues(amqp_uri) - before == set()

"""``dutytrail audit trail ID`` on SQLite and PostgreSQL (docs/audit.md, "Trail and replay").

A district where two tasks are created, each by its own command, and go overdue in one run of
the clock; supervision learns both through its feed (watches them, and opens follow-ups for the
overdue ones). One task's trail holds its own acts, supervision's reactions (the watch it
created, the follow-up) in business-time order with who did them, and nothing of the other
task. A petition's trail is confidential: refused without a cleared token, shown to an auditor
and recorded as a read, and never with the reporter's identity or its ciphertext.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner

from dutytrail_ops.audit._trail_reads import reads
from dutytrail_ops.cli import main
from services.casework.application import Casework
from shared import tracing
from shared.actors import Actor
from shared.feed import UpstreamFeed
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.roles import AUDITOR, UNIT_CLERK
from shared.tokens import issue_token
from tests.integration.audit_district import at, responsibility_and_supervision, traced, two_tasks


@pytest.fixture
def district(any_store: Any, use_store: Any) -> Any:
    use_store(any_store)
    with responsibility_and_supervision(any_store) as (r, s):
        _, tasks = two_tasks(r)
        feed = UpstreamFeed(s, "responsibility", Reactions(s, "responsibility"))
        feed.pull(r.events_after)
        # One run of the clock marks both overdue: a trace of its own for each record.
        with tracing.tracing(tracing.new_trace(per_record=True)):
            assert sorted(r.check_deadlines(at(4, 2))) == sorted(tasks)
        feed.pull(r.events_after)
        yield tasks


def trail(matter: Any, token: str | None = None) -> Any:
    env = {"DUTYTRAIL_TOKEN": token} if token else {}
    return CliRunner().invoke(main, ["audit", "trail", str(matter), "--json"], env=env)


def test_a_task_trail_follows_it_into_supervision_and_leaves_the_other_task_out(district):
    task, other = district
    done = trail(task)
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    events = shown["events"]
    names = [(e["service"], e["type"].split(".")[2]) for e in events]
    # Step. The task's own acts, with who did them.
    own = [(n, e) for n, e in zip(names, events, strict=True) if e["subject"] == str(task)]
    assert [n for n, _ in own] == [("responsibility", "task_created"),
                                   ("responsibility", "task_overdue")]
    created = own[0][1]
    assert created["link"] == "subject"
    assert created["actor"]["person"] == "王伟" and created["actor"]["unit"] == "区财政局"
    # Step. Supervision's reactions: the watch it created (same trace as the creation) and the
    # follow-up opened on the unit's file when the task went overdue.
    in_supervision = [e for e in events if e["service"] == "supervision"]
    assert in_supervision, names
    watch = [e for e in in_supervision if e["id"].endswith(":1")]
    assert watch and watch[0]["trace_id"] == created["trace_id"]
    overdue = own[1][1]
    assert any(e["trace_id"] == overdue["trace_id"] and e["id"] != overdue["id"]
               for e in in_supervision), "the follow-up to the overdue task is missing"
    # Step. Time order, and nothing of the other task (overdue in the same clock run).
    times = [datetime.fromisoformat(e["time"]) for e in events]
    assert times == sorted(times)
    assert str(other) not in done.output
    assert len({e["trace_id"] for e in events if e["subject"] == str(task)}) == 2


def test_the_text_trail_names_who_did_what_and_when(district):
    task, _ = district
    done = CliRunner().invoke(main, ["audit", "trail", str(task)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith(f"trail of {task}: ")
    [created] = [line for line in lines if "task_created" in line]
    assert created.startswith("2026-01-10 09:00  responsibility")
    assert "王伟 (区财政局)" in created


def test_an_unknown_id_and_a_malformed_one_are_named(district):
    assert trail(uuid.uuid4()).exit_code == 6
    bad = trail("not-an-id")
    assert bad.exit_code == 2 and "is not the id of a record" in bad.output


@pytest.fixture
def petition(any_store: Any, use_store: Any) -> Any:
    use_store(any_store)
    app = Casework(store_environment("casework", any_store))
    try:
        clerk = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        found = traced(lambda: app.receive_petition(
            channel="letter", anonymous=False, summary="反映某局长违规发放补贴",
            reporter_name="张小明", reporter_contact="13800000000", actor=clerk,
            occurred_at=at(2, 3)))
        sealed = [
            json.loads(n.state) for n in app.recorder.select_notifications(start=1, limit=50)
            if n.topic.endswith("Reporter.Sealed")
        ]
        yield found, sealed
    finally:
        app.close()


def test_a_confidential_trail_needs_a_cleared_token_and_its_read_is_recorded(
    petition, any_store
):
    petition_id, sealed = petition
    env = store_environment("casework", any_store)
    # Step. No token, or a token of a role not cleared: refused, nothing recorded.
    assert trail(petition_id).exit_code == 5
    clerk = issue_token(uuid.uuid4(), uuid.uuid4(), [UNIT_CLERK])
    assert trail(petition_id, clerk).exit_code == 5
    assert reads("casework", env) == []
    # Step. An auditor sees it; the read is recorded with who read what.
    auditor = uuid.uuid4()
    done = trail(petition_id, issue_token(auditor, uuid.uuid4(), [AUDITOR]))
    assert done.exit_code == 0, done.output
    events = json.loads(done.output)["events"]
    assert {e["type"].split(".")[2] for e in events} >= {"petition_received"}
    [read] = reads("casework", env)
    assert (read.person_id, read.matter, read.roles) == (str(auditor), str(petition_id), "auditor")
    assert read.events == sum(e["dataclassification"] == "confidential" for e in events)
    # The read is an event of casework's log, signed like the others: the log still verifies
    # with it, every event checked against its signed record.
    verified = CliRunner().invoke(
        main, ["audit", "verify", "--service", "casework", "--every-event", "--json"])
    assert verified.exit_code == 0, verified.output
    # Step. The reporter's identity is nowhere, neither in clear nor as its ciphertext.
    assert "张小明" not in done.output and "13800000000" not in done.output
    ciphertexts = [str(state[k]) for state in sealed for k in state if "sealed" in k]
    assert ciphertexts and not any(c in done.output for c in ciphertexts)

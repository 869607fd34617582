"""The auditors' ledger commands on both stores (docs/audit.md): ``dutytrail audit verify``
names the first position and the event id of each kind of edit made directly in the database
(a changed field, a deleted row, an inserted row, two events swapped), a checkpoint is an
event of the log that the relay publishes, and an export honours classification."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import eventlet
import psycopg
import pytest
from click.testing import CliRunner, Result
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from dutytrail_ops import exits
from dutytrail_ops.cli import main
from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from shared.actors import Actor
from shared.ledger.checkpoint import open_note
from shared.ledger.events import CHECKPOINT_TOPIC
from shared.ledger.keys import published_verifier_key
from shared.ledger.leaves import stored_notifications
from shared.ledger.service_side import sign_checkpoint
from shared.persistence import schema_name, store_environment
from shared.relay import Relay
from shared.roles import AUDITOR, PARTY_COMMITTEE, Role
from shared.settings import StoreSettings
from shared.tokens import issue_token
from tests.integration.probe_consumer import wait_until

SERVICE = "responsibility"


def run(*args: str, token: str | None = None) -> Result:
    env = {"DUTYTRAIL_TOKEN": token} if token else {}
    return CliRunner().invoke(main, list(args), env=env)


def token_of(role: Role) -> tuple[str, uuid.UUID]:
    person = uuid.uuid4()
    return issue_token(person, uuid.uuid4(), [role]), person


class Tamper:
    """Edits made directly in one service's store, bypassing every command."""

    def __init__(self, store: StoreSettings, service: str) -> None:
        self.store = store
        self.service = service

    def sql(self, sqlite: str, postgres: str) -> None:
        if self.store.backend == "sqlite":
            import sqlite3

            with sqlite3.connect(self.store.var_dir / f"{self.service}.sqlite") as db:
                db.executescript(sqlite)
            return
        schema = schema_name(self.service, self.store)
        with psycopg.connect(host=self.store.pg_host, port=self.store.pg_port,
                             user=self.store.pg_user, dbname=self.store.pg_dbname,
                             autocommit=True) as db:
            db.execute(postgres.replace("EVENTS", f'"{schema}".{self.service}_events'))

    def rename(self, old: str, new: str) -> None:
        self.sql(
            f"UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), '{old}', "
            f"'{new}') AS BLOB)",
            f"UPDATE EVENTS SET state = convert_to(replace(convert_from(state, 'UTF8'), "
            f"'{old}', '{new}'), 'UTF8')",
        )

    def delete(self, position: int) -> None:
        self.sql(f"DELETE FROM stored_events WHERE rowid = {position}",
                 f"DELETE FROM EVENTS WHERE notification_id = {position}")

    def insert_copy(self, position: int) -> None:
        """A forged event: the state of ``position`` under a new id, at the end of the log."""
        forged = uuid.uuid4()
        self.sql(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            f"SELECT '{forged.hex}', 1, topic, state FROM stored_events WHERE rowid = {position}",
            "INSERT INTO EVENTS (originator_id, originator_version, topic, state) "
            f"SELECT '{forged}', 1, topic, state FROM EVENTS WHERE notification_id = {position}",
        )

    def swap(self, a: int, b: int) -> None:
        columns = ("originator_id", "originator_version", "topic", "state")
        sqlite = "".join(
            "UPDATE stored_events SET "
            + ", ".join(f"{c} = (SELECT {c} FROM swap WHERE r = {other})" for c in columns)
            + f" WHERE rowid = {row};"
            for row, other in ((a, b), (b, a))
        )
        self.sql(
            "CREATE TEMP TABLE swap AS SELECT rowid AS r, originator_id, originator_version, "
            f"topic, state FROM stored_events WHERE rowid IN ({a}, {b});"
            "UPDATE stored_events SET originator_version = -originator_version "
            f"WHERE rowid IN ({a}, {b});" + sqlite,
            # PostgreSQL checks the key row by row: the versions are made negative first.
            "UPDATE EVENTS SET originator_version = -originator_version "
            f"WHERE notification_id IN ({a}, {b}); "
            f"WITH s AS (SELECT notification_id AS r, {', '.join(columns)} FROM EVENTS "
            f"WHERE notification_id IN ({a}, {b})) UPDATE EVENTS e SET "
            + ", ".join(f"{c} = {'-' if c == 'originator_version' else ''}s.{c}"
                        for c in columns)
            + f" FROM s WHERE s.r = CASE e.notification_id WHEN {a} THEN {b} ELSE {a} END "
            f"AND e.notification_id IN ({a}, {b})",
        )


@pytest.fixture
def history(any_store: StoreSettings, use_store: Any) -> Iterator[tuple[Responsibilities,
                                                                        dict[int, str]]]:
    """Seven units, a checkpoint signed by the service, then two more units: the ids stored
    at each position."""
    use_store(any_store)
    app = Responsibilities(store_environment(SERVICE, any_store))
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())

    def unit(n: int) -> None:
        app.register_unit(code=f"U{n}", name=f"单位{n}", kind="district_department",
                          actor=founder, occurred_at=datetime(2025, 1, 2 + n, tzinfo=UTC))

    for n in range(7):
        unit(n)
    assert sign_checkpoint(app) is not None
    unit(7)
    unit(8)
    ids = {n.id: f"{n.originator_id}:{n.originator_version}"
           for n in stored_notifications(app.recorder)}
    try:
        yield app, ids
    finally:
        app.close()


def damaged(result: Result, position: int, kind: str, event_id: str) -> None:
    assert result.exit_code == exits.LEDGER_DAMAGED, result.output
    assert f"{SERVICE}: position {position}, event {event_id}: {kind}" in result.output


def test_an_intact_log_verifies(history: Any) -> None:
    result = run("audit", "verify", "--service", SERVICE, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["services"][0]
    assert report["ok"] and report["events"] == 10
    assert [c["matches"] for c in report["checkpoints"]] == [True]
    # Only what no checkpoint covers is checked one by one: the checkpoint and two units.
    assert report["checked_one_by_one"] == 3


def test_a_changed_field_is_named(history: Any, any_store: StoreSettings) -> None:
    _, ids = history
    Tamper(any_store, SERVICE).rename("单位3", "单位X")
    damaged(run("audit", "verify", "--service", SERVICE), 4, "altered", ids[4])


def test_a_deleted_row_is_named(history: Any, any_store: StoreSettings) -> None:
    _, ids = history
    Tamper(any_store, SERVICE).delete(5)
    damaged(run("audit", "verify", "--service", SERVICE), 5, "removed", ids[5])


def test_two_swapped_events_are_named(history: Any, any_store: StoreSettings) -> None:
    _, ids = history
    Tamper(any_store, SERVICE).swap(3, 6)
    result = run("audit", "verify", "--service", SERVICE)
    damaged(result, 3, "reordered", ids[6])
    assert "signed at position 6" in result.output


def test_an_inserted_row_is_named(history: Any, any_store: StoreSettings) -> None:
    app, _ = history
    Tamper(any_store, SERVICE).insert_copy(2)
    forged = list(stored_notifications(app.recorder))[-1]
    forged_id = f"{forged.originator_id}:{forged.originator_version}"
    damaged(run("audit", "verify", "--service", SERVICE), forged.id, "inserted", forged_id)
    # Still named after the service stored more events after it.
    app.register_unit(code="U9", name="单位9", kind="district_department",
                      actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()))
    damaged(run("audit", "verify", "--service", SERVICE), forged.id, "inserted", forged_id)


def test_a_checkpoint_on_demand_is_stored_and_covers_the_log_before_it(history: Any) -> None:
    app, ids = history
    result = run("audit", "checkpoint", SERVICE, "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["position"] == max(ids) + 1 and made["size"] == len(ids)
    checkpoint = open_note(made["note"], published_verifier_key(SERVICE))
    assert checkpoint.size == len(ids)
    stored = list(stored_notifications(app.recorder))
    assert stored[-1].topic == CHECKPOINT_TOPIC
    assert run("audit", "verify", "--service", SERVICE).exit_code == 0


def test_a_checkpoint_is_published_by_the_relay(sqlite_store: StoreSettings, use_store: Any,
                                                amqp_uri: str) -> None:
    use_store(sqlite_store)
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    queue = Queue(f"t{uuid.uuid4().hex[:8]}.ledger",
                  Exchange(f"{SERVICE}.events", "topic", durable=True), routing_key="#",
                  durable=False, auto_delete=True)
    relay = Relay(SERVICE, sqlite_store, amqp_uri)
    relay.poll_interval = 0.02
    try:
        app.register_unit(code="U1", name="单位1", kind="district_department",
                          actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()))
        event = sign_checkpoint(app)
        assert event is not None
        with Connection(amqp_uri) as conn:
            queue(conn.default_channel).declare()
            thread = eventlet.spawn(relay.run)
            try:
                wait_until(lambda: relay.position() >= 2, message="the relay to publish")
            finally:
                relay.stop()
                thread.wait()
            channel = conn.channel()
            got = []
            while (message := queue(channel).get(no_ack=True)) is not None:
                got.append(message.decode())
    finally:
        app.close()
    published = [e for e in got if e["type"] == f"dutytrail.{SERVICE}.checkpoint_signed.v1"]
    assert len(published) == 1
    note = published[0]["data"]["note"]
    assert open_note(note, published_verifier_key(SERVICE)).size == 1


def _supervision_with_a_confidential_visit(store: StoreSettings) -> Callable[[], None]:
    app = Supervision(store_environment("supervision", store))
    commission = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    app.schedule_unannounced_visit(actor=commission)
    assert sign_checkpoint(app, force=True) is not None
    return app.close


def test_an_export_honours_classification_and_is_recorded(
    sqlite_store: StoreSettings, use_store: Any, tmp_path: Path
) -> None:
    use_store(sqlite_store)
    _supervision_with_a_confidential_visit(sqlite_store)()
    uncleared, person = token_of(PARTY_COMMITTEE)
    out = tmp_path / "uncleared"
    result = run("audit", "export", "--out", str(out), "--service", "supervision",
                 token=uncleared)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (out / "supervision.events.jsonl").open()]
    visit, checkpoint = lines
    assert visit["type"] == "dutytrail.ledger.withheld" and "data" not in visit
    assert "ledgerleaf" not in visit and visit["ledgerleafhash"]
    assert checkpoint["type"] == "dutytrail.supervision.checkpoint_signed.v1"
    assert json.loads((out / "manifest.json").read_text())["services"]["supervision"][
        "withheld"] == 1
    assert run("audit", "verify", "--from-export", str(out)).exit_code == 0

    cleared, _ = token_of(AUDITOR)
    full = tmp_path / "cleared"
    assert run("audit", "export", "--out", str(full), "--service", "supervision",
               token=cleared).exit_code == 0
    first = json.loads((full / "supervision.events.jsonl").open().readline())
    assert first["type"] == "dutytrail.supervision.unannounced_visit_scheduled.v1"
    assert first["ledgerleaf"]
    # Each export is itself recorded in the service's log: who, and what was withheld.
    app = Supervision(store_environment("supervision", sqlite_store))
    try:
        exported = [e for e in app.events_after(0, cleared=True)
                    if e["type"] == "dutytrail.supervision.history_exported.v1"]
    finally:
        app.close()
    by_whom = [(e["data"]["actor"]["person_id"], e["data"]["withheld"]) for e in exported]
    assert by_whom[0] == (str(person), 1)
    assert [e["data"]["cleared"] for e in exported] == [False, True]
    # Without a token, nothing is exported.
    assert run("audit", "export", "--out", str(tmp_path / "none")).exit_code == exits.REFUSED


def test_an_export_edited_afterwards_is_named(history: Any, tmp_path: Path) -> None:
    _, ids = history
    token, _ = token_of(AUDITOR)
    out = tmp_path / "export"
    assert run("audit", "export", "--out", str(out), "--service", SERVICE,
               token=token).exit_code == 0
    assert run("audit", "verify", "--from-export", str(out)).exit_code == 0
    path = out / f"{SERVICE}.events.jsonl"
    path.write_text(path.read_text().replace("单位2", "单位Z", 1))
    result = run("audit", "verify", "--from-export", str(out))
    damaged(result, 3, "altered", ids[3])


def test_a_proof_of_a_stored_event_is_checked_offline(history: Any, tmp_path: Path) -> None:
    _, ids = history
    assert run("audit", "checkpoint", SERVICE).exit_code == 0  # covers all ten
    path = tmp_path / "proof.json"
    result = run("audit", "prove", ids[4], "--since", "7", "--out", str(path))
    assert result.exit_code == 0, result.output
    proof = json.loads(path.read_text())
    assert (proof["position"], proof["checkpoint_size"]) == (4, 10)
    checked = run("audit", "check-proof", str(path), "--key",
                  published_verifier_key(SERVICE), "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["consistent_since"] == 7
    # The proof of another event's leaf is refused.
    other = json.loads(path.read_text())
    other["event_id"] = ids[5]
    path.write_text(json.dumps(other))
    assert run("audit", "check-proof", str(path)).exit_code == exits.PROOF_REFUSED
    # An event no checkpoint covers yet cannot be proven.
    assert run("audit", "prove", "00000000-0000-0000-0000-000000000000:1", "--service",
               SERVICE, "--out", str(path)).exit_code == exits.NOT_FOUND


def test_the_sm3_sm2_suite_signs_and_verifies_a_live_log(
    sqlite_store: StoreSettings, use_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_store(sqlite_store)
    monkeypatch.setenv("DUTYTRAIL_LEDGER_SUITE", "sm3-sm2")
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    try:
        for n in range(3):
            app.register_unit(code=f"U{n}", name=f"单位{n}", kind="district_department",
                              actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()))
        event = sign_checkpoint(app)
        assert event is not None and event.suite == "sm3-sm2"
        key = published_verifier_key(SERVICE)
        assert open_note(event.note, key).size == 3
        result = run("audit", "verify", "--service", SERVICE, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)["services"][0]
        assert report["suite"] == "sm3-sm2" and report["checkpoints"][0]["matches"]
        ids = {n.id: f"{n.originator_id}:{n.originator_version}"
               for n in stored_notifications(app.recorder)}
        Tamper(sqlite_store, SERVICE).rename("单位1", "单位Y")
        damaged(run("audit", "verify", "--service", SERVICE), 2, "altered", ids[2])
    finally:
        app.close()


def test_checkpoints_the_auditor_kept_reveal_a_truncated_log(
    history: Any, any_store: StoreSettings, tmp_path: Path
) -> None:
    _, ids = history
    made = run("audit", "checkpoint", SERVICE, "--json")
    assert made.exit_code == 0, made.output
    kept = tmp_path / "kept.jsonl"
    kept.write_text(json.dumps({"note": json.loads(made.output)["note"]}) + "\n")
    result = run("audit", "verify", "--service", SERVICE, "--checkpoints", str(kept), "--json")
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)["services"][0]["checkpoints"]
    assert [(c["size"], c["held"], c["matches"]) for c in checks] == [
        (7, False, True), (10, True, True), (10, False, True)]
    # The last three events (two units and the checkpoint) deleted, their records too: the
    # log alone cannot tell, the checkpoint the auditor kept can.
    last = max(ids)
    tamper = Tamper(any_store, SERVICE)
    for position in (last - 1, last, last + 1):
        tamper.delete(position)
        tamper.sql(
            f'DELETE FROM "{SERVICE}_cloudevents" WHERE position = {position}',
            f'DELETE FROM "{schema_name(SERVICE, any_store)}".{SERVICE}_cloudevents '
            f"WHERE position = {position}",
        )
    assert run("audit", "verify", "--service", SERVICE).exit_code == 0
    result = run("audit", "verify", "--service", SERVICE, "--checkpoints", str(kept))
    assert result.exit_code == exits.LEDGER_DAMAGED
    assert f"{SERVICE}: position {last - 1}: removed" in result.output


def test_an_auditors_host_without_private_keys_exports_and_verifies(
    history: Any, any_store: StoreSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = token_of(AUDITOR)  # issued where the token authority's key is
    # Two events whose signed records were never kept (a checkpoint covers them).
    Tamper(any_store, SERVICE).sql(
        f'DELETE FROM "{SERVICE}_cloudevents" WHERE position IN (2, 3)',
        f'DELETE FROM "{schema_name(SERVICE, any_store)}".{SERVICE}_cloudevents '
        "WHERE position IN (2, 3)",
    )
    public_only = tmp_path / "public-keys"
    public_only.mkdir()
    dev = Path(os.environ["DUTYTRAIL_KEY_DIR"]) / "dev"
    for name in (SERVICE, "tokens"):
        (public_only / f"{name}.pub").write_bytes((dev / f"{name}.pub").read_bytes())
    monkeypatch.setenv("DUTYTRAIL_DEV_KEYS", "0")
    monkeypatch.setenv("DUTYTRAIL_KEY_DIR", str(public_only))
    out = tmp_path / "export"
    exported = run("audit", "export", "--out", str(out), "--service", SERVICE, token=token)
    assert exported.exit_code == 0, exported.output
    unsigned = [json.loads(line) for line in (out / f"{SERVICE}.events.jsonl").open()][1:3]
    assert [("dssematerial" in e, e["sequence"][-1]) for e in unsigned] == [
        (False, "2"), (False, "3")]
    assert run("audit", "verify", "--from-export", str(out)).exit_code == 0
    live = run("audit", "verify", "--service", SERVICE)
    assert live.exit_code == 0, live.output
    assert f"position {max(history[1]) + 1}: an export's record, not signed yet" in live.output


def test_an_edited_checkpoint_event_is_named(history: Any, any_store: StoreSettings) -> None:
    app, ids = history
    position = next(n.id for n in stored_notifications(app.recorder)
                    if n.topic == CHECKPOINT_TOPIC)
    year = datetime.now(UTC).year
    Tamper(any_store, SERVICE).rename(f"time {year}", f"time {year - 1}")
    damaged(run("audit", "verify", "--service", SERVICE), position, "altered", ids[position])

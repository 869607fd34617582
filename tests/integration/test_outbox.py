"""The outbox of signed CloudEvents (shared/outbox.py; docs/reliability.md, "Signed once, in
the service"): each new event is built and signed once by the service, and stored in the same
transaction as the event; the relay and the catch-up pages use the stored body, byte for byte what the builder
produces, and build and sign themselves any position that has none."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import eventlet
import pika
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.responsibility.application import Responsibilities
from services.responsibility.domain import Unit
from shared.actors import Actor
from shared.clock import utcnow
from shared.envelope import EnvelopeBuilder, encode, format_position
from shared.outbox import Outbox, open_outbox, table_name
from shared.persistence import schema_name, store_environment
from shared.relay import Relay
from shared.settings import StoreSettings
from shared.signing import EventSigner, EventVerifier

SERVICE = "responsibility"
CLERK = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())


class CountingSigner:
    """The service's signer, counting what it signs."""

    def __init__(self) -> None:
        self.signer = EventSigner.for_service(SERVICE)
        self.key_id = self.signer.key_id
        self.signed: list[str] = []

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        self.signed.append(event["sequence"])
        return self.signer.sign(event)


@pytest.fixture
def app(any_store: StoreSettings) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment(SERVICE, any_store))
    yield application
    application.close()


def outbox_of(settings: StoreSettings) -> Outbox:
    outbox = open_outbox(SERVICE, store_environment(SERVICE, settings))
    assert outbox is not None
    return outbox


def register(app: Responsibilities, count: int) -> None:
    for _ in range(count):
        code = uuid.uuid4().hex[:6]
        app.register_unit(code=code, name=f"单位 {code}", kind="town", actor=CLERK)


def built_by_builder(app: Responsibilities) -> dict[int, str]:
    """Every stored event as the builder builds it from the store (the relay's chain)."""
    builder = EnvelopeBuilder(SERVICE)
    built: dict[int, str] = {}
    previous: int | None = None
    for notification in app.recorder.select_notifications(start=1, limit=1000):
        built[notification.id] = encode(builder.build(notification, previous))
        previous = notification.id
    return built


def test_the_stored_body_is_byte_for_byte_what_the_builder_produces(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    register(app, 3)
    # Two events in one transaction: the second's prevsequence is the first's position.
    app.save(*[
        Unit.register(code=f"B{i}", name=f"批量 {i}", kind="town", parent_unit_id=None,
                      actor=CLERK, occurred_at=utcnow())
        for i in range(2)
    ])
    outbox = outbox_of(any_store)
    try:
        expected = built_by_builder(app)
        stored = outbox.bodies(1, max(expected))
    finally:
        outbox.close()
    assert len(expected) == 5
    assert stored == expected
    verifier = EventVerifier.for_service(SERVICE)
    for body in stored.values():
        verifier.verify(json.loads(body))
    # The catch-up pages hand out the same events, from any position.
    assert [encode(e) for e in app.events_after(0)] == list(expected.values())
    assert [encode(e) for e in app.events_after(2)] == list(expected.values())[2:]


def test_the_catch_up_page_signs_a_position_that_has_no_row(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    register(app, 4)
    expected = built_by_builder(app)
    outbox = outbox_of(any_store)
    try:
        outbox.delete([2, 3])
        assert sorted(outbox.bodies(1, 4)) == [1, 4]
    finally:
        outbox.close()
    signer = CountingSigner()
    app._envelopes = EnvelopeBuilder(SERVICE, signer=signer)
    assert [encode(e) for e in app.events_after(1)] == [expected[2], expected[3], expected[4]]
    assert signer.signed == [format_position(2), format_position(3)]


def test_an_event_that_cannot_be_signed_now_is_stored_and_left_to_the_relay(
    app: Responsibilities, any_store: StoreSettings, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing = getattr(app.recorder, "signing", None)
    assert signing is not None  # the service signs inside its transactions

    def broken(notification: Any, previous: Any) -> dict[str, Any]:
        raise OSError("the key file went away")

    monkeypatch.setattr(signing.builder, "build", broken)
    with caplog.at_level(logging.WARNING, logger="shared.outbox"):
        register(app, 2)
    assert "could not sign" in caplog.text
    assert app.last_position() == 2
    outbox = outbox_of(any_store)
    try:
        assert outbox.bodies(1, 2) == {}
    finally:
        outbox.close()
    monkeypatch.undo()
    page = app.events_after(0)
    assert [encode(e) for e in page] == list(built_by_builder(app).values())


def _refuse_outbox_inserts(store: StoreSettings, refuse: bool) -> None:
    """Make every insert into the outbox fail, as a broken disk or table would (or undo it):
    on SQLite the table becomes a read-only view of itself, on PostgreSQL a trigger raises."""
    table = table_name(SERVICE)
    if store.backend == "sqlite":
        import sqlite3

        # Not a trigger: SQLite's RAISE is a constraint failure, which a creating command
        # rightly reads as "this id exists already".
        with sqlite3.connect(store.var_dir / f"{SERVICE}.sqlite") as db:
            if refuse:
                db.execute(f'ALTER TABLE "{table}" RENAME TO refused_outbox')
                db.execute(f'CREATE VIEW "{table}" AS SELECT * FROM refused_outbox')
            else:
                db.execute(f'DROP VIEW "{table}"')
                db.execute(f'ALTER TABLE refused_outbox RENAME TO "{table}"')
        return
    schema = schema_name(SERVICE, store)
    with psycopg.connect(host=store.pg_host, port=store.pg_port, user=store.pg_user,
                         dbname=store.pg_dbname, autocommit=True) as db:
        db.execute(f'DROP TRIGGER IF EXISTS refuse_outbox ON "{schema}".{table}')
        if refuse:
            db.execute(
                f'CREATE OR REPLACE FUNCTION "{schema}".refuse_outbox() RETURNS trigger '
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$"
            )
            db.execute(
                f'CREATE TRIGGER refuse_outbox BEFORE INSERT ON "{schema}".{table} '
                f'FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse_outbox()'
            )


def test_the_signed_bodies_commit_with_the_events_or_not_at_all(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    """Item 7 of issue 8: the CloudEvent is stored in the same transaction as its event. An
    outbox that refuses the row refuses the event with it; nothing half-stored is left."""
    register(app, 1)
    _refuse_outbox_inserts(any_store, refuse=True)
    with pytest.raises(Exception, match=r"outbox refused|cannot modify"):
        register(app, 1)
    assert app.last_position() == 1  # the event went with its refused body
    _refuse_outbox_inserts(any_store, refuse=False)
    register(app, 1)
    position = app.last_position()
    outbox = outbox_of(any_store)
    try:
        stored = outbox.bodies(1, position)
    finally:
        outbox.close()
    # Every stored event has its body, chained to the real previous position (the refused
    # transaction may have used up a position on PostgreSQL: a hole the chain steps over).
    expected = built_by_builder(app)
    assert stored == expected
    assert json.loads(stored[position])["prevsequence"] == format_position(1)


def test_a_row_that_is_not_what_the_builder_would_sign_is_not_used(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    register(app, 2)
    expected = built_by_builder(app)
    forged = json.loads(expected[2])
    forged["prevsequence"] = ""  # a row whose position chain is wrong
    other_key = EventSigner(SERVICE, Ed25519PrivateKey.generate())
    resigned = json.loads(expected[1])
    del resigned["dssematerial"]
    outbox = outbox_of(any_store)
    try:
        outbox.delete([1, 2])
        outbox.insert([(1, encode(other_key.sign(resigned))), (2, encode(forged))])
    finally:
        outbox.close()
    assert [encode(e) for e in app.events_after(0)] == [expected[1], expected[2]]
    outbox = outbox_of(any_store)
    try:
        outbox.delete([1, 2])
        outbox.insert([(1, '{"damaged'), (2, "[]")])  # not JSON; not an event
    finally:
        outbox.close()
    assert [encode(e) for e in app.events_after(0)] == [expected[1], expected[2]]


@pytest.fixture
def subscriber(amqp_uri: str) -> Iterator[tuple[Any, str]]:
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    queue = f"outbox.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare(f"{SERVICE}.events", "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, f"{SERVICE}.events", routing_key="#")
    yield channel, queue
    channel.queue_delete(queue)
    conn.close()


def receive(channel: Any, queue: str, expected: int, timeout: float = 20.0) -> list[bytes]:
    received: list[bytes] = []
    for method, _properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        received.append(body)
        channel.basic_ack(method.delivery_tag)
        if len(received) >= expected:
            break
    channel.cancel()
    return received


def test_the_relay_publishes_stored_bodies_and_signs_a_missing_row(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str,
    subscriber: tuple[Any, str],
) -> None:
    channel, queue = subscriber
    register(app, 5)
    expected = built_by_builder(app)
    outbox = outbox_of(any_store)
    try:
        assert outbox.bodies(1, 5) == expected
        outbox.delete([3])  # as if the service crashed between the commit and the outbox
    finally:
        outbox.close()
    relay = Relay(SERVICE, any_store, amqp_uri, batch_size=2)
    signer = CountingSigner()
    relay.builder = EnvelopeBuilder(SERVICE, signer=signer)
    try:
        assert relay.drain() == 5
    finally:
        relay.close()
    assert signer.signed == [format_position(3)]  # only the position without a row
    bodies = receive(channel, queue, 5)
    assert [b.decode("utf-8") for b in bodies] == list(expected.values())
    verifier = EventVerifier.for_service(SERVICE)
    events = [verifier.verify(json.loads(b)) for b in bodies]
    assert [e["sequence"] for e in events] == [format_position(p) for p in range(1, 6)]
    assert [e["prevsequence"] for e in events] == [""] + [format_position(p) for p in range(1, 5)]


def test_one_joined_read_gives_what_the_log_and_the_outbox_give_apart(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    register(app, 6)
    outbox = outbox_of(any_store)
    try:
        outbox.delete([4])  # a position without a body reads as None
        table = app.recorder.events_table_name  # type: ignore[attr-defined]
        joined = outbox.read_after(table, 2, 3)
        assert joined is not None
        apart = app.recorder.select_notifications(start=2, limit=3, inclusive_of_start=False)
        assert [n for n, _ in joined] == list(apart)
        bodies = outbox.bodies_for(apart)
        assert [b for _, b in joined] == [bodies.get(n.id) for n in apart]
        assert [n.id for n, _ in joined] == [3, 4, 5] and joined[1][1] is None
        assert outbox.read_after(table, 6, 10) == []
    finally:
        outbox.close()


def test_a_relay_whose_joined_read_fails_reads_the_log_and_the_outbox_apart(
    app: Responsibilities, any_store: StoreSettings, amqp_uri: str,
    subscriber: tuple[Any, str], caplog: pytest.LogCaptureFixture,
) -> None:
    channel, queue = subscriber
    register(app, 4)
    expected = built_by_builder(app)
    relay = Relay(SERVICE, any_store, amqp_uri, batch_size=3)
    signer = CountingSigner()
    relay.builder = EnvelopeBuilder(SERVICE, signer=signer)

    def broken(*_args: Any) -> None:
        raise psycopg.OperationalError("the joined read failed")

    assert relay.outbox is not None
    relay.outbox.read_after = broken  # type: ignore[assignment, method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="shared.relay"):
            assert relay.drain() == 4
    finally:
        relay.close()
    assert "reading them apart" in caplog.text
    assert signer.signed == []  # the bodies were still found, apart
    assert [b.decode("utf-8") for b in receive(channel, queue, 4)] == list(expected.values())


def test_the_outbox_is_a_table_beside_the_store(any_store: StoreSettings) -> None:
    outbox = outbox_of(any_store)
    try:
        assert outbox.table == table_name(SERVICE) == "responsibility_cloudevents"
        outbox.insert([(7, "{}")])
        outbox.insert([(7, '{"other":1}')])  # a position's row is written once
        assert outbox.bodies(1, 10) == {7: "{}"}
    finally:
        outbox.close()


def test_two_writers_and_concurrent_commits_chain_the_real_previous_position(
    app: Responsibilities, any_store: StoreSettings
) -> None:
    # Another process (here: another application on the same store) writes in between.
    other = Responsibilities(store_environment(SERVICE, any_store))
    try:
        for writer in (app, other, app, app, other, app):
            register(writer, 1)
        # Commands running at the same moment in one process (green threads).
        threads = [eventlet.spawn(register, app, 5) for _ in range(4)]
        for thread in threads:
            thread.wait()
    finally:
        other.close()
    expected = built_by_builder(app)
    assert len(expected) == 26
    outbox = outbox_of(any_store)
    try:
        assert outbox.bodies(1, max(expected)) == expected
    finally:
        outbox.close()

"""Group commit, on both stores (shared/recorders.py, ``GroupCommit``; docs/reliability.md):
inserts that arrive together are stored together, in one transaction, by one writer; a group
that fails is rolled back whole and written one insert at a time, each failing or not on its
own, as without grouping.

Green threads save concurrently. On PostgreSQL the first writes alone and the others queue
behind the writer's lock; on SQLite, where nothing yields while a command runs, the first
writer lets the hub go round until no more inserts join. Which rows share a transaction is
read from the store itself: PostgreSQL's ``xmin`` (the id of the transaction that inserted a
row), the statements SQLite ran on each connection (its trace callback)."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
from eventsourcing.sqlite import SQLiteConnectionPool
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from services.responsibility.domain import Unit
from services.responsibility.service import ResponsibilityService
from shared import recorders
from shared.actors import Actor
from shared.envelope import format_position
from shared.nameko_kit import service_config
from shared.nameko_kit.providers import _application_of
from shared.outbox import nudge_address, open_outbox
from shared.persistence import store_environment
from shared.recorders import (
    CommandAlreadyRecordedError,
    CommandRecord,
    PostgresCommandRecorder,
    SQLiteCommandRecorder,
)
from shared.roles import PARTY_COMMITTEE
from shared.settings import StoreSettings
from shared.signing import EventVerifier

SERVICE = "responsibility"
CLERK = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class SQLiteTransactions:
    """What each committed transaction of the SQLite store inserted into a table, from the
    statements each connection ran (in order; one OS thread, so no two run at once)."""

    def __init__(self) -> None:
        self.open: dict[int, list[str]] = {}
        self.committed: list[list[str]] = []

    def statement(self, connection: int, sql: str) -> None:
        word = sql.split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            self.open[connection] = []
        elif word == "COMMIT":
            self.committed.append(self.open.pop(connection, []))
        elif word == "ROLLBACK":
            self.open.pop(connection, None)
        elif connection in self.open:
            self.open[connection].append(sql)

    def inserts_into(self, table: str) -> list[int]:
        """Rows inserted into ``table`` by each committed transaction that inserted any."""
        head = f"INSERT INTO {table} "
        counts = [sum(s.startswith(head) for s in tx) for tx in self.committed]
        return [count for count in counts if count]


@pytest.fixture
def sqlite_transactions(monkeypatch: pytest.MonkeyPatch) -> SQLiteTransactions:
    watch = SQLiteTransactions()
    create = SQLiteConnectionPool._create_connection

    def traced(pool: SQLiteConnectionPool) -> Any:
        connection = create(pool)
        key = id(connection)
        connection._sqlite_conn.set_trace_callback(lambda sql: watch.statement(key, sql))
        return connection

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", traced)
    return watch


@pytest.fixture
def app(
    any_store: StoreSettings, sqlite_transactions: SQLiteTransactions
) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment(SERVICE, any_store))
    yield application
    application.close()


def new_unit(code: str | None = None) -> Unit:
    code = code or uuid.uuid4().hex[:8]
    return Unit.register(code=code, name=f"单位 {code}", kind="town", parent_unit_id=None,
                         actor=CLERK, occurred_at=AT)


def group_sizes(
    app: Responsibilities, after: int, sqlite_transactions: SQLiteTransactions
) -> list[int]:
    """How many events each committed transaction stored, for events after ``after`` (on
    SQLite: every transaction since the test began)."""
    recorder = app.recorder
    if isinstance(recorder, SQLiteCommandRecorder):
        return sqlite_transactions.inserts_into(recorder.events_table_name)
    assert isinstance(recorder, PostgresCommandRecorder)
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            f'SELECT xmin::text AS tx FROM "{recorder.datastore.schema}".'
            f'"{recorder.events_table_name}" WHERE notification_id > %s', (after,)
        )
        return list(Counter(row["tx"] for row in curs.fetchall()).values())


def positions_after(app: Responsibilities, after: int) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(after + 1, 100)]


def start(app: Responsibilities, sqlite_transactions: SQLiteTransactions) -> int:
    """The log's last position, from which the test counts (and SQLite's transactions)."""
    sqlite_transactions.committed.clear()
    return app.recorder.max_notification_id() or 0


def save_together(app: Responsibilities, *saves: tuple[Unit, CommandRecord | None]) -> list[Any]:
    """Each save in its own green thread, started together; each one's result or error."""

    def attempt(unit: Unit, record: CommandRecord | None) -> Any:
        try:
            return app.save(unit) if record is None else app.save(unit, command=record)
        except Exception as error:  # noqa: BLE001 - the test looks at each outcome
            return error

    threads = [eventlet.spawn(attempt, unit, record) for unit, record in saves]
    return [thread.wait() for thread in threads]


def test_concurrent_saves_share_a_transaction_and_chain_their_signatures(
    app: Responsibilities, any_store: StoreSettings, sqlite_transactions: SQLiteTransactions
) -> None:
    before = start(app, sqlite_transactions)
    units = [new_unit() for _ in range(8)]
    outcomes = save_together(app, *((unit, None) for unit in units))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    positions = positions_after(app, before)
    assert positions == list(range(before + 1, before + 9))  # no hole, none twice
    sizes = group_sizes(app, before, sqlite_transactions)
    assert sum(sizes) == 8
    assert max(sizes) > 1  # some were written together
    stored = {n.originator_id for n in app.recorder.select_notifications(before + 1, 100)}
    assert stored == {unit.id for unit in units}
    # Each body was signed in its transaction over its real previous position.
    outbox = open_outbox(SERVICE, store_environment(SERVICE, any_store))
    assert outbox is not None
    try:
        bodies = outbox.bodies(before + 1, before + 8)
    finally:
        outbox.close()
    verifier = EventVerifier.for_service(SERVICE)
    events = [verifier.verify(json.loads(bodies[p])) for p in positions]
    assert [e["sequence"] for e in events] == [format_position(p) for p in positions]
    assert [e["prevsequence"] for e in events] == [
        format_position(p) for p in range(before, before + 8)
    ]


def test_a_conflict_in_a_group_fails_only_its_own_save(
    app: Responsibilities, sqlite_transactions: SQLiteTransactions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    taken = new_unit()
    app.save(taken)
    before = start(app, sqlite_transactions)
    units = [new_unit() for _ in range(5)]
    again = new_unit(taken.code)  # the same id as a stored unit: its insert conflicts
    caplog.set_level(logging.DEBUG, logger="shared.recorders")
    outcomes = save_together(app, (units[0], None), (units[1], None), (again, None),
                             *((unit, None) for unit in units[2:]))
    assert "writing them one by one" in caplog.text  # the conflict was inside a group
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failed) == 1 and outcomes[2] is failed[0]
    stored = {n.originator_id for n in app.recorder.select_notifications(before + 1, 100)}
    assert stored == {unit.id for unit in units}
    # Five rows, each once (on PostgreSQL the rolled-back group used up positions: a log
    # has holes, never doubles).
    assert len(positions_after(app, before)) == 5
    assert sum(group_sizes(app, before, sqlite_transactions)) == 5


def test_one_command_twice_in_a_group_is_stored_once(
    app: Responsibilities, sqlite_transactions: SQLiteTransactions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = start(app, sqlite_transactions)
    record = CommandRecord(uuid.uuid4(), "register_unit", "d", '"answer"')
    first, second = new_unit(), new_unit()
    others = [new_unit() for _ in range(3)]
    caplog.set_level(logging.DEBUG, logger="shared.recorders")
    outcomes = save_together(app, (others[0], None), (first, record), (others[1], None),
                             (second, record), (others[2], None))
    assert "writing them one by one" in caplog.text
    assert isinstance(outcomes[3], CommandAlreadyRecordedError)
    assert not [o for i, o in enumerate(outcomes) if i != 3 and isinstance(o, Exception)]
    stored = {n.originator_id for n in app.recorder.select_notifications(before + 1, 100)}
    assert stored == {first.id, *(unit.id for unit in others)}
    assert app.command_log.select_command(record.command_id) == record


def test_a_lone_save_is_written_as_before(
    app: Responsibilities, sqlite_transactions: SQLiteTransactions
) -> None:
    before = start(app, sqlite_transactions)
    record = CommandRecord(uuid.uuid4(), "register_unit", "d", '"answer"')
    unit = new_unit()
    app.save(unit, command=record)
    with pytest.raises(CommandAlreadyRecordedError):
        app.save(new_unit(), command=record)
    assert positions_after(app, before) == [before + 1]
    assert group_sizes(app, before, sqlite_transactions) == [1]


def test_a_group_holds_at_most_the_limit_and_the_rest_wait_for_the_next(
    app: Responsibilities, sqlite_transactions: SQLiteTransactions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recorders, "GROUP_LIMIT", 3)
    before = start(app, sqlite_transactions)
    units = [new_unit() for _ in range(10)]
    outcomes = save_together(app, *((unit, None) for unit in units))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    sizes = group_sizes(app, before, sqlite_transactions)
    assert sum(sizes) == 10
    assert max(sizes) == 3  # groups formed, none larger than the limit


def test_a_sqlite_group_wakes_the_relay_once_up_to_its_last_position(
    sqlite_store: StoreSettings, sqlite_transactions: SQLiteTransactions,
) -> None:
    """Every insert of a group wakes the relay up to the group's end, so only the first
    datagram goes: a relay is woken once a group, with the position where the group ends.
    (PostgreSQL's transaction sends its own NOTIFY: one a group.)"""
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    address = nudge_address(str(sqlite_store.var_dir / f"{SERVICE}.sqlite"))
    assert address is not None
    relay_side = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    relay_side.bind(address)
    relay_side.setblocking(False)
    try:
        before = start(app, sqlite_transactions)
        units = [new_unit() for _ in range(8)]
        outcomes = save_together(app, *((unit, None) for unit in units))
        assert not [o for o in outcomes if isinstance(o, Exception)]
        sizes = group_sizes(app, before, sqlite_transactions)
        nudges = []
        while True:
            try:
                nudges.append(int(relay_side.recv(64)))
            except BlockingIOError:
                break
    finally:
        relay_side.close()
        app.close()
    ends = []
    end = before
    for size in sizes:
        end += size
        ends.append(end)
    assert max(sizes) > 1
    assert nudges == ends  # one a group, each with the group's last position


def test_a_lone_writer_with_no_other_work_in_hand_waits_for_no_one(
    sqlite_store: StoreSettings, sqlite_transactions: SQLiteTransactions,
) -> None:
    """A writer that the process says is its only work writes at once: green threads that are
    not work (here: the other saves, which the counter leaves out) find it written already."""
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    try:
        recorder = app.recorder
        assert isinstance(recorder, SQLiteCommandRecorder)
        before = start(app, sqlite_transactions)
        app.count_work_with(lambda: len(recorder._waiting))
        outcomes = save_together(app, *((new_unit(), None) for _ in range(6)))
        assert not [o for o in outcomes if isinstance(o, Exception)]
        assert group_sizes(app, before, sqlite_transactions) == [1] * 6
        # Counting them as work, the same saves are written together.
        app.count_work_with(lambda: 6)
        start(app, sqlite_transactions)
        outcomes = save_together(app, *((new_unit(), None) for _ in range(6)))
        assert not [o for o in outcomes if isinstance(o, Exception)]
        assert max(group_sizes(app, before, sqlite_transactions)) > 1
    finally:
        app.close()


def test_commands_sent_together_over_rpc_share_transactions(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str,
    sqlite_transactions: SQLiteTransactions,
) -> None:
    """The service over real RabbitMQ, on SQLite: ten calls that arrive while a write is
    under way are stored in fewer transactions than ten, each unit once; one call sent alone
    is stored alone, and the service counts its workers for its writers.

    Sent at once, ten calls need not overlap: on a fast machine each may be written before
    the next message arrives, and then each is rightly alone. So the first of them is held in
    its write (letting the hub run) until the ten workers are in hand, as a slow disk would
    hold it."""
    use_store(sqlite_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    container = ServiceContainer(ResponsibilityService, config)
    container.start()
    try:
        app = _application_of(container)
        assert isinstance(app, Responsibilities)
        recorder = app.recorder
        assert isinstance(recorder, SQLiteCommandRecorder)
        assert recorder.work_in_hand is not None and recorder.work_in_hand() == 0
        with ClusterRpcProxy(config, timeout=20) as proxy:
            acting = Acting(proxy)
            founder = acting.as_(uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE).responsibility
            pc = founder.register_unit({"code": "PC", "name": "**区委",
                                        "kind": "party_committee"})
            clerk = acting.as_(uuid.uuid4(), pc, PARTY_COMMITTEE).responsibility
            before = start(app, sqlite_transactions)
            clerk.register_unit({"code": "T00", "name": "单位T00", "kind": "town",
                                 "parent_unit_id": pc})
            assert group_sizes(app, before, sqlite_transactions) == [1]
            before = start(app, sqlite_transactions)
            write, held = recorder._write, [False]
            work_in_hand = recorder.work_in_hand

            def first_held(group: Any) -> bool:
                if not held[0]:
                    held[0] = True
                    for _ in range(5000):
                        if work_in_hand() >= 10:
                            break
                        eventlet.sleep(0.001)
                return write(group)

            recorder._write = first_held  # type: ignore[method-assign]
            replies = [
                clerk.register_unit.call_async({"code": f"T{n:02}", "name": f"单位T{n:02}",
                                                "kind": "town", "parent_unit_id": pc})
                for n in range(1, 11)
            ]
            units = [reply.result() for reply in replies]
            assert held[0]
        sizes = group_sizes(app, before, sqlite_transactions)
        assert len(set(units)) == 10
        assert sum(sizes) == len(positions_after(app, before)) == 10
        assert len(sizes) < 10
    finally:
        container.stop()


def test_in_plain_threads_a_sqlite_writer_gathers_no_one(
    sqlite_store: StoreSettings, sqlite_transactions: SQLiteTransactions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside eventlet the writer does not let anything run before it writes (SQLite's own
    commit lets plain threads queue): here, with the hub's green threads taken for plain
    ones, each save is written on its own."""
    app = Responsibilities(store_environment(SERVICE, sqlite_store))
    try:
        monkeypatch.setattr(recorders, "green", lambda: False)
        before = start(app, sqlite_transactions)
        outcomes = save_together(app, *((new_unit(), None) for _ in range(6)))
        assert not [o for o in outcomes if isinstance(o, Exception)]
        assert group_sizes(app, before, sqlite_transactions) == [1] * 6
    finally:
        app.close()

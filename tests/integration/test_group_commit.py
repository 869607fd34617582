"""Group commit on PostgreSQL (shared/recorders.py, ``PostgresCommandRecorder``;
docs/reliability.md): inserts that arrive while another is being written are stored together,
in one transaction, by the next writer; a group that fails is rolled back whole and written
one insert at a time, each failing or not on its own, as without grouping.

Green threads save concurrently: the first writes alone, the others queue behind the writer's
lock and make the next group. Which rows share a transaction is read from PostgreSQL itself
(``xmin``, the id of the transaction that inserted the row)."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest

from services.responsibility.application import Responsibilities
from services.responsibility.domain import Unit
from shared import recorders
from shared.actors import Actor
from shared.envelope import format_position
from shared.outbox import open_outbox
from shared.persistence import store_environment
from shared.recorders import CommandAlreadyRecordedError, CommandRecord, PostgresCommandRecorder
from shared.settings import StoreSettings
from shared.signing import EventVerifier

SERVICE = "responsibility"
CLERK = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(postgres_store: StoreSettings) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment(SERVICE, postgres_store))
    yield application
    application.close()


def new_unit(code: str | None = None) -> Unit:
    code = code or uuid.uuid4().hex[:8]
    return Unit.register(code=code, name=f"单位 {code}", kind="town", parent_unit_id=None,
                         actor=CLERK, occurred_at=AT)


def transactions_of(app: Responsibilities, after: int) -> dict[int, str]:
    """Position -> the id of the transaction that inserted it, for positions after ``after``."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresCommandRecorder)
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            f'SELECT notification_id, xmin::text AS tx FROM "{recorder.datastore.schema}".'
            f'"{recorder.events_table_name}" WHERE notification_id > %s', (after,)
        )
        return {row["notification_id"]: row["tx"] for row in curs.fetchall()}


def last_position(app: Responsibilities) -> int:
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
    app: Responsibilities, postgres_store: StoreSettings
) -> None:
    before = last_position(app)
    units = [new_unit() for _ in range(8)]
    outcomes = save_together(app, *((unit, None) for unit in units))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    transactions = transactions_of(app, before)
    assert sorted(transactions) == list(range(before + 1, before + 9))  # no hole, none twice
    assert len(set(transactions.values())) < len(units)  # some were written together
    stored = {n.originator_id for n in app.recorder.select_notifications(before + 1, 100)}
    assert stored == {unit.id for unit in units}
    # Each body was signed in its transaction over its real previous position.
    outbox = open_outbox(SERVICE, store_environment(SERVICE, postgres_store))
    assert outbox is not None
    try:
        bodies = outbox.bodies(before + 1, before + 8)
    finally:
        outbox.close()
    verifier = EventVerifier.for_service(SERVICE)
    events = [verifier.verify(json.loads(bodies[p])) for p in sorted(transactions)]
    assert [e["sequence"] for e in events] == [format_position(p) for p in sorted(transactions)]
    assert [e["prevsequence"] for e in events] == [
        format_position(p) for p in range(before, before + 8)
    ]


def test_a_conflict_in_a_group_fails_only_its_own_save(
    app: Responsibilities, caplog: pytest.LogCaptureFixture
) -> None:
    taken = new_unit()
    app.save(taken)
    before = last_position(app)
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
    # Five rows (the rolled-back group used up positions: a log has holes, never doubles).
    assert len(transactions_of(app, before)) == 5


def test_one_command_twice_in_a_group_is_stored_once(
    app: Responsibilities, caplog: pytest.LogCaptureFixture
) -> None:
    before = last_position(app)
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


def test_a_lone_save_is_written_as_before(app: Responsibilities) -> None:
    before = last_position(app)
    record = CommandRecord(uuid.uuid4(), "register_unit", "d", '"answer"')
    unit = new_unit()
    app.save(unit, command=record)
    with pytest.raises(CommandAlreadyRecordedError):
        app.save(new_unit(), command=record)
    assert list(transactions_of(app, before)) == [before + 1]


def test_a_group_holds_at_most_the_limit_and_the_rest_wait_for_the_next(
    app: Responsibilities, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorders, "GROUP_LIMIT", 3)
    before = last_position(app)
    units = [new_unit() for _ in range(10)]
    outcomes = save_together(app, *((unit, None) for unit in units))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    sizes = Counter(transactions_of(app, before).values())
    assert sum(sizes.values()) == 10
    assert max(sizes.values()) == 3  # groups formed, none larger than the limit

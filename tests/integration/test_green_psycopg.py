"""psycopg's waits under eventlet (shared/green_psycopg.py), on the real PostgreSQL: the hub
runs while the server works, and a long run of statements whose socket is ready lets it run
every few milliseconds; results and errors are psycopg's own."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import eventlet.event
import psycopg
import psycopg.waiting
import pytest

from shared import green_psycopg
from shared.green_psycopg import wait_ready_first

CONNECT = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}


@pytest.fixture
def connection() -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(autocommit=True, **CONNECT) as opened:  # type: ignore[arg-type]
        yield opened


def gaps_while(work: Callable[[], Any]) -> tuple[Any, list[float]]:
    """Run ``work`` in this green thread while another notes the time every millisecond;
    the work's result and the gaps between the notes."""
    noted = [time.perf_counter()]
    done = eventlet.event.Event()

    def note() -> None:
        while not done.ready():
            eventlet.sleep(0.001)
            noted.append(time.perf_counter())

    noting = eventlet.spawn(note)
    eventlet.sleep(0.005)
    try:
        result = work()
    finally:
        done.send(None)
        noting.wait()
    return result, [later - earlier for earlier, later in itertools.pairwise(noted)]


def test_the_test_process_waits_as_a_service_does() -> None:
    assert psycopg.waiting.wait is wait_ready_first


def test_the_hub_runs_while_the_server_works(connection: psycopg.Connection[Any]) -> None:
    _, gaps = gaps_while(lambda: connection.execute("SELECT pg_sleep(0.3)").fetchall())
    # Held for the whole query, the ticker would have ticked once or twice.
    assert len(gaps) > 100 and max(gaps) < 0.1


def test_a_long_run_of_ready_statements_lets_the_hub_run_every_few_milliseconds(
    connection: psycopg.Connection[Any],
) -> None:
    connection.execute("CREATE TEMPORARY TABLE t (n integer)")

    def many() -> int:
        started = time.perf_counter()
        with connection.pipeline(), connection.transaction(), connection.cursor() as cursor:
            for n in range(4000):
                cursor.execute("INSERT INTO t (n) VALUES (%s)", (n,))
        took = time.perf_counter() - started
        assert took > 0.05, "too short a run to show the hub held"
        row = connection.execute("SELECT count(*), sum(n) FROM t").fetchone()
        assert row is not None
        return int(row[0]) * 10**9 + int(row[1])

    written, gaps = gaps_while(many)
    assert written == 4000 * 10**9 + sum(range(4000))
    assert max(gaps) < 0.03, f"the hub was held {max(gaps) * 1000:.0f} ms"


def test_errors_are_psycopgs_and_the_connection_goes_on(
    connection: psycopg.Connection[Any],
) -> None:
    with pytest.raises(psycopg.errors.DivisionByZero):
        connection.execute("SELECT 1 / 0").fetchall()
    assert connection.execute("SELECT 41 + 1").fetchone() == (42,)


def test_without_eventlet_psycopg_keeps_its_own_wait() -> None:
    code = ("import psycopg.waiting; from shared.green_psycopg import install; "
            "before = psycopg.waiting.wait; print(install(), psycopg.waiting.wait is before)")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert answer == ["False", "True"]


def test_an_operators_explicit_wait_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYCOPG_WAIT_FUNC", "wait_c")
    monkeypatch.setattr(psycopg.waiting, "wait", psycopg.waiting.wait_select)
    assert green_psycopg.install() is False
    assert psycopg.waiting.wait is psycopg.waiting.wait_select

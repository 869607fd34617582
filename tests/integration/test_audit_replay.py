"""``dutytrail audit replay --as-of DATE`` on SQLite and PostgreSQL (docs/audit.md, "Trail and
replay").

A district whose figures change over the year: units registered in January, two tasks due at
the end of March, one completed in February, the other overdue in April; supervision follows
and opens a follow-up for the overdue task. As of 1 January, 28 February and 30 April the
figures rebuilt from the history are what the scenario says they were on each day (an earlier
day's differ from a later day's, and both are right) and agree with the services' stored read
models. Then a read-model row is edited directly in the store: the replay reports the
difference, names the figure and exits 9.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from dutytrail_ops.cli import main
from services.casework.application import Casework
from services.responsibility.views import District
from shared.actors import Actor
from shared.feed import UpstreamFeed
from shared.outbox import postgres_connect
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.roles import AUDITOR
from shared.tokens import issue_token
from tests.integration.audit_district import at, responsibility_and_supervision, two_tasks


@pytest.fixture
def district(any_store: Any, use_store: Any) -> Any:
    use_store(any_store)
    with responsibility_and_supervision(any_store) as (r, s):
        clerk, (late, done) = two_tasks(r)
        r.complete_task(task_id=done, note="已完成", actor=clerk, occurred_at=at(2, 20))
        assert r.check_deadlines(at(4, 2)) == [late]
        UpstreamFeed(s, "responsibility", Reactions(s, "responsibility")).pull(r.events_after)
        # The services' read models are in the store, caught up, as a running service leaves them.
        r.list_units()
        s.list_units()
        yield late, done, any_store


def replay(day: str, *more: str, token: str | None = None) -> Any:
    env = {"DUTYTRAIL_TOKEN": token} if token else {}
    return CliRunner().invoke(main, ["audit", "replay", "--as-of", day, *more], env=env)


def auditor() -> str:
    """An auditor's token: cleared, so the figures of services with confidential events
    (supervision's unannounced visits, casework) are shown, not only compared."""
    return issue_token(uuid.uuid4(), uuid.uuid4(), [AUDITOR])


def figure(shown: dict[str, Any], service: str, query: str) -> Any:
    [found] = [f for f in shown["services"][service]["figures"]
               if f["query"] == query and not f["arguments"]]
    return found["value"]


def test_each_day_has_its_own_figures_and_the_history_agrees_with_the_rows(district):
    late, _completed, _ = district
    days = {}
    for day in ("2026-01-01", "2026-02-28", "2026-04-30"):
        result = replay(day, "--json", "--service", "responsibility", "--service", "supervision",
                        token=auditor())
        assert result.exit_code == 0, result.output
        days[day] = shown = json.loads(result.output)
        assert shown["agree"] is True
        assert shown["services"]["responsibility"]["answers"] > 5
    january, february, april = days.values()
    # Step. Before anything was registered: nothing.
    assert figure(january, "responsibility", "list_units") == []
    assert figure(january, "supervision", "list_units") == []
    # Step. End of February: both units, both tasks, none overdue, no follow-up yet.
    codes = [u["code"] for u in figure(february, "responsibility", "list_units")]
    assert codes == ["D01", "PC"]
    assert [u["code"] for u in figure(february, "supervision", "list_units")] == codes
    assert figure(february, "responsibility", "overdue_tasks") == []
    assert figure(february, "supervision", "open_follow_ups") == []
    # Step. End of April: the late task is overdue (the completed one is not), and supervision
    # follows it up.
    assert [t["task_id"] for t in figure(april, "responsibility", "overdue_tasks")] == [str(late)]
    [follow_up] = figure(april, "supervision", "open_follow_ups")
    assert follow_up["task_id"] == str(late)
    # Step. The per-record queries ran for each record listed (a tree for each unit).
    trees = [f for f in april["services"]["responsibility"]["figures"]
             if f["query"] == "task_tree"]
    assert len(trees) == 2 and all(f["agree"] for f in trees)


def tamper(store: Any) -> None:
    """Rename the department in the responsibility read model's rows, behind its back."""
    env = store_environment("responsibility", store)
    statement = "UPDATE {} SET body = replace(body, '区财政局', '区财政所')"
    table = f"responsibility_view_district_{District.rules_digest()}_versions"
    if store.backend == "sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as connection:
            changed = connection.execute(statement.format(f'"{table}"')).rowcount
    else:
        with psycopg.connect(autocommit=True, **postgres_connect(env)) as connection:
            query = sql.SQL(statement).format(sql.Identifier(env["POSTGRES_SCHEMA"], table))
            changed = connection.execute(query).rowcount
    assert changed > 0


def test_a_read_model_row_edited_in_the_store_is_reported(district):
    _, _, store = district
    tamper(store)
    result = replay("2026-04-30", "--service", "responsibility")
    assert result.exit_code == 9, result.output
    assert "responsibility" in result.output and "DIFFER" in result.output
    assert "list_units()" in result.output
    assert 'stored "区财政所", history "区财政局"' in result.output
    # The other services' figures are not blamed.
    earlier = replay("2026-01-01", "--service", "responsibility")
    assert earlier.exit_code == 0, earlier.output


def test_an_unknown_service_is_named(district):
    result = replay("2026-04-30", "--service", "nosuch")
    assert result.exit_code == 2 and "no service nosuch" in result.output


def test_confidential_figures_are_compared_for_all_and_shown_to_the_cleared(any_store, use_store):
    use_store(any_store)
    app = Casework(store_environment("casework", any_store))
    try:
        petition = app.receive_petition(
            channel="letter", anonymous=True, summary="反映某局违规发放补贴",
            actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()), occurred_at=at(2, 3))
    finally:
        app.close()
    # Step. Without a cleared token: compared (they agree), values left out.
    result = replay("2026-04-30", "--service", "casework", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["values_withheld"] == ["casework"]
    assert all(f["value"] is None for f in shown["services"]["casework"]["figures"])
    assert str(petition) not in result.output
    # Step. An auditor sees them.
    cleared = replay("2026-04-30", "--service", "casework", "--json", token=auditor())
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.output)["values_withheld"] == []
    petitions = figure(json.loads(cleared.output), "casework", "list_petitions")
    assert [p["petition_id"] for p in petitions] == [str(petition)]

"""Replicas on PostgreSQL (issue 15, item 1; docs/reliability.md, "Replicas"): two processes of
each service and two relay candidates per service on one store. During 5,000 commands (2,000 in the
suite) the leading responsibility relay and one replica of each service are killed with SIGKILL. In
the end every command stored its event once, every event reached the outside subscriber (once
each after de-duplication, in log order), and supervision, following responsibility on a
queue both its replicas consume, applied each upstream event once.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.envelope import parse_position
from tests.e2e.helpers import (
    Proc,
    assert_unbroken_chain,
    committee,
    first_of_each,
    process_env,
    rpc_config,
    stored_events,
    wait_for_ping,
    wait_until,
)
from tests.e2e.test_relay_leader import STANDS_BY, leader_and_standby

pytestmark = [pytest.mark.rabbitmq, pytest.mark.timeout(900)]

# The 5,000 with DUTYTRAIL_REPLICA_COMMANDS=5000; the suite runs 2,000 (a few minutes
# fewer on this 2-core machine), the kills spread over them the same way.
COMMANDS = int(os.environ.get("DUTYTRAIL_REPLICA_COMMANDS") or 2000)
IN_FLIGHT = 20


def register(clerk: Any, numbers: range, at: dict[int, Any]) -> list[str]:
    """``register_unit`` for each number, IN_FLIGHT at a time, each with a command id of its
    own; ``at[n]`` is called once command ``n`` has been sent."""
    ids: list[str] = []
    for start in range(numbers.start, numbers.stop, IN_FLIGHT):
        replies = []
        for n in range(start, min(start + IN_FLIGHT, numbers.stop)):
            replies.append(clerk.responsibility.register_unit.call_async({
                "code": f"R{n:05d}", "name": f"单位{n}", "kind": "district_department",
                "command_id": str(uuid.uuid4()),
            }))
            if n in at:
                at.pop(n)()
        ids += [reply.result() for reply in replies]
    return ids


def kill(proc: Proc) -> None:
    proc.signal(signal.SIGKILL)
    assert proc.popen.wait(timeout=10) == -signal.SIGKILL


def test_replicas_and_a_standby_relay_lose_and_double_nothing_when_killed(
    postgres_store, vhost, launcher, subscriber
) -> None:
    env = process_env(postgres_store, vhost)
    services = {
        name: [launcher.start(["run", name], env, f"{name}-{n}") for n in (1, 2)]
        for name in ("responsibility", "supervision")
    }
    relays = [launcher.start(["relay", "responsibility"], env, f"relay-{n}") for n in (1, 2)]
    for n in (1, 2):
        launcher.start(["relay", "supervision"], env, f"supervision-relay-{n}")
    started = time.monotonic()
    with ClusterRpcProxy(rpc_config(vhost), timeout=120) as rpc:
        wait_for_ping(rpc, timeout=90)
        clerk = committee(rpc)
        leader, standby = leader_and_standby(*relays)
        kills = {
            COMMANDS // 5: lambda: kill(leader),
            2 * COMMANDS // 5: lambda: kill(services["responsibility"][0]),
            3 * COMMANDS // 5: lambda: kill(services["supervision"][1]),
        }
        ids = register(clerk, range(COMMANDS), kills)
        assert not kills
        commanded = time.monotonic() - started
        standby.wait_for(r"relay for responsibility starts at position", timeout=30)
        restarted = launcher.start(["relay", "responsibility"], env, "relay-3")
        restarted.wait_for(STANDS_BY, timeout=30)
        stored = stored_events(rpc)

        learned: list[Any] = []

        def supervision_learned() -> bool:
            learned[:] = clerk.supervision.list_units({})
            return len(learned) >= COMMANDS

        wait_until(supervision_learned, 300, "supervision learning every unit")
        units = list(learned)
        opened = [
            e for e in stored_events(rpc, "supervision")
            if e["type"] == "dutytrail.supervision.unit_file_opened.v1"
        ]
    expected = {e["id"] for e in stored}
    deliveries = subscriber.receive(
        until=lambda got: expected <= {d.event["id"] for d in got}, timeout=60
    )
    print(f"{COMMANDS} commands in {commanded:.1f}s with two replicas, one killed")

    # Each command stored exactly one event; none lost, none doubled.
    assert len(set(ids)) == len(ids) == COMMANDS
    assert len(stored) == COMMANDS and {e["subject"] for e in stored} == set(ids)
    # The subscriber has every event, once each after de-duplication, in log order.
    unique, _ = first_of_each(deliveries)
    assert {e["id"] for e in unique} == expected
    positions = [parse_position(e["sequence"]) for e in unique]
    assert positions == sorted(positions)
    assert_unbroken_chain(unique)
    # Supervision applied each unit's registration once, whichever replica got it.
    assert len(units) == COMMANDS
    assert sorted(u["code"] for u in units) == sorted(f"R{n:05d}" for n in range(COMMANDS))
    assert len(opened) == COMMANDS
    assert len({e["subject"] for e in opened}) == COMMANDS


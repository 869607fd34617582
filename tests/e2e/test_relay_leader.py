"""One relay leads (docs/reliability.md, "One relay leads"): two `dutytrail relay` processes
for one service on one store, of which exactly one publishes; SIGKILL the leader while
commands are stored, and the standby takes over within seconds. An outside subscriber ends
with every stored event, once each after de-duplication by id, in log order.
"""

from __future__ import annotations

import re
import signal
import time
from datetime import datetime

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
from tests.e2e.test_relay_crash import register_units

pytestmark = [pytest.mark.rabbitmq]

STANDS_BY = r"relay for responsibility stands by"
# The log line's own time: when the standby took the lead, not when the test looked.
LEADS_AT = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \S+ INFO shared.relay: relay for responsibility starts"


def logged_at(found: re.Match[str]) -> float:
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def leader_and_standby(first: Proc, second: Proc) -> tuple[Proc, Proc]:
    """Which of two relays started together leads; the other must say it stands by."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for leader, standby in ((first, second), (second, first)):
            if "starts at position" in leader.output():
                standby.wait_for(STANDS_BY, timeout=30)
                return leader, standby
        time.sleep(0.05)
    raise AssertionError(f"no relay leads:\n{first.tail()}\n{second.tail()}")


def test_the_standby_relay_takes_over_when_the_leader_is_killed(
    any_store, vhost, launcher, subscriber
) -> None:
    env = process_env(any_store, vhost)
    launcher.start(["run", "responsibility"], env, "service")
    first = launcher.start(["relay", "responsibility"], env, "relay-a")
    second = launcher.start(["relay", "responsibility"], env, "relay-b")
    with ClusterRpcProxy(rpc_config(vhost), timeout=60) as rpc:
        wait_for_ping(rpc, timeout=60)
        clerk = committee(rpc)
        leader, standby = leader_and_standby(first, second)
        ids = register_units(clerk, range(200))
        wait_until(lambda: subscriber.ready() >= 200, 30, "the leader's events")
        # The standby published nothing meanwhile: it never started.
        assert "starts at position" not in standby.output()

        killed_at = [0.0]

        def kill_leader() -> None:
            leader.signal(signal.SIGKILL)
            assert leader.popen.wait(timeout=10) == -signal.SIGKILL
            killed_at[0] = time.time()

        ids += register_units(clerk, range(200, 500), while_in_flight=kill_leader)
        took_over = logged_at(standby.wait_for(LEADS_AT, timeout=30)) - killed_at[0]
        # The killed relay comes back as the standby of the new leader.
        restarted = launcher.start(["relay", "responsibility"], env, "relay-c")
        restarted.wait_for(STANDS_BY, timeout=30)
        ids += register_units(clerk, range(500, 600))
        stored = stored_events(rpc)
    expected = {e["id"] for e in stored}
    deliveries = subscriber.receive(
        until=lambda got: expected <= {d.event["id"] for d in got}, timeout=30
    )

    print(f"the standby led {took_over:.2f}s after the leader was killed")
    assert took_over < 10, f"the standby took {took_over:.1f}s to lead"
    assert "starts at position" not in restarted.output()
    assert len(set(ids)) == len(stored) == 600
    unique, _ = first_of_each(deliveries)
    assert {e["id"] for e in unique} == expected
    positions = [parse_position(e["sequence"]) for e in unique]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert sorted(unique, key=lambda e: parse_position(e["sequence"])) == stored
    assert_unbroken_chain(unique)

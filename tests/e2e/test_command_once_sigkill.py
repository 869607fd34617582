"""Commands run once under crashes (issue 8, item 5; docs/commands-once.md): 1,000
``create_task`` commands, each with its caller's ``command_id``, from several callers at
once, while the service is killed with SIGKILL twice and restarted. Every caller resubmits a
command whose answer did not come (the same payload, the same ``command_id``), and the
broker redelivers every command the killed service had taken but not acknowledged.

Afterwards the store holds exactly 1,000 tasks: none stored twice, none lost, and each
caller's answer is the id of the task stored for its command.

Real processes: `dutytrail run responsibility` on a store of its own, commands over nameko's
standalone RPC proxy (one per caller, each in its green thread).
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import Counter
from typing import Any

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from shared.persistence import store_environment
from shared.roles import PARTY_COMMITTEE
from tests.e2e.helpers import Launcher, Proc, process_env, rpc_config, wait_for_ping

pytestmark = [pytest.mark.rabbitmq]

COMMANDS = 1000
CALLERS = 5
IN_FLIGHT = 10  # per caller: commands sent before waiting for their answers
CALL_TIMEOUT = 3.0  # seconds without any answer before a caller resubmits
# Answers received before each SIGKILL, and how long the service then stays down.
KILLS = ((300, 0.0), (650, CALL_TIMEOUT + 2.0))
TASK_CREATED = "Task.Created"


class Caller:
    """A clerk of the party committee with a proxy of their own, sending their share of the
    commands IN_FLIGHT at a time; a command that gets no answer (a timeout, a lost
    connection) is sent again, unchanged, until it gets one."""

    def __init__(self, vhost: str, pc: str, dept: str, leader: str, numbers: range) -> None:
        self.vhost = vhost
        self.person, self.pc = uuid.uuid4(), pc
        self.numbers = numbers
        self.payloads: dict[int, dict[str, Any]] = {
            n: {"year": 2026, "title": f"任务{n}", "requirement": "落实", "lead_unit_id": dept,
                "responsible_cadre_id": leader, "deadline": "2026-06-30",
                "command_id": str(uuid.uuid4())}
            for n in numbers
        }
        self.answers: dict[str, str] = {}  # command_id -> the task id answered
        self.resubmitted = 0

    def run(self, answered: list[int]) -> None:
        with ClusterRpcProxy(rpc_config(self.vhost), timeout=CALL_TIMEOUT) as proxy:
            clerk = Acting(proxy).as_(self.person, self.pc, PARTY_COMMITTEE).responsibility
            for start in range(self.numbers.start, self.numbers.stop, IN_FLIGHT):
                batch = range(start, min(start + IN_FLIGHT, self.numbers.stop))
                replies = {n: self._send(clerk, n) for n in batch}
                for n, reply in replies.items():
                    self.answers[self.payloads[n]["command_id"]] = self._answer(clerk, n, reply)
                    answered.append(1)

    def _send(self, clerk: Any, n: int) -> Any:
        return clerk.create_task.call_async(self.payloads[n])

    def _answer(self, clerk: Any, n: int, reply: Any) -> str:
        while True:
            try:
                task_id: str = reply.result()
                return task_id
            except RemoteError:
                raise  # a refusal (CommandIdReusedError, say) is a failure of the test
            except Exception:  # noqa: BLE001 - no answer: send the same command again
                self.resubmitted += 1
                time.sleep(0.2)
                try:
                    reply = self._send(clerk, n)
                except Exception:  # noqa: BLE001 - the proxy reconnects on the next try
                    time.sleep(0.5)


def kill_and_restart(
    launcher: Launcher, env: dict[str, str], service: Proc, down: float
) -> Proc:
    service.signal(signal.SIGKILL)
    assert service.popen.wait(timeout=10) == -signal.SIGKILL
    time.sleep(down)
    return launcher.start(["run", "responsibility"], env, "service")


def test_a_service_killed_mid_stream_stores_each_command_once(any_store, vhost, launcher):
    env = process_env(any_store, vhost)
    services = [launcher.start(["run", "responsibility"], env, "service")]
    started = time.monotonic()
    with ClusterRpcProxy(rpc_config(vhost), timeout=30) as rpc:
        wait_for_ping(rpc, timeout=60)
        founder = Acting(rpc).as_(uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE).responsibility
        pc = founder.register_unit({"code": "PC", "name": "区委", "kind": "party_committee"})
        committee = Acting(rpc).as_(uuid.uuid4(), pc, PARTY_COMMITTEE).responsibility
        dept = committee.register_unit(
            {"code": "D01", "name": "区财政局", "kind": "district_department",
             "parent_unit_id": pc})
        leader = committee.register_cadre(
            {"person_id": str(uuid.uuid4()), "name": "王伟", "unit_id": dept,
             "post_title": "局长", "line_of_work": "财政", "top_leader": True})

    share = COMMANDS // CALLERS
    callers = [Caller(vhost, pc, dept, leader, range(i * share, (i + 1) * share))
               for i in range(CALLERS)]
    answered: list[int] = []
    running = [eventlet.spawn(caller.run, answered) for caller in callers]
    for threshold, down in KILLS:
        while len(answered) < threshold:
            assert not any(green.dead for green in running), "a caller stopped early"
            time.sleep(0.01)
        # Killed while every caller has commands in flight: some are stored and not yet
        # answered, some are taken and not yet stored, some wait in the queue.
        services.append(kill_and_restart(launcher, env, services[-1], down))
    for green in running:
        green.wait()
    elapsed = time.monotonic() - started

    app = Responsibilities(store_environment("responsibility", any_store))
    try:
        notifications = app.recorder.select_notifications(start=1, limit=10 * COMMANDS)
        created = Counter(str(n.originator_id) for n in notifications
                          if n.topic.endswith(TASK_CREATED))
        answers = {cid: task for caller in callers for cid, task in caller.answers.items()}
        # None lost, none stored twice: one task per command, and only those.
        assert len(answers) == COMMANDS
        assert len(created) == COMMANDS, f"{len(created)} tasks stored for {COMMANDS} commands"
        assert set(created.values()) == {1}
        assert set(created) == set(answers.values())
        # Every caller got the id that is stored for its command.
        for command_id, task in answers.items():
            record = app.command_log.select_command(uuid.UUID(command_id))
            assert record is not None, command_id
            assert (record.name, json.loads(record.answer)) == ("create_task", task)
    finally:
        app.close()

    assert services[-1].popen.poll() is None, services[-1].tail()
    assert all(s.popen.returncode == -signal.SIGKILL for s in services[:-1])
    replayed = sum(s.output().count("ran already") for s in services)
    resubmitted = sum(caller.resubmitted for caller in callers)
    assert resubmitted > 0  # the second outage outlasted the callers' patience
    print(f"{COMMANDS} commands, {len(KILLS)} kills, {resubmitted} resubmitted, "
          f"{replayed} answered from the store, {elapsed:.1f}s")

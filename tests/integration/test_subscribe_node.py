"""The Node subscriber of docs/examples (amqplib + fetch) against a running service: history
over HTTP, then live; killed mid-stream and started again from the last position it printed,
it has printed exactly the stored events, once each, in order, every one verified. Asked for a
quorum queue, it declares one, and keeps a classic one of the same name that was there first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import eventlet

from shared.keys import private_key, public_pem
from shared.roles import SUBSCRIBER
from shared.settings import StoreSettings
from shared.tokens import issue_token
from tests.integration.probe_consumer import delete_queues
from tests.integration.test_subscription import (
    declare_classic_queue,
    is_quorum_queue,
    serving,
    vhost_of,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
NODE = shutil.which("node") or "/usr/bin/node"


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    """Wait for the process, yielding to the service's green threads meanwhile."""
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while process.poll() is None:
        assert eventlet.hubs.get_hub().clock() < deadline, "the Node subscriber did not finish"
        eventlet.sleep(0.1)
    out, err = process.communicate()
    return process.returncode, out, err


def test_the_node_subscriber_hands_over_and_restarts_without_gap_or_duplicate(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str, tmp_path: Path
) -> None:
    subprocess.run([str(EXAMPLES / "install.sh")], check=True, timeout=300)
    use_store(sqlite_store)
    key = tmp_path / "responsibility.pub"
    key.write_bytes(public_pem(private_key("responsibility").public_key()))
    queue = f"node{uuid.uuid4().hex[:8]}.responsibility"
    env = {**os.environ,
           "DUTYTRAIL_TOKEN": issue_token(uuid.uuid4(), uuid.uuid4(), [SUBSCRIBER])}
    printed: list[dict[str, Any]] = []

    with serving(sqlite_store, amqp_uri, queue) as served:
        app = served.app

        def node(after: str, *more: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [NODE, str(EXAMPLES / "subscribe.mjs"), "--service", "responsibility",
                 "--http", served.http_url, "--amqp", amqp_uri, "--key", str(key),
                 "--queue", queue, "--queue-type", "quorum", "--after", after, *more],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )

        served.register(0, 10)
        served.published()
        # Step. From 0: ten from the history, then live; killed after the 14th.
        first = node("0", "--stop-after", "14")
        eventlet.sleep(2.0)
        served.register(10, 10)
        code, out, err = finish(first)
        assert code == 0, err
        printed += [json.loads(line) for line in out.splitlines()]
        assert len(printed) == 14
        assert is_quorum_queue(amqp_uri, queue)

        # Step. More stored while it is down; started again from its last position.
        served.register(20, 5)
        served.published()
        code, out, err = finish(node(printed[-1]["sequence"], "--idle", "2"))
        assert code == 0, err
        printed += [json.loads(line) for line in out.splitlines()]
        assert err.strip().endswith(f"position {app.last_position()}")

        # Step. A classic queue of that name was there first: kept, with a warning.
        delete_queues(amqp_uri, queue)
        declare_classic_queue(amqp_uri, queue)
        served.register(25, 3)
        served.published()
        code, out, err = finish(node(printed[-1]["sequence"], "--idle", "2"))
        assert code == 0, err
        printed += [json.loads(line) for line in out.splitlines()]
        assert f"rabbitmqctl delete_queue -p {vhost_of(amqp_uri)} {queue}" in err
        assert not is_quorum_queue(amqp_uri, queue)
    stored = app.events_after(0)
    app.close()
    assert [e["id"] for e in printed] == [e["id"] for e in stored]
    assert printed == stored

"""`dutytrail dlq list|show|replay`: the dead letters with where each came from (x-death),
listing changes nothing, and a replayed letter goes back to the queue it left, only."""

from __future__ import annotations

import json

from click.testing import CliRunner
from kombu.connection import Connection

from dutytrail_ops import exits
from dutytrail_ops.cli import main
from shared.nameko_kit.consumer import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    declare_dead_letter_queue,
)

ORIGIN = "evt-dlqtest-origin--probe.on_event"
EXCHANGE = "dlqtest.events"
EVENT = {"specversion": "1.0", "id": "a:1", "type": "dutytrail.responsibility.unit_registered.v1",
         "source": "/dutytrail/responsibility", "sequence": "00000000000000000007", "data": {}}


def dead_letter_two(uri: str) -> None:
    """A consumer's queue rejects a CloudEvent and an undecodable body to the dead letters."""
    declare_dead_letter_queue(uri)
    with Connection(uri) as conn:
        ch = conn.channel()
        ch.queue_purge(DEAD_LETTER_QUEUE)
        ch.exchange_declare(EXCHANGE, "topic", durable=True)
        ch.queue_declare(ORIGIN, durable=True, auto_delete=False, arguments={
            "x-queue-type": "quorum", "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        })
        ch.queue_purge(ORIGIN)
        ch.queue_bind(ORIGIN, EXCHANGE, "#")
        for body, key in ((json.dumps(EVENT), EVENT["type"]), ("{not json", "garbage")):
            ch.basic_publish(ch.prepare_message(body, content_type="application/cloudevents+json",
                                               content_encoding="utf-8"),
                             exchange=EXCHANGE, routing_key=key)
        for _ in range(2):
            message = wait_for(ch, ORIGIN)
            ch.basic_reject(message.delivery_tag, requeue=False)
        ch.close()


def wait_for(channel, queue):
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = channel.basic_get(queue, no_ack=False)
        if message is not None:
            return message
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue}")


def listed(runner: CliRunner) -> list[dict[str, object]]:
    result = runner.invoke(main, ["dlq", "list", "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_dead_letters_are_listed_shown_and_replayed_to_their_queue(amqp_uri):
    dead_letter_two(amqp_uri)
    runner = CliRunner()

    first = listed(runner)
    assert [(d["number"], d["reason"], d["queue"], d["exchange"]) for d in first] == [
        (1, "rejected", ORIGIN, EXCHANGE), (2, "rejected", ORIGIN, EXCHANGE),
    ]
    assert first[0]["type"] == EVENT["type"] and first[0]["sequence"] == EVENT["sequence"]
    assert first[1]["type"] is None and first[1]["routing_keys"] == ["garbage"]
    assert listed(runner) == first  # listing took nothing away

    shown = runner.invoke(main, ["dlq", "show", "2", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["body"] == "{not json"
    assert json.loads(shown.stdout)["headers"]["x-death"][0]["queue"] == ORIGIN
    plain = runner.invoke(main, ["dlq", "show", "1"])
    assert "rejected" in plain.stdout and str(EVENT["id"]) in plain.stdout

    missing = runner.invoke(main, ["dlq", "replay", "3"])
    assert missing.exit_code == exits.NOT_FOUND
    assert len(listed(runner)) == 2  # a refused replay replays nothing

    replayed = runner.invoke(main, ["dlq", "replay", "1", "--json"])
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["queue"] == ORIGIN
    with Connection(amqp_uri) as conn:
        ch = conn.channel()
        back = wait_for(ch, ORIGIN)
        assert json.loads(back.body) == EVENT
        assert ch.basic_get(ORIGIN, no_ack=True) is None  # only the one replayed
        ch.basic_ack(back.delivery_tag)
        ch.queue_delete(ORIGIN)
        ch.exchange_delete(EXCHANGE)
        ch.close()
    left = listed(runner)
    assert [d["routing_keys"] for d in left] == [["garbage"]]
    assert left[0]["number"] == 1

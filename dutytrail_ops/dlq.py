"""``dutytrail dlq list|show|replay``: the dead letters in ``dutytrail.dead-letters``, where each
came from (the broker's ``x-death`` header), and sending one back to the queue it left
(docs/reliability.md, "Failures are visible").

Reading the queue takes the messages without acknowledging them and closes the channel, which
returns every one of them to the queue in order: listing changes nothing. Replaying publishes a
copy to the queue named in ``x-death`` (through the default exchange, so only that consumer
sees it again, not every subscriber of the exchange) and then acknowledges the dead letter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import amqp.exceptions
import click
from kombu.connection import Connection
from kombu.message import Message

from dutytrail_ops.exits import NotFoundError, require_broker
from shared.settings import amqp_uri

DEAD_LETTER_QUEUE = "dutytrail.dead-letters"  # shared.nameko_kit.consumer
PREVIEW_CHARACTERS = 80


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message, numbered from 1 in queue order."""

    number: int
    reason: str  # rejected (poison or undecodable), delivery_limit, expired, maxlen
    queue: str  # the queue it was dead-lettered from
    exchange: str  # the exchange it was first published to
    routing_keys: tuple[str, ...]
    count: int  # how many times it was dead-lettered from that queue
    time: str
    content_type: str
    headers: dict[str, Any]
    body: str

    def summary(self) -> dict[str, Any]:
        event = self.event()
        return {
            "number": self.number, "reason": self.reason, "queue": self.queue,
            "exchange": self.exchange, "routing_keys": list(self.routing_keys),
            "count": self.count, "time": self.time, "content_type": self.content_type,
            "type": event.get("type") if event else None,
            "id": event.get("id") if event else None,
            "sequence": event.get("sequence") if event else None,
        }

    def event(self) -> dict[str, Any] | None:
        try:
            decoded = json.loads(self.body)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def full(self) -> dict[str, Any]:
        return {**self.summary(), "headers": self.headers, "body": self.body}


def _origin(headers: dict[str, Any]) -> dict[str, Any]:
    deaths = headers.get("x-death") or []
    # The broker puts the most recent death first.
    return dict(deaths[0]) if deaths else {}


def _plain(value: Any) -> Any:
    """Header values as JSON can hold them (AMQP timestamps are datetimes, text is bytes)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def dead_letter(number: int, message: Message) -> DeadLetter:
    headers = _plain(dict(message.headers or {}))
    origin = _origin(headers)
    body = message.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return DeadLetter(
        number=number,
        reason=str(origin.get("reason", "")),
        queue=str(origin.get("queue", "")),
        exchange=str(origin.get("exchange", "")),
        routing_keys=tuple(str(k) for k in origin.get("routing-keys", [])),
        count=int(origin.get("count", 1) or 1),
        time=str(origin.get("time", "")),
        content_type=str(message.content_type or ""),
        headers=headers,
        body=text,
    )


@contextmanager
def _borrowed(uri: str) -> Iterator[tuple[Any, list[Message]]]:
    """Every message in the dead-letter queue, unacknowledged; whatever is not acknowledged
    goes back to the queue, in order, when the channel closes."""
    with Connection(uri, connect_timeout=5) as connection:
        channel = connection.channel()
        messages: list[Message] = []
        try:
            try:
                channel.queue_declare(DEAD_LETTER_QUEUE, passive=True)
            except amqp.exceptions.NotFound:  # no consumer ever started: no dead letters
                channel = connection.channel()
                yield channel, messages
                return
            while True:
                raw = channel.basic_get(DEAD_LETTER_QUEUE, no_ack=False)
                if raw is None:
                    break
                messages.append(channel.message_to_python(raw))
            yield channel, messages
        finally:
            channel.close()


def read_dead_letters(uri: str | None = None) -> list[DeadLetter]:
    with _borrowed(uri or amqp_uri()) as (_, messages):
        return [dead_letter(n, m) for n, m in enumerate(messages, 1)]


def replay(numbers: set[int] | None, uri: str | None = None) -> list[DeadLetter]:
    """Send the dead letters numbered ``numbers`` (all if None) back to the queues they were
    dead-lettered from; the ones replayed. A letter with no origin queue stays."""
    uri = uri or amqp_uri()
    replayed: list[DeadLetter] = []
    with _borrowed(uri) as (channel, messages):
        letters = [dead_letter(n, m) for n, m in enumerate(messages, 1)]
        missing = sorted((numbers or set()) - {letter.number for letter in letters})
        if missing:
            raise NotFoundError(
                f"no dead letter numbered {', '.join(map(str, missing))}: "
                f"there are {len(letters)} (`dutytrail dlq list`)"
            )
        for letter, message in zip(letters, messages, strict=True):
            if (numbers is not None and letter.number not in numbers) or not letter.queue:
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if k != "x-death"}
            headers["x-dutytrail-replayed"] = letter.count
            channel.basic_publish(
                channel.prepare_message(
                    message.body, content_type=message.content_type,
                    content_encoding=message.content_encoding, headers=headers,
                    properties={"delivery_mode": 2},
                ),
                exchange="", routing_key=letter.queue,
            )
            message.ack()
            replayed.append(letter)
    return replayed


@click.group("dlq")
def dlq() -> None:
    """Dead letters: events a consumer could not take (docs/reliability.md)."""


@dlq.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dead letter.")
def list_command(as_json: bool) -> None:
    """List the dead letters, oldest first: number, reason, origin queue, event."""
    require_broker()
    letters = read_dead_letters()
    for letter in letters:
        s = letter.summary()
        if as_json:
            click.echo(json.dumps(s, ensure_ascii=False))
        else:
            what = f"{s['type']} {s['id']} at {s['sequence']}" if s["type"] else (
                "undecodable: " + letter.body[:PREVIEW_CHARACTERS]
            )
            click.echo(f"{letter.number:>4}  {letter.reason:<15} {letter.queue}  {what}")
    if not as_json:
        click.echo(f"{len(letters)} dead letter(s) in {DEAD_LETTER_QUEUE}", err=True)


@dlq.command("show")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def show_command(number: int, as_json: bool) -> None:
    """Show dead letter NUMBER (from `dutytrail dlq list`): origin, headers, body."""
    require_broker()
    letters = {letter.number: letter for letter in read_dead_letters()}
    if number not in letters:
        raise NotFoundError(f"no dead letter numbered {number}: there are {len(letters)}")
    full = letters[number].full()
    if as_json:
        click.echo(json.dumps(full, ensure_ascii=False))
        return
    for key in ("number", "reason", "queue", "exchange", "routing_keys", "count", "time",
                "content_type"):
        click.echo(f"{key:<13} {full[key]}")
    click.echo(f"{'headers':<13} {json.dumps(full['headers'], ensure_ascii=False)}")
    click.echo(full["body"])


@dlq.command("replay")
@click.argument("numbers", nargs=-1, type=click.IntRange(min=1))
@click.option("--all", "everything", is_flag=True, help="Every dead letter.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per replayed letter.")
def replay_command(numbers: tuple[int, ...], everything: bool, as_json: bool) -> None:
    """Send dead letters NUMBERS (or --all) back to the queue each was dead-lettered from."""
    if bool(numbers) == everything:
        raise click.UsageError("name the dead letters to replay, or --all")
    require_broker()
    done = replay(None if everything else set(numbers))
    for letter in done:
        if as_json:
            click.echo(json.dumps(letter.summary(), ensure_ascii=False))
        else:
            click.echo(f"replayed {letter.number} to {letter.queue}")

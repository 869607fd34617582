"""Trace context (docs/tracing.md): W3C ``traceparent`` parsing, one context per green thread
under eventlet, the trace stored with each event and lifted into its signed CloudEvent, a
reaction continuing the upstream event's trace, per-record traces for the clock, and the trace
id on every log line."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import eventlet
import pytest

from services.responsibility.application import Responsibilities
from services.supervision.application import Supervision
from shared import logs, tracing
from shared.actors import Actor
from shared.feed import UpstreamFeed
from shared.keys import public_key
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.signing import EventVerifier, SignatureError
from shared.tracing import TraceContext, from_caller, parse, reacting_to

# The example of W3C Trace Context §3.2.2.
W3C_EXAMPLE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CLERK = Actor(person_id=uuid.UUID(int=1), unit_id=uuid.UUID(int=2))
NODE = shutil.which("node") or "/usr/bin/node"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify-events.mjs"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def test_a_valid_traceparent_is_read_as_w3c_writes_it() -> None:
    context = parse(W3C_EXAMPLE)
    assert context == TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")
    assert context is not None and context.traceparent == W3C_EXAMPLE
    # A later version may append fields; they are ignored, the ids are kept.
    later = parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future")
    assert later is not None and later.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize("value", [
    None, 42, "", "garbage",
    W3C_EXAMPLE.upper(),  # upper-case hex
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
    W3C_EXAMPLE + "-00",  # version 00 has exactly four fields
    "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # 31 hex digits
])
def test_a_malformed_traceparent_is_refused(value: Any) -> None:
    assert parse(value) is None


def test_a_caller_trace_is_continued_and_a_malformed_one_replaced() -> None:
    continued = from_caller(W3C_EXAMPLE)
    assert continued.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert continued.span_id != "00f067aa0ba902b7"
    fresh = from_caller("00-not-a-trace")
    assert parse(fresh.traceparent) == fresh
    assert fresh.trace_id != continued.trace_id


def test_each_green_thread_keeps_its_own_trace() -> None:
    seen: dict[int, str | None] = {}

    def worker(number: int) -> None:
        context = tracing.new_trace()
        with tracing.tracing(context):
            eventlet.sleep(0.01)  # the others run in between
            current = tracing.current()
            seen[number] = None if current is None else current.trace_id
            assert current == context

    with tracing.tracing(tracing.new_trace()) as outer:
        threads = [eventlet.spawn(worker, n) for n in range(5)]
        for thread in threads:
            thread.wait()
        assert tracing.current() == outer  # no worker's trace leaked into this one
        # A new green thread starts without the spawner's trace.
        assert eventlet.spawn(tracing.current).wait() is None
    assert len(set(seen.values())) == 5
    assert tracing.current() is None


def test_the_clock_gives_each_record_a_trace_of_its_own() -> None:
    clock = tracing.new_trace(per_record=True)
    first, second = uuid.uuid4(), uuid.uuid4()
    assert clock.for_record(first) == clock.for_record(first)
    assert clock.for_record(first).trace_id != clock.for_record(second).trace_id
    command = tracing.new_trace()
    assert command.for_record(first) is command


@pytest.fixture
def responsibility(sqlite_store: Any) -> Any:
    app = Responsibilities(store_environment("responsibility", sqlite_store))
    yield app
    app.close()


def test_a_command_stores_its_trace_and_publishes_it_signed(responsibility: Any) -> None:
    context = tracing.new_trace()
    with tracing.tracing(context):
        unit = responsibility.register_unit(code="PC", name="**区委", kind="party_committee",
                                            actor=CLERK, occurred_at=at(1, 2))
    untraced = responsibility.register_unit(code="D01", name="区财政局",
                                            kind="district_department", parent_unit_id=unit,
                                            actor=CLERK, occurred_at=at(1, 3))
    traced_event, plain_event = responsibility.events_after(0)
    assert traced_event["subject"] == str(unit) and plain_event["subject"] == str(untraced)
    assert traced_event["traceparent"] == context.traceparent
    assert traced_event["signedextattrs"].split(",")[-1] == "traceparent"
    assert "traceparent" not in plain_event
    assert "traceparent" not in plain_event["signedextattrs"]

    verifier = EventVerifier("responsibility", public_key("responsibility"))
    assert verifier.verify(traced_event)["traceparent"] == context.traceparent
    assert "traceparent" not in verifier.verify(plain_event)
    forged = {**traced_event, "traceparent": tracing.new_trace().traceparent}
    with pytest.raises(SignatureError, match="altered"):
        verifier.verify(forged)
    # Stored with the event, and left out of the domain event read back.
    [domain_event] = responsibility.events.get(unit)
    assert "traceparent" not in vars(domain_event)
    [stored] = responsibility.recorder.select_notifications(start=1, limit=1)
    assert json.loads(stored.state)["traceparent"] == context.traceparent


def test_node_verifies_a_traced_event(responsibility: Any, tmp_path: Path) -> None:
    with tracing.tracing(tracing.new_trace()):
        responsibility.register_unit(code="PC", name="**区委", kind="party_committee",
                                     actor=CLERK, occurred_at=at(1, 2))
    [event] = responsibility.events_after(0)
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event, ensure_ascii=False) + "\n", "utf-8")
    from cryptography.hazmat.primitives import serialization

    key = tmp_path / "responsibility.pub"
    key.write_bytes(public_key("responsibility").public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    ok = subprocess.run([NODE, str(EXAMPLE), str(key), str(events)], capture_output=True,
                        text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    event["traceparent"] = tracing.new_trace().traceparent
    events.write_text(json.dumps(event, ensure_ascii=False) + "\n", "utf-8")
    tampered = subprocess.run([NODE, str(EXAMPLE), str(key), str(events)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert tampered.returncode == 1, tampered.stdout


def test_a_reaction_carries_the_upstream_trace_in_a_new_span(
    responsibility: Any, sqlite_store: Any
) -> None:
    command = tracing.new_trace()
    with tracing.tracing(command):
        responsibility.register_unit(code="PC", name="**区委", kind="party_committee",
                                     actor=CLERK, occurred_at=at(1, 2))
    supervision = Supervision(store_environment("supervision", sqlite_store))
    try:
        feed = UpstreamFeed(supervision, "responsibility",
                            Reactions(supervision, "responsibility"))
        assert feed.pull(responsibility.events_after) == 1
        reactions = supervision.events_after(0)
    finally:
        supervision.close()
    assert reactions, "supervision stored nothing in reaction to a registered unit"
    for reaction in reactions:
        context = parse(reaction["traceparent"])
        assert context is not None
        assert context.trace_id == command.trace_id
        assert context.span_id != command.span_id


def test_an_untraced_upstream_event_starts_a_trace_of_its_own() -> None:
    with reacting_to({"type": "x"}) as first, reacting_to({"traceparent": "bad"}) as second:
        assert first.trace_id != second.trace_id
        assert tracing.current() == second
    assert tracing.current() is None


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_every_log_line_names_the_trace(monkeypatch: pytest.MonkeyPatch, log_format: str) -> None:
    monkeypatch.setenv("DUTYTRAIL_LOG_FORMAT", log_format)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure_logging("probe")
        stream = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        context = tracing.new_trace()
        with tracing.tracing(context):
            logging.getLogger("probe").warning("inside")
        logging.getLogger("probe").warning("outside")
        inside, outside = stream.getvalue().splitlines()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    if log_format == "json":
        assert json.loads(inside)["trace_id"] == context.trace_id
        assert json.loads(outside)["trace_id"] is None
    else:
        assert f"trace={context.trace_id}: inside" in inside
        assert "trace=" not in outside

"""A consumer fed duplicates, shuffled deliveries and a PostgreSQL store whose positions have
holes applies every upstream event exactly once, in order, and never stalls (docs/reliability.md).

The first tests drive :class:`shared.feed.UpstreamFeed` directly, over a real store (SQLite
and PostgreSQL), with an in-memory upstream whose positions have holes. The last one runs the
real responsibility service, its relay and the probe consumer as nameko containers on the
real broker.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from typing import Any
from uuid import uuid4

import eventlet
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventlet.greenthread import GreenThread
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.application import Responsibilities
from services.responsibility.service import ResponsibilityService
from shared.actors import Actor
from shared.envelope import CONTENT_TYPE, encode, format_position, parse_position
from shared.errors import PoisonMessageError
from shared.feed import UpstreamFeed
from shared.nameko_kit import consumer as kit_consumer
from shared.nameko_kit import service_config
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.relay import Relay, event_exchange_name
from shared.roles import PARTY_COMMITTEE
from shared.settings import StoreSettings
from shared.signing import EventSigner, EventVerifier
from tests.integration.probe_consumer import (
    IGNORED_TYPES,
    OUTCOMES,
    PROBE_STORE,
    UPSTREAM,
    AppliedLog,
    LedgerProbe,
    RawMessage,
    assert_no_other_consumers,
    delete_queues,
    handler_queue_name,
    log_id,
    probe_service,
    publish_raw,
    running,
    stop_container,
    wait_until,
)

IGNORED_TYPE = next(iter(IGNORED_TYPES))
APPLIED_TYPE = "dutytrail.responsibility.unit_registered.v1"
FAKE_ACTOR = {"person_id": str(uuid4()), "unit_id": str(uuid4())}
# Positions with holes, as PostgreSQL leaves them after rolled-back inserts.
HOLEY_POSITIONS = [1, 2, 4, 5, 6, 9, 10, 11, 15, 16, 17, 18, 20, 23, 24, 25, 26, 30, 31, 33]


# In-memory upstream for the feed-level tests.


class FakeUpstream:
    """The responsibility service's catch-up RPC, in memory: valid ``unit_registered``
    CloudEvents (or an ignored type) at the given positions, paged, signed with the
    responsibility service's (development) key as the service signs them."""

    name = UPSTREAM

    def __init__(self, positions: list[int], ignored: set[int] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        signer = EventSigner.for_service(UPSTREAM)
        previous = 0
        for position in positions:
            kind = IGNORED_TYPE if position in (ignored or set()) else APPLIED_TYPE
            unit_id = str(uuid4())
            self.events.append(signer.sign({
                "specversion": "1.0",
                "id": f"{unit_id}:1",
                "source": f"/dutytrail/{UPSTREAM}",
                "type": kind,
                "time": "2026-01-10T09:00:00+00:00",
                "recordedtime": "2026-01-10T09:00:01.250000+00:00",
                "subject": unit_id,
                "sequence": format_position(position),
                "prevsequence": format_position(previous),
                "datacontenttype": "application/json",
                "dataschema": f"urn:dutytrail:schema:{kind}",
                "dataclassification": "public",
                "data": {
                    "unit_id": unit_id, "code": f"U{position}", "name": f"单位 {position}",
                    "kind": "town", "parent_unit_id": None, "actor": FAKE_ACTOR,
                },
            }))
            previous = position
        self.pulls = 0
        self.failures_left = 0

    def pull(self, after: int, limit: int) -> list[dict[str, Any]]:
        self.pulls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError(f"{self.name} is unreachable")
        return [e for e in self.events if parse_position(e["sequence"]) > after][:limit]

    def positions(self, *, applied_only: bool = False) -> list[int]:
        return [
            parse_position(e["sequence"]) for e in self.events
            if not applied_only or e["type"] not in IGNORED_TYPES
        ]


@pytest.fixture
def probe(any_store: StoreSettings) -> Iterator[LedgerProbe]:
    app = LedgerProbe(store_environment(PROBE_STORE, any_store))
    yield app
    app.close()


def feed_for(app: LedgerProbe, upstream: FakeUpstream, page_size: int = 500) -> UpstreamFeed:
    """The feed exactly as the kit builds it: the application's reactions for the upstream,
    and the upstream's public key."""
    return UpstreamFeed(
        app, upstream.name, Reactions(app, upstream.name), page_size=page_size,
        verifier=EventVerifier.for_service(upstream.name),
    )


def fresh(app: LedgerProbe) -> list[int]:
    """What the store says now (a new application instance, no cache)."""
    reader = LedgerProbe(app.env)
    try:
        return reader.applied_positions(UPSTREAM)
    finally:
        reader.close()


def test_in_order_deliveries_cross_holes_on_the_fast_path_and_duplicates_are_no_ops(
    probe: LedgerProbe,
) -> None:
    upstream = FakeUpstream(HOLEY_POSITIONS)
    feed = feed_for(probe, upstream)
    outcomes = [feed.deliver(e, upstream.pull) for e in upstream.events]
    assert outcomes == ["applied"] * len(HOLEY_POSITIONS)
    assert upstream.pulls == 0, "prevsequence chains across holes: no pull needed"

    again = [feed.deliver(e, upstream.pull) for e in reversed(upstream.events)]
    again += [feed.deliver(e, upstream.pull) for e in upstream.events]
    assert set(again) == {"duplicate"}
    assert upstream.pulls == 0
    assert fresh(probe) == HOLEY_POSITIONS
    assert probe.position() == HOLEY_POSITIONS[-1]


@pytest.mark.parametrize("seed", range(4))
def test_shuffled_deliveries_with_duplicates_apply_every_event_once_in_order(
    probe: LedgerProbe, seed: int
) -> None:
    rng = random.Random(seed)
    upstream = FakeUpstream(HOLEY_POSITIONS)
    deliveries = upstream.events * 3
    rng.shuffle(deliveries)
    feed = feed_for(probe, upstream, page_size=4)  # several pages per pull
    outcomes = Counter(feed.deliver(e, upstream.pull) for e in deliveries)

    assert fresh(probe) == HOLEY_POSITIONS
    assert probe.position() == HOLEY_POSITIONS[-1]
    assert outcomes["duplicate"] >= 2 * len(HOLEY_POSITIONS)
    assert outcomes["applied"] + outcomes["pulled"] + outcomes["duplicate"] == len(deliveries)
    assert not feed.behind


def test_concurrent_shuffled_deliveries_apply_every_event_once_in_order(
    probe: LedgerProbe,
) -> None:
    """nameko runs handlers concurrently: the feed's lock must keep them in order."""
    upstream = FakeUpstream(list(range(1, 41)))
    deliveries = upstream.events * 2
    random.Random(7).shuffle(deliveries)
    feed = feed_for(probe, upstream, page_size=5)
    pool = eventlet.GreenPool(10)
    outcomes = Counter(pool.imap(lambda e: feed.deliver(e, upstream.pull), deliveries))
    assert fresh(probe) == list(range(1, 41))
    assert outcomes["duplicate"] >= 40


def test_ignored_types_still_advance_tracking(probe: LedgerProbe) -> None:
    ignored = {4, 5, 10, 33}
    upstream = FakeUpstream(HOLEY_POSITIONS, ignored=ignored)
    feed = feed_for(probe, upstream)
    outcomes = [feed.deliver(e, upstream.pull) for e in upstream.events]
    # Each event after an ignored one names it as prevsequence: still the fast path.
    assert outcomes == ["applied"] * len(HOLEY_POSITIONS)
    assert upstream.pulls == 0
    assert fresh(probe) == [p for p in HOLEY_POSITIONS if p not in ignored]
    # The last event is ignored, and yet it is the recorded position.
    assert probe.position() == 33
    assert feed.deliver(upstream.events[-1], upstream.pull) == "duplicate"


def test_a_failed_pull_leaves_the_feed_behind_until_a_retry_catches_up(
    probe: LedgerProbe,
) -> None:
    upstream = FakeUpstream(HOLEY_POSITIONS)
    feed = feed_for(probe, upstream, page_size=3)
    upstream.failures_left = 1
    # The last event arrives first: not the next one, and the pull fails.
    assert feed.deliver(upstream.events[-1], upstream.pull) == "pulled"
    assert feed.behind
    assert probe.position() == 0
    assert fresh(probe) == []
    # What the timer does: pull again, page by page, until the upstream is exhausted.
    assert feed.pull(upstream.pull) == len(HOLEY_POSITIONS)
    assert not feed.behind
    assert fresh(probe) == HOLEY_POSITIONS
    assert upstream.pulls == 1 + len(HOLEY_POSITIONS) // 3 + 1


def test_a_failure_on_the_fast_path_leaves_the_feed_behind_so_the_timer_applies_it(
    probe: LedgerProbe,
) -> None:
    """The last event fails to apply (a store outage, say) until the broker gives up on it:
    no later message will come to wake the feed, so the timer's pull must apply it."""
    upstream = FakeUpstream([1, 2, 4])
    feed = feed_for(probe, upstream)
    for cloud_event in upstream.events[:2]:
        assert feed.deliver(cloud_event, upstream.pull) == "applied"
    policy = feed.policy
    failures = [ConnectionError("store unreachable")] * 3

    def failing_policy(cloud_event: dict[str, Any]) -> Any:
        if failures:
            raise failures.pop()
        return policy(cloud_event)

    feed.policy = failing_policy
    for _ in range(3):  # the first delivery and two redeliveries, then dead-lettered
        with pytest.raises(ConnectionError):
            feed.deliver(upstream.events[2], upstream.pull)
    assert feed.behind
    assert probe.position() == 2
    assert feed.pull(upstream.pull) == 1
    assert not feed.behind
    assert fresh(probe) == [1, 2, 4]


def test_a_conflict_with_a_local_command_is_retried_and_applied_once(
    probe: LedgerProbe, any_store: StoreSettings
) -> None:
    """A command changes the policy's aggregate at the same moment: the feed's insert loses
    (optimistic concurrency), runs the policy again on fresh state and applies once."""
    upstream = FakeUpstream([1, 2, 3, 5, 8])
    feed = feed_for(probe, upstream)
    for cloud_event in upstream.events[:2]:
        assert feed.deliver(cloud_event, upstream.pull) == "applied"

    policy = feed.policy
    interfered: list[int] = []

    def racing_policy(cloud_event: dict[str, Any]) -> Any:
        changed = policy(cloud_event)
        if not interfered:
            interfered.append(parse_position(cloud_event["sequence"]))
            other = LedgerProbe(probe.env)  # another process's command, same aggregate
            other.note(UPSTREAM, "a clerk's command")
            other.close()
        return changed

    feed.policy = racing_policy
    before = probe.recorder.max_notification_id() or 0
    for cloud_event in upstream.events[2:]:
        assert feed.deliver(cloud_event, upstream.pull) == "applied"

    assert interfered == [3]
    assert fresh(probe) == [1, 2, 3, 5, 8]
    reader = LedgerProbe(probe.env)
    log: AppliedLog = reader.repository.get(log_id(UPSTREAM))
    reader.close()
    assert log.notes == ["a clerk's command"]
    assert probe.position() == 8
    ids = [n.id for n in probe.recorder.select_notifications(start=before + 1, limit=100)]
    assert len(ids) == 1 + 3  # the note, then positions 3, 5 and 8
    if any_store.backend == "postgres":
        # The losing insert rolled back and burned a notification id: the consumer's own
        # store now has a hole, and nothing read it as a missing event.
        assert ids[-1] - before > len(ids), f"expected a hole after {before}: {ids}"


# Only verified events move the position (docs/contract.md, "Verifying events").

INVALID = ["tampered", "unsigned", "wrong_key", "unknown_type", "ignored_type_tampered"]


def invalid_copy(event: dict[str, Any], how: str) -> dict[str, Any]:
    """``event`` spoilt: altered after signing, unsigned, signed with another key, or of a
    type no contract registers (signed with the upstream's own key)."""
    spoilt = copy.deepcopy(event)
    if how in ("tampered", "ignored_type_tampered"):
        spoilt["data"]["name"] = "伪造"
        if how == "ignored_type_tampered":
            spoilt["type"] = IGNORED_TYPE
    elif how == "unsigned":
        del spoilt["dssematerial"], spoilt["signedextattrs"]
    elif how == "wrong_key":
        EventSigner(UPSTREAM, Ed25519PrivateKey.generate()).sign(spoilt)
    else:
        spoilt["type"] = spoilt["dataschema"] = "dutytrail.responsibility.unit_renamed.v1"
        EventSigner.for_service(UPSTREAM).sign(spoilt)
    return spoilt


@pytest.mark.parametrize("how", INVALID)
def test_a_delivered_event_that_fails_verification_is_poison_and_moves_nothing(
    probe: LedgerProbe, how: str
) -> None:
    upstream = FakeUpstream([1, 2, 4])
    feed = feed_for(probe, upstream)
    assert feed.deliver(upstream.events[0], upstream.pull) == "applied"
    genuine = upstream.events[1]
    with pytest.raises(PoisonMessageError):
        feed.deliver(invalid_copy(genuine, how), upstream.pull)
    assert probe.position() == 1
    assert fresh(probe) == [1]
    assert upstream.pulls == 0
    for cloud_event in upstream.events[1:]:
        assert feed.deliver(cloud_event, upstream.pull) == "applied"
    assert fresh(probe) == [1, 2, 4]
    assert probe.position() == 4


@pytest.mark.parametrize("how", INVALID)
def test_a_pulled_page_stops_before_an_event_that_fails_verification(
    probe: LedgerProbe, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = FakeUpstream(HOLEY_POSITIONS)
    genuine = upstream.events[5]
    upstream.events[5] = invalid_copy(genuine, how)
    feed = feed_for(probe, upstream, page_size=4)
    # The last event arrives first: a wake-up; the pull applies what precedes the spoilt one.
    with caplog.at_level("ERROR", logger="shared.feed"):
        assert feed.deliver(upstream.events[-1], upstream.pull) == "pulled"
    assert fresh(probe) == HOLEY_POSITIONS[:5]
    assert probe.position() == HOLEY_POSITIONS[4]
    assert feed.behind
    assert f"staying at position {HOLEY_POSITIONS[4]}" in caplog.text
    assert feed.retry(upstream.pull) == 0  # the timer, again and again: still stuck there
    assert probe.position() == HOLEY_POSITIONS[4]
    assert feed.behind
    upstream.events[5] = genuine  # the upstream's page is sound again
    assert feed.retry(upstream.pull) == len(HOLEY_POSITIONS) - 5
    assert fresh(probe) == HOLEY_POSITIONS
    assert not feed.behind


# The whole path: real service, relay, broker and consumer containers.

# The clerk who registers everything over RPC, in the party committee's role (the token
# names them; the command does not).
ACTOR = {"person_id": str(uuid4()), "unit_id": str(uuid4())}


def command(**fields: Any) -> dict[str, Any]:
    return dict(fields)


def to_raw(cloud_event: dict[str, Any]) -> RawMessage:
    return RawMessage(
        routing_key=cloud_event["type"], body=encode(cloud_event).encode("utf-8"),
        content_type=CONTENT_TYPE, message_id=cloud_event["id"],
    )


def upstream_positions(app: Responsibilities) -> tuple[list[int], list[int]]:
    """All stored positions, and those the probe records (not of an ignored type)."""
    page = app.events_after(0, 500)
    assert len(page) < 500
    every = [parse_position(e["sequence"]) for e in page]
    applied = [parse_position(e["sequence"]) for e in page if e["type"] not in IGNORED_TYPES]
    return every, applied


def holes(positions: list[int]) -> set[int]:
    return set(range(1, positions[-1] + 1)) - set(positions)


def register_same_unit_twice_at_once(cluster: Any, code: str) -> None:
    """Two clerks register one unit at the same moment: both save version 1 of the same
    aggregate; one insert wins, the other rolls back (on PostgreSQL, burning an id)."""
    cmd = command(code=code, name=f"单位 {code}", kind="town")
    replies = [cluster.responsibility.register_unit.call_async(cmd) for _ in range(2)]
    results: list[str] = []
    refused: list[str] = []
    for reply in replies:
        try:
            results.append(reply.result())
        except RemoteError as error:
            refused.append(error.exc_type)
    assert len(results) == 1
    assert refused == ["UnitAlreadyRegisteredError"]


def test_consumer_over_the_broker_applies_everything_once_in_order_and_never_stalls(
    any_store: StoreSettings, use_store: Any, amqp_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_store(any_store)
    assert_no_other_consumers(amqp_uri, f"rpc-{UPSTREAM}")
    # A pull whose upstream is down gives up after a second (the timer retries).
    monkeypatch.setattr(kit_consumer, "PULL_TIMEOUT_SECONDS", 1.0)
    name = f"ledger_probe_{uuid4().hex[:8]}"
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    stack = ExitStack()
    stack.callback(
        delete_queues,
        amqp_uri, handler_queue_name(UPSTREAM, name, "on_responsibility_event"), f"rpc-{name}",
    )
    upstream = stack.enter_context(closing(Responsibilities()))
    reader = stack.enter_context(closing(LedgerProbe()))
    outcomes = OUTCOMES.setdefault(name, Counter())

    def state() -> tuple[int, list[int]]:
        # The reader's repository has no cache: each call reads the probe's store afresh.
        return reader.position(), reader.applied_positions()

    def caught_up() -> bool:
        every, applied = upstream_positions(upstream)
        return state() == (every[-1], applied)

    def describe() -> str:
        return f"probe at {state()}, upstream at {upstream_positions(upstream)}"

    with stack:
        responsibility = ServiceContainerHandle(ResponsibilityService, config)
        stack.callback(responsibility.stop)
        stack.enter_context(running(probe_service(name), config))
        acting = Acting(stack.enter_context(ClusterRpcProxy(config)))
        cluster = acting.as_(ACTOR["person_id"], ACTOR["unit_id"], PARTY_COMMITTEE)

        # 1. Live: commands (some of them racing) published by the relay as they land.
        relay = Relay(UPSTREAM, any_store, uri=amqp_uri, poll_interval=0.02)
        relay_thread = eventlet.spawn(relay.run)
        stack.callback(close_relay, relay, relay_thread)
        parent = cluster.responsibility.register_unit(
            command(code="D0", name="区委", kind="party_committee")
        )
        for i in range(6):
            unit = cluster.responsibility.register_unit(
                command(code=f"T{i}", name=f"镇 {i}", kind="town", parent_unit_id=parent)
            )
            if i % 2 == 0:
                register_same_unit_twice_at_once(cluster, f"R{i}")
            cluster.responsibility.register_cadre(command(
                person_id=str(uuid4()), name=f"干部 {i}", unit_id=unit,
                post_title="书记", line_of_work="党务", leadership_member=True,
            ))
        # (On a loaded 2-core machine the PostgreSQL run has needed more than 20 s.)
        wait_until(caught_up, timeout=60, message=describe)
        relay.stop()
        relay_thread.wait()
        every, applied = upstream_positions(upstream)
        assert len(every) == 16  # 10 units, 6 cadres (an ignored type)
        if any_store.backend == "postgres":
            # Three conflicts burned three ids between published events.
            assert len(holes(every)) == 3, every
        assert outcomes["applied"] >= 1
        published = every[-1]

        # 2. Shuffled and duplicated deliveries of new events, mixed with old ones.
        for i in range(6, 10):
            cluster.responsibility.register_unit(
                command(code=f"T{i}", name=f"镇 {i}", kind="town", parent_unit_id=parent)
            )
        register_same_unit_twice_at_once(cluster, "R9")
        page = upstream.events_after(0, 500)
        new = [e for e in page if parse_position(e["sequence"]) > published]
        old = [e for e in page if parse_position(e["sequence"]) <= published]
        assert len(new) == 5
        rng = random.Random(42)
        mixed = new * 3 + rng.sample(old, 6)
        rng.shuffle(mixed)
        if parse_position(mixed[0]["prevsequence"]) == published:  # start out of order
            mixed.append(mixed.pop(0))
        def messages_handled() -> int:
            # The pull timer may fire meanwhile on a loaded machine: its pulls are not messages.
            return outcomes.total() - outcomes["timer_pulled"]

        handled, duplicates = messages_handled(), outcomes["duplicate"]
        publish_raw(amqp_uri, event_exchange_name(UPSTREAM), map(to_raw, mixed))
        wait_until(lambda: messages_handled() - handled == len(mixed), message=describe)
        assert caught_up(), describe()
        # Every old event is a no-op; a copy of a new one is either a no-op or a wake-up
        # that pulls nothing new (when it raced with the pull that applied it).
        assert outcomes["duplicate"] - duplicates >= 6

        # 3. The upstream goes away while events are stored and no message announces them
        # (the relay is stopped): the kit's pull timer fails, the feed falls behind, and the
        # timer alone catches up once the upstream is back.
        responsibility.stop()
        clerk = Actor(person_id=uuid4(), unit_id=uuid4())
        for i in range(10, 13):
            upstream.register_unit(
                code=f"T{i}", name=f"镇 {i}", kind="town", parent_unit_id=None, actor=clerk
            )
        before = state()
        timer_pulled = outcomes["timer_pulled"]
        handled = outcomes.total() - timer_pulled
        wait_until(lambda: cluster_status(cluster, name)["behind"], message="falling behind")
        eventlet.sleep(1.5)  # at least one more timer retry fails too
        assert state() == before
        responsibility.start()
        wait_until(caught_up, message=describe)
        assert outcomes["timer_pulled"] - timer_pulled == 3, outcomes
        assert outcomes.total() - outcomes["timer_pulled"] == handled  # no message came
        assert not cluster_status(cluster, name)["behind"]

        # 4. A relay that restarts publishes again what it published before its crash
        # (here: everything since step 1): each one is a no-op.
        duplicates = outcomes["duplicate"]
        restarted = Relay(UPSTREAM, any_store, uri=amqp_uri)
        stack.callback(close_relay, restarted)
        again = restarted.drain()
        assert again == 8
        wait_until(lambda: outcomes["duplicate"] - duplicates == again, message=describe)
        every, applied = upstream_positions(upstream)
        assert state() == (every[-1], applied)
        assert len(applied) == len(set(applied)) == 18
        if any_store.backend == "postgres":
            assert len(holes(every)) == 4, every


def close_relay(relay: Relay, thread: GreenThread | None = None) -> None:
    """Stop a relay and release its stores' connections (else their pools are closed by the
    garbage collector at exit, which eventlet refuses)."""
    relay.stop()
    if thread is not None:
        thread.wait()  # run() closes the relay on its way out
    else:
        relay.close()


def cluster_status(cluster: Any, service_name: str) -> dict[str, Any]:
    status: dict[str, Any] = getattr(cluster, service_name).status()
    return status


class ServiceContainerHandle:
    """The responsibility service, which the test stops and starts again."""

    def __init__(self, service_cls: type[Any], config: dict[str, Any]) -> None:
        self.service_cls = service_cls
        self.config = config
        self.container: ServiceContainer | None = None
        self.start()

    def start(self) -> None:
        assert self.container is None
        self.container = ServiceContainer(self.service_cls, self.config)
        self.container.start()

    def stop(self) -> None:
        if self.container is not None:
            container, self.container = self.container, None
            stop_container(container)


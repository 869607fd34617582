"""Read models in the store (issue 8, items 1 and 2), on SQLite and on PostgreSQL.

The stored versions are checked against the definition of "as of": the log replayed with
every act whose business time is after the moment left out. A restarted application reads its
read model from the rows (it replays nothing), and two applications following one store write
each event's versions once.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from dutytrail_ops.demo.supervision import SupervisionYear
from dutytrail_ops.demo.timeline import DemoContext, first_monday
from services.funds.views import FundsView
from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from services.supervision.application import Supervision
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from shared.actors import Actor
from shared.clock import end_of_day
from shared.feed import UpstreamFeed
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.readmodel import Projection
from shared.settings import StoreSettings
from shared.view_store import EventChanges, RecordChange, ViewStore, open_view_store
from tests.integration.test_demo_reproducible import (
    SEED,
    InProcess,
    _clock_identity,
    register_district,
)
from tests.unit.test_funds_rules import World

YEAR = 2025
WEEKS = 12


def state(projection: Projection) -> dict[str, Any]:
    """What a read model holds: its stored records and plain attributes."""
    held: dict[str, Any] = {name: dict(getattr(projection, name)) for name in projection.stored}
    held.update({name: getattr(projection, name) for name in projection.stored_scalars})
    return held


def assert_rows_are_the_replay(app: Any, live: Projection, days: list[date]) -> None:
    """Each day's answer from the rows is the log replayed up to the end of that day."""
    store = live.store
    assert store is not None, "the read model is not kept in the store"
    cls = type(live)
    for day in days:
        until = end_of_day(day)
        from_rows, replayed = cls.from_rows(store, until), cls.replayed(app, until)
        assert state(from_rows) == state(replayed), f"{cls.__name__} as of {day} differs"
        assert any(state(replayed).values()) or day < date(YEAR, 1, 2)


def every_week(start: date, weeks: int) -> list[date]:
    return [start + timedelta(days=7 * n + n % 7) for n in range(weeks)]


class SupervisionPlayed:
    """The supervision demo's first weeks, in process (tests/integration/
    test_demo_reproducible.py), with both applications left open."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.upstream = Responsibilities(store_environment("responsibility", settings))
        self.app = self.open()
        feed = UpstreamFeed(self.app, "responsibility", Reactions(self.app, "responsibility"))
        pc, units, communities, cadres, persons = register_district(self.upstream, YEAR)
        feed.pull(self.upstream.events_after)
        acting = InProcess(self.app, lambda: None)
        ctx = DemoContext(acting, random.Random(SEED), SEED, YEAR, ["supervision"])  # type: ignore[arg-type]
        played = SupervisionYear(ctx, ctx.rng, YEAR, units[0][0], pc, units[1:], communities,
                                 cadres, persons)
        played.start()
        played.disclosure_trail()
        clock = acting.as_(*_clock_identity())
        monday = first_monday(YEAR)
        for _ in range(WEEKS):
            clock.supervision.check_deadlines({"as_of": f"{monday.isoformat()}T09:30:00+00:00"})
            played.play_week(monday)
            monday += timedelta(days=7)
        self.end = monday

    def open(self) -> Supervision:
        return Supervision(store_environment("supervision", self.settings), SupervisionSettings(
            reporting=replace(DEFAULT_REPORTING, commission_unit_code="D01")))

    def close(self) -> None:
        self.app.close()
        self.upstream.close()


@pytest.fixture
def played(any_store: StoreSettings) -> Iterator[SupervisionPlayed]:
    scenario = SupervisionPlayed(any_store)
    yield scenario
    scenario.close()


def test_as_of_any_day_from_the_rows_is_the_replay_up_to_that_day(played):
    app = played.app
    live = app.as_of()
    assert live.position == app.last_position() > 150
    assert_rows_are_the_replay(app, live, every_week(date(YEAR, 1, 1), WEEKS + 2))
    # The live answer is the rows' current versions, and what a full replay gives.
    everything = end_of_day(played.end + timedelta(days=400))
    assert state(live) == state(type(live).replayed(app, everything))
    # A moment after every act is the live read model itself, not a query.
    assert live.latest is not None
    assert app.as_of(live.latest) is live
    assert app.as_of(date(YEAR, 2, 1)) is not live


def test_a_restarted_application_reads_its_read_model_from_the_rows(played):
    before = state(played.app.as_of())
    stored_position = played.app.as_of().store.position()
    assert stored_position == played.app.last_position()
    restarted = played.open()
    try:
        starts: list[int] = []
        select = restarted.recorder.select_notifications

        def counted(*args: Any, **kwargs: Any) -> Any:
            starts.append(kwargs.get("start", args[0] if args else 0))
            return select(*args, **kwargs)

        restarted.recorder.select_notifications = counted
        assert state(restarted.as_of()) == before
        # It read the log only after the stored position: nothing was replayed.
        assert starts == [stored_position]
        # Acts on records it loaded (not created since the start) are applied to them.
        later = datetime.combine(played.end + timedelta(days=60), datetime.min.time(), UTC)
        assert restarted.check_deadlines(later)
        assert restarted.last_position() > stored_position
        everything = end_of_day(played.end + timedelta(days=400))
        assert state(restarted.as_of()) == state(type(restarted.live).replayed(restarted,
                                                                              everything))
        assert state(restarted.as_of()) != before
    finally:
        restarted.close()


def test_two_applications_following_one_store_write_each_version_once(any_store):
    first = Responsibilities(store_environment("responsibility", any_store))
    second = Responsibilities(store_environment("responsibility", any_store))
    try:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        start = datetime(YEAR, 1, 2, 9, tzinfo=UTC)
        pc = first.register_unit(code="PC", name="区委", kind="party_committee",
                                 actor=founder, occurred_at=start)
        committee = Actor(person_id=uuid.uuid4(), unit_id=pc)
        stop = threading.Event()

        def follow() -> None:
            while not stop.is_set():
                second.as_of()
                time.sleep(0.001)  # green threads (eventlet) share the hub: let the writer run

        follower = threading.Thread(target=follow)
        follower.start()
        try:
            for n in range(60):
                unit = first.register_unit(
                    code=f"U{n:02}", name=f"单位{n}", kind="district_department",
                    parent_unit_id=pc, actor=committee, occurred_at=start + timedelta(days=n),
                )
                first.as_of()
                if n % 3 == 0:
                    first.register_cadre(
                        person_id=uuid.uuid4(), name=f"负责人{n}", unit_id=unit,
                        post_title="局长", line_of_work="全面", leadership_member=True,
                        top_leader=True, actor=committee,
                        occurred_at=start + timedelta(days=n, hours=1),
                    )
        finally:
            stop.set()
            follower.join()
        first.as_of()
        second.as_of()
        store = first.as_of().store
        assert store is not None
        written = versions_of_every_record(store, first.as_of())
        assert state(first.as_of()) == state(second.as_of())
        # Rebuilt from position 0 by one application alone, the rows are the same.
        store.drop()
        rebuilt = Responsibilities(store_environment("responsibility", any_store))
        try:
            rebuilt.as_of()
            again = rebuilt.as_of().store
            assert again is not None
            assert versions_of_every_record(again, rebuilt.as_of()) == written
        finally:
            rebuilt.close()
    finally:
        first.close()
        second.close()


def versions_of_every_record(store: ViewStore, live: Projection) -> dict[tuple[str, str], Any]:
    """Every record's versions; each record's versions follow one another without a gap or an
    overlap, and only the last is open."""
    codec = live.codec()
    found = {}
    for name in live.stored:
        for record_key in dict.keys(getattr(live, name)):
            key = codec.encode(record_key)
            versions = store.versions(name, key)
            assert versions, (name, record_key)
            for (_, valid_to, _, _), (valid_from, _, _, _) in itertools.pairwise(versions):
                assert valid_to == valid_from
            assert versions[-1][1] is None
            found[(name, key)] = versions
    return found


def test_an_act_recorded_late_with_an_earlier_business_time_changes_the_days_it_covers(
    any_store,
):
    app = Responsibilities(store_environment("responsibility", any_store))
    try:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        start = datetime(YEAR, 1, 2, 9, tzinfo=UTC)
        pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=founder,
                               occurred_at=start)
        committee = Actor(person_id=uuid.uuid4(), unit_id=pc)
        dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                                 parent_unit_id=pc, actor=committee, occurred_at=start)
        director = app.register_cadre(
            person_id=uuid.uuid4(), name="局长某", unit_id=dept, post_title="局长",
            line_of_work="财务", leadership_member=True, top_leader=True, actor=committee,
            occurred_at=start,
        )

        def draft(on: datetime) -> UUID:
            return app.draft_letter(letter=LetterContent.model_validate({
                "year": YEAR, "issuer_unit_id": pc, "signatory_unit_id": dept,
                "signatory_cadre_id": director, "common_clauses": ["认真履行一岗双责"],
                "individual_clauses": [], "top_leader_duties": [],
            }), actor=committee, occurred_at=on)

        # A draft of 10 January given its duties in March; then, recorded last, a clause
        # written on 1 February.
        early = draft(datetime(YEAR, 1, 10, 9, tzinfo=UTC))
        app.set_top_leader_duties(letter_id=early, duties=["对本单位负总责"], actor=committee,
                                  occurred_at=datetime(YEAR, 3, 1, 9, tzinfo=UTC))
        app.as_of()
        app.add_individual_clause(letter_id=early, text="资金拨付全程留痕", risk_point="资金拨付",
                                  actor=committee,
                                  occurred_at=datetime(YEAR, 2, 1, 9, tzinfo=UTC))
        # A draft of 1 March given a clause dated 15 February (before the draft existed).
        late = draft(datetime(YEAR, 3, 1, 10, tzinfo=UTC))
        app.as_of()
        app.add_individual_clause(letter_id=late, text="政府采购公开招标", risk_point="政府采购",
                                  actor=committee,
                                  occurred_at=datetime(YEAR, 2, 15, 9, tzinfo=UTC))
        days = [date(YEAR, 1, 9), date(YEAR, 1, 10), date(YEAR, 1, 31), date(YEAR, 2, 1),
                date(YEAR, 2, 20), date(YEAR, 3, 1), date(YEAR, 3, 2)]
        assert_rows_are_the_replay(app, app.as_of(), days)
        clauses = {d: [c["text"] for c in app.get_letter(early, as_of=d).individual_clauses]
                   for d in (date(YEAR, 1, 31), date(YEAR, 2, 1), date(YEAR, 3, 2))}
        assert clauses == {date(YEAR, 1, 31): [], date(YEAR, 2, 1): ["资金拨付全程留痕"],
                           date(YEAR, 3, 2): ["资金拨付全程留痕"]}
        assert late not in app.as_of(date(YEAR, 2, 20)).letters
        assert app.get_letter(late, as_of=date(YEAR, 3, 1)).individual_clauses[0]["text"] == (
            "政府采购公开招标"
        )
    finally:
        app.close()




# Run without eventlet: eventlet's monkey-patched queue has no ``mutex``, which the library's
# subscription needs, so the library drives the projection in a process of its own.
SUBSCRIBED = """
import json, sys
from eventsourcing.projection import ApplicationSubscription
from services.supervision.application import Supervision
from services.supervision.views import Overview
from shared.persistence import store_environment
from shared.settings import StoreSettings
from shared.view_store import open_view_store

class Subscribed(Overview):
    pass

env = store_environment("supervision", StoreSettings.postgres(sys.argv[1]))
app = Supervision(env)
last = app.last_position()
fed = Subscribed()
fed.attach(open_view_store("supervision", Subscribed.name, env))
repeated = 0
with ApplicationSubscription(app, gt=0) as subscription:
    for domain_event, tracking in subscription:
        fed.process_event(domain_event, tracking)
        if tracking.notification_id % 50 == 0:
            fed.process_event(domain_event, tracking)  # delivered twice
            repeated += 1
        if tracking.notification_id >= last:
            break
print(json.dumps({"position": fed.view.position(), "repeated": repeated}))
fed.view.close()
app.close()
"""


def test_the_librarys_subscription_driving_process_event_leaves_the_rows_of_the_catch_up(
    postgres_store,
):
    """The read model is an ``eventsourcing.projection.Projection``: fed event by event by the
    library's ``ApplicationSubscription`` (PostgreSQL can be subscribed to), its view holds
    the same versions as the service's paged catch-up writes, and an event delivered twice is
    applied once."""
    import json
    import subprocess
    import sys

    from services.supervision.views import Overview
    from shared.view_store import open_view_store

    class Subscribed(Overview):  # the projection's name is the class's: tables of its own
        pass

    played = SupervisionPlayed(postgres_store)
    try:
        app = played.app
        caught_up = app.as_of()
        done = subprocess.run(
            [sys.executable, "-c", SUBSCRIBED, postgres_store.pg_schema_prefix],
            capture_output=True, text=True, timeout=240, check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        assert answer == {"position": app.last_position(), "repeated": answer["repeated"]}
        assert answer["repeated"] > 0
        env = store_environment("supervision", postgres_store)
        store = open_view_store("supervision", Subscribed.name, env)
        assert store is not None
        try:
            fed = Subscribed.from_rows(store, end_of_day(played.end + timedelta(days=400)))
            assert state(fed) == state(caught_up)
            caught_up_store = caught_up.store
            assert caught_up_store is not None
            assert versions_of_every_record(store, fed) == versions_of_every_record(
                caught_up_store, caught_up
            )
        finally:
            store.drop()
            store.close()
    finally:
        played.close()


def _random_history(seed: int, events: int) -> list[EventChanges]:
    """Acts on a handful of records with business times out of order: backdated acts, some
    removing the record, and records created again after their removal, some dated before
    it. A record at most once an event."""
    rng = random.Random(seed)
    history = []
    for position in range(1, events + 1):
        changes = [
            RecordChange("letters", f'"{key}"',
                         None if rng.random() < 0.2 else json.dumps({"v": position}))
            for key in rng.sample(["a", "b", "c", "d"], rng.randint(1, 2))
        ]
        history.append(EventChanges(position, rng.randint(1, 30) * 1_000, changes, position))
    return history


def _recompute(domain_event: Any, kind: str, key: str, body: str | None) -> str | None:
    """A backdated act on a later version: noted in it, or (every third act) left out; where
    the record did not stand, it creates it."""
    if domain_event % 3 == 0:
        return None
    old = {"v": domain_event} if body is None else json.loads(body)
    return json.dumps({**old, "by": sorted({*old.get("by", []), domain_event})})


@pytest.mark.parametrize("seed", range(6))
def test_a_page_written_at_once_gives_the_versions_of_one_event_a_write(
    seed: int, postgres_store: StoreSettings, sqlite_store: StoreSettings
) -> None:
    """PostgreSQL reads a page's current versions in one query and keeps them as it writes
    (``_Writer.currents``); the rows must be those of SQLite, which reads each record's
    before each change, one event a write."""
    history = _random_history(seed, 80)
    paged = open_view_store("responsibility", "paging", store_environment(
        "responsibility", postgres_store))
    sqlite_store.var_dir.mkdir(parents=True, exist_ok=True)
    single = open_view_store("responsibility", "paging", store_environment(
        "responsibility", sqlite_store))
    assert paged is not None and single is not None
    try:
        for start in range(0, len(history), 20):
            page = history[start:start + 20]
            assert paged.write(Tracking("paging", page[-1].position), page, _recompute)
        for event in history:
            assert single.write(Tracking("paging", event.position), [event], _recompute)
        for key in ('"a"', '"b"', '"c"', '"d"'):
            assert paged.versions("letters", key) == single.versions("letters", key)
        assert paged.position() == single.position() == len(history)
    finally:
        paged.close()
        single.close()


def test_payments_dated_back_reversed_and_paid_again_give_the_replay_on_every_day(
    any_store: StoreSettings,
) -> None:
    """Funds acts recorded out of business-time order: a payment dated before the others, a
    payment reversed and paid again for the same month on the same day (its index record
    created again at the very moment its first version began), another paid again with a
    date before its reversal. Sums, indexes and records "as of" each day from the rows are
    those of the replay (a payment's handler reads its programme and its unit: the past
    versions are recomputed with them)."""
    if any_store.backend == "sqlite":
        any_store.var_dir.mkdir(parents=True, exist_ok=True)
    world = World(store_environment("funds", any_store))
    try:
        programme = world.programme()
        clerk = world.clerk(world.community)

        def reverse(payment: UUID, on: date) -> None:
            world.app.reverse_payment(payment_id=payment, reversed_on=on, reason="错发",
                                      actor=clerk, occurred_at=datetime.combine(
                                          on, datetime.min.time(), tzinfo=UTC))

        first = world.pay(programme, 1, "300.00", on=date(2026, 3, 10))
        second = world.pay(programme, 2, "200.00", on=date(2026, 3, 12))
        reverse(first, date(2026, 3, 20))
        world.pay(programme, 1, "300.00", on=date(2026, 3, 10))
        world.pay(programme, 3, "100.00", on=date(2026, 3, 5))
        reverse(second, date(2026, 3, 25))
        world.pay(programme, 2, "250.00", on=date(2026, 3, 15))
        world.pay(programme, 4, "50.00", on=date(2026, 4, 2))
        live = world.app.read_model(FundsView)
        live.catch_up(world.app)
        assert live.totals.payments == 4
        days = [date(2026, 3, 1) + timedelta(days=n) for n in range(40)]
        assert_rows_are_the_replay(world.app, live, days)
    finally:
        world.close()


# Acts on a read model of plain counters, for the version rules against their definition.


@dataclass(frozen=True)
class Put:
    originator_id: UUID
    occurred_at: datetime
    key: str
    value: int
    originator_version: int = 1


@dataclass(frozen=True)
class Keep(Put):
    pass


@dataclass(frozen=True)
class Add(Put):
    pass


@dataclass(frozen=True)
class Remove(Put):
    pass


class Counters(Projection):
    """Records set, set unless present, added to and removed by acts."""

    stored = ("items",)

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.items: dict[str, int] = {}

    def on_Put(self, e: Put) -> None:  # noqa: N802
        self.items[e.key] = e.value

    def on_Keep(self, e: Keep) -> None:  # noqa: N802
        self.items.setdefault(e.key, e.value)

    def on_Add(self, e: Add) -> None:  # noqa: N802
        self.items[e.key] = self.items.get(e.key, 0) + e.value

    def on_Remove(self, e: Remove) -> None:  # noqa: N802
        self.items.pop(e.key, None)


def _write_page(projection: Projection, acts: list[Put], first_position: int) -> None:
    """What ``Projection.catch_up`` does with a page of the log: each act applied in turn,
    their changes written in one transaction with the page's last position."""
    projection._start()
    pending = []
    for offset, act in enumerate(acts):
        tracking = Tracking(projection.tracking_name(), first_position + offset)
        pending.extend(projection._process(act, tracking))
    last = Tracking(projection.tracking_name(), first_position + len(acts) - 1)
    projection._flush(last, pending)


@pytest.mark.parametrize("seed", range(8))
def test_the_rows_as_of_every_day_are_the_acts_up_to_that_day_in_recording_order(
    seed: int, any_store: StoreSettings
) -> None:
    """The definition of "as of D": every act whose business time is on or before D,
    applied in the order the acts were recorded. Acts of every kind on a few records,
    dated at random within a month (many on the same moment), written a page of several
    at a time: the rows as of each day are that definition."""
    rng = random.Random(seed)
    kinds = [Put, Keep, Add, Remove]
    acts = [
        rng.choice(kinds)(uuid.uuid4(), datetime(2026, 3, rng.randint(1, 28), tzinfo=UTC),
                          rng.choice("abcd"), rng.randint(1, 9))
        for _ in range(120)
    ]
    if any_store.backend == "sqlite":
        any_store.var_dir.mkdir(parents=True, exist_ok=True)
    store = open_view_store("responsibility", f"counters{seed}",
                            store_environment("responsibility", any_store))
    assert store is not None
    live = Counters()
    live.attach(store)
    try:
        for start in range(0, len(acts), 7):
            page = acts[start:start + 7]
            _write_page(live, page, first_position=start + 1)
        for day in range(1, 31):
            until = datetime(2026, 3, day, 23, 59, tzinfo=UTC)
            defined = Counters(until=until)
            for act in acts:
                defined.apply(act)
            assert Counters.from_rows(store, until).items == defined.items, f"as of {day} March"
    finally:
        store.drop()
        store.close()

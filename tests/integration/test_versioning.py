"""Versioning (docs/versioning.md): an event stored under an old class version is read with
the domain's upcasters, by the application and by the public envelope alike; a breaking
change is a new major published side by side with the old one (same id and sequence, each
signed, both on the exchange) until its announced last day."""

from __future__ import annotations

import sys
import uuid
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import clear_topic_cache
from kombu.connection import Connection

from shared.contracts.base import EventData, contract, earlier_majors
from shared.envelope import EnvelopeBuilder, decode
from shared.nameko_kit.http import pin_events, pinned_majors
from shared.persistence import store_environment
from shared.relay import Relay
from shared.settings import StoreSettings
from shared.signing import EventVerifier

SERVICE = "versiontest"
V1 = f"dutytrail.{SERVICE}.notice_posted.v1"
V2 = f"dutytrail.{SERVICE}.notice_posted.v2"
LAST_DAY_OF_V1 = date(2099, 12, 31)


class Notice(Aggregate):
    """The domain as the old code had it: a notice with a title only (class version 1)."""

    @event("Posted")
    def __init__(self, title: str, actor: dict[str, str]) -> None:
        self.title = title
        self.actor = actor


class NoticeNow(Aggregate):
    """The domain as the new code has it: every notice names its audience (class version
    2); a notice stored before says nothing, which meant everyone."""

    class Posted(Aggregate.Created):
        title: str
        audience: str
        actor: dict[str, str]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["audience"] = "everyone"

    @event(Posted)
    def __init__(self, title: str, audience: str, actor: dict[str, str]) -> None:
        self.title = title
        self.audience = audience
        self.actor = actor


@contract(service=SERVICE, name="notice_posted", domain_event="Notice.Posted",
          subject_field="notice_id", version=1, published_until=LAST_DAY_OF_V1)
class NoticePostedV1(EventData):
    notice_id: UUID
    title: str


@contract(service=SERVICE, name="notice_posted", domain_event="Notice.Posted",
          subject_field="notice_id", version=2)
class NoticePosted(EventData):
    notice_id: UUID
    title: str
    audience: str


class Notices(Application[UUID]):
    name = SERVICE  # the store's tables are named after the service, as the relay reads them


def test_a_second_contract_of_the_same_major_is_refused():
    with pytest.raises(ValueError, match="two contracts of major 2"):
        contract(service=SERVICE, name="notice_posted_again", domain_event="Notice.Posted",
                 subject_field="notice_id", version=2)(type("Again", (EventData,), {
                     "__annotations__": {"notice_id": UUID}}))


def test_an_earlier_major_is_published_until_its_last_day_only():
    assert [i.type for i in earlier_majors(SERVICE, "Notice.Posted", LAST_DAY_OF_V1)] == [V1]
    assert earlier_majors(SERVICE, "Notice.Posted", date(2100, 1, 1)) == []


def test_events_stored_under_an_old_version_are_upcast_and_published_side_by_side(
    any_store: StoreSettings, amqp_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}
    # Step. The old code stores two notices (class version 1, no audience).
    old = Notices(env=store_environment(SERVICE, any_store))
    for i in range(2):
        old.save(Notice(title=f"通知{i}", actor=actor))
    ids = [UUID(str(n.originator_id)) for n in old.recorder.select_notifications(start=1, limit=10)]
    old.close()

    # Step. The new code is deployed: the same topic now names the version-2 class.
    monkeypatch.setattr(sys.modules[__name__], "Notice", NoticeNow)
    clear_topic_cache()
    try:
        new = Notices(env=store_environment(SERVICE, any_store))
        notice: Any = new.repository.get(ids[0])
        assert isinstance(notice, NoticeNow)
        assert (notice.title, notice.audience) == ("通知0", "everyone")

        # Step. The public envelope reads the stored state the same way, in both majors.
        builder = EnvelopeBuilder(SERVICE)
        verifier = EventVerifier.for_service(SERVICE)
        first = new.recorder.select_notifications(start=1, limit=1)[0]
        current, *earlier = builder.build_all(first, None)
        assert current["type"] == V2
        assert current["data"]["audience"] == "everyone"
        assert [e["type"] for e in earlier] == [V1]
        assert "audience" not in earlier[0]["data"]
        for published in (current, earlier[0]):
            verified = verifier.verify(published)
            assert verified["data"]["title"] == "通知0"
        assert {k: current[k] for k in ("id", "sequence", "prevsequence", "time")} == {
            k: earlier[0][k] for k in ("id", "sequence", "prevsequence", "time")
        }
        assert V1 in earlier[0]["dataschema"]

        # Step. Over HTTP, a consumer of v1 pins it (GET /events?pin=<v1 type>): the same
        # event in v1, signed, as on the exchange.
        pins = pinned_majors(SERVICE, [V1])
        (as_v1,) = pin_events([current], pins, builder)
        assert {k: v for k, v in as_v1.items() if k != "dssematerial"} == {
            k: v for k, v in earlier[0].items() if k != "dssematerial"
        }
        assert verifier.verify(as_v1)["type"] == V1
        for refused in ([V2], ["dutytrail.versiontest.nothing.v1"]):
            with pytest.raises(ValueError, match="not an earlier major"):
                pinned_majors(SERVICE, refused)
        with pytest.raises(ValueError):
            pinned_majors("responsibility", [V1])
        new.close()

        # Step. The relay publishes both majors of each event on the exchange.
        queue = f"versions{uuid.uuid4().hex[:8]}"
        with Connection(amqp_uri) as conn:
            channel = conn.channel()
            channel.exchange_declare(f"{SERVICE}.events", "topic", durable=True, auto_delete=False)
            channel.queue_declare(queue, durable=False, auto_delete=False)
            channel.queue_bind(queue, f"{SERVICE}.events", "#")
            relay = Relay(SERVICE, any_store, amqp_uri)
            try:
                assert relay.drain() == 2
            finally:
                relay.close()
            received = []
            while (message := channel.basic_get(queue, no_ack=True)) is not None:
                received.append(decode(message.body))
            channel.queue_delete(queue)
            channel.close()
        assert [(e["type"], e["id"]) for e in received] == [
            (V2, f"{ids[0]}:1"), (V1, f"{ids[0]}:1"), (V2, f"{ids[1]}:1"), (V1, f"{ids[1]}:1"),
        ]
    finally:
        clear_topic_cache()

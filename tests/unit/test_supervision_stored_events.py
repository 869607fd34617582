"""Events stored before the domain became a package (and before the one Actor type) still load:
their topics name the old module ``services.supervision.domain`` and their actor is a plain
dict of two ids."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID, uuid4

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from services.supervision.domain import AGGREGATES, RectificationNotice, UnitFile
from services.supervision.views import Overview
from shared.actors import Actor
from shared.persistence import build_transcoder

OLD_MODULE = "services.supervision.domain"

# The event classes (RectificationNotice.Issued, ...) are made at runtime by @event, and the
# mapper returns them as the library's protocol: mypy cannot see their fields or the class
# attribute, so the tests that read them cast to Any.


def test_every_aggregates_old_topic_resolves_to_the_moved_class():
    for aggregate in AGGREGATES:
        assert resolve_topic(f"{OLD_MODULE}:{aggregate.__qualname__}") is aggregate
        for name, value in vars(aggregate).items():
            if isinstance(value, type) and name[0].isupper() and name != "NotFound":
                assert resolve_topic(f"{OLD_MODULE}:{value.__qualname__}") is value


def test_an_old_notice_with_a_dict_actor_loads_with_an_actor():
    transcoder = build_transcoder()
    mapper = Mapper[UUID](transcoder=transcoder)
    notice_id, issuer = uuid4(), Actor(person_id=uuid4(), unit_id=uuid4())
    state = {
        "originator_topic": f"{OLD_MODULE}:RectificationNotice",
        "timestamp": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "recipient_kind": "unit", "recipient_unit_id": uuid4(), "recipient_cadre_id": None,
        "problems": [{"problem_id": uuid4()}], "deadline": date(2026, 3, 31),
        "self_examination_required": True,
        "actor": {"person_id": issuer.person_id, "unit_id": issuer.unit_id},
        "occurred_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    }
    stored = StoredEvent(
        originator_id=notice_id, originator_version=1,
        topic=f"{OLD_MODULE}:RectificationNotice.Issued", state=transcoder.encode(state),
    )
    issued = cast(Any, mapper.to_domain_event(stored))
    assert issued.actor == issuer
    notice = issued.mutate(None)
    assert isinstance(notice, RectificationNotice)
    assert notice.issuer_unit_id == issuer.unit_id


def test_a_new_event_is_stored_under_its_module_and_read_back_the_same():
    mapper = Mapper[UUID](transcoder=build_transcoder())
    issuer = Actor(person_id=uuid4(), unit_id=uuid4())
    notice = RectificationNotice(
        id=uuid4(), recipient_kind="unit", recipient_unit_id=uuid4(), recipient_cadre_id=None,
        problems=[{"problem_id": uuid4()}], deadline=date(2026, 3, 31),
        self_examination_required=True, actor=issuer,
        occurred_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    [issued] = notice.collect_events()
    stored = mapper.to_stored_event(issued)
    assert stored.topic == get_topic(cast(Any, RectificationNotice).Issued)
    assert stored.topic == "services.supervision.domain.notices:RectificationNotice.Issued"
    again = cast(Any, mapper.to_domain_event(stored))
    assert again.actor == issuer and again == issued


def test_a_notice_stored_with_the_former_kind_unit_still_loads_and_is_counted_by_its_units_kind():
    """Before recipients were counted apart, a notice to a town was stored as "unit"; it
    still loads, and is counted among towns and subdistricts (镇街), as its unit file says."""
    transcoder = build_transcoder()
    mapper = Mapper[UUID](transcoder=transcoder)
    clerk = Actor(person_id=uuid4(), unit_id=uuid4())
    town = UnitFile(
        unit_id=uuid4(), code="T01", name="**镇", kind="town", parent_unit_id=None,
        upstream_event_id=f"{uuid4()}:1", actor=clerk,
        occurred_at=datetime(2026, 1, 2, 9, 0, tzinfo=UTC),
    )
    notice_id = uuid4()
    state = {
        "originator_topic": "services.supervision.domain.notices:RectificationNotice",
        "timestamp": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "recipient_kind": "unit", "recipient_unit_id": town.unit_id,
        "recipient_cadre_id": None, "problems": [{"problem_id": uuid4()}],
        "deadline": date(2026, 3, 31), "self_examination_required": True,
        "actor": clerk, "occurred_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    }
    stored = StoredEvent(
        originator_id=notice_id, originator_version=1,
        topic="services.supervision.domain.notices:RectificationNotice.Issued",
        state=transcoder.encode(state),
    )
    issued = cast(Any, mapper.to_domain_event(stored))
    notice = issued.mutate(None)
    assert isinstance(notice, RectificationNotice) and notice.recipient_kind == "unit"
    overview = Overview()
    for event in [*town.collect_events(), issued]:
        overview.apply(event)
    assert overview.notices[notice_id].recipient_kind == "town_or_subdistrict"
    counts = overview.period_counts(date(2026, 1, 1), date(2026, 12, 31))
    assert counts.notices == {"district_department": 0, "town_or_subdistrict": 1,
                              "community": 0, "cadre": 0}
    assert counts.notice_recipients["town_or_subdistrict"] == 1

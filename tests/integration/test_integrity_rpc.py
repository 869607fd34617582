"""A damaged record over the responsibility service's real RPC (docs/reliability.md, "Damaged
records"): a command on it reaches the caller as the named error DamagedRecordError, and the
clock's answer lists it beside the records it marked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility.service import ResponsibilityService
from shared.nameko_kit import service_config
from shared.roles import PARTY_COMMITTEE, SYSTEM_CLOCK
from shared.settings import StoreSettings
from tests.integration.probe_consumer import stop_container
from tests.integration.test_integrity import RawStore


@pytest.fixture
def acting(any_store: StoreSettings, use_store: Any, amqp_uri: str) -> Iterator[Acting]:
    use_store(any_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0,
                            WEB_SERVER_ADDRESS="127.0.0.1:0")
    container = ServiceContainer(ResponsibilityService, config)
    container.start()
    try:
        with ClusterRpcProxy(config, timeout=20) as proxy:
            yield Acting(proxy)
    finally:
        stop_container(container)


def test_a_damaged_task_is_refused_by_name_and_listed_by_the_clock(
    acting: Acting, any_store: StoreSettings
) -> None:
    founder = acting.as_(uuid.uuid4(), uuid.uuid4(), PARTY_COMMITTEE).responsibility
    pc = founder.register_unit({"code": "PC", "name": "区委", "kind": "party_committee"})
    committee = acting.as_(uuid.uuid4(), pc, PARTY_COMMITTEE).responsibility
    person = str(uuid.uuid4())
    secretary = committee.register_cadre({
        "person_id": person, "name": "书记", "unit_id": pc, "post_title": "书记",
        "line_of_work": "全面", "top_leader": True,
    })
    damaged, sound = (
        committee.create_task({"year": 2026, "title": title, "requirement": "r",
                               "lead_unit_id": pc, "responsible_cadre_id": secretary,
                               "deadline": "2026-03-01",
                               "occurred_at": "2026-01-05T09:00:00+00:00"})
        for title in ("述责述廉", "签订责任书")
    )
    clock = acting.as_(uuid.uuid4(), uuid.uuid4(), SYSTEM_CLOCK).responsibility
    for as_of in ("2026-02-22", "2026-02-26"):  # the warnings at 7 and 3 days: versions 2, 3
        warned = clock.check_deadlines({"as_of": f"{as_of}T09:30:00+00:00"})
        assert sorted(warned["recorded"]) == sorted([damaged, sound])
        assert warned["damaged"] == []
    RawStore(any_store).execute(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 2",
        (uuid.UUID(damaged),),
    )

    with pytest.raises(RemoteError) as refused:
        committee.complete_task({"task_id": damaged})
    assert refused.value.exc_type == "DamagedRecordError"
    assert f"task {damaged} is damaged at version 2: version 2 is missing" in str(refused.value)
    # The same command on the sound task is answered: the service keeps serving.
    committee.complete_task({"task_id": sound})

    overdue = clock.check_deadlines({"as_of": "2026-03-02T09:30:00+00:00"})
    assert overdue == {
        "recorded": [],  # the sound task is complete: nothing due on it
        "damaged": [{"record": damaged, "kind": "task", "version": 2,
                     "problem": "version 2 is missing"}],
    }

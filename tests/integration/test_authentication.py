"""Who may act, on the real broker with the real responsibility and supervision containers:
every call carries a signed token (docs/roles.md), and a call without a valid one, in the
wrong role, or naming its own actor is refused and stores nothing. The actor recorded on an
event is the token's person and unit, whatever the caller writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import eventlet
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting, CallerProxy
from services.responsibility.service import ResponsibilityService
from services.supervision.service import SupervisionService
from shared.clock import utcnow
from shared.envelope import parse_position
from shared.keys import TOKEN_AUTHORITY, private_key
from shared.nameko_kit import service_config
from shared.relay import Relay
from shared.roles import (
    AUDITOR,
    DISCIPLINE_COMMISSION,
    PARTY_COMMITTEE,
    SYSTEM_CLOCK,
    UNIT_CLERK,
    Role,
)
from shared.settings import StoreSettings
from shared.tokens import ALGORITHM, AUDIENCE, ISSUER
from tests.integration.probe_consumer import delete_queues, running, wait_until

SERVICES = ("responsibility", "supervision")
QUEUES = (
    "evt-responsibility-#--supervision.on_responsibility_event",
    "rpc-responsibility",
    "rpc-supervision",
)


def claims(
    person: str, unit: str, roles: list[Role], issued: datetime, ttl: timedelta
) -> dict[str, Any]:
    """What a token from the token authority says (shared/tokens.py)."""
    return {
        "iss": ISSUER, "aud": AUDIENCE, "sub": person, "unit": unit, "roles": roles,
        "iat": issued, "nbf": issued, "exp": issued + ttl, "jti": str(uuid4()),
    }


def forged_token(person: str, unit: str, roles: list[Role]) -> str:
    """A well-formed token for the token authority's key id, signed by another Ed25519 key."""
    other = Ed25519PrivateKey.generate()
    return jwt.encode(
        claims(person, unit, roles, utcnow(), timedelta(hours=1)), other,
        algorithm=ALGORITHM, headers={"kid": TOKEN_AUTHORITY},
    )


def expired_token(person: str, unit: str, roles: list[Role]) -> str:
    """A token genuinely signed by the token authority, that expired an hour ago."""
    return jwt.encode(
        claims(person, unit, roles, utcnow() - timedelta(hours=9), timedelta(hours=8)),
        private_key(TOKEN_AUTHORITY), algorithm=ALGORITHM, headers={"kid": TOKEN_AUTHORITY},
    )


class District:
    """A party committee, its discipline commission and its finance bureau, registered in
    responsibility and learned by supervision; the people who act in them."""

    def __init__(self, acting: Acting) -> None:
        self.acting = acting
        founder = acting.as_(uuid4(), uuid4(), PARTY_COMMITTEE).responsibility
        self.pc = founder.register_unit({"code": "PC", "name": "**区委",
                                         "kind": "party_committee"})
        self.committee_person = str(uuid4())
        self.committee = acting.as_(self.committee_person, self.pc, PARTY_COMMITTEE)
        r = self.committee.responsibility
        self.commission_unit = r.register_unit({
            "code": "D01", "name": "区纪委监委", "kind": "district_department",
            "parent_unit_id": self.pc,
        })
        self.finance = r.register_unit({
            "code": "D02", "name": "区财政局", "kind": "district_department",
            "parent_unit_id": self.pc,
        })
        self.finance_cadre = r.register_cadre({
            "person_id": str(uuid4()), "name": "王伟", "unit_id": self.finance,
            "post_title": "局长", "line_of_work": "财政", "leadership_member": True,
            "top_leader": True,
        })
        self.commission_person = str(uuid4())
        self.commission = acting.as_(
            self.commission_person, self.commission_unit, DISCIPLINE_COMMISSION
        )
        self.finance_clerk = acting.as_(uuid4(), self.finance, UNIT_CLERK)
        self.auditor = acting.as_(uuid4(), uuid4(), AUDITOR)
        self.clock = acting.as_(uuid4(), uuid4(), SYSTEM_CLOCK)
        wait_until(lambda: len(self.auditor.supervision.list_units()) == 3,
                   message="supervision to learn the district")

    def stored(self) -> dict[str, list[dict[str, Any]]]:
        """Every event each service stores, read by the auditor once supervision has reacted
        to every event responsibility stores."""
        upstream = self.auditor.responsibility.events_after({"after": 0})
        last = parse_position(upstream[-1]["sequence"])
        wait_until(
            lambda: self.auditor.supervision.upstream_position()["responsibility"] == last,
            message="supervision to follow responsibility",
        )
        return {
            "responsibility": upstream,
            "supervision": self.auditor.supervision.events_after({"after": 0}),
        }


@pytest.fixture
def district(
    sqlite_store: StoreSettings, use_store: Any, amqp_uri: str
) -> Iterator[District]:
    use_store(sqlite_store)
    delete_queues(amqp_uri, *QUEUES)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    relay = Relay("responsibility", sqlite_store, amqp_uri)
    relay.poll_interval = 0.02
    thread = eventlet.spawn(relay.run)
    try:
        with (
            running(ResponsibilityService, config),
            running(SupervisionService, config),
            ClusterRpcProxy(config, timeout=30) as rpc,
        ):
            yield District(Acting(rpc))
    finally:
        relay.stop()
        thread.wait()
        delete_queues(amqp_uri, *QUEUES)


def refusal(method: Any, *args: Any) -> RemoteError:
    """The refusal ``method(*args)`` gets from the service."""
    with pytest.raises(RemoteError) as refused:
        method(*args)
    return refused.value


def unit_command(code: str, pc: str) -> dict[str, Any]:
    return {"code": code, "name": f"单位{code}", "kind": "town", "parent_unit_id": pc}


def test_a_call_without_a_valid_token_is_refused_and_stores_nothing(district: District) -> None:
    before = district.stored()
    person, unit = district.committee_person, district.pc
    callers: dict[str, CallerProxy] = {
        "no token": district.acting.anonymous,
        "not a token": district.acting.with_token("not-a-token"),
        "signed by another key": district.acting.with_token(
            forged_token(person, unit, [PARTY_COMMITTEE, DISCIPLINE_COMMISSION, AUDITOR])
        ),
        "expired": district.acting.with_token(
            expired_token(person, unit, [PARTY_COMMITTEE, DISCIPLINE_COMMISSION, AUDITOR])
        ),
    }
    bulletin = {"kind": "circular", "request_id": "r-unauthenticated", "title": "督查通报"}
    for what, caller in callers.items():
        for method, args in (
            (caller.responsibility.register_unit, [unit_command("T01", unit)]),
            (caller.supervision.issue_bulletin, [bulletin]),
            (caller.responsibility.list_units, []),
            (caller.supervision.events_after, [{"after": 0}]),
        ):
            refused = refusal(method, *args)
            assert refused.exc_type == "NotAuthenticatedError", (what, refused)
    assert "no token" in refusal(callers["no token"].responsibility.list_units).value
    assert "expired" in refusal(callers["expired"].responsibility.list_units).value
    assert district.stored() == before
    # The same command with the committee's own token is carried out.
    district.committee.responsibility.register_unit(unit_command("T01", unit))
    assert len(district.stored()["responsibility"]) == len(before["responsibility"]) + 1


def test_a_payload_that_writes_its_own_actor_is_refused_naming_the_field(
    district: District,
) -> None:
    before = district.stored()
    impostor = {"person_id": str(uuid4()), "unit_id": district.commission_unit}
    refused = refusal(
        district.committee.responsibility.register_unit,
        {**unit_command("T02", district.pc), "actor": impostor},
    )
    assert refused.exc_type == "InvalidCommandError"
    assert "actor: Extra inputs are not permitted" in refused.value
    refused = refusal(district.commission.supervision.issue_bulletin, {
        "kind": "circular", "request_id": "r-actor", "title": "督查通报", "actor": impostor,
    })
    assert refused.exc_type == "InvalidCommandError"
    assert "actor: Extra inputs are not permitted" in refused.value
    assert district.stored() == before


def test_the_actor_recorded_is_the_tokens_person_and_unit(district: District) -> None:
    unit = district.committee.responsibility.register_unit(unit_command("T03", district.pc))
    bulletin = district.commission.supervision.issue_bulletin({
        "kind": "circular", "request_id": "r-recorded", "title": "督查通报",
    })
    stored = district.stored()
    [registered] = [e for e in stored["responsibility"] if e["subject"] == unit]
    assert registered["data"]["actor"] == {
        "person_id": district.committee_person, "unit_id": district.pc,
    }
    issued = [e for e in stored["supervision"] if e["subject"] == bulletin]
    assert issued, stored["supervision"]
    assert all(
        e["data"]["actor"] == {
            "person_id": district.commission_person, "unit_id": district.commission_unit,
        }
        for e in issued
    )


def test_only_the_system_clock_checks_deadlines_and_only_as_of_now(district: District) -> None:
    # A task due next year: a check as of 2099 would record it overdue.
    next_year = utcnow().year + 1
    district.committee.responsibility.create_task({
        "year": next_year, "title": "廉政风险点排查", "requirement": "逐岗排查",
        "lead_unit_id": district.finance, "responsible_cadre_id": district.finance_cadre,
        "deadline": f"{next_year}-03-31",
    })
    before = district.stored()
    far = {"as_of": datetime(2099, 1, 1, tzinfo=UTC).isoformat()}
    for service in SERVICES:
        refused = refusal(district.clock[service].check_deadlines, far)
        assert refused.exc_type == "NotPermittedError", refused
        assert "as of now" in refused.value
        refused = refusal(district.acting.anonymous[service].check_deadlines, far)
        assert refused.exc_type == "NotAuthenticatedError", refused
        # Nobody but the clock, whatever the date.
        now = {"as_of": utcnow().isoformat()}
        refused = refusal(district.committee[service].check_deadlines, now)
        assert refused.exc_type == "NotPermittedError", refused
    assert district.stored() == before
    for service in SERVICES:
        answer = district.clock[service].check_deadlines(
            {"as_of": utcnow().isoformat()}
        )
        assert answer["damaged"] == [] and isinstance(answer["recorded"], list)


def test_a_unit_clerk_may_not_issue_a_rectification_notice(district: District) -> None:
    """The probe's finding: the finance bureau issued a rectification notice to the
    discipline commission. Refused by role; the same notice from the commission is issued."""
    commission = district.commission.supervision
    today = {"as_of": utcnow().date().isoformat()}
    inspection = commission.record_inspection({
        "kind": "weekly",
        "report": {"leader_person_id": str(uuid4()), "leader_name": "区纪委监委 李强",
                   "location": "区纪委监委", "held_on": today["as_of"],
                   "unit_ids": [district.commission_unit],
                   "problems": [{"category": "work_discipline", "description": "台账不全",
                                 "unit_id": district.commission_unit}]},
    })
    [found] = [
        i for i in district.auditor.supervision.list_inspections(
            {"start": today["as_of"], "end": today["as_of"]}
        )
        if i["inspection_id"] == inspection
    ]
    notice = {
        "recipient_unit_id": district.commission_unit,
        "problem_ids": [p["problem_id"] for p in found["problems"]],
        "deadline": (utcnow().date() + timedelta(days=15)).isoformat(),
    }
    before = district.stored()
    refused = refusal(district.finance_clerk.supervision.issue_notice, notice)
    assert refused.exc_type == "NotPermittedError"
    assert "discipline_commission" in refused.value and "unit_clerk" in refused.value
    assert district.stored() == before
    assert district.auditor.supervision.open_notices(today) == []
    issued = commission.issue_notice(notice)
    opened = district.auditor.supervision.open_notices(today)
    assert [o["notice"]["notice_id"] for o in opened] == [issued]

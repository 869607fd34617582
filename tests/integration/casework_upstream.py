"""Test helpers for casework's upstreams: signed CloudEvents of the responsibility,
supervision and funds services built from their public contracts (as their relays publish
them), and a small nameko service per upstream that answers ``events_after`` from such a
list, so casework's real consumer can pull what it missed over the real broker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from nameko.rpc import rpc

from shared.contracts import contract_for_model
from shared.contracts.base import EventData
from shared.envelope import format_position, parse_position
from shared.signing import EventSigner


class UpstreamLog:
    """One upstream's events, in order, signed with that service's (development) key."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.events: list[dict[str, Any]] = []
        self._signer = EventSigner.for_service(service)

    def add(self, model: type[EventData], data: dict[str, Any], subject: UUID,
            time: datetime | None = None) -> dict[str, Any]:
        info = contract_for_model(model)
        assert info.service == self.service
        checked = model.model_validate({**data, info.subject_field: subject})
        position = len(self.events) + 1
        moment = (time or datetime(2026, 3, 2, 9, tzinfo=UTC)).isoformat()
        event = self._signer.sign({
            "specversion": "1.0", "id": f"{subject}:{position}",
            "source": f"/dutytrail/{self.service}", "type": info.type, "time": moment,
            "recordedtime": moment, "subject": str(subject),
            "sequence": format_position(position),
            "prevsequence": format_position(position - 1),
            "datacontenttype": "application/json",
            "dataschema": f"urn:dutytrail:schema:{info.type}",
            "dataclassification": info.classification,
            "data": checked.model_dump(mode="json"),
        })
        self.events.append(event)
        return event

    def after(self, after: int, limit: int) -> list[dict[str, Any]]:
        return [e for e in self.events if parse_position(e["sequence"]) > after][:limit]

    @property
    def last(self) -> int:
        return len(self.events)


def upstream_service(log: UpstreamLog) -> type[Any]:
    """A nameko service named like the upstream, answering its catch-up query."""

    def events_after(self: Any, query: Any = None) -> list[dict[str, Any]]:
        q = query or {}
        return log.after(int(q.get("after", 0)), int(q.get("limit", 500)))

    return type(f"Fake{log.service.title()}", (), {
        "name": log.service, "events_after": rpc(events_after),
    })


def actor() -> dict[str, str]:
    return {"person_id": str(uuid4()), "unit_id": str(uuid4())}


def escalation(unit_id: UUID, route: str, notice_id: UUID | None = None) -> dict[str, Any]:
    return {
        "notice_id": notice_id or uuid4(), "recipient_kind": "district_department",
        "recipient_unit_id": unit_id, "recipient_cadre_id": None,
        "problems": [{"problem_id": uuid4(), "category": "fund_management",
                      "description": "专项资金未按期拨付", "unit_id": unit_id, "cadre_id": None}],
        "deadline": date(2026, 2, 27), "status": "issued", "reason": "逾期未整改",
        "route": route, "actor": actor(),
    }


def referral(unit_id: UUID) -> dict[str, Any]:
    return {"source": "complaint", "source_id": uuid4(), "programme_id": uuid4(),
            "unit_id": unit_id, "payment_ids": [uuid4()],
            "summary": "低保金被截留，投诉逾期未答复", "actor": actor()}

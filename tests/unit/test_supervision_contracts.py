"""Every stored supervision event has a public contract; commands refuse bad input."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.domain import CanMutateAggregate

from services.supervision.commands import (
    IssueBulletin,
    RecordInspection,
    ScheduleUnannouncedVisit,
    SubmitQuarterlyReport,
)
from services.supervision.domain import AGGREGATES
from shared.commands import parse_command
from shared.contracts import all_contracts, contract_for_domain_event
from shared.contracts.ledger import LEDGER_DOMAIN_EVENTS
from shared.contracts.supervision import UnannouncedVisitScheduled
from shared.errors import InvalidCommandError


def stored_event_names() -> list[str]:
    names = []
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if (
                isinstance(value, type) and issubclass(value, CanMutateAggregate)
                and name not in ("Event", "Created")
            ):
                names.append(f"{aggregate.__name__}.{name}")
    return names


def test_every_stored_supervision_event_has_a_registered_contract():
    names = stored_event_names()
    # 30, and 6 from issue 10: the cadre learned, the rectification plan, the extension
    # request, approved or refused, and the week without an inspection or a circular.
    assert len(names) == 36, names
    for name in names:
        info = contract_for_domain_event("supervision", name)
        assert info.type.startswith("dutytrail.supervision."), info.type
    supervision_types = [c for c in all_contracts() if c.service == "supervision"
                         and c.domain_event not in LEDGER_DOMAIN_EVENTS]
    assert len(supervision_types) == len(names)


def test_the_scheduling_of_an_unannounced_visit_is_confidential_and_carries_only_its_id():
    info = contract_for_domain_event("supervision", "UnannouncedVisit.Scheduled")
    assert info.classification == "confidential"
    assert set(UnannouncedVisitScheduled.model_fields) == {"actor", "visit_id"}
    escalated = contract_for_domain_event("supervision", "RectificationNotice.EscalatedToCasework")
    assert escalated.type == "dutytrail.supervision.rectification_notice_escalated.v1"
    assert {"notice_id", "recipient_kind", "recipient_unit_id", "recipient_cadre_id",
            "problems", "reason", "route"} <= set(escalated.model.model_fields)


def test_a_schedule_command_takes_no_place_date_or_target():
    parse_command(ScheduleUnannouncedVisit, {})
    with pytest.raises(InvalidCommandError, match="location: Extra inputs"):
        parse_command(ScheduleUnannouncedVisit, {"location": "**镇"})


def test_commands_name_each_broken_rule():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RecordInspection, {
            "kind": "weekly",
            "report": {
                "leader_person_id": str(uuid.uuid4()), "leader_name": "张明",
                "location": "区政务大厅", "held_on": "2026-05-08", "unit_ids": [],
                "problems": [{"category": "work_discipline", "description": "脱岗"}],
            },
        })
    message = str(refused.value)
    assert "report.unit_ids: List should have at least 1 item" in message
    assert "names the unit or the cadre" in message
    with pytest.raises(InvalidCommandError, match="quarter: Input should be 1, 2, 3 or 4"):
        parse_command(SubmitQuarterlyReport, {
            "unit_id": str(uuid.uuid4()), "year": 2026, "quarter": 5,
            "summary": "x",
        })
    with pytest.raises(InvalidCommandError, match="kind: Input should be"):
        parse_command(IssueBulletin, {
            "kind": "newsletter", "request_id": "r", "title": "t",
        })

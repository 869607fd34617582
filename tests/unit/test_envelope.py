"""The CloudEvents envelope built from stored records."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from dutytrail_ops.cli import main
from dutytrail_ops.registry import declarations
from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from shared.actors import Actor
from shared.contracts import all_contracts, contract_for_type
from shared.envelope import CONTENT_TYPE, decode, encode, format_position
from shared.persistence import store_environment
from tests.conftest import sqlite_settings


@pytest.fixture
def app(tmp_path: Path):
    application = Responsibilities(store_environment("responsibility", sqlite_settings(tmp_path)))
    yield application
    application.close()


def test_every_stored_event_becomes_a_complete_cloudevent(app, monkeypatch):
    monkeypatch.delenv("DUTYTRAIL_SCHEMA_BASE_URL", raising=False)
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    when = datetime(2026, 1, 2, 8, 30, tzinfo=UTC)
    unit = app.register_unit(
        code="PC", name="**区委", kind="party_committee", actor=founder, occurred_at=when
    )
    [event] = app.events_after(0)
    assert event["specversion"] == "1.0"
    assert event["id"] == f"{unit}:1"
    assert event["source"] == "/dutytrail/responsibility"
    assert event["type"] == "dutytrail.responsibility.unit_registered.v1"
    assert event["subject"] == str(unit)
    assert event["time"] == when.isoformat()
    assert datetime.fromisoformat(event["recordedtime"]) > when
    assert re.fullmatch(r"\d{20}", event["sequence"]) and int(event["sequence"]) == 1
    assert event["prevsequence"] == ""
    assert event["datacontenttype"] == "application/json"
    assert event["dataschema"] == "urn:dutytrail:schema:dutytrail.responsibility.unit_registered.v1"
    assert event["dataclassification"] == "public"
    assert event["data"] == {
        "actor": {"person_id": str(founder.person_id), "unit_id": str(founder.unit_id)},
        "unit_id": str(unit), "code": "PC", "name": "**区委", "kind": "party_committee",
        "parent_unit_id": None,
    }


def test_dataschema_follows_the_configured_base_url(app, monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_SCHEMA_BASE_URL", "https://schemas.example.gov/dutytrail/")
    app.register_unit(
        code="PC", name="**区委", kind="party_committee",
        actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()),
    )
    [event] = app.events_after(0)
    assert event["dataschema"] == (
        "https://schemas.example.gov/dutytrail/dutytrail.responsibility.unit_registered.v1.json"
    )


def test_cadre_events_are_internal_and_dates_are_iso_strings(app):
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee", actor=founder)
    clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
    cadre = app.register_cadre(
        person_id=uuid.uuid4(), name="王伟", unit_id=pc, post_title="书记", line_of_work="全面",
        leadership_member=True, top_leader=True, actor=clerk,
    )
    from datetime import date

    app.draft_letter(
        letter=LetterContent.model_validate({
            "year": 2026, "issuer_unit_id": pc, "signatory_unit_id": pc,
            "signatory_cadre_id": cadre, "common_clauses": ["c"],
            "individual_clauses": [{"text": "t", "risk_point": "r"}],
            "top_leader_duties": ["d"], "sign_by": date(2026, 2, 28),
        }),
        actor=clerk,
    )
    events = {e["type"].split(".")[2]: e for e in app.events_after(0)}
    assert events["cadre_registered"]["dataclassification"] == "internal"
    assert events["letter_drafted"]["data"]["sign_by"] == "2026-02-28"
    assert events["letter_drafted"]["prevsequence"] == events["cadre_registered"]["sequence"]


def test_contracts_refuse_payloads_that_break_them():
    info = contract_for_type("dutytrail.responsibility.unit_registered.v1")
    with pytest.raises(ValidationError, match="kind"):
        info.model.model_validate({
            "actor": {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())},
            "unit_id": str(uuid.uuid4()), "code": "X", "name": "n", "kind": "galaxy",
            "parent_unit_id": None,
        })


def test_every_contract_type_follows_the_naming_rule():
    types = [info.type for info in all_contracts()]
    assert types, "no contracts registered"
    for event_type in types:
        assert re.fullmatch(r"dutytrail\.[a-z]+\.[a-z_]+\.v\d+", event_type), event_type


def test_positions_are_zero_padded_and_round_trip():
    assert format_position(None) == ""
    assert format_position(42) == "00000000000000000042"
    assert decode(encode({"a": "区委"})) == {"a": "区委"}
    assert CONTENT_TYPE == "application/cloudevents+json"


def test_schemas_export_writes_one_json_schema_per_event_type(tmp_path: Path):
    result = CliRunner().invoke(main, ["schemas", "export", str(tmp_path / "schemas")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    declared = declarations()
    assert written == sorted(
        f"{info.type}.json" for info in all_contracts() if info.service in declared
    )
    schema = json.loads((tmp_path / "schemas" / "dutytrail.responsibility.letter_signed.v1.json")
                        .read_text("utf-8"))
    assert schema["title"] == "dutytrail.responsibility.letter_signed.v1"
    assert {"letter_id", "actor", "issuer_signature", "signatory_signature"} <= set(
        schema["required"]
    )

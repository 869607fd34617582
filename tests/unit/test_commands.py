"""Malformed commands are refused with a message naming each field and the rule it breaks."""

from __future__ import annotations

import uuid

import pytest

from services.responsibility.commands import DraftLetter, RegisterUnit, SignLetter
from shared.commands import parse_command
from shared.errors import InvalidCommandError

ACTOR = {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}


def test_missing_and_wrongly_typed_fields_are_each_named():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RegisterUnit, {"code": "D01", "kind": "galaxy", "actor": ACTOR})
    message = str(refused.value)
    assert "name: Field required" in message
    assert "kind: Input should be" in message


def test_nested_fields_are_named_by_their_path():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(DraftLetter, {
            "actor": ACTOR,
            "letter": {
                "year": 1999, "issuer_unit_id": str(uuid.uuid4()),
                "signatory_unit_id": "not-a-uuid", "common_clauses": ["c"],
                "individual_clauses": [{"text": "", "risk_point": "r"}],
            },
        })
    message = str(refused.value)
    assert "letter.year: Input should be greater than or equal to 2000" in message
    assert "letter.signatory_unit_id: Input should be a valid UUID" in message
    assert "letter.individual_clauses.0.text: String should have at least 1 character" in message


def test_unknown_fields_and_naive_times_are_refused():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(SignLetter, {
            "letter_id": str(uuid.uuid4()), "issuer_person_id": str(uuid.uuid4()),
            "signatory_person_id": str(uuid.uuid4()), "actor": ACTOR,
            "occurred_at": "2026-01-10T09:00:00", "signed_by_proxy": True,
        })
    message = str(refused.value)
    assert "occurred_at: Input should have timezone info" in message
    assert "signed_by_proxy: Extra inputs are not permitted" in message


def test_a_command_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidCommandError, match="expected an object"):
        parse_command(RegisterUnit, ["D01"])


def test_the_actor_is_required():
    with pytest.raises(InvalidCommandError, match="actor: Field required"):
        parse_command(RegisterUnit, {"code": "D01", "name": "n", "kind": "town"})

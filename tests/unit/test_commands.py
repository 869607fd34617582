"""Malformed commands are refused with a message naming each field and the rule it breaks; no
command names its own actor (that comes from the caller's token)."""

from __future__ import annotations

import inspect
import uuid

import pytest

from services.responsibility.commands import (
    DraftLetter,
    RecordEducationActivity,
    RegisterUnit,
    SignLetter,
)
from shared.commands import parse_command
from shared.contracts.responsibility import EducationKind, UnitKind
from shared.errors import InvalidCommandError

ACTOR = {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}


def test_missing_and_wrongly_typed_fields_are_each_named():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RegisterUnit, {"code": "D01", "kind": "galaxy"})
    message = str(refused.value)
    assert "name: Field required" in message
    assert "kind: Input should be" in message


def test_nested_fields_are_named_by_their_path():
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(DraftLetter, {
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
            "occurred_at": "2026-01-10T09:00:00", "signed_by_proxy": True,
        })
    message = str(refused.value)
    # A signature is the token's person's own: no command names who signs.
    assert "issuer_person_id: Extra inputs are not permitted" in message
    assert "occurred_at: Input should have timezone info" in message
    assert "signed_by_proxy: Extra inputs are not permitted" in message


def test_a_command_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidCommandError, match="expected an object"):
        parse_command(RegisterUnit, ["D01"])


def test_a_command_that_writes_its_own_actor_is_refused_naming_the_field():
    assert parse_command(RegisterUnit, {"code": "D01", "name": "n", "kind": "town"})
    with pytest.raises(InvalidCommandError, match="actor: Extra inputs are not permitted"):
        parse_command(RegisterUnit, {"code": "D01", "name": "n", "kind": "town", "actor": ACTOR})


def bindings() -> list[tuple[str, type, object]]:
    """Each RPC method of the table with its model and its application method."""
    from services.responsibility.application import Responsibilities
    from services.responsibility.service import ResponsibilityService

    found = []
    for name, value in sorted(vars(ResponsibilityService).items()):
        closure = inspect.getclosurevars(value).nonlocals if inspect.isfunction(value) else {}
        if "model" in closure:
            found.append((name, closure["model"], getattr(Responsibilities, name)))
    return found


def test_every_command_and_query_of_the_service_is_bound_in_its_table():
    names = {name for name, _, _ in bindings()}
    # 24 (with the lead units' meetings and co-units' reports), and 10 for the risk-point
    # register, reminders, talks and 述责述廉 (issue 10).
    assert len(names) == 34
    assert {"convene_task_meeting", "report_to_lead_unit"} <= names
    assert {"register_risk_points", "clauses_outside_risk_register", "record_talk"} <= names
    assert {"register_unit", "sign_letter_as_issuer", "countersign_letter", "create_task",
            "coverage", "list_units"} <= names
    assert "sign_letter" not in names


BINDINGS = bindings()


@pytest.mark.parametrize(("name", "model", "method"), BINDINGS, ids=[b[0] for b in BINDINGS])
def test_each_models_fields_are_exactly_its_use_cases_parameters(name, model, method):
    # The actor is the caller's, from the token: never a field of the model.
    # A creating command's command_id is the kit's (it runs the command once), not the use
    # case's.
    parameters = set(inspect.signature(method).parameters) - {"self", "actor"}
    assert set(model.model_fields) - {"command_id"} == parameters, name


def test_the_commands_take_their_vocabularies_from_the_contract():
    # Compared as plain objects: mypy types an annotation and a Literal alias as forms that
    # cannot be the same object, though at runtime the field holds the alias itself.
    unit_kind: object = RegisterUnit.model_fields["kind"].annotation
    education_kind: object = RecordEducationActivity.model_fields["kind"].annotation
    assert unit_kind is UnitKind
    assert education_kind is EducationKind

"""Bounds on every input (issue 8, item 6; shared/bounds.py): each rule, per type, at the
accepted edge and at the refused edge; the refusals a clerk reads; and the JSON Schemas of the
commands and queries, which document every bound."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.responsibility import commands as responsibility_commands
from services.responsibility.commands import DraftLetter, RegisterCadre, RegisterUnit
from services.supervision import commands as supervision_commands
from shared import commands as shared_commands
from shared.bounds import (
    CODE_LENGTH,
    LINES_PATTERN,
    MAX_CLAUSES,
    MAX_DATE,
    MAX_POSITION,
    MIN_DATE,
    NAME_LENGTH,
    ONE_LINE_PATTERN,
    PERSON_NAME_LENGTH,
    REQUEST_ID_LENGTH,
    SUBJECT_LENGTH,
    TEXT_LENGTH,
    TITLE_LENGTH,
    BusinessDate,
    BusinessTime,
    ClockTime,
    Code,
    Name,
    Note,
    PersonName,
    Position,
    ProjectCode,
    RequestId,
    Subject,
    Text,
    Title,
    latest_business_time,
)
from shared.clock import utcnow
from shared.commands import CheckDeadlines, EventsAfter, parse_command
from shared.errors import InvalidCommandError

ONE_LINE_TYPES: list[tuple[str, Any, int]] = [
    ("ProjectCode", ProjectCode, CODE_LENGTH),
    ("PersonName", PersonName, PERSON_NAME_LENGTH),
    ("RequestId", RequestId, REQUEST_ID_LENGTH),
    ("Name", Name, NAME_LENGTH),
    ("Title", Title, TITLE_LENGTH),
    ("Subject", Subject, SUBJECT_LENGTH),
]
LINES_TYPES: list[tuple[str, Any, int]] = [("Text", Text, TEXT_LENGTH), ("Note", Note, TEXT_LENGTH)]
TEXT_TYPES = ONE_LINE_TYPES + LINES_TYPES
IDS = [name for name, _, _ in TEXT_TYPES]

SHORT_CONTROL = "must not contain control characters such as tabs or line breaks"
LONG_CONTROL = "must not contain control characters other than line breaks"
NOTHING = "must say something besides spaces and invisible characters"
BLANKS = ["\u200b \u3000", "\ufeff", "\u2060\u00a0\u200d", "\u3164\u2800", "\u034f\ufe0f"]


def refusal(kind: Any, value: Any) -> str:
    """The message of the one rule ``value`` breaks as a ``kind``."""
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(kind).validate_python(value)
    [error] = refused.value.errors(include_url=False)
    return str(error["msg"])


def accepts(kind: Any, value: Any) -> Any:
    return TypeAdapter(kind).validate_python(value)


# Lengths.


@pytest.mark.parametrize(("name", "kind", "length"), TEXT_TYPES, ids=IDS)
def test_a_text_of_exactly_its_length_passes_and_one_more_character_is_refused(name, kind, length):
    assert accepts(kind, "廉" * length) == "廉" * length
    assert refusal(kind, "廉" * (length + 1)) == (
        f"String should have at most {length} characters")


def test_a_code_is_letters_digits_and_punctuation_within_its_length():
    assert accepts(Code, "D" * CODE_LENGTH) == "D" * CODE_LENGTH
    assert "at most 64 characters" in refusal(Code, "D" * (CODE_LENGTH + 1))
    for bad in ("D 01", "D\t01", "D\u200b01", "区01"):
        assert "String should match pattern" in refusal(Code, bad)


def test_the_limits_are_the_documented_ones():
    assert (CODE_LENGTH, PERSON_NAME_LENGTH, REQUEST_ID_LENGTH, NAME_LENGTH, TITLE_LENGTH,
            SUBJECT_LENGTH, TEXT_LENGTH) == (64, 100, 100, 200, 300, 1000, 4000)
    assert (date(2000, 1, 1), date(2100, 12, 31)) == (MIN_DATE, MAX_DATE)
    assert MAX_POSITION == 9_223_372_036_854_775_807 == 2**63 - 1
    assert len(str(MAX_POSITION)) <= 20


# Control characters.


@pytest.mark.parametrize(("name", "kind", "length"), ONE_LINE_TYPES, ids=IDS[:6])
def test_a_short_text_refuses_every_control_character_line_breaks_included(name, kind, length):
    for control in ("\t", "\x00", "\x07", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f"):
        assert refusal(kind, f"区{control}委") == SHORT_CONTROL, repr(control)
    assert accepts(kind, "区委 书记") == "区委 书记"  # a space is not a control character


@pytest.mark.parametrize(("name", "kind", "length"), LINES_TYPES, ids=IDS[6:])
def test_a_long_text_holds_line_breaks_and_no_other_control_character(name, kind, length):
    assert accepts(kind, "一、落实主体责任\n二、整改到位\r\n三、") == "一、落实主体责任\n二、整改到位\r\n三、"
    for control in ("\t", "\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85"):
        assert refusal(kind, f"整改{control}到位") == LONG_CONTROL, repr(control)


@pytest.mark.parametrize(("name", "kind", "length"), TEXT_TYPES, ids=IDS)
def test_a_lone_surrogate_is_refused(name, kind, length):
    # Refused by pydantic before the bounds look at it (it could not be stored as UTF-8).
    assert refusal(kind, "整改\ud800") == (
        "Input should be a valid string, unable to parse raw data as a unicode string")


# Nothing but spaces and invisible characters.


@pytest.mark.parametrize(("name", "kind", "length"), [t for t in TEXT_TYPES if t[0] != "Note"],
                         ids=[i for i in IDS if i != "Note"])
def test_a_text_of_spaces_and_invisible_characters_is_refused(name, kind, length):
    for blank in BLANKS:
        assert refusal(kind, blank) == NOTHING, repr(blank)
    assert refusal(kind, "") == "String should have at least 1 character"
    # Invisible characters inside something visible are kept (a joined emoji, a name).
    assert accepts(kind, "👩\u200d💻 整改") == "👩\u200d💻 整改"


def test_a_note_may_be_empty_but_not_only_invisible():
    assert accepts(Note, "") == ""
    for blank in BLANKS:
        assert refusal(Note, blank) == f"{NOTHING}, or be left empty"
    assert refusal(Note, " \n\u200b\r\n") == f"{NOTHING}, or be left empty"
    assert refusal(Text, " \n\u200b\r\n") == NOTHING


def test_the_documented_patterns_say_what_the_validators_do():
    samples = ["区委", "a b", "a\tb", "a\nb", "a\r\nb", "\x00", "a\x07", "\x7f", "\x85", "\x9f",
               "\x0b", "\u200b", "\u00a0"]
    for sample in samples:
        for kind, pattern in ((Name, ONE_LINE_PATTERN), (Text, LINES_PATTERN)):
            try:
                accepts(kind, sample)
                accepted = True
            except ValidationError as error:
                accepted = "control characters" not in str(error)
            assert accepted == bool(re.fullmatch(pattern, sample)), (kind, repr(sample))


# Dates and times.


def test_a_business_date_lies_between_2000_and_2100():
    assert accepts(BusinessDate, "2000-01-01") == MIN_DATE
    assert accepts(BusinessDate, "2100-12-31") == MAX_DATE
    assert refusal(BusinessDate, "1999-12-31") == "must be on or after 2000-01-01"
    assert refusal(BusinessDate, "2101-01-01") == "must be on or before 2100-12-31"
    assert refusal(BusinessDate, "9999-12-31") == "must be on or before 2100-12-31"


def test_a_clock_time_lies_in_the_same_calendar_whatever_its_offset():
    assert accepts(ClockTime, "2100-12-31T23:59:59+14:00").year == 2100
    assert accepts(ClockTime, "2000-01-01T00:00:00-12:00").year == 2000
    assert refusal(ClockTime, "2101-01-01T00:00:00+00:00") == "must be on or before 2100-12-31"
    # No OverflowError: the date is judged as written, never moved to UTC first.
    assert refusal(ClockTime, "9999-12-31T23:59:59-14:00") == "must be on or before 2100-12-31"
    assert refusal(ClockTime, "1999-12-31T23:59:59+00:00") == "must be on or after 2000-01-01"
    assert "timezone" in refusal(ClockTime, "2026-03-01T09:00:00")
    # The clock's model: the calendar only (the kit refuses a future as_of by name).
    far = "2099-01-01T00:00:00+00:00"
    assert parse_command(CheckDeadlines, {"as_of": far}).as_of.year == 2099
    with pytest.raises(InvalidCommandError, match="as_of: must be on or before 2100-12-31"):
        parse_command(CheckDeadlines, {"as_of": "9999-12-31T00:00:00+00:00"})


def test_a_business_time_is_not_in_the_future_beyond_the_clock_skew(monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_CLOCK_SKEW_SECONDS", "300")
    now = utcnow()
    assert accepts(BusinessTime, now) == now
    assert accepts(BusinessTime, now + timedelta(seconds=240))  # within the skew
    future = "must not be in the future (at most 300 seconds after now)"
    assert refusal(BusinessTime, now + timedelta(seconds=360)) == future
    assert refusal(BusinessTime, datetime(2099, 1, 1, tzinfo=UTC)) == future
    assert refusal(BusinessTime, datetime(9999, 12, 31, tzinfo=UTC)) == (
        "must be on or before 2100-12-31")
    assert refusal(BusinessTime, datetime(1999, 12, 31, tzinfo=UTC)) == (
        "must be on or after 2000-01-01")
    assert accepts(BusinessTime, datetime(2000, 1, 1, tzinfo=UTC))
    # The skew is the clock's (the rule check_deadlines applies to as_of), read each time.
    monkeypatch.setenv("DUTYTRAIL_CLOCK_SKEW_SECONDS", "0")
    assert "at most 0 seconds" in refusal(BusinessTime, utcnow() + timedelta(seconds=30))
    monkeypatch.setenv("DUTYTRAIL_CLOCK_SKEW_SECONDS", "3600")
    assert accepts(BusinessTime, utcnow() + timedelta(minutes=50))
    expected = utcnow() + timedelta(seconds=3600)
    assert timedelta(0) <= latest_business_time() - expected < timedelta(seconds=5)


def test_every_command_states_its_business_time_within_the_bounds(monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_CLOCK_SKEW_SECONDS", "300")
    unit = {"code": "D01", "name": "区财政局", "kind": "district_department"}
    late = (utcnow() + timedelta(days=2)).isoformat()
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RegisterUnit, {**unit, "occurred_at": late})
    assert str(refused.value) == (
        "RegisterUnit refused: occurred_at: must not be in the future "
        "(at most 300 seconds after now)")
    stated = parse_command(RegisterUnit, {**unit, "occurred_at": "2026-01-05T09:00:00+08:00"})
    assert stated.occurred_at == datetime.fromisoformat("2026-01-05T09:00:00+08:00")


# Positions.


def test_a_position_is_at_most_the_highest_a_store_holds():
    assert accepts(Position, 0) == 0
    assert accepts(Position, MAX_POSITION) == MAX_POSITION
    for too_far in (MAX_POSITION + 1, 10**20 - 1, 10**20):
        assert refusal(Position, too_far) == (
            f"Input should be less than or equal to {MAX_POSITION}")
    assert refusal(Position, -1) == "Input should be greater than or equal to 0"
    assert parse_command(EventsAfter, {"after": MAX_POSITION}).after == MAX_POSITION
    with pytest.raises(InvalidCommandError, match="EventsAfter refused: after: Input should be"):
        parse_command(EventsAfter, {"after": 10**20})


# Lists.


def test_lists_are_bounded():
    clauses = {"year": 2026, "issuer_unit_id": "0b6f3c2e-8f51-5a3e-9c1d-2f4e6a8b0c1d",
               "signatory_unit_id": "0b6f3c2e-8f51-5a3e-9c1d-2f4e6a8b0c1d"}
    enough = parse_command(DraftLetter, {"letter": {**clauses,
                                                    "common_clauses": ["c"] * MAX_CLAUSES}})
    assert len(enough.letter.common_clauses) == MAX_CLAUSES
    with pytest.raises(InvalidCommandError,
                       match=f"letter.common_clauses: List should have at most {MAX_CLAUSES}"):
        parse_command(DraftLetter, {"letter": {**clauses,
                                               "common_clauses": ["c"] * (MAX_CLAUSES + 1)}})


# What a clerk reads, through parse_command.


def test_the_refusals_name_the_field_and_the_rule_in_plain_words():
    cadre = {"person_id": "7e2d4c1a-9b8f-5a6e-b3c2-d1e0f9a8b7c6",
             "unit_id": "5d1c9a4e-3b2f-5e6d-8a7c-1b2c3d4e5f60", "post_title": "局长",
             "line_of_work": "财政"}
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(RegisterCadre, {**cadre, "name": "王\x00伟", "post_title": "\u200b\u3000",
                                      "line_of_work": "财\t政"})
    assert str(refused.value) == (
        "RegisterCadre refused: "
        f"name: {SHORT_CONTROL}; post_title: {NOTHING}; line_of_work: {SHORT_CONTROL}")
    # Spaces around a text are trimmed as before; what is left must still say something.
    assert parse_command(RegisterCadre, {**cadre, "name": "  王伟 "}).name == "王伟"


# The schemas document every bound.


def test_the_schema_of_a_command_shows_its_bounds():
    schema = DraftLetter.model_json_schema()
    letter = schema["$defs"]["LetterContent"]["properties"]
    assert letter["common_clauses"]["maxItems"] == MAX_CLAUSES
    assert letter["common_clauses"]["items"]["maxLength"] == TEXT_LENGTH
    assert letter["common_clauses"]["items"]["pattern"] == LINES_PATTERN
    clause = schema["$defs"]["BoundedClause"]["properties"]
    assert clause["text"]["maxLength"] == TEXT_LENGTH
    assert clause["risk_point"]["maxLength"] == NAME_LENGTH
    assert clause["risk_point"]["pattern"] == ONE_LINE_PATTERN
    [sign_by, _] = letter["sign_by"]["anyOf"]
    assert (sign_by["formatMinimum"], sign_by["formatMaximum"]) == ("2000-01-01", "2100-12-31")
    [occurred_at, _] = schema["properties"]["occurred_at"]["anyOf"]
    assert occurred_at["formatMaximum"].startswith("2100-12-31T23:59:59")
    assert "DUTYTRAIL_CLOCK_SKEW_SECONDS" in occurred_at["description"]
    assert EventsAfter.model_json_schema()["properties"]["after"]["maximum"] == MAX_POSITION
    name = RegisterUnit.model_json_schema()["properties"]["name"]
    assert (name["maxLength"], name["minLength"]) == (NAME_LENGTH, 1)
    assert "not only spaces or invisible characters" in name["description"]


def models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in (responsibility_commands, supervision_commands, shared_commands):
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseModel)
                    and value.__module__ == module.__name__):
                found[f"{module.__name__}.{value.__name__}"] = value
    return [found[name] for name in sorted(found)]


def unbounded(node: Any, where: str) -> list[str]:
    """Every string, list, integer, date or time in a schema with no bound on it."""
    found: list[str] = []
    if isinstance(node, dict):
        kind, fmt = node.get("type"), node.get("format")
        closed = "enum" in node or "const" in node
        if kind == "string" and not closed:
            if fmt in ("date", "date-time"):
                if "formatMaximum" not in node or "formatMinimum" not in node:
                    found.append(where)
            elif fmt != "uuid" and "maxLength" not in node:
                found.append(where)
        if kind == "array" and "maxItems" not in node:
            found.append(where)
        if kind == "integer" and not closed and "maximum" not in node:
            found.append(where)
        for key, value in node.items():
            found += unbounded(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += unbounded(value, f"{where}.{i}")
    return found


MODELS = models()


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_field_of_every_command_and_query_is_bounded(model):
    assert unbounded(model.model_json_schema(), model.__name__) == []


def test_the_walk_covers_the_commands_and_queries_of_both_services():
    names = {m.__name__ for m in MODELS}
    assert {"DraftLetter", "RegisterRiskPoints", "IssueNotice", "IssueBulletin", "EventsAfter",
            "CheckDeadlines", "Command", "InspectionReport", "BoundedRiskPoint"} <= names
    assert len(MODELS) > 80

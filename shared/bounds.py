"""Bounds on every input (docs/contract.md, "Bounds on input"): the annotated types that every
command and query field is built from, so that nothing a caller sends can crash a use case or
be stored unbounded, and the JSON Schema of each model says what it accepts.

- **Texts** have a maximum length (``maxLength``), contain no control character (Unicode
  category Cc; only the long texts may hold line breaks, ``pattern``), and must say
  something besides spaces and invisible characters (zero-width and other format
  characters, category Cf, and the blank fillers listed in ``INVISIBLE``). A lone surrogate
  is refused by pydantic itself, as not a valid string.
- **Dates** and **times** lie between 2000-01-01 and 2100-12-31 (``formatMinimum`` and
  ``formatMaximum``); the business time of an act (``occurred_at``) is moreover not later
  than now plus the clock skew (``DUTYTRAIL_CLOCK_SKEW_SECONDS``, the rule the clock's
  ``check_deadlines`` applies to its ``as_of``).
- **Positions** in a notification log are at most 2^63 - 1, the highest that SQLite and
  PostgreSQL can store (19 digits; a ``sequence`` is written with 20).
- **Lists** have a maximum number of items (``maxItems``), given where each list is declared.

A broken rule is refused by ``shared.commands.parse_command`` as an ``InvalidCommandError``
naming the field and the rule in plain words ("must not contain control characters").
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

from shared.clock import utcnow
from shared.errors import InvalidCommandError
from shared.settings import clock_skew_seconds

# The business calendar every date and time falls in.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year

# The highest position in a notification log: SQLite's and PostgreSQL's largest integer.
MAX_POSITION = 2**63 - 1

# Text lengths, in characters.
CODE_LENGTH = 64  # a unit's or a key project's code
PERSON_NAME_LENGTH = 100  # a cadre's name
REQUEST_ID_LENGTH = 100  # a caller's request id
NAME_LENGTH = 200  # a unit, a post, a line of work, a place, a meeting, a channel, a risk point
TITLE_LENGTH = 300  # a task, a bulletin, an education activity, a topic
SUBJECT_LENGTH = 1000  # the subject of a reminder or a talk, a control measure
TEXT_LENGTH = 4000  # a clause, a requirement, a report, a reason, a summary, a note

# List lengths, in items.
MAX_CLAUSES = 100  # a letter's common or individual clauses, a top leader's duties
MAX_PROBLEMS = 100  # the problems one inspection found
MAX_MEASURES = 50  # the control measures of one risk point
MAX_RISK_POINTS = 200  # the risk points of one post
MAX_IDS = 500  # units inspected, co-units, key projects, problems or notices cited
MAX_PARTICIPANTS = 10_000  # the persons listed as attending one education activity

# Characters that show nothing, besides whitespace and the format characters (Cf): the
# combining grapheme joiner, the Hangul and Khmer fillers, the braille blank.
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
# The control characters a long text may hold: line breaks.
LINE_BREAKS = frozenset("\n\r")

# The same rules as JSON Schema patterns (ECMA-262), for the models' JSON Schemas.
ONE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
LINES_PATTERN = r"^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"

NOTHING_SAID = "must say something besides spaces and invisible characters"
SKEW_NOTE = (
    "not later than now plus the clock skew allowed "
    "(DUTYTRAIL_CLOCK_SKEW_SECONDS, 300 seconds by default)"
)


def _refuse(rule: str) -> PydanticCustomError:
    return PydanticCustomError("dutytrail_bounds", rule)


def is_invisible(character: str) -> bool:
    """Whether ``character`` shows nothing: whitespace, a format character (zero-width space,
    byte-order mark, joiners: category Cf), a variation selector or a blank filler."""
    code = ord(character)
    return (
        character.isspace()
        or unicodedata.category(character) == "Cf"
        or character in INVISIBLE
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def says_nothing(text: str) -> bool:
    return all(is_invisible(c) for c in text)


def _check_characters(text: str, allowed_controls: frozenset[str]) -> None:
    # A lone surrogate never gets here: pydantic refuses it as "not a valid string".
    for character in text:
        if unicodedata.category(character) == "Cc" and character not in allowed_controls:
            if allowed_controls:
                raise _refuse("must not contain control characters other than line breaks")
            raise _refuse("must not contain control characters such as tabs or line breaks")


def one_line(text: str) -> str:
    """A short text: one line of something visible."""
    _check_characters(text, frozenset())
    if says_nothing(text):
        raise _refuse(NOTHING_SAID)
    return text


def lines(text: str) -> str:
    """A long text: lines of something visible."""
    _check_characters(text, LINE_BREAKS)
    if says_nothing(text):
        raise _refuse(NOTHING_SAID)
    return text


def lines_or_nothing(text: str) -> str:
    """A note: empty, or lines of something visible."""
    _check_characters(text, LINE_BREAKS)
    if text and says_nothing(text):
        raise _refuse(f"{NOTHING_SAID}, or be left empty")
    return text


def _text_field(max_length: int, what: str, *, many_lines: bool, min_length: int = 1) -> Any:
    breaks = "line breaks allowed" if many_lines else "one line"
    return Field(
        min_length=min_length,
        max_length=max_length,
        description=(
            f"{what}: at most {max_length} characters, {breaks}, no other control "
            f"characters, not only spaces or invisible characters"
        ),
        json_schema_extra={"pattern": LINES_PATTERN if many_lines else ONE_LINE_PATTERN},
    )


Code = Annotated[
    str,
    Field(
        min_length=1, max_length=CODE_LENGTH, pattern=r"^[A-Za-z0-9._-]+$",
        description=f"a code: 1 to {CODE_LENGTH} letters, digits, '.', '_' or '-'",
    ),
]
ProjectCode = Annotated[
    str, _text_field(CODE_LENGTH, "a key project's code", many_lines=False),
    AfterValidator(one_line),
]
PersonName = Annotated[
    str, _text_field(PERSON_NAME_LENGTH, "a person's name", many_lines=False),
    AfterValidator(one_line),
]
RequestId = Annotated[
    str, _text_field(REQUEST_ID_LENGTH, "the caller's request id", many_lines=False),
    AfterValidator(one_line),
]
Name = Annotated[
    str, _text_field(NAME_LENGTH, "a name", many_lines=False), AfterValidator(one_line)
]
Title = Annotated[
    str, _text_field(TITLE_LENGTH, "a title", many_lines=False), AfterValidator(one_line)
]
Subject = Annotated[
    str, _text_field(SUBJECT_LENGTH, "a subject", many_lines=False), AfterValidator(one_line)
]
Text = Annotated[str, _text_field(TEXT_LENGTH, "a text", many_lines=True), AfterValidator(lines)]
Note = Annotated[
    str, _text_field(TEXT_LENGTH, "a note, may be empty", many_lines=True, min_length=0),
    AfterValidator(lines_or_nothing),
]

Year = Annotated[
    int, Field(ge=MIN_YEAR, le=MAX_YEAR, description=f"a year from {MIN_YEAR} to {MAX_YEAR}")
]


def check_day(day: date) -> date:
    if day < MIN_DATE:
        raise _refuse(f"must be on or after {MIN_DATE.isoformat()}")
    if day > MAX_DATE:
        raise _refuse(f"must be on or before {MAX_DATE.isoformat()}")
    return day


def check_moment(moment: datetime) -> datetime:
    """Within the business calendar, judged on the date the time is written with (an offset
    never turns a time into an instant outside what Python can represent)."""
    check_day(moment.date())
    return moment


def latest_business_time() -> datetime:
    """The latest business time an act may state: now plus the clock skew allowed."""
    return utcnow() + timedelta(seconds=clock_skew_seconds())


def check_not_future(moment: datetime) -> datetime:
    check_moment(moment)
    if moment > latest_business_time():
        raise _refuse(
            f"must not be in the future (at most {clock_skew_seconds()} seconds after now)"
        )
    return moment


_RANGE = f"from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
_DATE_RANGE = {"formatMinimum": MIN_DATE.isoformat(), "formatMaximum": MAX_DATE.isoformat()}
_TIME_RANGE = {
    "formatMinimum": datetime.combine(MIN_DATE, time.min, tzinfo=UTC).isoformat(),
    "formatMaximum": datetime.combine(MAX_DATE, time.max, tzinfo=UTC).isoformat(),
}

BusinessDate = Annotated[
    date,
    Field(description=f"a date {_RANGE}", json_schema_extra=_DATE_RANGE),
    AfterValidator(check_day),
]
ClockTime = Annotated[
    AwareDatetime,
    Field(description=f"a time with its offset, dated {_RANGE}", json_schema_extra=_TIME_RANGE),
    AfterValidator(check_moment),
]
BusinessTime = Annotated[
    AwareDatetime,
    Field(
        description=f"when the act happened, with its offset: dated {_RANGE} and {SKEW_NOTE}",
        json_schema_extra=_TIME_RANGE,
    ),
    AfterValidator(check_not_future),
]
Position = Annotated[
    int,
    Field(
        ge=0, le=MAX_POSITION,
        description=f"a position in a notification log: 0 to {MAX_POSITION} (2^63 - 1)",
    ),
]


class OutOfBoundsError(InvalidCommandError):
    """A value outside the bounds every input keeps, refused before anything is stored."""


def check_clock_as_of(as_of: datetime) -> None:
    """For a clock hook called without the command model: ``as_of`` within the calendar,
    refused before anything is stored."""
    day = as_of.date()
    if MIN_DATE <= day <= MAX_DATE:
        return
    rule = f"after {MIN_DATE.isoformat()}" if day < MIN_DATE else f"before {MAX_DATE.isoformat()}"
    msg = (
        f"The clock checks deadlines as of a day {_RANGE}, not as of {day.isoformat()}: "
        f"as_of must be on or {rule}."
    )
    raise OutOfBoundsError(msg)

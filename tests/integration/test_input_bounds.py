"""Bounds on every input (issue 8, item 6), on SQLite and on PostgreSQL: a value too large is a
named refusal before anything is stored, never a crash after some events were stored and
never an unbounded text published to every subscriber (docs/contract.md, "Bounds on input")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.responsibility.application import Responsibilities
from services.responsibility.commands import DraftLetter
from services.supervision.application import Supervision
from services.supervision.commands import InspectionReport, ProblemFound
from services.supervision.settings import DEFAULT_REPORTING, SupervisionSettings
from shared.actors import Actor
from shared.bounds import MAX_POSITION, TEXT_LENGTH, OutOfBoundsError
from shared.commands import CheckDeadlines, EventsAfter, arguments, parse_command
from shared.errors import InvalidCommandError
from shared.feed import UpstreamFeed
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.settings import StoreSettings

MEGABYTE = 1_000_000


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


class District:
    """A responsibility application with a party committee and a department, and a
    supervision application that learned them from its events."""

    def __init__(self, store: StoreSettings) -> None:
        self.up = Responsibilities(store_environment("responsibility", store))
        settings = SupervisionSettings(
            reporting=replace(DEFAULT_REPORTING, commission_unit_code="DC"))
        self.sup = Supervision(store_environment("supervision", store), settings)
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        self.pc = self.up.register_unit(code="PC", name="**区委", kind="party_committee",
                                        actor=founder, occurred_at=at(1, 2))
        self.committee = Actor(person_id=uuid.uuid4(), unit_id=self.pc)
        self.commission = self.unit("DC", "区纪委监委")
        self.dept = self.unit("D01", "区财政局")
        self.inspector = Actor(person_id=uuid.uuid4(), unit_id=self.commission)
        feed = UpstreamFeed(self.sup, "responsibility", Reactions(self.sup, "responsibility"))
        feed.pull(lambda after, limit: self.up.events_after(after, limit))

    def unit(self, code: str, name: str) -> uuid.UUID:
        return self.up.register_unit(code=code, name=name, kind="district_department",
                                     parent_unit_id=self.pc, actor=self.committee,
                                     occurred_at=at(1, 2))

    def close(self) -> None:
        self.sup.close()
        self.up.close()


@pytest.fixture
def district(any_store: StoreSettings) -> Iterator[District]:
    built = District(any_store)
    yield built
    built.close()


def letter(d: District, clause: str) -> dict[str, object]:
    return {"letter": {
        "year": 2026, "issuer_unit_id": str(d.pc), "signatory_unit_id": str(d.dept),
        "common_clauses": ["严格落实全面从严治党主体责任"],
        "individual_clauses": [{"text": clause, "risk_point": "资金拨付"}],
    }, "occurred_at": at(1, 6).isoformat()}


def test_a_one_megabyte_clause_is_refused_and_nothing_is_stored(district: District) -> None:
    app = district.up
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidCommandError) as refused:
        parse_command(DraftLetter, letter(district, "资" * MEGABYTE))
    message = str(refused.value)
    assert message.startswith("DraftLetter refused: ")
    assert (f"letter.individual_clauses.0.text: String should have at most {TEXT_LENGTH} "
            "characters") in message
    assert len(message) < 500  # the refusal does not echo the megabyte back
    assert app.recorder.max_notification_id() == before
    # One character over the bound is refused the same way; a common clause as well.
    with pytest.raises(InvalidCommandError, match=r"individual_clauses\.0\.text"):
        parse_command(DraftLetter, letter(district, "资" * (TEXT_LENGTH + 1)))
    huge_common = letter(district, "资金拨付全程留痕")
    huge_common["letter"]["common_clauses"] = ["廉" * MEGABYTE]  # type: ignore[index]
    with pytest.raises(InvalidCommandError, match=r"letter\.common_clauses\.0: String should"):
        parse_command(DraftLetter, huge_common)
    assert app.recorder.max_notification_id() == before
    # A clause exactly at the bound goes through the same path and is stored and published.
    command = parse_command(DraftLetter, letter(district, "资" * TEXT_LENGTH))
    letter_id = app.draft_letter(letter=command.letter, occurred_at=command.occurred_at,
                                 actor=district.committee)
    [drafted] = app.events_after(before or 0)
    assert drafted["subject"] == str(letter_id)
    assert drafted["data"]["individual_clauses"][0]["text"] == "资" * TEXT_LENGTH


def test_a_clause_of_spaces_and_invisible_characters_is_refused(district: District) -> None:
    before = district.up.recorder.max_notification_id()
    for blank in ("\u200b \u3000", "\ufeff\u200d", "\u3164\u2800"):
        with pytest.raises(InvalidCommandError) as refused:
            parse_command(DraftLetter, letter(district, blank))
        assert ("letter.individual_clauses.0.text: must say something besides spaces and "
                "invisible characters") in str(refused.value)
    assert district.up.recorder.max_notification_id() == before


def notice_due(d: District) -> uuid.UUID:
    """A weekly inspection that found a problem of the department, and a notice on it due on
    31 March: the clock has urgency and overdue events to record on it."""
    inspection = d.sup.record_inspection(
        kind="weekly", report=InspectionReport(
            leader_person_id=uuid.uuid4(), leader_name="张明", location="区财政局",
            held_on=date(2026, 3, 10), unit_ids=[d.dept],
            problems=[ProblemFound(category="fund_management", description="台账不全",
                                   unit_id=d.dept)]),
        actor=d.inspector, occurred_at=at(3, 10))
    [view] = [i for i in d.sup.list_inspections(start=date(2026, 3, 10), end=date(2026, 3, 10))
              if i.inspection_id == inspection]
    return d.sup.issue_notice(
        recipient_unit_id=d.dept, problem_ids=[p["problem_id"] for p in view.problems],
        deadline=date(2026, 3, 31), actor=d.inspector, occurred_at=at(3, 11))


def test_the_clock_as_of_9999_stores_nothing_and_is_refused_by_name(district: District) -> None:
    app = district.sup
    notice = notice_due(district)
    before = app.recorder.max_notification_id()
    # Through the command model (the RPC): refused as malformed.
    with pytest.raises(InvalidCommandError) as malformed:
        parse_command(CheckDeadlines, {"as_of": "9999-12-31T00:00:00+00:00"})
    assert "as_of: must be on or before 2100-12-31" in str(malformed.value)
    # Called directly, as the hourly timer does: a named refusal before anything is stored
    # (it used to store the notice's urgency events, then crash with OverflowError).
    with pytest.raises(OutOfBoundsError, match="as_of must be on or before 2100-12-31"):
        app.check_deadlines(datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(OutOfBoundsError, match="on or after 2000-01-01"):
        app.check_deadlines(datetime(1999, 12, 31, tzinfo=UTC))
    assert app.recorder.max_notification_id() == before
    # The clock still works on a day in the calendar: the notice went overdue.
    assert notice in app.check_deadlines(at(4, 2))
    assert app.recorder.max_notification_id() > before  # type: ignore[operator]


def test_a_catch_up_position_beyond_what_a_store_holds_is_refused(district: District) -> None:
    app = district.up
    for too_far in (MAX_POSITION + 1, 10**20 - 1, 10**20, 10**40):
        with pytest.raises(InvalidCommandError) as refused:
            parse_command(EventsAfter, {"after": too_far})
        assert f"after: Input should be less than or equal to {MAX_POSITION}" in str(
            refused.value)
    # The highest position a store can hold is served: an empty page, on either store.
    query = parse_command(EventsAfter, {"after": MAX_POSITION, "limit": 500})
    assert app.events_after(**arguments(query)) == []
    assert len(app.events_after(**arguments(parse_command(EventsAfter, {})))) == 3

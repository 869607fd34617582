"""The responsibility application's scenarios, written once and run on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.responsibility.application import LetterDraft, Responsibilities
from services.responsibility.domain import (
    CadreAlreadyRegisteredError,
    LetterAlreadySignedError,
    LetterNotSignableError,
    UnitAlreadyRegisteredError,
    UnitNotFoundError,
    WrongSignatoryError,
)
from shared.actors import Actor
from shared.envelope import parse_position
from shared.errors import NotPermittedError
from shared.persistence import store_environment
from shared.settings import StoreSettings
from tests.conftest import drop_postgres_schemas, postgres_settings, sqlite_settings


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


class ResponsibilityScenario:
    """Abstract: subclasses say which store to use."""

    settings: StoreSettings

    def open_app(self) -> Responsibilities:
        return Responsibilities(store_environment("responsibility", self.settings))

    @pytest.fixture(autouse=True)
    def _app(self, tmp_path: Path):
        self.settings = self.make_settings(tmp_path)
        self.app = self.open_app()
        yield
        self.app.close()
        self.drop_store()

    def make_settings(self, tmp_path: Path) -> StoreSettings:
        raise NotImplementedError

    def drop_store(self) -> None:
        pass

    def district(self) -> tuple[uuid.UUID, Actor, uuid.UUID]:
        founder = Actor(uuid.uuid4(), uuid.uuid4())
        pc = self.app.register_unit("PC", "**区委", "party_committee", None, founder, at(1, 2))
        clerk = Actor(uuid.uuid4(), pc)
        dept = self.app.register_unit("D01", "区财政局", "district_department", pc, clerk, at(1, 2))
        return pc, clerk, dept

    def test_letter_is_drafted_refused_completed_signed_and_superseded(self):
        # Step. The organisation: the party committee, a department and its top leader.
        pc, clerk, dept = self.district()
        leader_person = uuid.uuid4()
        leader = self.app.register_cadre(
            leader_person, "王伟", dept, "党组书记、局长", "财政", True, True, clerk, at(1, 3)
        )
        # Step. A standardised draft: common clauses only, no top leader duties.
        draft = LetterDraft(2026, pc, dept, leader, ["认真履行一岗双责"], [], [], date(2026, 2, 28))
        letter = self.app.draft_letter(draft, clerk, at(1, 10))
        with pytest.raises(LetterNotSignableError, match="individual clause"):
            self.app.sign_letter(letter, clerk.person_id, leader_person, clerk, at(1, 15))
        self.app.add_individual_clause(letter, "资金拨付全程留痕", "资金拨付", clerk, at(1, 16))
        with pytest.raises(LetterNotSignableError, match="top leader"):
            self.app.sign_letter(letter, clerk.person_id, leader_person, clerk, at(1, 16))
        self.app.set_top_leader_duties(letter, ["对本单位负总责"], clerk, at(1, 17))
        # Step. Only the addressed cadre can sign as signatory.
        with pytest.raises(WrongSignatoryError):
            self.app.sign_letter(letter, clerk.person_id, uuid.uuid4(), clerk, at(1, 18))
        self.app.sign_letter(letter, clerk.person_id, leader_person, clerk, at(1, 20))
        view = self.app.get_letter(letter)
        assert view.status == "signed"
        assert view.signed_at == at(1, 20)
        assert [s["person_id"] for s in view.signatures] == [clerk.person_id, leader_person]
        # Step. A signed letter is never edited; it is superseded and both stay.
        with pytest.raises(LetterAlreadySignedError):
            self.app.add_individual_clause(letter, "追加", "人事", clerk, at(7, 1))
        replacement = LetterDraft(
            2026, pc, dept, leader, ["认真履行一岗双责"],
            [{"text": "不插手工程招投标", "risk_point": "工程招投标"}], ["对本单位负总责"],
        )
        new = self.app.supersede_letter(letter, replacement, clerk, at(7, 1))
        assert self.app.get_letter(letter).status == "superseded"
        assert self.app.get_letter(letter).superseded_by == new
        assert self.app.get_letter(new).supersedes == letter
        assert {v.letter_id for v in self.app.list_letters(year=2026)} == {letter, new}
        # Step. Every event carries who acted and when the act happened.
        events = self.app.events_after(0)
        signed = [e for e in events if e["type"] == "dutytrail.responsibility.letter_signed.v1"]
        assert len(signed) == 1
        assert signed[0]["time"] == at(1, 20).isoformat()
        assert signed[0]["data"]["actor"] == {
            "person_id": str(clerk.person_id), "unit_id": str(clerk.unit_id)
        }

    def test_refused_commands_store_nothing(self):
        pc, clerk, dept = self.district()
        before = len(self.app.events_after(0))
        outsider = Actor(uuid.uuid4(), dept)
        with pytest.raises(NotPermittedError):
            self.app.draft_letter(
                LetterDraft(2026, pc, dept, None, ["c"], [{"text": "t", "risk_point": "r"}], []),
                outsider,
            )
        with pytest.raises(UnitAlreadyRegisteredError):
            self.app.register_unit("D01", "again", "district_department", pc, clerk)
        with pytest.raises(UnitNotFoundError):
            self.app.register_unit("D02", "orphan", "district_department", uuid.uuid4(), clerk)
        person = uuid.uuid4()
        self.app.register_cadre(person, "李娜", dept, "副局长", "教育", True, False, clerk)
        with pytest.raises(CadreAlreadyRegisteredError):
            self.app.register_cadre(person, "李娜", dept, "副局长", "教育", True, False, clerk)
        # Only the first cadre registration was stored. (Positions are not counted: on
        # PostgreSQL a refused insert burns a position, DESIGN §2.)
        assert len(self.app.events_after(0)) == before + 1

    def test_check_deadlines_records_each_overdue_letter_exactly_once(self):
        pc, clerk, dept = self.district()
        late = self.app.draft_letter(
            LetterDraft(2026, pc, dept, None, ["c"], [{"text": "t", "risk_point": "r"}], [],
                        date(2026, 2, 28)), clerk, at(1, 10))
        on_time = self.app.draft_letter(
            LetterDraft(2026, pc, dept, None, ["c"], [{"text": "t", "risk_point": "r"}], [],
                        date(2026, 2, 28)), clerk, at(1, 10))
        self.app.sign_letter(on_time, clerk.person_id, uuid.uuid4(), clerk, at(2, 1))
        assert self.app.check_deadlines(at(2, 28)) == []
        assert self.app.check_deadlines(at(3, 2)) == [late]
        assert self.app.check_deadlines(at(3, 9)) == []
        # A second process replaying the clock (e.g. after a restart) records nothing new.
        other = self.open_app()
        try:
            assert other.check_deadlines(at(3, 16)) == []
        finally:
            other.close()
        overdue = [
            e for e in self.app.events_after(0)
            if e["type"] == "dutytrail.responsibility.letter_signing_overdue.v1"
        ]
        assert [e["subject"] for e in overdue] == [str(late)]
        assert overdue[0]["time"] == at(3, 2).isoformat()

    def test_concurrent_commands_on_one_letter_do_not_both_win(self):
        pc, clerk, dept = self.district()
        letter = self.app.draft_letter(
            LetterDraft(2026, pc, dept, None, ["c"], [{"text": "t", "risk_point": "r"}], []), clerk
        )
        apps = [self.open_app() for _ in range(4)]
        outcomes: list[str] = []
        barrier = threading.Barrier(len(apps))

        def sign(app: Responsibilities) -> None:
            barrier.wait()
            try:
                app.sign_letter(letter, clerk.person_id, uuid.uuid4(), clerk)
                outcomes.append("signed")
            except Exception as error:  # noqa: BLE001 - the loser's error is the assertion
                outcomes.append(type(error).__name__)

        threads = [threading.Thread(target=sign, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for a in apps:
            a.close()
        assert outcomes.count("signed") == 1, outcomes
        assert set(outcomes) - {"signed"} <= {"ConflictError", "LetterAlreadySignedError"}
        signed = [e for e in self.app.events_after(0) if e["type"].endswith("letter_signed.v1")]
        assert len(signed) == 1

    def test_catch_up_pages_continue_exactly_where_the_last_stopped(self):
        pc, clerk, _ = self.district()
        for i in range(30):
            self.app.register_unit(f"C{i:02d}", f"社区{i}", "community", pc, clerk)
        everything = self.app.events_after(0, 500)
        paged, after = [], 0
        while page := self.app.events_after(after, 7):
            assert page[0]["prevsequence"] == ("" if after == 0 else f"{after:020d}")
            paged += page
            after = parse_position(page[-1]["sequence"])
        assert paged == everything
        assert len(everything) == 32
        positions = [parse_position(e["sequence"]) for e in everything]
        assert positions == sorted(set(positions))


class TestOnSQLite(ResponsibilityScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return sqlite_settings(tmp_path / "var")


@pytest.mark.postgres
class TestOnPostgres(ResponsibilityScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return postgres_settings(f"t{uuid.uuid4().hex[:10]}_")

    def drop_store(self) -> None:
        drop_postgres_schemas(self.settings)

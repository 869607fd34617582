"""The responsibility application's scenarios, written once and run on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from services.responsibility.domain import (
    CadreAlreadyRegisteredError,
    CadreNotFoundError,
    LetterAlreadySignedError,
    LetterAlreadySupersededError,
    LetterNotFoundError,
    LetterNotSignableError,
    TaskNotFoundError,
    UnitAlreadyRegisteredError,
    UnitNotFoundError,
    WrongSignatoryError,
)
from shared.actors import Actor
from shared.contracts.responsibility import LetterSuperseded
from shared.envelope import parse_position
from shared.errors import NotPermittedError
from shared.persistence import drop_postgres_schemas, store_environment
from shared.settings import StoreSettings
from tests.conftest import postgres_settings, sqlite_settings
from tests.unit.test_glossary import OLD_TERMS


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def someone(unit_id: uuid.UUID | None = None) -> Actor:
    return Actor(person_id=uuid.uuid4(), unit_id=unit_id or uuid.uuid4())


CLAUSE = {"text": "t", "risk_point": "r"}


def content(issuer: uuid.UUID, signatory_unit: uuid.UUID, **terms) -> LetterContent:
    """A letter of 2026 from ``issuer`` to ``signatory_unit``; common clause "c" unless told."""
    return LetterContent.model_validate({
        "year": 2026, "issuer_unit_id": issuer, "signatory_unit_id": signatory_unit,
        "common_clauses": ["c"], **terms,
    })


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
        pc = self.app.register_unit(code="PC", name="**区委", kind="party_committee",
                                    actor=someone(), occurred_at=at(1, 2))
        clerk = someone(pc)
        dept = self.app.register_unit(code="D01", name="区财政局", kind="district_department",
                                      parent_unit_id=pc, actor=clerk, occurred_at=at(1, 2))
        return pc, clerk, dept

    def cadre(self, unit: uuid.UUID, post: str, *, top: bool = True,
              leader: bool = False) -> Actor:
        """A cadre of ``unit`` registered by the party committee's clerk; the cadre acting with
        their own token."""
        person = uuid.uuid4()
        pc = self.app.list_units()[0].unit_id
        self.app.register_cadre(
            person_id=person, name=post, unit_id=unit, post_title=post, line_of_work="全面",
            leadership_member=leader, top_leader=top, actor=someone(pc), occurred_at=at(1, 3),
        )
        return Actor(person_id=person, unit_id=unit)

    def secretary(self) -> Actor:
        """The district party secretary, who signs the district's letters for it (once
        registered, the same person)."""
        if getattr(self, "_secretary", None) is None:
            pc = next(u.unit_id for u in self.app.list_units() if u.kind == "party_committee")
            self._secretary = self.cadre(pc, "区委书记")
        return self._secretary

    def own(self, person: uuid.UUID) -> Actor:
        """The registered cadre ``person`` acting with their own token."""
        unit = next(c.unit_id for c in self.app.list_cadres() if c.person_id == person)
        return Actor(person_id=person, unit_id=unit)

    def sign(self, letter: uuid.UUID, signatory: Actor, when: datetime | None = None,
             app: Responsibilities | None = None) -> None:
        """签字背书: the district party secretary signs for the issuer, then the signatory
        for themself, each with their own token."""
        app = app or self.app
        if app.get_letter(letter).awaiting_signature_of != "signatory":
            app.sign_letter_as_issuer(letter_id=letter, actor=self.secretary(),
                                      occurred_at=when)
        app.countersign_letter(letter_id=letter, actor=signatory, occurred_at=when)

    def test_letter_is_drafted_refused_completed_signed_and_superseded(self):
        # Step. The organisation: the party committee, a department and its top leader.
        pc, clerk, dept = self.district()
        leader_person = uuid.uuid4()
        leader = self.app.register_cadre(
            person_id=leader_person, name="王伟", unit_id=dept, post_title="党组书记、局长",
            line_of_work="财政", leadership_member=True, top_leader=True, actor=clerk,
            occurred_at=at(1, 3),
        )
        # Step. A standardised draft: common clauses only, no top leader duties.
        draft = content(pc, dept, signatory_cadre_id=leader, common_clauses=["认真履行一岗双责"],
                        sign_by=date(2026, 2, 28))
        letter = self.app.draft_letter(letter=draft, actor=clerk, occurred_at=at(1, 10))
        leader_self = Actor(person_id=leader_person, unit_id=dept)
        with pytest.raises(LetterNotSignableError, match="individual clause"):
            self.sign(letter, leader_self, at(1, 15))
        self.app.add_individual_clause(letter_id=letter, text="资金拨付全程留痕",
                                       risk_point="资金拨付", actor=clerk, occurred_at=at(1, 16))
        with pytest.raises(LetterNotSignableError, match="top leader"):
            self.sign(letter, leader_self, at(1, 16))
        self.app.set_top_leader_duties(letter_id=letter, duties=["对本单位负总责"], actor=clerk,
                                       occurred_at=at(1, 17))
        # Step. Only the addressed cadre can sign as signatory (the issuer has signed).
        deputy = self.cadre(dept, "副局长", top=False)
        with pytest.raises(WrongSignatoryError):
            self.sign(letter, deputy, at(1, 18))
        assert self.app.get_letter(letter).awaiting_signature_of == "signatory"
        self.sign(letter, leader_self, at(1, 20))
        view = self.app.get_letter(letter)
        assert view.status == "signed"
        assert view.signed_at == at(1, 20)
        assert [s["person_id"] for s in view.signatures] == [
            self.secretary().person_id, leader_person]
        # Step. A signed letter is never edited; it is superseded and both stay.
        with pytest.raises(LetterAlreadySignedError):
            self.app.add_individual_clause(letter_id=letter, text="追加", risk_point="人事",
                                           actor=clerk, occurred_at=at(7, 1))
        replacement = content(
            pc, dept, signatory_cadre_id=leader, common_clauses=["认真履行一岗双责"],
            individual_clauses=[{"text": "不插手工程招投标", "risk_point": "工程招投标"}],
            top_leader_duties=["对本单位负总责"],
        )
        new = self.app.supersede_letter(letter_id=letter, letter=replacement, actor=clerk,
                                        occurred_at=at(7, 1))
        # The old letter stays valid while its replacement is a draft.
        assert self.app.get_letter(letter).status == "signed"
        assert self.app.get_letter(new).supersedes == letter
        self.sign(new, leader_self, at(7, 10))
        assert self.app.get_letter(letter).status == "superseded"
        assert self.app.get_letter(letter).superseded_by == new
        assert self.app.get_letter(letter, as_of=date(2026, 7, 9)).status == "signed"
        assert {v.letter_id for v in self.app.list_letters(year=2026)} == {letter, new}
        # Step. Every event carries who acted and when the act happened.
        events = self.app.events_after(0)
        signed = [e for e in events if e["type"] == "dutytrail.responsibility.letter_signed.v1"]
        assert len(signed) == 2
        assert signed[0]["time"] == at(1, 20).isoformat()
        # Signed by the second signature, the leader's own: the actor is the leader.
        assert signed[0]["data"]["actor"] == {
            "person_id": str(leader_person), "unit_id": str(dept)
        }
        first = [e for e in events
                 if e["type"] == "dutytrail.responsibility.letter_signature_recorded.v1"]
        assert [e["data"]["side"] for e in first] == ["issuer", "issuer"]
        assert first[0]["data"]["actor"]["person_id"] == str(self.secretary().person_id)

    def test_a_letter_is_superseded_when_its_replacement_is_signed_not_when_drafted(self):
        pc, clerk, dept = self.district()
        person = uuid.uuid4()
        leader = self.app.register_cadre(
            person_id=person, name="王伟", unit_id=dept, post_title="党组书记",
            line_of_work="全面", leadership_member=True, top_leader=True, actor=clerk,
            occurred_at=at(1, 3),
        )
        terms = {"signatory_cadre_id": leader, "individual_clauses": [CLAUSE],
                 "top_leader_duties": ["对本单位负总责"]}
        letter = self.app.draft_letter(letter=content(pc, dept, **terms), actor=clerk,
                                       occurred_at=at(1, 10))
        self.sign(letter, Actor(person_id=person, unit_id=dept), at(1, 20))
        # Step. The replacement is drafted in July: the old letter still covers the leader.
        replacement = content(pc, dept, **{**terms, "individual_clauses": [
            {"text": "调整分工后：落实政府采购公开招标", "risk_point": "政府采购"}]})
        new = self.app.supersede_letter(letter_id=letter, letter=replacement, actor=clerk,
                                        occurred_at=at(7, 1))
        for day in (date(2026, 7, 5), date(2026, 12, 31)):
            gap = self.app.coverage(2026, day)
            assert gap.leaders_without_signed_letter == []
            assert gap.top_leaders_without_duties_letter == []
        assert self.app.get_letter(letter).status == "signed"
        types = [e["type"].split(".")[2] for e in self.app.events_after(0)]
        assert "letter_superseded" not in types
        # Step. Signed in August: from that day on the new letter is the valid one.
        self.sign(new, Actor(person_id=person, unit_id=dept), at(8, 3))
        assert self.app.get_letter(letter, as_of=date(2026, 8, 2)).status == "signed"
        assert self.app.get_letter(letter, as_of=date(2026, 8, 3)).status == "superseded"
        assert self.app.coverage(2026, date(2026, 8, 3)).leaders_without_signed_letter == []
        # The mark is stored with the signature, in the same transaction, at the signing's
        # business time, and its data is valid against the public contract.
        # (The signing's flags, such as a clause outside the post's risk-point register, are
        # in the same save and are left out here.)
        events = [e for e in self.app.events_after(0) if "_flagged_" not in e["type"]]
        last_two = events[-2:]
        assert [e["type"].split(".")[2] for e in last_two] == ["letter_signed",
                                                                "letter_superseded"]
        assert [e["subject"] for e in last_two] == [str(new), str(letter)]
        assert last_two[1]["time"] == at(8, 3).isoformat()
        assert LetterSuperseded.model_validate(last_two[1]["data"]).superseded_by == new
        # Step. A second replacement of the superseded letter is refused, drafted or signed.
        with pytest.raises(LetterAlreadySupersededError):
            self.app.supersede_letter(letter_id=letter, letter=replacement, actor=clerk,
                                      occurred_at=at(9, 1))
        assert len([e for e in self.app.events_after(0) if "_flagged_" not in e["type"]]) == len(
            events
        )

    def test_a_letter_is_signed_by_the_issuers_principal_and_the_signatory_each_for_themself(
        self,
    ):
        pc, clerk, dept = self.district()
        member = self.cadre(dept, "副局长", top=False, leader=True)
        member_id = self.app.list_cadres(unit_id=dept)[0].cadre_id
        letter = self.app.draft_letter(
            letter=content(pc, dept, signatory_cadre_id=member_id, individual_clauses=[CLAUSE]),
            actor=clerk, occurred_at=at(1, 10))
        before = len(self.app.events_after(0))
        # Step. The clerk signs for nobody: not for the issuer, not for the signatory.
        with pytest.raises(WrongSignatoryError, match="no registered cadre"):
            self.app.sign_letter_as_issuer(letter_id=letter, actor=clerk, occurred_at=at(1, 12))
        with pytest.raises(WrongSignatoryError, match="no registered cadre"):
            self.app.countersign_letter(letter_id=letter, actor=clerk, occurred_at=at(1, 12))
        # A member of the party committee who is not its principal leader cannot sign for it.
        deputy = self.cadre(pc, "区委副书记", top=False)
        with pytest.raises(WrongSignatoryError, match="principal leaders"):
            self.app.sign_letter_as_issuer(letter_id=letter, actor=deputy, occurred_at=at(1, 12))
        # A cadre signs as a cadre of their own unit.
        with pytest.raises(WrongSignatoryError, match="their own unit"):
            self.app.countersign_letter(
                letter_id=letter, actor=Actor(person_id=member.person_id, unit_id=pc))
        assert len(self.app.events_after(0)) == before + 1  # only the deputy registered
        # Step. The signatory signs first; the letter is still a draft, not covering anyone.
        self.app.countersign_letter(letter_id=letter, actor=member, occurred_at=at(1, 15))
        view = self.app.get_letter(letter)
        assert (view.status, view.awaiting_signature_of) == ("draft", "issuer")
        gaps = self.app.coverage(2026, date(2026, 1, 31))
        assert member_id in gaps.leaders_without_signed_letter
        # Step. The district party secretary signs: the letter is signed, both signatures kept.
        self.app.sign_letter_as_issuer(letter_id=letter, actor=self.secretary(),
                                       occurred_at=at(1, 20))
        view = self.app.get_letter(letter)
        assert (view.status, view.signed_at) == ("signed", at(1, 20))
        assert [(s["person_id"], s["unit_id"], s["signed_at"]) for s in view.signatures] == [
            (self.secretary().person_id, pc, at(1, 20)), (member.person_id, dept, at(1, 15))]
        assert self.app.coverage(2026, date(2026, 1, 31)).leaders_without_signed_letter == []
        types = [e["type"].split(".")[2] for e in self.app.events_after(0)
                 if e["subject"] == str(letter)]
        # The member's post has no risk-point register: the signing also flags the clause.
        assert types == ["letter_drafted", "letter_signature_recorded", "letter_signed",
                         "letter_flagged_outside_risk_register"]
        with pytest.raises(LetterAlreadySignedError):
            self.app.countersign_letter(letter_id=letter, actor=member)

    def test_two_drafts_replacing_one_letter_the_second_signing_is_refused(self):
        pc, clerk, dept = self.district()
        letter = self.app.draft_letter(
            letter=content(pc, dept, individual_clauses=[CLAUSE]), actor=clerk,
            occurred_at=at(1, 10))
        signer = self.cadre(dept, "局长")
        self.sign(letter, signer, at(1, 20))
        replacement = content(pc, dept, individual_clauses=[{"text": "新", "risk_point": "r"}])
        first = self.app.supersede_letter(letter_id=letter, letter=replacement, actor=clerk,
                                          occurred_at=at(7, 1))
        second = self.app.supersede_letter(letter_id=letter, letter=replacement, actor=clerk,
                                           occurred_at=at(7, 2))
        self.sign(second, signer, at(7, 3))
        before = len(self.app.events_after(0))
        with pytest.raises(LetterAlreadySupersededError):
            self.app.sign_letter_as_issuer(letter_id=first, actor=self.secretary(),
                                           occurred_at=at(7, 4))
        assert len(self.app.events_after(0)) == before
        assert self.app.get_letter(first).status == "draft"
        assert self.app.get_letter(letter).superseded_by == second

    def test_refused_commands_store_nothing(self):
        pc, clerk, dept = self.district()
        before = len(self.app.events_after(0))
        outsider = someone(dept)
        with pytest.raises(NotPermittedError):
            self.app.draft_letter(letter=content(pc, dept, individual_clauses=[CLAUSE]),
                                  actor=outsider)
        with pytest.raises(UnitAlreadyRegisteredError):
            self.app.register_unit(code="D01", name="again", kind="district_department",
                                   parent_unit_id=pc, actor=clerk)
        with pytest.raises(UnitNotFoundError):
            self.app.register_unit(code="D02", name="orphan", kind="district_department",
                                   parent_unit_id=uuid.uuid4(), actor=clerk)
        person = uuid.uuid4()
        register_cadre = functools.partial(
            self.app.register_cadre, person_id=person, name="李娜", unit_id=dept,
            post_title="副局长", line_of_work="教育", leadership_member=True, actor=clerk,
        )
        register_cadre()
        with pytest.raises(CadreAlreadyRegisteredError):
            register_cadre()
        # Only the first cadre registration was stored. (Positions are not counted: on
        # PostgreSQL a refused insert burns a position; docs/contract.md.)
        assert len(self.app.events_after(0)) == before + 1

    def test_check_deadlines_records_each_overdue_letter_exactly_once(self):
        pc, clerk, dept = self.district()
        terms = content(pc, dept, individual_clauses=[CLAUSE], sign_by=date(2026, 2, 28))
        late = self.app.draft_letter(letter=terms, actor=clerk, occurred_at=at(1, 10))
        on_time = self.app.draft_letter(letter=terms, actor=clerk, occurred_at=at(1, 10))
        self.sign(on_time, self.cadre(dept, "局长"), at(2, 1))
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
        letter = self.app.draft_letter(letter=content(pc, dept, individual_clauses=[CLAUSE]),
                                       actor=clerk)
        # The issuer has signed; the unit's two principal leaders countersign at once.
        self.app.sign_letter_as_issuer(letter_id=letter, actor=self.secretary())
        leaders = [self.cadre(dept, "党组书记"), self.cadre(dept, "局长")]
        apps = [self.open_app() for _ in range(4)]
        outcomes: list[str] = []
        barrier = threading.Barrier(len(apps))

        def sign(app: Responsibilities, head: Actor) -> None:
            barrier.wait()
            try:
                app.countersign_letter(letter_id=letter, actor=head)
                outcomes.append("signed")
            except Exception as error:  # noqa: BLE001 - the loser's error is the assertion
                outcomes.append(type(error).__name__)

        threads = [
            threading.Thread(target=sign, args=(a, leaders[i % 2])) for i, a in enumerate(apps)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for a in apps:
            a.close()
        assert outcomes.count("signed") == 1, outcomes
        assert set(outcomes) - {"signed"} <= {
            "ConflictError", "LetterAlreadySignedError", "SignatureAlreadyRecordedError"}
        signed = [e for e in self.app.events_after(0) if e["type"].endswith("letter_signed.v1")]
        assert len(signed) == 1

    def test_catch_up_pages_continue_exactly_where_the_last_stopped(self):
        pc, clerk, _ = self.district()
        for i in range(30):
            self.app.register_unit(code=f"C{i:02d}", name=f"社区{i}", kind="community",
                                   parent_unit_id=pc, actor=clerk)
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

    def test_an_id_of_another_kind_is_refused_as_not_found_naming_the_kind(self):
        pc, clerk, dept = self.district()
        task_person = uuid.uuid4()
        cadre = self.app.register_cadre(person_id=task_person, name="王伟", unit_id=dept,
                                        post_title="局长", line_of_work="财政", actor=clerk)
        task = self.app.create_task(year=2026, title="t", requirement="r", lead_unit_id=dept,
                                    responsible_cadre_id=cadre, deadline=date(2026, 6, 30),
                                    actor=clerk)
        before = len(self.app.events_after(0))
        # A task's id where a letter's is expected.
        with pytest.raises(LetterNotFoundError, match=f"^No letter {task}\\.$"):
            self.app.countersign_letter(letter_id=task,
                                        actor=Actor(person_id=task_person, unit_id=dept))
        # A unit's id where a cadre's is expected (the letter's addressee).
        with pytest.raises(CadreNotFoundError, match=f"^No cadre {dept} is registered\\.$"):
            self.app.draft_letter(letter=content(pc, dept, signatory_cadre_id=dept), actor=clerk)
        # A cadre's id where a task's is expected.
        with pytest.raises(TaskNotFoundError, match=f"^No task {cadre}\\.$"):
            self.app.complete_task(task_id=cadre, actor=clerk)
        # A letter's id where a unit's is expected.
        letter = self.app.draft_letter(letter=content(pc, dept), actor=clerk)
        with pytest.raises(UnitNotFoundError, match=f"^No unit {letter} is registered\\.$"):
            self.app.register_unit(code="X", name="x", kind="office", parent_unit_id=letter,
                                   actor=clerk)
        assert len(self.app.events_after(0)) == before + 1  # only the letter drafted

    def test_one_era_of_terms_the_stored_events_speak_todays_names(self):
        pc, clerk, _ = self.district()
        commission = self.app.register_unit(
            code="D00", name="区纪委监委", kind="district_department", parent_unit_id=pc,
            actor=clerk, occurred_at=at(1, 2))
        self.app.record_education_activity(
            kind="warning_education_visit", title="区纪委监委组织警示教育：政务处分典型案例",
            held_on=date(2026, 4, 8), organiser_unit_id=commission, participant_count=30,
            actor=someone(commission), occurred_at=at(4, 8))
        text = json.dumps(self.app.events_after(0), ensure_ascii=False)
        assert "区纪委监委" in text and "政务处分" in text
        assert not OLD_TERMS.search(text)


class TestOnSQLite(ResponsibilityScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return sqlite_settings(tmp_path / "var")


@pytest.mark.postgres
class TestOnPostgres(ResponsibilityScenario):
    def make_settings(self, tmp_path: Path) -> StoreSettings:
        return postgres_settings(f"t{uuid.uuid4().hex[:10]}_")

    def drop_store(self) -> None:
        drop_postgres_schemas(self.settings)

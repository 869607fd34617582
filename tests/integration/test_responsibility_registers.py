"""The risk-point register (廉政风险点) and the recorded acts (提醒, 约谈, 述责述廉) as application
scenarios, run on SQLite and on PostgreSQL (issue 10, items 12 and 13)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from services.responsibility.domain import CadreNotFoundError, UnitNotFoundError
from services.responsibility.domain.accountability_reports import (
    AccountabilityReportAlreadyGivenError,
    NotALeadershipMemberError,
)
from services.responsibility.domain.reminders import ReminderGiverNotOfUnitError
from services.responsibility.domain.risk_points import (
    RiskPointListError,
    RiskRegisterAlreadyExistsError,
    RiskRegisterNotFoundError,
    RiskRegisterNotPermittedError,
)
from services.responsibility.domain.talks import TalkNotWithLeaderError
from shared.actors import Actor
from shared.contracts.responsibility import RiskPoint
from shared.errors import ConflictError
from shared.persistence import store_environment
from shared.settings import StoreSettings

YEAR = 2026


def at(month: int, day: int, year: int = YEAR) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def points(*named: tuple[str, str]) -> list[RiskPoint]:
    return [RiskPoint(name=n, level=level, measures=[f"{n}全程留痕"])
            for n, level in named]


@pytest.fixture
def app(any_store: StoreSettings) -> Iterator[Responsibilities]:
    application = Responsibilities(store_environment("responsibility", any_store))
    yield application
    application.close()


class District:
    """The party committee with its secretary, a department with its director and a deputy,
    a town with its party secretary, and an office clerk who leads nothing."""

    def __init__(self, app: Responsibilities) -> None:
        self.app = app
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        self.pc = app.register_unit(code="PC", name="**区委", kind="party_committee",
                                    actor=founder, occurred_at=at(1, 2))
        self.committee = Actor(person_id=uuid.uuid4(), unit_id=self.pc)
        self.dept = self.unit("D01", "区财政局", "district_department")
        self.commission = self.unit("D02", "区纪委监委", "district_department")
        self.town = self.unit("T01", "**镇", "town")
        self.dept_clerk = Actor(person_id=uuid.uuid4(), unit_id=self.dept)
        self.commission_clerk = Actor(person_id=uuid.uuid4(), unit_id=self.commission)
        self.secretary = self.cadre(self.pc, "区委书记", top=True)
        self.director = self.cadre(self.dept, "局长", top=True)
        self.deputy = self.cadre(self.dept, "副局长")
        self.town_secretary = self.cadre(self.town, "镇党委书记", top=True)
        self.inspector = self.cadre(self.commission, "纪检监察室主任")
        self.staff = self.cadre(self.dept, "科员", leader=False)

    def unit(self, code: str, name: str, kind: str) -> uuid.UUID:
        return self.app.register_unit(code=code, name=name, kind=kind,  # type: ignore[arg-type]
                                      parent_unit_id=self.pc, actor=self.committee,
                                      occurred_at=at(1, 2))

    def cadre(self, unit: uuid.UUID, post: str, *, top: bool = False,
              leader: bool = True) -> tuple[uuid.UUID, Actor]:
        person = uuid.uuid4()
        cadre = self.app.register_cadre(
            person_id=person, name=f"{post}某", unit_id=unit, post_title=post,
            line_of_work="财务", leadership_member=leader, top_leader=top,
            actor=self.committee, occurred_at=at(1, 3),
        )
        return cadre, Actor(person_id=person, unit_id=unit)

    def signed_letter(self, signatory: tuple[uuid.UUID, Actor], when: datetime,
                      *risk_points: str) -> uuid.UUID:
        """A letter from the party committee to ``signatory``, with one individual clause per
        risk point, signed by both sides on ``when``."""
        cadre, person = signatory
        letter = self.app.draft_letter(
            letter=LetterContent.model_validate({
                "year": YEAR, "issuer_unit_id": self.pc, "signatory_unit_id": person.unit_id,
                "signatory_cadre_id": cadre, "common_clauses": ["认真履行一岗双责"],
                "individual_clauses": [{"text": f"{r}：重点防控", "risk_point": r}
                                       for r in risk_points],
                "top_leader_duties": ["对本单位负总责"],
            }),
            actor=self.committee, occurred_at=when,
        )
        sign(self.app, letter, self.secretary[1], person, self.committee, when)
        assert self.app.get_letter(letter).signed_at == when
        return letter


def sign(app: Responsibilities, letter: uuid.UUID, issuer: Actor, signatory: Actor,
         clerk: Actor, when: datetime) -> None:
    """Both signatures, through whichever signing use cases the application has (each signer
    with their own token, or both entered by the issuer's clerk)."""
    use: Any = app
    if hasattr(use, "countersign_letter"):
        use.sign_letter_as_issuer(letter_id=letter, actor=issuer, occurred_at=when)
        use.countersign_letter(letter_id=letter, actor=signatory, occurred_at=when)
    else:
        use.sign_letter(letter_id=letter, issuer_person_id=issuer.person_id,
                        signatory_person_id=signatory.person_id, actor=clerk, occurred_at=when)


def test_a_posts_risk_points_are_registered_revised_and_read_as_of_a_date(app):
    d = District(app)
    # Step. The unit's own clerk registers the director's post; the party committee the deputy's.
    director_register = app.register_risk_points(
        unit_id=d.dept, post_title="局长", risk_points=points(("资金拨付", "high")),
        actor=d.dept_clerk, occurred_at=at(1, 5),
    )
    app.register_risk_points(
        unit_id=d.dept, post_title="副局长",
        risk_points=points(("政府采购", "medium"), ("执法检查", "low")),
        actor=d.committee, occurred_at=at(1, 6),
    )
    # Step. Another unit's clerk may not; a post has one register; an empty list is refused.
    with pytest.raises(RiskRegisterNotPermittedError):
        app.register_risk_points(unit_id=d.dept, post_title="科员",
                                 risk_points=points(("审批", "low")),
                                 actor=d.commission_clerk, occurred_at=at(1, 6))
    with pytest.raises(RiskRegisterAlreadyExistsError, match="update_risk_points"):
        app.register_risk_points(unit_id=d.dept, post_title="局长",
                                 risk_points=points(("审批", "low")),
                                 actor=d.dept_clerk, occurred_at=at(1, 7))
    with pytest.raises(RiskPointListError):
        app.update_risk_points(unit_id=d.dept, post_title="局长", risk_points=[],
                               actor=d.dept_clerk, occurred_at=at(1, 7))
    with pytest.raises(RiskRegisterNotFoundError):
        app.update_risk_points(unit_id=d.town, post_title="镇长",
                               risk_points=points(("征地拆迁", "high")),
                               actor=d.committee, occurred_at=at(1, 7))
    with pytest.raises(UnitNotFoundError):
        app.register_risk_points(unit_id=uuid.uuid4(), post_title="局长",
                                 risk_points=points(("审批", "low")),
                                 actor=d.committee, occurred_at=at(1, 7))
    # Step. In March the director's register is revised: the whole list replaces the last.
    assert app.update_risk_points(
        unit_id=d.dept, post_title="局长",
        risk_points=points(("资金拨付", "high"), ("工程招投标", "high")),
        actor=d.dept_clerk, occurred_at=at(3, 1),
    ) == director_register
    now = {r.post_title: r for r in app.risk_register(unit_id=d.dept)}
    assert [p["name"] for p in now["局长"].risk_points] == ["资金拨付", "工程招投标"]
    assert [v["effective_at"] for v in now["局长"].history] == [at(1, 5), at(3, 1)]
    february = {r.post_title: r for r in app.risk_register(as_of=date(YEAR, 2, 1))}
    assert [p["name"] for p in february["局长"].risk_points] == ["资金拨付"]
    assert app.risk_register(unit_id=d.town) == []
    # Step. Every event is published under a contract of its own.
    types = [e["type"] for e in app.events_after(0)]
    assert "dutytrail.responsibility.risk_register_registered.v1" in types
    assert "dutytrail.responsibility.risk_register_updated.v1" in types


def test_a_signed_letters_clause_outside_the_signatorys_post_register_is_reported(app):
    d = District(app)
    app.register_risk_points(
        unit_id=d.dept, post_title="局长", risk_points=points(("资金拨付", "high")),
        actor=d.dept_clerk, occurred_at=at(1, 5),
    )
    # Step. The director's letter: one clause from the register, one from elsewhere.
    director = d.signed_letter(d.director, at(1, 20), "资金拨付", "人事任免")
    # Step. The deputy's post has no register: each of its clauses is outside.
    deputy = d.signed_letter(d.deputy, at(1, 21), "政府采购")
    outside = app.clauses_outside_risk_register(YEAR)
    assert {(c.letter_id, c.risk_point, c.post_has_register) for c in outside} == {
        (director, "人事任免", True), (deputy, "政府采购", False),
    }
    assert all(c.unit_id == d.dept for c in outside)
    # Step. Each letter was flagged at its signing, naming the points outside the register.
    flagged = {v.letter_id: v.outside_risk_register
               for v in app.flagged_letters(YEAR, reason="outside_risk_register")}
    assert flagged == {director: ["人事任免"], deputy: ["政府采购"]}
    assert app.flagged_letters(YEAR) == []  # neither copies another post's letter
    published = [e for e in app.events_after(0)
                 if e["type"] == "dutytrail.responsibility.letter_flagged_outside_risk_register.v1"]
    assert {(e["data"]["letter_id"], e["data"]["post_has_register"]) for e in published} == {
        (str(director), True), (str(deputy), False),
    }
    # Step. A letter drafted wholly from the register is not flagged.
    fitting = d.signed_letter(d.director, at(1, 22), "资金拨付")
    assert fitting not in {v.letter_id for v in
                           app.flagged_letters(YEAR, reason="outside_risk_register")}
    outside = app.clauses_outside_risk_register(YEAR)
    # Step. A later revision of the register does not change how a signed letter is judged.
    app.update_risk_points(unit_id=d.dept, post_title="局长",
                           risk_points=points(("人事任免", "medium")),
                           actor=d.dept_clerk, occurred_at=at(3, 1))
    assert app.clauses_outside_risk_register(YEAR) == outside
    # Step. As of a day before the deputy signed, only the director's clause is reported.
    assert [c.letter_id for c in
            app.clauses_outside_risk_register(YEAR, as_of=date(YEAR, 1, 20))] == [director]
    assert app.clauses_outside_risk_register(YEAR + 1) == []


def test_reminders_talks_and_accountability_reports_are_recorded_and_read_by_year_and_unit(app):
    d = District(app)
    director, deputy = d.director[0], d.deputy[0]
    # Step. 提醒: the director reminds the deputy; the party committee reminds the town.
    first = app.record_reminder(to_cadre_id=deputy, subject="节前廉洁提醒",
                                given_on=date(YEAR, 2, 10), by_cadre_id=director,
                                actor=d.dept_clerk, occurred_at=at(2, 10))
    app.record_reminder(to_cadre_id=d.town_secretary[0], subject="征地拆迁补偿公开",
                        given_on=date(YEAR, 4, 2), by_cadre_id=d.secretary[0],
                        actor=d.committee, occurred_at=at(4, 2))
    with pytest.raises(ReminderGiverNotOfUnitError):
        app.record_reminder(to_cadre_id=deputy, subject="s", given_on=date(YEAR, 2, 10),
                            by_cadre_id=director, actor=d.commission_clerk)
    with pytest.raises(CadreNotFoundError):
        app.record_reminder(to_cadre_id=uuid.uuid4(), subject="s",
                            given_on=date(YEAR, 2, 10), actor=d.dept_clerk)
    # Step. 约谈: the commission talks with the town's party secretary; not with a clerk.
    talk = app.record_talk(leader_cadre_id=d.town_secretary[0], subject="整改不力约谈",
                           held_on=date(YEAR, 5, 6), by_cadre_id=d.inspector[0],
                           actor=d.commission_clerk, occurred_at=at(5, 6))
    with pytest.raises(TalkNotWithLeaderError):
        app.record_talk(leader_cadre_id=d.staff[0], subject="s", held_on=date(YEAR, 5, 6),
                        actor=d.committee)
    # Step. 述责述廉: the director's report of the year, once; a clerk reports nothing.
    report = app.record_accountability_report(
        cadre_id=director, year=YEAR, reported_on=date(YEAR + 1, 1, 12),
        given_to="区纪委全会", summary="履行一岗双责情况", actor=d.dept_clerk,
        occurred_at=at(1, 12, YEAR + 1),
    )
    with pytest.raises(AccountabilityReportAlreadyGivenError):
        app.record_accountability_report(cadre_id=director, year=YEAR,
                                         reported_on=date(YEAR, 12, 28), given_to="班子会",
                                         actor=d.committee)
    with pytest.raises(RiskRegisterNotPermittedError):
        app.record_accountability_report(cadre_id=d.town_secretary[0], year=YEAR,
                                         reported_on=date(YEAR, 12, 28), given_to="班子会",
                                         actor=d.dept_clerk)
    with pytest.raises(NotALeadershipMemberError):
        app.record_accountability_report(cadre_id=d.staff[0], year=YEAR,
                                         reported_on=date(YEAR, 12, 28), given_to="班子会",
                                         actor=d.dept_clerk)
    # Step. Read by year and by unit (the unit that acted or whose cadre was concerned).
    assert [r.reminder_id for r in app.reminders(YEAR, unit_id=d.dept)] == [first]
    assert len(app.reminders(YEAR)) == 2
    assert app.reminders(YEAR + 1) == []
    assert [t.talk_id for t in app.talks(YEAR, unit_id=d.town)] == [talk]
    assert [t.talk_id for t in app.talks(YEAR, unit_id=d.commission)] == [talk]
    assert app.talks(YEAR, unit_id=d.dept) == []
    reports = app.accountability_reports(YEAR, unit_id=d.dept)
    assert [(r.report_id, r.given_to, r.reported_on) for r in reports] == [
        (report, "区纪委全会", date(YEAR + 1, 1, 12)),
    ]
    assert app.accountability_reports(YEAR, unit_id=d.town) == []
    # Step. As of a day: the reminder of April and the talk of May had not happened in March.
    assert len(app.reminders(YEAR, as_of=date(YEAR, 3, 31))) == 1
    assert app.talks(YEAR, as_of=date(YEAR, 3, 31)) == []
    types = {e["type"].split(".")[2] for e in app.events_after(0)}
    assert {"reminder_recorded", "talk_held", "accountability_report_given"} <= types


def test_a_reminder_a_talk_and_an_education_activity_keep_the_id_the_caller_gives(app):
    """A caller that replays a seed (the demo) names its records; a repeated id is refused."""
    d = District(app)
    ids = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    reminder = {"to_cadre_id": d.deputy[0], "subject": "节前廉洁提醒",
                "given_on": date(YEAR, 2, 10), "reminder_id": ids[0], "actor": d.dept_clerk}
    assert app.record_reminder(**reminder) == ids[0]
    talk = {"leader_cadre_id": d.town_secretary[0], "subject": "整改不力约谈",
            "held_on": date(YEAR, 5, 6), "talk_id": ids[1], "actor": d.commission_clerk}
    assert app.record_talk(**talk) == ids[1]
    activity = {"kind": "party_lecture", "title": "廉政党课", "held_on": date(YEAR, 3, 1),
                "organiser_unit_id": d.dept_clerk.unit_id, "participant_count": 30,
                "activity_id": ids[2], "actor": d.dept_clerk}
    assert app.record_education_activity(**activity) == ids[2]
    for method, command in ((app.record_reminder, reminder), (app.record_talk, talk),
                            (app.record_education_activity, activity)):
        with pytest.raises(ConflictError):
            method(**command)
    assert [r.reminder_id for r in app.reminders(YEAR)] == [ids[0]]
    assert [t.talk_id for t in app.talks(YEAR)] == [ids[1]]

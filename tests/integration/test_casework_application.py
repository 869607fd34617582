"""A year of one district's casework through the application, on SQLite and PostgreSQL: a
real-name tip-off to a closed case (the disposal proposed and approved by two people, the
filing announced and the organisation notified, the outcome announced, appealed by the person
and executed) with 一案双查 of an area under the letter's clause; a supervision escalation and a
funds referral arriving as transferred petitions; deadlines marked once by the clock; the figures of
a period as of any day, from the stored read model; a reporter's identity read (recorded) and
crypto-shredded (the history still reads, the identity is gone, on both stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from services.casework.application import Casework
from services.casework.domain.petitions import Petition
from services.casework.domain.reporters import Reporter
from services.casework.sealing import IdentityErasedError
from services.casework.settings import CaseworkSettings
from shared.actors import Actor
from shared.contracts.casework import CasePerson
from shared.contracts.funds import MatterReferredToCasework
from shared.contracts.responsibility import CadreRegistered, LetterDrafted, LetterSigned
from shared.contracts.supervision import RectificationNoticeEscalated
from shared.persistence import store_environment
from shared.policy import Reactions
from shared.settings import StoreSettings
from tests.integration.casework_upstream import UpstreamLog, actor, escalation, referral

COMMISSION = Actor(person_id=uuid4(), unit_id=uuid4())
PRINCIPAL = Actor(person_id=uuid4(), unit_id=COMMISSION.unit_id)
COMMITTEE = Actor(person_id=uuid4(), unit_id=uuid4())
NAME, PHONE = "钱七", "13712345678"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def apply_all(app: Casework, log: UpstreamLog) -> None:
    """Each upstream event through the application's reactions, as the kit's feed does."""
    reactions = Reactions(app, log.service)
    for event in log.events:
        changed = reactions(event)
        if changed:
            app.save(*changed)


def organisation(unit: UUID, leader: UUID) -> tuple[UpstreamLog, UUID]:
    upstream, letter = UpstreamLog("responsibility"), uuid4()
    upstream.add(CadreRegistered, {
        "person_id": uuid4(), "name": "孙局长", "unit_id": unit, "post_title": "局长",
        "line_of_work": "全面", "leadership_member": True, "top_leader": True, "actor": actor(),
    }, leader, at(1, 2))
    upstream.add(LetterDrafted, {
        "year": 2026, "issuer_unit_id": uuid4(), "signatory_unit_id": unit,
        "signatory_cadre_id": leader, "signatory_is_top_leader": True,
        "common_clauses": ["落实党风廉政建设主体责任"],
        "individual_clauses": [{"text": "管好民政资金发放", "risk_point": "资金发放"}],
        "top_leader_duties": ["第一责任人"], "sign_by": None, "supersedes": None,
        "actor": actor(),
    }, letter, at(1, 3))
    signature = {"person_id": uuid4(), "unit_id": unit, "signed_at": at(1, 4)}
    upstream.add(LetterSigned, {"issuer_signature": signature,
                                "signatory_signature": signature, "actor": actor()},
                 letter, at(1, 4))
    return upstream, letter


def test_a_year_of_casework_on_both_stores(any_store: StoreSettings) -> None:
    app = Casework(store_environment("casework", any_store), CaseworkSettings())
    unit, leader, person = uuid4(), uuid4(), uuid4()
    try:
        responsibility, letter = organisation(unit, leader)
        apply_all(app, responsibility)
        # Step. A real-name tip-off is received, accepted, and the reporter told.
        petition = app.receive_petition(
            channel="hotline", anonymous=False, reporter_name=NAME, reporter_contact=PHONE,
            reported_unit_id=unit, reported_person_id=person, summary="经办人截留低保金",
            actor=COMMISSION, occurred_at=at(1, 12))
        lead = app.accept_petition(petition_id=petition, actor=COMMISSION, occurred_at=at(1, 13))
        app.tell_reporter_of_acceptance(petition_id=petition, actor=COMMISSION,
                                        occurred_at=at(1, 14))
        # Step. The disposal proposed, and approved by the principal; preliminary
        # verification, then a case with its two approvals.
        app.propose_disposal(lead_id=lead, route="preliminary_verification",
                             collective_decision="1月15日线索处置会", actor=COMMISSION,
                             occurred_at=at(1, 15))
        app.approve_disposal(lead_id=lead, actor=PRINCIPAL, occurred_at=at(1, 15))
        app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                                 occurred_at=at(1, 16))
        app.conclude_verification(lead_id=lead, file_case=True, reason="问题属实",
                                  actor=COMMISSION, occurred_at=at(3, 2))
        case = app.file_case(lead_id=lead, persons=[CasePerson(person_id=person, cadre_id=None,
                                                               unit_id=unit)],
                             summary="截留低保金", key_areas=["key_field"],
                             harms_public_interest=True, actor=COMMISSION, occurred_at=at(3, 3))
        app.approve_filing_by_commission(case_id=case, actor=COMMISSION, occurred_at=at(3, 4))
        app.approve_filing_by_committee(case_id=case, actor=COMMITTEE, occurred_at=at(3, 5))
        app.announce_filing(case_id=case, actor=COMMISSION, occurred_at=at(3, 6))
        app.notify_organisation(case_id=case, unit_id=unit, actor=COMMISSION,
                                occurred_at=at(3, 9))
        app.conclude_investigation(case_id=case, findings="截留12,000.50元", actor=COMMISSION,
                                   occurred_at=at(5, 6))
        app.conclude_review(case_id=case, opinion="建议给予撤职处分", actor=COMMISSION,
                            occurred_at=at(5, 20))
        app.decide_outcome(case_id=case, person_id=person, kind="government_sanction",
                           sanction="dismissal_from_post", form="third",
                           confiscated=Decimal("12000.50"), actor=COMMISSION,
                           occurred_at=at(6, 1))
        app.announce_outcome(case_id=case, person_id=person, actor=COMMISSION,
                             occurred_at=at(6, 2))
        app.lodge_appeal(case_id=case, person_id=person, grounds="处分过重",
                         actor=Actor(person_id=person, unit_id=unit), occurred_at=at(6, 3))
        app.execute_outcome(case_id=case, person_id=person, actor=COMMISSION,
                            occurred_at=at(6, 3))
        app.decide_appeal(case_id=case, person_id=person, upheld=True, actor=COMMISSION,
                          occurred_at=at(6, 4))
        app.close_case(case_id=case, actor=COMMISSION, occurred_at=at(6, 5))
        # Step. 一案双查: the unit's leader, under the individual clause of the letter.
        examination = app.open_accountability(case_id=case, unit_id=unit, reason="一案双查",
                                              area="资金发放", actor=COMMISSION,
                                              occurred_at=at(6, 10))
        [covering] = app.leaders_to_examine(examination_id=examination)
        assert (covering.letter_id, covering.cadre_id, covering.individual_clauses) == (
            letter, leader, ["管好民政资金发放"])
        app.decide_accountability(examination_id=examination, cadre_id=leader,
                                  letter_id=letter, clause_kind="individual", clause_number=1,
                                  form="admonishment", degree="main_leadership",
                                  actor=COMMISSION, occurred_at=at(6, 20))
        app.conclude_accountability(examination_id=examination, actor=COMMISSION,
                                    occurred_at=at(6, 21))
        # Step. Supervision escalates a notice both ways; funds refers a matter: the case
        # leads arrive as transferred petitions, once however often they are delivered.
        supervision, funds = UpstreamLog("supervision"), UpstreamLog("funds")
        notice = uuid4()
        supervision.add(RectificationNoticeEscalated, escalation(unit, "case_lead"), notice,
                        at(7, 1))
        supervision.add(RectificationNoticeEscalated, escalation(unit, "accountability"),
                        uuid4(), at(7, 2))
        funds.add(MatterReferredToCasework, referral(unit), uuid4(), at(7, 3))
        apply_all(app, supervision)
        apply_all(app, funds)
        apply_all(app, supervision)  # delivered twice: nothing more
        transferred = app.list_petitions(channel="transferred")
        assert sorted(x.transferred_from or "" for x in transferred) == ["funds", "supervision"]
        assert sorted(x.source for x in app.as_of().leads.values()) == ["petition"]
        assert sum(1 for x in app.as_of().examinations.values() if x.source == "notice") == 1
        from_notice = next(x for x in transferred if x.transferred_from == "supervision")
        app.accept_petition(petition_id=from_notice.petition_id, actor=COMMISSION,
                            occurred_at=at(7, 6))
        leads = app.as_of().leads
        assert sorted(x.source for x in leads.values()) == ["petition", "supervision"]
        assert next(x for x in leads.values() if x.source == "supervision").source_id == notice
        # Step. The reporter was never told the result: overdue once, however often checked.
        # And funds' referral was not handled within its five working days.
        from_funds = next(x.petition_id for x in transferred if x.transferred_from == "funds")
        assert sorted(map(str, app.check_deadlines(at(8, 3)))) == sorted(
            [str(petition), str(from_funds)])
        assert app.check_deadlines(at(8, 4)) == []
        # Step. The figures: by the date of each act, and as of any day.
        year = app.figures(start=date(2026, 1, 1), end=date(2026, 12, 31))
        assert (year.petitions_accepted, year.preliminary_verifications, year.cases_filed,
                year.persons_filed, year.cases_closed, year.persons_sanctioned,
                year.admonishments, year.confiscated) == (2, 1, 1, 1, 1, 1, 1, Decimal("12000.50"))
        assert year.leads_by_route["preliminary_verification"] == 1
        assert year.four_forms == {"first": 0, "second": 0, "third": 1, "fourth": 0}
        assert year.accountability_by_form["admonishment"] == 1
        assert year.accountability_by_area == {"资金发放": 1}
        assert (year.outcomes_announced, year.outcomes_executed, year.appeals_lodged) == (1, 1, 1)
        assert year.petitions_by_channel == {"hotline": 1, "transferred": 2}
        assert (year.cases_by_key_area["key_field"], year.cases_harming_public_interest) == (1, 1)
        spring = app.figures(start=date(2026, 1, 1), end=date(2026, 12, 31),
                             as_of=date(2026, 4, 1))
        assert (spring.cases_filed, spring.cases_closed, spring.persons_sanctioned) == (1, 0, 0)
        first_quarter = app.figures(start=date(2026, 1, 1), end=date(2026, 3, 31))
        assert (first_quarter.cases_filed, first_quarter.confiscated) == (1, Decimal("0"))
        # Step. The identity is read (and the read recorded), then crypto-shredded.
        assert app.read_reporter_identity(petition_id=petition, reason="告知结果",
                                          actor=COMMISSION, occurred_at=at(8, 5)) == {
            "name": NAME, "contact": PHONE}
        reporter_id = app.load(petition, Petition).reporter_id
        assert reporter_id is not None
        app.erase_reporter_identity(reporter_id=reporter_id, reason="本人申请",
                                    actor=COMMISSION, occurred_at=at(8, 6))
    finally:
        app.close()
    # A new process: the history reads whole, the identity never again.
    again = Casework(store_environment("casework", any_store), CaseworkSettings())
    try:
        reporter = again.load(reporter_id, Reporter)
        assert reporter.erased and reporter.reads == 1
        try:
            again.sealer.open(reporter.id, reporter.key_id, reporter.sealed_identity)
        except IdentityErasedError:
            pass
        else:
            raise AssertionError("an erased identity opened")
        assert again.get_case(case_id=case).status == "closed"
        assert len(again.identity_reads()) == 1
        texts = str(again.events_after(0, limit=500, cleared=True))
        assert NAME not in texts and PHONE not in texts
    finally:
        again.close()

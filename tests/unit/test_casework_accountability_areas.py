"""问责 by area of responsibility (分管领域), not only by unit: an examination that names an area
looks at the leaders who answer for it — the unit's top leaders (for every area), the member in
charge of that line of work, and a member whose letter has an individual clause written for
it — and a decision against anyone else is refused. Casework learns cadres' lines of work and
clauses' risk points from responsibility's events, in memory here."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.casework.application import Casework
from services.casework.domain.accountability import AccountabilityExamination
from services.casework.domain.files import AreaNotCoveredError
from shared.contracts.casework import CasePerson
from shared.contracts.responsibility import CadreRegistered, LetterDrafted, LetterSigned
from shared.policy import UpstreamEvent
from tests.integration.casework_upstream import actor
from tests.unit.casework_support import COMMISSION, COMMITTEE, PRINCIPAL, at, escalated_notice

UNIT = uuid4()
FUNDS, TENDERS, INSPECTIONS = "资金拨付", "工程招投标", "执法检查"


def upstream(model: Any, data: dict[str, Any], subject: UUID, n: int) -> UpstreamEvent[Any]:
    return UpstreamEvent(data=model.model_validate(data), id=f"{subject}:{n}",
                         type="dutytrail.responsibility.x.v1",
                         source="/dutytrail/responsibility", sequence=n, time=at(1, 3))


def leader(app: Casework, line: str, top: bool, risk_point: str) -> tuple[UUID, UUID]:
    """A cadre of UNIT in charge of ``line``, and their signed letter with one individual
    clause written for ``risk_point``."""
    cadre, letter = uuid4(), uuid4()
    app.save(*app.learn_cadre(upstream(CadreRegistered, {
        "cadre_id": cadre, "person_id": uuid4(), "name": "某", "unit_id": UNIT,
        "post_title": "局长" if top else "副局长", "line_of_work": line,
        "leadership_member": True, "top_leader": top, "actor": actor()}, cadre, 1)))
    app.save(*app.learn_letter(upstream(LetterDrafted, {
        "letter_id": letter, "year": 2026, "issuer_unit_id": uuid4(),
        "signatory_unit_id": UNIT, "signatory_cadre_id": cadre, "signatory_is_top_leader": top,
        "common_clauses": ["落实主体责任"],
        "individual_clauses": [{"text": f"管好{risk_point}", "risk_point": risk_point}],
        "top_leader_duties": ["第一责任人"] if top else [], "sign_by": None,
        "supersedes": None, "actor": actor()}, letter, 2)))
    signature = {"person_id": uuid4(), "unit_id": UNIT, "signed_at": at(1, 4)}
    app.save(*app.learn_signing(upstream(LetterSigned, {
        "letter_id": letter, "issuer_signature": signature,
        "signatory_signature": signature, "actor": actor()}, letter, 3)))
    return cadre, letter


def closed_case(app: Casework) -> UUID:
    person = uuid4()
    lead = app.register_lead(source="inspection", summary="线索", actor=COMMISSION,
                             occurred_at=at(2, 2))
    app.propose_disposal(lead_id=lead, route="preliminary_verification",
                         collective_decision="会", actor=COMMISSION, occurred_at=at(2, 2))
    app.approve_disposal(lead_id=lead, actor=PRINCIPAL, occurred_at=at(2, 2))
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=at(2, 3))
    app.conclude_verification(lead_id=lead, file_case=True, reason="属实", actor=COMMISSION,
                              occurred_at=at(3, 2))
    case = app.file_case(lead_id=lead, summary="截留资金", actor=COMMISSION, occurred_at=at(3, 3),
                         persons=[CasePerson(person_id=person, cadre_id=None, unit_id=UNIT)])
    app.approve_filing_by_commission(case_id=case, actor=COMMISSION, occurred_at=at(3, 4))
    app.approve_filing_by_committee(case_id=case, actor=COMMITTEE, occurred_at=at(3, 5))
    app.announce_filing(case_id=case, actor=COMMISSION, occurred_at=at(3, 6))
    app.notify_organisation(case_id=case, unit_id=UNIT, actor=COMMISSION, occurred_at=at(3, 6))
    app.conclude_investigation(case_id=case, findings="f", actor=COMMISSION, occurred_at=at(4, 1))
    app.conclude_review(case_id=case, opinion="o", actor=COMMISSION, occurred_at=at(4, 8))
    app.decide_outcome(case_id=case, person_id=person, kind="exemption", form="first",
                       actor=COMMISSION, occurred_at=at(4, 9))
    app.announce_outcome(case_id=case, person_id=person, actor=COMMISSION, occurred_at=at(4, 9))
    app.execute_outcome(case_id=case, person_id=person, actor=COMMISSION, occurred_at=at(4, 10))
    app.close_case(case_id=case, actor=COMMISSION, occurred_at=at(4, 13))
    return case


def decide(app: Casework, examination: UUID, cadre: UUID, letter: UUID) -> None:
    app.decide_accountability(examination_id=examination, cadre_id=cadre, letter_id=letter,
                              clause_kind="individual", clause_number=1, form="circular",
                              degree="important_leadership", actor=COMMISSION,
                              occurred_at=at(5, 6))


def test_an_examination_of_an_area_looks_at_who_answers_for_it_and_no_one_else(app):
    top = leader(app, "全面", True, "人事任免")
    in_charge = leader(app, FUNDS, False, FUNDS)
    elsewhere = leader(app, TENDERS, False, TENDERS)
    by_clause = leader(app, INSPECTIONS, False, FUNDS)
    case = closed_case(app)
    examination = app.open_accountability(case_id=case, unit_id=UNIT, area=FUNDS,
                                          reason="一案双查", actor=COMMISSION,
                                          occurred_at=at(4, 20))
    examined = {x.letter_id for x in app.leaders_to_examine(examination_id=examination)}
    assert examined == {top[1], in_charge[1], by_clause[1]}
    before = app.last_position()
    with pytest.raises(AreaNotCoveredError):
        decide(app, examination, *elsewhere)
    assert app.last_position() == before
    for cadre, letter in (top, in_charge, by_clause):
        decide(app, examination, cadre, letter)
    decided = {a.cadre_id: (a.area, a.coverage) for a in app.as_of().accountability.values()}
    assert decided == {top[0]: (FUNDS, "top_leader"), in_charge[0]: (FUNDS, "line_of_work"),
                       by_clause[0]: (FUNDS, "clause")}
    figures = app.figures(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert figures.accountability_by_area == {FUNDS: 3}


def test_an_examination_of_the_whole_unit_looks_at_every_letter_of_it(app):
    letters = {leader(app, line, top, line)[1]
               for line, top in (("全面", True), (FUNDS, False), (TENDERS, False))}
    case = closed_case(app)
    examination = app.open_accountability(case_id=case, unit_id=UNIT, reason="一案双查",
                                          actor=COMMISSION, occurred_at=at(4, 20))
    assert {x.letter_id for x in app.leaders_to_examine(examination_id=examination)} == letters


def test_an_ignored_notice_to_a_member_in_charge_examines_their_area(app):
    member, _ = leader(app, TENDERS, False, TENDERS)
    event = escalated_notice(UNIT, "accountability", 4, at(6, 1), recipient_cadre_id=member)
    [opened] = app.take_escalated_notice(event)
    assert isinstance(opened, AccountabilityExamination)
    assert (opened.unit_id, opened.area) == (UNIT, TENDERS)

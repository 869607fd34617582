"""Casework's figures count each act by the date of its own act (a person with several
sanctions once, each 诫勉 once whatever decided it), as of any day; its gauges count matters
open by stage and deadlines overdue, with no personal data in any label."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from prometheus_client import REGISTRY

from services.casework.application import Casework
from services.casework.views import OPEN_STAGES
from shared.contracts.casework import CasePerson
from tests.unit.casework_support import COMMISSION, PRINCIPAL, at

UNIT = uuid4()


def dispose(app: Casework, lead: UUID, route: str, day: datetime) -> None:
    app.propose_disposal(lead_id=lead, route=route, collective_decision="会",
                         actor=COMMISSION, occurred_at=day)
    app.approve_disposal(lead_id=lead, actor=PRINCIPAL, occurred_at=day)


def reviewed_case(app: Casework, persons: list[UUID], filed: datetime) -> UUID:
    lead = app.register_lead(source="inspection", summary="线索", actor=COMMISSION,
                             occurred_at=filed)
    dispose(app, lead, "preliminary_verification", filed)
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=filed)
    app.conclude_verification(lead_id=lead, file_case=True, reason="属实", actor=COMMISSION,
                              occurred_at=filed)
    case = app.file_case(lead_id=lead, summary="案", actor=COMMISSION, occurred_at=filed,
                         persons=[CasePerson(person_id=p, cadre_id=None, unit_id=UNIT)
                                  for p in persons])
    for step in ("approve_filing_by_commission", "approve_filing_by_committee",
                 "announce_filing"):
        getattr(app, step)(case_id=case, actor=COMMISSION, occurred_at=filed)
    app.notify_organisation(case_id=case, unit_id=UNIT, actor=COMMISSION, occurred_at=filed)
    app.conclude_investigation(case_id=case, findings="f", actor=COMMISSION, occurred_at=filed)
    app.conclude_review(case_id=case, opinion="o", actor=COMMISSION, occurred_at=filed)
    return case


def test_a_person_sanctioned_twice_is_counted_once_and_each_act_by_its_own_date(app):
    twice, admonished = uuid4(), uuid4()
    first = reviewed_case(app, [twice, admonished], at(1, 10))
    second = reviewed_case(app, [twice], at(2, 10))
    app.decide_outcome(case_id=first, person_id=twice, kind="party_sanction",
                       sanction="warning", form="second", confiscated=Decimal("100.10"),
                       actor=COMMISSION, occurred_at=at(3, 1))
    app.decide_outcome(case_id=first, person_id=admonished, kind="admonishment", form="first",
                       actor=COMMISSION, occurred_at=at(3, 2))
    app.decide_outcome(case_id=second, person_id=twice, kind="government_sanction",
                       sanction="demotion", form="third", confiscated=Decimal("0.20"),
                       actor=COMMISSION, occurred_at=at(4, 1))
    # An admonishment from a 谈话函询 is counted once too, by the date of its decision.
    lead = app.register_lead(source="inspection", summary="线索", actor=COMMISSION,
                             occurred_at=at(4, 2))
    dispose(app, lead, "talk_or_letter_inquiry", at(4, 2))
    app.reply_to_inquiry(lead_id=lead, reply="说明", countersigned_by=uuid4(),
                         actor=COMMISSION, occurred_at=at(4, 10))
    app.conclude_inquiry(lead_id=lead, outcome="admonishment", actor=COMMISSION,
                         occurred_at=at(5, 6))
    # And one after an assessment (考核).
    app.record_admonishment(person_id=admonished, unit_id=UNIT, basis="年度考核较差",
                            actor=COMMISSION, occurred_at=at(12, 20))
    year = app.figures(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert (year.cases_filed, year.persons_filed, year.persons_sanctioned) == (2, 3, 1)
    assert (year.admonishments, year.confiscated) == (3, Decimal("100.30"))
    assert year.four_forms == {"first": 2, "second": 1, "third": 1, "fourth": 0}
    assert year.leads_by_route == {"talk_or_letter_inquiry": 1, "preliminary_verification": 2,
                                   "held": 0, "closed": 0}
    march = app.figures(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert (march.cases_filed, march.persons_sanctioned, march.admonishments) == (0, 1, 1)
    # As the store stood at the end of 1 April: the inquiry's admonishment was not yet decided.
    earlier = app.figures(start=date(2026, 1, 1), end=date(2026, 12, 31),
                          as_of=date(2026, 4, 1))
    assert (earlier.admonishments, earlier.leads_by_route["talk_or_letter_inquiry"]) == (1, 0)


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": "casework", **labels})


def test_gauges_count_matters_by_stage_and_overdue_deadlines_with_no_personal_label(app):
    petition = app.receive_petition(
        channel="letter", anonymous=False, reporter_name="郑九", reporter_contact="13511112222",
        reported_unit_id=UNIT, summary="反映问题", actor=COMMISSION, occurred_at=at(6, 1))
    lead = app.register_lead(source="inspection", summary="线索", actor=COMMISSION,
                             occurred_at=at(6, 1))
    dispose(app, lead, "talk_or_letter_inquiry", at(6, 1))
    # Nothing handled by 1 July: the petition's handling and notice, the inquiry's reply.
    assert sorted(map(str, app.check_deadlines(at(7, 1)))) == sorted([str(petition), str(lead)])
    app.refresh_gauges(date(2026, 7, 1))
    assert gauge("dutytrail_casework_matters_open", stage="petition_received") == 1
    assert gauge("dutytrail_casework_matters_open", stage="lead_inquiry") == 1
    assert gauge("dutytrail_casework_deadlines_overdue", deadline="handling") == 1
    assert gauge("dutytrail_casework_deadlines_overdue", deadline="acceptance_notice") == 1
    assert gauge("dutytrail_casework_deadlines_overdue", deadline="inquiry_reply") == 1
    labels = {v for metric in REGISTRY.collect() if metric.name.startswith("dutytrail_casework")
              for s in metric.samples for v in s.labels.values()}
    assert labels == {"casework", *OPEN_STAGES, "handling", "acceptance_notice",
                      "result_notice", "inquiry_reply", "verification"}
    # A stage emptied reads 0, not its last value.
    app.accept_petition(petition_id=petition, actor=COMMISSION, occurred_at=at(7, 2))
    app.refresh_gauges(date(2026, 7, 2))
    assert gauge("dutytrail_casework_matters_open", stage="petition_received") == 0
    assert gauge("dutytrail_casework_matters_open", stage="lead_registered") == 1

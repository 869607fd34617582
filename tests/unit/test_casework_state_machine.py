"""Casework's strict state machine, rule by rule: every step out of turn is refused with its
named error and stores nothing. The rules run inside the real application, in memory."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.casework.application import CaseNotClosedError, Casework
from services.casework.domain import cases, leads, petitions
from services.casework.domain.reporters import (
    KeyAlreadyErasedError,
    ReadingConflictError,
    ReasonRequiredError,
    Reporter,
)
from services.casework.sealing import IdentityErasedError
from shared.actors import Actor
from shared.contracts.casework import CasePerson
from shared.contracts.funds import MatterReferredToCasework
from shared.contracts.responsibility import CadreRegistered
from shared.policy import UpstreamEvent
from tests.integration.casework_upstream import referral
from tests.unit.casework_support import COMMISSION, COMMITTEE, PRINCIPAL, at, escalated_notice

UNIT, PERSON = uuid4(), uuid4()
# The person under investigation, acting for themself (an appeal).
THE_PERSON = Actor(person_id=PERSON, unit_id=UNIT)


def stored(app: Casework) -> int:
    return app.last_position()


def refused(app: Casework, error: type[Exception], call: Any) -> None:
    """``call`` is refused with ``error`` and nothing more is stored."""
    before = stored(app)
    with pytest.raises(error):
        call()
    assert stored(app) == before


def petition(app: Casework, anonymous: bool = False, **more: Any) -> UUID:
    identity: dict[str, Any] = {} if anonymous else {
        "reporter_name": "赵六", "reporter_contact": "13900000001"}
    return app.receive_petition(channel="letter", anonymous=anonymous, summary="反映问题",
                                reported_unit_id=UNIT, reported_person_id=PERSON,
                                actor=COMMISSION, occurred_at=at(1, 5), **identity, **more)


def dispose(app: Casework, lead: UUID, route: str, day: datetime) -> None:
    """Proposed by the staff, approved by the principal."""
    app.propose_disposal(lead_id=lead, route=route, collective_decision="班子会",
                         actor=COMMISSION, occurred_at=day)
    app.approve_disposal(lead_id=lead, actor=PRINCIPAL, occurred_at=day)


def lead_in(app: Casework, route: str, cadre_id: UUID | None = None) -> UUID:
    lead = app.register_lead(source="inspection", summary="线索", reported_unit_id=UNIT,
                             reported_cadre_id=cadre_id, actor=COMMISSION,
                             occurred_at=at(1, 6))
    dispose(app, lead, route, at(1, 7))
    return lead


def verifying(app: Casework) -> UUID:
    lead = lead_in(app, "preliminary_verification")
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=at(1, 8))
    return lead


def case_at(app: Casework, step: str) -> UUID:
    """A case driven through its steps up to and including ``step``."""
    lead = verifying(app)
    app.conclude_verification(lead_id=lead, file_case=True, reason="属实", actor=COMMISSION,
                              occurred_at=at(2, 1))
    case = app.file_case(lead_id=lead, persons=[CasePerson(person_id=PERSON, cadre_id=None,
                                                           unit_id=UNIT)],
                         summary="案情", actor=COMMISSION, occurred_at=at(2, 2))
    steps = [
        ("commission", lambda: app.approve_filing_by_commission(
            case_id=case, actor=COMMISSION, occurred_at=at(2, 3))),
        ("committee", lambda: app.approve_filing_by_committee(
            case_id=case, actor=COMMITTEE, occurred_at=at(2, 4))),
        ("announced", lambda: app.announce_filing(case_id=case, actor=COMMISSION,
                                                  occurred_at=at(2, 5))),
        ("notified", lambda: app.notify_organisation(case_id=case, unit_id=UNIT,
                                                     actor=COMMISSION, occurred_at=at(2, 5))),
        ("investigated", lambda: app.conclude_investigation(
            case_id=case, findings="查明", actor=COMMISSION, occurred_at=at(3, 1))),
        ("reviewed", lambda: app.conclude_review(case_id=case, opinion="审理意见",
                                                 actor=COMMISSION, occurred_at=at(3, 10))),
    ]
    for name, run in steps:
        if step == "proposed":
            break
        run()
        if name == step:
            break
    return case


# Petitions.


def test_a_real_name_petition_needs_name_and_contact_and_an_anonymous_one_neither(app):
    for identity in ({"reporter_name": "赵六"}, {}):
        refused(app, petitions.InvalidPetitionError, lambda i=identity: app.receive_petition(
            channel="hotline", anonymous=False, summary="s", actor=COMMISSION, **i))
    refused(app, petitions.InvalidPetitionError, lambda: app.receive_petition(
        channel="hotline", anonymous=True, summary="s", reporter_contact="139", actor=COMMISSION))


def test_a_petition_is_handled_once(app):
    p = petition(app)
    app.not_accept_petition(petition_id=p, reason="不属于受理范围", actor=COMMISSION)
    refused(app, petitions.PetitionAlreadyHandledError,
            lambda: app.accept_petition(petition_id=p, actor=COMMISSION))
    refused(app, petitions.PetitionAlreadyHandledError,
            lambda: app.pass_on_petition(petition_id=p, to_body="区信访局", actor=COMMISSION))


def test_the_reporter_is_told_of_acceptance_only_after_handling_and_only_once(app):
    p = petition(app)
    refused(app, petitions.PetitionNotAcceptedError,
            lambda: app.tell_reporter_of_acceptance(petition_id=p, actor=COMMISSION))
    app.accept_petition(petition_id=p, actor=COMMISSION, occurred_at=at(1, 6))
    app.tell_reporter_of_acceptance(petition_id=p, actor=COMMISSION, occurred_at=at(1, 7))
    refused(app, petitions.ReporterAlreadyToldError,
            lambda: app.tell_reporter_of_acceptance(petition_id=p, actor=COMMISSION))


def test_an_anonymous_reporter_is_never_told(app):
    p = petition(app, anonymous=True)
    app.accept_petition(petition_id=p, actor=COMMISSION, occurred_at=at(1, 6))
    refused(app, petitions.AnonymousPetitionError,
            lambda: app.tell_reporter_of_acceptance(petition_id=p, actor=COMMISSION))


def test_the_result_is_told_only_after_the_matter_concluded(app):
    p = petition(app)
    lead = app.accept_petition(petition_id=p, actor=COMMISSION, occurred_at=at(1, 6))
    refused(app, petitions.MatterNotConcludedError,
            lambda: app.tell_reporter_of_result(petition_id=p, actor=COMMISSION))
    dispose(app, lead, "closed", at(1, 9))
    app.tell_reporter_of_result(petition_id=p, actor=COMMISSION, occurred_at=at(1, 12))
    refused(app, petitions.ReporterAlreadyToldError,
            lambda: app.tell_reporter_of_result(petition_id=p, actor=COMMISSION))


def test_a_repeat_joins_the_lead_of_the_petition_it_repeats_and_is_not_counted_again(app):
    first = petition(app)
    lead = app.accept_petition(petition_id=first, actor=COMMISSION, occurred_at=at(1, 6))
    again = petition(app, repeat_of=first)
    assert app.accept_petition(petition_id=again, actor=COMMISSION, occurred_at=at(1, 7)) == lead
    figures = app.figures(start=at(1, 1).date(), end=at(12, 31).date())
    assert (figures.petitions_received, figures.petitions_accepted,
            figures.repeat_petitions, figures.leads_registered) == (1, 1, 1, 1)


# Reading a reporter's identity (回避), and erasing it.


def test_reading_an_identity_needs_a_reason_and_no_conflict(app):
    p = petition(app)
    refused(app, ReasonRequiredError, lambda: app.read_reporter_identity(
        petition_id=p, reason=" ", actor=COMMISSION))
    reported = Actor(person_id=PERSON, unit_id=uuid4())
    colleague = Actor(person_id=uuid4(), unit_id=UNIT)
    for reader in (reported, colleague):
        refused(app, ReadingConflictError, lambda r=reader: app.read_reporter_identity(
            petition_id=p, reason="核查", actor=r))
    identity = app.read_reporter_identity(petition_id=p, reason="核查需要联系举报人",
                                          actor=COMMISSION, occurred_at=at(1, 9))
    assert identity == {"name": "赵六", "contact": "13900000001"}
    [read] = app.identity_reads()
    assert (read.reader, read.reason, read.petition_id) == (COMMISSION, "核查需要联系举报人", p)


def test_an_erased_identity_is_gone_for_ever_and_the_history_still_reads(app):
    p = petition(app)
    reporter_id = app.load(p, petitions.Petition).reporter_id
    assert reporter_id is not None
    sealed = app.load(reporter_id, Reporter)
    app.erase_reporter_identity(reporter_id=reporter_id, reason="申请删除", actor=COMMISSION,
                                occurred_at=at(2, 1))
    with pytest.raises(IdentityErasedError):
        app.sealer.open(reporter_id, sealed.key_id, sealed.sealed_identity)
    refused(app, KeyAlreadyErasedError, lambda: app.read_reporter_identity(
        petition_id=p, reason="再看", actor=COMMISSION))
    assert app.get_petition(petition_id=p).status == "received"
    assert len(app.events_after(0, cleared=True)) == 3  # sealed, received, erased


# Leads.


def test_a_lead_is_disposed_of_once_unless_it_was_held(app):
    held = lead_in(app, "held")
    dispose(app, held, "talk_or_letter_inquiry", at(2, 1))
    refused(app, leads.LeadNotDisposableError, lambda: app.propose_disposal(
        lead_id=held, route="closed", collective_decision="x", actor=COMMISSION))


def test_a_disposal_takes_effect_on_its_approval_by_another_person(app):
    lead = app.register_lead(source="inspection", summary="线索", reported_unit_id=UNIT,
                             actor=COMMISSION, occurred_at=at(1, 6))
    refused(app, leads.DisposalNotProposedError,
            lambda: app.approve_disposal(lead_id=lead, actor=PRINCIPAL))
    app.propose_disposal(lead_id=lead, route="talk_or_letter_inquiry",
                         collective_decision="1月7日线索处置会", actor=COMMISSION,
                         occurred_at=at(1, 7))
    assert app.get_lead(lead_id=lead).status == "disposal_proposed"
    refused(app, leads.LeadNotDisposableError, lambda: app.propose_disposal(
        lead_id=lead, route="closed", collective_decision="x", actor=COMMISSION))
    # Nothing of the route runs before the approval: no reply is taken, no limit counted.
    refused(app, leads.NotInInquiryError, lambda: app.reply_to_inquiry(
        lead_id=lead, reply="说明", countersigned_by=uuid4(), actor=COMMISSION))
    assert app.figures(start=date(2026, 1, 1), end=date(2026, 12, 31)).leads_by_route[
        "talk_or_letter_inquiry"] == 0
    refused(app, leads.ApproverIsProposerError,
            lambda: app.approve_disposal(lead_id=lead, actor=COMMISSION))
    app.approve_disposal(lead_id=lead, actor=PRINCIPAL, occurred_at=at(1, 9))
    assert app.get_lead(lead_id=lead).status == "inquiry"
    # The reply's 15 working days run from the approval (Friday 9 January 2026).
    assert app.load(lead, leads.Lead).deadlines["inquiry_reply"]["due"] == date(2026, 1, 30)
    figures = app.figures(start=date(2026, 1, 9), end=date(2026, 1, 9))
    assert figures.leads_by_route["talk_or_letter_inquiry"] == 1
    refused(app, leads.DisposalNotProposedError,
            lambda: app.approve_disposal(lead_id=lead, actor=PRINCIPAL))


def test_a_returned_disposal_goes_back_to_where_the_lead_was(app):
    held = lead_in(app, "held")
    app.propose_disposal(lead_id=held, route="closed", collective_decision="再议",
                         actor=COMMISSION, occurred_at=at(2, 1))
    app.return_disposal(lead_id=held, reason="情况尚未查清", actor=PRINCIPAL,
                        occurred_at=at(2, 2))
    assert app.get_lead(lead_id=held).status == "held"
    refused(app, leads.DisposalNotProposedError, lambda: app.return_disposal(
        lead_id=held, reason="x", actor=PRINCIPAL))


def test_an_inquiry_reply_is_countersigned_and_concludes_only_after_the_reply(app):
    lead = lead_in(app, "talk_or_letter_inquiry")
    refused(app, leads.InquiryNotRepliedError, lambda: app.conclude_inquiry(
        lead_id=lead, outcome="cleared", actor=COMMISSION))
    refused(app, leads.CountersignatureMissingError, lambda: app.reply_to_inquiry(
        lead_id=lead, reply="说明", actor=COMMISSION))
    app.reply_to_inquiry(lead_id=lead, reply="说明", countersigned_by=uuid4(),
                         actor=COMMISSION, occurred_at=at(1, 20))
    refused(app, leads.NotInInquiryError, lambda: app.reply_to_inquiry(
        lead_id=lead, reply="again", countersigned_by=uuid4(), actor=COMMISSION))


def test_a_verification_team_has_at_least_two_people(app):
    lead = lead_in(app, "preliminary_verification")
    same = uuid4()
    refused(app, leads.VerificationTeamTooSmallError, lambda: app.approve_verification(
        lead_id=lead, team=[same, same], actor=COMMISSION))


def test_verification_is_approved_only_when_proposed(app):
    lead = lead_in(app, "talk_or_letter_inquiry")
    refused(app, leads.NotAwaitingVerificationApprovalError, lambda: app.approve_verification(
        lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION))


def test_the_secretary_approves_only_a_verification_of_a_principal(app):
    lead = verifying(app)
    refused(app, leads.SecretaryApprovalNotNeededError,
            lambda: app.approve_verification_as_secretary(lead_id=lead, actor=COMMITTEE))


def test_a_verification_is_extended_at_most_the_allowed_times(app):
    lead = verifying(app)
    app.extend_verification(lead_id=lead, reason="需要延期", actor=COMMISSION,
                            occurred_at=at(3, 1))
    assert app.load(lead, leads.Lead).deadlines["verification"]["due"] == at(4, 8).date()
    refused(app, leads.ExtensionsExhaustedError, lambda: app.extend_verification(
        lead_id=lead, reason="再延期", actor=COMMISSION))


def test_a_verification_concludes_only_while_it_runs(app):
    lead = lead_in(app, "preliminary_verification")
    refused(app, leads.NotVerifyingError, lambda: app.conclude_verification(
        lead_id=lead, file_case=True, reason="r", actor=COMMISSION))


def test_a_case_is_filed_only_after_a_verification_concluded_to_file_one(app):
    lead = verifying(app)
    app.conclude_verification(lead_id=lead, file_case=False, reason="不属实", actor=COMMISSION,
                              occurred_at=at(2, 1))
    refused(app, leads.NotToBeFiledError, lambda: app.file_case(
        lead_id=lead, persons=[CasePerson(person_id=PERSON, cadre_id=None, unit_id=UNIT)],
        summary="s", actor=COMMISSION))


def test_false_accusation_and_clearing_a_name_follow_only_a_lead_that_found_nothing(app):
    p = petition(app)
    lead = app.accept_petition(petition_id=p, actor=COMMISSION, occurred_at=at(1, 6))
    refused(app, leads.NothingFoundRequiredError, lambda: app.record_false_accusation(
        lead_id=lead, petition_id=p, note="n", actor=COMMISSION))
    refused(app, leads.NothingFoundRequiredError, lambda: app.clear_name(
        lead_id=lead, how="通报澄清", actor=COMMISSION))
    dispose(app, lead, "preliminary_verification", at(1, 7))
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=at(1, 8))
    app.conclude_verification(lead_id=lead, file_case=False, reason="反映不实",
                              actor=COMMISSION, occurred_at=at(2, 1))
    app.record_false_accusation(lead_id=lead, petition_id=p, note="捏造事实",
                                actor=COMMISSION, occurred_at=at(2, 2))
    app.clear_name(lead_id=lead, how="在一定范围内澄清正名", actor=COMMISSION,
                   occurred_at=at(2, 3))
    refused(app, leads.NameAlreadyClearedError, lambda: app.clear_name(
        lead_id=lead, how="again", actor=COMMISSION))
    figures = app.figures(start=at(1, 1).date(), end=at(12, 31).date())
    assert (figures.false_accusations, figures.names_cleared) == (1, 1)


# Cases.


def test_the_committee_approves_a_filing_only_after_the_commission(app):
    case = case_at(app, "proposed")
    refused(app, cases.FilingNotApprovedByCommissionError,
            lambda: app.approve_filing_by_committee(case_id=case, actor=COMMITTEE))
    app.approve_filing_by_commission(case_id=case, actor=COMMISSION, occurred_at=at(2, 3))
    refused(app, cases.FilingAlreadyApprovedError,
            lambda: app.approve_filing_by_commission(case_id=case, actor=COMMISSION))


def test_a_filing_is_announced_only_once_filed(app):
    case = case_at(app, "commission")
    refused(app, cases.CaseNotFiledError,
            lambda: app.announce_filing(case_id=case, actor=COMMISSION))


def test_an_investigation_concludes_only_after_the_filing_was_announced(app):
    case = case_at(app, "committee")
    refused(app, cases.FilingNotAnnouncedError, lambda: app.conclude_investigation(
        case_id=case, findings="f", actor=COMMISSION))


def test_announcing_a_filing_and_notifying_each_organisation_are_separate_acts(app):
    lead = verifying(app)
    app.conclude_verification(lead_id=lead, file_case=True, reason="属实", actor=COMMISSION,
                              occurred_at=at(2, 1))
    other_unit, other_person = uuid4(), uuid4()
    case = app.file_case(lead_id=lead, persons=[
        CasePerson(person_id=PERSON, cadre_id=None, unit_id=UNIT),
        CasePerson(person_id=other_person, cadre_id=None, unit_id=other_unit)],
        summary="案情", actor=COMMISSION, occurred_at=at(2, 2))
    app.approve_filing_by_commission(case_id=case, actor=COMMISSION, occurred_at=at(2, 3))
    refused(app, cases.CaseNotFiledError, lambda: app.notify_organisation(
        case_id=case, unit_id=UNIT, actor=COMMISSION))
    app.approve_filing_by_committee(case_id=case, actor=COMMITTEE, occurred_at=at(2, 4))
    # Notified before or after the announcement, each organisation once, only the persons'.
    app.notify_organisation(case_id=case, unit_id=UNIT, actor=COMMISSION, occurred_at=at(2, 4))
    refused(app, cases.OrganisationAlreadyNotifiedError, lambda: app.notify_organisation(
        case_id=case, unit_id=UNIT, actor=COMMISSION))
    refused(app, cases.OrganisationNotInCaseError, lambda: app.notify_organisation(
        case_id=case, unit_id=uuid4(), actor=COMMISSION))
    app.announce_filing(case_id=case, actor=COMMISSION, occurred_at=at(2, 5))
    refused(app, cases.FilingAlreadyApprovedError,
            lambda: app.announce_filing(case_id=case, actor=COMMISSION))
    refused(app, cases.OrganisationNotNotifiedError, lambda: app.conclude_investigation(
        case_id=case, findings="f", actor=COMMISSION))
    app.notify_organisation(case_id=case, unit_id=other_unit, actor=COMMISSION,
                            occurred_at=at(2, 6))
    app.conclude_investigation(case_id=case, findings="查明", actor=COMMISSION,
                               occurred_at=at(3, 1))
    assert app.get_case(case_id=case).notified_unit_ids == [UNIT, other_unit]


def test_review_follows_the_investigation(app):
    case = case_at(app, "notified")
    refused(app, cases.InvestigationNotConcludedError, lambda: app.conclude_review(
        case_id=case, opinion="o", actor=COMMISSION))


def test_no_outcome_before_review(app):
    case = case_at(app, "investigated")
    refused(app, cases.ReviewRequiredError, lambda: app.decide_outcome(
        case_id=case, person_id=PERSON, kind="party_sanction", sanction="warning",
        form="second", actor=COMMISSION))


def test_an_outcome_names_a_sanction_of_its_kind_and_a_transfer_is_the_fourth_form(app):
    case = case_at(app, "reviewed")
    for kind, sanction, form in (("party_sanction", "demerit", "second"),
                                 ("government_sanction", None, "second"),
                                 ("admonishment", "warning", "first"),
                                 ("transfer_to_judiciary", None, "third")):
        refused(app, cases.InvalidOutcomeError, lambda k=kind, s=sanction, f=form:
                app.decide_outcome(case_id=case, person_id=PERSON, kind=k, sanction=s,
                                   form=f, actor=COMMISSION))
    refused(app, cases.PersonNotInCaseError, lambda: app.decide_outcome(
        case_id=case, person_id=uuid4(), kind="exemption", form="first", actor=COMMISSION))


def test_one_outcome_per_person_announced_then_executed_once_and_the_case_closes_after(app):
    case = case_at(app, "reviewed")
    refused(app, cases.OutcomesOutstandingError,
            lambda: app.close_case(case_id=case, actor=COMMISSION))
    refused(app, cases.OutcomeNotDecidedError, lambda: app.execute_outcome(
        case_id=case, person_id=PERSON, actor=COMMISSION))
    refused(app, cases.OutcomeNotDecidedError, lambda: app.announce_outcome(
        case_id=case, person_id=PERSON, actor=COMMISSION))
    app.decide_outcome(case_id=case, person_id=PERSON, kind="government_sanction",
                       sanction="demotion", form="third", confiscated=Decimal("50000.00"),
                       actor=COMMISSION, occurred_at=at(3, 20))
    refused(app, cases.OutcomeAlreadyDecidedError, lambda: app.decide_outcome(
        case_id=case, person_id=PERSON, kind="exemption", form="first", actor=COMMISSION))
    refused(app, cases.OutcomesOutstandingError,
            lambda: app.close_case(case_id=case, actor=COMMISSION))
    refused(app, cases.OutcomeNotAnnouncedError, lambda: app.execute_outcome(
        case_id=case, person_id=PERSON, actor=COMMISSION))
    app.announce_outcome(case_id=case, person_id=PERSON, actor=COMMISSION, occurred_at=at(3, 20))
    refused(app, cases.OutcomeAlreadyAnnouncedError, lambda: app.announce_outcome(
        case_id=case, person_id=PERSON, actor=COMMISSION))
    refused(app, cases.OutcomesOutstandingError,
            lambda: app.close_case(case_id=case, actor=COMMISSION))
    app.execute_outcome(case_id=case, person_id=PERSON, actor=COMMISSION, occurred_at=at(4, 1))
    refused(app, cases.OutcomeAlreadyExecutedError, lambda: app.execute_outcome(
        case_id=case, person_id=PERSON, actor=COMMISSION))
    app.close_case(case_id=case, actor=COMMISSION, occurred_at=at(4, 2))
    refused(app, cases.CaseClosedError, lambda: app.close_case(case_id=case, actor=COMMISSION))
    march, april = (app.figures(start=date(2026, m, 1), end=date(2026, m, 30)) for m in (3, 4))
    assert (march.outcomes_announced, march.outcomes_executed) == (1, 0)
    assert (april.outcomes_announced, april.outcomes_executed, april.cases_closed) == (0, 1, 1)


def test_an_appeal_is_lodged_by_the_person_after_the_announcement_and_decided_once(app):
    case = case_at(app, "reviewed")
    refused(app, cases.OutcomeNotDecidedError, lambda: app.lodge_appeal(
        case_id=case, person_id=PERSON, grounds="g", actor=THE_PERSON))
    app.decide_outcome(case_id=case, person_id=PERSON, kind="party_sanction",
                       sanction="warning", form="second", actor=COMMISSION,
                       occurred_at=at(3, 20))
    refused(app, cases.OutcomeNotAnnouncedError, lambda: app.lodge_appeal(
        case_id=case, person_id=PERSON, grounds="g", actor=THE_PERSON))
    app.announce_outcome(case_id=case, person_id=PERSON, actor=COMMISSION,
                         occurred_at=at(3, 23))
    refused(app, cases.NoAppealOpenError, lambda: app.decide_appeal(
        case_id=case, person_id=PERSON, upheld=True, actor=COMMISSION))
    # Neither the commission nor anyone else lodges it for the person.
    for someone in (COMMISSION, Actor(person_id=uuid4(), unit_id=UNIT)):
        refused(app, cases.AppellantNotThePersonError, lambda a=someone: app.lodge_appeal(
            case_id=case, person_id=PERSON, grounds="处分过重", actor=a))
    app.lodge_appeal(case_id=case, person_id=PERSON, grounds="处分过重", actor=THE_PERSON,
                     occurred_at=at(4, 1))
    refused(app, cases.AppealAlreadyOpenError, lambda: app.lodge_appeal(
        case_id=case, person_id=PERSON, grounds="again", actor=THE_PERSON))
    app.decide_appeal(case_id=case, person_id=PERSON, upheld=True, actor=COMMISSION,
                      occurred_at=at(4, 20))
    assert app.figures(start=date(2026, 4, 1), end=date(2026, 4, 30)).appeals_lodged == 1


def test_accountability_for_a_case_follows_its_closing(app):
    case = case_at(app, "reviewed")
    refused(app, CaseNotClosedError, lambda: app.open_accountability(
        case_id=case, unit_id=UNIT, reason="一案双查", actor=COMMISSION))


def learn_principal(app: Casework) -> UUID:
    """A unit's top leader, as casework learns cadres from responsibility's events."""
    cadre = uuid4()
    registered = CadreRegistered(
        cadre_id=cadre, person_id=PERSON, name="刘书记", unit_id=UNIT, post_title="党委书记",
        line_of_work="党务", leadership_member=True, top_leader=True,
        actor={"person_id": uuid4(), "unit_id": uuid4()})
    app.save(*app.learn_cadre(UpstreamEvent(
        data=registered, id=f"{cadre}:1", type="dutytrail.responsibility.cadre_registered.v1",
        source="/dutytrail/responsibility", sequence=1, time=at(1, 2))))
    return cadre


def test_verifying_a_principal_waits_for_the_district_party_secretary(app):
    lead = lead_in(app, "preliminary_verification", cadre_id=learn_principal(app))
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=at(1, 8))
    assert app.get_lead(lead_id=lead).status == "awaiting_secretary"
    refused(app, leads.NotVerifyingError, lambda: app.conclude_verification(
        lead_id=lead, file_case=True, reason="r", actor=COMMISSION))
    app.approve_verification_as_secretary(lead_id=lead, actor=COMMITTEE, occurred_at=at(1, 9))
    assert app.get_lead(lead_id=lead).status == "verifying"
    assert app.load(lead, leads.Lead).deadlines["verification"]["due"] == date(2026, 3, 9)


def test_an_escalated_notice_arrives_as_one_transferred_petition_however_often_it_comes(app):
    event = escalated_notice(UNIT, "case_lead", 3, at(4, 1))
    notice = event.data
    app.save(*app.take_escalated_notice(event))
    assert app.take_escalated_notice(event) == []
    assert app.list_leads() == []  # no lead before the petitions office accepts it
    [received] = app.list_petitions(channel="transferred")
    assert (received.transferred_from, received.source_id, received.status) == (
        "supervision", notice.notice_id, "received")
    petition = app.load(received.petition_id, petitions.Petition)
    # Five working days from Wednesday 1 April 2026, over 清明 (4–6 April): Thursday 9 April.
    assert petition.deadlines["handling"]["due"] == date(2026, 4, 9)
    refused(app, petitions.AnonymousPetitionError, lambda: app.tell_reporter_of_acceptance(
        petition_id=received.petition_id, actor=COMMISSION))
    lead = app.accept_petition(petition_id=received.petition_id, actor=COMMISSION,
                               occurred_at=at(4, 2))
    [registered] = app.list_leads(source="supervision")
    assert (registered.lead_id, registered.reported_unit_id, registered.source_id) == (
        lead, UNIT, notice.notice_id)
    [stored] = [e for e in app.events_after(0, cleared=True)
                if e["type"].endswith("lead_registered.v1")]
    assert stored["data"]["source_event_id"] == event.id
    refused(app, petitions.PetitionAlreadyHandledError, lambda: app.accept_petition(
        petition_id=received.petition_id, actor=COMMISSION))


def test_a_funds_referral_arrives_as_a_transferred_petition_that_may_be_passed_on(app):
    data = MatterReferredToCasework.model_validate({"referral_id": uuid4(), **referral(UNIT)})
    event = UpstreamEvent(data=data, id=f"{data.referral_id}:1",
                          type="dutytrail.funds.matter_referred_to_casework.v1",
                          source="/dutytrail/funds", sequence=1, time=at(5, 6))
    app.save(*app.take_funds_referral(event))
    assert app.take_funds_referral(event) == []
    [received] = app.list_petitions(channel="transferred")
    assert (received.transferred_from, received.source_id) == ("funds", data.referral_id)
    app.pass_on_petition(petition_id=received.petition_id, to_body="区民政局",
                         actor=COMMISSION, occurred_at=at(5, 7))
    assert app.list_leads() == []
    figures = app.figures(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert (figures.petitions_received, figures.petitions_by_channel) == (1, {"transferred": 1})


def test_a_transferred_notice_to_a_principal_keeps_the_secretarys_approval(app):
    principal = learn_principal(app)
    event = escalated_notice(UNIT, "case_lead", 2, at(3, 2), recipient_cadre_id=principal)
    app.save(*app.take_escalated_notice(event))
    [received] = app.list_petitions(channel="transferred")
    lead = app.accept_petition(petition_id=received.petition_id, actor=COMMISSION,
                               occurred_at=at(3, 3))
    dispose(app, lead, "preliminary_verification", at(3, 4))
    app.approve_verification(lead_id=lead, team=[uuid4(), uuid4()], actor=COMMISSION,
                             occurred_at=at(3, 5))
    assert app.get_lead(lead_id=lead).status == "awaiting_secretary"

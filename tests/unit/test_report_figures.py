"""The district report's figures (docs/report.md), each from a small history whose answer is
known by construction: what falls in the period counts, what falls outside does not, and each
figure counts by the date its rule names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dutytrail_ops.report.facts import History, Period, ReportPeriodError
from dutytrail_ops.report.figures import compute_figures
from tests.unit.test_report_history import JAN_TO_NOV, YEAR, district, fact, letter, uid, unit


def figures(*facts):
    return compute_figures(History([*district(), *facts]), JAN_TO_NOV)


def test_letters_signed_in_the_period_count_and_the_one_signed_after_it_does_not():
    result = figures(
        *letter("l1", "pc", "finance", date(YEAR, 2, 1)),
        *letter("l2", "pc", "housing", date(YEAR, 3, 1)),
        *letter("l3", "pc", "town", date(YEAR, 11, 30)),
        *letter("l4", "pc", "town", date(YEAR, 12, 1)),
        *letter("l5", "pc", "finance", None),  # still a draft
    )
    assert result.letters_signed == 3


def test_units_covered_are_distinct_units_signing_with_the_party_committee():
    result = figures(
        *letter("a", "pc", "finance", date(YEAR, 2, 1), cadre="head"),
        *letter("b", "pc", "finance", date(YEAR, 2, 2), cadre="deputy"),  # same unit again
        *letter("c", "pc", "town", date(YEAR, 2, 3)),
        *letter("d", "pc", "pc", date(YEAR, 2, 4), cadre="member"),  # the committee's own
        *letter("e", "finance", "c1", date(YEAR, 2, 5)),  # a department's letter
        *letter("f", "pc", "housing", date(YEAR, 12, 5)),  # after the period
    )
    assert result.units_covered == 2
    assert result.letters_signed == 5


def test_education_counts_by_the_day_held_and_warning_visits_apart():
    def activity(kind, held_on, count, recorded_on=None):
        return fact("education_activity_recorded", recorded_on or held_on, kind=kind,
                    held_on=held_on.isoformat(), participant_count=count,
                    organiser_unit_id=uid("pc"), title=kind)

    result = figures(
        activity("warning_education_visit", date(YEAR, 4, 1), 40),
        activity("warning_education_visit", date(YEAR, 9, 1), 30),
        activity("study_session", date(YEAR, 5, 1), 100),
        # Recorded in the period, held after it: not counted.
        activity("warning_education_visit", date(YEAR, 12, 2), 500, date(YEAR, 11, 2)),
    )
    assert result.warning_education_participants == 70
    assert result.education_activities == 3
    assert result.education_participant_times == 170


def test_disclosure_coverage_is_cumulative_to_the_period_end():
    def board(community, on):
        return fact("disclosure_board_installed", on, service="supervision",
                    community_id=uid(community), location="门口")

    late_community = unit("c3", "**社区3", "community", "town", on=date(YEAR, 12, 1))
    result = figures(late_community, board("c1", date(YEAR - 1, 6, 1)),
                     board("c2", date(YEAR, 12, 3)))
    assert (result.communities, result.communities_with_board) == (2, 1)
    assert result.model_community == "**社区1"


def test_fund_platform_figures_are_cumulative_and_net_of_reversals():
    def payment(key, paid_on):
        return fact("payment_recorded", paid_on, uid(key), service="funds",
                    payment_id=uid(key), paid_on=paid_on.isoformat(), amount="100.00")

    def reversal(key, on):
        return fact("payment_reversed", on, service="funds", payment_id=uid(key),
                    reversed_on=on.isoformat(), amount="100.00")

    result = figures(
        fact("unit_enrolled", date(YEAR, 1, 5), service="funds", enrolled_on="2024-03-01"),
        fact("unit_enrolled", date(YEAR, 1, 5), service="funds", enrolled_on="2025-06-01"),
        fact("unit_enrolled", date(YEAR, 1, 5), service="funds", enrolled_on="2025-12-01"),
        fact("programme_opened", date(YEAR, 1, 5), service="funds", budget="150000.00",
             starts_on="2025-01-01", ends_on="2025-12-31"),
        fact("programme_opened", date(YEAR, 1, 5), service="funds", budget="82000",
             starts_on="2024-01-01", ends_on="2024-12-31"),
        fact("programme_opened", date(YEAR, 1, 5), service="funds", budget="999999",
             starts_on="2025-12-01", ends_on="2026-12-31"),
        payment("p1", date(YEAR, 2, 1)), payment("p2", date(YEAR, 3, 1)),
        payment("p3", date(YEAR, 4, 1)), payment("p4", date(YEAR, 12, 1)),
        reversal("p1", date(YEAR, 2, 10)),  # reversed in time: not a person-time
        reversal("p2", date(YEAR, 12, 10)),  # reversed after the period: still counted
    )
    assert result.units_enrolled == 2
    assert result.programmes == 2
    assert result.amount_supervised_wan == Decimal("23.20")
    assert result.person_times == 2


def test_bulletins_count_by_kind_within_the_period():
    def bulletin(kind, on):
        return fact("bulletin_issued", on, service="supervision", kind=kind)

    result = figures(bulletin("special_report", date(YEAR, 1, 9)),
                     bulletin("circular", date(YEAR, 2, 9)),
                     bulletin("circular", date(YEAR, 3, 9)),
                     bulletin("meeting_circular", date(YEAR, 4, 9)),
                     bulletin("circular", date(YEAR, 12, 9)))
    assert (result.special_reports, result.circulars, result.meeting_circulars) == (1, 2, 1)


def test_notices_count_recipients_by_kind_once_each():
    def notice(kind, unit_key, on, cadre=None):
        return fact("rectification_notice_issued", on, service="supervision",
                    recipient_kind=kind, recipient_unit_id=uid(unit_key),
                    recipient_cadre_id=uid(cadre) if cadre else None,
                    deadline=on.isoformat())

    result = figures(
        notice("district_department", "finance", date(YEAR, 3, 1)),
        notice("district_department", "finance", date(YEAR, 5, 1)),
        notice("unit", "town", date(YEAR, 5, 2)),  # the former kind: counted as its unit's
        notice("community", "c1", date(YEAR, 6, 1)),
        notice("cadre", "finance", date(YEAR, 6, 2), cadre="zhang"),
        notice("cadre", "finance", date(YEAR, 6, 3), cadre="li"),
        notice("community", "c2", date(YEAR, 12, 1)),  # after the period
    )
    assert result.notice_recipients == {"district_department": 1, "town_or_subdistrict": 1,
                                        "community": 1, "cadre": 2}
    assert result.notices["district_department"] == 2
    assert sum(result.notices.values()) == 6


def test_casework_figures_count_each_act_by_its_own_date():
    def cw(name, on, subject, **data):
        return fact(name, on, uid(subject), service="casework", **data)

    result = figures(
        cw("petition_received", date(YEAR, 1, 10), "p1", repeat_of=None),
        cw("petition_received", date(YEAR, 1, 11), "p2", repeat_of=uid("p1")),
        cw("petition_received", date(YEAR - 1, 12, 20), "p3", repeat_of=None),
        cw("petition_accepted", date(YEAR, 1, 15), "p1"),
        cw("petition_accepted", date(YEAR, 1, 16), "p2"),  # a repeat: not counted again
        cw("petition_accepted", date(YEAR, 1, 2), "p3"),  # received last year, accepted now
        cw("petition_accepted", date(YEAR, 12, 2), "p4"),
        cw("verification_approved", date(YEAR, 2, 1), "lead1"),
        cw("verification_approved", date(YEAR, 12, 1), "lead2"),
        cw("case_proposed", date(YEAR, 2, 20), "case1",
           persons=[{"person_id": uid("x")}, {"person_id": uid("y")}]),
        cw("case_filed", date(YEAR, 3, 1), "case1"),
        cw("case_proposed", date(YEAR, 11, 20), "case2", persons=[{"person_id": uid("x")}]),
        cw("case_filed", date(YEAR, 12, 1), "case2"),
        cw("case_closed", date(YEAR, 9, 1), "case1"),
        cw("case_outcome_decided", date(YEAR, 8, 1), "case1", person_id=uid("x"),
           kind="party_sanction", confiscated="1000.50"),
        cw("case_outcome_decided", date(YEAR, 8, 2), "case1", person_id=uid("y"),
           kind="admonishment", confiscated="0"),
        cw("case_outcome_decided", date(YEAR, 12, 3), "case2", person_id=uid("x"),
           kind="government_sanction", confiscated="5000"),
        cw("inquiry_concluded", date(YEAR, 4, 1), "lead3", outcome="admonishment"),
        cw("inquiry_concluded", date(YEAR, 4, 2), "lead4", outcome="cleared"),
        cw("accountability_decided", date(YEAR, 5, 1), "exam1", cadre_id=uid("z"),
           form="admonishment"),
        cw("admonishment_recorded", date(YEAR, 6, 1), "adm1"),
    )
    assert result.petitions_accepted == 2
    assert result.preliminary_verifications == 1
    assert (result.cases_filed, result.persons_filed) == (1, 2)
    assert result.cases_closed == 1
    assert result.persons_sanctioned == 1
    assert result.admonishments == 4  # a case's, an inquiry's, accountability's, an assessment's
    assert result.confiscated_yuan == Decimal("1000.50")


def test_an_outcome_decided_again_replaces_the_earlier_one():
    def outcome(on, kind):
        return fact("case_outcome_decided", on, uid("case"), service="casework",
                    person_id=uid("x"), kind=kind, confiscated="0")

    result = figures(outcome(date(YEAR, 3, 1), "party_sanction"),
                     outcome(date(YEAR, 4, 1), "exemption"))
    assert result.persons_sanctioned == 0


def test_the_district_is_named_after_its_party_committee():
    assert figures().district == "**区"


def test_a_period_ending_before_it_starts_is_refused_with_a_clear_message():
    with pytest.raises(ReportPeriodError, match="before it starts"):
        Period(date(YEAR, 5, 1), date(YEAR, 4, 30))

"""The responsibility rules corrected against the seed (issue 10, items 1, 5, 6 and 7): each
test is named after its rule (no broker, no database; the read model is fed the domain's own
events)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain import (
    COVERED_UNIT_KINDS,
    TOP_LED_UNIT_KINDS,
    UNIT_KINDS,
    Cadre,
    EducationActivity,
    Letter,
    LetterAlreadySupersededError,
    ParticipantListError,
    TopLeaderPostTakenError,
    Unit,
    check_top_leader_post_free,
)
from services.responsibility.views import District
from shared.actors import Actor
from shared.contracts.responsibility import (
    EducationActivityRecorded,
    EducationKind,
    IndividualClause,
    UnitKind,
)

PC = uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=PC)
JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
JUL = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
AUG = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
CLAUSE = IndividualClause(text="资金拨付全程留痕", risk_point="资金拨付")
DUTIES = ["对本单位党风廉政建设负总责"]


@dataclass(frozen=True)
class Terms:
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    top_leader_duties: list[str]
    individual_clauses: tuple[IndividualClause, ...] = (CLAUSE,)
    year: int = 2026
    issuer_unit_id: UUID = PC
    common_clauses: tuple[str, ...] = ("认真履行一岗双责",)
    sign_by: date | None = None


def unit(code: str, kind: UnitKind, parent: UUID | None = PC) -> Unit:
    return Unit.register(code=code, name=code, kind=kind, parent_unit_id=parent, actor=CLERK,
                         occurred_at=JAN)


def cadre(unit_id: UUID, post: str, *, top: bool = True) -> Cadre:
    return Cadre(person_id=uuid4(), name=post, unit_id=unit_id, post_title=post,
                 line_of_work="全面", leadership_member=True, top_leader=top, actor=CLERK,
                 occurred_at=JAN)


def letter(to: Cadre, *, duties: bool = True, supersedes: UUID | None = None,
           when: datetime = JAN) -> Letter:
    terms = Terms(to.unit_id, to.id, DUTIES if duties else [])
    return Letter.draft(terms=terms, signatory=to, letter_id=None, supersedes=supersedes,
                        actor=CLERK, occurred_at=when)


SECRETARY = Cadre(person_id=uuid4(), name="区委书记", unit_id=PC, post_title="区委书记",
                  line_of_work="全面", leadership_member=False, top_leader=True, actor=CLERK,
                  occurred_at=JAN)


def own(cadre: Cadre) -> Actor:
    return Actor(person_id=cadre.person_id, unit_id=cadre.unit_id)


def sign(draft: Letter, to: Cadre, when: datetime = JAN, replaced: Letter | None = None) -> None:
    """The district party secretary signs for the issuer, then the addressee for themself."""
    draft.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=when,
                         replaced=replaced)
    draft.countersign(signer=to, actor=own(to), occurred_at=when, replaced=replaced)


def district(*aggregates: Any, as_of: date | None = None) -> District:
    """A read model fed every pending event of ``aggregates``, in business-time order."""
    until = None if as_of is None else datetime(as_of.year, as_of.month, as_of.day, 23, 59,
                                                tzinfo=UTC)
    view = District(until)
    events = [e for a in aggregates for e in a.pending_events]
    for event in sorted(events, key=lambda e: e.occurred_at):
        view.apply(event)
    return view


# 1. A letter is superseded when its replacement is signed, not when it is drafted.

def test_a_letter_is_superseded_when_its_replacement_is_signed_not_when_drafted():
    dept = unit("D01", "district_department")
    leader = cadre(dept.id, "党组书记")
    old = letter(leader)
    sign(old, leader)
    new = letter(leader, supersedes=old.id, when=JUL)
    # Drafted: the old letter is still the valid one, and still covers its leader.
    assert (old.status, old.superseded_by) == ("signed", None)
    between = district(dept, leader, old, new).coverage(2026, date(2026, 7, 5))
    assert between.leaders_without_signed_letter == []
    assert between.top_leaders_without_duties_letter == []
    # The replacement must be signed with the letter it replaces at hand.
    with pytest.raises(ValueError, match="supersedes"):
        sign(new, leader, AUG)
    sign(new, leader, AUG, replaced=old)
    assert (old.status, old.superseded_by, new.status) == ("superseded", new.id, "signed")
    mark: Any = old.pending_events[-1]
    # Marked by the signature that signed the replacement (here, the leader's own).
    assert (type(mark).__qualname__, mark.occurred_at, mark.actor) == (
        "Letter.Superseded", AUG, own(leader))
    after = district(dept, leader, old, new).coverage(2026, date(2026, 8, 3))
    assert after.leaders_without_signed_letter == []
    assert district(dept, leader, old, new, as_of=date(2026, 8, 2)).letters[old.id].status \
        == "signed"


def test_a_letter_already_superseded_cannot_be_replaced_again():
    dept = unit("D01", "district_department")
    leader = cadre(dept.id, "党组书记")
    old = letter(leader)
    sign(old, leader)
    first, second = (letter(leader, supersedes=old.id, when=JUL) for _ in range(2))
    sign(first, leader, AUG, replaced=old)
    events_before = len(second.pending_events)
    with pytest.raises(LetterAlreadySupersededError):
        sign(second, leader, AUG, replaced=old)
    assert (second.status, len(second.pending_events)) == ("draft", events_before)


def test_a_replacement_drafted_when_drafting_marked_the_old_letter_signs_without_a_second_mark():
    # Histories stored before the correction marked the old letter at drafting.
    dept = unit("D01", "district_department")
    leader = cadre(dept.id, "党组书记")
    old = letter(leader)
    sign(old, leader)
    new = letter(leader, supersedes=old.id, when=JUL)
    old.mark_superseded(new.id, CLERK, JUL)
    marks = len(old.pending_events)
    sign(new, leader, AUG, replaced=old)
    assert new.status == "signed" and len(old.pending_events) == marks


# 5. 党政主要领导 are two people: the party secretary and the administrative head.

@dataclass(frozen=True)
class Holder:
    name: str
    post_title: str


def test_a_units_top_leaders_are_two_people_in_distinct_posts():
    secretary = Holder("王伟", "党组书记")
    check_top_leader_post_free("局长", [secretary])  # the administrative head: allowed
    with pytest.raises(TopLeaderPostTakenError, match="王伟 already holds the top post"):
        check_top_leader_post_free("党组书记", [secretary])
    with pytest.raises(TopLeaderPostTakenError, match="two top leaders"):
        check_top_leader_post_free("副书记", [secretary, Holder("李娜", "局长")])


def test_coverage_checks_each_of_a_units_two_top_leaders_for_a_duties_letter():
    dept = unit("D01", "district_department")
    secretary, head = cadre(dept.id, "党组书记"), cadre(dept.id, "局长")
    to_secretary = letter(secretary)
    sign(to_secretary, secretary)
    gap = district(dept, secretary, head, to_secretary).coverage(2026, date(2026, 3, 1))
    # The secretary's letter does not cover the head: each holds their own.
    assert gap.top_leaders_without_duties_letter == [head.id]
    assert gap.units_whose_top_leader_lacks_duties_letter == [dept.id]
    assert gap.leaders_without_signed_letter == [head.id]
    to_head = letter(head)
    sign(to_head, head)
    gap = district(dept, secretary, head, to_secretary, to_head).coverage(2026, date(2026, 3, 1))
    assert gap.top_leaders_without_duties_letter == []
    assert gap.units_whose_top_leader_lacks_duties_letter == []


# 6. 纵向到底: coverage reaches offices (科室) and communities.

def test_coverage_reaches_offices_and_communities_vertical_to_every_level():
    assert {"community", "office"} <= set(COVERED_UNIT_KINDS) <= set(UNIT_KINDS)
    assert "office" not in TOP_LED_UNIT_KINDS and "community" in TOP_LED_UNIT_KINDS
    town = unit("T01", "town")
    community = unit("C01", "community", town.id)
    office = unit("T01-1", "office", town.id)
    gap = district(unit("PC", "party_committee", None), town, community, office).coverage(
        2026, date(2026, 3, 1))
    assert set(gap.units_without_signed_letter) == {town.id, community.id, office.id}
    assert set(gap.units_without_task) == {town.id, community.id, office.id}
    # An office is run by its head under the unit's leaders: it owes no principal leaders.
    assert set(gap.units_without_top_leader) == {town.id, community.id}
    community_secretary = cadre(community.id, "社区党组织书记")
    to_community = letter(community_secretary)
    sign(to_community, community_secretary)
    gap = district(town, community, office, community_secretary, to_community).coverage(
        2026, date(2026, 3, 1))
    assert set(gap.units_without_signed_letter) == {town.id, office.id}


# 7. Education counts distinct persons as well as person-times.

def record(kind: EducationKind, count: int, persons: list[UUID] | None,
           held: date = date(2026, 3, 18)) -> EducationActivity:
    return EducationActivity.record(
        kind=kind, title="活动", held_on=held, organiser_unit_id=PC, participant_count=count,
        actor=CLERK, occurred_at=JAN, participant_person_ids=persons,
    )


def test_education_counts_distinct_persons_as_well_as_person_times():
    a, b, c = uuid4(), uuid4(), uuid4()
    sessions = [record("study_session", 2, [a, b]), record("study_session", 2, [a, c],
                                                             date(2026, 4, 18))]
    lecture = record("party_lecture", 1, [a])
    phone_class = record("phone_class", 150, None)  # person-times only
    totals = district(*sessions, lecture, phone_class).education_totals(
        date(2026, 1, 1), date(2026, 12, 31))
    assert totals.participant_times == totals.total_participants == 155
    assert totals.participants == {"study_session": 4, "party_lecture": 1, "phone_class": 150}
    assert totals.distinct_persons == 3  # a attended three times, b and c once
    assert totals.persons == {"study_session": 3, "party_lecture": 1}
    assert (totals.activities_without_participant_list,
            totals.participant_times_without_list) == (1, 150)


def test_a_participant_list_names_each_person_once_and_every_person_time():
    a = uuid4()
    with pytest.raises(ParticipantListError, match="more than once"):
        record("study_session", 2, [a, a])
    with pytest.raises(ParticipantListError, match="participant_count is 3"):
        record("study_session", 3, [a, uuid4()])
    assert record("study_session", 3, None).participant_person_ids is None


def test_the_participant_list_is_an_optional_field_absent_from_events_without_one():
    base = {
        "actor": {"person_id": str(uuid4()), "unit_id": str(PC)}, "activity_id": str(uuid4()),
        "kind": "phone_class", "title": "手机廉政课堂", "held_on": "2026-03-18",
        "organiser_unit_id": str(PC), "participant_count": 2,
    }
    # Without a list the data is exactly what v1 always carried (the schema published
    # before the field existed accepts it); with one, the field is added.
    assert EducationActivityRecorded.model_validate(base).model_dump(mode="json") == base
    persons = [str(uuid4()), str(uuid4())]
    listed = EducationActivityRecorded.model_validate({**base, "participant_person_ids": persons})
    assert listed.model_dump(mode="json") == {**base, "participant_person_ids": persons}
    assert "participant_person_ids" not in EducationActivityRecorded.model_json_schema()[
        "required"]

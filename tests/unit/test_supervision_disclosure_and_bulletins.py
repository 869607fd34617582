"""Domain rules of the disclosure trail and of bulletin numbering."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.supervision.domain import (
    Bulletin,
    BulletinRegister,
    DisclosureStepOutOfOrderError,
    DuplicateBulletinRequestError,
    InvalidBulletinError,
    MajorDecision,
    check_bulletin,
)
from shared.actors import Actor

ACTOR = Actor(person_id=uuid4(), unit_id=uuid4())


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, 0, tzinfo=UTC)


def make_decision() -> MajorDecision:
    return MajorDecision(id=uuid4(), unit_id=uuid4(), topic="老旧小区改造资金分配",
                         collected_from="居民议事会", actor=ACTOR, occurred_at=day(3, 1))


def test_a_decision_is_traced_topic_meeting_publication_execution_in_that_order():
    decision = make_decision()
    decision.decide("党委会", "按户分配", ACTOR, day(3, 5))
    decision.publish_result("社区公开栏", "分配结果", ACTOR, day(3, 6))
    decision.supervise_execution("已按方案执行", ACTOR, day(4, 1))
    decision.supervise_execution("二次检查无问题", ACTOR, day(5, 1))  # checks may repeat
    assert decision.step == "execution_supervised"
    assert [type(e).__name__ for e in decision.pending_events] == [
        "TopicCollected", "DecidedAtMeeting", "ResultPublished", "ExecutionSupervised",
        "ExecutionSupervised",
    ]


def test_publishing_a_result_before_the_meeting_decided_is_refused():
    decision = make_decision()
    with pytest.raises(DisclosureStepOutOfOrderError, match="decided at a meeting"):
        decision.publish_result("公开栏", "x", ACTOR, day(3, 5))
    with pytest.raises(DisclosureStepOutOfOrderError, match="follows 'result published'"):
        decision.supervise_execution("x", ACTOR, day(3, 5))
    decision.decide("党委会", "同意", ACTOR, day(3, 5))
    with pytest.raises(DisclosureStepOutOfOrderError, match="already decided"):
        decision.decide("党委会", "again", ACTOR, day(3, 6))


def test_a_step_cannot_be_dated_before_the_step_it_follows():
    decision = make_decision()
    with pytest.raises(DisclosureStepOutOfOrderError, match="2026-02-28"):
        decision.decide("党委会", "同意", ACTOR, day(2, 28))


def test_the_register_numbers_one_two_three_and_never_twice_for_one_bulletin():
    register = BulletinRegister(kind="circular", year=2026, actor=ACTOR, occurred_at=day(1, 5))
    first, second = Bulletin.create_id("req-1"), Bulletin.create_id("req-2")
    assert register.assign_number(first, ACTOR, day(1, 5)) == 1
    assert register.assign_number(second, ACTOR, day(1, 12)) == 2
    with pytest.raises(DuplicateBulletinRequestError, match="number 1"):
        register.assign_number(first, ACTOR, day(1, 13))
    assert register.last_number == 2
    assert register.id == BulletinRegister.create_id("circular", 2026)
    assert register.id != BulletinRegister.create_id("circular", 2027)
    assert register.id != BulletinRegister.create_id("special_report", 2026)


def test_the_bulletin_id_derives_from_the_request_id():
    assert Bulletin.create_id("req-1") == Bulletin.create_id("req-1") != Bulletin.create_id("x")


def test_only_a_meeting_circular_names_its_meeting():
    check_bulletin("meeting_circular", "全区警示教育大会")
    check_bulletin("special_report", None)
    with pytest.raises(InvalidBulletinError, match="names the meeting"):
        check_bulletin("meeting_circular", None)
    with pytest.raises(InvalidBulletinError, match="Only a circular read out"):
        check_bulletin("circular", "大会")
    with pytest.raises(InvalidBulletinError, match="no bulletin kind"):
        check_bulletin("tweet", None)

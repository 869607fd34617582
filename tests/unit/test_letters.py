"""Domain rules of responsibility letters (no broker, no database)."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.responsibility.domain import (
    Letter,
    LetterAlreadySignedError,
    LetterAlreadySupersededError,
    LetterNotSignableError,
    LetterNotSignedError,
    Unit,
)

ACTOR = {"person_id": uuid4(), "unit_id": uuid4()}
WHEN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def make_letter(*, individual: bool = True, top_leader: bool = False, duties: bool = False,
                sign_by: date | None = None) -> Letter:
    return Letter(
        id=uuid4(), year=2026, issuer_unit_id=uuid4(), signatory_unit_id=uuid4(),
        signatory_cadre_id=uuid4(), signatory_is_top_leader=top_leader,
        common_clauses=["认真履行一岗双责"],
        individual_clauses=[{"text": "资金拨付全程留痕", "risk_point": "资金拨付"}] if individual else [],
        top_leader_duties=["第一责任人"] if duties else [],
        sign_by=sign_by, supersedes=None, actor=ACTOR, occurred_at=WHEN,
    )


def signature() -> dict:
    return {"person_id": uuid4(), "unit_id": uuid4(), "signed_at": WHEN}


def test_letter_with_individual_clause_can_be_signed_and_records_both_signatures():
    letter = make_letter()
    issuer, signatory = signature(), signature()
    letter.sign(issuer, signatory, ACTOR, WHEN)
    assert letter.is_signed
    assert letter.signed_at == WHEN
    assert letter.signatures == [issuer, signatory]
    assert type(letter.pending_events[-1]).__qualname__ == "Letter.Signed"


def test_letter_without_individual_clause_cannot_be_signed():
    letter = make_letter(individual=False)
    with pytest.raises(LetterNotSignableError, match="individual clause"):
        letter.sign(signature(), signature(), ACTOR, WHEN)
    assert not letter.is_signed


def test_adding_an_individual_clause_makes_a_letter_signable():
    letter = make_letter(individual=False)
    letter.add_individual_clause("不插手工程招投标", "工程招投标", ACTOR, WHEN)
    letter.sign(signature(), signature(), ACTOR, WHEN)
    assert letter.individual_clauses == [{"text": "不插手工程招投标", "risk_point": "工程招投标"}]


def test_top_leader_letter_without_top_leader_duties_cannot_be_signed():
    letter = make_letter(top_leader=True)
    with pytest.raises(LetterNotSignableError, match="top leader"):
        letter.sign(signature(), signature(), ACTOR, WHEN)


def test_top_leader_letter_with_duties_can_be_signed():
    letter = make_letter(top_leader=True)
    letter.set_top_leader_duties(["对本单位党风廉政建设负总责"], ACTOR, WHEN)
    letter.sign(signature(), signature(), ACTOR, WHEN)
    assert letter.is_signed


@pytest.mark.parametrize("edit", ["clause", "duties", "sign_again"])
def test_signed_letter_is_never_edited(edit):
    letter = make_letter(top_leader=True, duties=True)
    letter.sign(signature(), signature(), ACTOR, WHEN)
    events_before = len(letter.pending_events)
    with pytest.raises(LetterAlreadySignedError, match="supersedes"):
        if edit == "clause":
            letter.add_individual_clause("追加", "人事", ACTOR, WHEN)
        elif edit == "duties":
            letter.set_top_leader_duties(["改"], ACTOR, WHEN)
        else:
            letter.sign(signature(), signature(), ACTOR, WHEN)
    assert len(letter.pending_events) == events_before


def test_only_a_signed_letter_can_be_superseded_and_only_once():
    draft = make_letter()
    with pytest.raises(LetterNotSignedError):
        draft.mark_superseded(uuid4(), ACTOR, WHEN)
    draft.sign(signature(), signature(), ACTOR, WHEN)
    successor = uuid4()
    draft.mark_superseded(successor, ACTOR, WHEN)
    assert draft.superseded_by == successor
    with pytest.raises(LetterAlreadySupersededError):
        draft.mark_superseded(uuid4(), ACTOR, WHEN)


def test_signing_overdue_is_recorded_once_after_the_deadline():
    letter = make_letter(sign_by=date(2026, 2, 28))
    on_deadline = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    after = datetime(2026, 3, 2, tzinfo=UTC)
    assert not letter.record_signing_overdue_if_due(on_deadline, ACTOR)
    assert letter.record_signing_overdue_if_due(after, ACTOR)
    assert not letter.record_signing_overdue_if_due(datetime(2026, 3, 9, tzinfo=UTC), ACTOR)
    overdue = [e for e in letter.pending_events if type(e).__qualname__ == "Letter.SigningOverdue"]
    assert len(overdue) == 1
    assert overdue[0].occurred_at == after


def test_signed_letter_is_never_recorded_overdue():
    letter = make_letter(sign_by=date(2026, 2, 28))
    letter.sign(signature(), signature(), ACTOR, WHEN)
    assert not letter.record_signing_overdue_if_due(datetime(2026, 6, 1, tzinfo=UTC), ACTOR)


def test_unit_id_is_derived_from_its_code():
    a = Unit(code="D01", name="区财政局", kind="district_department", parent_unit_id=None,
             actor=ACTOR, occurred_at=WHEN)
    b = Unit(code="D01", name="другой", kind="town", parent_unit_id=None,
             actor=ACTOR, occurred_at=WHEN)
    c = Unit(code="D02", name="区财政局", kind="district_department", parent_unit_id=None,
             actor=ACTOR, occurred_at=WHEN)
    assert a.id == b.id != c.id

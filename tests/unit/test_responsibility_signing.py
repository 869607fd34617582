"""签字背书 is two real signatures (issue 10, item 2): the issuing unit's principal leader and
the signatory each sign for themself, with their own token; the letter is signed when both
have. Each test is named after its rule (no broker, no database)."""

from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain import (
    Cadre,
    Letter,
    LetterNotSignableError,
    SignatureAlreadyRecordedError,
    WrongSignatoryError,
)
from services.responsibility.views import District
from shared.actors import Actor
from shared.contracts.responsibility import IndividualClause, LetterSignatureRecorded

PC = uuid4()
DEPT = uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=PC)
JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
CLAUSE = IndividualClause(text="资金拨付全程留痕", risk_point="资金拨付")


def cadre(unit_id: UUID, post: str, *, top: bool) -> Cadre:
    return Cadre(person_id=uuid4(), name=post, unit_id=unit_id, post_title=post,
                 line_of_work="全面", leadership_member=True, top_leader=top, actor=CLERK,
                 occurred_at=JAN)


def own(who: Cadre) -> Actor:
    return Actor(person_id=who.person_id, unit_id=who.unit_id)


SECRETARY = cadre(PC, "区委书记", top=True)
DEPUTY = cadre(PC, "区委副书记", top=False)


class Terms:
    def __init__(self, to: Cadre | None, *, clauses: bool = True, unit: UUID = DEPT) -> None:
        self.year = 2026
        self.issuer_unit_id = PC
        self.signatory_unit_id = unit
        self.signatory_cadre_id = None if to is None else to.id
        self.common_clauses = ["认真履行一岗双责"]
        self.individual_clauses = [CLAUSE] if clauses else []
        self.top_leader_duties = ["对本单位负总责"]
        self.sign_by = None


def draft(to: Cadre | None, *, clauses: bool = True, unit: UUID = DEPT) -> Letter:
    return Letter.draft(terms=Terms(to, clauses=clauses, unit=unit), signatory=to,
                        letter_id=None, supersedes=None, actor=CLERK, occurred_at=JAN)


def test_a_letter_is_signed_only_once_the_issuers_principal_and_the_signatory_have_both_signed():
    member = cadre(DEPT, "副局长", top=False)
    letter = draft(member)
    assert letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN) is False
    assert (letter.status, letter.is_signed) == ("draft", False)
    first = letter.pending_events[-1]
    assert type(first).__qualname__ == "Letter.SignatureRecorded"
    view = District()
    for event in letter.pending_events:
        view.apply(event)
    assert view.letters[letter.id].awaiting_signature_of == "signatory"
    assert view.letters[letter.id].status == "draft"
    assert letter.countersign(signer=member, actor=own(member), occurred_at=FEB) is True
    assert (letter.status, letter.signed_at) == ("signed", FEB)
    assert letter.signatures == [
        {"person_id": SECRETARY.person_id, "unit_id": PC, "signed_at": JAN},
        {"person_id": member.person_id, "unit_id": DEPT, "signed_at": FEB},
    ]
    assert type(letter.pending_events[-1]).__qualname__ == "Letter.Signed"


def test_either_side_may_sign_first_and_the_signed_event_names_each_side_correctly():
    member = cadre(DEPT, "副局长", top=False)
    letter = draft(member)
    assert letter.countersign(signer=member, actor=own(member), occurred_at=JAN) is False
    assert letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=FEB)
    signed = letter.pending_events[-1]
    assert signed.issuer_signature["person_id"] == SECRETARY.person_id  # type: ignore[attr-defined]
    assert signed.signatory_signature["person_id"] == member.person_id  # type: ignore[attr-defined]


def test_the_issuers_signature_is_made_by_a_principal_leader_of_the_issuing_unit():
    member = cadre(DEPT, "副局长", top=False)
    letter = draft(member)
    # A member of the issuing unit who is not one of its principal leaders.
    with pytest.raises(WrongSignatoryError, match="principal leaders"):
        letter.sign_as_issuer(signer=DEPUTY, actor=own(DEPUTY), occurred_at=JAN)
    # A principal leader of another unit.
    other_top = cadre(DEPT, "局长", top=True)
    with pytest.raises(WrongSignatoryError, match="principal leaders"):
        letter.sign_as_issuer(signer=other_top, actor=own(other_top), occurred_at=JAN)
    assert letter.issuer_signature is None


def test_the_signatory_signs_for_themself_or_for_an_unnamed_unit_one_of_its_principal_leaders():
    member = cadre(DEPT, "副局长", top=False)
    letter = draft(member)
    someone_else = cadre(DEPT, "副局长", top=False)
    with pytest.raises(WrongSignatoryError, match="only that person"):
        letter.countersign(signer=someone_else, actor=own(someone_else), occurred_at=JAN)
    to_unit = draft(None)
    with pytest.raises(WrongSignatoryError, match="principal leaders"):
        to_unit.countersign(signer=member, actor=own(member), occurred_at=JAN)
    head = cadre(DEPT, "局长", top=True)
    assert to_unit.countersign(signer=head, actor=own(head), occurred_at=JAN) is False


def test_a_signature_is_made_with_the_signers_own_token_never_by_a_clerk_for_them():
    member = cadre(DEPT, "副局长", top=False)
    letter = draft(member)
    with pytest.raises(WrongSignatoryError, match="own token"):
        letter.sign_as_issuer(signer=SECRETARY, actor=CLERK, occurred_at=JAN)
    with pytest.raises(WrongSignatoryError, match="own token"):
        letter.countersign(signer=member, actor=CLERK, occurred_at=JAN)
    assert not letter.pending_events[1:]


def test_each_side_signs_once_and_issuer_and_signatory_are_two_people():
    letter = draft(None)
    letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)
    with pytest.raises(SignatureAlreadyRecordedError, match="issuer"):
        letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)
    # A letter from the party committee to itself: its secretary cannot sign both sides.
    to_self = draft(None, unit=PC)
    to_self.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)
    with pytest.raises(WrongSignatoryError, match="two people"):
        to_self.countersign(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)


def test_neither_side_signs_a_letter_that_cannot_be_signed():
    letter = draft(None, clauses=False)
    with pytest.raises(LetterNotSignableError, match="individual clause"):
        letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)


def test_the_first_signature_is_an_additive_public_contract():
    letter = draft(None)
    letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=JAN)
    event = letter.pending_events[-1]
    data = LetterSignatureRecorded.model_validate({
        "actor": {"person_id": SECRETARY.person_id, "unit_id": PC}, "letter_id": letter.id,
        "side": event.side, "signature": event.signature,  # type: ignore[attr-defined]
    })
    assert data.side == "issuer"
    assert data.signature.person_id == SECRETARY.person_id


def test_a_letter_is_flagged_at_signing_for_clauses_outside_the_signatorys_post_register():
    member = cadre(DEPT, "副局长", top=False)
    in_register = [{"name": "资金 拨付", "level": "high", "measures": ["留痕"]}]
    other_register = [{"name": "政府采购", "level": "medium", "measures": ["公开招标"]}]
    # A clause drafted from the post's register (matched as the register matches names).
    fitting = draft(member)
    assert fitting.flag_if_outside_register(in_register, CLERK, FEB) is False
    assert fitting.outside_risk_register is None
    # A clause on a risk point the post does not carry is flagged, once, with the point.
    letter = draft(member)
    assert letter.flag_if_outside_register(other_register, CLERK, FEB) is True
    flagged: Any = letter.pending_events[-1]
    assert type(flagged).__qualname__ == "Letter.FlaggedOutsideRiskRegister"
    assert (flagged.risk_points, flagged.post_has_register) == (["资金拨付"], True)
    assert letter.flag_if_outside_register(None, CLERK, FEB) is False
    # A post with no register: every clause is outside it.
    bare = draft(member)
    assert bare.flag_if_outside_register(None, CLERK, FEB) is True
    assert cast(Any, bare.pending_events[-1]).post_has_register is False
    # A letter to a unit without a named cadre has no post to judge it against.
    assert draft(None).flag_if_outside_register(None, CLERK, FEB) is False
    view = District()
    for event in letter.pending_events:
        view.apply(event)
    assert view.letters[letter.id].outside_risk_register == ["资金拨付"]

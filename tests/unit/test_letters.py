"""Domain rules of units and responsibility letters (no broker, no database)."""

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast, get_args
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Mapper
from eventsourcing.utils import resolve_topic

from services.responsibility.domain import (
    COVERED_UNIT_KINDS,
    LETTER_STATUSES,
    UNIT_KINDS,
    Cadre,
    Letter,
    LetterAlreadySignedError,
    LetterAlreadySupersededError,
    LetterNotSignableError,
    LetterNotSignedError,
    Unit,
    UnknownUnitKindError,
    WrongSignatoryError,
    check_acts_for,
)
from shared.actors import Actor
from shared.contracts.responsibility import IndividualClause, LetterStatus, UnitKind
from shared.errors import NotPermittedError
from shared.persistence import build_transcoder

ISSUER_UNIT = uuid4()
SIGNATORY_UNIT = uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=ISSUER_UNIT)
WHEN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
ISSUER_PERSON = uuid4()


def make_cadre(*, top_leader: bool = False, unit_id: UUID = SIGNATORY_UNIT) -> Cadre:
    return Cadre(
        person_id=uuid4(), name="王伟", unit_id=unit_id, post_title="局长", line_of_work="财政",
        leadership_member=True, top_leader=top_leader, actor=CLERK, occurred_at=WHEN,
    )


@dataclass(frozen=True)
class Terms:
    """What a clerk writes in a letter (the command's LetterContent has the same shape)."""

    signatory_cadre_id: UUID | None
    individual_clauses: list[IndividualClause] = field(default_factory=list)
    top_leader_duties: list[str] = field(default_factory=list)
    sign_by: date | None = None
    year: int = 2026
    issuer_unit_id: UUID = ISSUER_UNIT
    signatory_unit_id: UUID = SIGNATORY_UNIT
    common_clauses: list[str] = field(default_factory=lambda: ["认真履行一岗双责"])


CLAUSE = IndividualClause(text="资金拨付全程留痕", risk_point="资金拨付")


def make_letter(*, individual: bool = True, top_leader: bool = False, duties: bool = False,
                sign_by: date | None = None) -> tuple[Letter, Cadre]:
    addressee = make_cadre(top_leader=top_leader)
    terms = Terms(
        signatory_cadre_id=addressee.id, individual_clauses=[CLAUSE] if individual else [],
        top_leader_duties=["第一责任人"] if duties else [], sign_by=sign_by,
    )
    letter = Letter.draft(terms=terms, signatory=addressee, letter_id=None, supersedes=None,
                          actor=CLERK, occurred_at=WHEN)
    return letter, addressee


# The issuing unit's party secretary, who signs its letters for it (签字背书).
SECRETARY = Cadre(
    person_id=ISSUER_PERSON, name="区委书记", unit_id=ISSUER_UNIT, post_title="区委书记",
    line_of_work="全面", leadership_member=True, top_leader=True, actor=CLERK, occurred_at=WHEN,
)


def own(cadre: Cadre) -> Actor:
    """The cadre acting with their own token."""
    return Actor(person_id=cadre.person_id, unit_id=cadre.unit_id)


def sign(letter: Letter, addressee: Cadre, *, by: Cadre | None = None,
         when: datetime = WHEN) -> None:
    """Both signatures: the issuer's by its party secretary, then the signatory's own."""
    if letter.issuer_signature is None:
        letter.sign_as_issuer(signer=SECRETARY, actor=own(SECRETARY), occurred_at=when)
    signer = by or addressee
    letter.countersign(signer=signer, actor=own(signer), occurred_at=when)


def test_a_draft_records_what_the_letter_says_and_whether_it_goes_to_a_top_leader():
    letter, addressee = make_letter(top_leader=True)
    assert letter.status == "draft"
    assert letter.signatory_cadre_id == addressee.id
    assert letter.signatory_is_top_leader
    assert letter.individual_clauses == [{"text": "资金拨付全程留痕", "risk_point": "资金拨付"}]
    assert type(letter.pending_events[-1]).__qualname__ == "Letter.Drafted"


def test_a_letter_cannot_be_addressed_to_a_cadre_of_another_unit():
    outsider = make_cadre(unit_id=uuid4())
    terms = Terms(signatory_cadre_id=outsider.id, individual_clauses=[CLAUSE])
    with pytest.raises(WrongSignatoryError, match="another unit"):
        Letter.draft(terms=terms, signatory=outsider, letter_id=None, supersedes=None,
                     actor=CLERK, occurred_at=WHEN)


def test_letter_with_individual_clause_can_be_signed_and_records_both_signatures():
    letter, addressee = make_letter()
    sign(letter, addressee)
    assert letter.is_signed
    assert letter.status == "signed"
    assert letter.signed_at == WHEN
    assert letter.signatures == [
        {"person_id": ISSUER_PERSON, "unit_id": ISSUER_UNIT, "signed_at": WHEN},
        {"person_id": addressee.person_id, "unit_id": SIGNATORY_UNIT, "signed_at": WHEN},
    ]
    assert type(letter.pending_events[-1]).__qualname__ == "Letter.Signed"


def test_only_the_addressed_cadre_can_sign_as_signatory():
    letter, addressee = make_letter()
    with pytest.raises(WrongSignatoryError, match="only that person"):
        sign(letter, addressee, by=make_cadre())
    assert not letter.is_signed


def test_letter_without_individual_clause_cannot_be_signed():
    letter, addressee = make_letter(individual=False)
    with pytest.raises(LetterNotSignableError, match="individual clause"):
        sign(letter, addressee)
    assert not letter.is_signed


def test_adding_an_individual_clause_makes_a_letter_signable():
    letter, addressee = make_letter(individual=False)
    letter.add_individual_clause("不插手工程招投标", "工程招投标", CLERK, WHEN)
    sign(letter, addressee)
    assert letter.individual_clauses == [{"text": "不插手工程招投标", "risk_point": "工程招投标"}]


def test_top_leader_letter_without_top_leader_duties_cannot_be_signed():
    letter, addressee = make_letter(top_leader=True)
    with pytest.raises(LetterNotSignableError, match="top leader"):
        sign(letter, addressee)


def test_top_leader_letter_with_duties_can_be_signed():
    letter, addressee = make_letter(top_leader=True)
    letter.set_top_leader_duties(["对本单位党风廉政建设负总责"], CLERK, WHEN)
    sign(letter, addressee)
    assert letter.is_signed


@pytest.mark.parametrize("edit", ["clause", "duties", "sign_again"])
def test_signed_letter_is_never_edited(edit):
    letter, addressee = make_letter(top_leader=True, duties=True)
    sign(letter, addressee)
    events_before = len(letter.pending_events)
    with pytest.raises(LetterAlreadySignedError, match="supersedes"):
        if edit == "clause":
            letter.add_individual_clause("追加", "人事", CLERK, WHEN)
        elif edit == "duties":
            letter.set_top_leader_duties(["改"], CLERK, WHEN)
        else:
            sign(letter, addressee)
    assert len(letter.pending_events) == events_before


def test_only_a_signed_letter_can_be_superseded_and_only_once():
    draft, addressee = make_letter()
    with pytest.raises(LetterNotSignedError):
        draft.mark_superseded(uuid4(), CLERK, WHEN)
    sign(draft, addressee)
    successor = uuid4()
    draft.mark_superseded(successor, CLERK, WHEN)
    assert draft.superseded_by == successor
    assert draft.status == "superseded"
    with pytest.raises(LetterAlreadySupersededError):
        draft.mark_superseded(uuid4(), CLERK, WHEN)


def test_a_letter_passes_through_exactly_the_contracts_statuses():
    letter, addressee = make_letter()
    seen = [letter.status]
    sign(letter, addressee)
    seen.append(letter.status)
    letter.mark_superseded(uuid4(), CLERK, WHEN)
    seen.append(letter.status)
    assert tuple(seen) == LETTER_STATUSES == get_args(LetterStatus)


def test_signing_overdue_is_recorded_once_after_the_deadline():
    letter, _ = make_letter(sign_by=date(2026, 2, 28))
    on_deadline = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    after = datetime(2026, 3, 2, tzinfo=UTC)
    assert not letter.record_signing_overdue_if_due(on_deadline, CLERK)
    assert letter.record_signing_overdue_if_due(after, CLERK)
    assert not letter.record_signing_overdue_if_due(datetime(2026, 3, 9, tzinfo=UTC), CLERK)
    # The event class is made at runtime by @event; mypy cannot see its fields.
    overdue = [cast(Any, e) for e in letter.pending_events
               if type(e).__qualname__ == "Letter.SigningOverdue"]
    assert len(overdue) == 1
    assert overdue[0].occurred_at == after


def test_signed_letter_is_never_recorded_overdue():
    letter, addressee = make_letter(sign_by=date(2026, 2, 28))
    sign(letter, addressee)
    assert not letter.record_signing_overdue_if_due(datetime(2026, 6, 1, tzinfo=UTC), CLERK)


def test_a_letter_without_a_deadline_is_never_overdue():
    letter, _ = make_letter(sign_by=None)
    assert not letter.record_signing_overdue_if_due(datetime(2027, 1, 1, tzinfo=UTC), CLERK)


@dataclass
class Other:
    """Another letter as the read model knows it."""

    individual_clauses: list[dict[str, str]]
    status: LetterStatus = "signed"
    year: int = 2026
    signatory_unit_id: UUID = SIGNATORY_UNIT
    signatory_cadre_id: UUID | None = field(default_factory=uuid4)
    letter_id: UUID = field(default_factory=uuid4)


def test_a_copy_of_another_posts_signed_letter_is_flagged_once_naming_it():
    letter, _ = make_letter()
    copied = Other([{"text": CLAUSE.text, "risk_point": "x"}])
    assert letter.flag_if_copy([copied], 0.85, CLERK, WHEN)
    assert letter.flagged_like == copied.letter_id
    assert not letter.flag_if_copy([copied], 0.85, CLERK, WHEN)
    # The event class is made at runtime by @event; mypy cannot see its fields.
    flags = [cast(Any, e) for e in letter.pending_events
             if type(e).__qualname__ == "Letter.FlaggedAsBoilerplate"]
    assert [(f.similar_letter_id, f.similarity) for f in flags] == [(copied.letter_id, 1.0)]


def test_drafts_other_years_the_same_post_and_the_superseded_letter_are_not_compared():
    letter, addressee = make_letter()
    same = [{"text": CLAUSE.text, "risk_point": "x"}]
    ignored = [
        Other(same, status="draft"),
        Other(same, year=2025),
        Other(same, signatory_cadre_id=addressee.id),
        Other(same, letter_id=letter.id),
    ]
    assert letter.most_similar(ignored, 0.5) is None
    assert not letter.flag_if_copy(ignored, 0.5, CLERK, WHEN)


def test_only_a_clerk_of_the_records_unit_may_change_it():
    check_acts_for(CLERK, ISSUER_UNIT)
    with pytest.raises(NotPermittedError, match="Only a clerk"):
        check_acts_for(Actor(person_id=uuid4(), unit_id=uuid4()), ISSUER_UNIT)


def test_unit_id_is_derived_from_its_code():
    a = Unit(code="D01", name="区财政局", kind="district_department", parent_unit_id=None,
             actor=CLERK, occurred_at=WHEN)
    b = Unit(code="D01", name="другой", kind="town", parent_unit_id=None,
             actor=CLERK, occurred_at=WHEN)
    c = Unit(code="D02", name="区财政局", kind="district_department", parent_unit_id=None,
             actor=CLERK, occurred_at=WHEN)
    assert a.id == b.id != c.id


def test_the_domain_accepts_exactly_the_contracts_unit_kinds():
    assert get_args(UnitKind) == UNIT_KINDS
    assert set(COVERED_UNIT_KINDS) <= set(UNIT_KINDS)
    for number, kind in enumerate(get_args(UnitKind)):
        unit = Unit.register(code=f"U{number}", name="单位", kind=kind, parent_unit_id=None,
                             actor=CLERK, occurred_at=WHEN)
        assert unit.kind == kind
    with pytest.raises(UnknownUnitKindError, match="galaxy"):
        Unit.register(code="X", name="n", kind="galaxy", parent_unit_id=None,  # type: ignore[arg-type]
                      actor=CLERK, occurred_at=WHEN)


@pytest.mark.parametrize("kind", ["Unit", "Cadre", "Letter", "Task", "EducationActivity"])
def test_events_stored_before_the_domain_was_split_into_modules_still_load(kind):
    # Before the split every aggregate lived in the module services.responsibility.domain.
    assert resolve_topic(f"services.responsibility.domain:{kind}").__qualname__ == kind


def test_a_history_stored_under_the_old_module_is_rebuilt_with_its_actor():
    mapper = Mapper[UUID](transcoder=build_transcoder())
    unit = Unit.register(code="D01", name="区财政局", kind="district_department",
                         parent_unit_id=None, actor=CLERK, occurred_at=WHEN)
    stored = mapper.to_stored_event(unit.pending_events[0])
    new_module, old_module = b"services.responsibility.domain.units:", b"services.responsibility.domain:"
    assert new_module in stored.state
    old = dataclasses.replace(
        stored, topic="services.responsibility.domain:Unit.Registered",
        state=stored.state.replace(new_module, old_module),
    )
    # Decoded as the protocol; the class (Unit.Registered) is made at runtime by @event.
    rebuilt = cast(Any, mapper.to_domain_event(old)).mutate(None)
    assert isinstance(rebuilt, Unit)
    assert (rebuilt.id, rebuilt.code, rebuilt.kind) == (unit.id, "D01", "district_department")
    assert cast(Any, mapper.to_domain_event(old)).actor == CLERK

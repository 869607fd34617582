"""The bigram index behind boilerplate detection (issue 8, item 4): it finds every letter that
can reach the threshold (never one less than comparing with every letter would), keeps each
letter's bigrams once, and forgets what a letter no longer holds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.responsibility.domain import Cadre, Letter
from services.responsibility.domain.similarity import (
    DEFAULT_THRESHOLD,
    ShingleIndex,
    least_overlap,
    min_overlap,
    shingles,
    similarity,
)
from services.responsibility.views import District
from shared.actors import Actor
from shared.contracts.responsibility import IndividualClause

SEED = 20260108
THRESHOLDS = (0.0, 0.2, 0.5, 0.7, 0.8, DEFAULT_THRESHOLD, 0.9, 0.95, 1.0, 1.01)
# Few characters, so that random clauses share many bigrams and scores spread over 0…1.
ALPHABET = "廉政责任监督审批资金"

CLAUSES = [
    "严格执行项目审批程序，杜绝“打招呼”“批条子”，审批结果一律在政务公开栏公示。",
    "民生资金拨付全程留痕，按月公开发放台账，接受群众监督和审计检查。",
]
NEAR_COPY = [CLAUSES[0].replace("项目", "工程"), CLAUSES[1].replace("按月", "每月")]
UNRELATED = ["坚持集体研究决定干部任免，严防带病提拔，任前征求纪检监察机关意见。"]


def random_clauses(rng: random.Random) -> list[str]:
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 14)))
            for _ in range(rng.randint(0, 4))]


def edited(rng: random.Random, clauses: list[str]) -> list[str]:
    """A copy with a character or two changed here and there."""
    out = []
    for clause in clauses:
        chars = list(clause)
        for _ in range(rng.randint(0, 2)):
            if chars:
                chars[rng.randrange(len(chars))] = rng.choice(ALPHABET)
        out.append("".join(chars))
    return out


def random_sets(rng: random.Random, count: int) -> list[frozenset[str]]:
    letters: list[list[str]] = []
    for _ in range(count):
        roll = rng.random()
        if letters and roll < 0.3:
            letters.append(edited(rng, rng.choice(letters)))
        elif letters and roll < 0.4:
            letters.append(list(rng.choice(letters)))  # an exact copy
        else:
            letters.append(random_clauses(rng))
    return [shingles(c) for c in letters]


def brute_force(sets: dict[int, frozenset[str]], probe: frozenset[str], threshold: float
                ) -> set[int]:
    return {k for k, s in sets.items() if similarity(probe, s) >= threshold}


def test_a_near_copy_is_a_candidate_and_an_unrelated_letter_is_not():
    index = ShingleIndex()
    index.put(0, shingles(CLAUSES))
    index.put(1, shingles(UNRELATED))
    assert index.candidates(shingles(NEAR_COPY), DEFAULT_THRESHOLD) == [0]
    assert index.candidates(shingles(CLAUSES), 1.0) == [0]
    assert index.candidates(shingles(UNRELATED[0][:20]), DEFAULT_THRESHOLD) == []


def test_no_letter_is_missed_compared_with_every_letter():
    """Randomised (fixed seed): for every threshold, the candidates include every set that
    reaches it with the probe, and they come in key order."""
    rng = random.Random(SEED)
    sets = dict(enumerate(random_sets(rng, 400)))
    index = ShingleIndex()
    for key, s in sets.items():
        index.put(key, s)
    # New letters (a third of them copies or near-copies of indexed ones) and indexed ones.
    probes = random_sets(rng, 60) + rng.sample(list(sets.values()), 20)
    matched = 0
    for probe in probes:
        for threshold in THRESHOLDS:
            candidates = index.candidates(probe, threshold)
            assert candidates == sorted(set(candidates))
            expected = brute_force(sets, probe, threshold)
            assert expected <= set(candidates), (sorted(probe), threshold)
            matched += len(expected)
    assert matched > 1000  # the scenario does have matches at every level


def test_the_candidates_are_few_for_a_selective_threshold():
    rng = random.Random(SEED + 1)
    sets = dict(enumerate(random_sets(rng, 400)))
    index = ShingleIndex()
    for key, s in sets.items():
        index.put(key, s)
    probe = sets[399] if sets[399] else sets[398]
    candidates = index.candidates(probe, DEFAULT_THRESHOLD)
    assert brute_force(sets, probe, DEFAULT_THRESHOLD) <= set(candidates)
    assert len(candidates) < len(sets) / 4


def test_a_replaced_or_removed_set_leaves_nothing_behind():
    index = ShingleIndex()
    index.put(7, shingles(CLAUSES))
    index.put(8, shingles(CLAUSES))
    assert index.candidates(shingles(CLAUSES), DEFAULT_THRESHOLD) == [7, 8]
    # Key 7 now holds other clauses: its old bigrams no longer name it.
    index.put(7, shingles(UNRELATED))
    assert index.shingles_of(7) == shingles(UNRELATED)
    assert all(7 not in index.keys_holding(b) for b in shingles(CLAUSES) - shingles(UNRELATED))
    assert index.candidates(shingles(CLAUSES), DEFAULT_THRESHOLD) == [8]
    assert index.candidates(shingles(UNRELATED), DEFAULT_THRESHOLD) == [7]
    index.remove(8)
    index.remove(8)  # removing twice is harmless
    assert 8 not in index and len(index) == 1
    assert index.candidates(shingles(CLAUSES), DEFAULT_THRESHOLD) == []
    assert all(index.keys_holding(b) in (frozenset(), frozenset({7}))
               for b in shingles(CLAUSES) | shingles(UNRELATED))


def test_edge_thresholds_and_empty_sets():
    index = ShingleIndex()
    index.put(1, frozenset())
    index.put(2, shingles(CLAUSES))
    assert index.candidates(shingles(CLAUSES), 0.0) == [1, 2]  # 0 ≥ 0: everything
    assert index.candidates(frozenset(), 0.5) == []  # an empty set scores 0
    assert index.candidates(shingles(CLAUSES), 1.01) == []
    assert ShingleIndex().candidates(shingles(CLAUSES), 0.5) == []


@pytest.mark.parametrize("threshold", [0.1, 0.5, DEFAULT_THRESHOLD, 0.99, 1.0])
def test_the_overlap_bounds_are_never_above_the_exact_ones(threshold: float):
    for a in range(1, 60):
        for b in range(1, 60):
            exact = min((o for o in range(min(a, b) + 1) if 2 * o / (a + b) >= threshold),
                        default=None)
            if exact is None:
                continue
            assert min_overlap(a, b, threshold) <= exact
            assert least_overlap(a, threshold) <= exact


# The read model's index, fed with the letters' own events, against the linear scan.

ISSUER_UNIT = uuid4()
CLERK = Actor(person_id=uuid4(), unit_id=ISSUER_UNIT)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRETARY = Cadre(
    person_id=uuid4(), name="区委书记", unit_id=ISSUER_UNIT, post_title="区委书记",
    line_of_work="全面", leadership_member=True, top_leader=True, actor=CLERK, occurred_at=START,
)


@dataclass(frozen=True)
class Terms:
    signatory_cadre_id: UUID | None
    signatory_unit_id: UUID
    individual_clauses: list[IndividualClause]
    year: int = 2026
    issuer_unit_id: UUID = ISSUER_UNIT
    common_clauses: list[str] = field(default_factory=lambda: ["认真履行一岗双责"])
    top_leader_duties: list[str] = field(default_factory=list)
    sign_by: None = None


class Register:
    """Letters drafted and signed through the domain, their events applied to a District."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.letters: dict[UUID, Letter] = {}
        self.addressees: dict[UUID, Cadre] = {}
        self.clock = START
        self.log: list[object] = []

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def apply(self, *letters: Letter) -> None:
        for letter in letters:
            for event in letter.collect_events():
                self.district.apply(event)
                self.log.append(event)

    def draft(self, clauses: list[str], *, year: int = 2026, addressee: Cadre | None = None,
              supersedes: UUID | None = None) -> Letter:
        if addressee is None:
            unit = uuid4()
            addressee = Cadre(person_id=uuid4(), name="某某", unit_id=unit, post_title="科长",
                              line_of_work="财务", leadership_member=False, top_leader=False,
                              actor=CLERK, occurred_at=START)
        terms = Terms(addressee.id, addressee.unit_id,
                      [IndividualClause(text=c, risk_point="r") for c in clauses], year=year)
        letter = Letter.draft(terms=terms, signatory=addressee, letter_id=None,
                              supersedes=supersedes, actor=CLERK, occurred_at=self.tick())
        self.letters[letter.id], self.addressees[letter.id] = letter, addressee
        self.apply(letter)
        return letter

    def sign(self, letter: Letter, threshold: float) -> tuple[UUID, float] | None:
        """Both signatures; at the second, the index's answer must be the linear scan's."""
        replaced = None if letter.supersedes is None else self.letters[letter.supersedes]
        letter.sign_as_issuer(signer=SECRETARY, occurred_at=self.tick(), replaced=replaced,
                              actor=Actor(person_id=SECRETARY.person_id, unit_id=ISSUER_UNIT))
        addressee = self.addressees[letter.id]
        assert letter.countersign(signer=addressee, occurred_at=self.tick(), replaced=replaced,
                                  actor=Actor(person_id=addressee.person_id,
                                              unit_id=addressee.unit_id))
        district = self.district
        # Every letter, in drafting order (a read model loaded from rows holds them in
        # another order).
        every = [district.letters[i] for i in self.letters if i in district.letters]
        linear = letter.most_similar(every, threshold)
        candidates = district.copy_candidates(letter.year, letter.clause_shingles(), threshold)
        indexed = letter.most_similar(candidates, threshold,
                                      shingles_of=district.clause_shingles)
        assert indexed == linear
        if indexed is not None:
            letter.flag_as_boilerplate(indexed[0], indexed[1], CLERK, self.clock)
        self.apply(letter, *([] if replaced is None else [replaced]))
        return indexed


@pytest.mark.parametrize("threshold", [0.5, 0.7, DEFAULT_THRESHOLD, 1.0])
def test_the_read_models_index_flags_what_comparing_with_every_letter_flags(threshold: float):
    rng = random.Random(SEED + int(threshold * 100))
    register = Register(District())
    texts: list[list[str]] = []
    flagged = 0
    for n in range(250):
        roll = rng.random()
        if texts and roll < 0.25:
            clauses = edited(rng, rng.choice(texts))
        elif texts and roll < 0.35:
            clauses = list(rng.choice(texts))  # ties: the first drafted is named
        else:
            clauses = random_clauses(rng) or ["廉政"]
        texts.append(clauses)
        letter = register.draft(clauses, year=2026 if n % 10 else 2025)
        if roll > 0.9:
            continue  # left a draft: never compared with
        if roll > 0.8 and letter.year == 2026:
            # Superseded by a letter to the same post: still compared with (it was signed), but
            # not by the letter that replaces it.
            register.sign(letter, threshold)
            replacement = register.draft(edited(rng, clauses), addressee=register.addressees[
                letter.id], supersedes=letter.id)
            flagged += register.sign(replacement, threshold) is not None
            assert register.district.letters[letter.id].status == "superseded"
            continue
        flagged += register.sign(letter, threshold) is not None
    assert flagged > 20


def test_an_as_of_projection_builds_its_index_when_asked():
    live = District()
    register = Register(live)
    first = register.draft(CLAUSES)
    register.sign(first, DEFAULT_THRESHOLD)
    draft = register.draft(NEAR_COPY)
    assert live.clause_shingles(first.id) == shingles(CLAUSES)
    assert live.clause_shingles(draft.id) is None  # a draft is not indexed
    assert [v.letter_id for v in live.copy_candidates(2026, shingles(NEAR_COPY),
                                                      DEFAULT_THRESHOLD)] == [first.id]
    # The same events in a projection as of a day: no index is kept until one is asked for.
    as_of = District(until=datetime(2027, 1, 1, tzinfo=UTC))
    for event in register.log:
        as_of.apply(event)
    assert as_of.clause_shingles(first.id) is None
    assert [v.letter_id for v in as_of.copy_candidates(2026, shingles(NEAR_COPY),
                                                       DEFAULT_THRESHOLD)] == [first.id]
    assert as_of.clause_shingles(first.id) == shingles(CLAUSES)
    # Kept from then on: a letter signed later joins it.
    register.sign(draft, 0.0)
    for event in register.log[-3:]:
        as_of.apply(event)
    assert as_of.clause_shingles(draft.id) == shingles(NEAR_COPY)


def test_letters_loaded_from_rows_keep_their_drafting_order():
    """A read model loaded from stored rows (shared/readmodel.py) rather than replayed: the
    letters' order comes from their creating positions, and a letter signed after the load
    is compared with the loaded ones too."""
    live = District()
    register = Register(live)
    drafted = [register.draft(list(CLAUSES)) for _ in range(3)]  # copies of one another
    for letter in drafted:
        register.sign(letter, 1.01)
    positions = {("letters", letter.id): n * 10 + 1 for n, letter in enumerate(drafted)}

    def loaded_from_rows() -> District:
        loaded = District()
        for letter in reversed(drafted):  # rows come in another order
            loaded.letters[letter.id] = live.letters[letter.id]
        loaded.after_load(positions)
        return loaded

    loaded = loaded_from_rows()
    ask = (2026, shingles(NEAR_COPY), DEFAULT_THRESHOLD)
    assert [v.letter_id for v in loaded.copy_candidates(*ask)] == [
        v.letter_id for v in live.copy_candidates(*ask)] == [d.id for d in drafted]
    # Another one follows the log from its rows, with no query first: a letter of the same
    # year drafted and signed now is flagged as a copy of the first loaded letter.
    register.district = loaded_from_rows()
    later = register.draft(NEAR_COPY)
    found = register.sign(later, DEFAULT_THRESHOLD)
    assert found is not None and found[0] == drafted[0].id
    assert register.district.clause_shingles(later.id) == shingles(NEAR_COPY)

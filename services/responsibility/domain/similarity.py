"""How alike two letters' individual clauses are: the measure behind boilerplate detection.

The measure: the Sørensen–Dice coefficient, 2·|A∩B| / (|A|+|B|), of the two sets of character
bigrams ("2-shingles") of the letters' individual clauses, after removing whitespace and
punctuation. Chinese is written without spaces, so whitespace tokens would make a whole clause
one "word"; character shingles see a copy with a few characters changed as nearly identical.
Shingles are taken clause by clause and pooled, so reordering the clauses of a letter does not
change its set. 1.0 means the same clauses; unrelated texts score near 0.

Finding the copies: a signing compares only with the letters a :class:`ShingleIndex` of the
year's letters finds (issue 8, item 4). The index is exact (it never leaves out a letter that
reaches the threshold) and the comparison stays the one above, so the flags are those of
comparing with every letter of the year.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable

SHINGLE_SIZE = 2
# DUTYTRAIL_BOILERPLATE_THRESHOLD overrides it (services/responsibility/settings.py).
DEFAULT_THRESHOLD = 0.85


def normalise(text: str) -> str:
    """Keep letters and digits only (NFKC folds full-width forms), lower-cased."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in ("L", "N"))


def shingles(clauses: Iterable[str], size: int = SHINGLE_SIZE) -> frozenset[str]:
    result: set[str] = set()
    for clause in clauses:
        text = normalise(clause)
        if len(text) < size:
            if text:
                result.add(text)
            continue
        result.update(text[i : i + size] for i in range(len(text) - size + 1))
    return frozenset(result)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Sørensen–Dice: a two-character substitution in a 60-character clause costs about 5 %."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


# Finding the letters that may reach the threshold without comparing with every letter.


def min_overlap(size: int, other_size: int, threshold: float) -> int:
    """The fewest bigrams two sets of ``size`` and ``other_size`` must share for their
    Sørensen–Dice to reach ``threshold``: 2·|A∩B| / (|A|+|B|) ≥ t means |A∩B| ≥ t(|A|+|B|)/2.
    Rounded down by a hair, so it is never above the exact bound (float rounding never hides a
    pair that :func:`similarity` would score at the threshold)."""
    return math.ceil(threshold * (size + other_size) / 2 - _SLACK)


def least_overlap(size: int, threshold: float) -> int:
    """The fewest bigrams a set of ``size`` shares with *any* set it reaches ``threshold``
    with: the other set holds at least the shared bigrams, so |A∩B| ≥ t(|A|+|A∩B|)/2, that
    is |A∩B| ≥ t·|A|/(2−t) (0 for a threshold of 0 or less: anything reaches it)."""
    if threshold <= 0:
        return 0
    return max(1, math.ceil(threshold * size / (2 - threshold) - _SLACK))


_SLACK = 1e-6


class ShingleIndex:
    """An inverted index of bigram sets (bigram → the keys of the sets that hold it), each set
    kept once with its key, to find which sets may reach a Sørensen–Dice threshold with a
    probe without comparing the probe with every set.

    :meth:`candidates` is exact: it returns every key whose set reaches the threshold (and
    some that do not, for :func:`similarity` to rule out). A set reaching ``t`` with the
    probe ``A`` shares at least k = :func:`least_overlap` of ``A``'s bigrams, so it holds at
    least one of *any* ``|A|−k+1`` of them: the index looks up the rarest ``|A|−k+1`` (and
    more while they stay rare), counts how many of them each set holds, and keeps a set only
    if that count plus the bigrams not looked up can still reach the overlap its size
    needs (:func:`min_overlap`), and then only if it does share that many. The very common
    bigrams are never looked up, and nothing is missed. Keys are ints (a letter's place in
    the register): candidates come in key order.
    """

    # After the mandatory rarest bigrams, more are looked up while each holds at most this
    # share of the sets (looking one up costs its postings; it prunes candidates for free).
    RARE_SHARE = 0.05

    def __init__(self) -> None:
        # Each set as a tuple of interned bigrams (a bigram's text is stored once, however
        # many sets hold it); postings are lists of keys. About 2 MB per 1,000 letters of
        # about 100 bigrams, against about 17 MB with a frozenset and new strings each.
        self._sets: dict[int, tuple[str, ...]] = {}
        self._sizes: dict[int, int] = {}
        self._postings: dict[str, list[int]] = {}
        self._largest = 0  # the size of the largest set ever indexed

    def __len__(self) -> int:
        return len(self._sets)

    def __contains__(self, key: object) -> bool:
        return key in self._sets

    def shingles_of(self, key: int) -> frozenset[str] | None:
        kept = self._sets.get(key)
        return None if kept is None else frozenset(kept)

    def keys_holding(self, bigram: str) -> frozenset[int]:
        """The keys whose set holds ``bigram`` (for tests and inspection)."""
        return frozenset(self._postings.get(bigram, ()))

    def put(self, key: int, shingle_set: frozenset[str]) -> None:
        """Index ``shingle_set`` under ``key``, replacing what the key held before."""
        old = self._sets.get(key)
        if old is not None:
            if len(old) == len(shingle_set) and shingle_set.issuperset(old):
                return
            self.remove(key)
        kept = tuple(sys.intern(bigram) for bigram in shingle_set)
        self._sets[key] = kept
        self._sizes[key] = len(kept)
        self._largest = max(self._largest, len(kept))
        postings = self._postings
        for bigram in kept:
            holders = postings.get(bigram)
            if holders is None:
                postings[bigram] = [key]
            else:
                holders.append(key)

    def remove(self, key: int) -> None:
        old = self._sets.pop(key, None)
        if old is None:
            return
        del self._sizes[key]
        postings = self._postings
        for bigram in old:
            holders = postings[bigram]
            holders.remove(key)
            if not holders:
                del postings[bigram]

    def candidates(self, probe: frozenset[str], threshold: float) -> list[int]:
        """The keys, in order, whose set may reach ``threshold`` with ``probe``: a superset of
        those that do."""
        if threshold <= 0:
            return sorted(self._sets)  # even disjoint sets reach it
        size = len(probe)
        if size == 0 or threshold > 1 or not self._sets:
            return []  # an empty set scores 0 with everything; nothing scores above 1
        postings = self._postings
        nothing: list[int] = []
        ranked = sorted(probe, key=lambda b: len(postings.get(b, nothing)))
        looked = size - least_overlap(size, threshold) + 1
        rare = max(1, int(len(self._sets) * self.RARE_SHARE))
        while looked < size and len(postings.get(ranked[looked], nothing)) <= rare:
            looked += 1
        counts: Counter[int] = Counter()
        for bigram in ranked[:looked]:
            holders = postings.get(bigram)
            if holders:
                counts.update(holders)
        # A set of n bigrams is kept if the bigrams it shares among those looked up, plus all
        # those not looked up, can still make the overlap n needs (never more than the
        # smaller set, so sizes too far from the probe's are out whatever they share); then
        # if it does share that many (one set intersection each, for the few left).
        unlooked = size - looked
        out = size + 1  # more than any count
        needs = [out] * (self._largest + 1)  # by the other set's size
        # Only sizes within t·|A|/(2−t) … (2−t)·|A|/t can reach t (a margin of one each side).
        low = max(0, int(threshold * size / (2 - threshold)) - 1)
        high = min(self._largest, int((2 - threshold) * size / threshold) + 2)
        for n in range(low, high + 1):
            need = min_overlap(size, n, threshold)
            if need <= min(size, n):
                needs[n] = need
        sizes, sets = self._sizes, self._sets
        found = [
            key for key, shared in counts.items()
            if shared + unlooked >= needs[sizes[key]]
            and len(probe.intersection(sets[key])) >= needs[sizes[key]]
        ]
        found.sort()
        return found

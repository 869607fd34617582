"""How alike two letters' individual clauses are: the measure behind boilerplate detection.

The measure: the Sørensen–Dice coefficient, 2·|A∩B| / (|A|+|B|), of the two sets of character
bigrams ("2-shingles") of the letters' individual clauses, after removing whitespace and
punctuation. Chinese is written without spaces, so whitespace tokens would make a whole clause
one "word"; character shingles see a copy with a few characters changed as nearly identical.
Shingles are taken clause by clause and pooled, so reordering the clauses of a letter does not
change its set. 1.0 means the same clauses; unrelated texts score near 0.
"""

from __future__ import annotations

import unicodedata
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

"""One era of terms (issue 10, item 14): today's names (区纪委监委, 政务处分) throughout code,
events and report text; the seed's 2014 terms (区纪委, 监察局, 政纪处分) only where the
report quotes the seed or a line maps an old term to today's, and in docs/glossary.md."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SKIPPED_DIRS = {".venv", ".git", "var", "node_modules", "__pycache__", ".ruff_cache",
                ".mypy_cache", ".pytest_cache"}
TEXT = {".py", ".md", ".yaml", ".yml", ".sh", ".toml", ".mjs", ".txt", ".json", ".cfg"}
# The seed's terms: the commission before 2018 (纪委 alone; not the party bodies that keep the
# name, 纪委书记, 纪委副书记, 纪委全会, 纪委常委), the supervision bureau, and the administrative
# sanction before 2020.
OLD_TERMS = re.compile(r"纪委(?!监委|书记|副书记|全会|常委)|监察局|政纪处分")
GLOSSARY = ROOT / "docs" / "glossary.md"
# Files another piece of work in progress owns; each is to be renamed there (and removed here).
PENDING: set[str] = set()


def allowed(line: str) -> bool:
    """A line may carry a seed's term when it quotes the seed (and says so), or when every
    old term on it is mapped to today's (``old → new``)."""
    if "seed" in line.lower():
        return True
    return all(line[m.end():].startswith(" → ") for m in OLD_TERMS.finditer(line))


def offending_lines() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if (set(relative.parts) & SKIPPED_DIRS or path.suffix not in TEXT
                or not path.is_file() or path in (GLOSSARY, Path(__file__))
                or str(relative) in PENDING):
            continue
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if OLD_TERMS.search(line) and not allowed(line):
                found.append(f"{relative}:{number}: {line.strip()[:120]}")
    return found


def test_one_era_of_terms_todays_names_throughout_and_the_seeds_only_where_quoted():
    assert offending_lines() == []


def test_the_glossary_maps_each_old_term_to_todays():
    glossary = GLOSSARY.read_text("utf-8")
    for old, new in (("区纪委", "区纪委监委"), ("监察局", "区纪委监委"), ("政纪处分", "政务处分")):
        row = next(line for line in glossary.splitlines() if f"| {old}" in line)
        assert new in row, row


def test_the_rule_tells_a_seed_quotation_and_a_mapping_from_an_old_name():
    assert not allowed('f"== **区纪委执纪审查 =="')
    assert not allowed("给予政纪处分")
    assert allowed("seed (2014): “**区纪委受理信访举报件”")
    assert allowed("区纪委 → 区纪委监委; 监察局 → 区纪委监委; 政纪处分 → 政务处分")
    assert not OLD_TERMS.search("区纪委监委副书记; 区纪委书记; 区纪委全会")

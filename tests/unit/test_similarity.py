"""Boilerplate detection's similarity measure over Chinese clause text."""

from services.responsibility.domain.similarity import (
    DEFAULT_THRESHOLD,
    normalise,
    shingles,
    similarity,
)

CLAUSES = [
    "严格执行项目审批程序，杜绝“打招呼”“批条子”，审批结果一律在政务公开栏公示。",
    "民生资金拨付全程留痕，按月公开发放台账，接受群众监督和审计检查。",
    "不插手、不干预工程招投标和工程款结算，发现违规问题第一时间向区纪委监委报告。",
]
DIFFERENT = [
    "坚持集体研究决定干部任免，严防带病提拔，任前征求纪检监察机关意见。",
    "规范执法检查程序，禁止以罚代管，执法全过程记录并接受当事人评议。",
]


def score(a, b):
    return similarity(shingles(a), shingles(b))


def test_an_exact_copy_scores_one():
    assert score(CLAUSES, list(CLAUSES)) == 1.0


def test_a_copy_with_a_few_characters_changed_is_caught():
    edited = [
        CLAUSES[0].replace("项目", "工程"),
        CLAUSES[1].replace("按月", "每月"),
        CLAUSES[2],
    ]
    assert edited != CLAUSES
    assert score(CLAUSES, edited) >= DEFAULT_THRESHOLD


def test_a_reordered_copy_is_caught():
    reordered = [CLAUSES[2], CLAUSES[0], CLAUSES[1]]
    assert score(CLAUSES, reordered) == 1.0


def test_whitespace_and_punctuation_do_not_hide_a_copy():
    noisy = [c.replace("，", ", ").replace("。", " . ") + "  " for c in CLAUSES]
    assert score(CLAUSES, noisy) == 1.0


def test_genuinely_different_letters_are_not_flagged():
    assert score(CLAUSES, DIFFERENT) < 0.3
    assert score(CLAUSES[:1], CLAUSES[1:2]) < DEFAULT_THRESHOLD


def test_full_width_forms_are_folded():
    assert normalise("ＡＢＣ１２３，") == "abc123"


def test_empty_clauses_are_not_similar_to_anything():
    assert score([], []) == 0.0
    assert score([], CLAUSES) == 0.0

"""From recorded facts to a finished report in one language and format."""

from __future__ import annotations

from collections.abc import Iterable

from dutytrail_ops.report.facts import Fact, History, Period
from dutytrail_ops.report.figures import compute_figures
from dutytrail_ops.report.html import as_html
from dutytrail_ops.report.problems import find_problems
from dutytrail_ops.report.render import as_markdown, as_text
from dutytrail_ops.report.wording import build_document


def district_report(
    facts: Iterable[Fact], period: Period, lang: str = "zh", fmt: str = "text",
    notes: Iterable[str] = (),
) -> str:
    history = History(facts)
    document = build_document(compute_figures(history, period), find_problems(history, period),
                              lang)
    document.notes.extend(notes)
    if fmt == "html":
        return as_html(document, lang)
    if fmt == "markdown":
        return as_markdown(document)
    return as_text(document)

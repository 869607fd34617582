"""A report :class:`~dutytrail_ops.report.document.Document` as plain text or Markdown: the
HTML form draws the charts; here a time series is one line (text) and each chart a small
table (Markdown)."""

from __future__ import annotations

from dutytrail_ops.report.document import Chart, Document, Items, Paragraph, Section

FORMATS = ("text", "markdown", "html")


def as_text(document: Document) -> str:
    lines = [document.title, "", document.lead]
    for note in document.notes:
        lines.append(f"note: {note}")
    for section in document.sections:
        lines += _text_section(section)
    return "\n".join(lines) + "\n"


def _text_section(section: Section) -> list[str]:
    lines = ["", section.heading]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Items):
            lines += [f"  - {line}" for line in block.lines]
        elif block.columns:  # the other charts draw what their sentences already say
            lines.append(chart_line(block))
    for sub in section.subsections:
        body = _text_section(sub)[1:]
        # A subsection reads as the seed writes it: its heading runs into its first sentence.
        if body and len(body) > 1:
            space = " " if body[0][-1:].isascii() else ""
            body = [body[0] + space + body[1], *body[2:]]
        lines += body
    return lines


def chart_line(chart: Chart) -> str:
    """A chart's figures as one line, in the chart title's language."""
    english = chart.title.isascii()
    values = (", " if english else "、").join(f"{bar.label} {bar.value:g}" for bar in chart.bars)
    return f"{chart.title}{': ' if english else '：'}{values}"


def md(text: str) -> str:
    """Text as Markdown shows it literally: the seed's masked names ("**区") are no emphasis."""
    for special in ("\\", "*", "_", "|"):
        text = text.replace(special, "\\" + special)
    return text


def as_markdown(document: Document) -> str:
    lines = [f"# {md(document.title)}", "", md(document.lead)]
    for note in document.notes:
        lines += ["", f"> note: {md(note)}"]
    for section in document.sections:
        lines += _markdown_section(section, 2)
    return "\n".join(lines) + "\n"


def _markdown_section(section: Section, level: int) -> list[str]:
    lines = ["", f"{'#' * level} {md(section.heading)}"]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            lines += ["", md(block.text)]
        elif isinstance(block, Items):
            lines += ["", *(f"- {md(line)}" for line in block.lines)]
        elif isinstance(block, Chart):
            lines += ["", f"| {md(block.title)} | |", "|---|---:|",
                      *(f"| {md(bar.label)} | {bar.value:g} |" for bar in block.bars)]
    for sub in section.subsections:
        lines += _markdown_section(sub, level + 1)
    return lines

"""A report as one self-contained HTML page: the sentences, and bar charts drawn as inline SVG
(no script, nothing fetched) where a reader would rather look than read. The page is
well-formed XML, so any XML or HTML parser reads it."""

from __future__ import annotations

from html import escape

from dutytrail_ops.report.document import Chart, Document, Items, Paragraph, Section

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 190
PLOT_WIDTH = 360
VALUE_WIDTH = 60
COLUMN_WIDTH = 34
COLUMN_GAP = 12
COLUMN_TOP = 20  # room for the tallest column's value
COLUMN_PLOT = 180
COLOUR = "#4a6fa5"
HIGHLIGHT = "#c0392b"
STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; max-width: 52rem;
       margin: 2rem auto; line-height: 1.7; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; } figure { margin: 1rem 0; } figcaption { font-size: .9rem; }
svg text { font-size: 12px; fill: #222; }
"""


def as_html(document: Document, lang: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{escape(lang)}">',
        "<head>", '<meta charset="utf-8"/>', f"<title>{escape(document.title)}</title>",
        f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(document.title)}</h1>", f"<p>{escape(document.lead)}</p>",
        *(f'<p class="note">{escape(note)}</p>' for note in document.notes),
    ]
    for section in document.sections:
        parts += _section(section, 2)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _section(section: Section, level: int) -> list[str]:
    tag = f"h{min(level, 6)}"
    parts = [f"<section><{tag}>{escape(section.heading)}</{tag}>"]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            parts.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Items):
            parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in block.lines)
                         + "</ul>")
        else:
            parts.append(chart_svg(block))
    for sub in section.subsections:
        parts += _section(sub, level + 1)
    parts.append("</section>")
    return parts


def chart_svg(chart: Chart) -> str:
    return column_chart(chart) if chart.columns else bar_chart(chart)


def _figure(chart: Chart, width: int, height: int, body: str) -> str:
    title = escape(chart.title)
    return (
        f'<figure id="{escape(chart.key)}"><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}"><title>{title}</title>{body}</svg>'
        f"<figcaption>{title}</figcaption></figure>"
    )


def column_chart(chart: Chart) -> str:
    """Upright columns along a time axis, scaled to the largest value, each value written
    above its column and its label below."""
    largest = max((bar.value for bar in chart.bars), default=0) or 1
    width = COLUMN_GAP + len(chart.bars) * (COLUMN_WIDTH + COLUMN_GAP)
    baseline = COLUMN_TOP + COLUMN_PLOT
    parts = [f'<line x1="0" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="#888"/>']
    for i, bar in enumerate(chart.bars):
        x = COLUMN_GAP + i * (COLUMN_WIDTH + COLUMN_GAP)
        length = round(COLUMN_PLOT * bar.value / largest, 1)
        centre = x + COLUMN_WIDTH / 2
        colour = HIGHLIGHT if bar.highlight else COLOUR
        parts.append(
            f'<rect x="{x}" y="{baseline - length}" width="{COLUMN_WIDTH}" height="{length}" '
            f'fill="{colour}"><title>{escape(bar.label)}: {bar.value:g}</title></rect>'
            f'<text x="{centre}" y="{baseline - length - 4}" text-anchor="middle">'
            f'{bar.value:g}</text>'
            f'<text x="{centre}" y="{baseline + 16}" text-anchor="middle">{escape(bar.label)}'
            "</text>"
        )
    return _figure(chart, width, baseline + 24, "".join(parts))


def bar_chart(chart: Chart) -> str:
    """Horizontal bars, one per label, scaled to the largest value; the value written at each
    bar's end, so the chart is read without a scale."""
    largest = max((bar.value for bar in chart.bars), default=0) or 1
    height = len(chart.bars) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    rows = []
    for i, bar in enumerate(chart.bars):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        length = round(PLOT_WIDTH * bar.value / largest, 1)
        colour = HIGHLIGHT if bar.highlight else COLOUR
        middle = y + BAR_HEIGHT / 2 + 4
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">{escape(bar.label)}'
            f'</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(bar.label)}: {bar.value:g}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}">{bar.value:g}</text>'
        )
    return _figure(chart, width, height, "".join(rows))

"""What a rendered report is made of, whatever its format: headed sections of paragraphs,
lists and charts (the charts are drawn only where a format can: HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Items:
    lines: list[str]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    highlight: bool = False


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per label, the highlighted ones drawn apart."""

    key: str  # a stable name (the HTML element's id)
    title: str
    bars: list[Bar]
    columns: bool = False  # upright bars along a time axis (months), else bars across


Block = Paragraph | Items | Chart


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class Document:
    title: str
    lead: str
    sections: list[Section]
    notes: list[str] = field(default_factory=list)  # what the reader must know (stores absent)

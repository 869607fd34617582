"""The district report as a reader gets it: the seed's sentences with the figures of the
history filled in (Chinese and English), Markdown, and HTML that parses and draws a chart (an
inline SVG) for each chart it promises; and the command line's answer to a period it cannot
mean."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from dutytrail_ops.cli import main
from dutytrail_ops.report.compose import district_report
from dutytrail_ops.report.facts import Fact
from tests.unit.test_report_history import JAN_TO_NOV, YEAR, district, fact, letter, uid, unit

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def history() -> list[Fact]:
    cw = "casework"
    return [
        *district(),
        *letter("l1", "pc", "finance", date(YEAR, 2, 1)),
        *letter("l2", "pc", "town", date(YEAR, 2, 2)),
        fact("education_activity_recorded", date(YEAR, 4, 1), kind="warning_education_visit",
             held_on="2025-04-01", participant_count=70),
        fact("petition_received", date(YEAR, 3, 1), uid("p1"), service=cw, repeat_of=None),
        fact("petition_accepted", date(YEAR, 3, 2), uid("p1"), service=cw),
        fact("case_proposed", date(YEAR, 4, 1), uid("c"), service=cw,
             persons=[{"person_id": uid("x")}, {"person_id": uid("y")}]),
        fact("case_filed", date(YEAR, 4, 2), uid("c"), service=cw),
        fact("rectification_notice_issued", date(YEAR, 5, 1), service="supervision",
             recipient_kind="community", recipient_unit_id=uid("c1"), recipient_cadre_id=None),
        *[fact("inspection_recorded", date(YEAR, month, 3), service="supervision", n=i)
          for month, count in ((1, 9), (6, 8), (11, 7), (3, 1)) for i in range(count)],
    ]


@pytest.mark.parametrize(("language", "form", "expected"), [
    pytest.param("zh", "text", [
        "与区直机关和各镇街等2个部门签订党风廉政建设责任书",
        "组织全区70名党员领导干部到**市警示教育基地进行参观学习",
        "2025年1－11月，**区纪委监委受理信访举报1件，初核0件，立案1件2人",
        "对督查发现存在问题的0个区直单位、1个社区和0名干部发出《责令整改通知书》1份",
        "0个社区设置了党务居务公开栏（共2个社区，尚有2个未设置）",
        "最集中的1月、6月、11月",
        # Two letters signed in February, education in April, a notice in May, inspections.
        "各月履责行为数：1月 9、2月 2、3月 1、4月 1、5月 1、6月 8、7月 0",
    ], id="the chinese text fills the seed's sentences from the history"),
    pytest.param("en", "text", [
        "responsibility letters were signed with 2 units",
        "accepted 1 petition or tip-off",
        "filed 1 case against 2 persons",
        "January–November 2025",
    ], id="the english text renders the same figures"),
    pytest.param("zh", "markdown", [
        "\n## 一、落实党风廉政建设主体责任方面\n",
        "\n## 三、存在问题\n",
        "| 11月 | 7 |",
        # The seed's masked names stay literal: no emphasis between two of them.
        "\\*\\*区纪委监委受理信访举报1件",
    ], id="markdown has the seed's headings and a table for each chart"),
])
def test_the_report_says(language: str, form: str, expected: list[str]) -> None:
    text = district_report(history(), JAN_TO_NOV, language, form)
    for sentence in expected:
        assert sentence in text


def test_markdown_leaves_no_emphasis_between_the_seeds_masked_names() -> None:
    text = district_report(history(), JAN_TO_NOV, "zh", "markdown")
    assert "**" not in text.replace("\\*", "")


class _Balanced(HTMLParser):
    """Every element opened is closed, in order (void elements written self-closed)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)
        self.svgs += tag == "svg"

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (self.open[-5:], tag)
        self.open.pop()


def test_html_is_well_formed_and_draws_each_chart_as_inline_svg():
    page = district_report(history(), JAN_TO_NOV, "zh", "html")
    root = ET.fromstring(page.split("\n", 1)[1])  # after the doctype
    figures = {f.get("id"): f for f in root.iter(f"{XHTML}figure")}
    assert set(figures) == {"acts-by-month", "notices-by-recipient", "casework",
                            "disclosure-boards", "bulletins"}
    for figure in figures.values():
        assert figure.find(f"{SVG}svg") is not None
    months = figures["acts-by-month"].find(f"{SVG}svg")
    assert months is not None
    bars = months.findall(f"{SVG}rect")
    assert len(bars) == 11  # January to November
    assert len({bar.get("fill") for bar in bars}) == 2
    highlighted = [bar for bar in bars if bar.get("fill") == bars[0].get("fill")]
    assert len(highlighted) == 3  # January (the first bar), June, November
    assert not list(root.iter(f"{XHTML}script"))
    checker = _Balanced()
    checker.feed(page)
    assert checker.open == [] and checker.svgs == 5


def test_html_escapes_names_taken_from_the_history():
    facts = [*history(), unit("c9", "<script>alert(1)</script>社区", "community", "town")]
    page = district_report(facts, JAN_TO_NOV, "en", "html")
    root = ET.fromstring(page.split("\n", 1)[1])
    assert not list(root.iter(f"{XHTML}script"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;社区" in page


def test_the_command_refuses_a_period_that_ends_before_it_starts(tmp_path):
    env = {"DUTYTRAIL_STORE": "sqlite", "DUTYTRAIL_VAR_DIR": str(tmp_path)}
    done = CliRunner().invoke(main, ["report", "--from", "2025-05-01", "--to", "2025-04-30"],
                              env=env)
    assert done.exit_code == 2
    assert "before it starts" in done.output
    assert list(tmp_path.iterdir()) == []  # nothing opened, nothing created


def test_the_command_says_which_services_have_no_store(tmp_path):
    env = {"DUTYTRAIL_STORE": "sqlite", "DUTYTRAIL_VAR_DIR": str(tmp_path)}
    out = tmp_path / "report.md"
    done = CliRunner().invoke(main, ["report", "--from", "2025-01-01", "--to", "2025-11-30",
                                     "--format", "markdown", "--out", str(out)], env=env)
    assert done.exit_code == 0, done.output
    written = out.read_text(encoding="utf-8")
    assert "> note: responsibility: no store at" in written
    assert "签字背书0份" in written


def test_the_command_refuses_to_write_into_a_directory_that_is_not_there(tmp_path):
    env = {"DUTYTRAIL_STORE": "sqlite", "DUTYTRAIL_VAR_DIR": str(tmp_path / "var")}
    done = CliRunner().invoke(main, ["report", "--from", "2025-01-01", "--to", "2025-11-30",
                                     "--out", str(tmp_path / "missing" / "r.html")], env=env)
    assert done.exit_code == 2
    assert "there is no directory" in done.output
    assert not (tmp_path / "var").exists()  # refused before any store was opened


def test_the_period_is_written_as_the_seed_writes_months_and_else_as_days():
    from dutytrail_ops.report.facts import Period
    from dutytrail_ops.report.wording import period_en, period_zh

    quarter = Period(date(YEAR, 4, 1), date(YEAR, 6, 30))
    march = Period(date(YEAR, 3, 1), date(YEAR, 3, 31))
    odd = Period(date(YEAR, 1, 1), date(YEAR, 6, 15))
    winter = Period(date(YEAR - 1, 12, 1), date(YEAR, 2, 28))
    assert [period_zh(p) for p in (quarter, march, odd, winter)] == [
        "2025年4－6月", "2025年3月", "2025年1月1日至2025年6月15日", "2024年12月1日至2025年2月28日"]
    assert [period_en(p) for p in (quarter, march, odd)] == [
        "April–June 2025", "March 2025", "2025-01-01 to 2025-06-15"]

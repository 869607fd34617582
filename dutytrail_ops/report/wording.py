"""The seed report's own sentences with its masked figures filled in (Chinese, as the seed
is written), and an English rendering of the same sentences; the problems found in the seed's
§三 wording. The charts shown beside the sentences are chosen here too."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal

from dutytrail_ops.report.document import Bar, Chart, Document, Items, Paragraph, Section
from dutytrail_ops.report.facts import Period
from dutytrail_ops.report.figures import RECIPIENT_KINDS, Figures
from dutytrail_ops.report.problems import Problems

LANGUAGES = ("zh", "en")
WAN_PERSONS = 10_000
RECIPIENT_ZH = {"district_department": "区直单位", "town_or_subdistrict": "镇街",
                "community": "社区", "cadre": "干部", "unit": "单位"}
RECIPIENT_EN = {"district_department": "district departments",
                "town_or_subdistrict": "towns and subdistricts", "community": "communities",
                "cadre": "cadres", "unit": "units"}
RECIPIENT_EN_ONE = {"district_department": "district department",
                    "town_or_subdistrict": "town or subdistrict", "community": "community",
                    "cadre": "cadre", "unit": "unit"}


def plural(count: int, noun: str, nouns: str = "") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def yuan(amount: Decimal) -> str:
    return f"{amount:.2f}"


def percent(share: float) -> str:
    return f"{share * 100:.0f}"


def whole_months(period: Period) -> bool:
    return period.start.day == 1 and period.end.day == monthrange(
        period.end.year, period.end.month)[1]


def period_zh(period: Period) -> str:
    """"2025年1－11月" for whole months of one year, else "2025年1月1日至2025年6月15日"."""
    s, e = period.start, period.end
    if whole_months(period) and s.year == e.year:
        months = f"{s.month}月" if s.month == e.month else f"{s.month}－{e.month}月"
        return f"{s.year}年{months}"
    return f"{day_zh(s)}至{day_zh(e)}"


def day_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_en(period: Period) -> str:
    s, e = period.start, period.end
    if whole_months(period) and s.year == e.year:
        first, last = s.strftime("%B"), e.strftime("%B")
        return f"{first} {s.year}" if first == last else f"{first}–{last} {s.year}"
    return f"{s.isoformat()} to {e.isoformat()}"


def build_document(figures: Figures, problems: Problems, lang: str) -> Document:
    if lang == "en":
        return _english(figures, problems)
    return _chinese(figures, problems)


# Charts: where a reader would rather look than read.


def charts(figures: Figures, problems: Problems, lang: str) -> dict[str, Chart]:
    zh = lang == "zh"
    busiest = {(y, m) for y, m, _ in problems.bunching.busiest if _ > 0}
    months = Chart(
        "acts-by-month",
        "各月履责行为数" if zh else "Acts of the responsibility system by month",
        [Bar(f"{m}月" if zh else date(y, m, 1).strftime("%b"), n, (y, m) in busiest)
         for y, m, n in problems.bunching.months],
        columns=True,
    )
    names = RECIPIENT_ZH if zh else RECIPIENT_EN
    notices = Chart(
        "notices-by-recipient",
        "《责令整改通知书》发出对象（个/名）" if zh
        else "Rectification notices: distinct recipients by kind",
        [Bar(names[k], figures.notice_recipients.get(k, 0)) for k in RECIPIENT_KINDS],
    )
    cases = Chart(
        "casework",
        "执纪审查" if zh else "Casework",
        [Bar("受理信访举报" if zh else "petitions accepted", figures.petitions_accepted),
         Bar("初核" if zh else "preliminary verifications", figures.preliminary_verifications),
         Bar("立案" if zh else "cases filed", figures.cases_filed),
         Bar("已结案" if zh else "cases closed", figures.cases_closed),
         Bar("处分（人）" if zh else "persons sanctioned", figures.persons_sanctioned),
         Bar("诫勉谈话（人）" if zh else "admonishments", figures.admonishments)],
    )
    boards = Chart(
        "disclosure-boards",
        "社区党务居务公开栏" if zh else "Community disclosure boards",
        [Bar("已设置" if zh else "with a board", figures.communities_with_board),
         Bar("未设置" if zh else "without", figures.communities - figures.communities_with_board,
             True)],
    )
    bulletins = Chart(
        "bulletins",
        "督查专报、督查通报、会议形式通报" if zh
        else "Special reports, circulars, meeting circulars",
        [Bar("《督查专报》" if zh else "special reports", figures.special_reports),
         Bar("《督查通报》" if zh else "circulars", figures.circulars),
         Bar("会议形式通报" if zh else "read at meetings", figures.meeting_circulars)],
    )
    return {c.key: c for c in (months, notices, cases, boards, bulletins)}


def _person_times_zh(f: Figures) -> str:
    """约…万人次 as the seed rounds, once there are ten thousand; the count itself before."""
    if f.person_times >= WAN_PERSONS:
        return f"约{f.person_times_wan}万人次（{f.person_times}人次）"
    return f"{f.person_times}人次"


def _person_times_en(f: Figures) -> str:
    if f.person_times >= WAN_PERSONS:
        return (f"about {f.person_times_wan} 万 (ten-thousand) beneficiary person-times "
                f"({f.person_times})")
    return f"{f.person_times} beneficiary person-times"


def _notice_recipients(figures: Figures, units: dict[str, str], comma: str,
                       cadres: str) -> str:
    """The recipients of notices by kind, each ``units`` template filled with its count; towns
    and subdistricts only when there are any, as the seed leaves them out."""
    r = figures.notice_recipients
    parts = [template.format(r.get(kind, 0)) for kind, template in units.items()
             if kind != "town_or_subdistrict" or r.get(kind)]
    return comma.join(parts) + cadres.format(r.get("cadre", 0))


def _notice_recipients_zh(figures: Figures) -> str:
    return _notice_recipients(figures, {"district_department": "{}个区直单位",
                                        "town_or_subdistrict": "{}个镇街",
                                        "community": "{}个社区"}, "、", "和{}名干部")


def _notice_recipients_en(figures: Figures) -> str:
    return _notice_recipients(figures, {"district_department": "{} district departments",
                                        "town_or_subdistrict": "{} towns and subdistricts",
                                        "community": "{} communities"}, ", ", " and {} cadres")


def _chinese(f: Figures, p: Problems) -> Document:
    d, when = f.district, period_zh(f.period)
    chart = charts(f, p, "zh")
    if f.communities and f.communities_with_board == f.communities:
        boards = f"实现{f.communities}个社区党务居务公开栏全覆盖，形成全区党务居务公开工作新格局。"
    else:
        boards = (f"{f.communities_with_board}个社区设置了党务居务公开栏（共{f.communities}个社区，"
                  f"尚有{f.communities - f.communities_with_board}个未设置）。")
    model = f"以{f.model_community}党务居务公开示范点建设为样板，" if f.model_community else ""
    first = Section("一、落实党风廉政建设主体责任方面", subsections=[
        Section("（一）落实主体责任，做到“签字背书”。", [Paragraph(
            f"以区委为主体，与区直机关和各镇街等{f.units_covered}个部门签订党风廉政建设责任书"
            f"（{when}签字背书{f.letters_signed}份），细化量化责任。")]),
        Section("（三）强化廉政教育，巩固廉洁防线。", [Paragraph(
            f"{when}，开展廉政教育活动{f.education_activities}次，参加{f.education_participant_times}"
            f"人次。运用反面案例进行警示教育，组织全区{f.warning_education_participants}名党员领导干部"
            "到**市警示教育基地进行参观学习。")]),
        Section("（四）深化党务公开，提升监督效能。", [Paragraph(
            f"大力推进镇社区党务居务公开。{model}{boards}"), chart["disclosure-boards"]]),
    ])
    second = Section("二、落实监督责任方面", subsections=[
        Section("（一）强化监督执纪职责，建立健全督查长效机制。", [
            Paragraph(f"加强对民生资金的监管。目前，{d}纳入民生资金监管服务平台的单位{f.units_enrolled}个，"
                      f"监管的民生资金{f.programmes}项，累计监管资金达{f.amount_supervised_wan}万元，"
                      f"受益群众{_person_times_zh(f)}。"),
            Paragraph(f"{when}，共印发《督查专报》{f.special_reports}期、《督查通报》{f.circulars}期，"
                      f"会议形式通报{f.meeting_circulars}次，对督查发现存在问题的{_notice_recipients_zh(f)}"
                      f"发出《责令整改通知书》{sum(f.notices.values())}份，责令限时整改和作出书面检查。"),
            chart["bulletins"], chart["notices-by-recipient"]]),
        Section("（二）全面加强惩治腐败工作，坚持有案必查有腐必惩。", [
            Paragraph(f"{when}，{d}纪委监委受理信访举报{f.petitions_accepted}件，"
                      f"初核{f.preliminary_verifications}件，立案{f.cases_filed}件{f.persons_filed}人，"
                      f"已结案{f.cases_closed}件，处分{f.persons_sanctioned}人，诫勉谈话{f.admonishments}人，"
                      f"收缴违纪金额{yuan(f.confiscated_yuan)}元。"),
            chart["casework"]]),
    ])
    third = Section("三、存在问题", [Paragraph(
        f"{d}在落实“两个责任”上取得了一定的成绩，但是记录的履责历史也显示了以下问题。")],
        subsections=_problems_zh(f, p, chart["acts-by-month"]))
    return Document(f"{d}党风廉政建设主体责任和监督责任落实情况报告（{when}）",
                    f"现根据{d}履责记录（{day_zh(f.period.start)}至{day_zh(f.period.end)}）的统计，"
                    "报告如下。", [first, second, third])


def _problems_zh(f: Figures, p: Problems, months: Chart) -> list[Section]:
    end = day_zh(f.period.end)
    awareness = Section("一是认识不到位。", [Paragraph(
        f"{p.letters_overdue}份责任书逾期未签字背书。" if p.letters_overdue
        else "本期没有逾期未签字背书的责任书。")])
    clarity: list[Paragraph | Items | Chart] = [Paragraph(
        f"制定《党风廉政建设责任书》过于“标准化”，千篇一律：{len(p.boilerplate)}份责任书与另一份"
        "责任书的条款几乎相同。" if p.boilerplate else "本期未发现千篇一律的责任书。")]
    if p.boilerplate:
        clarity.append(Items([f"{b.unit}的责任书与{b.similar_unit}的责任书相似度{percent(b.similarity)}%"
                              f"（{day_zh(b.day)}）" for b in p.boilerplate]))
    clarity.append(Paragraph(
        f"对区委、区政府责任分工，本期到期且有配合单位的任务{p.tasks_with_co_units}项，其中"
        f"{len(p.unconvened)}项的牵头单位在完成时限前未召开专门工作任务会议；配合单位未在完成时限前"
        f"向牵头单位报告的{p.silent_co_units}处。"))
    if p.unconvened:
        clarity.append(Items([f"《{t.title}》：牵头单位{t.lead_unit}，完成时限{day_zh(t.deadline)}，"
                              f"配合单位{t.co_units}个" for t in p.unconvened]))
    b = p.bunching
    busiest = "、".join(f"{m}月" for _, m, n in b.busiest if n > 0)
    verdict = ("落实责任制主要靠少数几个时段，没有建立经常性的督导、检查、提醒制度。" if b.bunched
               else "履责行为在各月分布尚未明显集中。" if b.judged
               else "期间不足六个月，不判断是否集中。")
    steady: list[Paragraph | Items | Chart] = [
        Paragraph(f"本期履责行为{b.total}项，最集中的{busiest}占{percent(b.share)}%"
                  f"（均匀分布应为{percent(b.even_share)}%）。{verdict}"
                  f"每周一督查一通报：{len(b.weeks_without_inspection)}周未开展督查，"
                  f"{len(b.weeks_without_circular)}周未印发督查通报。"),
        months,
        Paragraph(f"定期汇报制落实不到位：{len(p.missing_reports)}份季度汇报逾期未报。"
                  if p.missing_reports else "各单位季度汇报均已按期报送。"),
    ]
    if p.missing_reports:
        steady.append(Items([
            f"{r.unit}{r.year}年第{r.quarter}季度（应于{day_zh(r.deadline)}前汇报，"
            + (f"{day_zh(r.submitted_on)}补报）" if r.submitted_on else f"截至{end}仍未汇报）")
            for r in p.missing_reports]))
    steady.append(Paragraph(f"《责令整改通知书》逾期未整改{len(p.overdue_notices)}份。"
                            if p.overdue_notices else "《责令整改通知书》均在时限内整改。"))
    if p.overdue_notices:
        steady.append(Items([
            f"{n.recipient}（{RECIPIENT_ZH.get(n.recipient_kind, n.recipient_kind)}），整改时限"
            f"{day_zh(n.deadline)}，" + (f"{day_zh(n.rectified_on)}整改验收" if n.rectified_on
                                        else f"截至{end}仍未整改") for n in p.overdue_notices]))
    if p.communities_without_board:
        units = "、".join(p.units_without_full_coverage)
        steady.append(Paragraph(
            f"党务、政务透明度不足：{len(p.communities_without_board)}个社区尚未设置党务居务公开栏"
            f"（{'、'.join(p.communities_without_board)}）" + (f"，{units}未实现全覆盖。" if units
                                                              else "。")))
    else:
        steady.append(Paragraph("各社区均已设置党务居务公开栏。"))
    return [awareness, Section("二是责任不明确。", clarity), Section("三是监督不经常。", steady)]


def _english(f: Figures, p: Problems) -> Document:
    d, when = f.district, period_en(f.period)
    chart = charts(f, p, "en")
    if f.communities and f.communities_with_board == f.communities:
        boards = (f"all {f.communities} communities have a disclosure board for party and "
                  "residents' affairs: full coverage.")
    else:
        boards = (f"{f.communities_with_board} of {f.communities} communities have a disclosure "
                  f"board ({f.communities - f.communities_with_board} still without one).")
    model = (f"Taking the model disclosure site of {f.model_community} as the pattern, "
             if f.model_community else "")
    first = Section("1. Carrying out the primary responsibility for clean governance",
                    subsections=[
        Section("(1) The primary responsibility, letters signed level by level (签字背书).", [
            Paragraph(f"With the party committee as the issuer, responsibility letters were signed "
                      f"with {f.units_covered} units, district departments and towns "
                      f"({plural(f.letters_signed, 'letter')} signed in {when}), each "
                      "responsibility "
                      "broken down and quantified.")]),
        Section("(3) Integrity education.", [Paragraph(
            f"In {when}, "
            f"{plural(f.education_activities, 'education activity', 'education activities')}"
            " were held, with "
            f"{f.education_participant_times} participant-times. For warning education, "
            f"{f.warning_education_participants} party leading cadres of the district visited "
            "the city's warning-education base.")]),
        Section("(4) Disclosure of party affairs.", [
            Paragraph(f"{model}{boards[0].upper()}{boards[1:]}"), chart["disclosure-boards"]]),
    ])
    second = Section("2. Carrying out the supervision responsibility", subsections=[
        Section("(1) Supervision and inspection as a lasting regime.", [
            Paragraph(f"Livelihood funds: at present {plural(f.units_enrolled, 'unit')} of {d} "
                      "enrolled on the livelihood-fund supervision platform, "
                      f"{plural(f.programmes, 'fund programme')} supervised, "
                      f"{f.amount_supervised_wan} 万元 (ten-thousand "
                      f"yuan) supervised in all, {_person_times_en(f)}."),
            Paragraph(f"In {when}, {plural(f.special_reports, 'special report')} and "
                      f"{plural(f.circulars, 'circular')} were issued and "
                      f"{plural(f.meeting_circulars, 'circular')} read out at "
                      f"meetings; {sum(f.notices.values())} rectification notices were sent to "
                      f"{_notice_recipients_en(f)} where inspections found problems, each "
                      "ordered to rectify within a deadline and to write a self-examination."),
            chart["bulletins"], chart["notices-by-recipient"]]),
        Section("(2) Punishing corruption: every case investigated.", [
            Paragraph(f"In {when}, the discipline commission of {d} accepted "
                      + plural(f.petitions_accepted, "petition or tip-off",
                               "petitions and tip-offs") +
                      f", made {plural(f.preliminary_verifications, 'preliminary verification')}"
                      f", filed {plural(f.cases_filed, 'case')} against "
                      f"{plural(f.persons_filed, 'person')}, closed "
                      f"{plural(f.cases_closed, 'case')}, sanctioned "
                      f"{plural(f.persons_sanctioned, 'person')}, held "
                      f"{plural(f.admonishments, 'admonishment talk')} and confiscated "
                      f"{yuan(f.confiscated_yuan)} yuan."),
            chart["casework"]]),
    ])
    third = Section("3. Problems found", [Paragraph(
        f"{d} has achieved something in carrying out the two responsibilities, but the recorded "
        "history also shows these problems.")], subsections=_problems_en(f, p, chart))
    return Document(f"{d}: the two responsibilities for clean governance ({when})",
                    f"From the recorded history of {d}, {f.period.start.isoformat()} to "
                    f"{f.period.end.isoformat()}.", [first, second, third])


def _problems_en(f: Figures, p: Problems, chart: dict[str, Chart]) -> list[Section]:
    end = f.period.end.isoformat()
    awareness = Section("(1) Not taken seriously.", [Paragraph(
        f"{p.letters_overdue} responsibility letters were not signed by their sign-by day."
        if p.letters_overdue else "No letter went unsigned past its sign-by day.")])
    clarity: list[Paragraph | Items | Chart] = [Paragraph(
        f"Letters are standardised, identical for every post: {len(p.boilerplate)} letters have "
        "nearly the same clauses as another letter." if p.boilerplate
        else "No boilerplate letter was found in the period.")]
    if p.boilerplate:
        clarity.append(Items([f"{b.unit}'s letter ≈ {b.similar_unit}'s letter, similarity "
                              f"{percent(b.similarity)}% ({b.day.isoformat()})"
                              for b in p.boilerplate]))
    clarity.append(Paragraph(
        f"Of {p.tasks_with_co_units} tasks with co-units due in the period, the lead unit of "
        f"{len(p.unconvened)} never convened its co-units before the deadline; "
        f"{p.silent_co_units} times a co-unit did not report to the lead unit by the deadline."))
    if p.unconvened:
        clarity.append(Items([f"“{t.title}”: lead unit {t.lead_unit}, deadline "
                              f"{t.deadline.isoformat()}, {plural(t.co_units, 'co-unit')}"
                              for t in p.unconvened]))
    b = p.bunching
    busiest = ", ".join(date(y, m, 1).strftime("%B") for y, m, n in b.busiest if n > 0)
    verdict = ("The work rests on a few points of the year, without regular supervision, "
               "checks and reminders." if b.bunched
               else "The acts are not markedly bunched." if b.judged
               else "The period is shorter than six months: bunching is not judged.")
    steady: list[Paragraph | Items | Chart] = [
        Paragraph(f"{b.total} acts in the period; the busiest months ({busiest}) hold "
                  f"{percent(b.share)}% of them (an even spread would give "
                  f"{percent(b.even_share)}%). {verdict} Inspect weekly, report weekly: "
                  f"{plural(len(b.weeks_without_inspection), 'week')} without an inspection, "
                  f"{len(b.weeks_without_circular)} without a circular."),
        chart["acts-by-month"],
        Paragraph(f"{len(p.missing_reports)} quarterly reports were not made by their deadline."
                  if p.missing_reports else "Every quarterly report came in on time."),
    ]
    if p.missing_reports:
        steady.append(Items([
            f"{r.unit}, {r.year} Q{r.quarter} (due {r.deadline.isoformat()}; "
            + (f"made late on {r.submitted_on.isoformat()})" if r.submitted_on
               else f"still missing on {end})") for r in p.missing_reports]))
    steady.append(Paragraph(f"{len(p.overdue_notices)} rectification notices went overdue."
                            if p.overdue_notices else "Every rectification notice was met."))
    if p.overdue_notices:
        steady.append(Items([
            f"{n.recipient} ({RECIPIENT_EN_ONE.get(n.recipient_kind, n.recipient_kind)}), deadline "
            f"{n.deadline.isoformat()}, " + (f"rectified {n.rectified_on.isoformat()}"
                                             if n.rectified_on else f"still open on {end}")
            for n in p.overdue_notices]))
    if p.communities_without_board:
        units = ", ".join(p.units_without_full_coverage)
        steady.append(Paragraph(
            f"Too little disclosure: {len(p.communities_without_board)} communities have no "
            f"disclosure board ({', '.join(p.communities_without_board)})"
            + (f"; not full coverage in {units}." if units else ".")))
    else:
        steady.append(Paragraph("Every community has a disclosure board."))
    return [awareness, Section("(2) Responsibilities unclear.", clarity),
            Section("(3) Supervision not continuous.", steady)]

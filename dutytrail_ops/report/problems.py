"""The seed's §三 "problems found", computed from the recorded facts of a period: boilerplate
letters, work bunched at a few points of the year, lead units that never convened their
co-units, missing quarterly reports, overdue rectification notices, and communities (and the
towns and subdistricts they belong to) without a disclosure board. Each rule is written in
docs/report.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from dutytrail_ops.report.facts import Fact, History, Period
from dutytrail_ops.report.figures import recipient_kind, within

# The acts of carrying out the responsibility system, whose spread over the year shows whether
# the work is continuous (casework follows petitions and the fund ledger its payroll, not the
# work calendar, and the clock's own findings are not work).
WORK_ACTS = (
    "letter_signed", "task_created", "task_progress_reported", "task_completed",
    "task_lead_unit_meeting_convened", "task_co_unit_reported", "education_activity_recorded",
    "talk_held", "reminder_recorded", "accountability_report_given",
    "inspection_recorded", "unannounced_visit_conducted", "bulletin_issued",
    "rectification_notice_issued", "rectification_verified", "quarterly_report_submitted",
    "disclosure_board_installed", "disclosure_board_content_posted",
    "decision_topic_collected", "decision_made_at_meeting", "decision_result_published",
    "decision_execution_supervised",
)
# 年初分解、年中督查、年终考核: the work is bunched when the three busiest months hold at least
# this many times the share an even spread would give them (3 of 12 months: 25%, so 37.5%) ...
BUNCHED_FACTOR = 1.5
# ... judged only over a period long enough for a spread to show.
BUNCHING_MIN_MONTHS = 6


@dataclass(frozen=True)
class BoilerplateLetter:
    letter_id: str
    unit: str
    similar_unit: str
    similarity: float
    day: date


@dataclass(frozen=True)
class Bunching:
    months: list[tuple[int, int, int]]  # (year, month, acts), every month of the period
    busiest: list[tuple[int, int, int]]  # the three busiest, busiest first
    share: float  # of the period's acts in the three busiest months
    judged: bool  # the period is long enough to judge
    weeks_without_inspection: list[date] = field(default_factory=list)
    weeks_without_circular: list[date] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.months)

    @property
    def even_share(self) -> float:
        """The share of the three busiest months if the acts were spread evenly."""
        return min(3, len(self.months)) / len(self.months) if self.months else 0.0

    @property
    def bunched(self) -> bool:
        return self.judged and self.total > 0 and self.share >= BUNCHED_FACTOR * self.even_share


@dataclass(frozen=True)
class UnconvenedTask:
    title: str
    lead_unit: str
    deadline: date
    co_units: int


@dataclass(frozen=True)
class MissingReport:
    unit: str
    year: int
    quarter: int
    deadline: date
    submitted_on: date | None  # submitted late, by the period's end; None: still missing


@dataclass(frozen=True)
class OverdueNotice:
    recipient: str
    recipient_kind: str
    deadline: date
    rectified_on: date | None  # verified or closed by the period's end; None: still open


@dataclass(frozen=True)
class Problems:
    letters_overdue: int  # letters the clock recorded not signed by their sign-by day
    boilerplate: list[BoilerplateLetter]
    bunching: Bunching
    unconvened: list[UnconvenedTask]
    silent_co_units: int  # (task, co-unit) pairs with no report to the lead unit by the deadline
    tasks_with_co_units: int
    missing_reports: list[MissingReport]
    overdue_notices: list[OverdueNotice]
    communities_without_board: list[str]
    units_without_full_coverage: list[str]  # towns and subdistricts with a community lacking one


def boilerplate_letters(history: History, period: Period) -> list[BoilerplateLetter]:
    """Letters the responsibility service flagged as boilerplate (千篇一律: nearly the same
    clauses as another letter) in the period, by the day flagged."""
    units = history.units()
    cadres = history.cadre_names()
    drafts = {f.subject: f for f in history.of("letter_drafted")}

    def unit_of(letter_id: str) -> str:
        """The letter's signatory: the unit, and the cadre for a letter to a cadre."""
        draft = drafts.get(letter_id)
        if draft is None:
            return letter_id
        unit = units.get(draft.text("signatory_unit_id"))
        cadre = cadres.get(draft.text("signatory_cadre_id"), "")
        name = unit.name if unit else draft.text("signatory_unit_id")
        return f"{name} {cadre}" if cadre else name

    return [
        BoilerplateLetter(f.subject, unit_of(f.subject), unit_of(f.text("similar_letter_id")),
                          float(f.data.get("similarity", 0)), f.day)
        for f in sorted(within(history.of("letter_flagged_as_boilerplate"), period),
                        key=lambda f: (f.time, f.subject))
    ]


def months_of(period: Period) -> list[tuple[int, int]]:
    months = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def bunching(history: History, period: Period) -> Bunching:
    """The work acts of the period by month, and the share of the three busiest months; the
    weeks the clock recorded without an inspection or without a circular (每周一督查一通报)."""
    acts = Counter((f.day.year, f.day.month) for f in within(history.of(*WORK_ACTS), period))
    months = [(y, m, acts.get((y, m), 0)) for y, m in months_of(period)]
    busiest = sorted(months, key=lambda x: (-x[2], x[0], x[1]))[:3]
    total = sum(n for _, _, n in months)
    missed = [f for f in history.of("weekly_supervision_missed")
              if period.contains(f.on("week_start"))]
    return Bunching(
        months=months, busiest=busiest,
        share=sum(n for _, _, n in busiest) / total if total else 0.0,
        judged=len(months) >= BUNCHING_MIN_MONTHS,
        weeks_without_inspection=sorted(f.on("week_start") for f in missed
                                        if f.data.get("kind") == "inspection"),
        weeks_without_circular=sorted(f.on("week_start") for f in missed
                                      if f.data.get("kind") == "circular"),
    )


def lead_units(history: History, period: Period) -> tuple[list[UnconvenedTask], int, int]:
    """Tasks with co-units due in the period whose lead unit held no coordination meeting on
    or before the deadline (牵头单位主动召开专门工作任务会议很少); the (task, co-unit) pairs
    with no report to the lead unit by the deadline (参与单位主动沟通…少之又少); and the number
    of tasks with co-units due in the period."""
    units = history.units()
    tasks = [f for f in history.of("task_created")
             if f.data.get("co_unit_ids") and period.contains(f.on("deadline"))]
    meetings: dict[str, list[date]] = {}
    for f in history.of("task_lead_unit_meeting_convened"):
        meetings.setdefault(f.subject, []).append(f.on("held_on"))
    reports: dict[tuple[str, str], list[date]] = {}
    for f in history.of("task_co_unit_reported"):
        reports.setdefault((f.subject, f.text("co_unit_id")), []).append(f.day)
    unconvened, silent = [], 0
    for task in sorted(tasks, key=lambda f: (f.on("deadline"), f.text("title"), f.subject)):
        deadline = task.on("deadline")
        co_units = [str(u) for u in task.data.get("co_unit_ids") or []]
        if not any(day <= deadline for day in meetings.get(task.subject, [])):
            lead = units.get(task.text("lead_unit_id"))
            unconvened.append(UnconvenedTask(task.text("title"), lead.name if lead else "?",
                                             deadline, len(co_units)))
        silent += sum(1 for u in co_units
                      if not any(day <= deadline for day in reports.get((task.subject, u), [])))
    return unconvened, silent, len(tasks)


def missing_reports(history: History, period: Period) -> list[MissingReport]:
    """Quarterly reports (定期汇报) the clock recorded missing by the period's end whose
    deadline is on or after its first day, each with the day it came in late, if it did by the
    period's end."""
    units = history.units()
    submitted = {(f.text("unit_id"), int(f.data["year"]), int(f.data["quarter"])): f.day
                 for f in history.of("quarterly_report_submitted") if period.by_end(f.day)}
    found = []
    for f in history.of("quarterly_report_missing"):
        deadline = f.on("deadline")
        if not (period.by_end(f.day) and deadline >= period.start):
            continue
        key = (f.text("unit_id"), int(f.data["year"]), int(f.data["quarter"]))
        unit = units.get(key[0])
        found.append(MissingReport(unit.name if unit else key[0], key[1], key[2], deadline,
                                   submitted.get(key)))
    return sorted(found, key=lambda r: (r.deadline, r.unit, r.year, r.quarter))


def overdue_notices(history: History, period: Period) -> list[OverdueNotice]:
    """Rectification notices the clock recorded overdue by the period's end whose deadline is
    on or after its first day, each with the day it was verified or closed, if by then."""
    units = history.units()
    cadres = history.cadre_names()
    unit_kinds = {u.unit_id: u.kind for u in units.values()}
    issued = {f.subject: f for f in history.of("rectification_notice_issued")}
    settled: dict[str, date] = {}
    for f in history.of("rectification_verified", "rectification_notice_closed"):
        if period.by_end(f.day):
            settled.setdefault(f.subject, f.day)
    found = []
    for f in history.of("rectification_notice_overdue"):
        deadline = f.on("deadline")
        if not (period.by_end(f.day) and deadline >= period.start):
            continue
        notice: Fact | None = issued.get(f.subject)
        kind, who = "unit", f.subject
        if notice is not None:
            kind = recipient_kind(notice, unit_kinds)
            cadre = notice.text("recipient_cadre_id")
            unit = units.get(notice.text("recipient_unit_id"))
            who = (cadres.get(cadre) or cadre) if kind == "cadre" and cadre else (
                unit.name if unit else notice.text("recipient_unit_id"))
        found.append(OverdueNotice(who, kind, deadline, settled.get(f.subject)))
    # Sorted on every field: consumers interleave their logs differently from run to run.
    return sorted(found, key=lambda n: (n.deadline, n.recipient, n.recipient_kind,
                                        n.rectified_on or date.max))


def without_board(history: History, period: Period) -> tuple[list[str], list[str]]:
    """Communities registered by the period's end with no disclosure board installed by then,
    and the towns and subdistricts (their parent units) that so lack full coverage."""
    units = history.units()
    boarded = {f.text("community_id") for f in history.of("disclosure_board_installed")
               if period.by_end(f.day)}
    lacking = [u for u in units.values() if u.kind == "community"
               and period.by_end(u.registered_on) and u.unit_id not in boarded]
    parents = {u.parent_unit_id for u in lacking if u.parent_unit_id}
    return (sorted((u.name for u in lacking), key=natural),
            sorted((units[p].name for p in parents if p in units), key=natural))


def natural(name: str) -> tuple[str | int, ...]:
    """"社区5" before "社区10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def find_problems(history: History, period: Period) -> Problems:
    unconvened, silent, with_co_units = lead_units(history, period)
    communities, parents = without_board(history, period)
    return Problems(
        letters_overdue=len(within(history.of("letter_signing_overdue"), period)),
        boilerplate=boilerplate_letters(history, period),
        bunching=bunching(history, period),
        unconvened=unconvened, silent_co_units=silent, tasks_with_co_units=with_co_units,
        missing_reports=missing_reports(history, period),
        overdue_notices=overdue_notices(history, period),
        communities_without_board=communities, units_without_full_coverage=parents,
    )

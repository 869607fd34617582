"""The demo's year of tasks broken down to people, integrity education and boilerplate letters
(responsibility service), played over RPC."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

TASKS = [
    ("廉政风险点排查", "逐岗位排查廉政风险点并制定防控措施"),
    ("“五大专项行动”落实", "按方案完成执纪监督专项行动各项任务"),
    ("述责述廉", "班子成员年中书面述责述廉"),
    ("党务公开专栏建设", "设置党务政务公开专栏并按月更新"),
]
SUBTASKS = [
    ("科室自查", "各科室对照清单自查并报送台账"),
    ("岗位风险登记", "每个岗位登记风险点和防控责任人"),
]
EDUCATION = [
    ("study_session", "理论中心组集体学习：反对“四风”", 25, 40),
    ("phone_class", "手机廉政课堂", 150, 400),
    ("party_lecture", "廉政党课", 60, 120),
]


def at(day: date, hour: int = 9) -> str:
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC).isoformat()


@dataclass
class UnitPeople:
    unit_id: str
    top_cadre: str
    members: list[str] = field(default_factory=list)


@dataclass
class TaskYear:
    """Plays the tasks and education of one year; the clock is driven by the caller."""

    rpc: Any
    rng: random.Random
    year: int
    pc_unit: str
    actor: Callable[[str], dict[str, str]]
    tasks: list[tuple[str, str, date, bool]] = field(default_factory=list)  # id, unit, due, done

    def create(self, units: list[UnitPeople]) -> None:
        r = self.rpc.responsibility
        for n, unit in enumerate(units):
            title, requirement = TASKS[n % len(TASKS)]
            due = date(self.year, 3 * (1 + n % 3), 28)  # end of March, June or September
            task = r.create_task({
                "year": self.year, "title": title, "requirement": requirement,
                "lead_unit_id": unit.unit_id, "co_unit_ids": [],
                "responsible_cadre_id": unit.top_cadre, "deadline": due.isoformat(),
                "actor": self.actor(self.pc_unit), "occurred_at": at(date(self.year, 1, 12)),
            })
            # Horizontal to every edge, vertical to every level: each member gets a subtask.
            children = []
            for k, member in enumerate(unit.members):
                sub_title, sub_req = SUBTASKS[k % len(SUBTASKS)]
                child_due = due - timedelta(days=14)
                child = r.break_down_task({
                    "parent_task_id": task, "title": sub_title, "requirement": sub_req,
                    "lead_unit_id": unit.unit_id, "responsible_cadre_id": member,
                    "deadline": child_due.isoformat(), "actor": self.actor(unit.unit_id),
                    "occurred_at": at(date(self.year, 1, 20)),
                })
                children.append((child, child_due))
            # Most units finish on time; about one in five lets a subtask slip.
            slips = self.rng.random() < 0.2
            for i, (child, child_due) in enumerate(children):
                late = slips and i == 0
                self.tasks.append((child, unit.unit_id, child_due, not late))
            self.tasks.append((task, unit.unit_id, due, not slips))

    def play_week(self, monday: date) -> None:
        """Progress and completions due this week, just before each deadline."""
        r = self.rpc.responsibility
        week = [t for t in self.tasks if monday <= t[2] - timedelta(days=2) < monday + timedelta(7)]
        # Children first, so a parent is completed only after its subtasks.
        for task, unit, due, done in sorted(week, key=lambda t: t[2]):
            if not done:
                r.report_progress({
                    "task_id": task, "percent": 40, "note": "进度滞后",
                    "actor": self.actor(unit), "occurred_at": at(due - timedelta(days=10)),
                })
                continue
            r.report_progress({
                "task_id": task, "percent": 80, "note": "按计划推进",
                "actor": self.actor(unit), "occurred_at": at(due - timedelta(days=9)),
            })
            try:
                r.complete_task({
                    "task_id": task, "note": "已完成", "actor": self.actor(unit),
                    "occurred_at": at(due - timedelta(days=2)),
                })
            except Exception:  # noqa: BLE001 - a parent with a late subtask stays open
                continue

    def educate(self, units: list[UnitPeople]) -> None:
        r = self.rpc.responsibility
        for month in range(1, 12):
            kind, title, low, high = EDUCATION[month % len(EDUCATION)]
            organiser = self.pc_unit if month % 2 else self.rng.choice(units).unit_id
            held = date(self.year, month, 18)
            r.record_education_activity({
                "kind": kind, "title": title, "held_on": held.isoformat(),
                "organiser_unit_id": organiser,
                "participant_count": self.rng.randint(low, high),
                "actor": self.actor(organiser), "occurred_at": at(held, 17),
            })
        visit = date(self.year, 4, 8)
        r.record_education_activity({
            "kind": "warning_education_visit", "title": "赴市警示教育基地参观学习",
            "held_on": visit.isoformat(), "organiser_unit_id": self.pc_unit,
            "participant_count": 86, "actor": self.actor(self.pc_unit),
            "occurred_at": at(visit, 17),
        })


def report_tasks(rpc: Any, year: int, as_of: date) -> list[str]:
    r = rpc.responsibility
    lines = []
    overdue = r.overdue_tasks({"as_of": as_of.isoformat()})
    coverage = r.coverage({"year": year, "as_of": as_of.isoformat()})
    flagged = r.flagged_letters({"year": year})
    education = r.education_totals({
        "start": date(year, 1, 1).isoformat(), "end": as_of.isoformat(),
    })
    lines.append(f"任务分解 overdue tasks as of {as_of}: {len(overdue)} "
                 f"({', '.join(sorted({t['title'] for t in overdue})) or '-'})")
    lines.append(
        "横向到边、纵向到底 coverage gaps: "
        f"units without a signed letter {len(coverage['units_without_signed_letter'])}, "
        f"units without a task {len(coverage['units_without_task'])}, "
        f"leaders without a letter {len(coverage['leaders_without_signed_letter'])}, "
        f"leaders without a task {len(coverage['leaders_without_task'])}"
    )
    lines.append(f"千篇一律 letters flagged as boilerplate: {len(flagged)}"
                 + "".join(f"\n  - letter {v['letter_id'][:8]} ≈ {v['flagged_like'][:8]}"
                           f" (similarity {v['similarity']:.2f})" for v in flagged[:3]))
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(education["activities"].items()))
    lines.append(f"廉政教育 education Jan–{as_of:%b}: {education['total_activities']} activities "
                 f"({by_kind}), {education['total_participants']} participant-times")
    return lines

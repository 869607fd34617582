"""The responsibility service's part in the demo year (the party committee's primary
responsibility, 主体责任), played over RPC: the district's organisation and leaders, letters
drafted and signed level by level (some refused, one copied, one superseded), tasks broken
down to people, integrity education; then its section of the report.

It registers the district for the scenarios that follow it (``DemoContext.district``). The
party committee's clerk registers the organisation and issues the letters and the tasks
(role ``party_committee``); each unit's clerk breaks its tasks down, reports on them and
records its own education activities (``unit_clerk``).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import click

from dutytrail_ops.demo.timeline import (
    CLERK,
    DemoContext,
    District,
    Scenario,
    UnitPeople,
    clerk_of,
    week_of,
)
from shared.roles import PARTY_COMMITTEE, UNIT_CLERK

DEPARTMENTS = [
    "区纪委监委", "区财政局", "区发改局", "区住建局", "区教育局", "区卫健局", "区民政局",
    "区人社局", "区自然资源局", "区交通局", "区水务局", "区农业农村局", "区市场监管局",
]
TOWNS = [
    ("town", "**镇"), ("town", "**新镇"), ("subdistrict", "**街道"), ("subdistrict", "**东街道"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
RISKS = [
    ("项目审批", "严格执行项目审批程序，杜绝“打招呼”“批条子”"),
    ("资金拨付", "民生资金拨付全程留痕，按月公开发放台账"),
    ("工程招投标", "不插手、不干预工程招投标，发现问题立即报告"),
    ("征地拆迁", "征地拆迁补偿标准公开，接受群众监督"),
    ("人事任免", "坚持集体研究决定干部任免，严防带病提拔"),
    ("执法检查", "规范执法检查程序，禁止以罚代管"),
    ("政府采购", "落实政府采购公开招标，严禁拆分规避"),
]
COMMON = [
    "认真履行党风廉政建设“一岗双责”，对职责范围内的党风廉政建设负领导责任。",
    "严格执行中央八项规定精神，坚决反对“四风”。",
]
TOP_LEADER_DUTIES = [
    "作为第一责任人，对本单位党风廉政建设负总责，重要工作亲自部署、重大问题亲自过问。",
    "每季度听取一次班子成员履行“一岗双责”情况汇报。",
]
# A unit's two top leaders (党政主要领导), by the kind of unit.
TOP_POST_TITLES = {
    "district_department": ("党组书记", "局长"),
    "town": ("镇党委书记", "镇长"),
    "subdistrict": ("街道党工委书记", "街道办事处主任"),
}


def top_post(kind: str, j: int) -> str:
    return TOP_POST_TITLES.get(kind, ("党组织书记", "主任"))[j]


LINES = ["财务", "人事", "项目", "执法", "采购", "后勤", "宣传", "信访", "审批", "统计"]
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

Letter = tuple[str, str, tuple[str, str], bool]  # id, signatory person, risk, still unsigned


def at(day: date, hour: int = 9) -> str:
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC).isoformat()


def _person(seed: int, key: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:dutytrail:demo:{seed}:{key}"))


class ResponsibilityScenario(Scenario):
    service = "responsibility"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx)
        self.rng = ctx.rng
        self.year = ctx.year
        self.pc_unit = ""
        self.units: list[tuple[str, str, str]] = []  # id, name, kind
        self.communities: list[str] = []
        self.people: dict[str, UnitPeople] = {}
        # unit, cadre, person, top leader, post title
        self.signatories: list[tuple[str, str, str, bool, str]] = []
        self.letters: list[Letter] = []
        self.persons: dict[str, str] = {}  # cadre id -> person id
        self.tasks = TaskYear(ctx, self.rng, self.year, self.pc_unit)

    def setup(self) -> None:
        if self.audit.list_units():
            raise click.ClickException(
                "the responsibility store already holds a district; the demo needs empty "
                "stores (deploy/demo.sh starts the services on fresh ones)."
            )
        self.organise()
        self.ctx.district = District(
            self.pc_unit, self.units, self.communities, self.people, self.persons
        )
        self.letters = self.draft_and_sign_letters()
        self.tasks.pc_unit = self.pc_unit
        self.tasks.create([self.people[u] for u, _, _ in self.units])
        self.tasks.educate([self.people[u] for u, _, _ in self.units])

    def before_clock(self, monday: date) -> None:
        self.tasks.play_week(monday)
        if week_of(monday, date(self.year, 6, 29)):
            self.supersede()

    @property
    def committee(self) -> Any:
        """The service as the party committee's clerk."""
        return self.ctx.clerk(self.pc_unit, PARTY_COMMITTEE).responsibility

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(2))

    def organise(self) -> None:
        """Step. The party committee, departments, towns and communities, and their leaders."""
        jan2 = date(self.year, 1, 2)
        founder = self.ctx.acting.as_(CLERK, CLERK, PARTY_COMMITTEE).responsibility
        self.pc_unit = founder.register_unit({
            "code": "PC", "name": "**区委", "kind": "party_committee", "occurred_at": at(jan2),
        })
        r = self.committee
        for i, name in enumerate(DEPARTMENTS):
            unit = r.register_unit({
                "code": f"D{i + 1:02d}", "name": name, "kind": "district_department",
                "parent_unit_id": self.pc_unit, "occurred_at": at(jan2),
            })
            self.units.append((unit, name, "district_department"))
        towns = []
        for i, (kind, name) in enumerate(TOWNS):
            unit = r.register_unit({
                "code": f"T{i + 1:02d}", "name": name, "kind": kind,
                "parent_unit_id": self.pc_unit, "occurred_at": at(jan2),
            })
            towns.append(unit)
            self.units.append((unit, name, kind))
        for i in range(10):
            self.communities.append(r.register_unit({
                "code": f"C{i + 1:02d}", "name": f"**社区{i + 1}", "kind": "community",
                "parent_unit_id": towns[i % len(towns)], "occurred_at": at(jan2),
            }))
        for k, (unit, _, kind) in enumerate(self.units):
            people = None
            # 党政主要领导 are two people: the party secretary and the administrative head, each
            # a top leader with a letter of their own; then one or two other members.
            for j in range(1 + self.rng.randint(1, 2)):
                person = _person(self.ctx.seed, f"cadre:{k}:{j}")
                top = j < 2
                post = top_post(kind, j) if top else "党组成员、副局长"
                cadre = r.register_cadre({
                    "person_id": person, "name": self.name(), "unit_id": unit,
                    "post_title": post,
                    "line_of_work": self.rng.choice(RISKS)[0], "leadership_member": True,
                    "top_leader": top, "occurred_at": at(date(self.year, 1, 3)),
                })
                self.persons[cadre] = person
                if people is None:
                    people = UnitPeople(unit, cadre)
                else:
                    people.members.append(cadre)
                self.signatories.append((unit, cadre, person, top, post))
            assert people is not None
            self.people[unit] = people

    def draft_and_sign_letters(self) -> list[Letter]:
        """Step. Letters drafted in January, signed level by level before the end of
        February: "common + individual", each individual clause written for the post."""
        r = self.committee
        letters: list[tuple[str, str, tuple[str, str], bool, list[dict[str, str]]]] = []
        for n, (unit, cadre, person, top, title) in enumerate(self.signatories):
            unit_name = next(name for u, name, _ in self.units if u == unit)
            risk = self.rng.choice(RISKS)
            line = LINES[n % len(LINES)]
            post = f"{title}（主要负责人）" if top else f"分管{line}的班子成员"
            clauses = [{"text": f"{unit_name}{post}：{risk[1]}，重点防控{line}环节",
                        "risk_point": risk[0]}]
            standardised = self.rng.random() < 0.15  # drafts still lacking individual clauses
            if n > 0 and n % 13 == 0:
                # 千篇一律: a letter copied from the previous post's, a few characters changed.
                clauses = [dict(c, text=c["text"].replace("每季度", "每个季度"))
                           for c in letters[-1][4]]
            letter = r.draft_letter({
                "letter": {
                    "year": self.year, "issuer_unit_id": self.pc_unit,
                    "signatory_unit_id": unit, "signatory_cadre_id": cadre,
                    "common_clauses": COMMON,
                    "individual_clauses": [] if standardised else clauses,
                    "top_leader_duties": TOP_LEADER_DUTIES if top else [],
                    "sign_by": date(self.year, 2, 28).isoformat(),
                },
                "occurred_at": at(date(self.year, 1, 10)),
            })
            letters.append((letter, person, risk, standardised, clauses))
        for n, (letter, person, _risk, standardised, clauses) in enumerate(letters):
            day = date(self.year, 1, 15) + timedelta(days=n % 40)
            sign = {
                "letter_id": letter, "issuer_person_id": str(clerk_of(self.pc_unit)),
                "signatory_person_id": person, "occurred_at": at(day),
            }
            if standardised:
                # A standardised letter is refused; half get their individual clauses in time.
                self.try_command(r.sign_letter, sign)
                if n % 2:
                    continue
                for clause in clauses:
                    r.add_individual_clause({
                        "letter_id": letter, "text": clause["text"],
                        "risk_point": clause["risk_point"], "occurred_at": at(day),
                    })
            r.sign_letter(sign)
        return [(x[0], x[1], x[2], x[3] and bool(i % 2)) for i, x in enumerate(letters)]

    def supersede(self) -> None:
        """Step. In July a post changes; the signed letter is superseded, never edited: the
        replacement is drafted on 1 July and the old letter stays valid until the replacement
        is signed a week later."""
        r = self.committee
        letter, person = next((x[0], x[1]) for x in self.letters if not x[3])
        old = r.get_letter({"letter_id": letter})
        self.try_command(r.add_individual_clause, {
            "letter_id": letter, "text": "追加条款", "risk_point": "人事任免",
            "occurred_at": at(date(self.year, 7, 1)),
        })
        new_risk = RISKS[-1]
        replacement = r.supersede_letter({
            "letter_id": letter,
            "letter": {
                "year": self.year, "issuer_unit_id": self.pc_unit,
                "signatory_unit_id": old["signatory_unit_id"],
                "signatory_cadre_id": old["signatory_cadre_id"],
                "common_clauses": COMMON,
                "individual_clauses": [
                    {"text": f"调整分工后：{new_risk[1]}", "risk_point": new_risk[0]},
                ],
                "top_leader_duties": old["top_leader_duties"],
            },
            "occurred_at": at(date(self.year, 7, 1)),
        })
        r.sign_letter({
            "letter_id": replacement, "issuer_person_id": str(clerk_of(self.pc_unit)),
            "signatory_person_id": person, "occurred_at": at(date(self.year, 7, 8)),
        })

    def report(self, as_of: date) -> list[str]:
        r = self.audit
        year = self.year
        units = r.list_units()
        letters = r.list_letters({"year": year})
        cadres = r.list_cadres()
        kinds = Counter(u["kind"] for u in units)
        status = Counter(v["status"] for v in letters)
        overdue = sum(1 for v in letters if v["signing_overdue"])
        # A letter covers while it is valid: signed and not (yet) replaced by a signed letter,
        # the rule coverage applies; a superseded letter's replacement covers instead.
        valid = [v for v in letters if v["status"] == "signed"]
        covered = {v["signatory_unit_id"] for v in valid}
        leaders = [c for c in cadres if c["leadership_member"]]
        covered_people = {v["signatory_cadre_id"] for v in valid}
        by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        leaders_covered = len(covered_people & {c["cadre_id"] for c in leaders})
        tops = [c for c in cadres if c["top_leader"]]
        top_units = Counter(c["unit_id"] for c in tops)
        return [
            "",
            f"== {year}年 **区党风廉政建设主体责任落实情况 (responsibility service) ==",
            f"单位 units: {len(units)}  {by_kind}",
            f"班子成员 leadership members: {len(leaders)}, "
            f"covered by a signed letter: {leaders_covered}",
            f"党政主要领导 top leaders: {len(tops)} in {len(top_units)} units "
            f"({sum(1 for n in top_units.values() if n == 2)} units with both the party "
            "secretary and the administrative head)",
            f"责任书 letters: {len(letters)}  签字背书 signed {status['signed']}, "
            f"superseded {status['superseded']}, still draft {status['draft']}",
            f"逾期未签 letters recorded overdue (sign by 28 Feb): {overdue}",
            f"units holding a signed letter: {len(covered)}",
            f"refused commands (clear errors, nothing stored): {len(self.refusals)}",
            *(f"  - {refusal}" for refusal in self.refusals[:3]),
            *report_tasks(self.ctx.auditor, year, as_of, {u["unit_id"]: u["kind"] for u in units}),
        ]



@dataclass
class TaskYear:
    """Plays the tasks and education of one year; the clock is driven by the caller."""

    ctx: DemoContext
    rng: random.Random
    year: int
    pc_unit: str
    tasks: list[tuple[str, str, date, bool]] = field(default_factory=list)  # id, unit, due, done

    def clerk(self, unit_id: str) -> Any:
        """The service as the clerk of ``unit_id``: the party committee's acts in its role."""
        role = PARTY_COMMITTEE if unit_id == self.pc_unit else UNIT_CLERK
        return self.ctx.clerk(unit_id, role).responsibility

    def create(self, units: list[UnitPeople]) -> None:
        r = self.clerk(self.pc_unit)
        for n, unit in enumerate(units):
            title, requirement = TASKS[n % len(TASKS)]
            due = date(self.year, 3 * (1 + n % 3), 28)  # end of March, June or September
            task = r.create_task({
                "year": self.year, "title": title, "requirement": requirement,
                "lead_unit_id": unit.unit_id, "co_unit_ids": [],
                "responsible_cadre_id": unit.top_cadre, "deadline": due.isoformat(),
                "occurred_at": at(date(self.year, 1, 12)),
            })
            # Horizontal to every edge, vertical to every level: each member gets a subtask.
            children = []
            for k, member in enumerate(unit.members):
                sub_title, sub_req = SUBTASKS[k % len(SUBTASKS)]
                child_due = due - timedelta(days=14)
                child = self.clerk(unit.unit_id).break_down_task({
                    "parent_task_id": task, "title": sub_title, "requirement": sub_req,
                    "lead_unit_id": unit.unit_id, "responsible_cadre_id": member,
                    "deadline": child_due.isoformat(), "occurred_at": at(date(self.year, 1, 20)),
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
        week = [t for t in self.tasks if monday <= t[2] - timedelta(days=2) < monday + timedelta(7)]
        # Children first, so a parent is completed only after its subtasks.
        for task, unit, due, done in sorted(week, key=lambda t: t[2]):
            r = self.clerk(unit)
            if not done:
                r.report_progress({
                    "task_id": task, "percent": 40, "note": "进度滞后",
                    "occurred_at": at(due - timedelta(days=10)),
                })
                continue
            r.report_progress({
                "task_id": task, "percent": 80, "note": "按计划推进",
                "occurred_at": at(due - timedelta(days=9)),
            })
            try:
                r.complete_task({
                    "task_id": task, "note": "已完成", "occurred_at": at(due - timedelta(days=2)),
                })
            except Exception:  # noqa: BLE001 - a parent with a late subtask stays open
                continue

    def educate(self, units: list[UnitPeople]) -> None:
        for month in range(1, 12):
            kind, title, low, high = EDUCATION[month % len(EDUCATION)]
            organiser = self.pc_unit if month % 2 else self.rng.choice(units).unit_id
            held = date(self.year, month, 18)
            count = self.rng.randint(low, high)
            activity: dict[str, Any] = {
                "kind": kind, "title": title, "held_on": held.isoformat(),
                "organiser_unit_id": organiser, "participant_count": count,
                "occurred_at": at(held, 17),
            }
            if kind == "study_session":
                # The leadership members' study sessions list who attended, so the persons
                # reached are counted apart from the person-times (the seed counts persons).
                leaders = sorted(self.ctx.district.persons.values()) if self.ctx.district else []
                start = (month * 7) % max(len(leaders), 1)
                present = (leaders[start:] + leaders[:start])[:count]
                activity |= {"participant_count": len(present), "participant_person_ids": present}
            self.clerk(organiser).record_education_activity(activity)
        visit = date(self.year, 4, 8)
        self.clerk(self.pc_unit).record_education_activity({
            "kind": "warning_education_visit", "title": "赴市警示教育基地参观学习",
            "held_on": visit.isoformat(), "organiser_unit_id": self.pc_unit,
            "participant_count": 86, "occurred_at": at(visit, 17),
        })


def report_tasks(
    reader: Any, year: int, as_of: date, unit_kinds: dict[str, str] | None = None
) -> list[str]:
    r = reader.responsibility
    lines = []
    overdue = r.overdue_tasks({"as_of": as_of.isoformat()})
    coverage = r.coverage({"year": year, "as_of": as_of.isoformat()})
    flagged = r.flagged_letters({"year": year})
    education = r.education_totals({
        "start": date(year, 1, 1).isoformat(), "end": as_of.isoformat(),
    })
    lines.append(f"任务分解 overdue tasks as of {as_of}: {len(overdue)} "
                 f"({', '.join(sorted({t['title'] for t in overdue})) or '-'})")
    kinds = unit_kinds or {}

    def levels(ids: list[str]) -> str:
        """How many of ``ids`` at each level (department, town, community, office…)."""
        count = Counter(kinds.get(i, "unit") for i in ids)
        return f" ({', '.join(f'{k} {n}' for k, n in sorted(count.items()))})" if ids else ""

    unlettered, untasked = coverage["units_without_signed_letter"], coverage["units_without_task"]
    lines.append(
        "横向到边、纵向到底 coverage gaps (down to communities and offices): "
        f"units without a signed letter {len(unlettered)}{levels(unlettered)}, "
        f"units without a task {len(untasked)}{levels(untasked)}, "
        f"leaders without a letter {len(coverage['leaders_without_signed_letter'])}, "
        f"leaders without a task {len(coverage['leaders_without_task'])}, "
        "top leaders without a letter of the top leader's duties "
        f"{len(coverage['top_leaders_without_duties_letter'])}"
    )
    lines.append(f"千篇一律 letters flagged as boilerplate: {len(flagged)}"
                 + "".join(f"\n  - letter {v['letter_id'][:8]} ≈ {v['flagged_like'][:8]}"
                           f" (similarity {v['similarity']:.2f})" for v in flagged[:3]))
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(education["activities"].items()))
    lines.append(f"廉政教育 education Jan–{as_of:%b}: {education['total_activities']} activities "
                 f"({by_kind}), {education['participant_times']} participant-times (人次); "
                 f"{education['distinct_persons']} distinct persons (人) in the activities "
                 f"listing who attended, {education['activities_without_participant_list']} "
                 f"activities ({education['participant_times_without_list']} "
                 "participant-times) without a list")
    return lines


SCENARIO = ResponsibilityScenario

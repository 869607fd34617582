"""The responsibility service's part in the demo year (the party committee's primary
responsibility, 主体责任), played over RPC: the district's organisation and leaders, letters
drafted and signed level by level (some refused, one copied, one superseded), tasks broken
down to people, integrity education; then its section of the report.

It registers the district for the scenarios that follow it (``DemoContext.district``). The
party committee's clerk registers the organisation and issues the letters and the tasks
(role ``party_committee``); each unit's clerk breaks its tasks down, reports on them and
records its own education activities (``unit_clerk``). 签字背书 is two real signatures: the
district party secretary signs each letter for the party committee and its signatory
countersigns, each with their own token (``cadre``).
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
    demo_id,
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
        self.secretary = ""  # the district party secretary's person id: signs for the issuer
        self.awaiting: list[str] = []  # letters the signatory has not countersigned yet
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
        self.play_registers(None)
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
        # The district party secretary, a principal leader of the party committee, signs the
        # district's letters for it. Their own letter is the city's, outside this record, so
        # they are not counted among the district's leadership members to be covered.
        self.secretary = _person(self.ctx.seed, "district-party-secretary")
        r.register_cadre({
            "person_id": self.secretary, "name": self.name(), "unit_id": self.pc_unit,
            "post_title": "区委书记", "line_of_work": "全面", "leadership_member": False,
            "top_leader": True, "occurred_at": at(jan2),
        })
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
        units: list[str] = []
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
                "letter_id": demo_id(self.ctx.seed, f"letter:{n}"),
            })
            letters.append((letter, person, risk, standardised, clauses))
            units.append(unit)
        issuer = self.ctx.cadre(self.secretary, self.pc_unit).responsibility
        unsigned: set[int] = set()
        for n, (letter, person, _risk, standardised, clauses) in enumerate(letters):
            day = date(self.year, 1, 15) + timedelta(days=n % 40)
            sign = {"letter_id": letter, "occurred_at": at(day)}
            signatory = self.ctx.cadre(person, units[n]).responsibility
            if standardised:
                # A standardised letter is refused; half get their individual clauses in time.
                self.try_command(issuer.sign_letter_as_issuer, sign)
                if n % 2:
                    unsigned.add(n)
                    continue
                for clause in clauses:
                    r.add_individual_clause({
                        "letter_id": letter, "text": clause["text"],
                        "risk_point": clause["risk_point"], "occurred_at": at(day),
                    })
            issuer.sign_letter_as_issuer(sign)
            if n == 1:
                # A colleague cannot countersign for the signatory: each signs for themself.
                colleague = self.signatories[0]
                self.try_command(
                    self.ctx.cadre(colleague[2], colleague[0]).responsibility.countersign_letter,
                    sign,
                )
            if n % 19 == 7:
                # Signed by the issuer, never countersigned: still a draft, covering no one.
                unsigned.add(n)
                self.awaiting.append(letter)
                continue
            signatory.countersign_letter({"letter_id": letter, "occurred_at": at(day, 15)})
        return [(x[0], x[1], x[2], i in unsigned) for i, x in enumerate(letters)]

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
            "new_letter_id": demo_id(self.ctx.seed, f"letter:{letter}:replacement"),
        })
        sign = {"letter_id": replacement, "occurred_at": at(date(self.year, 7, 8))}
        self.ctx.cadre(self.secretary, self.pc_unit).responsibility.sign_letter_as_issuer(sign)
        unit = old["signatory_unit_id"]
        self.ctx.cadre(person, unit).responsibility.countersign_letter(sign)

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
        awaiting = Counter(v["awaiting_signature_of"] for v in letters if v["status"] == "draft")
        signed_by = [v["signatures"] for v in letters if v["status"] != "draft"]
        issuer_signers = len({s[0]["person_id"] for s in signed_by})
        signatory_signers = len({s[1]["person_id"] for s in signed_by})
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
            f"superseded {status['superseded']}, still draft {status['draft']} "
            f"(of which signed by the issuer only, awaiting the signatory's own signature: "
            f"{awaiting['signatory']}; by the signatory only: {awaiting['issuer']})",
            "签字背书 two signatures, each with the signer's own token: the issuer's by "
            f"{issuer_signers} principal leader(s) of the party committee (区委书记), the "
            f"signatory's by {signatory_signers} cadres for themselves",
            f"逾期未签 letters recorded overdue (sign by 28 Feb): {overdue}",
            f"units holding a signed letter: {len(covered)}",
            f"refused commands (clear errors, nothing stored): {len(self.refusals)}",
            *(f"  - {refusal}" for refusal in self.refusals[:3]),
            *report_tasks(self.ctx.auditor, year, as_of, {u["unit_id"]: u["kind"] for u in units}),
            self.report_lead_units(year, as_of),
            *self.report_registers(as_of),
        ]

    # The risk-point register (廉政风险点) and the recorded acts: reminders (提醒), talks (约谈)
    # and 述责述廉 (issue 10, items 12 and 13), played after the clock on a few weeks.

    def after_clock(self, monday: date) -> None:
        self.play_registers(monday)

    def play_registers(self, monday: date | None) -> None:
        """Step. At the set-up (``monday`` None: before any letter is drafted, so the letters'
        clauses are judged against them at signing) each leadership post of four departments
        and a town gets its risk points, in effect from the year's first Monday; revised in
        March; reminders before the Spring Festival; talks in June; the
        leaders' mid-year 述责述廉 in July. No randomness: the seed's sequence is untouched."""
        from shared.roles import DISCIPLINE_COMMISSION

        year = self.year
        cadres = [c for c in self.audit.list_cadres() if c["leadership_member"]]
        kinds = {u: kind for u, _, kind in self.units}
        chosen = [u for u, _, kind in self.units if kind == "district_department"][1:5]
        chosen += [u for u, _, kind in self.units if kind == "town"][:1]

        def keeper(unit: str) -> Any:
            # A department's clerk keeps its own register; the party committee the town's.
            return self.committee if kinds[unit] == "town" else self.ctx.clerk(unit).responsibility

        def risk(name: str, level: str) -> dict[str, Any]:
            return {"name": name, "level": level,
                    "measures": [dict(RISKS)[name]] if name in dict(RISKS) else ["集体研究"]}

        if monday is None:
            first_monday = date(year, 1, 1) + timedelta(days=-date(year, 1, 1).weekday() % 7)
            for unit in chosen:
                posts = {c["post_title"]: c["line_of_work"] for c in cadres if c["unit_id"] == unit}
                for post, line in sorted(posts.items()):
                    keeper(unit).register_risk_points({
                        "unit_id": unit, "post_title": post,
                        "risk_points": [risk(line, "high"), risk("人事任免", "medium")]
                        if line != "人事任免" else [risk(line, "high")],
                        "occurred_at": at(first_monday),
                    })
            return
        if week_of(monday, date(year, 3, 2)):
            for register in self.audit.risk_register({"unit_id": chosen[0]})[:1]:
                named = {p["name"] for p in register["risk_points"]}
                extra = next(name for name, _ in RISKS if name not in named)
                self.ctx.clerk(chosen[0]).responsibility.update_risk_points({
                    "unit_id": chosen[0], "post_title": register["post_title"],
                    "risk_points": [*register["risk_points"], risk(extra, "low")],
                    "occurred_at": at(date(year, 3, 2)),
                })
        if week_of(monday, date(year, 2, 10)):
            for unit in chosen[:3]:
                own = [c for c in cadres if c["unit_id"] == unit]
                top = next(c for c in own if c["top_leader"])
                for member in (c for c in own if c is not top):
                    self.ctx.clerk(unit).responsibility.record_reminder({
                        "reminder_id": demo_id(self.ctx.seed, f"reminder:{member['cadre_id']}"),
                        "to_cadre_id": member["cadre_id"], "by_cadre_id": top["cadre_id"],
                        "subject": "节前廉洁提醒：严禁公款送礼、违规收受礼金",
                        "given_on": date(year, 2, 10).isoformat(),
                        "occurred_at": at(date(year, 2, 10)),
                    })
        if week_of(monday, date(year, 6, 15)):
            commission = next(u for u, name, _ in self.units if name == "区纪委监委")
            talkers = [
                (self.ctx.clerk(commission, DISCIPLINE_COMMISSION).responsibility, chosen[-1]),
                (self.committee, chosen[1]),
            ]
            for talker, unit in talkers:
                leader = next(c for c in cadres if c["unit_id"] == unit and c["top_leader"])
                talker.record_talk({
                    "talk_id": demo_id(self.ctx.seed, f"talk:{unit}"),
                    "leader_cadre_id": leader["cadre_id"], "subject": "整改落实不力约谈",
                    "held_on": date(year, 6, 15).isoformat(),
                    "occurred_at": at(date(year, 6, 15)),
                })
        if week_of(monday, date(year, 7, 20)):
            for unit in chosen:
                for leader in (c for c in cadres if c["unit_id"] == unit):
                    self.ctx.clerk(unit).responsibility.record_accountability_report({
                        "cadre_id": leader["cadre_id"], "year": year,
                        "reported_on": date(year, 7, 20).isoformat(),
                        "given_to": "区纪委全会" if leader["top_leader"] else "本单位领导班子会议",
                        "summary": "上半年履行“一岗双责”和廉洁自律情况",
                        "occurred_at": at(date(year, 7, 20)),
                    })

    def report_registers(self, as_of: date) -> list[str]:
        """The report's lines on the risk-point register, reminders, talks and 述责述廉."""
        r, year = self.audit, self.year
        registers = r.risk_register({"as_of": as_of.isoformat()})
        levels = Counter(p["level"] for g in registers for p in g["risk_points"])
        outside = r.clauses_outside_risk_register({"year": year, "as_of": as_of.isoformat()})
        flagged = r.flagged_letters(
            {"year": year, "as_of": as_of.isoformat(), "reason": "outside_risk_register"}
        )
        query = {"year": year, "as_of": as_of.isoformat()}
        reminders, talks = r.reminders(query), r.talks(query)
        reports = r.accountability_reports(query)
        by_commission = sum(1 for t in talks if t["by_unit_id"] != self.pc_unit)
        return [
            f"廉政风险点 risk-point register: {len(registers)} posts, "
            f"{sum(levels.values())} risk points (high {levels['high']}, medium "
            f"{levels['medium']}, low {levels['low']}); individual clauses outside the "
            f"signatory's post register: {len(outside)} in "
            f"{len({c['letter_id'] for c in outside})} letters "
            f"({sum(1 for c in outside if not c['post_has_register'])} for posts with none); "
            f"letters flagged at signing as drafted outside the register: {len(flagged)}",
            f"提醒 reminders: {len(reminders)} to "
            f"{len({x['to_cadre_id'] for x in reminders})} cadres",
            f"约谈 talks with a unit's leader: {len(talks)} (discipline commission "
            f"{by_commission}, party committee {len(talks) - by_commission})",
            f"述责述廉 accountability reports: {len(reports)} by leaders of "
            f"{len({x['unit_id'] for x in reports})} units",
        ]

    def report_lead_units(self, year: int, as_of: date) -> str:
        """牵头单位 and 配合单位: what the lead units and co-units recorded, and the lead units the
        clock flagged for never convening (as coverage reports them)."""
        coverage = self.audit.coverage({"year": year, "as_of": as_of.isoformat()})
        t = self.tasks
        return (
            f"牵头单位 lead units and co-units: {t.joint_tasks} joint tasks, "
            f"{t.meetings} coordination meetings convened (牵头协调会), {t.co_unit_reports} "
            "co-unit reports to the lead unit; lead unit never convened, flagged by the clock: "
            f"{len(coverage['tasks_whose_lead_unit_never_convened'])}"
        )


@dataclass
class TaskYear:
    """Plays the tasks and education of one year; the clock is driven by the caller."""

    ctx: DemoContext
    rng: random.Random
    year: int
    pc_unit: str
    tasks: list[tuple[str, str, date, bool]] = field(default_factory=list)  # id, unit, due, done
    # 牵头单位 and 配合单位: tasks given co-units, the lead units' coordination meetings and the
    # co-units' reports to them, as the service accepted them.
    joint_tasks: int = 0
    meetings: int = 0
    co_unit_reports: int = 0

    def clerk(self, unit_id: str) -> Any:
        """The service as the clerk of ``unit_id``: the party committee's acts in its role."""
        role = PARTY_COMMITTEE if unit_id == self.pc_unit else UNIT_CLERK
        return self.ctx.clerk(unit_id, role).responsibility

    def create(self, units: list[UnitPeople]) -> None:
        r = self.clerk(self.pc_unit)
        for n, unit in enumerate(units):
            title, requirement = TASKS[n % len(TASKS)]
            due = date(self.year, 3 * (1 + n % 3), 28)  # end of March, June or September
            # Every fourth task is a joint one: a lead unit (牵头单位) and a co-unit (配合单位).
            co_units = [units[(n + 1) % len(units)].unit_id] if n % 4 == 0 else []
            task = r.create_task({
                "year": self.year, "title": title, "requirement": requirement,
                "lead_unit_id": unit.unit_id, "co_unit_ids": co_units,
                "responsible_cadre_id": unit.top_cadre, "deadline": due.isoformat(),
                "occurred_at": at(date(self.year, 1, 12)),
                "task_id": demo_id(self.ctx.seed, f"task:{n}"),
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
                    "task_id": demo_id(self.ctx.seed, f"task:{n}:{k}"),
                })
                children.append((child, child_due))
            if co_units:
                self.coordinate(task, unit.unit_id, co_units, due, convenes=n % 8 == 0)
            # Most units finish on time; about one in five lets a subtask slip.
            slips = self.rng.random() < 0.2
            for i, (child, child_due) in enumerate(children):
                late = slips and i == 0
                self.tasks.append((child, unit.unit_id, child_due, not late))
            self.tasks.append((task, unit.unit_id, due, not slips))

    def coordinate(
        self, task: str, lead: str, co_units: list[str], due: date, *, convenes: bool
    ) -> None:
        """The lead unit convenes its co-units in February (half of them never do, and the
        clock flags them once their deadline passes); each co-unit reports to the lead unit
        three weeks before the deadline."""
        self.joint_tasks += 1
        if convenes:
            held = date(self.year, 2, 10)
            self.clerk(lead).convene_task_meeting({
                "task_id": task, "held_on": held.isoformat(),
                "agenda": "牵头单位召集配合单位明确分工、时间节点", "occurred_at": at(held, 15),
            })
            self.meetings += 1
        for co_unit in co_units:
            self.clerk(co_unit).report_to_lead_unit({
                "task_id": task, "report": "配合单位按分工完成本单位部分，书面报牵头单位",
                "occurred_at": at(due - timedelta(days=21)),
            })
            self.co_unit_reports += 1

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
                "activity_id": demo_id(self.ctx.seed, f"education:{month}"),
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
            "activity_id": demo_id(self.ctx.seed, "education:warning-visit"),
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

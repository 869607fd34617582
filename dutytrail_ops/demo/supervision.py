"""The supervision service's part in the demo year (the discipline commission's supervision
responsibility, 监督责任), played over RPC: weekly key-project inspections with a circular each
week, unannounced visits at key dates, rectification notices through their lifecycle, monthly
special reports, quarterly reports and the disclosure trail; then its section of the report.

It supervises the district the responsibility scenario registered (``DemoContext.district``),
once the supervision service has learned it from responsibility's events. The commission's
clerk acts for the discipline commission (role ``discipline_commission``): it inspects, issues
notices and bulletins, records the paper quarterly reports it receives with the day each
arrived, and supervises the execution of the party committee's decisions; the party
committee's clerk (``party_committee``) collects the 党务公开 topics, decides and publishes
(主体责任); each unit's clerk acknowledges and reports on its notices, enters some quarterly
reports itself and keeps its community's disclosure board (``unit_clerk``); a cadre named by a
notice reports on it themself (``cadre``). The commission owes no quarterly report itself
(the services run with DUTYTRAIL_COMMISSION_UNIT_CODE=D01, its code in the district).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from dutytrail_ops.demo.timeline import DemoContext, Scenario, demo_id, first_monday, week_of
from shared.roles import DISCIPLINE_COMMISSION, PARTY_COMMITTEE

CATEGORIES = [
    "work_discipline", "eight_point_rules", "formalism_bureaucratism", "fund_management",
    "project_management", "land_acquisition_demolition", "public_service_conduct",
]
FINDINGS = {
    "work_discipline": "上班时间脱岗，考勤台账不全",
    "eight_point_rules": "公务接待超标准，未按规定报备",
    "formalism_bureaucratism": "重部署轻落实，只发文件不抓落实",
    "fund_management": "民生资金发放台账不规范，公示不及时",
    "project_management": "项目进度滞后，现场管理混乱",
    "land_acquisition_demolition": "拆迁补偿标准未公开，群众反映强烈",
    "public_service_conduct": "窗口服务态度生硬，办事推诿",
}
KEY_DATES = [(1, 28), (4, 30), (9, 30)]  # before Spring Festival, May Day, National Day
INSPECTOR = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:dutytrail:demo:inspector"))


def at(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC).isoformat()


@dataclass
class SupervisionYear:
    ctx: DemoContext
    rng: random.Random
    year: int
    commission: str  # the unit whose clerks act for the discipline commission
    party_committee: str  # the unit whose clerks act for the party committee
    units: list[tuple[str, str]]  # (unit id, name): departments, towns, subdistricts
    communities: list[str]
    cadres: dict[str, list[str]] = field(default_factory=dict)  # unit id -> cadre ids
    persons: dict[str, str] = field(default_factory=dict)  # cadre id -> person id
    project_list: str = ""
    notices: list[tuple[str, str, date]] = field(default_factory=list)  # id, unit, deadline
    visits: list[str] = field(default_factory=list)  # scheduled, not yet conducted
    problems_this_week: list[str] = field(default_factory=list)
    counter: int = 0
    extension_decisions: int = 0

    def id(self, key: str) -> str:
        """The deterministic id of the record ``key`` (the seed replays the same ids)."""
        return demo_id(self.ctx.seed, f"supervision:{self.year}:{key}")

    @property
    def s(self) -> Any:
        """The service as the commission's clerk."""
        return self.ctx.clerk(self.commission, DISCIPLINE_COMMISSION).supervision

    @property
    def committee(self) -> Any:
        """The service as the party committee's clerk."""
        return self.ctx.clerk(self.party_committee, PARTY_COMMITTEE).supervision

    def clerk(self, unit_id: str) -> Any:
        """The service as the clerk of ``unit_id`` (role ``unit_clerk``)."""
        return self.ctx.clerk(unit_id).supervision

    def start(self) -> None:
        projects = [
            {"code": f"P{i + 1:02d}", "name": f"重点项目{i + 1}", "lead_unit_id": unit}
            for i, (unit, _) in enumerate(self.units[:12])
        ]
        self.project_list = self.s.publish_key_project_list({
            "year": self.year, "name": "“项目建设攻坚年”重点项目", "projects": projects,
            "occurred_at": at(date(self.year, 1, 6)),
            "project_list_id": self.id("key-project-list"),
        })
        for n, community in enumerate(self.communities):
            if n % 5 == 4:
                continue  # a few communities still have no disclosure board
            self.clerk(community).install_disclosure_board({
                "community_id": community, "location": "社区服务中心门口",
                "occurred_at": at(date(self.year, 2, 10 + n)),
            })
        for key_month, key_day in KEY_DATES:
            self.visits.append(self.s.schedule_unannounced_visit({
                "occurred_at": at(date(self.year, key_month, key_day) - timedelta(days=10)),
                "visit_id": self.id(f"visit:{key_month:02d}-{key_day:02d}"),
            }))

    def inspect(self, day: date, kind: str, units: list[tuple[str, str]], visit: str = "") -> None:
        problems = []
        for unit, _ in units:
            if self.rng.random() < 0.35:
                category = self.rng.choice(CATEGORIES)
                problem = {"category": category, "description": FINDINGS[category],
                           "unit_id": unit}
                if self.cadres.get(unit) and self.rng.random() < 0.3:
                    problem["cadre_id"] = self.rng.choice(self.cadres[unit])  # a cadre's own
                problems.append(problem)
        report = {
            "leader_person_id": INSPECTOR, "leader_name": "区纪委监委副书记",
            "location": units[0][1], "held_on": day.isoformat(),
            "unit_ids": [u for u, _ in units], "problems": problems,
        }
        if visit:
            self.s.conduct_unannounced_visit({
                "visit_id": visit, "report": report, "occurred_at": at(day),
            })
            self.visits.remove(visit)
            inspection = visit
        else:
            command: dict[str, Any] = {
                "kind": kind, "report": report, "occurred_at": at(day),
                "inspection_id": self.id(f"inspection:{day.isoformat()}:{kind}"),
            }
            if kind == "key_project":
                index = self.units.index(units[0]) % 12
                command.update(project_list_id=self.project_list, project_code=f"P{index + 1:02d}")
            inspection = self.s.record_inspection(command)
        if not problems:
            return
        found = self.s.list_inspections({"start": day.isoformat(), "end": day.isoformat()})
        ids = [
            p["problem_id"] for i in found if i["inspection_id"] == inspection
            for p in i["problems"]
        ]
        self.problems_this_week += ids
        for problem, found_problem in zip(ids, problems, strict=True):
            unit = found_problem["unit_id"]
            deadline = day + timedelta(days=self.rng.choice([10, 15, 20]))
            notice = self.s.issue_notice({
                "recipient_unit_id": unit, "problem_ids": [problem],
                "recipient_cadre_id": found_problem.get("cadre_id"),
                "deadline": deadline.isoformat(), "self_examination_required": True,
                "occurred_at": at(day, 15), "notice_id": self.id(f"notice:{problem}"),
            })
            self.notices.append((notice, unit, deadline))

    def play_week(self, monday: date) -> None:
        # 每周一督查一通报: a key-project inspection each week, and a circular on it.
        self.counter += 1
        unit = self.units[self.counter % len(self.units)]
        if monday.month == 8 and 8 <= monday.day <= 14:
            # The flood-season week in August goes without an inspection: the clock records
            # the week as a finding (and, with no problems, the week without a circular).
            self._notice_steps(monday)
            self._quarterly_reports(monday)
            return
        self.inspect(monday + timedelta(days=1), "key_project", [unit])
        if self.counter % 4 == 0:
            self.inspect(monday + timedelta(days=2), "land_acquisition_demolition",
                         [self.units[(self.counter // 4) % len(self.units)]])
        if self.counter % 3 == 0 and self.communities:
            # Open visits to communities: 党务居务公开, livelihood funds on the ground.
            community = self.communities[(self.counter // 3) % len(self.communities)]
            self.inspect(monday + timedelta(days=3), "open_visit", [(community, "社区")])
        for key_month, key_day in KEY_DATES:
            key = date(self.year, key_month, key_day)
            if week_of(monday, key) and self.visits:
                sample = self.rng.sample(self.units, 3)
                self.inspect(key, "unannounced_visit", sample, visit=self.visits[0])
        self._notice_steps(monday)
        if self.counter % 2 == 0 or self.problems_this_week:
            self.s.issue_bulletin({
                "kind": "circular", "request_id": f"circular-{self.year}-{self.counter}",
                "title": f"第{self.counter}周督查情况通报", "problem_ids": self.problems_this_week,
                "occurred_at": at(monday + timedelta(days=4), 17),
            })
        self.problems_this_week = []
        if monday.day <= 7:  # the first week of a month: the special report
            self.s.issue_bulletin({
                "kind": "special_report", "request_id": f"special-{self.year}-{monday.month}",
                "title": f"{monday.month}月督查专报",
                "notice_ids": [n for n, _, d in self.notices if d < monday][-5:],
                "occurred_at": at(monday, 16),
            })
        if monday.month in (3, 6, 9) and (monday + timedelta(days=7)).month != monday.month:
            self.s.issue_bulletin({
                "kind": "meeting_circular", "request_id": f"meeting-{self.year}-{monday.month}",
                "title": f"第{monday.month // 3}季度工作推进会通报",
                "meeting": "全区党风廉政建设推进会", "occurred_at": at(monday, 15),
            })
        self._quarterly_reports(monday)

    def _notice_steps(self, monday: date) -> None:
        """Recipients acknowledge, submit their rectification plan (整改方案) and report (a
        cadre named by a notice plans and reports, with their self-examination, themself);
        most on time; some late ones ask for an extension (延期申请), which the commission
        approves or refuses; overdue ones are escalated, a cadre's to accountability (问责),
        a unit's as a case lead (线索)."""
        for notice, unit, deadline in self.notices:
            view = self.s.get_notice({"notice_id": notice})
            status = view["status"]
            issued = datetime.fromisoformat(view["issued_at"]).date()
            cadre = view["recipient_cadre_id"]
            # The recipient: the unit's clerk, or the cadre named by the notice, for themself.
            recipient = (
                self.ctx.cadre(self.persons[cadre], unit) if cadre in self.persons
                else self.ctx.clerk(unit)
            )
            if status == "issued" and monday >= issued:
                acknowledged = max(monday, issued)
                self.clerk(unit).acknowledge_notice({
                    "notice_id": notice, "occurred_at": at(acknowledged, 11),
                })
                recipient.supervision.submit_rectification_plan({
                    "notice_id": notice, "plan": "对照问题制定整改方案，明确责任人和完成时限",
                    "occurred_at": at(acknowledged, 16),
                })
            elif status in ("acknowledged", "sent_back"):
                late = int(notice[-2:], 16) % 7 == 0
                if view["extension_requested"]:
                    # The commission decides on the extension request (延期申请).
                    decide = {"notice_id": notice, "occurred_at": at(monday, 14)}
                    self.extension_decisions += 1
                    if self.extension_decisions % 2 == 1:  # every other one is approved
                        self.s.approve_extension({**decide, "note": "同意延期"})
                    else:
                        self.s.refuse_extension({**decide, "reason": "理由不充分，不予延期"})
                    continue
                current = date.fromisoformat(view["deadline"])
                asked = view["extensions_approved"] + view["extensions_refused"]
                if late and not asked and monday <= current < monday + timedelta(days=7):
                    recipient.supervision.request_extension({
                        "notice_id": notice, "reason": "整改涉及多部门，需延长期限",
                        "requested_deadline": (current + timedelta(days=14)).isoformat(),
                        "occurred_at": at(monday, 10),
                    })
                    continue
                if late and monday <= deadline + timedelta(days=14):
                    continue
                if monday + timedelta(days=7) < deadline and not late:
                    continue
                recipient.supervision.report_rectification({
                    "notice_id": notice, "report": "已按要求完成整改并建立长效机制",
                    "self_examination": "本单位对照问题深刻检查，主要负责人作书面检查",
                    "occurred_at": at(monday + timedelta(days=1)),
                })
            elif status == "rectification_reported":
                if int(notice[-2:], 16) % 11 == 0 and not view["sent_back"]:
                    self.s.send_back_rectification({
                        "notice_id": notice, "reason": "整改不到位，书面检查流于形式",
                        "occurred_at": at(monday + timedelta(days=2)),
                    })
                    continue
                self.s.verify_rectification({
                    "notice_id": notice, "note": "经核查整改到位",
                    "occurred_at": at(monday + timedelta(days=2)),
                })
            elif status == "verified":
                self.s.close_notice({"notice_id": notice,
                                     "occurred_at": at(monday + timedelta(days=3))})
        overdue = [
            o for o in self.s.overdue_notices({"as_of": monday.isoformat()})
            if (monday - date.fromisoformat(o["notice"]["deadline"])).days > 20
            and not o["notice"]["escalated_at"]
        ]
        if overdue:
            # A cadre's overdue notice leads to accountability (问责); a unit's, to a case lead.
            to_cadre = overdue[0]["notice"]["recipient_cadre_id"] is not None
            self.s.escalate_notice({
                "notice_id": overdue[0]["notice"]["notice_id"],
                "route": "accountability" if to_cadre else "case_lead",
                "reason": "逾期二十日未整改，启动问责" if to_cadre
                else "逾期二十日未整改，移送问题线索",
                "occurred_at": at(monday, 16),
            })

    def _quarterly_reports(self, monday: date) -> None:
        """定期汇报制: units report in the first ten days after each quarter. Most reports
        arrive on paper and the commission's clerk records the day each was received; a few
        units enter their report themselves, claiming that day, but the demo enters the year
        after it happened: judged against when the system learned of them, they are late."""
        if monday.month not in (1, 4, 7, 10) or monday.day > 7 or monday == first_monday(self.year):
            return
        quarter = (monday.month - 1) // 3 or 4
        year = self.year if monday.month != 1 else self.year - 1
        for n, (unit, _) in enumerate(self.units):
            if n % 9 == 8:
                continue  # missing
            delay = 12 if n % 7 == 6 else self.rng.randint(0, 6)  # late, or on time
            received = monday + timedelta(days=delay)
            report = {"unit_id": unit, "year": year, "quarter": quarter,
                      "summary": f"第{quarter}季度纪检监察工作汇报"}
            if n % 5 == 4:
                self.clerk(unit).submit_quarterly_report({**report, "occurred_at": at(received)})
            else:
                self.s.record_paper_quarterly_report({
                    **report, "received_on": received.isoformat(),
                })

    def disclosure_trail(self) -> None:
        """党务公开: major decisions of the party committee (主体责任), traced from topic to
        execution check; the last is still open. The party committee's clerk collects the
        topics, records the 区委常委会's decision and publishes the result; the commission
        supervises the execution (监督责任)."""
        steps = [
            ("collect_topic", {"topic": "民生资金监管服务平台建设",
                               "collected_from": "区直单位和社区征集"}),
            ("decide_at_meeting", {"meeting": "区委常委会",
                                   "decision": "建设民生资金监管服务平台"}),
            ("publish_decision_result", {"channel": "党务公开栏", "summary": "平台建设方案公开"}),
            ("supervise_decision_execution", {"findings": "平台已上线，台账按月公开"}),
        ]
        for n in range(4):
            day = date(self.year, 2 + 2 * n, 3)
            decision = ""
            for k, (method, fields) in enumerate(steps[: 4 if n < 3 else 2]):
                command = {**fields, "occurred_at": at(day + timedelta(days=7 * k))}
                by = self.s if method == "supervise_decision_execution" else self.committee
                if method == "collect_topic":
                    command["unit_id"] = self.party_committee
                    command["decision_id"] = self.id(f"decision:{day.isoformat()}")
                    decision = getattr(by, method)(command)
                else:
                    getattr(by, method)({**command, "decision_id": decision})


class SupervisionScenario(Scenario):
    service = "supervision"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx)
        self.year_played: SupervisionYear | None = None
        self.responsibility_seen = 0  # the last position of responsibility's log waited for

    def setup(self) -> None:
        district = self.ctx.district
        if district is None:
            msg = "the supervision scenario needs the district the responsibility one registers"
            raise click.ClickException(msg)
        _wait_until_known(self.audit, len(district.units) + len(district.communities) + 1)
        # Notices name cadres supervision knows: wait until it has read everything the
        # responsibility scenario recorded so far (its cadres included).
        self.responsibility_seen = _wait_until_caught_up(self.ctx.auditor)
        commission = district.units[0][0]
        self.year_played = SupervisionYear(
            self.ctx, self.ctx.rng, self.ctx.year, commission, district.party_committee,
            [(u, name) for u, name, _ in district.units[1:]], district.communities,
            {u: [p.top_cadre, *p.members] for u, p in district.people.items()},
            district.persons,
        )
        self.year_played.start()
        self.year_played.disclosure_trail()

    def after_clock(self, monday: date) -> None:
        assert self.year_played is not None
        # What responsibility's clock recorded this week (an overdue task: a follow-up for
        # the unit's next inspection) reaches supervision asynchronously: wait for it, so that
        # the week's inspections find the same follow-ups open in every run of the seed.
        self.responsibility_seen = _wait_until_caught_up(
            self.ctx.auditor, after=self.responsibility_seen
        )
        self.year_played.play_week(monday)

    def report(self, as_of: date) -> list[str]:
        year = self.ctx.year
        return [
            "",
            f"== {year}年 **区纪委监委监督责任落实情况 (supervision service) ==",
            *report_supervision(self.ctx.auditor, year, as_of),
        ]


SCENARIO = SupervisionScenario


def _wait_until_known(supervision: Any, units: int, timeout: float = 60.0) -> None:
    """Supervision learns the organisation from responsibility's events, asynchronously."""
    deadline = time.monotonic() + timeout
    while len(supervision.list_units()) < units:
        if time.monotonic() > deadline:
            msg = "supervision did not learn the organisation from responsibility's events"
            raise click.ClickException(msg)
        time.sleep(0.2)


def _wait_until_caught_up(auditor: Any, timeout: float = 60.0, after: int = 0) -> int:
    """Until supervision has applied every event responsibility had stored when called
    (read from position ``after`` on); the last such position."""
    last = after
    while page := auditor.responsibility.events_after({"after": after, "limit": 500}):
        last = after = int(page[-1]["sequence"])
    deadline = time.monotonic() + timeout
    while auditor.supervision.upstream_position().get("responsibility", 0) < last:
        if time.monotonic() > deadline:
            msg = "supervision did not catch up with responsibility's events"
            raise click.ClickException(msg)
        time.sleep(0.05)
    return last


def report_supervision(reader: Any, year: int, as_of: date) -> list[str]:
    s = reader.supervision
    counts = s.period_counts({"start": date(year, 1, 1).isoformat(), "end": as_of.isoformat()})
    notices, recipients = counts["notices"], counts["notice_recipients"]
    compliance = s.quarterly_compliance({"year": year, "quarter": 3, "as_of": as_of.isoformat()})
    status: dict[str, int] = {}
    for row in compliance:
        status[row["status"]] = status.get(row["status"], 0) + 1
    submitted = [row for row in compliance if row["submitted_at"]]
    on_paper = sum(1 for row in submitted if row["received_on"])
    disclosure = s.disclosure_coverage({"as_of": as_of.isoformat()})
    open_by_colour: dict[str, int] = {}
    for item in s.open_notices({"as_of": as_of.isoformat()}):
        open_by_colour[item["colour"]] = open_by_colour.get(item["colour"], 0) + 1
    follow_ups = s.open_follow_ups({})
    decisions = s.list_decisions({})
    final = "execution_supervised"
    return [
        f"1－{as_of.month}月，共印发《督查专报》{counts['special_reports']}期、"
        f"《督查通报》{counts['circulars']}期，会议形式通报{counts['meeting_circulars']}次",
        f"对{recipients.get('district_department', 0)}个区直单位、"
        f"{recipients.get('town_or_subdistrict', 0)}个镇街、"
        f"{recipients.get('community', 0)}个社区和"
        f"{recipients.get('cadre', 0)}名干部发出《责令整改通知书》"
        f"(notices: {sum(notices.values())})",
        f"整改方案 rectification plans submitted: {counts['notices_with_plan']}; "
        f"延期申请 extensions approved {counts['extensions_approved']}, "
        f"refused {counts['extensions_refused']}; escalated: "
        f"问责 accountability {counts['escalations'].get('accountability', 0)}, "
        f"线索 case leads {counts['escalations'].get('case_lead', 0)}",
        "inspections: " + ", ".join(f"{k} {n}" for k, n in sorted(counts["inspections"].items()))
        + f"; problems found {counts['problems_found']}",
        "open notices by urgency colour: "
        + (", ".join(f"{k} {n}" for k, n in sorted(open_by_colour.items())) or "none"),
        "定期汇报 Q3 quarterly reports: "
        + ", ".join(f"{k} {n}" for k, n in sorted(status.items()))
        + f" (received on paper {on_paper}, entered by the unit {len(submitted) - on_paper}; "
        "lateness judged against when the commission received or the system learned of each)",
        f"党务公开 disclosure boards: {len(disclosure['with_board'])} of "
        f"{len(disclosure['communities'])} communities; decisions traced "
        f"{sum(1 for d in decisions if d['step'] == final)} complete, "
        f"{sum(1 for d in decisions if d['step'] != final)} still open",
        f"follow-up items from overdue tasks still open: {len(follow_ups)}",
        "每周一督查一通报 weeks without an inspection: "
        + _weeks(counts["weeks_without_inspection"])
        + "; without a circular: " + _weeks(counts["weeks_without_circular"]),
    ]


def _weeks(mondays: list[str]) -> str:
    """Weeks by their Monday to Sunday, e.g. "2 (08-11–08-17, 09-01–09-07)", or "none"."""
    if not mondays:
        return "none"
    spans = [
        f"{date.fromisoformat(m):%m-%d}–{date.fromisoformat(m) + timedelta(days=6):%m-%d}"
        for m in mondays
    ]
    return f"{len(mondays)} ({', '.join(spans)})"

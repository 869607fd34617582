"""Casework's part in the demo year (the discipline commission's 执纪审查), played over RPC:
petitions and tip-offs each week, some under a real name (the reporter's identity sealed by
the service, read once with a stated reason); leads disposed of into the four routes, each
disposal proposed and approved by the commission's principal (who sends one back at least
once); 谈话函询 and 初步核实 (the party secretary approving a verification of a unit's
principal); cases filed with both approvals, announced and notified to the organisation,
investigated, reviewed and decided per person, each outcome announced and then executed (at
least one person appealing, themself, in between); 一案双查 of an area of responsibility under
the letters of the leaders who answer for it; the transferred petitions that supervision's
escalated notices (and funds' referrals, when funds plays) became, handled in the week, and the
accountability examinations of ignored notices. Then the figures beside the seed's sentence.

The commission's clerk acts for the discipline commission (``discipline_commission``), the
party committee's clerk approves filings and the verification of a principal
(``party_committee``). Randomness comes from a generator of casework's own, seeded from the
run's seed, so the other scenarios draw the same numbers with or without casework, and every
id is derived from the seed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click

from dutytrail_ops.demo.responsibility import RISKS
from dutytrail_ops.demo.timeline import DemoContext, Scenario, demo_id
from shared.roles import DISCIPLINE_COMMISSION, PARTY_COMMITTEE

# The seed's sentence on casework (§二(二)), in the seed's own 2014 terms.
SEED_CASEWORK = "1－11月，**区纪委受理信访举报件**件，初核**件，立案**件**人，已结案**件，处分**人"
# The seed's terms and today's (one era of terms: today's everywhere but in seed quotations).
TERMS = "区纪委 → 区纪委监委; 监察局 → 区纪委监委; 政纪处分 → 政务处分"
CHANNELS = ["hotline", "report_box", "letter", "visit", "online"]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
MATTERS = ["违规发放补贴", "优亲厚友评定低保", "公款吃喝", "收受礼金", "工程项目插手干预",
           "挪用专项资金", "违规操办婚丧喜庆"]
PARTY_SANCTIONS = ["warning", "serious_warning", "removal_from_party_post",
                   "probation_within_party"]
GOVERNMENT_SANCTIONS = ["warning", "demerit", "major_demerit", "demotion"]
UPSTREAMS = ("supervision", "funds")


def at(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC).isoformat()


@dataclass
class Matter:
    """A lead the demo follows through its steps (the service holds the truth)."""

    lead_id: str
    unit_id: str
    cadre_id: str | None
    person_id: str | None
    petition_id: str | None = None
    anonymous: bool = True
    stage: str = "registered"
    since: date = date.min
    case_id: str | None = None
    appealed: bool = False


@dataclass
class CaseworkYear:
    ctx: DemoContext
    rng: random.Random
    year: int
    commission: str
    party_committee: str
    units: list[str]
    top_cadres: dict[str, str]  # unit id -> its top leader's cadre id
    persons: dict[str, str]  # cadre id -> person id
    matters: list[Matter] = field(default_factory=list)
    petitions: list[tuple[str, str, bool]] = field(default_factory=list)  # id, week, anonymous
    seen: dict[str, int] = field(default_factory=dict)  # upstream -> last position waited for
    counter: int = 0
    returned: int = 0  # disposals the principal sent back
    appeals: int = 0  # appeals the persons lodged

    def id(self, key: str) -> str:
        return demo_id(self.ctx.seed, f"casework:{self.year}:{key}")

    @property
    def c(self) -> Any:
        return self.ctx.clerk(self.commission, DISCIPLINE_COMMISSION).casework

    @property
    def principal(self) -> Any:
        """The commission's principal, who approves the disposals its staff propose."""
        return self.ctx.acting.as_(self.id("commission-principal"), self.commission,
                                   DISCIPLINE_COMMISSION).casework

    @property
    def committee(self) -> Any:
        return self.ctx.clerk(self.party_committee, PARTY_COMMITTEE).casework

    # The week.

    def play_week(self, monday: date) -> None:
        self._handle_petitions(monday)
        self._receive_petitions(monday)
        for matter in list(self.matters):
            self._advance(matter, monday)

    def take_upstream_leads(self, monday: date) -> None:
        """What supervision's escalations (and funds' referrals) became once casework applied
        what those services stored: transferred petitions, handled within the week like any
        other (most accepted, a few passed on); accountability examinations, taken up on the
        first Monday of each month."""
        for upstream in UPSTREAMS:
            if upstream in self.ctx.services:
                self.seen[upstream] = _wait_until_caught_up(
                    self.ctx.auditor, upstream, self.seen.get(upstream, 0))
        for petition in self.c.list_petitions({"channel": "transferred", "status": "received"}):
            handle = {"petition_id": petition["petition_id"], "occurred_at": at(monday, 14)}
            if self.rng.random() < 0.1 or not petition["reported_unit_id"]:
                self.c.pass_on_petition({**handle, "to_body": "区政府督查室"})
                continue
            lead = self.c.accept_petition(handle)
            unit = petition["reported_unit_id"]
            cadre = self.top_cadres.get(unit)
            self.matters.append(Matter(lead, unit, cadre, self.persons.get(cadre or ""),
                                       since=monday))
        if monday.day > 7:
            return
        for examination in self.c.list_examinations({"open_only": True}):
            if examination["decisions"] == 0:
                self._hold_accountable(examination["examination_id"],
                                       examination["unit_id"], monday)

    def _receive_petitions(self, monday: date) -> None:
        for _ in range(self.rng.choice([0, 1, 1])):
            self.counter += 1
            unit = self.rng.choice(self.units)
            cadre = self.top_cadres.get(unit) if self.rng.random() < 0.3 else None
            anonymous = self.rng.random() < 0.6
            petition = self.id(f"petition:{self.counter}")
            command: dict[str, Any] = {
                "petition_id": petition, "command_id": self.id(f"receive:{self.counter}"),
                "channel": self.rng.choice(CHANNELS), "anonymous": anonymous,
                "reported_unit_id": unit,
                "reported_person_id": self.persons.get(cadre) if cadre else None,
                "summary": f"反映{self.rng.choice(MATTERS)}问题",
                "occurred_at": at(monday, 9),
            }
            if not anonymous:
                command["reporter_name"] = self.rng.choice(SURNAMES) + "某" + str(self.counter)
                command["reporter_contact"] = f"139{self.rng.randrange(10**8):08d}"
            if self.counter % 9 == 0 and self.petitions:
                command["repeat_of"] = self.petitions[-1][0]  # the same matter again
            self.c.receive_petition(command)
            self.petitions.append((petition, monday.isoformat(), anonymous))
            self.matters.append(Matter(
                "", unit, cadre, self.persons.get(cadre) if cadre else None, petition,
                anonymous, "petition", monday))

    def _handle_petitions(self, monday: date) -> None:
        for matter in [m for m in self.matters if m.stage == "petition" and m.since < monday]:
            petition = {"petition_id": matter.petition_id, "occurred_at": at(monday, 10)}
            draw = self.rng.random()
            if draw < 0.12:
                self.c.not_accept_petition({**petition, "reason": "不属于纪检监察机关受理范围"})
                self.matters.remove(matter)
            elif draw < 0.2:
                self.c.pass_on_petition({**petition, "to_body": "区信访局"})
                self.matters.remove(matter)
            else:
                matter.lead_id = self.c.accept_petition(petition)
                matter.stage, matter.since = "registered", monday
                if any(m is not matter and m.lead_id == matter.lead_id for m in self.matters):
                    self.matters.remove(matter)  # a repeat joins the lead it repeats
            if not matter.anonymous:
                self.c.tell_reporter_of_acceptance({**petition, "occurred_at": at(monday, 15)})

    # A lead's steps, a week or more apart.

    def _advance(self, m: Matter, monday: date) -> None:
        weeks = (monday - m.since).days // 7
        lead = {"lead_id": m.lead_id, "occurred_at": at(monday, 11)}
        step = m.stage
        if step == "registered" and weeks >= 1:
            draw = self.rng.random()
            route = ("preliminary_verification" if m.petition_id is None or draw < 0.4 else
                     "talk_or_letter_inquiry" if draw < 0.75 else
                     "held" if draw < 0.85 else "closed")
            self.c.propose_disposal({**lead, "route": route, "collective_decision":
                                     f"{monday:%m月%d日}线索处置会集体研究"})
            if route == "closed" and (not self.returned or self.rng.random() < 0.3):
                # The principal sends a proposal to close back: disposed of again next week.
                self.principal.return_disposal({**lead, "reason": "反映问题尚未核清，重新研究",
                                                "occurred_at": at(monday, 15)})
                self.returned += 1
                m.since = monday
                return
            self.principal.approve_disposal({**lead, "occurred_at": at(monday, 15)})
            self._move(m, {"preliminary_verification": "proposed",
                           "talk_or_letter_inquiry": "inquiry", "held": "held",
                           "closed": "done"}[route], monday)
        elif step == "held" and weeks >= 8:
            self.c.propose_disposal({**lead, "route": "preliminary_verification",
                                     "collective_decision": "暂存线索再次集体研究"})
            self.principal.approve_disposal({**lead, "occurred_at": at(monday, 15)})
            self._move(m, "proposed", monday)
        elif step == "inquiry" and weeks >= 2:
            signer = self.persons.get(self.top_cadres.get(m.unit_id, ""), self.commission)
            self.c.reply_to_inquiry({**lead, "reply": "对反映问题作出书面说明",
                                     "countersigned_by": signer})
            self._move(m, "replied", monday)
        elif step == "replied" and weeks >= 1:
            outcome = self.rng.choice(["cleared", "cleared", "criticism_and_education",
                                       "ordered_self_examination", "admonishment",
                                       "to_verification"])
            self.c.conclude_inquiry({**lead, "outcome": outcome, "note": "经集体研究"})
            self._move(m, "proposed" if outcome == "to_verification" else "done", monday)
            if outcome == "cleared" and not m.anonymous and m.petition_id:
                self._tell_result(m, monday)
        elif step == "proposed" and weeks >= 1:
            self.c.approve_verification({**lead, "team": [self.id(f"staff:{n}")
                                                          for n in (1, 2)]})
            # Only a lead naming a unit's principal can await the party secretary.
            if m.cadre_id is not None and self.c.get_lead(
                    {"lead_id": m.lead_id})["status"] == "awaiting_secretary":
                self.committee.approve_verification_as_secretary(
                    {**lead, "occurred_at": at(monday, 16)})
            self._move(m, "verifying", monday)
        elif step == "verifying" and weeks >= 6:
            file_case = self.rng.random() < 0.55
            self.c.conclude_verification({**lead, "file_case": file_case,
                                          "reason": "问题线索基本属实" if file_case
                                          else "反映问题不属实"})
            if file_case:
                self._file_case(m, monday)
            else:
                self._move(m, "done", monday)
                if m.petition_id and m.anonymous and self.rng.random() < 0.3:
                    self.c.record_false_accusation({**lead, "petition_id": m.petition_id,
                                                    "note": "经查系捏造事实诬告"})
                    self.c.clear_name({**lead, "how": "在一定范围内为被诬告干部澄清正名"})
                elif m.petition_id and not m.anonymous:
                    self._tell_result(m, monday)
        elif step == "announced" and weeks >= 8:
            self._case_step(m, "conclude_investigation", monday, findings="违纪事实清楚")
            self._move(m, "in_review", monday)
        elif step == "in_review" and weeks >= 2:
            self._case_step(m, "conclude_review", monday, opinion="定性准确，处理恰当")
            self._decide(m, monday)
            self._move(m, "decided", monday)
        elif step == "decided" and weeks >= 1:
            # Announced to the person; some appeal, themselves, before the execution.
            self._case_step(m, "announce_outcome", monday, person_id=m.person_id,
                            note="向本人宣布处理决定")
            if not self.appeals or self.rng.random() < 0.2:
                self.appeals += 1
                appellant = self.ctx.cadre(m.person_id or "", m.unit_id).casework
                appellant.lodge_appeal({"case_id": m.case_id, "person_id": m.person_id,
                                        "grounds": "认为处理偏重，提出申诉",
                                        "occurred_at": at(monday, 16)})
                m.appealed = True
            self._move(m, "announced_outcome", monday)
        elif step == "announced_outcome" and weeks >= 1:
            self._case_step(m, "execute_outcome", monday, person_id=m.person_id,
                            note="执行到位")
            if m.appealed:
                self._case_step(m, "decide_appeal", monday, person_id=m.person_id,
                                upheld=False, note="经复查，维持原处理决定")
            self._case_step(m, "close_case", monday)
            self._move(m, "done", monday)
            if self.rng.random() < 0.5:
                # 一案双查 of the area the matter touched (the risk point of the post).
                examination = self.c.open_accountability({
                    "case_id": m.case_id, "unit_id": m.unit_id, "reason": "一案双查",
                    "area": self.rng.choice(RISKS)[0],
                    "command_id": self.id(f"accountability:{m.case_id}"),
                    "occurred_at": at(monday, 15)})
                self._hold_accountable(examination, m.unit_id, monday)
            if m.petition_id and not m.anonymous:
                self._tell_result(m, monday)

    def _move(self, m: Matter, stage: str, monday: date) -> None:
        m.stage, m.since = stage, monday
        if stage == "done":
            self.matters.remove(m)

    def _tell_result(self, m: Matter, monday: date) -> None:
        petition = {"petition_id": m.petition_id, "occurred_at": at(monday, 17)}
        self.c.read_reporter_identity({**petition, "reason": "电话告知举报人核查结果"})
        self.c.tell_reporter_of_result(petition)

    def _file_case(self, m: Matter, monday: date) -> None:
        cadre = m.cadre_id or self.top_cadres.get(m.unit_id)
        m.person_id = m.person_id or self.persons.get(cadre or "") or self.id(
            f"person:{m.lead_id}")
        m.case_id = self.c.file_case({
            "lead_id": m.lead_id, "case_id": self.id(f"case:{m.lead_id}"),
            "command_id": self.id(f"file:{m.lead_id}"), "summary": "涉嫌违纪",
            "persons": [{"person_id": m.person_id, "cadre_id": cadre, "unit_id": m.unit_id}],
            "key_areas": self.rng.sample(["key_field", "key_post", "key_step"],
                                         self.rng.choice([0, 1, 1, 2])),
            "harms_public_interest": self.rng.random() < 0.4, "occurred_at": at(monday, 14),
        })
        self._case_step(m, "approve_filing_by_commission", monday + timedelta(days=1))
        self.committee.approve_filing_by_committee({
            "case_id": m.case_id, "occurred_at": at(monday + timedelta(days=2), 10)})
        self._case_step(m, "announce_filing", monday + timedelta(days=3),
                        note="向被审查人宣布立案决定")
        self._case_step(m, "notify_organisation", monday + timedelta(days=4),
                        unit_id=m.unit_id, note="通报所在单位党组织")
        self._move(m, "announced", monday)

    def _case_step(self, m: Matter, step: str, day: date, **more: Any) -> None:
        getattr(self.c, step)({"case_id": m.case_id, **more, "occurred_at": at(day, 11)})

    def _decide(self, m: Matter, monday: date) -> None:
        draw = self.rng.random()
        kind, sanction, form = (
            ("party_sanction", self.rng.choice(PARTY_SANCTIONS), "second") if draw < 0.45 else
            ("government_sanction", self.rng.choice(GOVERNMENT_SANCTIONS), "second")
            if draw < 0.65 else
            ("admonishment", None, "first") if draw < 0.8 else
            ("organisational_handling", None, "first") if draw < 0.9 else
            ("transfer_to_judiciary", None, "fourth") if draw < 0.95 else
            ("exemption", None, "first"))
        if sanction in ("probation_within_party", "removal_from_party_post", "demotion"):
            form = "third"
        confiscated = Decimal(self.rng.randrange(0, 8)) * Decimal("2500.50")
        self._case_step(m, "decide_outcome", monday, person_id=m.person_id, kind=kind,
                        sanction=sanction, form=form, confiscated=str(confiscated),
                        note="经审理")

    def _hold_accountable(self, examination: str, unit: str, monday: date) -> None:
        """The leaders who answer for the examined unit (and area): the top leader for the
        whole of it, a member in charge of the area for that line of work, each under their
        signed letter's clause on the matter."""
        # The letters as casework learned them: wait until casework has read responsibility's
        # log (the same decisions in every run of the seed).
        self.seen["responsibility"] = _wait_until_caught_up(
            self.ctx.auditor, "responsibility", self.seen.get("responsibility", 0))
        top = self.top_cadres.get(unit)
        letters = [x for x in self.c.leaders_to_examine({"examination_id": examination})
                   if x["cadre_id"]]
        for letter in sorted(letters, key=lambda x: x["cadre_id"] != top)[:2]:
            kind = "individual" if letter["individual_clauses"] else "common"
            self.c.decide_accountability({
                "examination_id": examination, "cadre_id": letter["cadre_id"],
                "letter_id": letter["letter_id"], "clause_kind": kind, "clause_number": 1,
                "form": self.rng.choice(["circular", "circular", "admonishment",
                                         "organisational_adjustment"]),
                "degree": "overall_leadership" if letter["top_leader"] else "main_leadership",
                "occurred_at": at(monday, 16)})
        self.c.conclude_accountability({"examination_id": examination,
                                        "note": "问责调查结束", "occurred_at": at(monday, 17)})


class CaseworkScenario(Scenario):
    service = "casework"
    # Funds' referrals become leads when funds plays; casework's year plays without them.
    optional_upstreams = ("funds",)

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx)
        self.year_played: CaseworkYear | None = None

    def setup(self) -> None:
        district = self.ctx.district
        if district is None:
            msg = "the casework scenario needs the district the responsibility one registers"
            raise click.ClickException(msg)
        self.year_played = CaseworkYear(
            self.ctx, random.Random(f"casework:{self.ctx.seed}"), self.ctx.year,
            district.units[0][0], district.party_committee,
            [u for u, _, _ in district.units[1:]],
            {u: p.top_cadre for u, p in district.people.items()}, district.persons,
        )
        # Whether a verification waits for the party secretary depends on the cadres casework
        # learned: start once it has read what responsibility registered.
        self.year_played.seen["responsibility"] = _wait_until_caught_up(
            self.ctx.auditor, "responsibility", 0)

    def before_clock(self, monday: date) -> None:
        assert self.year_played is not None
        self.year_played.play_week(monday)

    def after_clock(self, monday: date) -> None:
        assert self.year_played is not None
        self.year_played.take_upstream_leads(monday)

    def report(self, as_of: date) -> list[str]:
        year = self.ctx.year
        f = self.audit.figures({"start": date(year, 1, 1).isoformat(),
                                "end": as_of.isoformat()})
        routes, forms = f["leads_by_route"], f["four_forms"]
        accountability = f["accountability_by_form"]
        return [
            "",
            f"== {year}年 **区纪委监委执纪审查 (casework service) ==",
            f"  1－{as_of.month}月，区纪委监委受理信访举报{f['petitions_accepted']}件，"
            f"初核{f['preliminary_verifications']}件，立案{f['cases_filed']}件"
            f"{f['persons_filed']}人，已结案{f['cases_closed']}件，"
            f"处分{f['persons_sanctioned']}人",
            # The seed's words, quoted as the seed wrote them (2014), then today's names.
            f"  seed (2014): “{SEED_CASEWORK}”",
            f"  术语 today's names (docs/glossary.md): {TERMS}",
            f"  信访举报 received {f['petitions_received']} (repeats not counted again: "
            f"{f['repeat_petitions']}); 问题线索 registered {f['leads_registered']}, disposed: "
            f"谈话函询 {routes['talk_or_letter_inquiry']}, 初步核实 "
            f"{routes['preliminary_verification']}, 暂存待查 {routes['held']}, "
            f"予以了结 {routes['closed']}",
            f"  四种形态 first {forms['first']}, second {forms['second']}, third "
            f"{forms['third']}, fourth {forms['fourth']}; 诫勉 {f['admonishments']}; "
            f"收缴 money confiscated ¥{f['confiscated']}",
            f"  重点领域/关键岗位/重要环节 cases: {f['cases_by_key_area']['key_field']}/"
            f"{f['cases_by_key_area']['key_post']}/{f['cases_by_key_area']['key_step']}; "
            f"harming the public's direct interests {f['cases_harming_public_interest']}",
            f"  问责 accountability: 通报 {accountability['circular']}, 诫勉 "
            f"{accountability['admonishment']}, 组织调整 "
            f"{accountability['organisational_adjustment']}, 纪律处分 "
            f"{accountability['disciplinary_sanction']}; 诬告陷害 found "
            f"{f['false_accusations']}, 澄清正名 {f['names_cleared']}",
            f"  转办 transferred petitions {f['petitions_by_channel'].get('transferred', 0)}; "
            f"处理决定 announced {f['outcomes_announced']}, executed "
            f"{f['outcomes_executed']}, 申诉 appeals {f['appeals_lodged']}; 问责 by area: "
            + (", ".join(f"{area or '全单位'} {n}" for area, n
                         in sorted(f["accountability_by_area"].items())) or "none"),
        ]


SCENARIO = CaseworkScenario


def _wait_until_caught_up(auditor: Any, upstream: str, after: int,
                          timeout: float = 60.0) -> int:
    """Until casework has applied every event ``upstream`` had stored when called (read from
    position ``after`` on); the last such position."""
    last = after
    while page := getattr(auditor, upstream).events_after({"after": after, "limit": 500}):
        last = after = int(page[-1]["sequence"])
    deadline = time.monotonic() + timeout
    while auditor.casework.upstream_position().get(upstream, 0) < last:
        if time.monotonic() > deadline:
            msg = f"casework did not catch up with {upstream}'s events"
            raise click.ClickException(msg)
        time.sleep(0.05)
    return last

"""`dutytrail demo`: a seeded, reproducible district year, played over RPC against the services
that `dutytrail up` runs, then the figures those services report and what an outside
subscriber received on the bus."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import click

from shared.demo_supervision import SupervisionYear, report_supervision
from shared.demo_tasks import TaskYear, UnitPeople, report_tasks
from shared.envelope import parse_position

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
LINES = ["财务", "人事", "项目", "执法", "采购", "后勤", "宣传", "信访", "审批", "统计"]
CLERK = uuid5(NAMESPACE_URL, "urn:dutytrail:demo:clerk")
SUBSCRIBER_QUEUE = "dutytrail.demo.subscriber"


def _at(day: date) -> str:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC).isoformat()


def _person(seed: int, key: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:dutytrail:demo:{seed}:{key}"))


class Demo:
    def __init__(self, rpc: Any, seed: int, year: int) -> None:
        self.rpc = rpc
        self.rng = random.Random(seed)
        self.seed = seed
        self.year = year
        self.refusals: list[str] = []
        self.pc_unit = ""
        self.units: list[tuple[str, str, str]] = []  # id, name, kind
        self.communities: list[str] = []
        self.people: dict[str, UnitPeople] = {}

    def actor(self, unit_id: str) -> dict[str, str]:
        return {"person_id": str(CLERK), "unit_id": unit_id}

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(2))

    def try_command(self, method: Any, command: dict[str, Any]) -> Any:
        try:
            return method(command)
        except Exception as error:  # noqa: BLE001 - a refusal is part of the story
            self.refusals.append(str(error).splitlines()[0][:160])
            return None

    def organise(self) -> None:
        """Step. The party committee, departments, towns and communities, and their leaders."""
        r = self.rpc.responsibility
        jan2 = date(self.year, 1, 2)
        self.pc_unit = r.register_unit({
            "code": "PC", "name": "**区委", "kind": "party_committee",
            "actor": {"person_id": str(CLERK), "unit_id": str(CLERK)}, "occurred_at": _at(jan2),
        })
        for i, name in enumerate(DEPARTMENTS):
            unit = r.register_unit({
                "code": f"D{i + 1:02d}", "name": name, "kind": "district_department",
                "parent_unit_id": self.pc_unit, "actor": self.actor(self.pc_unit),
                "occurred_at": _at(jan2),
            })
            self.units.append((unit, name, "district_department"))
        towns = []
        for i, (kind, name) in enumerate(TOWNS):
            unit = r.register_unit({
                "code": f"T{i + 1:02d}", "name": name, "kind": kind,
                "parent_unit_id": self.pc_unit, "actor": self.actor(self.pc_unit),
                "occurred_at": _at(jan2),
            })
            towns.append(unit)
            self.units.append((unit, name, kind))
        for i in range(10):
            self.communities.append(r.register_unit({
                "code": f"C{i + 1:02d}", "name": f"**社区{i + 1}", "kind": "community",
                "parent_unit_id": towns[i % len(towns)], "actor": self.actor(self.pc_unit),
                "occurred_at": _at(jan2),
            }))
        for k, (unit, _, _) in enumerate(self.units):
            people = None
            for j in range(1 + self.rng.randint(1, 2)):
                person = _person(self.seed, f"cadre:{k}:{j}")
                top = j == 0
                cadre = r.register_cadre({
                    "person_id": person, "name": self.name(), "unit_id": unit,
                    "post_title": "党组书记、局长" if top else "党组成员、副局长",
                    "line_of_work": self.rng.choice(RISKS)[0], "leadership_member": True,
                    "top_leader": top, "actor": self.actor(self.pc_unit),
                    "occurred_at": _at(date(self.year, 1, 3)),
                })
                if people is None:
                    people = UnitPeople(unit, cadre)
                else:
                    people.members.append(cadre)
                self.signatories.append((unit, cadre, person, top))
            assert people is not None
            self.people[unit] = people

    signatories: list[tuple[str, str, str, bool]]

    def letters(self) -> list[tuple[str, str, tuple[str, str], bool]]:
        """Step. Letters drafted in January, signed level by level before the end of
        February: "common + individual", each individual clause written for the post."""
        r = self.rpc.responsibility
        letters: list[tuple[str, str, tuple[str, str], bool, list[dict[str, str]]]] = []
        for n, (unit, cadre, person, top) in enumerate(self.signatories):
            unit_name = next(name for u, name, _ in self.units if u == unit)
            risk = self.rng.choice(RISKS)
            line = LINES[n % len(LINES)]
            post = "主要负责人" if top else f"分管{line}的班子成员"
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
                "actor": self.actor(self.pc_unit),
                "occurred_at": _at(date(self.year, 1, 10)),
            })
            letters.append((letter, person, risk, standardised, clauses))
        for n, (letter, person, _risk, standardised, clauses) in enumerate(letters):
            day = date(self.year, 1, 15) + timedelta(days=n % 40)
            sign = {
                "letter_id": letter, "issuer_person_id": str(CLERK),
                "signatory_person_id": person, "actor": self.actor(self.pc_unit),
                "occurred_at": _at(day),
            }
            if standardised:
                # A standardised letter is refused; half get their individual clauses in time.
                self.try_command(r.sign_letter, sign)
                if n % 2:
                    continue
                for clause in clauses:
                    r.add_individual_clause({
                        "letter_id": letter, "text": clause["text"],
                        "risk_point": clause["risk_point"], "actor": self.actor(self.pc_unit),
                        "occurred_at": _at(day),
                    })
            r.sign_letter(sign)
        return [(x[0], x[1], x[2], x[3] and bool(i % 2)) for i, x in enumerate(letters)]

    def supersede(self, letters: list[tuple[str, str, tuple[str, str], bool]]) -> None:
        """Step. In July a post changes; the signed letter is superseded, never edited."""
        r = self.rpc.responsibility
        letter = next(x[0] for x in letters if not x[3])
        old = r.get_letter({"letter_id": letter})
        self.try_command(r.add_individual_clause, {
            "letter_id": letter, "text": "追加条款", "risk_point": "人事任免",
            "actor": self.actor(self.pc_unit), "occurred_at": _at(date(self.year, 7, 1)),
        })
        new_risk = RISKS[-1]
        r.supersede_letter({
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
            "actor": self.actor(self.pc_unit), "occurred_at": _at(date(self.year, 7, 1)),
        })

    def play(self) -> None:
        self.signatories = []
        self.organise()
        letters = self.letters()
        tasks = TaskYear(self.rpc, self.rng, self.year, self.pc_unit, self.actor)
        tasks.create([self.people[u] for u, _, _ in self.units])
        tasks.educate([self.people[u] for u, _, _ in self.units])
        supervision = None
        if "supervision" in self.services:
            _wait_until_known(self.rpc, len(self.units) + len(self.communities) + 1)
            commission = self.units[0][0]
            supervision = SupervisionYear(
                self.rpc, self.rng, self.year, commission,
                [(u, name) for u, name, _ in self.units[1:]], self.communities, self.actor,
                {u: [p.top_cadre, *p.members] for u, p in self.people.items()},
            )
            supervision.start()
            supervision.disclosure_trail()
        # Step. The clock: every Monday of the year, in every service.
        monday = date(self.year, 1, 5)
        while monday.year == self.year and monday <= self.until:
            tasks.play_week(monday)
            if monday == date(self.year, 6, 29):
                self.supersede(letters)
            for service in self.services:
                getattr(self.rpc, service).check_deadlines({"as_of": _at(monday)})
            if supervision is not None:
                supervision.play_week(monday)
            monday += timedelta(days=7)

    services: list[str]
    until: date


def _wait_until_known(rpc: Any, units: int, timeout: float = 60.0) -> None:
    """Supervision learns the organisation from responsibility's events, asynchronously."""
    deadline = time.monotonic() + timeout
    while len(rpc.supervision.list_units()) < units:
        if time.monotonic() > deadline:
            msg = "supervision did not learn the organisation from responsibility's events"
            raise click.ClickException(msg)
        time.sleep(0.2)


def _wait_for(rpc: Any, services: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for service in services:
        while True:
            try:
                getattr(rpc, service).ping()
                break
            except Exception as error:
                if time.monotonic() > deadline:
                    msg = (
                        f"{service} did not answer within {timeout:.0f}s: "
                        "is `dutytrail up` running?"
                    )
                    raise click.ClickException(msg) from error
                time.sleep(0.5)


def _subscriber_queue(service: str) -> str:
    return f"{SUBSCRIBER_QUEUE}.{service}"


def _drain_subscriber(
    channel: Any, queue: str, expected_last: int, timeout: float
) -> list[dict[str, Any]]:
    import json

    received: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    last = 0
    while last < expected_last and time.monotonic() < deadline:
        message = channel.basic_get(queue, no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        event = json.loads(message.body)
        received[event["id"]] = event  # outside subscribers deduplicate by id
        last = max(last, parse_position(event["sequence"]))
    return sorted(received.values(), key=lambda e: parse_position(e["sequence"]))


def run_demo(seed: int, year: int, timeout: float) -> int:
    from kombu.connection import Connection
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.nameko_adapters import service_config
    from shared.runner import available_services
    from shared.settings import amqp_uri

    services = available_services()
    click.echo(f"dutytrail demo: seed {seed}, year {year}, services {', '.join(services)}")
    report_day = date(year, 11, 30)  # the seed's figures run January to November
    with Connection(amqp_uri()) as conn:
        channel = conn.channel()
        # An outside system's subscriber: one durable queue per service, bound before anything
        # happens, so every event published this year must arrive in it.
        for service in services:
            queue = _subscriber_queue(service)
            channel.exchange_declare(f"{service}.events", "topic", durable=True,
                                     auto_delete=False)
            channel.queue_declare(queue, durable=True, auto_delete=False)
            channel.queue_bind(queue, f"{service}.events", "#")
            channel.queue_purge(queue)
        with ClusterRpcProxy(service_config(), timeout=120) as rpc:
            _wait_for(rpc, services, timeout)
            r = rpc.responsibility
            if r.list_units():
                raise click.ClickException(
                    "the responsibility store already holds a district; the demo needs empty "
                    "stores (deploy/demo.sh starts the services on fresh ones)."
                )
            started = time.monotonic()
            demo = Demo(rpc, seed, year)
            demo.services = services
            demo.until = date(year, 12, 31)
            demo.play()
            elapsed = time.monotonic() - started
            units = r.list_units()
            letters = r.list_letters({"year": year})
            cadres = r.list_cadres()
            sections = {"responsibility": report_tasks(rpc, year, report_day)}
            if "supervision" in services:
                sections["supervision"] = report_supervision(rpc, year, report_day)
            stored = {
                service: _all_events(getattr(rpc, service)) for service in services
            }
        received = {
            service: _drain_subscriber(
                channel, _subscriber_queue(service),
                max((parse_position(e["sequence"]) for e in stored[service]), default=0),
                timeout,
            )
            for service in services
        }
        for service in services:
            # Do not leave a durable queue collecting every event after the demo is over.
            channel.queue_delete(_subscriber_queue(service))
    _report(year, units, cadres, letters, demo.refusals, elapsed, sections)
    for service in services:
        _report_bus(service, stored[service], received[service])
    click.echo(f"scenario played in {elapsed:.1f}s over RPC")
    return 0


def _all_events(r: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = r.events_after({"after": after, "limit": 500})
        events += page
        if len(page) < 500:
            return events
        after = parse_position(page[-1]["sequence"])


def _report(
    year: int, units: list[dict[str, Any]], cadres: list[dict[str, Any]],
    letters: list[dict[str, Any]], refusals: list[str], elapsed: float,
    sections: dict[str, list[str]],
) -> None:
    kinds = Counter(u["kind"] for u in units)
    status = Counter(v["status"] for v in letters)
    overdue = sum(1 for v in letters if v["signing_overdue"])
    covered = {v["signatory_unit_id"] for v in letters if v["status"] in ("signed", "superseded")}
    leaders = [c for c in cadres if c["leadership_member"]]
    covered_people = {
        v["signatory_cadre_id"] for v in letters if v["status"] in ("signed", "superseded")
    }
    click.echo("")
    click.echo(f"== {year}年 **区党风廉政建设主体责任落实情况 (responsibility service) ==")
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    click.echo(f"单位 units: {len(units)}  {by_kind}")
    leaders_covered = len(covered_people & {c["cadre_id"] for c in leaders})
    click.echo(f"班子成员 leadership members: {len(leaders)}, "
               f"covered by a signed letter: {leaders_covered}")
    click.echo(f"责任书 letters: {len(letters)}  签字背书 signed {status['signed']}, "
               f"superseded {status['superseded']}, still draft {status['draft']}")
    click.echo(f"逾期未签 letters recorded overdue (sign by 28 Feb): {overdue}")
    click.echo(f"units holding a signed letter: {len(covered)}")
    click.echo(f"refused commands (clear errors, nothing stored): {len(refusals)}")
    for refusal in refusals[:3]:
        click.echo(f"  - {refusal}")
    for line in sections["responsibility"]:
        click.echo(line)
    if "supervision" in sections:
        click.echo("")
        click.echo(f"== {year}年 **区纪委监督责任落实情况 (supervision service) ==")
        for line in sections["supervision"]:
            click.echo(line)


def _report_bus(
    service: str, stored: list[dict[str, Any]], received: list[dict[str, Any]]
) -> None:
    chain_ok = all(
        received[i]["prevsequence"] == received[i - 1]["sequence"] for i in range(1, len(received))
    ) and [e["id"] for e in received] == [e["id"] for e in stored]
    types = Counter(e["type"].split(".")[2] for e in received)
    click.echo("")
    click.echo(f"== outside subscriber on {service}.events ==")
    click.echo(f"stored events: {len(stored)}; "
               f"CloudEvents received (deduplicated by id): {len(received)}; "
               f"prevsequence chain unbroken: {'yes' if chain_ok else 'NO'}")
    click.echo("by type: " + ", ".join(f"{t} {n}" for t, n in sorted(types.items())))

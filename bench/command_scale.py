"""Commands as the year grows (issue 8, items 3 and 4): signing a letter against thousands of
letters, issuing a bulletin after thousands, and a command on an aggregate with 10,000 events,
each against its baseline in the same run.

    .venv/bin/python bench/command_scale.py [--postgres] [--runs 3] [--letters 100,1000,5000]
        [--signings 10] [--bulletins 100,5000] [--issues 20] [--events 10000] [--commands 50]

In-process applications, one thread, each on a fresh store (SQLite in a temporary directory,
or PostgreSQL with ``--postgres`` under a unique schema prefix, dropped at the end), saving
through the outbox as a service does (development keys in a temporary key directory). Each
history is filled through the domain, in batches, then every figure is the mean time of one
whole use case (load, rules, save, outbox) over ``--signings``/``--issues``/``--commands``
calls; ``--runs`` runs, printed as min / median / max of the runs' means, and the ratios of
each run (both sides of a ratio are measured in the same run, alternately).

1. ``sign_letter``: ``countersign_letter``, the second signature, which runs the boilerplate
   check, with N letters of the year already signed. *index*: the application as it is (the
   read model's bigram index finds the candidates; exact Sørensen–Dice on their cached
   bigrams confirms). *scan*: the same application comparing with every letter and
   recomputing each one's bigrams, the path before the index. And the check alone (no load,
   no save) both ways, on the same letters, with the answers compared.
2. ``issue_bulletin`` with N bulletins of the kind already issued this year: with the
   register's snapshots, and the same store read by an application without snapshots (it
   replays every number).
3. ``report_progress`` on a task with ``--events`` events against the same command on fresh
   tasks (one event each), with snapshots and without.

Letters are drawn from a bank of clause fragments (BUSINESS × ACTIONS × NOUNS, MEASURES):
3–6 clauses of 20–60 characters, about 100 bigrams a letter; two random letters score about
0.2, and 3 % are near-copies of an earlier letter (a character or two changed per clause).

Figures: bench/README.md ("Commands as the year grows").
"""

from __future__ import annotations

import os

os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")  # development keys, for this run only

import argparse
import logging
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from cleanup import own_directory, unwind_on_sigterm

from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from services.responsibility.domain import Cadre, Letter, Task, Unit
from services.responsibility.domain.letters import ShinglesOf
from services.responsibility.views import LetterView
from services.supervision.application import Supervision
from services.supervision.domain import Bulletin, BulletinRegister
from shared.actors import Actor
from shared.persistence import drop_postgres_schemas, store_environment
from shared.settings import StoreSettings

YEAR = 2026
START = datetime(YEAR, 1, 5, 9, 0, tzinfo=UTC)
BATCH = 250  # aggregates per transaction while filling
SEED = 8

# The clause bank.
PLACE = "东西南北中新安和平华光明兴福康宁泰丰荣昌盛嘉祥瑞云山河湖江海林石桥园青白金玉龙凤鹤"
BUSINESS = [
    "项目审批", "资金拨付", "工程招投标", "政府采购", "干部选拔任用", "行政执法", "土地征收补偿",
    "低保评定", "医保基金使用", "国有资产处置", "公务接待", "公务用车管理", "信访事项办理",
    "行政许可", "财务报销", "人员招聘", "合同签订", "专项资金管理", "惠农补贴发放", "物资采购",
    "安全生产检查", "环保执法监管", "市场准入审查", "税费征收", "户籍办理", "房屋征收",
    "城管执法", "教育收费", "药品耗材采购", "统计数据报送", "扶贫项目管理", "集体资产租赁",
    "工程款结算", "评优评先", "职称评审", "执法罚没物品处置", "救灾物资分配", "社保待遇核定",
    "不动产登记", "林权流转",
]
ACTIONS = [
    "严格执行", "规范", "健全", "全面落实", "完善", "加强", "强化", "坚持依法开展", "严禁违规干预",
    "定期检查", "主动公开", "细化", "严肃", "从严把关", "建立健全", "认真履行", "跟踪督办",
    "切实改进", "层层压实", "统筹推进",
]
NOUNS = ["程序", "制度", "流程", "环节", "标准", "台账", "责任", "机制"]
MEASURES = [
    "全程留痕可追溯", "集体研究决定", "按月公示接受监督", "接受群众和社会监督", "实行双人复核",
    "建立工作台账", "发现问题第一时间向区纪委监委报告", "限时办结不拖延", "一律公开招标",
    "严禁吃拿卡要", "杜绝“打招呼”“批条子”", "落实回避制度", "关键岗位定期轮岗交流",
    "签订廉洁从业承诺书", "每季度开展廉政谈话", "聘请第三方机构审计", "结果在政务公开栏公示",
    "不搞暗箱操作", "做到应公开尽公开", "对违规行为零容忍", "实行清单化管理", "按规定报备",
    "主动接受审计监督", "严格控制标准", "不得收受礼品礼金", "定期自查自纠", "建立风险预警机制",
    "实行首问负责制", "资金专户管理专款专用", "严格落实“三重一大”制度", "开展专项整治",
    "不得优亲厚友", "执行一次性告知", "坚持阳光操作", "完善内控制度", "明确岗位职责",
    "严格审核把关", "加强日常监管", "强化结果运用", "坚决纠正“四风”问题",
]
COPY_SHARE = 0.03


class Clauses:
    """Individual clauses for one post after another, with near-copies now and then."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.written: list[list[str]] = []

    def clause(self) -> str:
        rng = self.rng
        measures = "，".join(rng.sample(MEASURES, rng.randint(1, 3)))
        return f"{rng.choice(ACTIONS)}{rng.choice(BUSINESS)}{rng.choice(NOUNS)}，{measures}。"

    def near_copy(self, clauses: list[str]) -> list[str]:
        out = []
        for clause in clauses:
            chars = list(clause)
            for _ in range(self.rng.randint(0, 2)):
                chars[self.rng.randrange(len(chars))] = self.rng.choice(PLACE)
            out.append("".join(chars))
        return out

    def next(self) -> list[str]:
        if self.written and self.rng.random() < COPY_SHARE:
            clauses = self.near_copy(self.rng.choice(self.written))
        else:
            clauses = [self.clause() for _ in range(self.rng.randint(3, 6))]
        self.written.append(clauses)
        return clauses


class ScanningResponsibilities(Responsibilities):
    """The path before the index: compare with every letter the read model knows, computing
    each one's bigrams again (the baseline, on the same store)."""

    def _letters_to_compare(
        self, letter: Letter, threshold: float
    ) -> tuple[Iterable[LetterView], ShinglesOf | None]:
        return self.as_of().letters.values(), None


class ReplayingResponsibilities(Responsibilities):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


class ReplayingSupervision(Supervision):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


# Stores.


class Stores:
    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.run_id = uuid.uuid4().hex[:8]
        self.made: list[StoreSettings] = []
        self.temp = Path(tempfile.mkdtemp(prefix="dutytrail-bench-scale-"))

    def fresh(self) -> StoreSettings:
        n = len(self.made)
        if self.postgres:
            settings = StoreSettings.postgres(f"bench{self.run_id}_{n}_")
        else:
            settings = StoreSettings.sqlite(self.temp / f"store{n}")
        self.made.append(settings)
        return settings

    def close(self) -> None:
        for settings in self.made:
            if settings.backend == "postgres":
                drop_postgres_schemas(settings)
        shutil.rmtree(self.temp, ignore_errors=True)


@contextmanager
def opened(*apps: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for app in apps:
            app.close()


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f}"


def spread(values: list[float]) -> str:
    """min / median / max, in ms."""
    return (f"{ms(min(values))} {ms(statistics.median(values))} {ms(max(values))}")


def ratios(values: list[float]) -> str:
    return " ".join(f"{r:.2f}" for r in values)


def person(cadre: Cadre) -> Actor:
    return Actor(person_id=cadre.person_id, unit_id=cadre.unit_id)


# 1. sign_letter.


class LetterYear:
    """A district with ``letters`` signed letters of the year, filled through the domain."""

    def __init__(self, settings: StoreSettings, letters: int, seed: int) -> None:
        self.settings = settings
        self.clauses = Clauses(seed)
        app = Responsibilities(store_environment("responsibility", settings))
        with opened(app):
            founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
            self.pc = app.register_unit(code="PC", name="区委", kind="party_committee",
                                        actor=founder, occurred_at=START)
            self.committee = Actor(person_id=uuid.uuid4(), unit_id=self.pc)
            secretary_person = uuid.uuid4()
            app.register_cadre(person_id=secretary_person, name="区委书记", unit_id=self.pc,
                               post_title="区委书记", line_of_work="全面", top_leader=True,
                               actor=self.committee, occurred_at=START)
            self.secretary = app.load(Cadre.create_id(secretary_person), Cadre)
            self.units: list[uuid.UUID] = []
            for first in range(0, max(1, letters // 20), BATCH):
                batch = [Unit.register(code=f"U{i:05}", name=f"单位{i}",
                                       kind="district_department", parent_unit_id=self.pc,
                                       actor=self.committee, occurred_at=START)
                         for i in range(first, min(max(1, letters // 20), first + BATCH))]
                app.save(*batch)
                self.units.extend(u.id for u in batch)
            self.posts = 0
            for first in range(0, letters, BATCH):
                aggregates: list[Any] = []
                for _ in range(min(BATCH, letters - first)):
                    letter, addressee = self.signed_letter()
                    aggregates += [addressee, letter]
                app.save(*aggregates)

    def addressee(self) -> Cadre:
        self.posts += 1
        return Cadre(person_id=uuid.uuid4(), name=f"干部{self.posts}",
                     unit_id=self.units[self.posts % len(self.units)],
                     post_title=f"岗位{self.posts}", line_of_work="财务",
                     leadership_member=False, top_leader=False, actor=self.committee,
                     occurred_at=START)

    def content(self, addressee: Cadre) -> LetterContent:
        return LetterContent.model_validate({
            "year": YEAR, "issuer_unit_id": self.pc, "signatory_unit_id": addressee.unit_id,
            "signatory_cadre_id": addressee.id, "common_clauses": ["认真履行一岗双责"],
            "individual_clauses": [{"text": t, "risk_point": "资金拨付"}
                                   for t in self.clauses.next()],
        })

    def signed_letter(self) -> tuple[Letter, Cadre]:
        addressee = self.addressee()
        letter = Letter.draft(terms=self.content(addressee), signatory=addressee,
                              letter_id=None, supersedes=None, actor=self.committee,
                              occurred_at=START)
        letter.sign_as_issuer(signer=self.secretary, actor=person(self.secretary),
                              occurred_at=START)
        letter.countersign(signer=addressee, actor=person(addressee), occurred_at=START)
        return letter, addressee

    def half_signed(self, app: Responsibilities) -> tuple[uuid.UUID, Actor]:
        """A letter drafted and signed by the issuer through ``app``: its countersignature is
        the measured command."""
        addressee = self.addressee()
        app.save(addressee)
        letter_id = app.draft_letter(letter=self.content(addressee), actor=self.committee,
                                     occurred_at=START)
        app.sign_letter_as_issuer(letter_id=letter_id, actor=person(self.secretary),
                                  occurred_at=START)
        return letter_id, person(addressee)


def check_both_ways(app: Responsibilities, letter_id: uuid.UUID) -> tuple[float, float]:
    """The boilerplate check alone on a letter, through the index and over every letter; the
    two answers must be the same."""
    letter = app.load(letter_id, Letter)
    district = app.as_of()
    threshold = app.settings.boilerplate_threshold
    answers: list[Any] = []

    def indexed() -> None:
        candidates = district.copy_candidates(letter.year, letter.clause_shingles(), threshold)
        answers.append(letter.most_similar(candidates, threshold,
                                           shingles_of=district.clause_shingles))

    def scanned() -> None:
        answers.append(letter.most_similar(district.letters.values(), threshold))

    times = (timed(indexed), timed(scanned))
    if answers[0] != answers[1]:
        msg = f"the index found {answers[0]}, the scan {answers[1]} for letter {letter_id}"
        raise AssertionError(msg)
    return times


def bench_signing(stores: Stores, letters: int, runs: int, signings: int) -> None:
    started = time.perf_counter()
    year = LetterYear(stores.fresh(), letters, SEED + letters)
    env = store_environment("responsibility", year.settings)
    index, scan = Responsibilities(env), ScanningResponsibilities(env)
    with opened(index, scan):
        for app in (index, scan):  # catch up and warm up, untimed
            letter_id, signer = year.half_signed(app)
            app.countersign_letter(letter_id=letter_id, actor=signer, occurred_at=START)
        filled = time.perf_counter() - started
        means: dict[str, list[float]] = {"index": [], "scan": [], "check index": [],
                                         "check scan": []}
        flagged = 0
        for run in range(runs):
            order = [("index", index), ("scan", scan)]
            if run % 2:
                order.reverse()
            for name, app in order:
                prepared = [year.half_signed(app) for _ in range(signings)]
                times = []
                for letter_id, signer in prepared:
                    times.append(timed(partial(app.countersign_letter, letter_id=letter_id,
                                               actor=signer, occurred_at=START)))
                means[name].append(statistics.mean(times))
                flagged += sum(app.get_letter(i).flagged_like is not None for i, _ in prepared)
            checks = [check_both_ways(index, year.half_signed(index)[0])
                      for _ in range(signings)]
            means["check index"].append(statistics.mean(t[0] for t in checks))
            means["check scan"].append(statistics.mean(t[1] for t in checks))
        in_year = sum(v.year == YEAR and v.status != "draft"
                      for v in index.as_of().letters.values())
    print(f"  {letters:>6} letters signed in the year at the start ({in_year} at the end, "
          f"{flagged} measured signings flagged; filled and warmed up in {filled:.1f}s)")
    for name in means:
        print(f"    {name:<12} {spread(means[name])}")
    scan_index = zip(means["scan"], means["index"], strict=True)
    checks_scan_index = zip(means["check scan"], means["check index"], strict=True)
    print(f"    ratio scan/index per run:   {ratios([s / i for s, i in scan_index])}")
    print(f"    check alone, scan/index:    {ratios([s / i for s, i in checks_scan_index])}")


# 2. issue_bulletin.


def fill_bulletins(settings: StoreSettings, issued: int) -> None:
    app = Supervision(store_environment("supervision", settings))
    with opened(app):
        inspector = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        register = BulletinRegister(kind="circular", year=YEAR, actor=inspector,
                                    occurred_at=START)
        for first in range(0, issued, BATCH):
            bulletins = []
            for n in range(first, min(issued, first + BATCH)):
                bulletin_id = Bulletin.create_id(f"fill-{n}")
                number = register.assign_number(bulletin_id, inspector, START)
                bulletins.append(Bulletin(
                    request_id=f"fill-{n}", kind="circular", year=YEAR, number=number,
                    title=f"第{number}期", summary="", meeting=None, problems=[],
                    notice_ids=[], actor=inspector, occurred_at=START,
                ))
            app.save(register, *bulletins)


def bench_bulletins(stores: Stores, issued: int, runs: int, issues: int) -> None:
    settings = stores.fresh()
    fill_bulletins(settings, issued)
    env = store_environment("supervision", settings)
    snapshotting, replaying = Supervision(env), ReplayingSupervision(env)
    inspector = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    means: dict[str, list[float]] = {"snapshots": [], "replay": []}
    count = 0
    with opened(snapshotting, replaying):
        for app in (snapshotting, replaying):  # warm up (connections, caches), untimed
            for _ in range(3):
                count += 1
                app.issue_bulletin(kind="circular", request_id=f"bench-{count}", title="通报",
                                   actor=inspector, occurred_at=START + timedelta(minutes=count))
        for run in range(runs):
            order = [("snapshots", snapshotting), ("replay", replaying)]
            if run % 2:
                order.reverse()
            for name, app in order:
                times = []
                for _ in range(issues):
                    count += 1
                    times.append(timed(partial(
                        app.issue_bulletin, kind="circular", request_id=f"bench-{count}",
                        title="通报", actor=inspector,
                        occurred_at=START + timedelta(minutes=count))))
                means[name].append(statistics.mean(times))
        numbers = sorted(b.number for b in snapshotting.bulletin_register(year=YEAR))
    if numbers != list(range(1, issued + count + 1)):
        raise AssertionError("the register's numbers have a gap or a duplicate")
    print(f"  {issued:>6} bulletins issued before ({issued + count} at the end, numbered "
          "1… without gaps)")
    for name in means:
        print(f"    {name:<12} {spread(means[name])}")
    print(f"    ratio replay/snapshots per run: "
          f"{ratios([r / s for r, s in zip(means['replay'], means['snapshots'], strict=True)])}")


# 3. A command on a long-lived aggregate.


def bench_long_task(stores: Stores, events: int, runs: int, commands: int) -> None:
    settings = stores.fresh()
    env = store_environment("responsibility", settings)
    app = Responsibilities(env)
    with opened(app):
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        pc = app.register_unit(code="PC", name="区委", kind="party_committee", actor=founder,
                               occurred_at=START)
        committee = Actor(person_id=uuid.uuid4(), unit_id=pc)
        dept = app.register_unit(code="D01", name="区财政局", kind="district_department",
                                 parent_unit_id=pc, actor=committee, occurred_at=START)
        cadre = app.load(app.register_cadre(
            person_id=uuid.uuid4(), name="王伟", unit_id=dept, post_title="局长",
            line_of_work="财政", top_leader=True, actor=committee, occurred_at=START), Cadre)
        clerk = Actor(person_id=uuid.uuid4(), unit_id=dept)

        def new_task(title: str) -> Task:
            return Task.create(task_id=None, year=YEAR, title=title, requirement="按期完成",
                               lead_unit_id=dept, co_unit_ids=(), responsible=cadre,
                               deadline=date(YEAR, 12, 31), parent_task_id=None,
                               actor=committee, occurred_at=START)

        long_task = new_task("全年任务")
        for n in range(1, events):
            long_task.report_progress(n % 100, f"第{n}次", clerk, START)
            if n % 1000 == 0 or n == events - 1:
                app.save(long_task)
        fresh = [new_task(f"新任务{i}") for i in range(runs * commands * 2 + 12)]
        for first in range(0, len(fresh), BATCH):
            app.save(*fresh[first:first + BATCH])
    assert long_task.version == events
    snapshotting, replaying = Responsibilities(env), ReplayingResponsibilities(env)
    means: dict[str, list[float]] = {}
    fresh_ids = iter(t.id for t in fresh)
    replay_commands = max(1, commands // 10)
    with opened(snapshotting, replaying):
        for app in (snapshotting, replaying):  # warm up (connections, caches), untimed
            app.report_progress(task_id=long_task.id, percent=50, actor=clerk, occurred_at=START)
            app.report_progress(task_id=next(fresh_ids), percent=50, actor=clerk,
                                occurred_at=START)
        for run in range(runs):
            plan = [("snapshots", snapshotting, commands), ("no snapshots", replaying,
                                                             replay_commands)]
            if run % 2:
                plan.reverse()
            for name, app, count in plan:
                on_long, on_fresh = [], []
                for _ in range(count):
                    on_long.append(timed(partial(app.report_progress, task_id=long_task.id,
                                                 percent=50, actor=clerk, occurred_at=START)))
                    on_fresh.append(timed(partial(app.report_progress, task_id=next(fresh_ids),
                                                  percent=50, actor=clerk, occurred_at=START)))
                means.setdefault(f"{name}: long", []).append(statistics.mean(on_long))
                means.setdefault(f"{name}: fresh", []).append(statistics.mean(on_fresh))
        final = snapshotting.load(long_task.id, Task).version
        assert snapshotting.snapshots is not None
        snapshots = len(list(snapshotting.snapshots.get(long_task.id)))
    print(f"  a task with {events} events ({final} at the end, {snapshots} snapshots) against "
          f"fresh tasks; {commands} commands a run with snapshots, {replay_commands} without")
    for name in means:
        print(f"    {name:<20} {spread(means[name])}")
    for name in ("snapshots", "no snapshots"):
        long, new = means[f"{name}: long"], means[f"{name}: fresh"]
        print(f"    {name}, long/fresh per run: "
              f"{ratios([a / b for a, b in zip(long, new, strict=True)])}")


def main(argv: list[str] | None = None) -> int:
    unwind_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--letters", default="100,1000,5000",
                        help="signed letters in the year, comma-separated")
    parser.add_argument("--signings", type=int, default=10, help="timed signings a run")
    parser.add_argument("--bulletins", default="100,5000",
                        help="bulletins issued before, comma-separated")
    parser.add_argument("--issues", type=int, default=20, help="timed issues a run")
    parser.add_argument("--events", type=int, default=10000, help="events of the long task")
    parser.add_argument("--commands", type=int, default=50,
                        help="timed commands a run, on the long task and on fresh ones")
    parser.add_argument("--only", choices=("sign", "bulletin", "task"), action="append")
    args = parser.parse_args(argv)
    own_directory("DUTYTRAIL_KEY_DIR", "dutytrail-bench-keys-")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("shared.keys").setLevel(logging.ERROR)
    only = set(args.only or ("sign", "bulletin", "task"))

    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"{os.cpu_count()} CPUs; {'postgres' if args.postgres else 'sqlite'}; "
          f"{args.runs} runs, figures in ms: min median max of the runs' means; load average "
          f"{os.getloadavg()[0]:.2f} (other processes share the machine)")
    stores = Stores(args.postgres)
    try:
        if "sign" in only:
            print(f"sign_letter (countersign_letter), {args.signings} signings a run")
            for letters in (int(n) for n in args.letters.split(",")):
                bench_signing(stores, letters, args.runs, args.signings)
        if "bulletin" in only:
            print(f"issue_bulletin, {args.issues} issues a run")
            for issued in (int(n) for n in args.bulletins.split(",")):
                bench_bulletins(stores, issued, args.runs, args.issues)
        if "task" in only:
            print("report_progress on a long-lived task")
            bench_long_task(stores, args.events, args.runs, args.commands)
    finally:
        stores.close()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`dutytrail up` and `dutytrail demo` end to end, as an operator runs them: the supervisor
starts every service and relay as child processes, the demo plays a seeded year over RPC, and
its report agrees with the store, with an outside subscriber and with /metrics. The supervisor
restarts a child that dies, stops everything on Ctrl-C, and refuses to start without a broker.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from itertools import zip_longest
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.registry import service_names
from shared.envelope import parse_position
from shared.persistence import drop_postgres_schemas
from shared.settings import StoreSettings
from tests.conftest import postgres_settings, sqlite_settings
from tests.e2e.helpers import (
    STARTED,
    Launcher,
    Proc,
    assert_unbroken_chain,
    committee,
    first_of_each,
    free_port,
    pid_alive,
    private_vhost,
    process_env,
    rpc_config,
    run_cli,
    wait_for_ping,
    wait_until,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

# `up` supervises every declared service and its relay.
TAGS = {tag for s in service_names() for tag in (s, f"{s}-relay")}


def children(up: Proc, timeout: float = 30) -> dict[str, int]:
    """The latest pid `up` announced for each child, once every child has been started."""
    deadline = time.monotonic() + timeout
    while True:
        pids = {m["tag"]: int(m["pid"]) for m in STARTED.finditer(up.output())}
        if set(pids) >= TAGS or time.monotonic() > deadline:
            assert set(pids) == TAGS, up.tail()
            return pids
        if up.popen.poll() is not None:
            raise AssertionError(f"`dutytrail up` exited with {up.popen.returncode}:\n{up.tail()}")
        time.sleep(0.05)


def restarted(up: Proc, tag: str, old_pid: int, timeout: float = 30) -> int:
    """Wait for `up` to report ``tag`` exited and to start it again; the new pid."""
    up.wait_for(rf"\[dutytrail\] {re.escape(tag)} exited with -9; restarting", timeout)
    pattern = rf"\[dutytrail\] started {re.escape(tag)} \(pid (?!{old_pid}\))(\d+)\)"
    return int(up.wait_for(pattern, timeout).group(1))


def metric(port: int, name: str, **labels: str) -> float | None:
    """One sample of a process's /metrics, or None if it has no such sample."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if not sample.startswith(name):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if sample.split("{")[0] == name and found == labels:
            return float(value)
    return None


def report_numbers(report: str) -> dict[str, Any]:
    def number(pattern: str) -> list[int]:
        found = re.search(pattern, report)
        assert found, f"{pattern!r} not in the demo's report:\n{report}"
        return [int(g) for g in found.groups()]

    # The outside subscriber's section on responsibility.events (every running service has
    # one, in the order the demo found the services).
    section = report.split("== outside subscriber on responsibility.events ==", 1)
    assert len(section) == 2, report
    bus_report = section[1]
    bus = re.search(
        r"stored events: (\d+); CloudEvents received \(deduplicated by id\): (\d+); "
        r"prevsequence chain unbroken: (\w+)", bus_report,
    )
    assert bus, report
    by_type = re.search(r"^by type: (.*)$", bus_report, re.MULTILINE)
    assert by_type, report
    letters = number(r"letters: (\d+)\s+签字背书 signed (\d+), superseded (\d+), still draft (\d+)")
    half_signed = number(r"awaiting the signatory's own signature: (\d+); by the signatory only: "
                         r"(\d+)")
    signers = number(r"the issuer's by (\d+) principal leader\(s\).*?signatory's by (\d+) cadres")
    lead_units = number(r"(\d+) coordination meetings convened \(牵头协调会\), (\d+) co-unit reports "
                        r"to the lead unit; lead unit never convened, flagged by the clock: (\d+)")
    outside = number(r"outside the signatory's post register: (\d+) in (\d+) letters .*?"
                     r"flagged at signing as drafted outside the register: (\d+)")
    return {
        "letters_outside_register": outside[1],
        "flagged_outside_register": outside[2],
        "last_position": int(bus.group(1)),
        "received": int(bus.group(2)),
        "chain": bus.group(3),
        "by_type": Counter({
            name: int(n) for name, n in re.findall(r"(\w+) (\d+)", by_type.group(1))
        }),
        "units": number(r"units: (\d+)")[0],
        "leaders": number(r"leadership members: (\d+)")[0],
        "leaders_covered": number(r"covered by a signed letter: (\d+)")[0],
        "leaders_without_letter": number(r"leaders without a letter (\d+)")[0],
        "participant_times": number(r"(\d+) participant-times \(人次\)")[0],
        "distinct_persons": number(r"(\d+) distinct persons \(人\)")[0],
        "letters": letters[0],
        "signed": letters[1],
        "superseded": letters[2],
        "overdue": number(r"recorded overdue \(sign by 28 Feb\): (\d+)")[0],
        "half_signed": sum(half_signed),
        "issuer_signers": signers[0],
        "signatory_signers": signers[1],
        "meetings": lead_units[0],
        "co_unit_reports": lead_units[1],
        "never_convened": lead_units[2],
    }


NODE = shutil.which("node") or "/usr/bin/node"
VERIFY_EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "verify-events.mjs"


SUBSCRIBE_EXAMPLE = VERIFY_EXAMPLE.parent / "subscribe.mjs"


def node_subscriber_against(
    up: Proc, env: dict[str, str], amqp_uri: str, key: Path, stored: int
) -> list[dict[str, Any]]:
    """Run docs/examples/subscribe.mjs twice against the running responsibility service:
    from position 0 until half the events, then from the last one it printed until idle."""
    from shared.roles import SUBSCRIBER
    from shared.tokens import issue_token

    subprocess.run([str(SUBSCRIBE_EXAMPLE.parent / "install.sh")], check=True, timeout=300)
    found = re.search(r"responsibility answers HTTP on [^:\s]+:(\d+)", up.output())
    assert found, up.tail()
    queue = f"node-demo-{os.getpid()}-{time.monotonic_ns()}.responsibility"
    node_env = {**env, "DUTYTRAIL_TOKEN": issue_token(uuid4(), uuid4(), [SUBSCRIBER])}
    printed: list[dict[str, Any]] = []
    for after, more in (("0", ["--stop-after", str(stored // 2)]), (None, ["--idle", "3"])):
        start = after if after is not None else printed[-1]["sequence"]
        done = subprocess.run(
            [NODE, str(SUBSCRIBE_EXAMPLE), "--service", "responsibility",
             "--http", f"http://127.0.0.1:{found.group(1)}", "--amqp", amqp_uri,
             "--key", str(key), "--queue", queue, "--after", start, *more],
            env=node_env, capture_output=True, text=True, timeout=180, check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        printed += [json.loads(line) for line in done.stdout.splitlines()]
    return printed


def short_type(event: dict[str, Any]) -> str:
    return str(event["type"].split(".")[2])


def test_demo_through_up_agrees_with_the_store(any_store, vhost, launcher, subscriber) -> None:
    service_port, relay_port = free_port(), free_port()
    env = process_env(any_store, vhost, service_port, relay_port)
    up = launcher.start(["up"], env, "up")
    assert set(children(up)) == TAGS

    demo = run_cli(["demo", "--timeout", "60"], env, timeout=180)
    assert demo.returncode == 0, demo.stdout + demo.stderr + up.tail()
    # The demo's refused commands reach the log as one INFO line each, with no traceback.
    counted = re.search(r"refused commands .*?: (\d+)", demo.stdout)
    assert counted, demo.stdout
    refused_in_report = int(counted.group(1))
    refused_in_log = [line for line in up.output().splitlines() if " refused " in line]
    assert refused_in_report > 0
    assert len(refused_in_log) == refused_in_report, refused_in_log
    assert all(re.search(r" INFO nameko\.containers( trace=[0-9a-f]{32})?: refused ", line)
               for line in refused_in_log), refused_in_log
    assert "Traceback" not in up.output(), up.tail()
    report = report_numbers(demo.stdout)

    # The store, read by the events CLI (not through the services).
    listing = run_cli(["events", "responsibility", "--from", "1"], env, timeout=60)
    assert listing.returncode == 0, listing.stderr
    stored = [json.loads(line) for line in listing.stdout.splitlines()]
    types = Counter(short_type(e) for e in stored)
    assert types["unit_registered"] > 0 and types["letter_signed"] > 0

    # A subscriber in Node, with only the exported public keys, verifies every event of the
    # demo, in every service's log (docs/contract.md, "Verifying events").
    keys = any_store.var_dir.parent / "exported-keys" if any_store.backend == "sqlite" \
        else Path(tempfile.mkdtemp(prefix="dutytrail-keys-"))
    exported = run_cli(["keys", "export", str(keys)], env, timeout=60)
    assert exported.returncode == 0, exported.stderr
    logs: dict[str, list[Event]] = {}
    for service in service_names():
        log = run_cli(["events", service, "--from", "1"], env, timeout=60)
        assert log.returncode == 0, log.stderr
        logs[service] = [(e["type"], e["subject"], e["data"])
                         for e in map(json.loads, log.stdout.splitlines())]
        if not log.stdout.strip():
            continue  # a service with nothing stored yet (casework) has nothing to verify
        verified = subprocess.run(
            [NODE, str(VERIFY_EXAMPLE), str(keys / f"{service}.pub")], input=log.stdout,
            capture_output=True, text=True, timeout=120, check=False,
        )
        events = log.stdout.splitlines()
        assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr
        assert f"{len(events)} verified, 0 failed" in verified.stdout, verified.stdout[-500:]

    # Kept for the comparison of the two stores (the test after this one).
    DEMO_RUNS[any_store.backend] = {"report": demo.stdout, "events": logs}

    # The Node subscriber of docs/examples joins the demo's running services late: history
    # over HTTP, then live; stopped halfway and started again from the last position it
    # printed, it has printed exactly responsibility's stored events, once each, in order.
    printed = node_subscriber_against(up, env, vhost, keys / "responsibility.pub", len(stored))
    assert [e["id"] for e in printed] == [e["id"] for e in stored]
    assert [e["sequence"] for e in printed] == [e["sequence"] for e in stored]

    # What the demo's subscriber received is what is stored, without a gap.
    assert report["received"] == len(stored)
    assert report["last_position"] == parse_position(stored[-1]["sequence"])
    assert report["chain"] == "yes"
    assert report["by_type"] == types
    # The figures the services report agree with the events behind them.
    assert report["units"] == types["unit_registered"]
    assert report["leaders"] == sum(
        1 for e in stored if short_type(e) == "cadre_registered" and e["data"]["leadership_member"]
    )
    assert report["letters"] == types["letter_drafted"]
    assert report["signed"] + report["superseded"] == types["letter_signed"]
    assert report["superseded"] == types["letter_superseded"]
    assert report["overdue"] == types["letter_signing_overdue"]
    # 签字背书: two signatures, each by its signer; a letter one side signed is still a draft.
    signed_events = [e["data"] for e in stored if short_type(e) == "letter_signed"]
    first_signed = {e["subject"] for e in stored if short_type(e) == "letter_signature_recorded"}
    assert report["half_signed"] == len(
        first_signed - {e["subject"] for e in stored if short_type(e) == "letter_signed"}) > 0
    assert all(d["issuer_signature"]["person_id"] != d["signatory_signature"]["person_id"]
               for d in signed_events)
    assert report["issuer_signers"] == len(
        {d["issuer_signature"]["person_id"] for d in signed_events}) == 1
    assert report["signatory_signers"] == len(
        {d["signatory_signature"]["person_id"] for d in signed_events})
    # 牵头单位: meetings, co-units' reports and the clock's flags, as stored.
    assert report["meetings"] == types["task_lead_unit_meeting_convened"] > 0
    assert report["co_unit_reports"] == types["task_co_unit_reported"] > 0
    assert report["never_convened"] == types["task_lead_unit_meeting_missing"] > 0
    # Boilerplate judged against the register: the flags the letters got at signing are the
    # letters the register query finds, and each was published.
    assert report["flagged_outside_register"] == report["letters_outside_register"] > 0
    assert report["flagged_outside_register"] == types["letter_flagged_outside_risk_register"]
    # One era of terms: today's names, the seed's only where the report quotes it.
    assert "**区纪委监委执纪审查" in demo.stdout
    assert "seed (2014): “1－11月，**区纪委受理信访举报件" in demo.stdout
    # "Covered by a signed letter" and coverage's gaps count the same valid letters.
    assert report["leaders_covered"] + report["leaders_without_letter"] == report["leaders"]
    # Education: person-times and distinct persons, recounted from the events.
    education = [e["data"] for e in stored if short_type(e) == "education_activity_recorded"]
    assert report["participant_times"] == sum(d["participant_count"] for d in education)
    assert report["distinct_persons"] == len(
        {p for d in education for p in d.get("participant_person_ids", [])}
    ) > 0

    # An outside subscriber bound before the demo got the same events (after de-duplication).
    expected = {e["id"] for e in stored}
    deliveries = subscriber.receive(
        until=lambda got: expected <= {d.event["id"] for d in got}, timeout=30
    )
    unique, _ = first_of_each(deliveries)
    assert sorted(unique, key=lambda e: parse_position(e["sequence"])) == stored
    assert_unbroken_chain(unique)

    # Each child serves its own /metrics on the port its environment gave it (the relay sets
    # its position once it has recorded it, a moment after the broker has routed the batch).
    wait_until(
        lambda: metric(service_port, "dutytrail_commands_total", service="responsibility",
                       command="register_unit", outcome="ok") == report["units"],
        10, "the service's metrics to count every register_unit",
    )
    wait_until(
        lambda: metric(relay_port, "dutytrail_relay_position", service="responsibility")
        == parse_position(stored[-1]["sequence"]),
        10, "the relay's metrics to show its last position",
    )
    assert up.popen.poll() is None, up.tail()
    # `up` killed outright (no chance to stop its children, each in a process group of its
    # own): every service and relay stops all the same, instead of running on orphaned.
    pids = children(up)
    os.kill(up.pid, signal.SIGKILL)
    wait_until(lambda: not [pid for pid in pids.values() if pid_alive(pid)], 30,
               f"the children of a killed `up` to stop: {pids}")


Event = tuple[str, str, dict[str, Any]]  # type, subject, data
# Each store's demo (report and every service's events), played by the test above; the
# comparison plays a store's itself when run without it.
DEMO_RUNS: dict[str, dict[str, Any]] = {}


def normalised_report(stdout: str) -> list[str]:
    """The report's lines, less those that legitimately differ between two runs: the time the
    scenario took (and a scenario's own share of it), and the log positions the bus report
    prints (a PostgreSQL log's positions are increasing but not contiguous, docs/contract.md)."""
    lines = []
    for line in stdout.splitlines():
        if line.startswith("scenario played in ") or "scenario's own calls took" in line:
            continue
        lines.append(re.sub(r"(stored events|last position[^:]*): \d+", r"\1: N", line))
    return lines


def by_subject(events: list[Event]) -> dict[str, list[Event]]:
    """Each record's events (one subject, one aggregate), in the order they were stored."""
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(event[1], []).append(event)
    return grouped


def differences(one: dict[str, list[Event]], other: dict[str, list[Event]]) -> str:
    """The records whose histories differ, event by event (for the failure message)."""
    lines = []
    for subject in sorted(set(one) | set(other)):
        if one.get(subject) != other.get(subject):
            lines.append(f"{subject}:")
            for a, b in zip_longest(one.get(subject, []), other.get(subject, [])):
                mark = "  " if a == b else "≠ "
                lines.append(f"  {mark}{a}\n  {mark}{b}" if a != b else f"  {a[0]}")
    return "\n".join(lines)


def play(settings: StoreSettings, amqp_uri: str, launcher: Launcher) -> dict[str, Any]:
    """`up` and the default demo on ``settings``: its report and every service's events."""
    env = process_env(settings, amqp_uri)
    up = launcher.start(["up"], env, f"up-{settings.backend}")
    try:
        demo = run_cli(["demo", "--timeout", "60"], env, timeout=180)
        assert demo.returncode == 0, demo.stdout + demo.stderr + up.tail()
        events = {}
        for service in service_names():
            log = run_cli(["events", service, "--from", "1"], env, timeout=60)
            assert log.returncode == 0, log.stderr
            events[service] = [(e["type"], e["subject"], e["data"])
                               for e in map(json.loads, log.stdout.splitlines())]
    finally:
        up.kill_group()
    return {"report": demo.stdout, "events": events}


def test_the_seeded_demo_stores_and_reports_the_same_on_sqlite_and_postgres(
    tmp_path, amqp_uri: str
) -> None:
    """The demo is reproducible (issue 10, item 15): played on fresh SQLite and PostgreSQL
    stores, it prints the same report and stores the same events: every command that accepts
    an id gets one derived from the seed, so no random id is left to change what the clock
    escalates or what the report prints."""
    missing = [b for b in ("sqlite", "postgres") if b not in DEMO_RUNS]
    if missing:
        launcher = Launcher(tmp_path)
        postgres = postgres_settings(f"t{uuid4().hex[:10]}_")
        try:
            for backend in missing:
                settings = sqlite_settings(tmp_path / "var") if backend == "sqlite" else postgres
                # Each run on a broker of its own: nothing of the first answers the second.
                for vhost in private_vhost(amqp_uri):
                    DEMO_RUNS[backend] = play(settings, vhost, launcher)
        finally:
            launcher.close()
            drop_postgres_schemas(postgres)

    sqlite, pg = DEMO_RUNS["sqlite"], DEMO_RUNS["postgres"]
    assert normalised_report(sqlite["report"]) == normalised_report(pg["report"])
    assert sqlite["events"]["responsibility"] and sqlite["events"]["supervision"]
    # Responsibility's log is written by the demo's commands alone: the same sequence.
    assert sqlite["events"]["responsibility"] == pg["events"]["responsibility"]
    # A consumer's log interleaves its own commands with what it learns from upstream as
    # the relay delivers it: each record's own history (events per subject, in order) is the
    # same, and nothing is stored in one run that is not in the other.
    for service in service_names():
        one, other = by_subject(sqlite["events"][service]), by_subject(pg["events"][service])
        assert one == other, differences(one, other)


def test_up_restarts_killed_children_and_stops_on_ctrl_c(
    tmp_path, vhost, launcher, subscriber
) -> None:
    env = process_env(sqlite_settings(tmp_path / "var"), vhost)
    up = launcher.start(["up"], env, "up")
    pids = children(up)
    with ClusterRpcProxy(rpc_config(vhost), timeout=30) as rpc:
        wait_for_ping(rpc, timeout=60)
        clerk = committee(rpc)
        units: list[str] = []

        def register_and_receive() -> None:
            n = len(units)
            units.append(clerk.responsibility.register_unit({
                "code": f"S{n}", "name": f"单位{n}", "kind": "town",
            }))
            subscriber.receive(
                until=lambda got: set(units) <= {d.event["subject"] for d in got}, timeout=30
            )
            assert set(units) <= {d.event["subject"] for d in subscriber.deliveries}

        register_and_receive()
        # Step. The relay dies: `up` starts a new one, which publishes what is stored next.
        os.kill(pids["responsibility-relay"], signal.SIGKILL)
        pids["responsibility-relay"] = restarted(
            up, "responsibility-relay", pids["responsibility-relay"]
        )
        register_and_receive()
        # Step. The service dies: `up` starts a new one, which answers and stores again.
        os.kill(pids["responsibility"], signal.SIGKILL)
        pids["responsibility"] = restarted(up, "responsibility", pids["responsibility"])
        wait_for_ping(rpc, timeout=60)
        register_and_receive()
    assert all(pid_alive(pid) for pid in pids.values()), up.tail()
    unique, _ = first_of_each(subscriber.deliveries)
    assert_unbroken_chain(unique)

    # Step. Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    stopping = len(up.output())
    interrupted = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    assert up.popen.wait(timeout=20) == 0, up.tail()
    took = time.monotonic() - interrupted
    after = up.output()[stopping:]
    assert "[dutytrail] stopped" in after
    assert "did not stop in time" not in after, after
    assert "Traceback" not in after, after
    assert took < 8, f"`up` took {took:.1f}s to stop:\n{after}"
    assert not [tag for tag, pid in pids.items() if pid_alive(pid)], after


def test_up_without_a_broker_says_so_and_exits(tmp_path) -> None:
    env = process_env(sqlite_settings(tmp_path / "var"), "amqp://guest:guest@127.0.0.1:1/")
    started = time.monotonic()
    done = run_cli(["up"], env, timeout=60)
    took = time.monotonic() - started
    assert done.returncode != 0
    assert took < 15, f"took {took:.1f}s"
    assert "RabbitMQ" in done.stderr and "127.0.0.1:1" in done.stderr, done.stderr
    assert "AMQP_URI" in done.stderr, done.stderr
    assert not STARTED.search(done.stdout), done.stdout

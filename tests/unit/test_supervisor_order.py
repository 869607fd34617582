"""`dutytrail up` stops consumers before the services they consume from, and each relay after
its service (dutytrail_ops/supervisor.py; docs/runbook.md, "Stopping")."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

from dutytrail_ops.registry import declaration, service_names
from dutytrail_ops.supervisor import Child, Supervisor, children_for, stop_waves


def children(upstreams: dict[str, tuple[str, ...]]) -> list[Child]:
    return [Child(f"{name}-relay" if relay else name, [], relay=relay, service=name)
            for name in sorted(upstreams) for relay in (False, True)]


def test_consumers_stop_first_and_each_relay_after_its_service() -> None:
    # b follows a; c follows a and b; d follows nobody and nobody follows it.
    upstreams = {"a": (), "b": ("a",), "c": ("a", "b"), "d": ()}
    waves = stop_waves(children(upstreams), upstreams)
    assert [sorted(c.tag for c in wave) for wave in waves] == [
        ["c", "d"],
        ["b", "c-relay", "d-relay"],
        ["a", "b-relay"],
        ["a-relay"],
    ]


def test_the_declared_services_stop_after_every_service_that_follows_them() -> None:
    everyone = children_for(service_names())
    upstreams = {name: declaration(name).upstreams for name in service_names()}
    waves = stop_waves(everyone, upstreams)
    wave_of = {child.tag: n for n, wave in enumerate(waves) for child in wave}
    assert sorted(wave_of) == sorted(c.tag for c in everyone)  # each child once
    followed = [(name, upstream) for name in service_names() for upstream in upstreams[name]]
    assert followed, "the declarations name upstreams"
    for name, upstream in followed:
        assert wave_of[name] < wave_of[upstream], (name, upstream)
    for name in service_names():
        assert wave_of[name] < wave_of[f"{name}-relay"]


def test_the_supervisor_sends_sigterm_wave_by_wave(tmp_path: Path) -> None:
    """Real child processes, each noting when SIGTERM reached it."""
    log = tmp_path / "stopped.log"
    script = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    open({str(log)!r}, 'a').write(sys.argv[1] + ' %f\\n' % time.monotonic())\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"open({str(tmp_path)!r} + '/' + sys.argv[1], 'w').close()\n"
        "time.sleep(60)\n"
    )
    upstreams = {"a": (), "b": ("a",)}
    kids = [Child(c.tag, [sys.executable, "-c", script, c.tag], relay=c.relay,
                  service=c.service) for c in children(upstreams)]
    supervisor = Supervisor(kids, out=io.StringIO(), upstreams=upstreams)
    for child in kids:
        supervisor.start(child)
    deadline = time.monotonic() + 20
    while not all((tmp_path / c.tag).exists() for c in kids):  # every handler installed
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Each child leads a process group of its own: Ctrl-C in a terminal (SIGINT to the
    # foreground group) reaches the supervisor alone, which stops them in this order.
    for child in kids:
        assert child.process is not None
        assert os.getpgid(child.process.pid) == child.process.pid != os.getpgrp()
    supervisor.stop_all()
    order = [line.split()[0] for line in log.read_text().splitlines()]
    # b follows a: b first; then a with b's relay (one wave); a's relay last.
    assert order[0] == "b" and sorted(order[1:3]) == ["a", "b-relay"] and order[3] == "a-relay"

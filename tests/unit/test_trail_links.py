"""Which events join a matter's trail (dutytrail_ops/audit/_trail_links.py): its own, the
records other services created under its traces and their later life, events that name it, the
events sharing its traces, and nothing that merely shares a unit or another record."""

from __future__ import annotations

from typing import Any

from dutytrail_ops.audit._trail_links import build_trail
from dutytrail_ops.audit._trail_read import ServiceEvents

MATTER = "11111111-1111-1111-1111-111111111111"
WATCH = "22222222-2222-2222-2222-222222222222"  # created in reaction, in another service
UNIT_FILE = "33333333-3333-3333-3333-333333333333"  # existed before, touched in reaction
SIBLING = "44444444-4444-4444-4444-444444444444"  # same service, same command
OTHER = "55555555-5555-5555-5555-555555555555"


def trace(n: int) -> str:
    return f"00-{n:032x}-{n + 100:016x}-01"


def event(subject: str, version: int, day: int, traced: int | None,
          data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = {"id": f"{subject}:{version}", "subject": subject, "type": f"dutytrail.x.e{day}.v1",
             "time": f"2026-01-{day:02d}T09:00:00+00:00", "sequence": f"{day:020d}",
             "data": data or {}}
    if traced is not None:
        found["traceparent"] = trace(traced)
    return found


def test_links_are_followed_to_reactions_and_stop_at_mere_neighbours() -> None:
    home = ServiceEvents("responsibility", [
        event(MATTER, 1, 2, traced=1, data={"unit_id": UNIT_FILE}),
        event(SIBLING, 1, 2, traced=1),  # the same command made it: joins, not followed
        event(SIBLING, 2, 9, traced=7),
        event(MATTER, 2, 20, traced=2),
        event(OTHER, 1, 3, traced=3, data={"unit_id": UNIT_FILE}),  # shares only the unit
    ])
    elsewhere = ServiceEvents("supervision", [
        event(WATCH, 1, 4, traced=1),  # created in reaction (same trace): followed
        event(UNIT_FILE, 5, 21, traced=2),  # a reaction on an existing record: joins only
        event(UNIT_FILE, 6, 22, traced=8),  # that record's next act: not the matter's
        event(WATCH, 2, 25, traced=9),  # the watch's later life
        event(OTHER, 7, 26, traced=10, data={"watch": WATCH.upper()}),  # names the watch
        event(OTHER, 8, 27, traced=11, data={"nested": [{"id": MATTER}]}),  # names the matter
    ])
    trail = build_trail(MATTER.upper(), [home, elsewhere])
    joined = [(e.service, e.event["id"], e.link) for e in trail]
    assert joined == [
        ("responsibility", f"{MATTER}:1", "subject"),
        ("responsibility", f"{SIBLING}:1", "trace"),
        ("supervision", f"{WATCH}:1", "trace"),
        ("responsibility", f"{MATTER}:2", "subject"),
        ("supervision", f"{UNIT_FILE}:5", "trace"),
        ("supervision", f"{WATCH}:2", "follows"),
        ("supervision", f"{OTHER}:7", "mentions"),
        ("supervision", f"{OTHER}:8", "mentions"),
    ]


def test_a_matter_nobody_names_has_no_trail() -> None:
    events = ServiceEvents("responsibility", [event(OTHER, 1, 2, traced=1)])
    assert build_trail(MATTER, [events]) == []

"""One service's figures as of a day, from its stored rows and from its history, compared
(``dutytrail audit replay``; docs/audit.md, "Trail and replay")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dutytrail_ops.audit._replay_apps import open_replayed, open_stored
from dutytrail_ops.audit._replay_figures import (
    Answer,
    Call,
    ask,
    differences,
    for_records,
    listed_ids,
    plan,
)

# Called with (calls done, calls planned so far).
Progress = Callable[[int, int], None]


@dataclass
class ServiceReplay:
    service: str
    answers: list[Answer] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def differing(self) -> list[Answer]:
        return [a for a in self.answers if a.differences]


def replay_service(
    service: str, env: Any, day: date, progress: Progress | None = None
) -> ServiceReplay:
    stored = open_stored(service, env)
    try:
        replayed = open_replayed(service, env)
        try:
            return _compare_all(service, stored, replayed, day, progress)
        finally:
            replayed.close()
    finally:
        stored.close()


def _compare_all(
    service: str, stored: Any, replayed: Any, day: date, progress: Progress | None
) -> ServiceReplay:
    general, per_record, skipped = plan(stored, day)
    result = ServiceReplay(service, skipped=skipped)
    planned = len(general)

    def run(calls: list[Call]) -> None:
        for call in calls:
            result.answers.append(_compare(stored, replayed, call, day))
            if progress is not None:
                progress(len(result.answers), planned)

    run(general)
    listed = list(result.answers)
    record_calls = [
        call for template in per_record
        for call in for_records(template, listed_ids(listed, template.arguments[-1][0]))
    ]
    planned += len(record_calls)
    run(record_calls)
    return result


def _compare(stored: Any, replayed: Any, call: Call, day: date) -> Answer:
    from_rows = ask(stored, call, day)
    from_history = ask(replayed, call, day)
    return Answer(call, from_rows, from_history, differences(from_rows, from_history))

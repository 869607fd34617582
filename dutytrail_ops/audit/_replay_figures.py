"""Every figure of a service "as of" a day: each public query of its application that takes
``as_of`` (found by its signature, so a new query is replayed without being listed here), with
its other parameters filled in for the day, and the per-record queries once per record the
list queries answered.

- ``year`` is the day's year; ``start``/``end`` the year's first day and the day; ``quarter``
  each quarter begun by the day;
- a required ``<name>_id`` is every ``<name>_id`` of the records the other queries listed (a
  letter's id from ``list_letters``, a programme's from ``list_programmes``, …);
- a parameter with a default keeps it (no filter); a query that needs anything else is not
  replayed, and is named as such.

The clock's hooks (``check_deadlines``, ``run_clock``, ``refresh_gauges``) take ``as_of`` but
record or set things: they are not figures.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

NOT_FIGURES = frozenset({"check_deadlines", "run_clock", "refresh_gauges"})
MAX_DIFFERENCES = 20  # per answer: enough to see what differs


@dataclass(frozen=True)
class Call:
    """One query with its arguments (``as_of`` left out: it is the run's day)."""

    query: str
    arguments: tuple[tuple[str, Any], ...] = ()

    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.arguments)
        return f"{self.query}({shown})"


@dataclass
class Answer:
    call: Call
    stored: Any
    replayed: Any
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)


def queries(app: Any) -> list[tuple[str, inspect.Signature]]:
    """The application's "as of" queries, by name."""
    found = []
    for name, function in inspect.getmembers(type(app), inspect.isfunction):
        if name.startswith("_") or name in NOT_FIGURES:
            continue
        signature = inspect.signature(function)
        if "as_of" in signature.parameters:
            found.append((name, signature))
    return found


def _required(signature: inspect.Signature) -> list[str]:
    return [
        p.name for p in signature.parameters.values()
        if p.name not in ("self", "as_of") and p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _for_the_day(name: str, day: date) -> list[Any] | None:
    if name == "year":
        return [day.year]
    if name == "start":
        return [date(day.year, 1, 1)]
    if name == "end":
        return [day]
    if name == "quarter":
        return list(range(1, (day.month - 1) // 3 + 2))
    return None


def plan(app: Any, day: date) -> tuple[list[Call], list[Call], list[str]]:
    """The calls to make: those needing no record, those to make once per listed record
    (:func:`for_records`, with the ids the first ones answered: :func:`listed_ids`), and the
    queries that cannot be replayed."""
    general: list[Call] = []
    per_record: list[Call] = []
    skipped: list[str] = []
    for name, signature in queries(app):
        choices: list[tuple[str, list[Any]]] = []
        record_parameters = []
        for parameter in _required(signature):
            values = _for_the_day(parameter, day)
            if values is not None:
                choices.append((parameter, values))
            elif parameter.endswith("_id"):
                record_parameters.append(parameter)
            else:
                skipped.append(f"{name} (needs {parameter})")
                break
        else:
            if len(record_parameters) > 1:
                skipped.append(f"{name} (needs {', '.join(record_parameters)})")
                continue
            if record_parameters:
                fixed = [(n, v[0]) for n, v in choices]
                per_record.append(Call(name, (*fixed, (record_parameters[0], None))))
            else:
                general.extend(Call(name, combination) for combination in _combinations(choices))
    return general, per_record, skipped


def _combinations(choices: list[tuple[str, list[Any]]]) -> Iterator[tuple[tuple[str, Any], ...]]:
    if not choices:
        yield ()
        return
    (name, values), rest = choices[0], choices[1:]
    for value in values:
        for tail in _combinations(rest):
            yield ((name, value), *tail)


def for_records(template: Call, ids: list[Any]) -> list[Call]:
    """``template`` (its record parameter last, unset) once per id."""
    *fixed, (parameter, _) = template.arguments
    return [Call(template.query, (*fixed, (parameter, value))) for value in ids]


def listed_ids(answers: list[Answer], parameter: str) -> list[Any]:
    """Every ``parameter`` of the records the answers listed (their top-level items), in the
    order first seen."""
    seen: dict[str, None] = {}
    for answer in answers:
        value = answer.stored
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and item.get(parameter) is not None:
                seen.setdefault(str(item[parameter]), None)
    return list(seen)


def ask(app: Any, call: Call, day: date) -> Any:
    """The answer of ``call`` as JSON, or the refusal it gave (a figure too: both sides must
    refuse alike)."""
    from shared.answers import to_json
    from shared.errors import DomainError

    try:
        return to_json(getattr(app, call.query)(**dict(call.arguments), as_of=day))
    except DomainError as error:
        return {"refused": type(error).__name__, "message": str(error)}


def differences(stored: Any, replayed: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two JSON values differ, as (path, stored, replayed), at most a few."""
    found: list[tuple[str, Any, Any]] = []
    _walk(stored, replayed, path or "$", found)
    return found


def _walk(a: Any, b: Any, path: str, found: list[tuple[str, Any, Any]]) -> None:
    if len(found) >= MAX_DIFFERENCES:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                found.append((f"{path}.{key}", a.get(key), b.get(key)))
            else:
                _walk(a[key], b[key], f"{path}.{key}", found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append((f"{path}.length", len(a), len(b)))
        for index, (left, right) in enumerate(zip(a, b, strict=False)):
            _walk(left, right, f"{path}[{index}]", found)
    elif a != b or type(a) is not type(b):
        found.append((path, a, b))

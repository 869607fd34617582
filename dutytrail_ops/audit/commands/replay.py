"""``dutytrail audit replay --as-of DATE``: every figure of every service as it stood on DATE,
rebuilt from the history alone and compared with the services' own "as of" answers from their
stored read models (docs/audit.md, "Trail and replay")."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from dutytrail_ops.audit._trail_token import CLEARED_HINT
from dutytrail_ops.exits import FiguresDifferError, require_store

if TYPE_CHECKING:
    from dutytrail_ops.audit._replay_run import ServiceReplay


def _services() -> list[str]:
    from dutytrail_ops.registry import service_names

    return service_names()


@click.command(name="replay")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The business day (YYYY-MM-DD): figures as they stood at its end (UTC).")
@click.option("--service", "services", multiple=True, metavar="NAME",
              help="Only this service (repeatable); every service by default.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: every answer, and each difference.")
@click.option("--progress", is_flag=True,
              help="A progress bar on stderr even when it is not a terminal.")
def command(as_of: datetime, services: tuple[str, ...], as_json: bool, progress: bool) -> None:
    """Rebuild every figure (each "as of" query of each service's application, for every
    record it lists) as it stood on --as-of from the stored events alone, replayed in memory,
    and compare it with what the service answers from its stored read models. A difference is
    printed and the command exits with 9."""
    from dutytrail_ops.audit._replay_run import replay_service
    from dutytrail_ops.audit._trail_progress import bar
    from dutytrail_ops.audit._trail_token import is_cleared, reader
    from shared.persistence import store_environment

    known = _services()
    unknown = sorted(set(services) - set(known))
    if unknown:
        raise click.BadParameter(
            f"no service {', '.join(unknown)}; the services are {', '.join(known)}",
            param_hint="--service",
        )
    day = as_of.date()
    caller = reader()
    require_store()
    results = []
    for service in [s for s in known if not services or s in services]:
        env = store_environment(service)
        # In per cent: the per-record queries are planned once the lists are answered.
        with bar(f"replaying {service:<15}", 100, progress, percent=True) as shown:
            def step(done: int, planned: int, shown: Any = shown) -> None:
                shown.reach(100 * done // max(planned, 1))

            results.append(replay_service(service, env, day, step))
    # A service with confidential events (casework) may hold confidential figures: compared
    # for everyone, their values shown only to a cleared reader.
    withheld = set() if is_cleared(caller) else _confidential_services()
    if as_json:
        click.echo(json.dumps(_as_json(day, results, withheld), ensure_ascii=False, indent=2))
    else:
        for line in _as_text(day, results, withheld):
            click.echo(line)
    differing = sum(len(r.differing) for r in results)
    if differing:
        where = ", ".join(f"{r.service} ({len(r.differing)})" for r in results if r.differing)
        raise FiguresDifferError(
            f"{differing} answers as of {day} differ between the history and the stored read "
            f"models: {where}"
        )


def _confidential_services() -> set[str]:
    from shared.contracts import all_contracts

    return {i.service for i in all_contracts() if i.classification == "confidential"}


def _arguments(call: Any, withheld: bool) -> dict[str, str]:
    """A call's arguments; a record's id left out where the service's values are withheld
    (the id of a petition or a case is itself confidential)."""
    return {k: "withheld" if withheld and k.endswith("_id") else str(v)
            for k, v in call.arguments}


def _as_json(day: date, results: list[ServiceReplay], withheld: set[str]) -> dict[str, Any]:
    def shown(service: str, value: Any) -> Any:
        return None if service in withheld else value

    return {
        "as_of": day.isoformat(),
        "agree": not any(r.differing for r in results),
        "values_withheld": sorted(withheld & {r.service for r in results}),
        "services": {
            r.service: {
                "answers": len(r.answers),
                "differing": len(r.differing),
                "not_replayed": r.skipped,
                "figures": [
                    {
                        "query": a.call.query,
                        "arguments": _arguments(a.call, r.service in withheld),
                        "value": shown(r.service, a.replayed),
                        "agree": not a.differences,
                        "differences": [
                            {"path": p, "stored": shown(r.service, s),
                             "replayed": shown(r.service, h)}
                            for p, s, h in a.differences
                        ],
                    }
                    for a in r.answers
                ],
            }
            for r in results
        },
    }


def _as_text(day: date, results: list[ServiceReplay], withheld: set[str]) -> list[str]:
    lines = [f"replay as of {day}: the history against the stored read models"]
    for result in results:
        queries = {a.call.query for a in result.answers}
        verdict = "agree" if not result.differing else f"{len(result.differing)} DIFFER"
        lines.append(f"{result.service:<15} {len(queries)} queries, {len(result.answers)} "
                     f"answers: {verdict}")
        for answer in result.differing:
            masked = _arguments(answer.call, result.service in withheld).items()
            lines.append(f"  {answer.call.query}({', '.join(f'{k}={v}' for k, v in masked)})")
            for path, stored, replayed in answer.differences:
                if result.service in withheld:
                    lines.append(f"    {path}: values withheld ({CLEARED_HINT} shows them)")
                else:
                    lines.append(
                        f"    {path}: stored {_short(stored)}, history {_short(replayed)}")
        if result.skipped:
            lines.append(f"  not replayed: {', '.join(result.skipped)}")
    return lines


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."

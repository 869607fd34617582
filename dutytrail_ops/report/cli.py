"""``dutytrail report``: the district report for a period, from every service's store read
directly (docs/report.md). Imported by the command line before eventlet is set up, so it loads
the contracts and the stores only when it runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click


@click.command("report")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="The period's first day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="The period's last day, included (YYYY-MM-DD).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="zh: the seed report's own sentences; en: their English rendering.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]),
              default="text", show_default=True,
              help="html: one self-contained page with charts (inline SVG).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write the report to FILE instead of printing it.")
def report(start: datetime, end: datetime, lang: str, fmt: str, out: Path | None) -> None:
    """The district report for --from to --to: the seed report's statistics filled in from
    the recorded history, and the problems it shows. Reads every service's store directly;
    needs neither the broker nor the services."""
    from dutytrail_ops.exits import require_store
    from dutytrail_ops.registry import service_names
    from dutytrail_ops.report.compose import district_report
    from dutytrail_ops.report.facts import Period, ReportPeriodError
    from dutytrail_ops.report.loader import load_facts, stored_services
    from shared.settings import StoreSettings

    try:
        period = Period(start.date(), end.date())
    except ReportPeriodError as error:
        raise click.BadParameter(str(error), param_hint="--to") from None
    if out is not None and not out.parent.is_dir():
        msg = f"there is no directory {out.parent} to write the report in"
        raise click.BadParameter(msg, param_hint="--out")
    require_store()
    settings = StoreSettings.from_environ()
    services, notes = stored_services(settings, service_names())
    for note in notes:
        click.echo(f"note: {note}", err=True)
    text = district_report(load_facts(settings, services), period, lang, fmt, notes)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)

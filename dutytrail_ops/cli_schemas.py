"""``dutytrail schemas``: the published JSON Schemas, the AsyncAPI document and the event
catalogue, all generated from the public contracts; ``--check`` fails (exit 1) when a
committed file is stale, for CI."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

STALE = 1


def _write_or_check(out: Path | None, text: str, check: bool, regenerate: str) -> None:
    if out is None:
        if check:
            raise click.UsageError("--check needs --out FILE")
        click.echo(text, nl=False)
        return
    if check:
        current = out.read_text("utf-8") if out.exists() else ""
        if current != text:
            click.echo(f"Error: {out} is stale: regenerate it with `{regenerate}`", err=True)
            sys.exit(STALE)
        click.echo(f"{out} is current", err=True)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, "utf-8")
    click.echo(str(out), err=True)


def _version() -> str:
    from dutytrail_ops.cli import _version as package_version

    return package_version()


@functools.cache
def _document() -> dict[str, Any]:
    from dutytrail_ops.asyncapi import build_document

    return build_document(_version())


def _generated(kind: str) -> Callable[[], str]:
    def asyncapi_text() -> str:
        from dutytrail_ops.asyncapi import render

        return render(_document())

    def catalogue_text() -> str:
        from dutytrail_ops import catalogue

        return catalogue.render(_document())

    return asyncapi_text if kind == "asyncapi" else catalogue_text


@click.group()
def schemas() -> None:
    """JSON Schemas of the public events, the AsyncAPI document, the event catalogue."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the files written as one JSON list.")
def export_schemas(directory: Path, as_json: bool) -> None:
    """Write one JSON Schema per public event type of every declared service into DIRECTORY
    (what GET /schemas/<type>.json answers)."""
    from dutytrail_ops.asyncapi import _load_contracts, data_schema

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for info in _load_contracts():
        path = directory / f"{info.type}.json"
        text = json.dumps(data_schema(info), ensure_ascii=False, indent=2) + "\n"
        path.write_text(text, "utf-8")
        written.append(str(path))
        if not as_json:
            click.echo(str(path))
    if as_json:
        click.echo(json.dumps(written))


@schemas.command("asyncapi")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the document here (else print it).")
@click.option("--check", is_flag=True, help="Exit 1 if FILE is not what would be written.")
def asyncapi_command(out: Path | None, check: bool) -> None:
    """The AsyncAPI 3 document of every declared service's events (docs/asyncapi.yaml)."""
    regenerate = f"dutytrail schemas asyncapi --out {out}"
    _write_or_check(out, _generated("asyncapi")(), check, regenerate)


@schemas.command("catalogue")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the page here (else print it).")
@click.option("--check", is_flag=True, help="Exit 1 if FILE is not what would be written.")
def catalogue_command(out: Path | None, check: bool) -> None:
    """The event catalogue page (docs/events.md), from the AsyncAPI document."""
    regenerate = f"dutytrail schemas catalogue --out {out}"
    _write_or_check(out, _generated("catalogue")(), check, regenerate)

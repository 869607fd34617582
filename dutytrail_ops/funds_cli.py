"""``dutytrail funds import``: a reference file another department provides (deaths,
public payroll 财政供养人员, vehicles, property, relatives of the officials who handle the money),
sent to the funds service as one import (docs/funds.md, "Reference data").

The file is CSV in UTF-8 (a byte-order mark is allowed), with a header row naming these
columns (others are refused, so a column of names or addresses is never sent by mistake):

- ``national_id`` (身份证号), always;
- ``on``: the date of death (YYYY-MM-DD), for ``deaths``;
- ``official_national_id``: the official (经办人, village or community cadre) the person is
  related to, for ``relations``;
- ``note``: the employer, the vehicle's plate, the property: optional, never an identifier.

National ids travel to the service over RPC only; the service stores their keyed hashes and
never the ids. The call carries the token in DUTYTRAIL_TOKEN (role discipline_commission:
``dutytrail token issue``).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, get_args

import click

from dutytrail_ops.exits import RefusedError, require_broker
from shared.contracts.funds import ReferenceKind

TOKEN_VARIABLE = "DUTYTRAIL_TOKEN"
COLUMNS = ("national_id", "on", "official_national_id", "note")
REQUIRED: dict[str, tuple[str, ...]] = {
    "deaths": ("national_id", "on"),
    "relations": ("national_id", "official_national_id"),
}


class ReferenceFileError(click.ClickException):
    """A reference file that cannot be sent as it is; the message names the row, never
    the id."""


def read_reference_csv(path: Path, kind: str) -> list[dict[str, Any]]:
    """The rows of a reference file as the ``import_reference`` command takes them."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            msg = f"{path.name}: unknown columns {unknown}; the columns are {list(COLUMNS)}"
            raise ReferenceFileError(msg)
        needed = REQUIRED.get(kind, ("national_id",))
        missing = [c for c in needed if c not in header]
        if missing:
            raise ReferenceFileError(f"{path.name}: a {kind} file needs the columns {missing}")
        rows = []
        for number, raw in enumerate(reader, 1):
            row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            empty = [c for c in needed if not row.get(c)]
            if empty:
                raise ReferenceFileError(f"{path.name}: row {number} has no {empty[0]}")
            rows.append({k: v for k, v in row.items() if v})
    if not rows:
        raise ReferenceFileError(f"{path.name} has no rows")
    return rows


@click.group()
def funds() -> None:
    """The livelihood-fund supervision platform (惠民资金监管平台)."""


@funds.command("import")
@click.option("--kind", type=click.Choice(get_args(ReferenceKind)), required=True,
              help="What the file lists.")
@click.option("--source", required=True,
              help="Who provided the file and when, e.g. '区民政局 2026-03 死亡名单'.")
@click.option("--dry-run", is_flag=True, help="Check the file and count its rows; send nothing.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_reference(kind: str, source: str, dry_run: bool, file: Path) -> None:
    """Import a reference FILE (CSV) into the funds service: one import, with its source and
    row count; the same rows twice are refused, a newer file adds to what is known."""
    rows = read_reference_csv(file, kind)
    if dry_run:
        click.echo(json.dumps({"kind": kind, "source": source, "rows": len(rows)}))
        return
    token = os.environ.get(TOKEN_VARIABLE, "").strip().removeprefix("Bearer ").strip()
    if not token:
        raise RefusedError(f"importing needs a token: set {TOKEN_VARIABLE} "
                           "(see `dutytrail token issue`)")
    from nameko.exceptions import RemoteError

    from dutytrail_ops.rpc_client import RpcClient

    require_broker()
    client = RpcClient("funds", token, timeout=120)
    try:
        import_id = client.call("import_reference",
                                {"kind": kind, "source": source, "rows": rows})
    except RemoteError as error:
        raise RefusedError(f"{error.exc_type}: {error.value}") from None
    finally:
        client.close()
    click.echo(json.dumps({"import_id": import_id, "kind": kind, "source": source,
                           "rows": len(rows)}))

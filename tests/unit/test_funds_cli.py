"""``dutytrail funds import``: what a reference file may hold, checked before anything is
sent (the RPC itself is exercised in tests/integration/test_funds_service.py's service)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dutytrail_ops.funds_cli import ReferenceFileError, funds, read_reference_csv
from services.funds.commands import ImportReference


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_a_deaths_file_becomes_the_rows_the_command_takes(tmp_path):
    path = write(tmp_path, "national_id,on,note\n110101198001010001,2026-03-05,\n"
                           "11010119800101000x,2026-04-01,镇卫生院\n")
    rows = read_reference_csv(path, "deaths")
    assert rows == [{"national_id": "110101198001010001", "on": "2026-03-05"},
                    {"national_id": "11010119800101000x", "on": "2026-04-01",
                     "note": "镇卫生院"}]
    command = ImportReference.model_validate({"kind": "deaths", "source": "s", "rows": rows})
    assert [str(r.on) for r in command.rows] == ["2026-03-05", "2026-04-01"]


@pytest.mark.parametrize(("kind", "text", "says"), [
    ("deaths", "national_id,name\n110101198001010001,张三\n", "unknown columns ['name']"),
    ("deaths", "national_id\n110101198001010001\n", "needs the columns ['on']"),
    ("relations", "national_id,official_national_id\n110101198001010001,\n",
     "row 1 has no official_national_id"),
    ("vehicles", "national_id,note\n", "has no rows"),
])
def test_a_file_that_cannot_be_sent_is_refused_naming_the_row_not_the_id(tmp_path, kind, text,
                                                                         says):
    with pytest.raises(ReferenceFileError) as refused:
        read_reference_csv(write(tmp_path, text), kind)
    assert says in refused.value.message
    assert "110101198001010001" not in refused.value.message


def test_a_dry_run_counts_the_rows_and_sending_needs_a_token(tmp_path, monkeypatch):
    path = write(tmp_path, "national_id,note\n110101198001010001,鄂A12345\n")
    result = CliRunner().invoke(funds, ["import", "--kind", "vehicles", "--source", "区公安局",
                                        "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"kind": "vehicles", "source": "区公安局", "rows": 1}
    monkeypatch.delenv("DUTYTRAIL_TOKEN", raising=False)
    refused = CliRunner().invoke(funds, ["import", "--kind", "vehicles", "--source", "s",
                                         str(path)])
    assert refused.exit_code != 0
    assert "DUTYTRAIL_TOKEN" in refused.output

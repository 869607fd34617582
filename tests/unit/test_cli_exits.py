"""The command line a script can rely on: a version, refused input, and one line with a
distinct exit code when the broker or the store cannot be reached (dutytrail_ops/exits.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from dutytrail_ops import exits
from dutytrail_ops.cli import main
from shared.tokens import issue_token


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_version_is_printed():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("dutytrail ")


@pytest.mark.parametrize("args", [
    ["events", "responsibility", "--from", "-5"],
    ["events", "responsibility", "--from", "0"],
    ["events", "responsibility", "--from", "5", "--until", "4"],
    ["events", "nosuchservice"],
    ["events", "responsibility", "--rpc", "--http", "http://127.0.0.1:1"],
    ["dlq", "show", "0"],
    ["dlq", "replay"],
])
def test_bad_input_exits_2_with_a_usage_line(args, monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_TOKEN", "x")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == exits.BAD_INPUT, result.output
    assert "Error:" in result.output


@pytest.mark.parametrize("args", [
    ["events", "responsibility", "--rpc"],
    ["dlq", "list"],
    ["dlq", "replay", "--all"],
])
def test_an_unreachable_broker_is_one_line_and_exit_3(args, monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("DUTYTRAIL_TOKEN", issue_token(uuid.uuid4(), uuid.uuid4(), ["auditor"]))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == exits.BROKER_UNREACHABLE, result.output
    assert "RabbitMQ is not reachable" in one_line(result.output)


def test_an_unreachable_http_catch_up_is_exit_3(monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_TOKEN", issue_token(uuid.uuid4(), uuid.uuid4(), ["auditor"]))
    result = CliRunner().invoke(main, ["events", "responsibility", "--http", "http://127.0.0.1:1"])
    assert result.exit_code == exits.BROKER_UNREACHABLE, result.output
    assert "cannot be reached" in one_line(result.output)


def test_an_unreachable_store_is_one_line_and_exit_4(monkeypatch):
    monkeypatch.setenv("DUTYTRAIL_STORE", "postgres")
    monkeypatch.setenv("POSTGRES_PORT", "1")
    result = CliRunner().invoke(main, ["events", "responsibility"])
    assert result.exit_code == exits.STORE_UNREACHABLE, result.output
    assert "PostgreSQL is not reachable" in one_line(result.output)


def test_an_sqlite_folder_that_cannot_be_written_is_exit_4(monkeypatch, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DUTYTRAIL_STORE", "sqlite")
    monkeypatch.setenv("DUTYTRAIL_VAR_DIR", str(blocker / "var"))
    result = CliRunner().invoke(main, ["events", "responsibility"])
    assert result.exit_code == exits.STORE_UNREACHABLE, result.output
    one_line(result.output)


def test_a_missing_token_is_refused_with_exit_5(monkeypatch):
    monkeypatch.delenv("DUTYTRAIL_TOKEN", raising=False)
    for how in (["--rpc"], ["--http", "http://127.0.0.1:1"]):
        result = CliRunner().invoke(main, ["events", "responsibility", *how])
        assert result.exit_code == exits.REFUSED
        assert "DUTYTRAIL_TOKEN" in one_line(result.output)


def test_an_unexpected_failure_is_one_line_and_exit_1(monkeypatch, tmp_path: Path):
    # A schema directory that is a file: an OSError nobody anticipated.
    target = tmp_path / "taken"
    target.write_text("")
    result = CliRunner().invoke(main, ["schemas", "export", str(target / "sub")])
    assert result.exit_code == exits.FAILED, result.output
    assert "DUTYTRAIL_DEBUG" in one_line(result.output)


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path):
    """`dutytrail ... | head`: no error line, the shell's code for a closed pipe."""
    import subprocess
    import sys

    dutytrail = Path(sys.executable).with_name("dutytrail")
    done = subprocess.run(
        f"set -o pipefail; {dutytrail} schemas asyncapi | head -c 1 >/dev/null",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert done.stderr == ""
    assert done.returncode in (0, exits.PIPE_CLOSED)  # 0 when the pipe held it all in time


def test_commands_that_print_data_take_json(tmp_path: Path):
    runner = CliRunner()
    exported = runner.invoke(main, ["schemas", "export", str(tmp_path / "s"), "--json"])
    assert exported.exit_code == 0, exported.output
    paths = json.loads(exported.output)
    assert any(p.endswith("dutytrail.responsibility.letter_signed.v1.json") for p in paths)
    matrix = runner.invoke(main, ["roles", "matrix", "--json"])
    assert matrix.exit_code == 0, matrix.output
    assert "responsibility" in json.loads(matrix.output)
    token = runner.invoke(main, ["token", "issue", "--person", str(uuid.uuid4()), "--unit",
                                 str(uuid.uuid4()), "--role", "auditor", "--json"])
    assert token.exit_code == 0, token.output
    assert json.loads(token.output)["roles"] == ["auditor"]
    keys = runner.invoke(main, ["keys", "export", str(tmp_path / "k"), "--json"])
    assert keys.exit_code == 0, keys.output
    assert {k["name"] for k in json.loads(keys.output)} >= {"responsibility", "supervision"}
    users = runner.invoke(main, ["broker", "show", "--json"])
    assert users.exit_code == 0, users.output
    assert {json.loads(line)["name"] for line in users.output.splitlines()} >= {
        "dutytrail-responsibility", "dutytrail-supervision",
    }
    for command in (["events"], ["dlq", "list"], ["dlq", "show"], ["dlq", "replay"]):
        assert "--json" in runner.invoke(main, [*command, "--help"]).output

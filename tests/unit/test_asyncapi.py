"""The AsyncAPI document is generated from the contracts (one channel per exchange and routing
key, one message per event type), valid for the official AsyncAPI parser, and `--check` fails
when a committed copy is stale; the catalogue page lists every type."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from dutytrail_ops.asyncapi import build_document, render
from dutytrail_ops.cli import main
from dutytrail_ops.registry import declarations
from shared.contracts import all_contracts

CI = Path(__file__).resolve().parents[2] / ".ci" / "asyncapi"


def declared_contracts() -> list:  # type: ignore[type-arg]
    return [info for info in all_contracts() if info.service in declarations()]


def test_every_contract_is_a_message_on_its_exchange_with_its_type_as_routing_key():
    document = build_document("test")
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert set(messages) == {info.type for info in declared_contracts()}
    for info in declared_contracts():
        channel = document["channels"][info.type.replace(".", "_")]
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert channel["address"] == info.type
        expected = "confidential" if info.classification == "confidential" else "events"
        assert exchange == {**exchange, "name": f"{info.service}.{expected}", "type": "topic"}
        payload = messages[info.type]["payload"]
        assert payload["properties"]["type"]["const"] == info.type
        data = payload["properties"]["data"]
        # Subscribers accept unknown fields, at every level.
        assert "additionalProperties: false" not in render({"d": data})
        assert set(data["required"]) >= {"actor", info.subject_field}
        assert "$ref" not in render({"d": data})  # self-contained


def test_the_official_parser_refuses_an_operation_on_a_missing_channel(tmp_path: Path):
    """The CI step (.ci/asyncapi/check.sh) validates docs/asyncapi.yaml with the official
    parser; here, that the same step fails a document that is not valid."""
    subprocess.run([str(CI / "install.sh")], check=True, timeout=300)
    broken = {
        "asyncapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "channels": {"a": {"address": "a", "messages": {}}},
        "operations": {"r": {"action": "receive", "channel": {"$ref": "#/channels/nowhere"}}},
    }
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), "utf-8")
    refused = subprocess.run(["node", str(CI / "validate.mjs"), str(path)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 1, refused.stdout
    assert "INVALID" in refused.stdout


def test_check_fails_on_a_stale_file_and_passes_once_regenerated(tmp_path: Path):
    runner = CliRunner()
    for kind, name in (("asyncapi", "asyncapi.yaml"), ("catalogue", "events.md")):
        out = tmp_path / name
        out.write_text("stale\n", "utf-8")
        stale = runner.invoke(main, ["schemas", kind, "--out", str(out), "--check"])
        assert stale.exit_code == 1
        assert f"dutytrail schemas {kind} --out" in stale.output
        assert runner.invoke(main, ["schemas", kind, "--out", str(out)]).exit_code == 0
        assert runner.invoke(main, ["schemas", kind, "--out", str(out), "--check"]).exit_code == 0


def test_the_catalogue_lists_every_type_and_documents_the_first_prevsequence():
    result = CliRunner().invoke(main, ["schemas", "catalogue"])
    assert result.exit_code == 0, result.output
    for info in declared_contracts():
        assert f"### {info.type}" in result.output
    assert "empty for its first event" in result.output
    assert "`green`" in result.output

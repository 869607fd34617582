"""The Node example of docs/contract.md ("Verifying events") verifies, with Node's built-ins
only, the events a real Responsibilities application stores, as `dutytrail events` prints them
and with the key `dutytrail keys export` writes; and it fails on a tampered event."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dutytrail_ops.cli import main
from services.responsibility.application import Responsibilities
from services.responsibility.commands import LetterContent
from shared.actors import Actor
from shared.settings import StoreSettings
from shared.signing import EventSigner

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "verify-events.mjs"
NODE = shutil.which("node") or "/usr/bin/node"
CLAUSES = [{"text": "民生资金拨付全程留痕，按月公开发放台账，接受群众监督。", "risk_point": "资金拨付"}]


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, 30, 123456, tzinfo=UTC)


def store_a_district(app: Responsibilities) -> None:
    """Units, cadres, two letters signed with the same clauses (the second flagged as
    boilerplate: a float similarity in its data), all with non-ASCII text."""
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee",
                           actor=Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4()),
                           occurred_at=at(1, 2))
    clerk = Actor(person_id=uuid.uuid4(), unit_id=pc)
    secretary = Actor(person_id=uuid.uuid4(), unit_id=pc)
    app.register_cadre(person_id=secretary.person_id, name="区委书记", unit_id=pc,
                       post_title="区委书记", line_of_work="全面", top_leader=True, actor=clerk,
                       occurred_at=at(1, 3))
    dept = app.register_unit(code="D01", name="区财政局\n(“引号”)", kind="district_department",
                             parent_unit_id=pc, actor=clerk, occurred_at=at(1, 2))
    people = []
    for name, top in (("王伟", True), ("李娜", False)):
        person = uuid.uuid4()
        cadre = app.register_cadre(person_id=person, name=name, unit_id=dept, post_title="局长",
                                   line_of_work="财政", leadership_member=True, top_leader=top,
                                   actor=clerk, occurred_at=at(1, 3))
        people.append((cadre, person, top))
    for cadre, person, top in people:
        letter = app.draft_letter(
            letter=LetterContent.model_validate({
                "year": 2026, "issuer_unit_id": pc, "signatory_unit_id": dept,
                "signatory_cadre_id": cadre, "common_clauses": ["共性条款"],
                "individual_clauses": CLAUSES,
                **({"top_leader_duties": ["负总责"]} if top else {}),
            }),
            actor=clerk, occurred_at=at(1, 10),
        )
        app.sign_letter_as_issuer(letter_id=letter, actor=secretary, occurred_at=at(1, 18))
        app.countersign_letter(letter_id=letter, actor=Actor(person_id=person, unit_id=dept),
                               occurred_at=at(1, 20))


@pytest.fixture
def exported(sqlite_store: StoreSettings, use_store: Any, tmp_path: Path) -> tuple[Path, Path]:
    """The events file `dutytrail events responsibility --from 1` prints, and the key file
    `dutytrail keys export` writes."""
    use_store(sqlite_store)
    app = Responsibilities()
    try:
        store_a_district(app)
    finally:
        app.close()
    runner = CliRunner()
    printed = runner.invoke(main, ["events", "responsibility", "--from", "1"])
    assert printed.exit_code == 0, printed.output
    events = tmp_path / "events.jsonl"
    events.write_text(printed.output, "utf-8")
    keys = runner.invoke(main, ["keys", "export", str(tmp_path / "keys")])
    assert keys.exit_code == 0, keys.output
    return events, tmp_path / "keys" / "responsibility.pub"


def verify(key: Path, events: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(EXAMPLE), str(key), str(events)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_node_verifies_every_event_the_service_hands_out(exported: tuple[Path, Path]) -> None:
    events, key = exported
    stored = lines(events)
    types = {e["type"].split(".")[2] for e in stored}
    assert "letter_flagged_as_boilerplate" in types
    [flag] = [e for e in stored if e["type"].endswith("letter_flagged_as_boilerplate.v1")]
    assert isinstance(flag["data"]["similarity"], float)

    result = verify(key, events)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("\nok ") + result.stdout.startswith("ok ") == len(stored)
    assert f"{len(stored)} verified, 0 failed" in result.stdout


@pytest.mark.parametrize("tamper", ["data", "sequence", "time", "unsigned", "other_key"])
def test_node_fails_on_a_tampered_event(
    exported: tuple[Path, Path], tmp_path: Path, tamper: str
) -> None:
    events, key = exported
    stored = lines(events)
    victim = stored[3]
    if tamper == "data":
        victim["data"]["name"] = "王五"
    elif tamper == "sequence":
        victim["sequence"] = f"{int(victim['sequence']) + 100:020d}"
    elif tamper == "time":
        victim["time"] = "2026-01-03T09:00:31+00:00"
    elif tamper == "unsigned":
        del victim["dssematerial"]
    else:
        EventSigner.for_service("supervision").sign(victim)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in stored), "utf-8"
    )

    result = verify(key, tampered)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{len(stored) - 1} verified, 1 failed" in result.stdout
    [failure] = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert victim["id"] in failure


def test_node_verifies_jcs_numbers_as_python_signs_them(tmp_path: Path) -> None:
    """Floats and integers are hashed as JCS prints them, in both languages."""
    key_dir = tmp_path / "keys"
    assert CliRunner().invoke(main, ["keys", "export", str(key_dir)]).exit_code == 0
    signer = EventSigner.for_service("responsibility")
    events = []
    for n, value in enumerate([1.0, 0.5, 1e-7, 1e-5, 123456789.25, 1e21, -3, 2**40, 0.1 + 0.2]):
        events.append(signer.sign({
            "specversion": "1.0", "id": f"n:{n}", "source": "/dutytrail/responsibility",
            "type": "dutytrail.responsibility.example.v1", "time": "2026-01-01T00:00:00+08:00",
            "recordedtime": "2026-01-01T00:00:00.5+00:00", "subject": "n",
            "sequence": f"{n + 1:020d}", "prevsequence": f"{n:020d}" if n else "",
            "datacontenttype": "application/json", "dataschema": "urn:x",
            "dataclassification": "public",
            "data": {"value": value, "nested": [{"b": value, "a": None, "é": True}]},
        }))
    path = tmp_path / "numbers.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), "utf-8")
    result = verify(key_dir / "responsibility.pub", path)
    assert result.returncode == 0, result.stdout
    assert f"{len(events)} verified, 0 failed" in result.stdout

"""Proof files round-trip and are checked offline with the file and the verifier key only;
any change to a proof, its leaf or its checkpoint is refused (exit 8 from the command line).
A checkpoint resumes from its predecessor's frontier and signs the RFC's root, in both
suites (docs/audit.md)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import InfrastructureFactory, Notification
from eventsourcing.utils import Environment

from dutytrail_ops import exits
from dutytrail_ops.audit._ledger_proofs import FORMAT, ProofFileError, check_proof
from dutytrail_ops.cli import main
from shared.actors import SYSTEM_ACTOR
from shared.ledger.checkpoint import Checkpoint, open_note, verifier_key
from shared.ledger.checkpointing import next_checkpoint
from shared.ledger.leaves import leaf_bytes
from shared.ledger.logs import ServiceLog
from shared.ledger.merkle import RootBuilder, consistency_proof, inclusion_proof
from shared.ledger.suites import (
    SUITES,
    Ed25519Signer,
    Signer,
    SM2Signer,
    generate_sm2_private_hex,
)
from tests.unit.test_ledger_merkle import mth

ORIGIN = "dutytrail.demo/funds"


def signer_of(suite: str) -> Signer:
    if suite == "sha256-ed25519":
        return Ed25519Signer(Ed25519PrivateKey.generate())
    return SM2Signer(generate_sm2_private_hex())


def stored(n: int) -> list[bytes]:
    return [
        leaf_bytes(Notification(id=i + 1, originator_id=uuid.uuid4(), originator_version=1,
                                topic="services.funds.domain:Programme.Created",
                                state=json.dumps({"n": i, "name": f"项目{i}"}).encode()))
        for i in range(n)
    ]


def proof_file(suite: str, leaves: list[bytes], index: int, size: int,
               since: int | None) -> tuple[dict[str, Any], str]:
    spec = SUITES[suite]
    signer = signer_of(suite)
    key = verifier_key(ORIGIN, signer.signature_type, signer.public_bytes())
    hashes = [spec.hasher.leaf(leaf) for leaf in leaves]

    def note(n: int) -> str:
        root = RootBuilder(spec.hasher)
        for h in hashes[:n]:
            root.append(h)
        return Checkpoint(ORIGIN, n, root.root(), suite, datetime(2026, 1, 5, tzinfo=UTC)
                          ).sign(signer)

    leaf = leaves[index]
    stored_id = uuid.UUID(bytes=leaf[8:24])
    proof: dict[str, Any] = {
        "format": FORMAT, "service": "funds", "suite": suite,
        "event_id": f"{stored_id}:1", "position": index + 1, "leaf_index": index,
        "leaf": base64.b64encode(leaf).decode(), "checkpoint": note(size),
        "verifier_key": key,
        "inclusion": [base64.b64encode(h).decode()
                      for h in inclusion_proof(spec.hasher, hashes[:size], index)],
    }
    if since is not None:
        proof["consistency"] = {
            "checkpoint": note(since),
            "proof": [base64.b64encode(h).decode()
                      for h in consistency_proof(spec.hasher, hashes[:size], since)],
        }
    return proof, key


@pytest.mark.parametrize("suite", ["sha256-ed25519", "sm3-sm2"])
def test_a_proof_round_trips_and_every_change_is_refused(suite: str) -> None:
    leaves = stored(13)
    proof, key = proof_file(suite, leaves, 5, 11, since=6)
    proven = check_proof(proof, key)
    assert (proven.position, proven.checkpoint.size, proven.since and proven.since.size) == (
        6, 11, 6)

    def refused(change: Any) -> None:
        changed = copy.deepcopy(proof)
        change(changed)
        with pytest.raises(ProofFileError):
            check_proof(changed, key)

    def flip(text: str) -> str:
        raw = bytearray(base64.b64decode(text))
        raw[-1] ^= 1
        return base64.b64encode(bytes(raw)).decode()

    refused(lambda p: p.__setitem__("leaf", base64.b64encode(leaves[6]).decode()))
    refused(lambda p: p.__setitem__("leaf", flip(p["leaf"])))
    refused(lambda p: p.__setitem__("leaf_index", 4))
    refused(lambda p: p["inclusion"].__setitem__(0, flip(p["inclusion"][0])))
    refused(lambda p: p["inclusion"].pop())
    refused(lambda p: p.__setitem__("checkpoint", p["checkpoint"].replace("\n11\n", "\n12\n")))
    refused(lambda p: p["consistency"]["proof"].__setitem__(
        0, flip(p["consistency"]["proof"][0])))
    refused(lambda p: p.__setitem__("event_id", f"{uuid.uuid4()}:1"))
    # Another log's key, even one of the same suite, proves nothing.
    other = signer_of(suite)
    with pytest.raises(ProofFileError):
        check_proof(proof, verifier_key(ORIGIN, other.signature_type, other.public_bytes()))


def test_check_proof_needs_only_the_file_and_the_key(tmp_path: Path) -> None:
    proof, key = proof_file("sha256-ed25519", stored(9), 8, 9, since=None)
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    result = CliRunner().invoke(main, ["audit", "check-proof", str(path), "--key", key,
                                       "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["position"] == 9
    proof["inclusion"][0] = base64.b64encode(b"\x00" * 32).decode()
    path.write_text(json.dumps(proof))
    result = CliRunner().invoke(main, ["audit", "check-proof", str(path), "--key", key])
    assert result.exit_code == exits.PROOF_REFUSED
    assert "refused" in result.output


def test_a_frontier_resumes_a_tree_at_every_size() -> None:
    hasher = SUITES["sha256-ed25519"].hasher
    entries = stored(37)
    builder = RootBuilder(hasher)
    for n, entry in enumerate(entries, start=1):
        builder.append(hasher.leaf(entry))
        resumed = RootBuilder.resume(hasher, builder.size, builder.frontier())
        for later in entries[n:n + 5]:
            resumed.append(hasher.leaf(later))
        assert resumed.root() == mth(entries[:min(n + 5, len(entries))])


def popo_log() -> ServiceLog:
    env = Environment("funds", {"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return ServiceLog("funds", InfrastructureFactory.construct(env).application_recorder(), None)


def add(log: ServiceLog, n: int) -> None:
    from shared.ledger.events import Ledger

    for _ in range(n):  # any stored event is a leaf; the ledger's own are at hand
        log.append([Ledger.Exported(  # type: ignore[call-arg]
            originator_id=uuid.uuid4(), originator_version=1,
            timestamp=datetime.now(UTC), actor=SYSTEM_ACTOR, services=["funds"],
            last_position=0, events=0, withheld=0, cleared=False,
        )])


@pytest.mark.parametrize("suite", ["sha256-ed25519", "sm3-sm2"])
def test_checkpoints_cover_the_log_before_them_and_resume(suite: str) -> None:
    log = popo_log()
    signer = signer_of(suite)
    key = verifier_key(ORIGIN, signer.signature_type, signer.public_bytes())
    add(log, 5)
    first = next_checkpoint(log.recorder, log.mapper, "funds", signer, actor=SYSTEM_ACTOR,
                            suite=suite)
    assert first is not None
    log.append([first])
    # Nothing new but the checkpoint: no checkpoint, unless asked for.
    assert next_checkpoint(log.recorder, log.mapper, "funds", signer, actor=SYSTEM_ACTOR,
                           suite=suite) is None
    add(log, 4)
    second = next_checkpoint(log.recorder, log.mapper, "funds", signer, actor=SYSTEM_ACTOR,
                             suite=suite)
    assert second is not None and second.originator_version == 2
    hasher = SUITES[suite].hasher
    everything = log.recorder.select_notifications(start=1, limit=100)
    assert second.size == len(everything) == 10 and second.last_position == everything[-1].id
    builder = RootBuilder(hasher)
    for notification in everything:
        builder.append(hasher.leaf(leaf_bytes(notification)))
    opened = open_note(second.note, key)
    assert (opened.size, opened.root, opened.suite) == (10, builder.root(), suite)
    if suite == "sha256-ed25519":
        assert opened.root == mth([leaf_bytes(n) for n in everything])

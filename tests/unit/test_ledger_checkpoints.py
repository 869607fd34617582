"""The ledger's suites and checkpoints (shared/ledger/suites.py, checkpoint.py): SM3 digests as
OpenSSL computes them; checkpoints in the C2SP signed-note format, signed and opened with
both suites; any change to a checkpoint, or a key of the wrong suite, refused."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_note,
    origin_of,
    verifier_key,
)
from shared.ledger.merkle import tree_root
from shared.ledger.suites import (
    ED25519_TYPE,
    SUITES,
    Ed25519Signer,
    SM2Signer,
    generate_sm2_private_hex,
    sm3,
)

MESSAGES = [b"", b"abc", "区纪委监委".encode(), bytes(range(256)) * 9]


@pytest.mark.parametrize("message", MESSAGES)
def test_sm3_digests_are_what_openssl_dgst_sm3_computes(message):
    done = subprocess.run(["openssl", "dgst", "-sm3", "-r"], input=message,
                          capture_output=True, check=True)
    assert sm3(message).hex() == done.stdout.split()[0].decode()


def test_the_sm3_tree_hashes_leaves_and_nodes_with_the_rfcs_prefixes():
    hasher = SUITES["sm3-sm2"].hasher
    leaves = [hasher.leaf(m) for m in (b"a", b"b", b"c")]
    assert leaves[0] == sm3(b"\x00a")
    left = sm3(b"\x01" + leaves[0] + leaves[1])
    assert tree_root(hasher, leaves) == sm3(b"\x01" + left + leaves[2])


def signed(suite: str) -> tuple[Checkpoint, str, str]:
    signer = Ed25519Signer(Ed25519PrivateKey.generate()) if suite == "sha256-ed25519" \
        else SM2Signer(generate_sm2_private_hex())
    hasher = SUITES[suite].hasher
    root = tree_root(hasher, [hasher.leaf(f"e{i}".encode()) for i in range(5)])
    checkpoint = Checkpoint(origin_of("demo", "casework"), 5, root, suite,
                            datetime(2025, 12, 31, 23, 0, tzinfo=UTC))
    name = checkpoint.origin
    key = verifier_key(name, signer.signature_type, signer.public_bytes())
    return checkpoint, checkpoint.sign(signer), key


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_a_signed_checkpoint_opens_with_its_key_and_nothing_changed_opens(suite):
    checkpoint, note, key = signed(suite)
    assert open_note(note, key) == checkpoint
    body = note.split("\n\n")[0] + "\n"
    assert body.splitlines()[:3] == [
        "dutytrail.demo/casework", "5", base64.b64encode(checkpoint.root).decode()
    ]
    assert f"suite {suite}" in body.splitlines()
    grown = note.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(grown, key)
    _, _, other_key = signed(suite)
    with pytest.raises(CheckpointError, match="no signature"):
        open_note(note, other_key)


def test_the_ed25519_signature_line_is_the_c2sp_one():
    """Key id and signature line computed here from the C2SP text, not by the module."""
    private = Ed25519PrivateKey.generate()
    signer = Ed25519Signer(private)
    checkpoint = Checkpoint("dutytrail.demo/funds", 0, hashlib.sha256(b"").digest(),
                            "sha256-ed25519", datetime(2026, 1, 1, tzinfo=UTC))
    note = checkpoint.sign(signer)
    body = checkpoint.body().encode()
    public = signer.public_bytes()
    expected_id = hashlib.sha256(b"dutytrail.demo/funds\n\x01" + public).digest()[:4]
    line = "\u2014 dutytrail.demo/funds " + base64.b64encode(
        expected_id + private.sign(body)).decode()
    assert note == body.decode() + "\n" + line + "\n"


def test_a_key_whose_id_does_not_match_and_a_key_of_the_other_suite_are_refused():
    checkpoint, note, key = signed("sha256-ed25519")
    name, _, encoded = key.split("+", 2)
    with pytest.raises(CheckpointError, match="does not match"):
        open_note(note, f"{name}+00000000+{encoded}")
    sm2 = SM2Signer(generate_sm2_private_hex())
    with pytest.raises(CheckpointError, match="cannot be signed"):
        checkpoint.sign(sm2)
    assert base64.b64decode(encoded)[:1] == ED25519_TYPE

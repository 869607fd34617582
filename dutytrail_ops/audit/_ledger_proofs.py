"""Proof files (docs/audit.md, "Proofs"): an event's inclusion in a signed checkpoint, and
optionally the consistency of an earlier checkpoint with it, checked offline with the file
and the service's verifier key only.

    {"format": "dutytrail-proof/1", "service", "suite", "event_id", "position",
     "leaf_index", "leaf": base64 leaf bytes, "checkpoint": signed note,
     "verifier_key": C2SP verifier key, "inclusion": [base64 hashes],
     "consistency": {"checkpoint": earlier signed note, "proof": [base64 hashes]} | absent}
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from shared.ledger.checkpoint import Checkpoint, CheckpointError, open_note
from shared.ledger.leaves import LeafError, parse_leaf
from shared.ledger.merkle import ProofError, verify_consistency, verify_inclusion

FORMAT = "dutytrail-proof/1"


class ProofFileError(ValueError):
    """A proof that does not prove what it says (or is not a proof file)."""


@dataclass(frozen=True)
class Proven:
    event_id: str
    position: int
    checkpoint: Checkpoint
    since: Checkpoint | None


def _hashes(value: Any) -> list[bytes]:
    if not isinstance(value, list):
        raise ProofFileError("a proof is a list of base64 hashes")
    try:
        return [base64.b64decode(h, validate=True) for h in value]
    except (ValueError, TypeError) as error:
        raise ProofFileError("a proof is a list of base64 hashes") from error


def check_proof(proof: dict[str, Any], key: str) -> Proven:
    """What ``proof`` proves, if it holds under verifier ``key``; else ProofFileError."""
    if proof.get("format") != FORMAT:
        raise ProofFileError(f"not a {FORMAT} file")
    try:
        checkpoint = open_note(str(proof["checkpoint"]), key)
        hasher = checkpoint.suite_spec.hasher
        leaf = base64.b64decode(str(proof["leaf"]), validate=True)
        stored = parse_leaf(leaf)
        event_id = f"{stored.originator_id}:{stored.originator_version}"
        if event_id != proof.get("event_id") or stored.id != proof.get("position"):
            raise ProofFileError(
                f"the leaf is event {event_id} at position {stored.id}, not the one named"
            )
        verify_inclusion(hasher, int(proof["leaf_index"]), checkpoint.size,
                         hasher.leaf(leaf), _hashes(proof.get("inclusion")), checkpoint.root)
        since = None
        consistency = proof.get("consistency")
        if consistency is not None:
            since = open_note(str(consistency["checkpoint"]), key)
            verify_consistency(hasher, since.size, checkpoint.size, since.root,
                               checkpoint.root, _hashes(consistency.get("proof")))
    except (CheckpointError, ProofError, LeafError) as error:
        raise ProofFileError(str(error)) from error
    except (KeyError, ValueError, TypeError) as error:
        if isinstance(error, ProofFileError):
            raise
        raise ProofFileError(f"not a well-formed proof file ({error})") from error
    return Proven(event_id, stored.id, checkpoint, since)

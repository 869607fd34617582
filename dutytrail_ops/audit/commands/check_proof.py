"""``dutytrail audit check-proof FILE``: check a proof offline, with the file and the
service's verifier key only (docs/audit.md, "Proofs")."""

from __future__ import annotations

from pathlib import Path

import click

from dutytrail_ops.audit._ledger_cli import emit
from dutytrail_ops.exits import ProofRefusedError


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", default=None, metavar="VERIFIER_KEY",
              help="The service's published verifier key (<origin>+<id>+<key>); without it, "
                   "the key written in the file is used: compare it with the published one.")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
def command(file: Path, key: str | None, as_json: bool) -> None:
    """Check that the event in FILE is in the signed checkpoint it names (exit 0), and, if
    the file has one, that the earlier checkpoint is consistent with it; exit 8 otherwise.
    Needs neither the stores nor the broker."""
    import json

    from dutytrail_ops.audit._ledger_proofs import ProofFileError, check_proof

    try:
        proof = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(proof, dict):
            raise ProofFileError("not a proof file")
        used = key or str(proof.get("verifier_key", ""))
        proven = check_proof(proof, used)
    except (ValueError, ProofFileError) as error:
        raise ProofRefusedError(f"{file}: the proof is refused: {error}") from None
    checkpoint = proven.checkpoint
    lines = [
        f"event {proven.event_id} at position {proven.position} is in the checkpoint of "
        f"{checkpoint.size} events of {checkpoint.origin} signed at "
        f"{checkpoint.time.isoformat()} ({checkpoint.suite})",
    ]
    if proven.since is not None:
        lines.append(f"the checkpoint of {proven.since.size} events signed at "
                     f"{proven.since.time.isoformat()} is consistent with it")
    if key is None:
        lines.append(f"checked with the key written in the file: {used}")
    emit(as_json, {
        "ok": True, "event_id": proven.event_id, "position": proven.position,
        "origin": checkpoint.origin, "size": checkpoint.size, "suite": checkpoint.suite,
        "signed_at": checkpoint.time.isoformat(),
        "consistent_since": proven.since.size if proven.since else None,
        "key": used, "key_given": key is not None,
    }, lines)

"""Checkpoints in the C2SP formats transparency logs use (https://c2sp.org/tlog-checkpoint,
https://c2sp.org/signed-note), so that existing tools can read them.

A checkpoint's body is three lines (origin, tree size, base64 root hash) and two extension
lines of ours (``suite <name>``, ``time <RFC 3339>``). The signed note is the body, a blank
line, and one signature line per signer: ``— <key name> <base64(key id || signature)>``; the
key id is the first four bytes of SHA-256(key name || 0x0A || signature type || public key).
A verifier key is written ``<key name>+<hex key id>+<base64(signature type || public key)>``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.ledger.suites import ED25519_TYPE, SM2_TYPE, Signer, Suite, Verifier, suite_named

SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_SIGNATURES = 100


class CheckpointError(ValueError):
    """A note that is not a well-formed checkpoint, or whose signature does not verify."""


def origin_of(district: str, service: str) -> str:
    """The log's origin line (and its key name): unique per district and service."""
    return f"dutytrail.{district}/{service}"


def key_id(name: str, signature_type: bytes, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + signature_type + public).digest()[:4]


def verifier_key(name: str, signature_type: bytes, public: bytes) -> str:
    """The text a verifier is given (``name+hexid+base64(type||key)``)."""
    encoded = base64.b64encode(signature_type + public).decode()
    return f"{name}+{key_id(name, signature_type, public).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, bytes, Verifier]:
    """``(name, key id, verifier)`` of a verifier key; a mismatching id is refused."""
    from shared.ledger.suites import Ed25519Verifier, SM2Verifier

    try:
        name, hex_id, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise CheckpointError(f"not a verifier key: {text!r}") from error
    verifier: Verifier
    if raw[:1] == ED25519_TYPE:
        verifier = Ed25519Verifier.from_bytes(raw[1:])
    elif raw.startswith(SM2_TYPE):
        verifier = SM2Verifier.from_bytes(raw[len(SM2_TYPE):])
    else:
        raise CheckpointError(f"verifier key {name} has an unknown signature type")
    identifier = bytes.fromhex(hex_id)
    if identifier != key_id(name, verifier.signature_type, verifier.public_bytes()):
        raise CheckpointError(f"verifier key {name}: its id does not match its key")
    return name, identifier, verifier


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    suite: str
    time: datetime

    def body(self) -> str:
        moment = self.time.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        root = base64.b64encode(self.root).decode()
        return f"{self.origin}\n{self.size}\n{root}\nsuite {self.suite}\ntime {moment}\n"

    def sign(self, signer: Signer, name: str | None = None) -> str:
        """The signed note; the key name is the origin unless given."""
        name = name or self.origin
        body = self.body()
        if signer.signature_type != suite_named(self.suite).signature_type:
            raise CheckpointError(f"a {self.suite} checkpoint cannot be signed with this key")
        signature = signer.sign(body.encode())
        identifier = key_id(name, signer.signature_type, signer.public_bytes())
        line = base64.b64encode(identifier + signature).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{name} {line}\n"

    @property
    def suite_spec(self) -> Suite:
        return suite_named(self.suite)


def parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint body is at least three lines, each ending in a newline")
    origin, size_text, root_text, *extensions = lines[:-1]
    if not origin or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
        raise CheckpointError("a checkpoint's first lines are its origin and its tree size")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError as error:
        raise CheckpointError("a checkpoint's third line is its base64 root hash") from error
    fields = dict(line.split(" ", 1) for line in extensions if " " in line)
    if "suite" not in fields or "time" not in fields:
        raise CheckpointError("a dutytrail checkpoint names its suite and its time")
    suite = suite_named(fields["suite"]).name
    moment = datetime.fromisoformat(fields["time"].replace("Z", "+00:00"))
    if len(root) != 32:
        raise CheckpointError("a root hash is 32 bytes")
    return Checkpoint(origin, int(size_text), root, suite, moment)


def open_note(note: str, key: str) -> Checkpoint:
    """The checkpoint of a signed note, if the signature of the verifier ``key`` is on it and
    verifies; else :class:`CheckpointError`. Lines of other keys are ignored, as C2SP says."""
    name, identifier, verifier = parse_verifier_key(key)
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("a signed note is its text, a blank line and signature lines")
    body, signatures = note[: split + 1], note[split + 2:].splitlines()
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise CheckpointError("a signed note has between 1 and 100 signature lines")
    for line in signatures:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"not a signature line: {line!r}")
        signer_name, _, encoded = line[len(SIGNATURE_PREFIX):].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise CheckpointError(f"not a signature line: {line!r}") from error
        if signer_name != name or raw[:4] != identifier:
            continue
        if not verifier.verify(body.encode(), raw[4:]):
            raise CheckpointError(f"the signature of {name} on the checkpoint does not verify")
        checkpoint = parse_body(body)
        if checkpoint.suite_spec.signature_type != verifier.signature_type:
            raise CheckpointError(f"a {checkpoint.suite} checkpoint signed with another suite")
        return checkpoint
    raise CheckpointError(f"the checkpoint carries no signature of {name}")

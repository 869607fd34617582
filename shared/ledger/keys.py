"""Each service's checkpoint-signing key for the deployment's suite (docs/audit.md, "Keys").

- ``sha256-ed25519``: the service's Ed25519 key, the one that signs its events
  (``shared.keys``, ``dutytrail keys export``);
- ``sm3-sm2``: an SM2 key kept the same way: ``DUTYTRAIL_<SERVICE>_SM2_PRIVATE_KEY_FILE`` /
  ``DUTYTRAIL_<SERVICE>_SM2_PUBLIC_KEY_FILE``, or ``<service>.sm2.key`` / ``<service>.sm2.pub``
  in the key directory, each file the key in hex (the private scalar; the public point x||y);
  with ``DUTYTRAIL_DEV_KEYS=1`` a development key is generated once in ``<key dir>/dev/``.

The verifier key auditors are given is the C2SP text ``<origin>+<key id>+<base64 key>``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from shared.keys import KeyConfigurationError, dev_keys_enabled, key_dir, private_key, public_key
from shared.ledger.checkpoint import origin_of, verifier_key
from shared.ledger.config import district, ledger_suite
from shared.ledger.suites import (
    Ed25519Signer,
    Ed25519Verifier,
    Signer,
    SM2Signer,
    SM2Verifier,
    Verifier,
    generate_sm2_private_hex,
    sm2_public_hex,
    suite_named,
)
from shared.settings import env

log = logging.getLogger(__name__)


def _variable(service: str, kind: str) -> str:
    return f"DUTYTRAIL_{service.upper()}_SM2_{kind}_KEY_FILE"


def _configured(service: str, kind: str, suffix: str) -> Path | None:
    explicit = env(_variable(service, kind), "")
    if explicit:
        return Path(explicit)
    path = key_dir() / f"{service}{suffix}"
    return path if path.exists() else None


def _read_hex(path: Path, length: int) -> str:
    text = path.read_text().strip().lower()
    try:
        if len(bytes.fromhex(text)) != length:
            raise ValueError
    except ValueError:
        raise KeyConfigurationError(f"{path} is not an SM2 key in hex") from None
    return text


def _dev_sm2_private_hex(service: str) -> str:
    folder = key_dir() / "dev"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{service}.sm2.key"
    if not path.exists():
        private = generate_sm2_private_hex()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(private)
            (folder / f"{service}.sm2.pub").write_text(sm2_public_hex(private))
            log.warning("generated a DEVELOPMENT SM2 key %s (DUTYTRAIL_DEV_KEYS=1)", path)
    for _ in range(50):  # another process may be writing it right now
        if path.read_text().strip():
            return _read_hex(path, 32)
        time.sleep(0.02)
    raise KeyConfigurationError(f"development key {path} is empty")


def sm2_private_hex(service: str) -> str:
    path = _configured(service, "PRIVATE", ".sm2.key")
    if path is not None:
        return _read_hex(path, 32)
    if dev_keys_enabled():
        return _dev_sm2_private_hex(service)
    msg = (
        f"no SM2 key for {service!r}: set {_variable(service, 'PRIVATE')} to a file with the "
        f"key in hex, put {service}.sm2.key in {key_dir()}, or set DUTYTRAIL_DEV_KEYS=1"
    )
    raise KeyConfigurationError(msg)


def sm2_public_hex_of(service: str) -> str:
    path = _configured(service, "PUBLIC", ".sm2.pub")
    if path is not None:
        return _read_hex(path, 64)
    return sm2_public_hex(sm2_private_hex(service))


def checkpoint_signer(service: str, suite: str | None = None) -> Signer:
    """The key that signs ``service``'s checkpoints in ``suite`` (the deployment's)."""
    spec = suite_named(suite or ledger_suite())
    if spec.name == "sha256-ed25519":
        return Ed25519Signer(private_key(service))
    return SM2Signer(sm2_private_hex(service))


def checkpoint_verifier(service: str, suite: str | None = None) -> Verifier:
    spec = suite_named(suite or ledger_suite())
    if spec.name == "sha256-ed25519":
        return Ed25519Verifier(public_key(service))
    return SM2Verifier(sm2_public_hex_of(service))


def published_verifier_key(service: str, suite: str | None = None) -> str:
    """The C2SP verifier key of ``service``'s checkpoints, as auditors are given it."""
    verifier = checkpoint_verifier(service, suite)
    return verifier_key(origin_of(district(), service), verifier.signature_type,
                        verifier.public_bytes())

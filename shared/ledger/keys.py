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

from pathlib import Path

from shared.keys import (
    KeyConfigurationError,
    configured_key_file,
    dev_key_bytes,
    dev_keys_enabled,
    key_dir,
    key_file_variable,
    private_key,
    public_key,
)
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


def _read_hex(path: Path, length: int) -> str:
    text = path.read_text().strip().lower()
    try:
        if len(bytes.fromhex(text)) != length:
            raise ValueError
    except ValueError:
        raise KeyConfigurationError(f"{path} is not an SM2 key in hex") from None
    return text


def _generate_sm2(service: str) -> tuple[bytes, dict[str, bytes]]:
    private = generate_sm2_private_hex()
    return private.encode("ascii"), {f"{service}.sm2.pub": sm2_public_hex(private).encode("ascii")}


def _dev_sm2_private_hex(service: str) -> str:
    dev_key_bytes(f"{service}.sm2.key", "SM2 key", lambda: _generate_sm2(service))
    return _read_hex(key_dir() / "dev" / f"{service}.sm2.key", 32)


def sm2_private_hex(service: str) -> str:
    path = configured_key_file(service, "SM2_PRIVATE", ".sm2.key")
    if path is not None:
        return _read_hex(path, 32)
    if dev_keys_enabled():
        return _dev_sm2_private_hex(service)
    msg = (
        f"no SM2 key for {service!r}: set {key_file_variable(service, 'SM2_PRIVATE')} to a file "
        f"with the key in hex, put {service}.sm2.key in {key_dir()}, or set DUTYTRAIL_DEV_KEYS=1"
    )
    raise KeyConfigurationError(msg)


def sm2_public_hex_of(service: str) -> str:
    path = configured_key_file(service, "SM2_PUBLIC", ".sm2.pub")
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

"""Ed25519 keys: each service's event-signing key, and the token authority's key that signs
callers' tokens (docs/trust.md).

Keys come from configuration: ``DUTYTRAIL_<NAME>_PRIVATE_KEY_FILE`` and
``DUTYTRAIL_<NAME>_PUBLIC_KEY_FILE`` (PEM), or the files ``<name>.key`` / ``<name>.pub`` in
``DUTYTRAIL_KEY_DIR`` (default ``$DUTYTRAIL_VAR_DIR/keys``). There is no silent default: a
missing key is a :class:`KeyConfigurationError`, unless ``DUTYTRAIL_DEV_KEYS=1`` asks for
development keys, which are generated in ``<key dir>/dev/`` and announced as such in the log.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.settings import StoreSettings, env

log = logging.getLogger(__name__)

TOKEN_AUTHORITY = "tokens"


class KeyConfigurationError(RuntimeError):
    """A key the process needs is not configured (and development keys were not asked for)."""


def dev_keys_enabled() -> bool:
    return env("DUTYTRAIL_DEV_KEYS", "0") == "1"


def key_dir() -> Path:
    default = StoreSettings.from_environ().var_dir / "keys"
    return Path(env("DUTYTRAIL_KEY_DIR", str(default))).resolve()


def key_file_variable(name: str, kind: str) -> str:
    """The variable naming the file of ``name``'s key of ``kind`` (``PRIVATE``, ``PUBLIC``,
    or a suite's, e.g. ``SM2_PRIVATE``)."""
    return f"DUTYTRAIL_{name.upper()}_{kind}_KEY_FILE"


def configured_key_file(name: str, kind: str, suffix: str) -> Path | None:
    """The file the variable names, else ``<name><suffix>`` in the key directory if it is
    there."""
    explicit = env(key_file_variable(name, kind), "")
    if explicit:
        return Path(explicit)
    path = key_dir() / f"{name}{suffix}"
    return path if path.exists() else None


def dev_key_bytes(file_name: str, what: str,
                  generate: Callable[[], tuple[bytes, dict[str, bytes]]]) -> bytes:
    """The development key ``file_name`` in ``<key dir>/dev/``, generated once (atomically:
    several processes may ask at the same moment). ``generate`` answers the key's bytes and
    the files to write beside it (its public key), by name."""
    folder = key_dir() / "dev"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    if not path.exists():
        data, beside = generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            for name, content in beside.items():
                (folder / name).write_bytes(content)
            log.warning("generated a DEVELOPMENT %s %s (DUTYTRAIL_DEV_KEYS=1)", what, path)
    for _ in range(50):  # another process may be writing it right now
        data = path.read_bytes()
        if data.strip():
            return data
        time.sleep(0.02)
    raise KeyConfigurationError(f"development {what} {path} is empty")


def _generate_private(name: str) -> tuple[bytes, dict[str, bytes]]:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, {f"{name}.pub": public_pem(key.public_key())}


def _dev_private_key(name: str) -> Ed25519PrivateKey:
    path = key_dir() / "dev" / f"{name}.key"
    return _load_private(dev_key_bytes(path.name, "key", lambda: _generate_private(name)), path)


def _load_private(data: bytes, path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{path} is not an Ed25519 private key")
    return key


def private_key(name: str) -> Ed25519PrivateKey:
    """The private key ``name`` (a service's signing key, or ``tokens``)."""
    path = configured_key_file(name, "PRIVATE", ".key")
    if path is not None:
        return _load_private(path.read_bytes(), path)
    if dev_keys_enabled():
        return _dev_private_key(name)
    msg = (
        f"no private key for {name!r}: set {key_file_variable(name, 'PRIVATE')} to a PEM file, "
        f"put {name}.key in {key_dir()}, or set DUTYTRAIL_DEV_KEYS=1 for a development key"
    )
    raise KeyConfigurationError(msg)


_public_keys: dict[tuple[str, ...], Ed25519PublicKey] = {}


def public_key(name: str) -> Ed25519PublicKey:
    """The public key ``name`` (to verify its events, or the tokens it issued). Read once per
    process and configuration: a rotated key takes effect when the process restarts."""
    configuration = (
        name, env(key_file_variable(name, "PUBLIC"), ""), env("DUTYTRAIL_KEY_DIR", ""),
        env("DUTYTRAIL_VAR_DIR", ""), str(dev_keys_enabled()),
    )
    cached = _public_keys.get(configuration)
    if cached is None:
        cached = _public_keys[configuration] = _load_public_key(name)
    return cached


def _load_public_key(name: str) -> Ed25519PublicKey:
    path = configured_key_file(name, "PUBLIC", ".pub")
    if path is not None:
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise KeyConfigurationError(f"{path} is not an Ed25519 public key")
        return key
    if dev_keys_enabled():
        return _dev_private_key(name).public_key()
    msg = (
        f"no public key for {name!r}: set {key_file_variable(name, 'PUBLIC')} to a PEM file, "
        f"put {name}.pub in {key_dir()}, or set DUTYTRAIL_DEV_KEYS=1 for a development key"
    )
    raise KeyConfigurationError(msg)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

"""The pseudonymous id of a person: HMAC-SHA256 of the national id (身份证号) with the funds
service's own secret key, as 64 hex digits. The same person always gets the same id, so the
rules can match a payment against the reference files, but nobody without the key can turn
an id back into a national id, or test a guessed one (a plain hash of an 18-digit id could be
brute-forced). The clear id is used for that one computation and never stored, logged or
published.

The key is configured like the signing keys (shared/keys.py):
``DUTYTRAIL_FUNDS_PSEUDONYM_KEY_FILE``, or the file ``funds-pseudonym.secret`` in
``DUTYTRAIL_KEY_DIR``; there is no silent default: a missing key is a
:class:`~shared.keys.KeyConfigurationError`, unless ``DUTYTRAIL_DEV_KEYS=1`` asks for a
development key, generated once in ``<key dir>/dev/``. The key must stay the same for the
life of the ledger: a new key gives everyone new ids (docs/funds.md, "Pseudonyms").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from shared.keys import KeyConfigurationError, dev_key_bytes, dev_keys_enabled, key_dir
from shared.settings import env

KEY_VARIABLE = "DUTYTRAIL_FUNDS_PSEUDONYM_KEY_FILE"
KEY_FILE = "funds-pseudonym.secret"
MIN_KEY_BYTES = 32


class InvalidNationalIdError(ValueError):
    """Not a national id: 18 characters, digits with a final digit or X."""


def normalise_national_id(national_id: str) -> str:
    """The id as issued (an ``x`` written small is the same ``X``), checked for its form; the
    message never repeats the id."""
    cleaned = national_id.strip().upper()
    if len(cleaned) != 18 or not cleaned[:17].isdigit() or not (
        cleaned[17].isdigit() or cleaned[17] == "X"
    ):
        raise InvalidNationalIdError(
            "a national id is 18 characters: 17 digits, then a digit or X"
        )
    return cleaned


class Pseudonymiser:
    """Turns national ids into pseudonymous ids with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            msg = f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes, not {len(key)}"
            raise KeyConfigurationError(msg)
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(<key hidden>)"

    def person_id(self, national_id: str) -> str:
        cleaned = normalise_national_id(national_id)
        return hmac.new(self._key, cleaned.encode("ascii"), hashlib.sha256).hexdigest()

    @classmethod
    def configured(cls) -> Pseudonymiser:
        return cls(pseudonym_key())


def pseudonym_key() -> bytes:
    """The configured key (the file's bytes, at least 32), or a development key."""
    explicit = env(KEY_VARIABLE, "")
    path = Path(explicit) if explicit else key_dir() / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    if explicit:
        raise KeyConfigurationError(f"{KEY_VARIABLE} names {path}, which does not exist")
    if dev_keys_enabled():
        return _dev_key()
    msg = (
        f"no pseudonym key for the funds service: set {KEY_VARIABLE} to a file of at least "
        f"{MIN_KEY_BYTES} random bytes, put {KEY_FILE} in {key_dir()}, or set "
        "DUTYTRAIL_DEV_KEYS=1 for a development key"
    )
    raise KeyConfigurationError(msg)


def _dev_key() -> bytes:
    return dev_key_bytes(KEY_FILE, "pseudonym key",
                         lambda: (secrets.token_hex(32).encode("ascii"), {})).strip()

"""The two algorithm suites of the ledger, chosen per deployment and named in every checkpoint
(docs/audit.md, "Algorithm suites"):

- ``sha256-ed25519``: RFC 9162 exactly (SHA-256 leaves and nodes), checkpoints signed with
  Ed25519 (C2SP signature type 0x01);
- ``sm3-sm2``: the national commercial algorithms (GB/T 32905 SM3 for leaves and nodes,
  GB/T 32918 SM2 signatures with SM3 and the default user id), for deployments assessed under
  GB/T 39786-2021. SM3 comes from ``cryptography``; SM2 from ``gmssl``. C2SP assigns SM2 no
  signature type, so its key ids use the extension escape 0xff followed by ``sm2-sm3``.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.ledger.merkle import TreeHasher

SuiteName = Literal["sha256-ed25519", "sm3-sm2"]
SUITE_NAMES: tuple[SuiteName, ...] = get_args(SuiteName)


class UnknownSuiteError(ValueError):
    pass


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


class Signer(ABC):
    """A checkpoint signer: its suite's signature type and public key, and ``sign``."""

    signature_type: bytes

    @abstractmethod
    def public_bytes(self) -> bytes: ...

    @abstractmethod
    def sign(self, message: bytes) -> bytes: ...


class Verifier(ABC):
    signature_type: bytes

    @abstractmethod
    def public_bytes(self) -> bytes: ...

    @abstractmethod
    def verify(self, message: bytes, signature: bytes) -> bool: ...


# Ed25519.

ED25519_TYPE = b"\x01"


class Ed25519Signer(Signer):
    signature_type = ED25519_TYPE

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def public_bytes(self) -> bytes:
        return self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)


class Ed25519Verifier(Verifier):
    signature_type = ED25519_TYPE

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key

    @classmethod
    def from_bytes(cls, raw: bytes) -> Ed25519Verifier:
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    def public_bytes(self) -> bytes:
        return self.key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


# SM2 (gmssl keeps keys as hex: the private scalar, and the public point as x||y).

SM2_TYPE = b"\xff" + b"sm2-sm3"
_SM2_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


def _crypt_sm2(private_hex: str, public_hex: str) -> object:
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    # gmssl strips a leading "04" from the given key with lstrip, which also eats an x
    # coordinate's own leading zeros or fours: set the key after construction.
    crypt.public_key = public_hex
    return crypt


def sm2_public_hex(private_hex: str) -> str:
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    point: str = crypt._kg(int(private_hex, 16), sm2.default_ecc_table["g"])
    return point


def generate_sm2_private_hex() -> str:
    return f"{secrets.randbelow(_SM2_N - 2) + 1:064x}"


class SM2Signer(Signer):
    signature_type = SM2_TYPE

    def __init__(self, private_hex: str) -> None:
        self.private_hex = private_hex
        self.public_hex = sm2_public_hex(private_hex)

    def public_bytes(self) -> bytes:
        return bytes.fromhex(self.public_hex)

    def sign(self, message: bytes) -> bytes:
        crypt = _crypt_sm2(self.private_hex, self.public_hex)
        # The nonce from the system's secure generator (gmssl's default uses ``random``).
        nonce = f"{secrets.randbelow(_SM2_N - 2) + 1:064x}"
        signature: str = crypt.sign_with_sm3(message, nonce)  # type: ignore[attr-defined]
        return bytes.fromhex(signature)


class SM2Verifier(Verifier):
    signature_type = SM2_TYPE

    def __init__(self, public_hex: str) -> None:
        self.public_hex = public_hex

    @classmethod
    def from_bytes(cls, raw: bytes) -> SM2Verifier:
        return cls(raw.hex())

    def public_bytes(self) -> bytes:
        return bytes.fromhex(self.public_hex)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        crypt = _crypt_sm2("", self.public_hex)
        try:
            return bool(crypt.verify_with_sm3(signature.hex(), message))  # type: ignore[attr-defined]
        except (ValueError, ZeroDivisionError):
            return False


@dataclass(frozen=True)
class Suite:
    name: SuiteName
    hasher: TreeHasher
    signature_type: bytes

    def verifier(self, public: bytes) -> Verifier:
        if self.signature_type == ED25519_TYPE:
            return Ed25519Verifier.from_bytes(public)
        return SM2Verifier.from_bytes(public)


SUITES: dict[str, Suite] = {
    "sha256-ed25519": Suite("sha256-ed25519", TreeHasher(sha256), ED25519_TYPE),
    "sm3-sm2": Suite("sm3-sm2", TreeHasher(sm3), SM2_TYPE),
}


def suite_named(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        msg = f"unknown ledger suite {name!r}: choose one of {', '.join(SUITE_NAMES)}"
        raise UnknownSuiteError(msg) from None

"""Signed CloudEvents: the CloudEvents extension "Verifiable CloudEvents with DSSE"
(cloudevents/spec, ``cloudevents/extensions/verifiability.md``), with Ed25519 keys
(docs/contract.md, "Verifying events").

A producer computes the *verification material*, a SHA-256 digest over the event's core
attributes, its ``data`` and the extension attributes it lists in ``signedextattrs``; signs it
with DSSE v1 (the signature covers ``PAE(payloadType, digest)``); and carries the DSSE envelope,
Base64-encoded, as the extension attribute ``dssematerial``. A consumer checks the signature
with the producer's public key, recomputes the digest from the event it received and compares.

Where the extension leaves a choice open, dutytrail decides:

- ``data`` is hashed as its RFC 8785 (JCS) canonical JSON in UTF-8: keys sorted, no
  whitespace, numbers as ECMAScript prints them. Any JSON parser and printer gives it back
  (``JSON.stringify`` with sorted keys in JavaScript);
- ``time`` is hashed as RFC 3339 in UTC to the second (``2026-01-05T01:00:00Z``), as the
  extension says; ``recordedtime`` is signed as it is written, to the microsecond;
- every signed attribute must be present, and a string;
- the key id is ``<service>:<fingerprint>``, the fingerprint being the first 16 hex digits of
  the SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.keys import private_key, public_key

PAYLOAD_TYPE = "https://cloudevents.io/verifiability/dsse/v0.1"
MATERIAL_ATTRIBUTE = "dssematerial"
SIGNED_LIST_ATTRIBUTE = "signedextattrs"

# The core attributes, in the order the extension hashes them (always signed; never listed).
CORE_ATTRIBUTES = (
    "id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time",
)
# The extension attributes every dutytrail event signs, in this order (docs/contract.md).
SIGNED_EXTENSION_ATTRIBUTES = ("sequence", "prevsequence", "recordedtime", "dataclassification")
# Signed too when an event has them, after those: the trace it belongs to (docs/tracing.md).
# A verifier needs no change: it hashes whatever ``signedextattrs`` lists.
SIGNED_WHEN_PRESENT = ("traceparent",)

_EMPTY_DIGEST = hashlib.sha256(b"").digest()
_NOT_LISTABLE = frozenset({*CORE_ATTRIBUTES, MATERIAL_ATTRIBUTE, SIGNED_LIST_ATTRIBUTE})


class SignatureError(ValueError):
    """An event that cannot be verified: unsigned, signed by another key, or altered."""


class Signer(Protocol):
    """What the envelope builder signs each CloudEvent with."""

    def sign(self, event: dict[str, Any]) -> dict[str, Any]: ...


class Verifier(Protocol):
    """What a consumer verifies each upstream CloudEvent with."""

    def verify(self, event: Mapping[str, Any]) -> dict[str, Any]: ...


# DSSE (secure-systems-lab/dsse, protocol.md, v1.0.2).


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding:
    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, LEN in ASCII decimal bytes."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    """Standard or URL-safe Base64, padded or not (DSSE accepts both)."""
    if not isinstance(text, str):
        raise SignatureError("a Base64 field is not a string")
    try:
        value = text.replace("-", "+").replace("_", "/")
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("a Base64 field does not decode") from None


# The verification material.


_C_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of a JSON value, in UTF-8."""
    try:
        if _plain(value):
            # No float and only ASCII keys: the C encoder already prints JCS.
            return _C_ENCODER.encode(value).encode("utf-8")
        parts: list[str] = []
        _canonical(value, parts)
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise SignatureError("data holds a string that is not valid Unicode") from None


def _plain(value: Any) -> bool:
    """Holds ``value`` only strings, integers, booleans, nulls, lists, and objects with ASCII
    keys (where JCS and Python's sorted, compact JSON agree)?"""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(item) for item in value)
    return False


def _canonical(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(_es_number(value))
    elif isinstance(value, Mapping):
        keys = sorted(value)
        if not all(isinstance(k, str) and k.isascii() for k in keys):
            keys = sorted(value, key=_utf16)  # JCS orders by UTF-16 code units
        parts.append("{")
        for i, key in enumerate(keys):
            if i:
                parts.append(",")
            parts.append(encode_basestring(key))
            parts.append(":")
            _canonical(value[key], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for i, item in enumerate(value):
            if i:
                parts.append(",")
            _canonical(item, parts)
        parts.append("]")
    else:
        raise SignatureError(f"data holds a {type(value).__name__}, which is not JSON")


def _utf16(key: Any) -> bytes:
    if not isinstance(key, str):
        raise SignatureError("data holds an object key that is not a string")
    return key.encode("utf-16-be", "surrogatepass")


def _es_number(number: float) -> str:
    """A float as ECMAScript's Number::toString prints it (what JCS prescribes)."""
    if not math.isfinite(number):
        raise SignatureError("data holds NaN or Infinity, which is not JSON")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # The decimal point sits after ``point`` of ``digits`` (ECMAScript's n).
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        rest = f".{digits[1:]}" if k > 1 else ""
        text = f"{digits[0]}{rest}e{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"
    return sign + text


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def normalized_time(value: str) -> str:
    """RFC 3339 in UTC, to the second, as the extension hashes ``time``."""
    if not _RFC3339.fullmatch(value):
        raise SignatureError(f"time {value!r} is not an RFC 3339 timestamp with an offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SignatureError(f"time {value!r} is not an RFC 3339 timestamp") from None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event[name]
    if not isinstance(value, str):
        raise SignatureError(f"attribute {name} is not a string")
    return value


def _attribute(event: Mapping[str, Any], name: str) -> bytes:
    try:
        return _text(event, name).encode("utf-8")
    except UnicodeEncodeError:
        raise SignatureError(f"attribute {name} is not valid Unicode") from None


@functools.lru_cache(maxsize=4096)
def _digest_of(text: str) -> bytes:
    """SHA-256 of a value that repeats from event to event (a type, a source, a name)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


# Attributes with few distinct values, whose digests are worth remembering.
_REPEATING = frozenset({
    "source", "specversion", "type", "datacontenttype", "dataschema", "dataclassification",
})


def verification_material(event: Mapping[str, Any], signed: Iterable[str]) -> bytes:
    """The 32-byte digest the extension signs: SHA-256 over the SHA-256 of each core
    attribute (an absent one counts as empty), of ``data``, and of each signed extension
    attribute's name and value, in ``signed``'s order."""
    sha = hashlib.sha256
    digests = bytearray()
    for name in CORE_ATTRIBUTES:
        if name not in event:
            digests += _EMPTY_DIGEST
        elif name == "time":
            time = event[name]
            if not isinstance(time, str):
                raise SignatureError("attribute time is not a string")
            digests += sha(normalized_time(time).encode("ascii")).digest()
        elif name in _REPEATING:
            digests += _digest_of(_text(event, name))
        else:
            digests += sha(_attribute(event, name)).digest()
    digests += sha(canonical_json(event["data"])).digest() if "data" in event else _EMPTY_DIGEST
    for name in signed:
        if name not in event:
            raise SignatureError(f"signed attribute {name} is missing")
        digests += _digest_of(name)
        if name in _REPEATING:
            digests += _digest_of(_text(event, name))
        else:
            digests += sha(_attribute(event, name)).digest()
    return sha(bytes(digests)).digest()


def key_fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_id(service: str, key: Ed25519PublicKey) -> str:
    """``<service>:<fingerprint>``: which key signed (docs/contract.md)."""
    return f"{service}:{key_fingerprint(key)}"


def _signed_list(event: Mapping[str, Any]) -> list[str]:
    """``signedextattrs`` as a list, refused if it breaks the extension's rules or leaves out
    an attribute every dutytrail event signs."""
    raw = event.get(SIGNED_LIST_ATTRIBUTE, "")
    if not isinstance(raw, str):
        raise SignatureError(f"{SIGNED_LIST_ATTRIBUTE} is not a string")
    names = raw.split(",") if raw else []
    if len(set(names)) != len(names):
        raise SignatureError(f"{SIGNED_LIST_ATTRIBUTE} repeats an attribute")
    listed_wrongly = sorted(_NOT_LISTABLE.intersection(names))
    if listed_wrongly or "" in names:
        raise SignatureError(f"{SIGNED_LIST_ATTRIBUTE} may not list {listed_wrongly or 'empty'}")
    unsigned = [name for name in SIGNED_EXTENSION_ATTRIBUTES if name not in names]
    if unsigned:
        raise SignatureError(f"{', '.join(unsigned)} not signed")
    return names


class EventSigner:
    """Signs one service's CloudEvents with its Ed25519 key (``shared.keys.private_key``)."""

    def __init__(self, service: str, key: Ed25519PrivateKey, keyid: str | None = None) -> None:
        self.service = service
        self.key = key
        self.key_id = keyid or key_id(service, key.public_key())
        self._signed = ",".join(SIGNED_EXTENSION_ATTRIBUTES)
        self._type = PAYLOAD_TYPE
        self._envelope_start = '{"payloadType":' + json.dumps(PAYLOAD_TYPE) + ',"payload":"'
        self._signature_start = '","signatures":[{"keyid":' + json.dumps(self.key_id) + ',"sig":"'

    @classmethod
    def for_service(cls, service: str) -> EventSigner:
        """The service's configured key; :class:`shared.keys.KeyConfigurationError` if none."""
        return cls(service, private_key(service))

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        """Add ``signedextattrs`` and ``dssematerial`` to ``event`` (in place) and return it."""
        signed: tuple[str, ...] = SIGNED_EXTENSION_ATTRIBUTES
        present = tuple(name for name in SIGNED_WHEN_PRESENT if name in event)
        if present:
            signed = (*signed, *present)
            event[SIGNED_LIST_ATTRIBUTE] = ",".join(signed)
        else:
            event[SIGNED_LIST_ATTRIBUTE] = self._signed
        digest = verification_material(event, signed)
        signature = self.key.sign(pae(self._type, digest))
        envelope = (
            f"{self._envelope_start}{_b64(digest)}{self._signature_start}{_b64(signature)}\"}}]}}"
        )
        event[MATERIAL_ATTRIBUTE] = _b64(envelope.encode("utf-8"))
        return event


class EventVerifier:
    """Verifies one upstream service's CloudEvents with its public key
    (``shared.keys.public_key``), following the extension's verification protocol."""

    def __init__(self, service: str, key: Ed25519PublicKey) -> None:
        self.service = service
        self.key = key
        self.key_id = key_id(service, key)

    @classmethod
    def for_service(cls, service: str) -> EventVerifier:
        """The service's configured public key; :class:`shared.keys.KeyConfigurationError`
        if none."""
        return cls(service, public_key(service))

    def verify(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event with only what was verified (core attributes, ``data`` and the signed
        extension attributes); :class:`SignatureError` if it is not signed by this key or was
        altered after signing."""
        material = event.get(MATERIAL_ATTRIBUTE)
        if not material:
            raise SignatureError("the event is not signed (no dssematerial)")
        try:
            envelope = json.loads(_unb64(material))
        except (ValueError, UnicodeDecodeError):
            raise SignatureError("dssematerial is not a DSSE envelope") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("signatures"), list):
            raise SignatureError("dssematerial is not a DSSE envelope")
        payload_type = envelope.get("payloadType")
        if payload_type != PAYLOAD_TYPE:
            raise SignatureError(f"unknown DSSE payloadType {payload_type!r}")
        payload = _unb64(envelope.get("payload"))
        message = pae(PAYLOAD_TYPE, payload)
        if not any(self._signed_by_key(s, message) for s in envelope["signatures"]):
            raise SignatureError(f"no valid signature by {self.key_id}")
        if len(payload) != 32:
            raise SignatureError("the signed verification material is not a SHA-256 digest")
        signed = _signed_list(event)
        if not hmac.compare_digest(payload, verification_material(event, signed)):
            raise SignatureError("the event was altered after it was signed")
        verified = {name: event[name] for name in CORE_ATTRIBUTES if name in event}
        verified.update({name: event[name] for name in signed})
        if "data" in event:
            verified["data"] = event["data"]
        return verified

    def _signed_by_key(self, signature: Any, message: bytes) -> bool:
        if not isinstance(signature, dict) or signature.get("keyid") != self.key_id:
            return False
        try:
            self.key.verify(_unb64(signature.get("sig")), message)
        except (InvalidSignature, SignatureError):
            return False
        return True

"""Ids the funds service derives from another id, in a namespace of its own: a record derived
from an upstream unit never shares that unit's id, and deriving it twice gives the same id
(learning or firing twice changes nothing)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:funds")


def derived_id(key: str) -> UUID:
    return uuid5(ID_NAMESPACE, key)

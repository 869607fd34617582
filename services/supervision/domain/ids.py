"""The namespace of every id supervision derives from another (a unit's file from the unit, a
problem from its inspection and position, a bulletin from its request): derived ids never
repeat another service's, so a CloudEvent id (``<aggregate id>:<version>``) never does either
(docs/contract.md)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:supervision")


def derived_id(name: str) -> UUID:
    return uuid5(ID_NAMESPACE, name)

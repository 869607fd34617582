"""The namespace of every id casework derives from another (a lead from the upstream event it
came from, a learned letter from the letter): derived ids never repeat another service's, and
the same upstream event always gives the same id (learning it twice creates nothing)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dutytrail:casework")


def derived_id(name: str) -> UUID:
    return uuid5(ID_NAMESPACE, name)

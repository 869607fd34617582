"""Public events of the verifiable ledger (docs/audit.md), the same for every service: the
service's signed checkpoints, the exports of its history and the reads of its confidential
events in a matter's trail. The kit stores them
(``shared/ledger/``), so they are registered here once for each service that has contracts
of its own, with the service's name in their type (``dutytrail.<service>.checkpoint_signed.v1``).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared import contracts
from shared.contracts.base import Classification, EventData, contract


class CheckpointSigned(EventData):
    """The service signed a checkpoint of its log: its first ``size`` events have the Merkle
    root ``root``. ``note`` is the checkpoint as a C2SP signed note, which any transparency-log
    tool reads; check it with the service's published verifier key."""

    checkpoints_id: UUID = Field(description="the log's chain of checkpoints (one per service)")
    origin: str = Field(description="the log, e.g. dutytrail.demo/casework")
    size: int = Field(ge=0, description="how many events of the log it covers, from the first")
    root: str = Field(description="the Merkle root of those events, base64 (RFC 9162)")
    suite: str = Field(description="sha256-ed25519 or sm3-sm2")
    signed_at: datetime
    last_position: int = Field(ge=0, description="the position of the last event it covers")
    frontier: list[str] = Field(description="the roots of the perfect subtrees, base64")
    note: str = Field(description="the C2SP signed note")


class HistoryExported(EventData):
    """Someone exported the service's history (``dutytrail audit export``): who (``actor``),
    when (the event's time), up to which position, and whether confidential events were
    included or withheld (exported as their leaf hash only)."""

    export_id: UUID
    services: list[str]
    last_position: int = Field(ge=0)
    events: int = Field(ge=0)
    withheld: int = Field(ge=0)
    cleared: bool


class TrailRead(EventData):
    """Someone read the trail of a matter (``dutytrail audit trail``) that showed this
    service's confidential events: who (``actor``, with ``roles``), when (the event's time),
    which matter, and how many of the service's confidential events the trail showed."""

    read_id: UUID
    roles: list[str]
    matter: str = Field(description="the id the trail was asked for")
    events: int = Field(ge=0, description="this service's confidential events shown")


def _services() -> list[str]:
    names = []
    for module in pkgutil.iter_modules(contracts.__path__):
        if module.name in ("base", "ledger"):
            continue
        service = getattr(importlib.import_module(f"{contracts.__name__}.{module.name}"),
                          "SERVICE", None)
        if isinstance(service, str):
            names.append(service)
    return sorted(names)


# The ledger's stored events, whose contracts every service has (kit events, not the
# service's own vocabulary).
LEDGER_DOMAIN_EVENTS = frozenset(
    {"Ledger.CheckpointSigned", "Ledger.Exported", "Ledger.TrailRead"}
)

_KINDS: tuple[tuple[type[EventData], str, str, str, Classification], ...] = (
    (CheckpointSigned, "checkpoint_signed", "Ledger.CheckpointSigned", "checkpoints_id",
     "public"),
    (HistoryExported, "history_exported", "Ledger.Exported", "export_id", "internal"),
    (TrailRead, "trail_read", "Ledger.TrailRead", "read_id", "internal"),
)


def _register(service: str) -> None:
    # One model class per service: the registry maps each model to one contract.
    for base, name, domain_event, subject, classification in _KINDS:
        model = type(f"{base.__name__}{service.title()}", (base,), {"__doc__": base.__doc__})
        contract(service=service, name=name, domain_event=domain_event,
                 subject_field=subject, classification=classification)(model)


for _service in _services():
    _register(_service)

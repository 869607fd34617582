"""Pydantic contracts of every public event; importing this package registers them all."""

from shared.contracts import responsibility, supervision
from shared.contracts.base import (
    Actor,
    ContractInfo,
    EventData,
    UnknownEventError,
    all_contracts,
    contract_for_domain_event,
    contract_for_type,
)

__all__ = [
    "Actor",
    "ContractInfo",
    "EventData",
    "UnknownEventError",
    "all_contracts",
    "contract_for_domain_event",
    "contract_for_type",
    "responsibility",
    "supervision",
]

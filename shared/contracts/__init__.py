"""Pydantic contracts of every public event; importing this package registers them all.

Each service's contracts live in the module named after it (``shared.contracts.<service>``);
every module of this package is imported here, so a new service adds its module and nothing
else.
"""

import importlib
import pkgutil

from shared.contracts.base import (
    Actor,
    ContractInfo,
    EventData,
    UnknownEventError,
    all_contracts,
    contract_for_domain_event,
    contract_for_model,
    contract_for_type,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "Actor",
    "ContractInfo",
    "EventData",
    "UnknownEventError",
    "all_contracts",
    "contract_for_domain_event",
    "contract_for_model",
    "contract_for_type",
]

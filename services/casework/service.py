"""The casework service's RPC interface: so far only what the kit gives every service."""

from __future__ import annotations

from services.casework import DECLARATION
from services.casework.application import Casework
from shared.nameko_kit import ApplicationProvider, ServiceKit


class CaseworkService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(Casework)

"""The casework service's eventsourcing application (no use cases yet)."""

from __future__ import annotations

from typing import ClassVar

from shared.application import ServiceApplication
from shared.readmodel import Projection


class Casework(ServiceApplication[Projection]):
    service_name: ClassVar[str] = "casework"

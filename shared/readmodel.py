"""In-process read models that follow a service's own notification log.

Queries read a projection that catches up with the store before answering, so every process
(service, CLI, auditor) sees the same answer from the same stored events, and a projection
never needs its own persistence: it is rebuilt from the log when a process starts.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from eventsourcing.application import Application


class Projection:
    """Applies each stored domain event once, in log order; subclasses add ``on_<Qualname>``."""

    page_size = 1000

    def __init__(self, until: datetime | None = None) -> None:
        self.until = until
        self.position = 0
        self.known: set[Any] = set()
        self._lock = threading.Lock()

    def catch_up(self, app: Application[Any]) -> None:
        with self._lock:
            while True:
                notifications = app.recorder.select_notifications(
                    start=self.position, limit=self.page_size, inclusive_of_start=False
                )
                for notification in notifications:
                    domain_event = app.mapper.to_domain_event(notification)
                    self.apply(domain_event)
                    self.position = notification.id
                if len(notifications) < self.page_size:
                    return

    def apply(self, domain_event: Any) -> None:
        occurred_at = getattr(domain_event, "occurred_at", None)
        if self.until is not None and occurred_at is not None and occurred_at > self.until:
            return  # an "as of" projection: this act happened after the day asked
        # An "as of" projection leaves out acts after its day; a later act on a record whose
        # creation it left out (business times need not follow recording order) is left out
        # with it rather than applied to a record that does not exist yet.
        if domain_event.originator_version == 1:
            self.known.add(domain_event.originator_id)
        elif domain_event.originator_id not in self.known:
            return
        handler_name = "on_" + type(domain_event).__qualname__.replace(".", "_")
        handler = getattr(self, handler_name, None)
        if handler is not None:
            handler(domain_event)

"""Catch-up reading of a service's own events, shared by every service's application."""

from __future__ import annotations

from typing import Any, ClassVar

from shared.envelope import EnvelopeBuilder, read_page

MAX_PAGE = 500


class CatchUpMixin:
    """Adds ``events_after`` to a ServiceApplication: its events from a position, paged."""

    service_name: ClassVar[str]
    recorder: Any

    def events_after(self, after: int, limit: int = MAX_PAGE) -> list[dict[str, Any]]:
        limit = max(1, min(limit, MAX_PAGE))
        builder = getattr(self, "_envelope_builder", None)
        if builder is None:
            builder = EnvelopeBuilder(self.service_name)
            self._envelope_builder = builder
        return read_page(self.recorder, builder, max(after, 0), limit)

    def last_position(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

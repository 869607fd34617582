"""Every service's events as CloudEvents, read from the stores directly (no service, no
broker), for ``dutytrail audit trail``.

The events are shaped by the same envelope builder as the relay's, without signatures: a trail
is a report for a reader, not evidence to verify (``dutytrail audit export`` and ``verify``
are), so reading one needs no service's private key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

PAGE = 500

# Called with the log position reached.
Progress = Callable[[int], None]


class Unsigned:
    """A signer that signs nothing (the trail shows events; it does not hand them on)."""

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        return event


@dataclass(frozen=True)
class ServiceEvents:
    service: str
    events: list[dict[str, Any]]


def last_position(env: Any) -> int:
    """The last position of the log in the store ``env`` names (0: empty)."""
    from shared.persistence import open_factory

    recorder: Any = open_factory(env).application_recorder()
    try:
        return int(recorder.max_notification_id() or 0)
    finally:
        _close(recorder)


def read_service(
    service: str, env: Any, progress: Progress | None = None
) -> ServiceEvents:
    """All of ``service``'s events, in log order, from the store ``env`` names."""
    from shared.envelope import EnvelopeBuilder, parse_position, read_page
    from shared.persistence import open_factory

    recorder: Any = open_factory(env).application_recorder()
    builder = EnvelopeBuilder(service, signer=Unsigned())
    try:
        events: list[dict[str, Any]] = []
        for page in _pages(recorder, builder, read_page):
            events.extend(page)
            if progress is not None:
                progress(parse_position(page[-1]["sequence"]))
        return ServiceEvents(service, events)
    finally:
        _close(recorder)


def _close(recorder: Any) -> None:
    datastore = getattr(recorder, "datastore", None)
    if datastore is not None:
        datastore.close()


def _pages(recorder: Any, builder: Any, read_page: Any) -> Iterator[list[dict[str, Any]]]:
    from shared.envelope import parse_position

    after = 0
    while True:
        page: list[dict[str, Any]] = read_page(recorder, builder, after, PAGE)
        if not page:
            return
        yield page
        after = parse_position(page[-1]["sequence"])
        if len(page) < PAGE:
            return

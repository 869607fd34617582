"""The one base of every service's eventsourcing Application: the plumbing every use case
shares, written once (docs/architecture.md, "Inside a service").

- load by id *and kind* (a wrong kind is the kind's named not-found error);
- save (a concurrent change becomes :class:`ConflictError`), save a new aggregate (an id that
  exists becomes the caller's duplicate error), retry a use case that lost a race;
- "as of" a business date over the service's projection;
- the catch-up page of the service's own events, and recording upstream positions with new
  events in one transaction (docs/reliability.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    ProcessRecorder,
    RecordConflictError,
    Recording,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType

from shared.clock import end_of_day
from shared.domain import DomainAggregate
from shared.envelope import EnvelopeBuilder, read_page
from shared.errors import ConflictError, DomainError
from shared.outbox import Outbox, open_outbox_quietly
from shared.persistence import build_transcoder, store_environment
from shared.readmodel import Projection

A = TypeVar("A", bound=DomainAggregate)
T = TypeVar("T")
P = TypeVar("P", bound=Projection)

MAX_PAGE = 500
CONFIDENTIAL = "confidential"
CONFLICT_MESSAGE = "Someone changed this record at the same moment; reload it and try again."

RecordedListener = Callable[[list[str]], None]

log = logging.getLogger(__name__)


class ServiceApplication(Application[UUID], Generic[P]):
    """Base of every service's Application.

    It ignores ``os.environ`` (the store comes only from :func:`store_environment`, the
    service's knobs only from ``shared.settings``), and always uses a process recorder so that
    any service can record upstream positions in the same transaction as its own events.
    A subclass names its ``service_name`` and its ``projection`` class (the read model that
    "as of" queries are answered from).
    """

    service_name: ClassVar[str] = ""
    projection: ClassVar[type[Projection]] = Projection

    def __init__(self, env: EnvType | None = None) -> None:
        self._recorded_listeners: list[RecordedListener] = []
        # Signs the catch-up pages with the service's key, as the relay signs what it
        # publishes; no key configured refuses to start (docs/contract.md, "Verifying events").
        self._envelopes = EnvelopeBuilder(self.service_name)
        super().__init__(env if env is not None else store_environment(self.service_name))
        # Each new event is built and signed once, here, after its commit (shared/outbox.py).
        self._outbox: Outbox | None = open_outbox_quietly(self.service_name, self.env)
        self.live: P = self.projection()  # type: ignore[assignment]

    # Infrastructure, built explicitly (docs/architecture.md, "Storage").

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        values = dict(env or {})
        return Environment(getattr(env, "name", "") or self.service_name, values)

    def construct_transcoder(self) -> Transcoder:
        return build_transcoder()

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder

    # Loading and saving.

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate ``aggregate_id`` if it is a ``kind``; else ``kind``'s not-found error."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise kind.not_found(aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise kind.not_found(aggregate_id)
        return aggregate

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """Like :meth:`load`, but None when there is no such ``kind``."""
        try:
            return self.load(aggregate_id, kind)
        except DomainError:
            return None

    def save_changes(self, *aggregates: Any) -> None:
        """Save in one transaction; a concurrent change becomes a :class:`ConflictError`."""
        try:
            self.save(*aggregates)
        except RecordConflictError:
            raise ConflictError(CONFLICT_MESSAGE) from None

    def save_new(self, aggregate: Any, duplicate: DomainError, *others: Any) -> None:
        """Save a new aggregate (with ``others`` changed alongside); if its id exists already
        the caller's ``duplicate`` error is raised instead."""
        try:
            self.save(aggregate, *others)
        except (RecordConflictError, IntegrityError):
            raise duplicate from None

    def save_if_uncontested(self, aggregate: Any) -> bool:
        """Save a change the clock made; if another caller changed the record first, leave it
        for the next run (the clock's marks are recorded exactly once either way)."""
        try:
            self.save(aggregate)
        except RecordConflictError:
            return False
        return True

    def retrying(self, attempt: Callable[[], T], attempts: int = 5) -> T:
        """Run a use case again (on fresh state) when it lost a race with another command."""
        for tried in range(1, attempts + 1):
            try:
                return attempt()
            except (ConflictError, RecordConflictError) as error:
                # Only a lost race is tried again; a refusal that is a kind of ConflictError
                # (a duplicate request, say) is the answer.
                if not isinstance(error, RecordConflictError) and type(error) is not ConflictError:
                    raise
                if tried == attempts:
                    raise ConflictError(CONFLICT_MESSAGE) from None
                time.sleep(random.uniform(0.005, 0.02) * tried)
        raise AssertionError("unreachable")  # pragma: no cover

    # Reading, now or as of a business date.

    def as_of(self, day: date | datetime | None = None) -> P:
        """The read model now (caught up with the store), or as it stood at the end of a
        business day."""
        if day is None:
            self.live.catch_up(self)
            return self.live
        until = day if isinstance(day, datetime) else end_of_day(day)
        projection: P = self.projection(until=until)  # type: ignore[assignment]
        projection.catch_up(self)
        return projection

    # The clock; each service overrides what applies to it.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every warning and overdue event due by ``as_of``, each exactly once; returns
        the ids of the records that got one."""
        return []

    def refresh_gauges(self, as_of: date) -> None:
        """Set the service's gauges after the clock ran."""

    # Catch-up and upstream positions.

    def events_after(
        self, after: int, limit: int = MAX_PAGE, *, cleared: bool = False
    ) -> list[dict[str, Any]]:
        """The service's own events after a position, as CloudEvents, at most ``limit``
        positions read; confidential events only for a ``cleared`` reader (the page is then
        shorter, and still authoritative: docs/trust.md, "Confidential events")."""
        limit = max(1, min(limit, MAX_PAGE))
        page = read_page(self.recorder, self._envelopes, max(after, 0), limit, self._outbox)
        if cleared:
            return page
        return [e for e in page if e.get("dataclassification") != CONFIDENTIAL]

    def last_position(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

    def record_processed(self, processing: ProcessingEvent[Any]) -> None:
        """Store new events and an upstream position in one transaction."""
        recordings = self._record(processing)
        self._notify(recordings)

    def add_recorded_listener(self, listener: RecordedListener) -> None:
        """Called with the qualified class names of newly stored events (for metrics)."""
        self._recorded_listeners.append(listener)

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        super()._notify(recordings)
        self._write_outbox(recordings)
        names = [type(r.domain_event).__qualname__ for r in recordings]
        for listener in self._recorded_listeners:
            listener(names)

    def _write_outbox(self, recordings: list[Recording[Any]]) -> None:
        """Sign the committed events once and store them for the relay; a failure only
        leaves the signing to the relay (the command has succeeded)."""
        if self._outbox is None or not recordings:
            return
        try:
            self._outbox.record(
                self._envelopes, self.recorder, [r.notification for r in recordings]
            )
        except Exception:
            log.warning(
                "could not store %d signed events in the %s outbox; the relay signs them",
                len(recordings), self.service_name, exc_info=True,
            )

    def close(self) -> None:
        outbox: Outbox | None = getattr(self, "_outbox", None)
        if outbox is not None:
            self._outbox = None
            outbox.close()
        super().close()

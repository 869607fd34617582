"""Read models that follow a service's own notification log, kept in the service's store.

A projection applies each stored domain event once, in log order, through its
``on_<Aggregate>_<Event>`` handlers, to records held in dict attributes (``stored``) and a few
plain attributes (``stored_scalars``). Attached to a :class:`~shared.view_store.ViewStore` (the
service's SQLite file or PostgreSQL schema), it also writes what each event changed as record
versions with business-time validity, one transaction per page with its tracking position:

- a process that starts loads the current versions and follows the log from the stored
  position: it replays nothing;
- "as of" a moment is :meth:`Projection.from_rows`: each record's version valid then, read
  from the same rows as the live answer (docs/architecture.md, "Read models in the store").

Without a store (an in-memory one) a projection lives in memory only and "as of" replays the
log up to the moment (:meth:`Projection.replayed`); the stored rows are checked against that
replay in the tests.

It is a projection of the eventsourcing library (``eventsourcing.projection.Projection``): its
view is the ``ViewStore`` (a ``TrackingRecorder``), and ``process_event(domain_event,
tracking)`` applies one event and records its changes with its tracking, exactly once. The
library's runner needs a recorder that can be subscribed to, which SQLite (the embedded
default) is not, so a service pulls instead: :meth:`Projection.catch_up` reads the log from
the view's tracking position and hands each event and its ``Tracking`` to the same unit of
work, writing one transaction per page rather than per event. Any driver of
``process_event`` (the library's ``ApplicationSubscription`` over PostgreSQL, say) leaves the
same rows.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection as LibraryProjection

from shared.record_codec import RecordCodec
from shared.view_store import (
    REMOVED,
    WRITER_RULES,
    EventChanges,
    RecordChange,
    Removed,
    ViewStore,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCALAR_KEY = "null"  # the key of a plain attribute's row
P = TypeVar("P", bound="Projection")


def micros(moment: datetime) -> int:
    """A business time as the rows store it: microseconds since the epoch (UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // timedelta(microseconds=1)


def records_of(module_name: str, *more: type[Any]) -> tuple[type[Any], ...]:
    """The dataclasses defined in a views module (its records), and ``more``."""
    import sys

    module = sys.modules[module_name]
    found = [
        value for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
        and value.__module__ == module_name
    ]
    return (*found, *more)


def business_time(domain_event: Any) -> datetime:
    moment = getattr(domain_event, "occurred_at", None)
    return moment if isinstance(moment, datetime) else domain_event.timestamp


class TrackedDict(dict):  # type: ignore[type-arg]
    """A dict that remembers which keys a handler looked at or changed (its records are
    mutable and changed in place), or that it went through them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[Any] = set()
        self.every = False

    def __getitem__(self, key: Any) -> Any:
        self.touched.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.touched.add(key)
        return super().get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    def pop(self, key: Any, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def values(self) -> Any:
        self.every = True
        return super().values()

    def items(self) -> Any:
        self.every = True
        return super().items()

    def __iter__(self) -> Iterator[Any]:
        self.every = True
        return super().__iter__()

    def reset(self) -> None:
        self.touched.clear()
        self.every = False


class _WholeAttributeNeededError(LookupError):
    """A handler went through every record of an attribute while recomputing one record."""


class _Overlay(dict):  # type: ignore[type-arg]
    """A stored attribute of the projection that recomputes one past version: the live
    projection's records, each copied when the handler first looks at it, and whatever the
    handler writes, kept here. The live records never change."""

    def __init__(self, live: dict[Any, Any]) -> None:
        super().__init__()
        self._live = live
        self._gone: set[Any] = set()

    def _fetch(self, key: Any) -> bool:
        if dict.__contains__(self, key):
            return True
        if key in self._gone or not dict.__contains__(self._live, key):
            return False
        dict.__setitem__(self, key, copy.deepcopy(dict.__getitem__(self._live, key)))
        return True

    def absent(self, key: Any) -> None:
        """The record ``key`` did not stand at the moment recomputed."""
        dict.pop(self, key, None)
        self._gone.add(key)

    def holds(self, key: Any) -> bool:
        """Whether the handler left ``key`` here (set it, or kept the copy it read)."""
        return dict.__contains__(self, key)

    def __getitem__(self, key: Any) -> Any:
        if not self._fetch(key):
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        return dict.__getitem__(self, key) if self._fetch(key) else default

    def __contains__(self, key: object) -> bool:
        return self._fetch(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._gone.discard(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        if not self._fetch(key):
            raise KeyError(key)
        dict.__delitem__(self, key)
        self._gone.add(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if not self._fetch(key):
            self[key] = default
        return dict.__getitem__(self, key)

    def pop(self, key: Any, *default: Any) -> Any:
        if self._fetch(key):
            value = dict.__getitem__(self, key)
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def _everything(self, *_: Any) -> Any:
        raise _WholeAttributeNeededError

    __iter__ = keys = values = items = __len__ = _everything


def _fields_of(record: type[Any]) -> list[tuple[str, str]]:
    """A record class's fields and their types, as text (a dataclass or a pydantic model)."""
    if dataclasses.is_dataclass(record):
        return [(f.name, str(f.type)) for f in dataclasses.fields(record)]
    return [(name, str(info.annotation)) for name, info in record.model_fields.items()]


class Projection(LibraryProjection[ViewStore]):
    """Applies each stored domain event once, in log order; subclasses add ``on_<Qualname>``
    handlers and name the attributes their records live in."""

    # Dict attributes whose values are records (dataclasses of ``record_classes``, or plain
    # values), and plain attributes, kept as rows in the store.
    stored: ClassVar[tuple[str, ...]] = ()
    stored_scalars: ClassVar[tuple[str, ...]] = ()
    record_classes: ClassVar[tuple[type[Any], ...]] = ()
    # The version of this read model's own rules: raise it when a handler would write other
    # records for the same history. The rows are named after the rules that wrote them
    # (:meth:`rules_digest`), so a store whose rows other rules wrote drops them and writes
    # them again from the log at the next start (docs/architecture.md, "Rules and rebuilding").
    rules: ClassVar[int] = 1
    # Small enough that one page is applied in a few milliseconds: between pages the catch-up
    # yields (under eventlet, ``time.sleep(0)`` lets the hub run), so a long catch-up never
    # holds up ``ping`` or another caller's RPC for more than one page.
    page_size = 200
    # A catch-up of this many events or more (a rebuild, a first start on a long log) tidies
    # the store after it.
    tidy_after = 10_000

    def __init__(self, until: datetime | None = None) -> None:
        # Not the library's __init__: the view is attached later, and an "as of" projection
        # or one of an in-memory store has none.
        self.until = until
        # The latest business time among the acts applied: "as of" any moment at or after it
        # is this projection itself (nothing it applied happened after it).
        self.latest: datetime | None = None
        self.position = 0
        self.known: set[Any] = set()
        self._lock = threading.Lock()
        self._store: ViewStore | None = None
        self._bodies: dict[tuple[str, str], str] = {}
        self._loaded = False

    @classmethod
    def codec(cls) -> RecordCodec:
        codec: RecordCodec | None = cls.__dict__.get("_codec")
        if codec is None:
            codec = RecordCodec(cls.record_classes)
            cls._codec = codec  # type: ignore[attr-defined]
        return codec

    @classmethod
    def rules_digest(cls) -> str:
        """Names the rules that write this read model's rows: the version writer's
        (``WRITER_RULES``), this class's ``rules``, and the shape of what it stores (its
        attributes, and each record class's fields with their types), so a change of shape
        is caught without anyone remembering to raise ``rules``."""
        shapes = sorted(
            (record.__module__, record.__qualname__, _fields_of(record))
            for record in cls.record_classes
        )
        described = repr((WRITER_RULES, cls.rules, cls.stored, cls.stored_scalars, shapes))
        return hashlib.sha256(described.encode()).hexdigest()[:12]

    @classmethod
    def tracking_name(cls) -> str:
        return cls.name  # the library's projection name: the class's name

    # Following the log.

    def attach(self, store: ViewStore) -> None:
        """Keep this (live) projection in ``store``: loaded from it at the first catch-up."""
        self._store = store

    @property
    def store(self) -> ViewStore | None:
        return self._store

    @property
    def view(self) -> ViewStore:
        if self._store is None:
            msg = f"the {self.name} read model is not kept in a store"
            raise LookupError(msg)
        return self._store

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The library's unit of work: apply one event, at most once, and record what it
        changed with its tracking in one transaction."""
        with self._lock:
            self._start()
            if tracking.notification_id > self.position:
                self._flush(tracking, self._process(domain_event, tracking))

    def catch_up(self, app: Application[Any]) -> None:
        """Apply what the log holds beyond the tracking position, a page per transaction;
        after a long one, tidy the store (``ViewStore.tidy``)."""
        with self._lock:
            self._start()
            started = self.position
            self._catch_up(app)
            caught_up = self.position - started
        if self._store is not None and caught_up >= self.tidy_after:
            self._store.tidy()

    def _catch_up(self, app: Application[Any]) -> None:
        while True:
            notifications = app.recorder.select_notifications(
                start=self.position, limit=self.page_size, inclusive_of_start=False
            )
            pending: list[EventChanges] = []
            for notification in notifications:
                tracking = Tracking(self.tracking_name(), notification.id)
                pending.extend(
                    self._process(app.mapper.to_domain_event(notification), tracking)
                )
            if notifications:
                self._flush(Tracking(self.tracking_name(), notifications[-1].id), pending)
            if len(notifications) < self.page_size:
                return
            time.sleep(0)

    def writing(self) -> bool:
        """Whether a catch-up (or a unit of work) is applying events now."""
        return self._lock.locked()

    def _start(self) -> None:
        if self._store is not None and not self._loaded:
            self._load_live(self._store)

    def _process(self, domain_event: Any, tracking: Tracking) -> list[EventChanges]:
        """Apply one event unless its position was applied already; what it changed, to be
        written with a later tracking (nothing for a projection without a store)."""
        if tracking.notification_id <= self.position:
            return []
        self.position = tracking.notification_id
        if self._store is None:
            self.apply(domain_event)
            return []
        self._reset_marks()
        before = self.latest
        self.apply(domain_event)
        # An act dated before acts already applied may change the past versions of records
        # it only looked at (a "set unless present" on a record that is present now).
        dated_back = before is not None and business_time(domain_event) < before
        changes = self._changes(dated_back)
        if not changes:
            return []
        return [EventChanges(
            tracking.notification_id, micros(business_time(domain_event)), changes,
            domain_event,
        )]

    def _flush(self, tracking: Tracking, pending: list[EventChanges]) -> None:
        if self._store is not None:
            self._store.write(
                tracking, pending, self._recompute,
                None if self.latest is None else micros(self.latest),
            )

    def apply(self, domain_event: Any) -> None:
        occurred_at = getattr(domain_event, "occurred_at", None)
        if self.until is not None and occurred_at is not None and occurred_at > self.until:
            return  # an "as of" projection: this act happened after the day asked
        if occurred_at is not None and (self.latest is None or occurred_at > self.latest):
            self.latest = occurred_at
        # An "as of" projection leaves out acts after its day; a later act on a record whose
        # creation it left out (business times need not follow recording order) is left out
        # with it rather than applied to a record that does not exist yet.
        # (A live projection applies every act: each record's creation comes first in the log,
        # and one loaded from rows has not seen the creations.)
        if self.until is not None:
            if domain_event.originator_version == 1:
                self.known.add(domain_event.originator_id)
            elif domain_event.originator_id not in self.known:
                return
        self._handle(domain_event)

    def _handle(self, domain_event: Any) -> None:
        handler_name = "on_" + type(domain_event).__qualname__.replace(".", "_")
        handler = getattr(self, handler_name, None)
        if handler is not None:
            handler(domain_event)

    def after_load(self, first_positions: dict[tuple[str, Any], int]) -> None:
        """Rebuild whatever a subclass derives from its records (an index, say) after they
        were loaded from rows; ``first_positions`` gives each record's creating position."""

    # "As of".

    @classmethod
    def replayed(cls: type[P], app: Application[Any], until: datetime) -> P:
        """The projection as of ``until`` by replaying the log (no store, or a check)."""
        projection = cls(until=until)
        projection.catch_up(app)
        return projection

    @classmethod
    def from_rows(cls: type[P], store: ViewStore, until: datetime) -> P:
        """The projection as of ``until`` from the stored versions valid then."""
        projection = cls(until=until)
        projection._put_rows(store.rows_as_of(micros(until)))
        return projection

    # The rows.

    def _load_live(self, store: ViewStore) -> None:
        """Start from the stored rows and position instead of position 0."""
        position, latest = store.position(), store.latest()
        if position:
            self._put_rows(store.live_rows(), remember=True)
            self.position = position
            self.latest = None if latest is None else EPOCH + timedelta(microseconds=latest)
        self._wrap()
        self._loaded = True

    def _put_rows(
        self, rows: Iterable[tuple[str, str, str, int]], *, remember: bool = False
    ) -> None:
        codec = self.codec()
        first_positions: dict[tuple[str, Any], int] = {}
        for count, (kind, key, body, first_position) in enumerate(rows, 1):
            if count % self.page_size == 0:
                time.sleep(0)  # let the hub run between pages, as the catch-up does
            value = codec.decode(body)
            if kind in self.stored_scalars:
                setattr(self, kind, value)
            elif kind in self.stored:
                record_key = codec.decode(key)
                getattr(self, kind)[record_key] = value
                first_positions[(kind, record_key)] = first_position
            else:
                continue
            if remember:
                self._bodies[(kind, key)] = body
        self.after_load(first_positions)

    def _wrap(self) -> None:
        for name in self.stored:
            current = getattr(self, name)
            if not isinstance(current, TrackedDict):
                setattr(self, name, TrackedDict(current))

    def _reset_marks(self) -> None:
        for name in self.stored:
            tracked = self.__dict__[name]
            if isinstance(tracked, TrackedDict):
                tracked.reset()

    def _changes(self, dated_back: bool = False) -> list[RecordChange]:
        """The records the last event changed, as rows (compared with what was stored); for
        an act ``dated_back``, also those it looked up by key without changing them (not
        those it went through: the past versions of a whole attribute are left as they
        were)."""
        codec, changes = self.codec(), []
        for name in self.stored:
            tracked = self.__dict__[name]
            keys = set(tracked.touched)
            if tracked.every:
                keys.update(dict.keys(tracked))
            for record_key in keys:
                key = codec.encode(record_key)
                body = (codec.encode(dict.__getitem__(tracked, record_key))
                        if dict.__contains__(tracked, record_key) else None)
                if self._bodies.get((name, key)) != body:
                    changes.append(RecordChange(name, key, body))
                    if body is None:
                        self._bodies.pop((name, key), None)
                    else:
                        self._bodies[(name, key)] = body
                elif dated_back and record_key in tracked.touched:
                    changes.append(RecordChange(name, key, body, unchanged=True))
        for name in self.stored_scalars:
            body = codec.encode(getattr(self, name))
            if self._bodies.get((name, SCALAR_KEY)) != body:
                changes.append(RecordChange(name, SCALAR_KEY, body))
                self._bodies[(name, SCALAR_KEY)] = body
        return changes

    def _recompute(
        self, domain_event: Any, kind: str, key: str, body: str | None
    ) -> str | Removed | None:
        """A past version of one record (``body``; None: the record did not stand) with
        ``domain_event`` applied (a backdated act): the handler runs on a projection whose
        record is that version and whose other records are the live ones, copied as the
        handler reads them (a payment's handler reads its programme); REMOVED if the handler
        removed the record; None if it cannot run so (it went through a whole attribute, or
        failed), or created nothing where the record did not stand.

        The other records are taken as they stand now, not as they stood then: exact for a
        handler that reads from them what does not change (a programme's unit, a unit's
        kind), and for the record's own sums and lists."""
        codec = self.codec()
        alone = type(self)()
        for name in self.stored:
            setattr(alone, name, _Overlay(getattr(self, name)))
        for name in self.stored_scalars:
            # Where no version of ``kind`` stood, it keeps its initial value.
            if name != kind:
                setattr(alone, name, copy.deepcopy(getattr(self, name)))
            elif body is not None:
                setattr(alone, name, codec.decode(body))
        record_key = codec.decode(key)
        if kind in self.stored:
            if body is None:
                getattr(alone, kind).absent(record_key)
            else:
                getattr(alone, kind)[record_key] = codec.decode(body)
        try:
            alone._handle(domain_event)
        except (_WholeAttributeNeededError, KeyError, AttributeError, TypeError, ValueError):
            # The act is applied from the record's current version on, not to this past one.
            return None
        if kind in self.stored_scalars:
            return codec.encode(getattr(alone, kind))
        records: _Overlay = getattr(alone, kind)
        if records.holds(record_key):
            return codec.encode(dict.__getitem__(records, record_key))
        return None if body is None else REMOVED

"""The one base of every service's eventsourcing Application: the plumbing every use case
shares, written once (docs/architecture.md, "Inside a service").

- load by id *and kind* (a wrong kind is the kind's named not-found error);
- save (a concurrent change becomes :class:`ConflictError`), save a new aggregate (an id that
  exists becomes the caller's duplicate error), retry a use case that lost a race;
- "as of" a business date over the service's projection;
- the catch-up page of the service's own events, and recording upstream positions with new
  events in one transaction (docs/reliability.md);
- a creating command run once per caller's ``command_id``: the record that it ran is stored in
  the same transaction as its events (:meth:`ServiceApplication.run_once`,
  docs/commands-once.md).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanSnapshotAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    Mapper,
    ProcessRecorder,
    RecordConflictError,
    Recording,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import Environment, EnvType, TopicError

from shared.answers import to_json
from shared.clock import end_of_day
from shared.domain import DomainAggregate
from shared.envelope import EnvelopeBuilder, read_page
from shared.errors import (
    CommandIdReusedError,
    ConflictError,
    DamagedRecordError,
    DomainError,
)
from shared.metrics import DAMAGED_RECORDS
from shared.outbox import Outbox, SignedInTransaction, open_outbox_quietly
from shared.persistence import build_transcoder, created, store_environment
from shared.readmodel import Projection
from shared.recorders import (
    COMMAND,
    CommandAlreadyRecordedError,
    CommandLog,
    CommandRecord,
    GroupCommit,
    SignsIntoOutbox,
    command_recorder,
    signs_in_transaction,
)
from shared.settings import clock_skew_seconds
from shared.tracing import TracingMapper
from shared.view_store import open_view_store

A = TypeVar("A", bound=DomainAggregate)
T = TypeVar("T")
P = TypeVar("P", bound=Projection)
R = TypeVar("R", bound=Projection)

MAX_PAGE = 500
CONFIDENTIAL = "confidential"
CONFLICT_MESSAGE = "Someone changed this record at the same moment; reload it and try again."
COMMAND_ID_REUSED = (
    "The command id {command_id} was already used for another request; a new request needs "
    "a new command id."
)

RecordedListener = Callable[[list[str]], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandRequest:
    """A creating command sent with its caller's id: which RPC method (``name``) and the
    digest of what it asks, the caller included (``shared.nameko_kit.entrypoints``)."""

    command_id: UUID
    name: str
    digest: str


class CommandAnswerUnknownError(TypeError):
    """A use case run once saved, first, no record it created: its answer cannot be stored
    with its events (a programming error, refused before anything is stored)."""


@dataclass
class _Run:
    """The command the current (green) thread runs under, and its record once stored."""

    request: CommandRequest
    recorded: CommandRecord | None = None


# Per thread and per green thread: nameko's workers share one application.
_RUNNING: ContextVar[_Run | None] = ContextVar("dutytrail_command_run", default=None)
# The damaged records the clock run of this (green) thread skipped.
_SKIPPED: ContextVar[list[DamagedRecordError] | None] = ContextVar(
    "dutytrail_clock_skipped", default=None
)


@dataclass(frozen=True)
class ClockRun:
    """What one run of the clock did: the records that got a mark, and the damaged records
    it skipped (docs/reliability.md, "Damaged records")."""

    recorded: list[UUID]
    damaged: list[DamagedRecordError]

    def answer(self) -> dict[str, Any]:
        """The clock's RPC answer."""
        return {
            "recorded": [str(record_id) for record_id in self.recorded],
            "damaged": [
                {"record": str(d.record_id), "kind": d.kind, "version": d.version,
                 "problem": d.problem}
                for d in self.damaged
            ],
        }


def project(aggregate: Any, domain_events: Iterable[Any]) -> Any:
    """eventsourcing's ``project_aggregate`` without its check, on every event, that the event
    satisfies a runtime Protocol (about 25 µs of the 60 µs an event takes to replay): every
    stored event and snapshot here has ``mutate``."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


def checked_projector(record_id: UUID, kind: str) -> Callable[[Any, Iterable[Any]], Any]:
    """:func:`project` that first checks each event follows the one before it
    (:func:`sequence_problem`): a history edited in the store is refused with
    :class:`DamagedRecordError` naming the record and the version, not replayed into a wrong
    state or failed on deep inside eventsourcing."""
    skew = timedelta(seconds=clock_skew_seconds())

    def projector(aggregate: Any, domain_events: Iterable[Any]) -> Any:
        expected = 1 if aggregate is None else aggregate.version + 1
        previous = None if aggregate is None else aggregate.modified_on
        for domain_event in domain_events:
            if isinstance(domain_event, CanSnapshotAggregate):
                # A snapshot stands for the versions up to its own: the events follow it.
                aggregate = domain_event.mutate(aggregate)
                expected, previous = aggregate.version + 1, aggregate.modified_on
                continue
            problem = sequence_problem(domain_event, expected, previous, skew)
            if problem is not None:
                raise DamagedRecordError(record_id, kind, problem[0], problem[1])
            aggregate = domain_event.mutate(aggregate)
            previous = domain_event.timestamp
            expected += 1
        return aggregate

    return projector


def sequence_problem(
    event: Any, expected: int, previous: datetime | None, skew: timedelta
) -> tuple[int, str] | None:
    """What is wrong with ``event`` as the record's version ``expected`` (the version and a
    clerk's description), or None.

    Versions are read in ascending order, so a version above the expected one means the
    expected one is gone. The first version must create the record and no other may. An event
    recorded more than ``skew`` (the clocks' allowed disagreement) before the one it follows
    was moved: events are recorded in the order they happen."""
    version = event.originator_version
    if version != expected:
        return expected, f"version {expected} is missing"
    creates = isinstance(event, CanInitAggregate)
    if creates != (expected == 1):
        what = "does not create the record" if expected == 1 else "creates the record again"
        return expected, f"version {expected} {what} (the versions were moved)"
    timestamp = getattr(event, "timestamp", None)
    if not isinstance(timestamp, datetime):
        return expected, f"version {expected} has no time of recording (it cannot be read)"
    if previous is not None and timestamp < previous - skew:
        return expected, (
            f"version {expected} was recorded before version {expected - 1} "
            "(the versions are out of order)"
        )
    return None


class SetAsList(Transcoding):
    """A set in an aggregate's state, in a snapshot: stored as a list."""

    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


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
        # Each new event is built and signed once, here, and stored in the outbox in the same
        # transaction as the event (shared/outbox.py, shared/recorders.py).
        self._outbox: Outbox | None = open_outbox_quietly(self.service_name, self.env)
        if self._outbox is not None and isinstance(self.recorder, SignsIntoOutbox):
            self.recorder.sign_in_transaction(SignedInTransaction(self._envelopes, self._outbox))
        # The read models, each kept in the service's store (shared/readmodel.py): a start
        # loads their rows and follows the log from their stored position.
        self._read_models: dict[type[Projection], Projection] = {}
        self.live: P = self.read_model(self.projection)  # type: ignore[assignment]

    # Infrastructure, built explicitly (docs/architecture.md, "Storage").

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        values = dict(env or {})
        environment = Environment(getattr(env, "name", "") or self.service_name, values)
        # eventsourcing's class attributes are ignored with the rest of its defaults, so a
        # service that names snapshotting intervals switches snapshotting on here;
        # IS_SNAPSHOTTING_ENABLED=n in the given environment still switches it off.
        if type(self).snapshotting_intervals:
            environment.setdefault("IS_SNAPSHOTTING_ENABLED", "y")
        return environment

    def construct_snapshot_store(self) -> EventStore[UUID]:
        # Snapshots (table ``stored_snapshots`` in the SQLite file, ``<service>_snapshots`` in
        # the service's PostgreSQL schema) are read by this application only, so their
        # transcoder may know more types than the events' (which the relay and the CLI read
        # too): a task's state holds a set.
        transcoder = build_transcoder()
        transcoder.register(SetAsList())
        return self.factory.event_store(
            mapper=self.factory.mapper(transcoder=transcoder),
            recorder=created(lambda: self.factory.aggregate_recorder(purpose="snapshots")),
        )

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # A snapshot is stored after the events committed: one that fails must not turn a
        # stored command into a refusal (loading only reads more events until the next).
        try:
            super()._take_snapshots(processing_event)
        except Exception:
            log.warning("could not store a snapshot in the %s store", self.service_name,
                        exc_info=True)

    def construct_repository(self) -> Repository[UUID]:
        # Loading reads the snapshot table first, for any aggregate; a kind never
        # snapshotted skips that query (one round trip less on every other load).
        self._events_only: Repository[UUID] = Repository(event_store=self.events)
        return super().construct_repository()

    def construct_transcoder(self) -> Transcoder:
        return build_transcoder()

    def construct_mapper(self) -> Mapper[UUID]:
        # Each new event stores the trace of the command or reaction that caused it
        # (shared/tracing.py, docs/tracing.md).
        return self.factory.mapper(self.construct_transcoder(), mapper_class=TracingMapper)

    def construct_recorder(self) -> ProcessRecorder:
        # eventsourcing's process recorder, plus the table of the commands that ran once.
        return command_recorder(self.factory, self.service_name)

    @property
    def process_recorder(self) -> ProcessRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder

    # Loading and saving.

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate ``aggregate_id`` if it is a ``kind``; else ``kind``'s not-found error.
        The snapshot table is read only for the kinds snapshotted."""
        snapshotted = kind in self.snapshotting_intervals and self.snapshots is not None
        repository = self.repository if snapshotted else self._events_only
        projector = checked_projector(aggregate_id, kind.noun)
        try:
            aggregate: Any = repository.get(aggregate_id, projector_func=projector)
        except AggregateNotFoundError:
            raise kind.not_found(aggregate_id) from None
        except DamagedRecordError as damage:
            raise self._reported(damage) from None
        except Exception as error:
            found = self.damage_of(aggregate_id, kind)
            if found is not None:
                raise self._reported(found) from error
            if not snapshotted:
                raise
            # The events are sound, so the snapshot is what cannot be read: it is only a
            # shortcut, the events alone give the same record.
            log.warning("the snapshot of %s %s cannot be read (%s); loaded from its events",
                        kind.noun, aggregate_id, error)
            aggregate = self._events_only.get(aggregate_id, projector_func=projector)
        if not isinstance(aggregate, kind):
            raise kind.not_found(aggregate_id)
        return aggregate

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """Like :meth:`load`, but None when there is no such ``kind`` (a damaged record is
        still refused: it exists)."""
        try:
            return self.load(aggregate_id, kind)
        except DamagedRecordError:
            raise
        except DomainError:
            return None

    def damage_of(self, aggregate_id: UUID, kind: type[A]) -> DamagedRecordError | None:
        """The first damage in ``aggregate_id``'s stored events, read one by one as stored
        (not from a snapshot): a version missing or out of place, an event that cannot be
        read or whose kind no code knows. None if every event reads and follows the last."""
        skew = timedelta(seconds=clock_skew_seconds())
        expected, previous = 1, None
        for stored in self.recorder.select_events(aggregate_id):
            version = stored.originator_version
            try:
                event: Any = self.mapper.to_domain_event(stored)
            except TopicError:
                problem: tuple[int, str] | None = (
                    version, f"its kind of event {stored.topic!r} is unknown",
                )
            except Exception:  # noqa: BLE001 - whatever fails, this version cannot be read
                problem = (version, f"version {version} cannot be read")
            else:
                problem = sequence_problem(event, expected, previous, skew)
                previous = getattr(event, "timestamp", None)
            if version != expected:  # checked first: the gap comes before what follows it
                problem = (expected, f"version {expected} is missing")
            if problem is not None:
                return DamagedRecordError(aggregate_id, kind.noun, *problem)
            expected += 1
        return None

    def _reported(self, damage: DamagedRecordError) -> DamagedRecordError:
        log.error("damaged record in the %s store: %s %s at version %s: %s",
                  self.service_name, damage.kind, damage.record_id, damage.version,
                  damage.problem)
        return damage

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """eventsourcing's save; under :meth:`run_once`, the first save that stores events
        also stores the command's record, in the same transaction."""
        run = _RUNNING.get()
        if run is None or run.recorded is not None or COMMAND in kwargs:
            return self._save(objs, kwargs)
        pending = _pending_events(objs)
        if not pending:
            return self._save(objs, kwargs)  # stores nothing, so records nothing
        created = pending[0]
        if created.originator_version != 1:
            msg = (
                f"{run.request.name} runs once per command id, so it must save the record it "
                "creates first (its answer); its first event changes an existing record"
            )
            raise CommandAnswerUnknownError(msg)
        request = run.request
        record = CommandRecord(
            request.command_id, request.name, request.digest,
            json.dumps(to_json(created.originator_id)),
        )
        recordings = self._save(objs, {**kwargs, COMMAND: record})
        run.recorded = record
        return recordings

    def _save(
        self,
        objs: tuple[MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None, ...],
        kwargs: dict[str, Any],
    ) -> list[Recording[UUID]]:
        """eventsourcing's ``Application.save``, collecting the aggregates' events without
        its runtime-Protocol ``isinstance`` checks (tens of µs a command) when every object
        is an aggregate."""
        aggregates = [obj for obj in objs if isinstance(obj, BaseAggregate)]
        if len(aggregates) != sum(obj is not None for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

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
        except CommandAlreadyRecordedError:
            raise  # not a duplicate record: the same command, stored by a racing delivery
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

    # Commands run once (docs/commands-once.md).

    @property
    def command_log(self) -> CommandLog:
        recorder = self.recorder
        if not isinstance(recorder, CommandLog):
            msg = f"the {self.service_name} store keeps no table of commands"
            raise TypeError(msg)
        return recorder

    def run_once(self, request: CommandRequest, use_case: Callable[[], Any]) -> Any:
        """Run a creating command's use case at most once for its caller's ``command_id``;
        the answer as JSON.

        - The id was recorded with the same command and digest: the recorded answer, and
          nothing runs.
        - The id was recorded with another command, payload or caller:
          :class:`CommandIdReusedError`.
        - Otherwise the use case runs, and its first save that stores events also stores the
          record (``<service>_commands``) in the same transaction, with the answer: the id of
          the record the save creates first. If a racing delivery of the same command stored
          its record first, this save fails as a whole and the first answer is returned.

        A use case that stores nothing records nothing, so a refusal is no answer: the same
        request sent again runs again.
        """
        commands = self.command_log
        found = commands.select_command(request.command_id)
        if found is not None:
            return self._replay(found, request)
        run = _Run(request)
        token = _RUNNING.set(run)
        try:
            result = use_case()
        except Exception:
            # Whatever the refusal said (a duplicate id, a lost race), the command ran if a
            # racing delivery recorded it meanwhile.
            found = None if run.recorded else commands.select_command(request.command_id)
            if found is None:
                raise
        else:
            return self._answer(run, result)
        finally:
            _RUNNING.reset(token)
        return self._replay(found, request)

    def _answer(self, run: _Run, result: Any) -> Any:
        answer = to_json(result)
        if run.recorded is not None and json.loads(run.recorded.answer) != answer:
            # Only a use case that breaks the rule of its kind gets here; the answer stored
            # for a redelivery is put right (a crash just before would leave the other one).
            log.error(
                "%s answered %r, not the id of the record it created first (%s): stored its "
                "answer for command %s again", run.request.name, answer,
                run.recorded.answer, run.request.command_id,
            )
            self.command_log.correct_answer(run.request.command_id, json.dumps(answer))
        return answer

    def _replay(self, found: CommandRecord, request: CommandRequest) -> Any:
        if (found.name, found.digest) != (request.name, request.digest):
            raise CommandIdReusedError(COMMAND_ID_REUSED.format(command_id=request.command_id))
        log.info(
            "%s with command id %s ran already: answered as the first time, nothing stored",
            request.name, request.command_id,
        )
        return json.loads(found.answer)

    # Reading, now or as of a business date.

    def as_of(self, day: date | datetime | None = None) -> P:
        """The read model now (caught up with the store), or as it stood at the end of a
        business day."""
        return self.view(self.projection, day)  # type: ignore[return-value]

    def read_model(self, kind: type[R]) -> R:
        """This application's live read model ``kind``, kept in the service's store (in
        memory only for a store in memory)."""
        found = self._read_models.get(kind)
        if found is None:
            found = kind()
            store = (open_view_store(self.service_name, kind.tracking_name(), self.env,
                                     kind.rules_digest())
                     if kind.stored else None)
            if store is not None:
                found.attach(store)
            self._read_models[kind] = found
        return found  # type: ignore[return-value]

    def view(self, kind: type[R], day: date | datetime | None = None) -> R:
        """Read model ``kind`` now, or as of the end of a business day: the live one if
        nothing it holds happened after that moment, else the stored versions valid then
        (a replay of the log only for a store in memory)."""
        live = self.read_model(kind)
        live.catch_up(self)
        if day is None:
            return live
        until = day if isinstance(day, datetime) else end_of_day(day)
        if live.latest is None or live.latest <= until:
            return live
        if live.store is None:
            return kind.replayed(self, until)
        return kind.from_rows(live.store, until)

    # The clock; each service overrides what applies to it.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every warning and overdue event due by ``as_of``, each exactly once; returns
        the ids of the records that got one. Loads each record with :meth:`clock_load`, so
        that one damaged record does not stop the clock for all the others."""
        return []

    def run_clock(self, as_of: datetime) -> ClockRun:
        """:meth:`check_deadlines`, and the damaged records it skipped (each logged at ERROR
        when found; their count is the gauge ``dutytrail_damaged_records``)."""
        skipped: list[DamagedRecordError] = []
        token = _SKIPPED.set(skipped)
        try:
            recorded = self.check_deadlines(as_of)
        finally:
            _SKIPPED.reset(token)
        DAMAGED_RECORDS.labels(self.service_name).set(len(skipped))
        return ClockRun(recorded, skipped)

    def clock_load(self, record_id: UUID, kind: type[A]) -> A | None:
        """:meth:`load` for the clock: None for a damaged record, which the clock skips (and
        its run reports) to go on with the others."""
        try:
            return self.load(record_id, kind)
        except DamagedRecordError as damage:
            skipped = _SKIPPED.get()
            if skipped is not None:
                skipped.append(damage)
            return None

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

    def read_models_being_written(self, log_position: int, behind: int) -> list[str]:
        """A line for each stored read model a catch-up is writing while it is more than
        ``behind`` events short of ``log_position``: a store whose rows are being written
        again from the log (other rules, docs/architecture.md) or a first start on a long
        log; queries of it wait until it is done."""
        found = []
        # A copy: a query may add a read model while /readyz looks.
        for kind, read_model in list(self._read_models.items()):
            if read_model.store is not None and read_model.writing():
                position = read_model.position
                if log_position - position > behind:
                    found.append(
                        f"read model {kind.tracking_name()}: being written from the log, at "
                        f"{position:,} of {log_position:,}; its queries wait until it is done"
                    )
        return found

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
        """For a recorder that does not sign in its transaction, sign the events just
        committed and store them for the relay (a failure then only leaves the signing to the
        relay: the command has succeeded). A recorder that signs in its transaction stored
        them, and woke the relay, at its commit."""
        if self._outbox is None or not recordings:
            return
        if signs_in_transaction(self.recorder):
            return  # the recorder's commit woke the relay
        try:
            self._outbox.record(
                self._envelopes, self.recorder, [r.notification for r in recordings]
            )
        except Exception:
            log.warning(
                "could not store %d signed events in the %s outbox; the relay signs them",
                len(recordings), self.service_name, exc_info=True,
            )

    def count_work_with(self, counter: Callable[[], int]) -> None:
        """How many units of work (calls, handled events) the service has in hand, started
        or about to start: a command's writer waits for others to join its group only while
        there are others (shared.recorders, ``GroupCommit``)."""
        if isinstance(self.recorder, GroupCommit):
            self.recorder.count_work_with(counter)

    def leave_signing_to_the_relay(self) -> None:
        """Store events without their signed CloudEvents from now on (benchmarks that
        measure something else; the relay and the catch-up pages sign what has no row)."""
        outbox, self._outbox = self._outbox, None
        if isinstance(self.recorder, SignsIntoOutbox):
            self.recorder.sign_in_transaction(None)
        if outbox is not None:
            outbox.close()

    def close(self) -> None:
        for read_model in getattr(self, "_read_models", {}).values():
            if read_model.store is not None:
                read_model.store.close()
        if getattr(self, "_outbox", None) is not None:
            self.leave_signing_to_the_relay()
        super().close()


def _pending_events(
    objs: tuple[MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None, ...],
) -> list[DomainEventProtocol[UUID]]:
    """The events a save of ``objs`` would store, in order (nothing is collected)."""
    events: list[DomainEventProtocol[UUID]] = []
    for obj in objs:
        if obj is None:
            continue
        if isinstance(obj, BaseAggregate):  # first: the Protocol check below is slow
            events.extend(obj.pending_events)
        elif isinstance(obj, DomainEventProtocol):
            events.append(obj)
        else:
            events.extend(getattr(obj, "pending_events", ()))
    return events

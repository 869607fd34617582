"""One trace id per command, carried by every event it causes, here and in the services that
react to them (docs/tracing.md).

The trace context is W3C Trace Context's ``traceparent``
(``00-<32 hex trace id>-<16 hex span id>-<2 hex flags>``), the attribute the CloudEvents
distributed-tracing extension names. It lives in a :class:`~contextvars.ContextVar`: under
eventlet each green thread has a context of its own (greenlet ≥ 1 keeps one per greenlet, and
a new one starts empty), so a nameko worker sets it in its own green thread and no other
worker sees it (``tests/unit/test_tracing.py`` checks this under monkey-patching).

- An RPC worker takes the caller's ``traceparent`` (nameko's call context) if it is valid, and
  starts a new trace otherwise (``shared.nameko_kit.providers.TraceProvider``).
- A consumer applying an upstream event continues the event's trace with a new span
  (:func:`reacting_to`, used by ``shared.feed``).
- :class:`TracingMapper` stores the current ``traceparent`` inside each new event's stored
  state, so it survives in the store (and in its Merkle leaves); the envelope builder lifts it
  out again into the CloudEvent's ``traceparent`` attribute, and the mapper drops it when an
  event is read back, so aggregates and read models never see it.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from eventsourcing.domain import DomainEventProtocol, TAggregateID
from eventsourcing.persistence import Mapper, StoredEvent

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "traceparent"  # the CloudEvent attribute, and the key in the stored state
VERSION = "00"
SAMPLED = "01"
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-"
    r"(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?"
)
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True)
class TraceContext:
    """One step of a trace: the trace it belongs to and this step's own span.

    ``per_record`` marks a step that acts on many records independently (the clock): each
    record it changes gets a trace of its own, so one record's trail is not every record's.
    """

    trace_id: str
    span_id: str
    flags: str = SAMPLED
    per_record: bool = False
    _records: dict[Any, TraceContext] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def traceparent(self) -> str:
        return f"{VERSION}-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """The next step of the same trace (a reaction): same trace id, a new span id."""
        return TraceContext(self.trace_id, new_span_id(), self.flags)

    def for_record(self, originator_id: Any) -> TraceContext:
        """The context an event of ``originator_id`` is stored under."""
        if not self.per_record:
            return self
        found = self._records.get(originator_id)
        if found is None:
            found = self._records[originator_id] = new_trace()
        return found


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def new_trace(*, per_record: bool = False) -> TraceContext:
    return TraceContext(new_trace_id(), new_span_id(), per_record=per_record)


def parse(value: Any) -> TraceContext | None:
    """The context a ``traceparent`` names, or None if it is not a valid one (W3C Trace
    Context §3.2: lower-case hex, version ``ff`` forbidden, trace and parent ids not all
    zeros; version 00 exactly 55 characters, a later version may append fields)."""
    if not isinstance(value, str):
        return None
    found = _TRACEPARENT.fullmatch(value.strip())
    if found is None:
        return None
    version, trace, span, flags, rest = found.group("version", "trace", "span", "flags", "rest")
    if version == "ff" or (version == VERSION and rest):
        return None
    if trace == _ZERO_TRACE or span == _ZERO_SPAN:
        return None
    return TraceContext(trace, span, flags)


def trace_id_of(value: Any) -> str | None:
    """The trace id of a ``traceparent`` (a CloudEvent's attribute), or None."""
    context = parse(value)
    return None if context is None else context.trace_id


PER_RECORD_ATTRIBUTE = "__dutytrail_trace_per_record__"


def per_record(method: F) -> F:
    """Mark an entrypoint that acts on many records independently (the clock): each record
    it changes gets a trace of its own (:meth:`TraceContext.for_record`)."""
    setattr(method, PER_RECORD_ATTRIBUTE, True)
    return method


_CURRENT: ContextVar[TraceContext | None] = ContextVar("dutytrail_trace", default=None)


def current() -> TraceContext | None:
    return _CURRENT.get()


@contextmanager
def tracing(context: TraceContext | None) -> Iterator[TraceContext | None]:
    """Run the block under ``context`` (None: untraced), then restore the one before."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def set_current(context: TraceContext | None) -> Any:
    """Set the context for the rest of this (green) thread's work; returns the token for
    :func:`reset`."""
    return _CURRENT.set(context)


def reset(token: Any) -> None:
    _CURRENT.reset(token)


def from_caller(value: Any, *, per_record: bool = False) -> TraceContext:
    """A command's context: the caller's trace continued with a span of its own if the
    caller sent a valid ``traceparent``, else a new trace (a malformed one is logged)."""
    caller = parse(value)
    if caller is None:
        if value is not None:
            log.info("ignored a malformed traceparent from the caller: %.80r", value)
        return new_trace(per_record=per_record)
    return TraceContext(caller.trace_id, new_span_id(), caller.flags, per_record=per_record)


@contextmanager
def reacting_to(event: Mapping[str, Any]) -> Iterator[TraceContext]:
    """Apply an upstream CloudEvent under its trace, in a span of its own; an event without
    a valid ``traceparent`` (stored before tracing, or by another producer) starts a trace."""
    upstream = parse(event.get(ATTRIBUTE))
    context = upstream.child() if upstream is not None else new_trace()
    with tracing(context):
        yield context


# Stored with the event.


class TracingMapper(Mapper[TAggregateID], Generic[TAggregateID]):
    """eventsourcing's mapper that stores the current ``traceparent`` in each new event's
    state and leaves it out of the domain event it reads back."""

    def to_stored_event(self, domain_event: DomainEventProtocol[TAggregateID]) -> StoredEvent:
        context = _CURRENT.get()
        if context is None:
            return super().to_stored_event(domain_event)
        traced = context.for_record(domain_event.originator_id)
        # A copy of the event with the attribute, so the aggregate's own event is untouched.
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", {**vars(domain_event), ATTRIBUTE: traced.traceparent})
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[TAggregateID]:
        domain_event = super().to_domain_event(stored_event)
        vars(domain_event).pop(ATTRIBUTE, None)
        return domain_event


def take_from_state(state: dict[str, Any]) -> str | None:
    """Remove the stored ``traceparent`` from a decoded event state; the valid value, or
    None."""
    value = state.pop(ATTRIBUTE, None)
    return value if parse(value) is not None else None


# Logs.


class TraceLogFilter(logging.Filter):
    """Puts the current trace id on every log record: ``trace_id`` (None when untraced) and
    ``trace`` (`` trace=<id>`` or empty, for the text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CURRENT.get()
        trace_id = None if context is None else context.trace_id
        record.trace_id = trace_id
        record.trace = "" if trace_id is None else f" trace={trace_id}"
        return True


log = logging.getLogger(__name__)

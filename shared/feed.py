"""Exactly-once, in-order application of one upstream service's events
(docs/reliability.md, "Exactly once, in order").

A consumer records the upstream position with its own new events in one transaction
(eventsourcing tracking, one row per upstream). A delivered event is applied at once only if
its ``prevsequence`` is exactly the recorded position; anything else is a wake-up to pull the
upstream's catch-up pages, which are authoritative. Duplicates are no-ops.

Nothing moves the position unless it is verified first (docs/contract.md, "Verifying
events"): every delivered message and every pulled event must carry a valid signature by the
upstream's key and a type the upstream's public contract registers; anything else is poison.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, RecordConflictError, Tracking

from shared.application import ServiceApplication
from shared.contracts import UnknownEventError, contract_for_type
from shared.envelope import parse_position
from shared.errors import PoisonMessageError
from shared.signing import EventVerifier, SignatureError, Verifier
from shared.tracing import reacting_to

log = logging.getLogger(__name__)

PAGE_SIZE = 500

# Given one upstream CloudEvent, a policy returns the aggregates it changed (maybe none).
Policy = Callable[[dict[str, Any]], Sequence[Any]]
Pull = Callable[[int, int], list[dict[str, Any]]]

_REQUIRED = ("specversion", "id", "source", "type", "sequence", "prevsequence", "data")


def check_envelope(event: Any, upstream: str, verifier: Verifier) -> dict[str, Any]:
    """The verified CloudEvent (only what the upstream signed); poison if it is not a
    CloudEvent from ``upstream`` signed with its key, of a type its contract registers."""
    if not isinstance(event, dict):
        raise PoisonMessageError(f"not a CloudEvent object: {type(event).__name__}")
    missing = [key for key in _REQUIRED if key not in event]
    if missing:
        raise PoisonMessageError(f"CloudEvent lacks {', '.join(missing)}")
    if event["source"] != f"/dutytrail/{upstream}":
        raise PoisonMessageError(f"event from {event['source']!r}, expected {upstream}")
    try:
        if parse_position(event["sequence"]) <= 0:
            raise ValueError(event["sequence"])
        parse_position(event["prevsequence"])
    except (TypeError, ValueError):
        raise PoisonMessageError("sequence/prevsequence are not positions") from None
    try:
        verified = verifier.verify(event)
    except SignatureError as error:
        msg = (
            f"{event.get('type')} {event.get('id')} at {event['sequence']} fails verification "
            f"with {upstream}'s key: {error}"
        )
        raise PoisonMessageError(msg) from None
    try:
        info = contract_for_type(str(verified["type"]))
    except UnknownEventError:
        info = None
    if info is None or info.service != upstream:
        msg = f"{verified['type']} at {verified['sequence']} has no public contract of {upstream}"
        raise PoisonMessageError(msg)
    return verified


@dataclass(frozen=True)
class FeedLag:
    """One feed's distance from its upstream: the position applied, the highest the upstream
    is known to have reached, and for how long the feed has been behind."""

    upstream: str
    position: int
    known: int
    seconds: float

    @property
    def events(self) -> int:
        return self.known - self.position


class UpstreamFeed:
    """Feeds one upstream's events into a consuming application, once each, in order."""

    def __init__(
        self,
        app: ServiceApplication[Any],
        upstream: str,
        policy: Policy,
        page_size: int = PAGE_SIZE,
        on_applied: Callable[[int], None] | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self.app = app
        self.upstream = upstream
        self.policy = policy
        # The upstream's configured public key unless told otherwise (shared.keys).
        self.verifier: Verifier = (
            verifier if verifier is not None else EventVerifier.for_service(upstream)
        )
        self.page_size = page_size
        self.on_applied = on_applied
        self.behind = False
        # The highest upstream position this feed has heard of (a delivered message, a pulled
        # page), and since when it has known of one it has not applied or failed to pull: how
        # far behind it is, for /readyz (shared/nameko_kit/http.py).
        self.known = 0
        self._behind_since: float | None = None
        self._lock = threading.Lock()

    def position(self) -> int:
        return self.app.process_recorder.max_tracking_id(self.upstream) or 0

    def lag(self) -> FeedLag:
        """How far behind the upstream this feed is, as far as it knows."""
        position = self.position()
        known = max(self.known, position)
        since = self._behind_since
        if known == position and not self.behind:
            since = None
        seconds = 0.0 if since is None else time.monotonic() - since
        return FeedLag(self.upstream, position, known, seconds)

    def _heard_of(self, sequence: int) -> None:
        self.known = max(self.known, sequence)

    def _falling_behind(self) -> None:
        if self._behind_since is None:
            self._behind_since = time.monotonic()

    def _caught_up(self, position: int) -> None:
        if position >= self.known and not self.behind:
            self._behind_since = None

    def deliver(self, event: Any, pull: Pull) -> str:
        """Handle one live message. Returns what happened: applied, duplicate or pulled."""
        event = check_envelope(event, self.upstream, self.verifier)
        with self._lock:
            position = self.position()
            sequence = parse_position(event["sequence"])
            if sequence <= position:
                return "duplicate"
            self._heard_of(sequence)
            self._falling_behind()
            if parse_position(event["prevsequence"]) == position:
                try:
                    self._apply(event)
                except Exception:
                    # The broker redelivers this message a few times and then dead-letters
                    # it; the timer's pull still applies the event even if none follows.
                    self.behind = True
                    raise
                self._caught_up(sequence)
                return "applied"
        self.retry(pull)
        return "pulled"

    def retry(self, pull: Pull) -> int:
        """Pull, and if the upstream cannot be reached, stay behind for the timer to retry.
        Returns how many events were applied."""
        try:
            return self.pull(pull)
        except Exception as error:  # noqa: BLE001 - any failure leaves us behind, not broken
            log.warning("pull from %s failed (%s); will retry", self.upstream, error)
            self.behind = True
            self._falling_behind()
            return 0

    def pull(self, pull: Pull) -> int:
        """Apply every upstream event after our position, page by page. Returns the count.

        An event that fails verification stops the pull there: the events before it are
        applied, the position stays at the last of them, and the feed stays behind (the timer
        pulls again; docs/reliability.md)."""
        applied = 0
        with self._lock:
            while True:
                position = self.position()
                page = pull(position, self.page_size)
                for received in page:
                    try:
                        event = check_envelope(received, self.upstream, self.verifier)
                    except PoisonMessageError as error:
                        log.error(
                            "pulled event from %s refused (%s); staying at position %s",
                            self.upstream, error, position,
                        )
                        self.behind = True
                        self._falling_behind()
                        return applied
                    self._heard_of(parse_position(event["sequence"]))
                    if parse_position(event["sequence"]) > position:
                        self._apply(event)
                        position = parse_position(event["sequence"])
                        applied += 1
                if len(page) < self.page_size:
                    break
            self.behind = False
            self._caught_up(position)
        return applied

    def _apply(self, event: dict[str, Any], attempts: int = 3) -> None:
        # The reaction's events carry the upstream event's trace, in a span of their own.
        with reacting_to(event):
            self._apply_traced(event, attempts)

    def _apply_traced(self, event: dict[str, Any], attempts: int) -> None:
        sequence = parse_position(event["sequence"])
        for attempt in range(attempts):
            processing: ProcessingEvent[Any] = ProcessingEvent(
                tracking=Tracking(application_name=self.upstream, notification_id=sequence)
            )
            processing.collect_events(*self.policy(event))
            try:
                self.app.record_processed(processing)
                break
            except (IntegrityError, RecordConflictError):
                # Either tracking refused a position at or below the recorded one (another
                # process applied it first: nothing to do), or a command changed the same
                # aggregate at the same moment (run the policy again on fresh state).
                if self.position() >= sequence:
                    log.info("%s position %s already applied", self.upstream, sequence)
                    return
                if attempt == attempts - 1:
                    raise
        if self.on_applied is not None:
            self.on_applied(sequence)

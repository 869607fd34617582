"""Subscribing to one service's events from any position, handing over from history to live
without a gap or a duplicate (docs/subscribing.md).

    subscription = subscribe("responsibility", after=last_seen, handler=apply,
                             http_url="http://127.0.0.1:8100", amqp_uri=..., token=...,
                             queue="my-system.responsibility", public_key_pem=pem)

:class:`Subscription` does what a subscriber would otherwise write by hand:

1. binds its queue to the service's exchange first, so nothing published from now on is lost
   (a durable classic queue, or a quorum queue for a broker cluster; a queue the broker already
   holds as the other type is kept, with a warning that says how to move it);
2. pages the history over HTTP (``GET /events?after=N``, docs/openapi.yaml) from ``after``;
3. then consumes the queue live, dropping every event at or before its position (already
   seen in the history, or redelivered);
4. when a live event's ``prevsequence`` is not its position (a gap: it was stopped, or a
   message was lost), pages the gap over HTTP before going on;
5. verifies every event's signature with the service's public key (docs/contract.md,
   "Verifying events") before the handler sees it.

The handler gets each event once, in order of ``sequence``, and should record the position it
reached with what it does; a subscriber restarted with that position as ``after`` goes on with
the next event. The handler runs before the message is acknowledged, so an event handled just
before a crash comes again: the position (``after``) drops it.

Only the standard library and kombu (AMQP); no nameko.
"""

from __future__ import annotations

import json
import logging
import shlex
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import amqp.exceptions
from kombu.connection import Connection

from shared.envelope import parse_position
from shared.signing import EventVerifier, SignatureError, Verifier

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
PAGE_SIZE = 500
QUEUE_TYPES = ("quorum", "classic")
# kombu is untyped: its connection is used through Any.
_connect: Callable[..., Any] = Connection
HTTP_TIMEOUT_SECONDS = 30.0


class SubscriptionError(RuntimeError):
    """The subscription cannot go on."""


class SubscriptionRefusedError(SubscriptionError):
    """The service refused the token (401) or its roles (403)."""


class SubscriptionUnreachableError(SubscriptionError):
    """The service's HTTP endpoint or the broker cannot be reached."""


class UnverifiedEventError(SubscriptionError):
    """An event that is not signed by the service's key: never handed to the handler."""


@dataclass(frozen=True)
class CatchUpPage:
    events: list[dict[str, Any]]
    next_after: int  # where the next page starts
    more: bool  # whether the log holds positions after next_after


class HttpCatchUp:
    """``GET <base_url>/events`` with a bearer token (docs/openapi.yaml)."""

    def __init__(self, base_url: str, token: str, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token.removeprefix("Bearer ").strip()
        self.timeout = timeout

    def read(self, after: int, limit: int = PAGE_SIZE) -> CatchUpPage:
        query = urllib.parse.urlencode({"after": after, "limit": limit})
        request = urllib.request.Request(
            f"{self.base_url}/events?{query}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            reason = _error_text(error)
            if error.code in (401, 403):
                raise SubscriptionRefusedError(reason) from None
            msg = f"GET {self.base_url}/events answered {error.code}: {reason}"
            raise SubscriptionError(msg) from None
        except (urllib.error.URLError, OSError) as error:
            msg = f"{self.base_url} cannot be reached: {getattr(error, 'reason', error)}"
            raise SubscriptionUnreachableError(msg) from None
        return CatchUpPage(
            events=list(body["events"]), next_after=int(body["next_after"]),
            more=bool(body["more"]),
        )

    def page(self, after: int, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
        return self.read(after, limit).events


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError):
        return str(error.reason)


def verifier_for(service: str, public_key_pem: bytes | None) -> Verifier:
    """A verifier of ``service``'s events from its PEM public key (``dutytrail keys export``),
    else from the key configured in this process (shared/keys.py)."""
    if public_key_pem is None:
        return EventVerifier.for_service(service)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        msg = "the public key is not an Ed25519 key"
        raise SubscriptionError(msg)
    return EventVerifier(service, key)


class Subscription:
    """One subscriber's handover from ``after`` to live on one service (see the module)."""

    def __init__(
        self,
        service: str,
        handler: Handler,
        *,
        after: int = 0,
        http_url: str,
        amqp_uri: str,
        token: str,
        queue: str,
        public_key_pem: bytes | None = None,
        verifier: Verifier | None = None,
        cleared: bool = False,
        page_size: int = PAGE_SIZE,
        prefetch: int = 100,
        queue_type: str = "classic",
    ) -> None:
        if after < 0:
            msg = f"after is a position >= 0, not {after}"
            raise ValueError(msg)
        if queue_type not in QUEUE_TYPES:
            msg = f"queue_type is one of {', '.join(QUEUE_TYPES)}, not {queue_type!r}"
            raise ValueError(msg)
        self.service = service
        self.handler = handler
        self.position = after
        self.catch_up = HttpCatchUp(http_url, token)
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.queue_type = queue_type
        self.exchanges = [f"{service}.events"] + ([f"{service}.confidential"] if cleared else [])
        self.verifier = verifier or verifier_for(service, public_key_pem)
        self.page_size = page_size
        self.prefetch = prefetch
        self.handled = 0
        # Set when run() ends: deliveries the connection hands over while it closes are left
        # unacknowledged (the broker keeps them) and never reach the handler.
        self._stopping = False

    # -- one event -------------------------------------------------------------------------

    def _verified(self, event: Any) -> dict[str, Any]:
        if not isinstance(event, dict) or event.get("source") != f"/dutytrail/{self.service}":
            msg = f"not a CloudEvent from {self.service}"
            raise UnverifiedEventError(msg)
        try:
            return self.verifier.verify(event)
        except SignatureError as error:
            msg = f"{event.get('type')} {event.get('id')} fails verification: {error}"
            raise UnverifiedEventError(msg) from None

    def _handle(self, event: dict[str, Any]) -> None:
        """Hand one verified event after our position to the handler, and move on."""
        sequence = parse_position(event["sequence"])
        if sequence <= self.position:
            return  # seen already
        self.handler(event)
        self.position = sequence
        self.handled += 1

    # -- history ---------------------------------------------------------------------------

    def catch_up_to(self, target: int | None = None) -> None:
        """Page the history after our position until the end of the log (or ``target``)."""
        while True:
            page = self.catch_up.read(self.position, self.page_size)
            for event in page.events:
                self._handle(self._verified(event))
            # Pages may hide positions (confidential events for an uncleared reader).
            self.position = max(self.position, page.next_after)
            if not page.more or (target is not None and self.position >= target):
                return

    # -- live ------------------------------------------------------------------------------

    def _bind(self, connection: Any) -> Any:
        channel = connection.channel()
        for exchange in self.exchanges:
            try:
                channel.exchange_declare(exchange, "topic", durable=True, passive=True)
            except amqp.exceptions.NotFound:
                msg = f"{exchange} does not exist yet: is {self.service}'s relay running?"
                raise SubscriptionUnreachableError(msg) from None
        channel = self._declare_queue(connection, channel)
        for exchange in self.exchanges:
            channel.queue_bind(self.queue, exchange, "#")
        channel.basic_qos(0, self.prefetch, False)
        return channel

    def _declare_queue(self, connection: Any, channel: Any) -> Any:
        """Declare our queue as ``queue_type``; the channel to go on with.

        Classic by default: on one broker node it costs the broker least per event. Quorum is
        for a cluster, where it is replicated (docs/subscribing.md, "Your queue"). A queue the
        broker already holds as the other type cannot change type in place: it is kept, since
        refusing would stop a working subscriber, and the warning says how to move it; nothing
        waits in it that the history does not hold."""
        try:
            channel.queue_declare(
                self.queue, durable=True, auto_delete=False,
                arguments={"x-queue-type": self.queue_type},
            )
        except amqp.exceptions.PreconditionFailed as error:
            channel = connection.channel()  # the broker closed the other one
            channel.queue_declare(self.queue, passive=True)
            log.warning(
                "%s is kept as the broker has it, not a %s queue (%s). To move it: stop "
                "this subscriber, delete the queue (rabbitmqctl delete_queue -p %s %s) and "
                "start it again from its recorded position; the history brings what the "
                "queue held.", self.queue, self.queue_type, error.reply_text,
                shlex.quote(connection.virtual_host or "/"), shlex.quote(self.queue),
            )
        return channel

    def _on_message(self, message: Any) -> None:
        if self._stopping:
            return
        try:
            event = self._verified(json.loads(message.body))
        except (ValueError, UnverifiedEventError) as error:
            log.error("message refused on %s: %s", self.queue, error)
            message.reject(requeue=False)
            return
        sequence = parse_position(event["sequence"])
        if sequence > self.position and parse_position(event["prevsequence"]) != self.position:
            self.catch_up_to(sequence)  # a gap: the history fills it, authoritatively
        self._handle(event)
        message.ack()

    def run(
        self, until: Callable[[], bool] | None = None, idle_seconds: float | None = None
    ) -> int:
        """Bind, catch up, then handle live events until ``until()`` is true or nothing came
        for ``idle_seconds``. Returns the position reached."""
        self._stopping = False
        try:
            with _connect(self.amqp_uri, connect_timeout=10) as connection:
                channel = self._bind(connection)  # first: nothing published from now is lost
                self.catch_up_to()
                channel.basic_consume(
                    self.queue, callback=lambda raw: self._on_message(
                        channel.message_to_python(raw)
                    ),
                )
                try:
                    self._live(connection, until, idle_seconds)
                finally:
                    self._stopping = True
        except (OSError, amqp.exceptions.ConnectionError) as error:
            msg = f"the broker cannot be reached: {error}"
            raise SubscriptionUnreachableError(msg) from None
        return self.position


    def _live(
        self, connection: Any, until: Callable[[], bool] | None, idle_seconds: float | None
    ) -> None:
        quiet_since = time.monotonic()
        while not (until is not None and until()):
            try:
                connection.drain_events(timeout=0.5)
                quiet_since = time.monotonic()
            except TimeoutError:
                if idle_seconds is not None and time.monotonic() - quiet_since >= idle_seconds:
                    return


def subscribe(service: str, after: int, handler: Handler, **options: Any) -> Subscription:
    """:class:`Subscription` for ``service`` from ``after``; call ``run()`` on it."""
    return Subscription(service, handler, after=after, **options)

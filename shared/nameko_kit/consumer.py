"""The consumer of one upstream's events: a quorum queue with a delivery limit and a
dead-letter exchange, a queue consumer that dead-letters undecodable messages, and bounded
pulls over the upstream's catch-up RPC (docs/reliability.md, "Failures are visible").
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.mixins import ConsumerMixin
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from shared import metrics
from shared.errors import PoisonMessageError
from shared.feed import Pull
from shared.settings import delivery_limit

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "dutytrail.dead-letter"
DEAD_LETTER_QUEUE = "dutytrail.dead-letters"
PULL_TIMEOUT_SECONDS = 15.0


def rpc_pull(proxy: Any) -> Pull:
    """A pull function over an upstream's ``events_after`` RPC, bounded in time so that a
    missing upstream never holds the feed's lock for ever (the timer retries).

    The timeout raises an ordinary ``TimeoutError``: ``eventlet.Timeout`` itself derives from
    ``BaseException``, which neither the feed nor nameko's worker catches (the message would
    stay unacknowledged, the feed would not know it is behind, and the container would log a
    crashed thread)."""

    def pull(after: int, limit: int) -> list[dict[str, Any]]:
        timed_out = TimeoutError(f"events_after did not answer within {PULL_TIMEOUT_SECONDS}s")
        with eventlet.Timeout(PULL_TIMEOUT_SECONDS, timed_out):
            page: list[dict[str, Any]] = proxy.events_after({"after": after, "limit": limit})
            return page

    return pull


class DeadLetteringQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that an undecodable message (bad JSON, a content type
    nobody accepts) is rejected to the dead-letter exchange instead of acknowledged away."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        log.error(
            "undecodable message (content type %r) sent to %s: %s",
            message.content_type, DEAD_LETTER_QUEUE, exc,
        )
        metrics.DEAD_LETTERED.labels(self.container.service_name, "undecodable").inc()
        message.reject(requeue=False)


# Keep kombu's mixin hook reachable for the subclass (nameko passes it to every consumer).
assert hasattr(ConsumerMixin, "on_decode_error")


def declare_dead_letter_queue(uri: str) -> None:
    exchange = Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True)
    queue = Queue(
        DEAD_LETTER_QUEUE, exchange=exchange, durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )
    with Connection(uri) as conn:
        queue(conn.default_channel).declare()


class UpstreamEventHandler(EventHandler):
    """``@event_handler(upstream, "#")`` on a quorum queue with a delivery limit and a
    dead-letter exchange (docs/reliability.md): a failing handler is retried a few times and then
    dead-lettered; a poison message is dead-lettered at once."""

    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, source_service: str, **kwargs: Any) -> None:
        super().__init__(source_service, "#", requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        super().setup()
        uri = self.container.config["AMQP_URI"]
        declare_dead_letter_queue(uri)
        limit = int(self.container.config.get("DELIVERY_LIMIT", delivery_limit()))
        self.delivery_limit = limit
        nameko_queue: Any = getattr(self, "queue")  # noqa: B009 - untyped nameko attribute
        self.queue = Queue(
            nameko_queue.name,
            exchange=nameko_queue.exchange,
            routing_key="#",
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": limit,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            },
        )

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        service = self.container.service_name
        if exc_info is not None and isinstance(exc_info[1], PoisonMessageError):
            log.error("poison message sent to %s: %s", DEAD_LETTER_QUEUE, exc_info[1])
            metrics.DEAD_LETTERED.labels(service, "poison").inc()
            message.reject(requeue=False)
            return
        if exc_info is not None:
            deliveries = int((message.headers or {}).get("x-delivery-count", 0)) + 1
            if deliveries > self.delivery_limit:
                metrics.DEAD_LETTERED.labels(service, "delivery_limit").inc()
        super().handle_message_processed(message, result, exc_info)


upstream_handler = UpstreamEventHandler.decorator

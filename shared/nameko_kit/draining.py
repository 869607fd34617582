"""A stopping service gives up its queues within a tenth of a second, not a second each.

nameko's queue consumer (the RPC queue, the reply queue, each upstream's event queue) reads
the broker through kombu's ``ConsumerMixin.consume``, which waits for a message at most
``safety_interval`` seconds (1 by default) before looking whether it was asked to cancel a
consumer or stop. A container's stop asks three times in turn, so every service took three
seconds to stop and ``dutytrail up``, which stops the services one dependency wave after the
other (dutytrail_ops/supervisor.py), took that for each wave. Nothing is lost by looking more
often: the same loop still acknowledges each message after its worker ended, and a message
not acknowledged when the channel closes goes back to the queue.
"""

from __future__ import annotations

from functools import partialmethod

from kombu.mixins import ConsumerMixin
from nameko.messaging import QueueConsumer

DRAIN_SECONDS = 0.1


def drain_in_short_steps(seconds: float = DRAIN_SECONDS) -> None:
    """Make every nameko queue consumer of this process look for a stop request every
    ``seconds`` while no message arrives (the kit calls it once, at import)."""
    QueueConsumer.consume = partialmethod(
        ConsumerMixin.consume, safety_interval=seconds
    )

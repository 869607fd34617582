"""The service's side of the ledger: its checkpoint, signed by its own process (the kit's
timer calls :func:`sign_checkpoint` at ``DUTYTRAIL_CHECKPOINT_SECONDS``)."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import IntegrityError

from shared.errors import ConflictError
from shared.ledger.checkpointing import next_checkpoint
from shared.ledger.events import Ledger
from shared.ledger.keys import checkpoint_signer

log = logging.getLogger(__name__)


def sign_checkpoint(app: Any, force: bool = False) -> Ledger.CheckpointSigned | None:
    """Sign and store the next checkpoint of ``app``'s log (a ``ServiceApplication``): saved
    like any event, so it goes to the outbox and the relay publishes it. None when the log did
    not grow (unless ``force``) or another process stored a checkpoint at the same moment."""
    from shared.tokens import service_actor

    service: str = app.service_name
    event = next_checkpoint(
        app.recorder, app.mapper, service, checkpoint_signer(service),
        actor=service_actor(service), force=force,
    )
    if event is None:
        return None
    try:
        app.save(event)
    except (IntegrityError, ConflictError):
        log.info("another process signed %s's checkpoint at the same moment", service)
        return None
    log.info("signed checkpoint %d of %s (%d events)", event.originator_version, service,
             event.size)
    return event

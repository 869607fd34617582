"""A service's log opened straight from its store (no service, no broker): what the
auditors' commands read, and how they append the ledger's own events (a checkpoint signed on
demand, the record of an export). An appended event gets its signed CloudEvent in the outbox
like any other (``shared.outbox``); the service's relay publishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from shared.outbox import Outbox, notifications_of, open_outbox_quietly
from shared.persistence import build_transcoder, open_factory, store_environment
from shared.recorders import signs_in_transaction
from shared.settings import StoreSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceLog:
    service: str
    recorder: ApplicationRecorder
    outbox: Outbox | None
    mapper: Mapper[UUID] = field(default_factory=lambda: Mapper(transcoder=build_transcoder()))

    def append(self, events: Sequence[DomainEventProtocol[UUID]]) -> list[Notification]:
        """Store ``events`` in one transaction (a version already taken is eventsourcing's
        ``IntegrityError``), then sign them into the outbox."""
        stored = [self.mapper.to_stored_event(event) for event in events]
        ids = self.recorder.insert_events(stored) or []
        notifications = notifications_of(stored, ids)
        # A service's own recorder has signed them into the outbox in the insert's
        # transaction already (shared/recorders.py).
        if (self.outbox is not None and notifications
                and not signs_in_transaction(self.recorder)):
            from shared.envelope import EnvelopeBuilder
            from shared.keys import KeyConfigurationError

            try:
                self.outbox.record(EnvelopeBuilder(self.service), self.recorder, notifications)
            except KeyConfigurationError:  # not the service's host: its relay signs them
                log.info("no key here to sign %s's new events; its relay signs them",
                         self.service)
            except Exception:  # the relay signs what the outbox lacks
                log.warning("could not sign %s's new events into its outbox", self.service,
                            exc_info=True)
        return notifications

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()
        datastore: Any = getattr(self.recorder, "datastore", None)
        if datastore is not None:
            datastore.close()


def open_log(service: str, settings: StoreSettings | None = None) -> ServiceLog:
    env = store_environment(service, settings)
    recorder = open_factory(env).application_recorder()
    return ServiceLog(service, recorder, open_outbox_quietly(service, env))


"""The ledger's own events, stored in each service's log and published like any other event
(public contracts in ``shared/contracts/ledger.py``, the same for every service):

- ``Ledger.CheckpointSigned``: the service signed a checkpoint of its log. It covers the first
  ``size`` events of the log, all stored before it (the checkpoint event itself is a leaf of
  the next checkpoint). ``frontier`` is the roots of the perfect subtrees of those ``size``
  leaves, so the next checkpoint reads only the events stored since.
- ``Ledger.Exported``: an auditor exported the service's history (who, when, what), so that an
  export is itself a recorded act.
- ``Ledger.TrailRead``: someone read the trail of a matter that showed this service's
  confidential events (who, with which roles, which matter, how many events), so that such a
  read is recorded as tamper-evidently as the events it showed.

They are not the events of an aggregate with rules: a checkpoint's "aggregate" is the log's
chain of checkpoints (one id per service, a version per checkpoint: two processes signing at
the same moment cannot both store theirs), and each export and each read has an id of its own.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic

from shared.actors import Actor


def checkpoints_id(origin: str) -> UUID:
    """The id of a log's chain of checkpoints (the subject of its ``checkpoint_signed``)."""
    return uuid5(NAMESPACE_URL, f"urn:dutytrail:ledger:{origin}")


class Ledger:
    class CheckpointSigned(DomainEvent):
        actor: Actor
        origin: str
        size: int
        root: str  # base64, as in the note
        suite: str
        signed_at: datetime
        last_position: int  # the position of the last event it covers (0: none)
        frontier: list[str]  # base64 subtree roots, largest first
        note: str  # the C2SP signed note

    class Exported(DomainEvent):
        actor: Actor
        services: list[str]
        last_position: int  # this service's log was exported up to here
        events: int
        withheld: int  # confidential events exported as their leaf hash only
        cleared: bool


    class TrailRead(DomainEvent):
        actor: Actor
        roles: list[str]  # the reader's token's roles, sorted
        matter: str  # the id the trail was asked for
        events: int  # this service's confidential events it showed


CHECKPOINT_TOPIC = get_topic(Ledger.CheckpointSigned)
EXPORTED_TOPIC = get_topic(Ledger.Exported)
TRAIL_READ_TOPIC = get_topic(Ledger.TrailRead)

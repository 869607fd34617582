"""``dutytrail audit export``'s writer (docs/audit.md, "Export format"): one service's full
history from its store, a page at a time, as CloudEvents JSON lines with each event's leaf.

A line is the signed CloudEvent the service kept for that position in its outbox, exactly as
kept (built and signed now only where none was kept), with the extension attribute
``ledgerleaf``: the leaf's bytes in base64 (the stored event itself, shared/ledger/leaves.py),
outside the signed attributes. A confidential event exported to a reader who is not cleared
is a stub: its position, its leaf hash (``ledgerleafhash``) and nothing of its content, so
that the tree can still be verified.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dutytrail_ops.audit._ledger_progress import Progress
from dutytrail_ops.audit._ledger_sources import (
    LEAF_ATTRIBUTE,
    LEAF_HASH_ATTRIBUTE,
    READ_PAGE,
    WITHHELD_TYPE,
    checkpoint_note,
    events_file,
)
from shared.ledger.leaves import leaf_bytes, stored_notifications
from shared.ledger.logs import ServiceLog
from shared.ledger.merkle import TreeHasher

CONFIDENTIAL = "confidential"


@dataclass
class Exported:
    service: str
    events: int = 0
    withheld: int = 0
    checkpoints: int = 0
    last_position: int = 0


def export_service(log: ServiceLog, hasher: TreeHasher, folder: Path, cleared: bool,
                   progress: Progress) -> Exported:
    from shared.contracts import UnknownEventError, contract_for_domain_event
    from shared.envelope import EnvelopeBuilder, encode, format_position
    from shared.keys import KeyConfigurationError

    service = log.service
    try:
        builder = EnvelopeBuilder(service)
    except KeyConfigurationError:
        # An auditor's host without the service's private key: an event whose signed record
        # was never kept is exported unsigned (verify then names it, as it does in the store).
        builder = EnvelopeBuilder(service, signer=_Unsigned())
    done = Exported(service)
    classification: dict[str, str] = {}

    def classified(topic: str) -> str:
        if topic not in classification:
            try:
                info = contract_for_domain_event(service, topic.rpartition(":")[2])
                classification[topic] = info.classification
            except UnknownEventError:
                classification[topic] = CONFIDENTIAL  # unknown: never shown uncleared
        return classification[topic]

    previous = 0
    with events_file(folder, service).open("w", encoding="utf-8") as out, \
            (folder / f"{service}.checkpoints.jsonl").open("w", encoding="utf-8") as notes:
        page: list[Any] = []
        for notification in stored_notifications(log.recorder, page=READ_PAGE):
            page.append(notification)
            if len(page) == READ_PAGE:
                previous = _write_page(log, builder, hasher, page, previous, cleared,
                                       classified, out, notes, done, encode, format_position)
                progress.reach(previous)
                page = []
        if page:
            previous = _write_page(log, builder, hasher, page, previous, cleared, classified,
                                   out, notes, done, encode, format_position)
            progress.reach(previous)
    done.last_position = previous
    return done


def _write_page(log: ServiceLog, builder: Any, hasher: TreeHasher, page: list[Any],
                previous: int, cleared: bool, classified: Any, out: IO[str], notes: IO[str],
                done: Exported, encode: Any, format_position: Any) -> int:
    bodies = log.outbox.bodies_for(page) if log.outbox is not None else {}
    for notification in page:
        leaf = leaf_bytes(notification)
        if not cleared and classified(notification.topic) == CONFIDENTIAL:
            line: dict[str, Any] = {
                "specversion": "1.0", "id": f"withheld:{notification.id}",
                "source": f"/dutytrail/{log.service}", "type": WITHHELD_TYPE,
                "sequence": format_position(notification.id),
                "prevsequence": format_position(previous),
                "dataclassification": CONFIDENTIAL,
                LEAF_HASH_ATTRIBUTE: base64.b64encode(hasher.leaf(leaf)).decode(),
            }
            out.write(encode(line) + "\n")
            done.withheld += 1
        else:
            encoded_leaf = base64.b64encode(leaf).decode()
            body = bodies.get(notification.id)
            if body is not None and len(body) > 2 and body[0] == "{" and body[-1] == "}" and \
                    LEAF_ATTRIBUTE not in body:
                # The kept record as kept, the leaf added without parsing it again.
                out.write(f'{body[:-1]},"{LEAF_ATTRIBUTE}":"{encoded_leaf}"}}\n')
            else:
                kept = _kept(body) or builder.build(notification, previous or None)
                kept[LEAF_ATTRIBUTE] = encoded_leaf
                out.write(encode(kept) + "\n")
        note = checkpoint_note(notification)
        if note is not None:
            notes.write(encode({"position": notification.id, "note": note}) + "\n")
            done.checkpoints += 1
        done.events += 1
        previous = notification.id
    return previous


class _Unsigned:
    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        return event


def _kept(body: str | None) -> dict[str, Any] | None:
    """The signed CloudEvent kept in the outbox, as kept (a damaged one too: verify names
    it)."""
    if body is None:
        return None
    try:
        event = json.loads(body)
    except ValueError:
        return {"damagedrecord": body}
    return event if isinstance(event, dict) else {"damagedrecord": body}

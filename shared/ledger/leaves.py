"""What a leaf of a service's Merkle log is: the canonical bytes of one stored event, exactly
as stored (an encrypted field is hashed as its ciphertext, so erasing a reporter's key never
breaks verification), with its position, so that a reordering changes the tree.

    leaf = uint64 position || 16-byte originator id || uint64 originator version
           || uint32 len(topic) || topic (UTF-8) || uint32 len(state) || state

(big-endian; ``state`` is the stored bytes, compressed or encrypted as the store keeps them.)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from eventsourcing.persistence import ApplicationRecorder, Notification

from shared.ledger.merkle import RootBuilder, TreeHasher

PAGE = 500


def leaf_bytes(notification: Notification) -> bytes:
    topic = notification.topic.encode()
    state: object = notification.state
    # A row edited by hand may come back as text (SQLite's replace() on a blob): it is
    # hashed as its UTF-8 bytes, and so differs from what was signed.
    raw = state if isinstance(state, bytes) else str(state).encode()
    return b"".join((
        struct.pack(">Q", notification.id),
        notification.originator_id.bytes,  # type: ignore[union-attr]
        struct.pack(">Q", notification.originator_version),
        struct.pack(">I", len(topic)), topic,
        struct.pack(">I", len(raw)), raw,
    ))


def stored_notifications(recorder: ApplicationRecorder, upto: int | None = None,
                         ) -> Iterator[Notification]:
    """Every stored event in log order (up to position ``upto``), a page at a time."""
    after = 0
    while True:
        page = recorder.select_notifications(
            start=after, limit=PAGE, stop=upto, inclusive_of_start=False
        )
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].id


def log_root(recorder: ApplicationRecorder, hasher: TreeHasher,
             upto: int | None = None) -> tuple[int, bytes]:
    """``(size, root)`` of the service's log, streamed (memory: one hash per level)."""
    builder = RootBuilder(hasher)
    for notification in stored_notifications(recorder, upto):
        builder.append(hasher.leaf(leaf_bytes(notification)))
    return builder.size, builder.root()

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
_HEAD = struct.Struct(">Q16sQI")  # position, originator id, version, len(topic)
_LENGTH = struct.Struct(">I")


def leaf_bytes(notification: Notification) -> bytes:
    topic = notification.topic.encode()
    state: object = notification.state
    # A row edited by hand may come back as text (SQLite's replace() on a blob): it is
    # hashed as its UTF-8 bytes, and so differs from what was signed.
    raw = state if isinstance(state, bytes) else str(state).encode()
    head = _HEAD.pack(notification.id, notification.originator_id.bytes,  # type: ignore[union-attr]
                      notification.originator_version, len(topic))
    return b"".join((head, topic, _LENGTH.pack(len(raw)), raw))


def stored_notifications(recorder: ApplicationRecorder, upto: int | None = None,
                         after: int = 0, page: int = PAGE) -> Iterator[Notification]:
    """Every stored event in log order (after position ``after``, up to position ``upto``),
    ``page`` at a time."""
    while True:
        found = recorder.select_notifications(
            start=after, limit=page, stop=upto, inclusive_of_start=False
        )
        yield from found
        if len(found) < page:
            return
        after = found[-1].id


def log_root(recorder: ApplicationRecorder, hasher: TreeHasher,
             upto: int | None = None) -> tuple[int, bytes]:
    """``(size, root)`` of the service's log, streamed (memory: one hash per level)."""
    builder = RootBuilder(hasher)
    for notification in stored_notifications(recorder, upto):
        builder.append(hasher.leaf(leaf_bytes(notification)))
    return builder.size, builder.root()


class LeafError(ValueError):
    """Bytes that are not a leaf of a dutytrail log."""


def parse_leaf(leaf: bytes) -> Notification:
    """The stored event a leaf is the bytes of (an export carries leaves, docs/audit.md)."""
    from uuid import UUID

    try:
        position, = struct.unpack_from(">Q", leaf, 0)
        originator_id = UUID(bytes=leaf[8:24])
        version, = struct.unpack_from(">Q", leaf, 24)
        topic_length, = struct.unpack_from(">I", leaf, 32)
        topic_end = 36 + topic_length
        topic = leaf[36:topic_end].decode()
        state_length, = struct.unpack_from(">I", leaf, topic_end)
        state = leaf[topic_end + 4:]
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise LeafError("not a leaf of a dutytrail log") from error
    if len(state) != state_length:
        raise LeafError("a leaf's state is not as long as it says")
    return Notification(id=position, originator_id=originator_id,
                        originator_version=version, topic=topic, state=state)

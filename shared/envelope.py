"""The CloudEvents 1.0 structured-mode envelope every stored event is published in
(docs/contract.md).

The envelope is built from the stored record alone (topic, state, position), so the relay and
the catch-up reader need no service code: the public contract registered for the stored
event's class name validates and shapes ``data``. The builder signs every event with the
service's key (``shared.signing``; docs/contract.md, "Verifying events"), so the relay's
messages and the catch-up pages carry the same signatures.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import kombu.serialization
from eventsourcing.persistence import ApplicationRecorder, JSONTranscoder, Notification
from eventsourcing.utils import TopicError, resolve_topic

from shared.clock import utcnow
from shared.contracts import contract_for_domain_event
from shared.contracts.base import ContractInfo, downcast_data, earlier_majors
from shared.persistence import build_transcoder
from shared.settings import schema_base_url
from shared.signing import MATERIAL_ATTRIBUTE, SIGNED_LIST_ATTRIBUTE, EventSigner, Signer
from shared.tracing import ATTRIBUTE as TRACE_ATTRIBUTE
from shared.tracing import take_from_state

if TYPE_CHECKING:
    from shared.outbox import Outbox

CONTENT_TYPE = "application/cloudevents+json"
CONTENT_ENCODING = "utf-8"
SERIALIZER_NAME = "cloudevents"
SPEC_VERSION = "1.0"
_STATE_METADATA = ("timestamp", "occurred_at", "originator_topic", "class_version")


def encode(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def decode(payload: str | bytes) -> Any:
    return json.loads(payload)


def register_content_type() -> None:
    """Let kombu (and so nameko) encode and accept ``application/cloudevents+json``."""
    kombu.serialization.register(
        SERIALIZER_NAME,
        encoder=encode,
        decoder=decode,
        content_type=CONTENT_TYPE,
        content_encoding=CONTENT_ENCODING,
    )


def format_position(position: int | None) -> str:
    return "" if not position else f"{position:020d}"


def parse_position(value: str | None) -> int:
    return int(value) if value else 0


def dataschema_for(event_type: str) -> str:
    base = schema_base_url()
    return f"{base}/{event_type}.json" if base else f"urn:dutytrail:schema:{event_type}"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class EnvelopeBuilder:
    """Turns one stored notification of ``service`` into a signed CloudEvent dict.

    ``signer`` defaults to the service's configured key (``shared.keys.private_key``): without
    one (and without development keys) the builder, and so the service, its relay and the
    catch-up reader, refuses to start with :class:`shared.keys.KeyConfigurationError`.
    """

    def __init__(
        self,
        service: str,
        transcoder: JSONTranscoder | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.service = service
        self.transcoder = transcoder or build_transcoder()
        self.signer: Signer = signer if signer is not None else EventSigner.for_service(service)
        self._needle: tuple[str, bytes] | None = None  # (key id, as a DSSE envelope has it)
        self._classes: dict[str, Any] = {}  # stored topic -> domain event class (or None)

    def build(self, notification: Notification, previous: int | None) -> dict[str, Any]:
        """One notification as a signed CloudEvent; ``previous`` is the position before it."""
        return self.signer.sign(self._unsigned(notification, previous))

    def earlier_events(
        self, notification: Notification, previous: int | None
    ) -> list[dict[str, Any]]:
        """The same event in each earlier major still published side by side with the
        current one (docs/versioning.md): same id, sequence and times, its own type, schema
        and data, signed. Usually none."""
        qualname = notification.topic.rpartition(":")[2]
        if not earlier_majors(self.service, qualname):  # the usual case, without a clock
            return []
        earlier = earlier_majors(self.service, qualname, utcnow().date())
        current = self._unsigned(notification, previous)
        return [
            self.signer.sign({
                **current, "type": info.type, "dataschema": dataschema_for(info.type),
                "dataclassification": info.classification,
                "data": downcast_data(info, current["data"]),
            })
            for info in earlier
        ]

    def as_earlier(self, event: dict[str, Any], info: ContractInfo) -> dict[str, Any]:
        """A built event of this service (current major) as the earlier major ``info``,
        signed (what ``GET /events?pin=<type>`` serves)."""
        unsigned = {
            k: v for k, v in event.items() if k not in (MATERIAL_ATTRIBUTE, SIGNED_LIST_ATTRIBUTE)
        }
        return self.signer.sign({
            **unsigned, "type": info.type, "dataschema": dataschema_for(info.type),
            "dataclassification": info.classification,
            "data": downcast_data(info, event["data"]),
        })

    def build_all(self, notification: Notification, previous: int | None) -> list[dict[str, Any]]:
        """:meth:`build`, then :meth:`earlier_events`."""
        return [self.build(notification, previous), *self.earlier_events(notification, previous)]

    def _upcast(self, topic: str, state: dict[str, Any]) -> None:
        """A domain event stored under an older class version, brought to the current one by
        the domain's own upcasters (eventsourcing's ``upcast_v<n>_v<n+1>``), as the
        application reads it, before the public contract shapes it. A process without the
        domain's code (it cannot resolve the topic) takes the state as stored."""
        if topic not in self._classes:
            try:
                self._classes[topic] = resolve_topic(topic)
            except (TopicError, ImportError, AttributeError):
                self._classes[topic] = None
        cls = self._classes[topic]
        if cls is None:
            return
        stored = int(state.get("class_version", 1))
        current = int(getattr(cls, "class_version", 1))
        while stored < current:
            getattr(cls, f"upcast_v{stored}_v{stored + 1}")(state)
            stored += 1

    def reuse_or_build(
        self, notification: Notification, previous: int | None, body: str | None
    ) -> dict[str, Any]:
        """The CloudEvent the service stored for ``notification`` in its outbox
        (``shared.outbox``) if it is the one this builder signs (same id, position, previous
        position and key), else built and signed here (:meth:`build`)."""
        return self.reuse_or_build_encoded(notification, previous, body)[0]

    def reuse_or_build_encoded(
        self, notification: Notification, previous: int | None, body: str | None
    ) -> tuple[dict[str, Any], str]:
        """:meth:`reuse_or_build`, with the event's JSON text: the stored ``body`` itself
        when it is reused (the relay publishes it as it is, never encoding it again)."""
        if body is not None:
            try:
                event = decode(body)
            except ValueError:  # a damaged row: sign afresh
                event = None
            if self._reusable(event, notification, previous):
                return event, body
        event = self.build(notification, previous)
        return event, encode(event)

    def _reusable(self, event: Any, notification: Notification, previous: int | None) -> bool:
        needle = self._key_needle()
        if not isinstance(event, dict) or needle is None:
            return False  # a builder that does not sign with a key publishes its own events
        if (
            event.get("sequence") != format_position(notification.id)
            or event.get("prevsequence") != format_position(previous)
            or event.get("id")
            != f"{notification.originator_id}:{notification.originator_version}"
        ):
            return False
        material = event.get(MATERIAL_ATTRIBUTE)
        try:
            envelope = base64.b64decode(material, validate=True) if material else b""
        except (binascii.Error, ValueError, TypeError):
            return False
        return needle in envelope

    def _key_needle(self) -> bytes | None:
        """How this builder's key id appears in a DSSE envelope it signed; None if it does
        not sign with a key."""
        key_id = getattr(self.signer, "key_id", None)
        if not isinstance(key_id, str):
            return None
        if self._needle is None or self._needle[0] != key_id:
            self._needle = (key_id, ('"keyid":' + json.dumps(key_id) + ",").encode())
        return self._needle[1]

    def _unsigned(self, notification: Notification, previous: int | None) -> dict[str, Any]:
        qualname = notification.topic.rpartition(":")[2]
        info = contract_for_domain_event(self.service, qualname)
        state: dict[str, Any] = self.transcoder.decode(notification.state)
        self._upcast(notification.topic, state)
        traceparent = take_from_state(state)  # stored with the event (shared/tracing.py)
        recorded_at: datetime = state["timestamp"]
        occurred_at: datetime = state.get("occurred_at") or recorded_at
        attributes = {k: v for k, v in state.items() if k not in _STATE_METADATA}
        data = info.model.model_validate(
            {info.subject_field: notification.originator_id, **attributes}
        )
        event = {
            "specversion": SPEC_VERSION,
            "id": f"{notification.originator_id}:{notification.originator_version}",
            "source": f"/dutytrail/{self.service}",
            "type": info.type,
            "time": _iso(occurred_at),
            "recordedtime": _iso(recorded_at),
            "subject": str(notification.originator_id),
            "sequence": format_position(notification.id),
            "prevsequence": format_position(previous),
            "datacontenttype": "application/json",
            "dataschema": dataschema_for(info.type),
            "dataclassification": info.classification,
            "data": data.model_dump(mode="json"),
        }
        if traceparent is not None:
            event[TRACE_ATTRIBUTE] = traceparent
        return event


def _previous_position(recorder: ApplicationRecorder, before: int) -> int | None:
    """The position just before ``before`` (positions have holes, so look back)."""
    window = 1000
    low = before - 1
    while low >= 1:
        start = max(1, low - window + 1)
        found = recorder.select_notifications(start=start, limit=window, stop=low)
        if found:
            return found[-1].id
        low = start - 1
    return None


def read_page(
    recorder: ApplicationRecorder, builder: EnvelopeBuilder, after: int, limit: int,
    outbox: Outbox | None = None,
) -> list[dict[str, Any]]:
    """Events after position ``after`` (exclusive), at most ``limit``, as CloudEvents.

    ``prevsequence`` of each event is the real previous position in the log, so a consumer
    can tell whether a page continues exactly where it stopped.
    """
    notifications: Sequence[Notification] = recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    if not notifications:
        return []
    first = notifications[0].id
    previous = _previous_position(recorder, first) if after > 0 else None
    stored = outbox.bodies_for(notifications) if outbox is not None else {}
    page = []
    for notification in notifications:
        page.append(builder.reuse_or_build(notification, previous, stored.get(notification.id)))
        previous = notification.id
    return page

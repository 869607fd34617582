"""The AsyncAPI 3 document of every declared service's published events, built from the
public contracts (shared/contracts): one channel per exchange and routing key (the event
type), one message per event type with its CloudEvents attributes and the JSON Schema of its
``data``, AMQP 0-9-1 bindings. ``dutytrail schemas asyncapi`` writes it to docs/asyncapi.yaml;
``dutytrail schemas catalogue`` turns it into docs/events.md."""

from __future__ import annotations

import importlib
from typing import Any

from dutytrail_ops.registry import declarations
from shared.contracts import ContractInfo, all_contracts
from shared.contracts.base import published_schema
from shared.envelope import CONTENT_TYPE, dataschema_for

ASYNCAPI_VERSION = "3.0.0"
# The AMQP bindings' own version (github.com/asyncapi/bindings, amqp).
AMQP_BINDING_VERSION = "0.3.0"
CLOUDEVENT = "CloudEvent"

# The CloudEvents attributes of every dutytrail event (docs/contract.md): name, schema,
# required, description.
ATTRIBUTES: list[tuple[str, dict[str, Any], bool, str]] = [
    ("specversion", {"type": "string", "const": "1.0"}, True, "CloudEvents version."),
    ("id", {"type": "string"}, True,
     "<aggregate id>:<aggregate version>; unique per event, the same in every delivery."),
    ("source", {"type": "string", "pattern": "^/dutytrail/[a-z_]+$"}, True,
     "/dutytrail/<service>."),
    ("type", {"type": "string"}, True,
     "dutytrail.<service>.<event>.v<major> (docs/versioning.md)."),
    ("time", {"type": "string", "format": "date-time"}, True,
     "When it happened in the district (business time)."),
    ("recordedtime", {"type": "string", "format": "date-time"}, True,
     "Extension: when the service stored it."),
    ("subject", {"type": "string", "format": "uuid"}, True,
     "The aggregate the event is about (the field named by x-subject-field)."),
    ("sequence", {"type": "string", "pattern": "^[0-9]{20}$"}, True,
     "Extension: the event's position in the service's log, 20 digits, increasing with "
     "holes."),
    ("prevsequence", {"type": "string", "pattern": "^([0-9]{20})?$"}, True,
     "Extension: the position of the service's previous event, empty for its first event. "
     "A consumer whose last position is not prevsequence has missed events: page them "
     "with GET /events?after=<last position> (docs/subscribing.md)."),
    ("datacontenttype", {"type": "string", "const": "application/json"}, True,
     "data is JSON."),
    ("dataschema", {"type": "string"}, True,
     "The JSON Schema of data: <DUTYTRAIL_SCHEMA_BASE_URL>/<type>.json, or "
     "urn:dutytrail:schema:<type>, which resolves at GET /schemas/<type>.json of any "
     "service (docs/openapi.yaml)."),
    ("dataclassification", {"type": "string", "enum": ["public", "internal", "confidential"]},
     True, "Extension: confidential events go to <service>.confidential only."),
    ("traceparent",
     {"type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"}, False,
     "Extension (CloudEvents distributed tracing; W3C Trace Context): the trace of the "
     "command that caused the event, the same in the events other services store in "
     "reaction to it; signed when present (docs/tracing.md). Absent on events stored "
     "before tracing."),
    ("signedextattrs", {"type": "string"}, True,
     "Extension (CloudEvents verifiability): the signed extension attributes."),
    ("dssematerial", {"type": "string", "contentEncoding": "base64"}, True,
     "Extension (CloudEvents verifiability): the DSSE envelope of the event's Ed25519 "
     "signature (docs/contract.md, 'Verifying events')."),
]


def _load_contracts() -> list[ContractInfo]:
    declared = declarations()
    for service in declared.values():
        importlib.import_module(service.contracts_module)
    return [info for info in all_contracts() if info.service in declared]


def data_schema(info: ContractInfo) -> dict[str, Any]:
    """The published, self-contained JSON Schema of ``info``'s data (what
    GET /schemas/<type>.json answers and ``schemas export`` writes)."""
    schema = published_schema(info)
    return {"$id": dataschema_for(info.type), **schema}


def _channel_id(info: ContractInfo) -> str:
    return info.type.replace(".", "_")


def _exchange(info: ContractInfo) -> str:
    suffix = "confidential" if info.classification == "confidential" else "events"
    return f"{info.service}.{suffix}"


def _message(info: ContractInfo) -> dict[str, Any]:
    data = data_schema(info)
    data.pop("$id", None)
    attributes = {name: {**schema, "description": text} for name, schema, _, text in ATTRIBUTES}
    attributes["type"] = {**attributes["type"], "const": info.type}
    attributes["source"] = {**attributes["source"], "const": f"/dutytrail/{info.service}"}
    attributes["dataclassification"] = {
        **attributes["dataclassification"], "const": info.classification,
    }
    attributes["data"] = data
    payload = {
        "type": "object",
        "required": [name for name, _, required, _ in ATTRIBUTES if required] + ["data"],
        "properties": attributes,
        # Within a major version new attributes may appear (docs/versioning.md).
        "additionalProperties": True,
    }
    summary = data.get("description") or f"{info.name.replace('_', ' ')} ({info.service})"
    return {
        "name": info.type,
        "title": info.name.replace("_", " "),
        "summary": str(summary).split(". ")[0][:200],
        "contentType": CONTENT_TYPE,
        "payload": payload,
        "correlationId": {"location": "$message.payload#/subject"},
        "bindings": {"amqp": {"messageType": info.type, "bindingVersion": AMQP_BINDING_VERSION}},
        "x-dataclassification": info.classification,
        "x-subject-field": info.subject_field,
        "x-service": info.service,
        "x-version": info.version,
    }


def _channel(info: ContractInfo) -> dict[str, Any]:
    exchange = _exchange(info)
    who = "cleared subscribers only" if info.classification == "confidential" else "subscribers"
    return {
        "address": info.type,
        "title": f"{info.type} on {exchange}",
        "description": (
            f"{info.type} events, published to the topic exchange {exchange} with the event "
            f"type as routing key ({who}). Bind a queue with the routing key "
            f"'{info.type}', or '#' for every event of {info.service}."
        ),
        "messages": {info.name: {"$ref": f"#/components/messages/{info.type}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": exchange, "type": "topic", "durable": True, "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def build_document(version: str) -> dict[str, Any]:
    """The AsyncAPI 3 document for the declared services' contracts."""
    contracts = _load_contracts()
    services = declarations()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for info in contracts:
        cid = _channel_id(info)
        channels[cid] = _channel(info)
        messages[info.type] = _message(info)
        operations[f"receive_{cid}"] = {
            "action": "receive",
            "title": f"Receive {info.type}",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{info.name}"}],
            "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "dutytrail events",
            "version": version,
            "description": (
                "Every event the dutytrail services publish, as signed CloudEvents 1.0 in "
                "structured mode (content type application/cloudevents+json). Generated "
                "from the public contracts by `dutytrail schemas asyncapi`; do not edit. "
                "Subscribing, catching up over HTTP and handing over to live: "
                "docs/subscribing.md. Compatibility: docs/versioning.md. Services: "
                + ", ".join(f"{s.name} ({s.title})" for s in services.values()) + "."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": (
                    "The district's RabbitMQ; a subscriber logs in as the user "
                    "`dutytrail broker add-subscriber` creates."
                ),
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(document: dict[str, Any]) -> str:
    import yaml

    header = (
        "# Generated by `dutytrail schemas asyncapi --out docs/asyncapi.yaml` from\n"
        "# shared/contracts; do not edit (CI checks it with --check).\n"
    )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's is ten times faster
    body = yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body

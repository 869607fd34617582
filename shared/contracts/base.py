"""The base of every public event's pydantic contract and the registry that maps stored
domain events to public CloudEvent types (docs/contract.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

Classification = Literal["public", "internal", "confidential"]


class Actor(BaseModel):
    """Who issued the command that produced the event (traceable management)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    person_id: UUID
    unit_id: UUID


class EventData(BaseModel):
    """Base of every public event's ``data``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    actor: Actor


# Turns the data of a domain event's current major into the data of an earlier major.
Downcast = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ContractInfo:
    service: str
    name: str  # snake_case event name
    version: int
    domain_event: str  # qualified name of the domain event class, e.g. "Letter.Signed"
    subject_field: str  # the data field that carries the aggregate id
    classification: Classification
    model: type[EventData]
    # An earlier major still published side by side with the current one, until this day
    # inclusive (None: until it is removed from the code); docs/versioning.md.
    published_until: date | None = None
    # How its data is made from the current major's data (default: the current data, less the
    # fields the earlier model does not have).
    downcast: Downcast | None = None

    @property
    def type(self) -> str:
        return f"dutytrail.{self.service}.{self.name}.v{self.version}"


_BY_TYPE: dict[str, ContractInfo] = {}
# The current (highest) major of each stored domain event, and the earlier ones published
# side by side with it.
_BY_DOMAIN_EVENT: dict[tuple[str, str], ContractInfo] = {}
_EARLIER: dict[tuple[str, str], list[ContractInfo]] = {}
_BY_MODEL: dict[type[EventData], ContractInfo] = {}

M = TypeVar("M", bound=type[EventData])


def contract(
    *,
    service: str,
    name: str,
    domain_event: str,
    subject_field: str,
    classification: Classification = "public",
    version: int = 1,
    published_until: date | None = None,
    downcast: Downcast | None = None,
) -> Callable[[M], M]:
    """Register a pydantic model as the public contract of one stored domain event.

    A domain event may have several majors (``version``): the highest is what the service
    stores and publishes; each earlier one is published side by side with it, same id and
    sequence, its type ending in its own ``.v<version>``, until ``published_until``
    (docs/versioning.md)."""

    def register(model: M) -> M:
        info = ContractInfo(
            service, name, version, domain_event, subject_field, classification, model,
            published_until, downcast,
        )
        if info.type in _BY_TYPE:
            msg = f"contract {info.type} registered twice"
            raise ValueError(msg)
        key = (service, domain_event)
        current = _BY_DOMAIN_EVENT.get(key)
        if current is not None and current.version == version:
            msg = f"{service} {domain_event} has two contracts of major {version}"
            raise ValueError(msg)
        _BY_TYPE[info.type] = info
        if current is None or version > current.version:
            _BY_DOMAIN_EVENT[key] = info
            if current is not None:
                _EARLIER.setdefault(key, []).append(current)
        else:
            _EARLIER.setdefault(key, []).append(info)
        _EARLIER.get(key, []).sort(key=lambda earlier: -earlier.version)
        _BY_MODEL[model] = info
        return model

    return register


class UnknownEventError(LookupError):
    pass


def contract_for_domain_event(service: str, qualname: str) -> ContractInfo:
    try:
        return _BY_DOMAIN_EVENT[(service, qualname)]
    except KeyError:
        msg = f"no public contract for {service} domain event {qualname}"
        raise UnknownEventError(msg) from None


def earlier_majors(service: str, qualname: str, today: date | None = None) -> list[ContractInfo]:
    """The earlier majors of a stored domain event still published side by side with its
    current one on ``today`` (every one if None), newest first."""
    earlier = _EARLIER.get((service, qualname))
    if not earlier:
        return []
    return [
        info for info in earlier
        if today is None or info.published_until is None or today <= info.published_until
    ]


def downcast_data(info: ContractInfo, current: dict[str, Any]) -> dict[str, Any]:
    """The data of the earlier major ``info``, made from the current major's JSON data."""
    data = info.downcast(dict(current)) if info.downcast is not None else current
    fields = info.model.model_fields
    return info.model.model_validate(
        {k: v for k, v in data.items() if k in fields}
    ).model_dump(mode="json")


def contract_for_type(event_type: str) -> ContractInfo:
    try:
        return _BY_TYPE[event_type]
    except KeyError:
        msg = f"unknown event type {event_type}"
        raise UnknownEventError(msg) from None


def contract_for_model(model: type[EventData]) -> ContractInfo:
    try:
        return _BY_MODEL[model]
    except KeyError:
        msg = f"{model.__name__} is not a registered public contract"
        raise UnknownEventError(msg) from None


def all_contracts() -> list[ContractInfo]:
    return sorted(_BY_TYPE.values(), key=lambda info: info.type)


def published_schema(info: ContractInfo) -> dict[str, Any]:
    """The JSON Schema of ``info``'s ``data`` as published to subscribers: every object
    accepts unknown fields, so that an additive change (a new optional field, within a major
    version) breaks no strict consumer (docs/versioning.md). The producer's pydantic model
    itself still refuses unknown fields."""
    schema = _inline_refs(info.model.model_json_schema())
    _open_objects(schema)
    schema["title"] = info.type
    schema["x-dataclassification"] = info.classification
    schema["x-subject-field"] = info.subject_field
    schema["x-version"] = info.version
    if info.model.__doc__ and "description" not in schema:
        schema["description"] = " ".join(info.model.__doc__.split())
    return schema


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with pydantic's local ``$defs`` references replaced by the definitions, so
    that it stands alone, inside a larger document too (the AsyncAPI document)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name in seen:
                    msg = f"the schema of {name} is recursive: it cannot be inlined"
                    raise ValueError(msg)
                merged = {**definitions[name], **{k: v for k, v in node.items() if k != "$ref"}}
                return resolve(merged, (*seen, name))
            return {k: resolve(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v, seen) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema, ())
    return resolved


def _open_objects(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("additionalProperties") is False:
            node["additionalProperties"] = True
        for value in node.values():
            _open_objects(value)
    elif isinstance(node, list):
        for value in node:
            _open_objects(value)

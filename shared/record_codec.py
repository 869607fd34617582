"""Read-model records as JSON text, and back: the rows of the stored read models
(shared/view_store.py).

A read model's records are dataclasses holding UUIDs, dates, datetimes, lists, tuples, sets,
dicts (some keyed by tuples or UUIDs), decimals and small pydantic models (an ``Actor``). JSON
has none of these, so each is written as a tagged object; a dataclass or a model by the name
of its class, looked up among the classes the read model registers (never imported by name
from the row: a row can only become a class the read model chose). Decoding is exact:
``decode(encode(x)) == x``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, SafeUUID

from pydantic import BaseModel


class RecordCodec:
    """Encodes and decodes the records of one read model."""

    def __init__(self, classes: Iterable[type[Any]] = ()) -> None:
        self._classes: dict[str, type[Any]] = {}
        for cls in classes:
            self.register(cls)
        # One scanner for every row: ``json.loads`` builds a decoder and runs two regular
        # expressions per call, a third of the time of decoding a small row.
        decoder = json.JSONDecoder(object_hook=self._from_object)
        self._scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]

    def register(self, cls: type[Any]) -> None:
        if not (dataclasses.is_dataclass(cls) or issubclass(cls, BaseModel)):
            raise TypeError(f"{cls.__qualname__} is neither a dataclass nor a pydantic model")
        self._classes[cls.__qualname__] = cls

    # Encoding.

    def encode(self, value: Any) -> str:
        return json.dumps(self._to_json(value), ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True)

    def _to_json(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, UUID):
            return {"$u": str(value)}
        if isinstance(value, Decimal):
            return {"$dec": str(value)}  # money: exact, never a float
        if isinstance(value, datetime):
            return {"$t": value.isoformat()}
        if isinstance(value, date):
            return {"$d": value.isoformat()}
        if isinstance(value, list):
            return [self._to_json(v) for v in value]
        if isinstance(value, tuple):
            return {"$tuple": [self._to_json(v) for v in value]}
        if isinstance(value, set | frozenset):
            items = [self._to_json(v) for v in value]
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
            return {"$set": items, "$frozen": isinstance(value, frozenset)}
        if isinstance(value, Mapping):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self._to_json(v) for k, v in value.items()}
            return {"$map": [[self._to_json(k), self._to_json(v)] for k, v in value.items()]}
        if isinstance(value, BaseModel):
            name = type(value).__qualname__
            if self._classes.get(name) is not type(value):
                raise TypeError(f"{name} is not a record class of this read model")
            return {"$model": name, "fields": value.model_dump(mode="json")}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            name = type(value).__qualname__
            if self._classes.get(name) is not type(value):
                raise TypeError(f"{name} is not a record class of this read model")
            return {
                "$record": name,
                "fields": {
                    f.name: self._to_json(getattr(value, f.name))
                    for f in dataclasses.fields(value)
                },
            }
        raise TypeError(f"cannot store a {type(value).__qualname__} in a read-model row")

    # Decoding.

    def decode(self, text: str) -> Any:
        # json's C parser calls the hook on each object, innermost first, so every tagged
        # value is rebuilt in the same pass as the parse.
        try:
            value, end = self._scan(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):  # not one compact JSON value (rows are written compact)
            return json.loads(text, object_hook=self._from_object)
        return value

    def _from_object(self, value: dict[str, Any]) -> Any:
        if len(value) == 1:
            if "$u" in value:
                return _uuid(value["$u"])
            if "$t" in value:
                return datetime.fromisoformat(value["$t"])
            if "$d" in value:
                return date.fromisoformat(value["$d"])
            if "$dec" in value:
                return Decimal(value["$dec"])
            if "$tuple" in value:
                return tuple(value["$tuple"])
            if "$map" in value:
                return {_hashable(k): v for k, v in value["$map"]}
        if "$set" in value:
            items = [_hashable(v) for v in value["$set"]]
            return frozenset(items) if value.get("$frozen") else set(items)
        if "$model" in value:
            model = self._classes.get(value["$model"])
            if model is None or not issubclass(model, BaseModel):
                raise ValueError(f"unknown record class {value['$model']!r} in a stored row")
            return model.model_validate(value["fields"])
        if "$record" in value:
            cls = self._classes.get(value["$record"])
            if cls is None or not dataclasses.is_dataclass(cls):
                raise ValueError(f"unknown record class {value['$record']!r} in a stored row")
            return _restore(cls, value["fields"])
        return value


_new = object.__new__
_set = object.__setattr__


# The same ids come back in row after row (a unit's, a cadre's): each text is parsed once.
_UUIDS: dict[str, UUID] = {}
_UUIDS_KEPT = 200_000


def _uuid(text: str) -> UUID:
    """``UUID(text)`` for the canonical form the encoder writes, without its parsing."""
    found = _UUIDS.get(text)
    if found is not None:
        return found
    if len(_UUIDS) >= _UUIDS_KEPT:
        _UUIDS.clear()
    found = _UUIDS[text] = _parse_uuid(text)
    return found


def _parse_uuid(text: str) -> UUID:
    digits = text.replace("-", "")
    if len(digits) != 32 or len(text) != 36:
        return UUID(text)  # not canonical: let UUID validate (and refuse) it
    found: UUID = _new(UUID)
    _set(found, "int", int(digits, 16))
    _set(found, "is_safe", SafeUUID.unknown)
    return found


def _restore(cls: type[Any], fields: dict[str, Any]) -> Any:
    """A record as it was stored: every field is in the row, so it is restored, not built
    again; a class that checks its fields (``__post_init__``) or has slots goes through
    ``__init__``."""
    if _plain(cls) and set(fields) == _all_fields(cls):
        record = _new(cls)
        record.__dict__.update(fields)
        return record
    init = _init_fields(cls)
    record = cls(**{k: v for k, v in fields.items() if k in init})
    for name, field_value in fields.items():
        if name not in init:
            _set(record, name, field_value)
    return record


def _hashable(value: Any) -> Any:
    """A decoded key: JSON arrays inside a tuple key were written as tuples."""
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


_INIT_FIELDS: dict[type[Any], frozenset[str]] = {}
_ALL_FIELDS: dict[type[Any], frozenset[str]] = {}
_PLAIN: dict[type[Any], bool] = {}


def _plain(cls: type[Any]) -> bool:
    found = _PLAIN.get(cls)
    if found is None:
        found = _PLAIN[cls] = (
            not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
        )
    return found


def _all_fields(cls: type[Any]) -> frozenset[str]:
    found = _ALL_FIELDS.get(cls)
    if found is None:
        found = _ALL_FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return found


def _init_fields(cls: type[Any]) -> frozenset[str]:
    found = _INIT_FIELDS.get(cls)
    if found is None:
        found = _INIT_FIELDS[cls] = frozenset(
            f.name for f in dataclasses.fields(cls) if f.init
        )
    return found

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
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class RecordCodec:
    """Encodes and decodes the records of one read model."""

    def __init__(self, classes: Iterable[type[Any]] = ()) -> None:
        self._classes: dict[str, type[Any]] = {}
        for cls in classes:
            self.register(cls)

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
        return json.loads(text, object_hook=self._from_object)

    def _from_object(self, value: dict[str, Any]) -> Any:
        if len(value) == 1:
            if "$u" in value:
                return UUID(value["$u"])
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
            fields: dict[str, Any] = value["fields"]
            init = _init_fields(cls)
            record = cls(**{k: v for k, v in fields.items() if k in init})
            for name, field_value in fields.items():
                if name not in init:
                    object.__setattr__(record, name, field_value)
            return record
        return value


def _hashable(value: Any) -> Any:
    """A decoded key: JSON arrays inside a tuple key were written as tuples."""
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


_INIT_FIELDS: dict[type[Any], frozenset[str]] = {}


def _init_fields(cls: type[Any]) -> frozenset[str]:
    found = _INIT_FIELDS.get(cls)
    if found is None:
        found = _INIT_FIELDS[cls] = frozenset(
            f.name for f in dataclasses.fields(cls) if f.init
        )
    return found

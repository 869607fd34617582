"""Turning application answers (dataclasses of UUIDs, dates, decimals) into JSON for RPC."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def to_json(value: Any) -> Any:
    return _ANY.dump_python(value, mode="json")

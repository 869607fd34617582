"""Declarative entrypoints: a command or query model bound to an application method by
keyword. ``register_unit = command(RegisterUnit, Responsibilities.register_unit)`` is an RPC
method that validates its payload with the model and calls the application method with the
model's fields as keyword arguments; the answer is the method's result as JSON."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from nameko.rpc import rpc
from pydantic import BaseModel

from shared.answers import to_json
from shared.commands import arguments, parse_command
from shared.errors import DomainError, InvalidCommandError

# Refusals a caller can act on: reported to the caller, logged at INFO without a traceback.
EXPECTED = (DomainError,)


def _check_binding(model: type[BaseModel], method: Callable[..., Any]) -> None:
    """Fail at import, not at the first call, when a field has no parameter to go to."""
    parameters = inspect.signature(method).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    missing = [name for name in model.model_fields if name not in parameters]
    if missing and not takes_any:
        msg = f"{method.__qualname__} has no parameter for {model.__name__}.{', '.join(missing)}"
        raise TypeError(msg)


def _entrypoint(
    model: type[BaseModel], method: Callable[..., Any], payload_required: bool
) -> Callable[..., Any]:
    _check_binding(model, method)
    name = method.__name__

    def entrypoint(self: Any, payload: Any = None) -> Any:
        if payload is None and payload_required:
            raise InvalidCommandError(
                f"command: expected an object with the fields of {model.__name__}"
            )
        message = parse_command(model, {} if payload is None else payload)
        return to_json(getattr(self.app, name)(**arguments(message)))

    entrypoint.__name__ = name
    entrypoint.__qualname__ = name
    entrypoint.__doc__ = method.__doc__
    bound: Callable[..., Any] = rpc(expected_exceptions=EXPECTED)(entrypoint)
    return bound


def command(model: type[BaseModel], method: Callable[..., Any]) -> Callable[..., Any]:
    """An RPC command: ``model`` validated, then ``method(**fields)`` on the application."""
    return _entrypoint(model, method, payload_required=True)


def query(model: type[BaseModel], method: Callable[..., Any]) -> Callable[..., Any]:
    """An RPC query: like :func:`command`, and a missing payload means "no filters"."""
    return _entrypoint(model, method, payload_required=False)

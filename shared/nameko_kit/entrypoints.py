"""Declarative entrypoints: a command or query model bound to an application method by
keyword, and the roles that may call it.
``register_unit = command(RegisterUnit, Responsibilities.register_unit, roles=(PARTY_COMMITTEE,))``
is an RPC method that verifies the caller's token, refuses a caller without one of the roles,
validates its payload with the model and calls the application method with the model's fields
as keyword arguments and ``actor`` = the verified caller; the answer is the result as JSON."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from nameko.rpc import rpc
from pydantic import BaseModel

from shared.answers import to_json
from shared.commands import arguments, parse_command
from shared.errors import DomainError, InvalidCommandError
from shared.nameko_kit.providers import CONFIDENTIAL_ATTRIBUTE
from shared.roles import Role

# Refusals a caller can act on: reported to the caller, logged at INFO without a traceback.
EXPECTED = (DomainError,)
ROLES_ATTRIBUTE = "__dutytrail_roles__"
F = TypeVar("F", bound=Callable[..., Any])


def _check_binding(model: type[BaseModel], method: Callable[..., Any]) -> None:
    """Fail at import, not at the first call, when a field has no parameter to go to, or
    when a command would let the caller write its own actor."""
    if "actor" in model.model_fields:
        msg = f"{model.__name__} has an actor field: the actor comes from the caller's token"
        raise TypeError(msg)
    parameters = inspect.signature(method).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    missing = [name for name in model.model_fields if name not in parameters]
    if missing and not takes_any:
        msg = f"{method.__qualname__} has no parameter for {model.__name__}.{', '.join(missing)}"
        raise TypeError(msg)


def _entrypoint(
    model: type[BaseModel],
    method: Callable[..., Any],
    roles: Sequence[Role],
    payload_required: bool,
    confidential: bool = False,
) -> Callable[..., Any]:
    _check_binding(model, method)
    if not roles:
        raise TypeError(f"{method.__qualname__}: name the roles that may call it")
    takes_actor = "actor" in inspect.signature(method).parameters
    name = method.__name__
    allowed = tuple(roles)

    def entrypoint(self: Any, payload: Any = None) -> Any:
        caller = self.caller.require(allowed)
        if payload is None and payload_required:
            raise InvalidCommandError(
                f"command: expected an object with the fields of {model.__name__}"
            )
        message = parse_command(model, {} if payload is None else payload)
        kwargs = arguments(message)
        if takes_actor:
            kwargs["actor"] = caller.actor
        return to_json(getattr(self.app, name)(**kwargs))

    entrypoint.__name__ = name
    entrypoint.__qualname__ = name
    entrypoint.__doc__ = method.__doc__
    setattr(entrypoint, ROLES_ATTRIBUTE, allowed)
    setattr(entrypoint, CONFIDENTIAL_ATTRIBUTE, confidential)
    bound: Callable[..., Any] = rpc(expected_exceptions=EXPECTED)(entrypoint)
    return bound


def admitting(roles: Sequence[Role]) -> Callable[[F], F]:
    """For a hand-written entrypoint: verify the caller and admit only ``roles``."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.caller.require(tuple(roles))
            return method(self, *args, **kwargs)

        setattr(checked, ROLES_ATTRIBUTE, tuple(roles))
        return cast(F, checked)

    return wrap


def allowed_roles(entrypoint: Any) -> tuple[Role, ...] | None:
    """The roles an entrypoint admits (None for one every caller may use, like ``ping``)."""
    roles: tuple[Role, ...] | None = getattr(entrypoint, ROLES_ATTRIBUTE, None)
    return roles


def command(
    model: type[BaseModel],
    method: Callable[..., Any],
    *,
    roles: Sequence[Role],
    confidential: bool = False,
) -> Callable[..., Any]:
    """An RPC command: caller verified and in ``roles``, ``model`` validated, then
    ``method(**fields, actor=caller)`` on the application. A ``confidential`` command leaves
    no trace in the metrics (its events are confidential too)."""
    return _entrypoint(model, method, roles, payload_required=True, confidential=confidential)


def query(
    model: type[BaseModel], method: Callable[..., Any], *, roles: Sequence[Role]
) -> Callable[..., Any]:
    """An RPC query: like :func:`command`, and a missing payload means "no filters"."""
    return _entrypoint(model, method, roles, payload_required=False)

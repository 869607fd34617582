"""Declarative entrypoints: a command or query model bound to an application method by
keyword, and the roles that may call it.
``register_unit = command(RegisterUnit, Responsibilities.register_unit, roles=(PARTY_COMMITTEE,))``
is an RPC method that verifies the caller's token, refuses a caller without one of the roles,
validates its payload with the model and calls the application method with the model's fields
as keyword arguments and ``actor`` = the verified caller; the answer is the result as JSON.

A creating command (a ``CreatingCommand`` model) sent with the caller's ``command_id`` runs at
most once for that id: sent again (redelivered after a crash, or resubmitted by a caller whose
call timed out) it gets the first answer and stores nothing more; the same id with another
command, payload or caller is refused (``ServiceApplication.run_once``,
docs/commands-once.md)."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from nameko.rpc import rpc
from pydantic import BaseModel

from shared.actors import Actor
from shared.answers import to_json
from shared.application import CommandRequest
from shared.commands import CreatingCommand, arguments, parse_command
from shared.errors import DomainError, InvalidCommandError
from shared.nameko_kit.providers import CONFIDENTIAL_ATTRIBUTE
from shared.roles import Role

# Refusals a caller can act on: reported to the caller, logged at INFO without a traceback.
EXPECTED = (DomainError,)
ROLES_ATTRIBUTE = "__dutytrail_roles__"
F = TypeVar("F", bound=Callable[..., Any])
# The field of a creating command that is the caller's, not the use case's.
COMMAND_ID = "command_id"


def _check_binding(model: type[BaseModel], method: Callable[..., Any]) -> None:
    """Fail at import, not at the first call, when a field has no parameter to go to, or
    when a command would let the caller write its own actor."""
    if "actor" in model.model_fields:
        msg = f"{model.__name__} has an actor field: the actor comes from the caller's token"
        raise TypeError(msg)
    signature = inspect.signature(method)
    parameters = signature.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    creating = issubclass(model, CreatingCommand)
    missing = [
        name for name in model.model_fields
        if name not in parameters and not (creating and name == COMMAND_ID)
    ]
    if missing and not takes_any:
        msg = f"{method.__qualname__} has no parameter for {model.__name__}.{', '.join(missing)}"
        raise TypeError(msg)
    if creating and not _answers_an_id(signature.return_annotation):
        # Run once, its answer is stored with its events: the id of the record it creates.
        msg = f"{method.__qualname__} creates a record: it answers with its id (-> UUID)"
        raise TypeError(msg)


def _answers_an_id(annotation: Any) -> bool:
    """``-> UUID``, whether or not annotations are evaluated (``from __future__``)."""
    return annotation is UUID or (
        isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "UUID"
    )


def request_digest(name: str, message: BaseModel, actor: Actor) -> str:
    """What a command asks, as one hash: the RPC method, every field but ``command_id`` (as
    validated: defaults filled in, blanks stripped) and the caller."""
    asked = {
        "command": name,
        "payload": message.model_dump(mode="json", exclude={COMMAND_ID}),
        "actor": actor.model_dump(mode="json"),
    }
    text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


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
    creating = issubclass(model, CreatingCommand)
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
        command_id = kwargs.pop(COMMAND_ID, None) if creating else None
        if takes_actor:
            kwargs["actor"] = caller.actor
        use_case = getattr(self.app, name)
        if command_id is None:
            return to_json(use_case(**kwargs))
        request = CommandRequest(command_id, name, request_digest(name, message, caller.actor))
        return self.app.run_once(request, lambda: use_case(**kwargs))

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

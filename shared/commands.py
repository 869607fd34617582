"""The base of every command: who acts, for which unit, and when the act happened."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.bounds import BusinessTime, ClockTime, Position
from shared.errors import InvalidCommandError


class Command(BaseModel):
    """Every command may state the business time of the act. Its fields are the keyword
    arguments of the application method it is bound to; the actor is not among them: it
    comes from the caller's verified token (docs/roles.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    occurred_at: BusinessTime | None = None


class CreatingCommand(Command):
    """A command that creates a record and answers with its id. It may carry the caller's
    ``command_id``: the one field that is not its use case's, as it says which request this
    is, not what is asked (docs/commands-once.md)."""

    command_id: UUID | None = Field(
        None,
        description="The caller's id for this request; sending it again returns the first "
        "answer and stores nothing more. The same id with another command, another payload "
        "or another caller is refused (CommandIdReusedError).",
    )


class Query(BaseModel):
    """Every query's fields are the keyword arguments of the application method it is bound
    to."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


C = TypeVar("C", bound=BaseModel)


def arguments(message: BaseModel) -> dict[str, Any]:
    """A command's or query's fields as keyword arguments (nested models stay models)."""
    return {name: getattr(message, name) for name in type(message).model_fields}


def describe_validation_error(error: ValidationError) -> str:
    """One line per broken rule, naming the field: ``year: Input should be ...``."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "command"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_command(model: type[C], payload: Any) -> C:
    if not isinstance(payload, dict):
        msg = f"command: expected an object with the fields of {model.__name__}"
        raise InvalidCommandError(msg)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise InvalidCommandError(
            f"{model.__name__} refused: {describe_validation_error(error)}"
        ) from None


class EventsAfter(BaseModel):
    """The catch-up query every service answers: its events after a position, paged."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    after: Position = 0
    limit: Annotated[int, Field(ge=1, le=500)] = 500


class CheckDeadlines(BaseModel):
    """The clock's command: record every warning and overdue event due by ``as_of``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    as_of: ClockTime

"""Named errors that reach the caller with a message a clerk understands.

Each service defines its own domain errors as subclasses of these, beside its model; the
nameko adapter declares these bases as expected exceptions so they are reported to the caller
rather than logged as crashes.
"""

from __future__ import annotations


class DomainError(Exception):
    """An invalid state change, refused by the domain."""


class NotFoundError(DomainError):
    """The command or query names something that does not exist."""


class ConflictError(DomainError):
    """Someone else changed the same record at the same moment; retry the command."""


class NotPermittedError(DomainError):
    """The caller's unit or role may not do this."""


class InvalidCommandError(DomainError):
    """The command itself is malformed; the message names each field and the rule broken."""


class PoisonMessageError(Exception):
    """A message on the bus that can never be processed; it goes to the dead-letter queue."""


class NotAuthenticatedError(DomainError):
    """The call carries no valid token: missing, unsigned, wrongly signed or expired."""


class CommandIdReusedError(ConflictError):
    """A command id sent again with another command, another payload or by another caller:
    a command id names one request only (docs/commands-once.md)."""

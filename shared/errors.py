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


class DamagedRecordError(DomainError):
    """A record's stored history cannot be read as it was written: a version missing, out of
    order, unreadable or of an unknown kind of event (an edit made directly in the store).
    Nothing is stored on a damaged record; the message names the record and the position
    (docs/reliability.md, "Damaged records")."""

    def __init__(
        self, record_id: object, kind: str, version: int, problem: str
    ) -> None:
        self.record_id = record_id
        self.kind = kind
        self.version = version
        self.problem = problem
        super().__init__(
            f"The stored history of {kind} {record_id} is damaged at version {version}: "
            f"{problem}. Nothing was changed. An operator must restore it from a backup "
            "(docs/runbook.md, \"Damaged records\")."
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its four parts, not its message (a copy or a pickle of it).
        return (type(self), (self.record_id, self.kind, self.version, self.problem))

"""The command line's exit codes and its one-line errors, so that a script can tell what went
wrong without reading a traceback (docs/subscribing.md, "Scripting the command line").

| code | meaning                                                        |
|------|----------------------------------------------------------------|
| 0    | done                                                           |
| 1    | any other failure (one line on stderr; DUTYTRAIL_DEBUG=1 shows the traceback) |
| 2    | bad input: an unknown option, service or value, an impossible range |
| 3    | the broker (RabbitMQ) cannot be reached, or refused the login  |
| 4    | the store (PostgreSQL or the SQLite folder) cannot be reached  |
| 5    | refused: no token, an invalid token, or a role that may not do this |
| 6    | not found: no such dead letter; no event about a trail's id (``audit trail``) |
| 7    | the ledger is damaged: an event altered, removed, inserted or reordered (audit verify) |
| 8    | a proof was refused (``dutytrail audit check-proof``)          |
| 9    | figures differ from the stored read models (``audit replay``)  |
| 141  | the reader of the output went away (``| head``); nothing printed  |
"""

from __future__ import annotations

import os
import sqlite3
import sys
import traceback
from typing import Any

import click

OK = 0
FAILED = 1
BAD_INPUT = 2
BROKER_UNREACHABLE = 3
STORE_UNREACHABLE = 4
REFUSED = 5
NOT_FOUND = 6
LEDGER_DAMAGED = 7
PROOF_REFUSED = 8
FIGURES_DIFFER = 9
PIPE_CLOSED = 141  # as a shell reports a process ended by SIGPIPE

DEBUG_VARIABLE = "DUTYTRAIL_DEBUG"


class OneLineError(click.ClickException):
    """A failure told in one line (a driver's multi-line message is joined)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class BrokerUnreachableError(OneLineError):
    exit_code = BROKER_UNREACHABLE


class StoreUnreachableError(OneLineError):
    exit_code = STORE_UNREACHABLE


class RefusedError(OneLineError):
    exit_code = REFUSED


class NotFoundError(OneLineError):
    exit_code = NOT_FOUND


class LedgerDamagedError(OneLineError):
    exit_code = LEDGER_DAMAGED


class ProofRefusedError(OneLineError):
    exit_code = PROOF_REFUSED


class FiguresDifferError(OneLineError):
    """A figure rebuilt from the history is not what the service answers from its rows."""

    exit_code = FIGURES_DIFFER


def require_broker(uri: str | None = None) -> None:
    """:class:`BrokerUnreachableError` (exit 3) unless RabbitMQ answers a login."""
    from dutytrail_ops.preflight import check_broker

    problem = check_broker(uri)
    if problem:
        raise BrokerUnreachableError(problem)


def require_store() -> None:
    """:class:`StoreUnreachableError` (exit 4) unless the configured store can be opened."""
    from dutytrail_ops.preflight import check_store

    problem = check_store()
    if problem:
        raise StoreUnreachableError(problem)


def _broker_errors() -> tuple[type[BaseException], ...]:
    import amqp.exceptions
    import kombu.exceptions

    return (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError)


def _store_errors() -> tuple[type[BaseException], ...]:
    from eventsourcing.persistence import PersistenceError

    errors: list[type[BaseException]] = [PersistenceError, sqlite3.OperationalError]
    try:
        import psycopg

        errors.append(psycopg.OperationalError)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    return tuple(errors)


class OneLineErrors(click.Group):
    """A group whose commands end, whatever fails, with one line on stderr and a distinct exit
    code; the traceback only with DUTYTRAIL_DEBUG=1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`dutytrail events ... | head`): quiet, as other tools are.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(PIPE_CLOSED) from None
        except Exception as error:  # noqa: BLE001 - turned into one line and an exit code
            if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
                traceback.print_exc()
            raise _classified(error) from None


def _classified(error: Exception) -> click.ClickException:
    name = type(error).__name__
    text = f"{name}: {error}".splitlines()[0] if str(error) else name
    if isinstance(error, (*_broker_errors(), ConnectionRefusedError)):
        return BrokerUnreachableError(f"the broker cannot be reached ({text})")
    if isinstance(error, _store_errors()):
        return StoreUnreachableError(f"the store cannot be reached ({text})")
    hint = f" (set {DEBUG_VARIABLE}=1 for the traceback)"
    return OneLineError(text + hint)  # exit 1


def fail(message: str, code: int = FAILED) -> None:
    """Print ``message`` as the one error line and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)

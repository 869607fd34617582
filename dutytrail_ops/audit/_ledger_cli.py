"""What the ledger's commands share: the caller's token, the services asked for, the store,
and printing a result as text or ``--json``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import click

from dutytrail_ops.exits import RefusedError, require_store
from shared.roles import Role

TOKEN_VARIABLE = "DUTYTRAIL_TOKEN"


def services_or_all(services: Sequence[str]) -> list[str]:
    from dutytrail_ops.registry import service_names

    return sorted(set(services)) if services else list(service_names())


def caller_from_token(allowed: Sequence[Role], what: str) -> Any:
    """The verified caller of ``DUTYTRAIL_TOKEN``; :class:`RefusedError` (exit 5) without a
    token, with an invalid one, or without one of the ``allowed`` roles."""
    from shared.errors import DomainError
    from shared.tokens import verify_token

    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise RefusedError(
            f"{what} is recorded under the caller's name: set {TOKEN_VARIABLE} to your token "
            "(`dutytrail token issue`)"
        )
    try:
        caller = verify_token(token)
    except DomainError as error:
        raise RefusedError(f"{TOKEN_VARIABLE}: {error}") from None
    if not caller.has_any(allowed):
        raise RefusedError(
            f"{TOKEN_VARIABLE}: {what} needs one of the roles {', '.join(allowed)}"
        )
    return caller


def suite_or_deployments(suite: str | None) -> str:
    from shared.ledger.config import ledger_suite
    from shared.ledger.suites import UnknownSuiteError, suite_named

    try:
        return suite_named(suite).name if suite else ledger_suite()
    except UnknownSuiteError as error:
        raise click.BadParameter(str(error), param_hint="--suite") from None


def stores_reachable() -> None:
    require_store()


def emit(as_json: bool, payload: Any, lines: Sequence[str]) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        for line in lines:
            click.echo(line)

"""The reader of ``audit trail`` and ``audit replay``: the token in DUTYTRAIL_TOKEN, if any,
and whether its roles are cleared for confidential events (``shared.roles.CLEARED``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dutytrail_ops.exits import RefusedError

if TYPE_CHECKING:
    from shared.tokens import Caller

TOKEN_VARIABLE = "DUTYTRAIL_TOKEN"
CLEARED_HINT = (
    f"a token of a cleared role (discipline_commission or auditor) in {TOKEN_VARIABLE}"
)


def reader() -> Caller | None:
    """The reader DUTYTRAIL_TOKEN names, or None without one; an invalid token is refused
    (never silently read as no token)."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        return None
    from shared.errors import DomainError
    from shared.tokens import verify_token

    try:
        return verify_token(token)
    except DomainError as error:
        raise RefusedError(f"{TOKEN_VARIABLE}: {error}") from None


def is_cleared(caller: Caller | None) -> bool:
    from shared.roles import CLEARED

    return caller is not None and caller.has_any(CLEARED)

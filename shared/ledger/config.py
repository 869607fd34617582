"""The ledger's knobs (docs/audit.md): read from the environment like every setting."""

from __future__ import annotations

from shared.ledger.suites import suite_named
from shared.settings import env, env_float


def ledger_suite() -> str:
    """``DUTYTRAIL_LEDGER_SUITE``: ``sha256-ed25519`` (the default) or ``sm3-sm2``, for the
    whole deployment; an unknown name is refused when the service starts signing."""
    return suite_named(env("DUTYTRAIL_LEDGER_SUITE", "sha256-ed25519")).name


def district() -> str:
    """``DUTYTRAIL_DISTRICT``: the district part of every log's origin (default ``demo``)."""
    return env("DUTYTRAIL_DISTRICT", "demo")


def checkpoint_interval_seconds() -> float:
    """``DUTYTRAIL_CHECKPOINT_SECONDS``: how often a service signs a checkpoint (default
    hourly; a service whose log did not grow since its last checkpoint signs none)."""
    return env_float("DUTYTRAIL_CHECKPOINT_SECONDS", 3600.0)

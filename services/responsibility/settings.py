"""The responsibility service's knobs, read from the environment here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass

from services.responsibility.domain import DEFAULT_THRESHOLD
from shared.settings import env_float, env_int, env_ints

DEFAULT_TASK_WARNING_DAYS = (7, 3)
# A task's lead unit convenes its co-units by this many days before the deadline (0: by the
# deadline itself), or the clock flags it once.
DEFAULT_LEAD_UNIT_MEETING_DAYS = 0


@dataclass(frozen=True)
class ResponsibilitySettings:
    # Days before a task's deadline at which the clock records a warning.
    task_warning_days: tuple[int, ...] = DEFAULT_TASK_WARNING_DAYS
    # Similarity from which a signed letter is flagged as a copy of another post's letter.
    boilerplate_threshold: float = DEFAULT_THRESHOLD
    # Days before a task's deadline by which its lead unit must have convened its co-units.
    lead_unit_meeting_days: int = DEFAULT_LEAD_UNIT_MEETING_DAYS

    @classmethod
    def from_environ(cls) -> ResponsibilitySettings:
        return cls(
            task_warning_days=env_ints("DUTYTRAIL_TASK_WARNING_DAYS", DEFAULT_TASK_WARNING_DAYS),
            boilerplate_threshold=env_float("DUTYTRAIL_BOILERPLATE_THRESHOLD", DEFAULT_THRESHOLD),
            lead_unit_meeting_days=env_int(
                "DUTYTRAIL_LEAD_UNIT_MEETING_DAYS", DEFAULT_LEAD_UNIT_MEETING_DAYS
            ),
        )

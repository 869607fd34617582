"""The responsibility service's knobs, read from the environment here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass

from services.responsibility.domain import DEFAULT_THRESHOLD
from shared.settings import env_float, env_ints

DEFAULT_TASK_WARNING_DAYS = (7, 3)


@dataclass(frozen=True)
class ResponsibilitySettings:
    # Days before a task's deadline at which the clock records a warning.
    task_warning_days: tuple[int, ...] = DEFAULT_TASK_WARNING_DAYS
    # Similarity from which a signed letter is flagged as a copy of another post's letter.
    boilerplate_threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_environ(cls) -> ResponsibilitySettings:
        return cls(
            task_warning_days=env_ints("DUTYTRAIL_TASK_WARNING_DAYS", DEFAULT_TASK_WARNING_DAYS),
            boilerplate_threshold=env_float("DUTYTRAIL_BOILERPLATE_THRESHOLD", DEFAULT_THRESHOLD),
        )

"""The funds service's knobs, read from the environment once, here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass

from shared.settings import env_int


@dataclass(frozen=True)
class FundsSettings:
    # Days a complaint may wait for its answer (实时受理投诉, answered within this many days).
    complaint_answer_days: int = 15
    # Lines one ledger may carry (a batch is stored in one transaction).
    max_ledger_lines: int = 1000

    def __post_init__(self) -> None:
        if self.complaint_answer_days < 1:
            msg = f"complaints are answered within >= 1 day, not {self.complaint_answer_days}"
            raise ValueError(msg)
        if self.max_ledger_lines < 1:
            raise ValueError(f"a ledger carries >= 1 line, not {self.max_ledger_lines}")

    @classmethod
    def from_environ(cls) -> FundsSettings:
        default = cls()
        return cls(
            complaint_answer_days=env_int(
                "DUTYTRAIL_FUNDS_COMPLAINT_ANSWER_DAYS", default.complaint_answer_days
            ),
            max_ledger_lines=env_int(
                "DUTYTRAIL_FUNDS_MAX_LEDGER_LINES", default.max_ledger_lines
            ),
        )

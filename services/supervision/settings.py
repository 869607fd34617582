"""The supervision service's knobs, read from the environment once, here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.supervision.domain import QuarterlyReporting, WarningDays
from shared.settings import env, env_int, env_ints, env_words

# Units that report quarterly: the units the party committee signs letters with. Communities
# report through their town or subdistrict. The discipline commission's own unit receives the
# reports and owes none; supervision knows it by the code it is registered under with the
# responsibility service (DUTYTRAIL_COMMISSION_UNIT_CODE, docs/operations.md): a setting, not
# the unit its clerks' tokens name, so that the rule holds before the commission's first act.
DEFAULT_REPORTING = QuarterlyReporting(
    unit_kinds=("district_department", "town", "subdistrict"), grace_days=10
)


@dataclass(frozen=True)
class SupervisionSettings:
    warning: WarningDays = field(default_factory=WarningDays)
    reporting: QuarterlyReporting = DEFAULT_REPORTING
    # How often issuing a bulletin is tried again when another took its number meanwhile.
    numbering_attempts: int = 10

    def __post_init__(self) -> None:
        if self.numbering_attempts < 1:
            msg = f"bulletin numbering attempts must be >= 1, not {self.numbering_attempts}"
            raise ValueError(msg)

    @classmethod
    def from_environ(cls) -> SupervisionSettings:
        default = cls()
        warning_days = env_ints(
            "DUTYTRAIL_NOTICE_WARNING_DAYS", (default.warning.blue, default.warning.yellow)
        )
        if len(warning_days) != 2:
            msg = f"DUTYTRAIL_NOTICE_WARNING_DAYS is 'blue,yellow', not {warning_days}"
            raise ValueError(msg)
        return cls(
            warning=WarningDays(*warning_days),
            reporting=QuarterlyReporting(
                unit_kinds=env_words(
                    "DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS", default.reporting.unit_kinds
                ),
                grace_days=env_int(
                    "DUTYTRAIL_QUARTERLY_REPORT_GRACE_DAYS", default.reporting.grace_days
                ),
                commission_unit_code=env(
                    "DUTYTRAIL_COMMISSION_UNIT_CODE", default.reporting.commission_unit_code
                ).strip(),
            ),
            numbering_attempts=env_int(
                "DUTYTRAIL_BULLETIN_NUMBERING_ATTEMPTS", default.numbering_attempts
            ),
        )

"""The casework service's knobs, read from the environment once, here and nowhere else
(docs/operations.md lists the variables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.casework.domain.calendar import DeadlineRule, WorkingCalendar, parse_days
from shared.settings import env, env_int


def _days_from_environ(name: str, default: frozenset[date]) -> frozenset[date]:
    # Unset keeps the default (the demo year's); ``none`` configures no day at all.
    raw = env(name, "")
    if not raw:
        return default
    return frozenset() if raw.strip().lower() == "none" else parse_days(raw)


@dataclass(frozen=True)
class CaseworkSettings:
    # Working days from receipt to accepting, not accepting or passing on a petition.
    handling_working_days: int = 5
    # Working days to tell a real-name reporter of acceptance (from receipt) and of the
    # result (from the matter's conclusion).
    acceptance_notice_working_days: int = 15
    result_notice_working_days: int = 15
    # Working days for a 谈话函询 reply.
    inquiry_reply_working_days: int = 15
    # A preliminary verification's time limit, its extension, and how many extensions.
    verification_months: int = 2
    verification_extension_months: int = 1
    verification_extensions: int = 1
    # The warning, and the calendar every working-day limit is counted on.
    deadline_rule: DeadlineRule = field(default_factory=DeadlineRule)

    @property
    def calendar(self) -> WorkingCalendar:
        return self.deadline_rule.calendar

    def add_working_days(self, start: date, days: int) -> date:
        return self.deadline_rule.calendar.add_working_days(start, days)

    def __post_init__(self) -> None:
        for name in ("handling_working_days", "acceptance_notice_working_days",
                     "result_notice_working_days", "inquiry_reply_working_days",
                     "verification_months", "verification_extension_months"):
            if getattr(self, name) < 1:
                msg = f"casework setting {name} must be >= 1, not {getattr(self, name)}"
                raise ValueError(msg)
        if self.verification_extensions < 0 or self.deadline_rule.warning_working_days < 0:
            msg = "casework verification extensions and warning days must be >= 0"
            raise ValueError(msg)

    @classmethod
    def from_environ(cls) -> CaseworkSettings:
        d = cls()
        return cls(
            handling_working_days=env_int(
                "DUTYTRAIL_PETITION_HANDLING_WORKING_DAYS", d.handling_working_days),
            acceptance_notice_working_days=env_int(
                "DUTYTRAIL_PETITION_ACCEPTANCE_NOTICE_WORKING_DAYS",
                d.acceptance_notice_working_days),
            result_notice_working_days=env_int(
                "DUTYTRAIL_PETITION_RESULT_NOTICE_WORKING_DAYS", d.result_notice_working_days),
            inquiry_reply_working_days=env_int(
                "DUTYTRAIL_INQUIRY_REPLY_WORKING_DAYS", d.inquiry_reply_working_days),
            verification_months=env_int("DUTYTRAIL_VERIFICATION_MONTHS", d.verification_months),
            verification_extension_months=env_int(
                "DUTYTRAIL_VERIFICATION_EXTENSION_MONTHS", d.verification_extension_months),
            verification_extensions=env_int(
                "DUTYTRAIL_VERIFICATION_EXTENSIONS", d.verification_extensions),
            deadline_rule=DeadlineRule(
                env_int("DUTYTRAIL_CASEWORK_WARNING_WORKING_DAYS",
                        d.deadline_rule.warning_working_days),
                WorkingCalendar(
                    _days_from_environ("DUTYTRAIL_CASEWORK_HOLIDAYS",
                                       d.calendar.holidays),
                    _days_from_environ("DUTYTRAIL_CASEWORK_MAKEUP_WORKDAYS",
                                       d.calendar.makeup_workdays),
                ),
            ),
        )

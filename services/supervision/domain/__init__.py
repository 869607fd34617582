"""The discipline commission's supervision responsibility: inspections, rectification notices,
bulletins, quarterly reports, the disclosure trail, and what it learns from the responsibility
service (units and tasks). One module per aggregate (or closely tied group); this package
re-exports their public names.

Every event records who acted (``actor``) and the business time of the act (``occurred_at``).
An unannounced visit's scheduling event carries nothing but its id and the actor: where, when
and whom appear only in the event recorded when the visit was conducted.

Events stored before the aggregates moved into this package name the old module
(``services.supervision.domain:RectificationNotice.Issued``); those topics are registered
below, so those histories still load (docs/contract.md).
"""

from __future__ import annotations

from eventsourcing.utils import register_topic

from services.supervision.domain.boards import (
    DisclosureBoard,
    DisclosureBoardAlreadyInstalledError,
    DisclosureBoardNotFoundError,
    NotACommunityError,
    needs_board,
)
from services.supervision.domain.bulletins import (
    BULLETIN_KINDS,
    Bulletin,
    BulletinCitesUnknownNoticeError,
    BulletinNotFoundError,
    BulletinRegister,
    DuplicateBulletinRequestError,
    InvalidBulletinError,
    check_bulletin,
    register_order,
    unknown_notice_cited,
)
from services.supervision.domain.calendar import (
    QUARTERS,
    InvalidQuarterError,
    check_quarter,
    days_left,
    deadline_passed,
    next_quarter,
    quarter_end,
    quarter_key,
    quarter_of,
    quarter_start,
    report_deadline,
)
from services.supervision.domain.decisions import (
    DISCLOSURE_STEPS,
    DecisionNotFoundError,
    DisclosureStepOutOfOrderError,
    MajorDecision,
    trail_complete,
)
from services.supervision.domain.ids import ID_NAMESPACE, derived_id
from services.supervision.domain.inspections import (
    INSPECTION_KINDS,
    PROBLEM_CATEGORIES,
    UNANNOUNCED_VISIT,
    Inspection,
    InspectionAlreadyRecordedError,
    InspectionNotFoundError,
    InvalidInspectionError,
    KeyProjectList,
    KeyProjectListNotFoundError,
    ProblemNotFoundError,
    ProjectAlreadyListedError,
    ProjectNotOnListError,
    check_inspection,
    check_problems,
    check_recorded_kind,
    number_problems,
    units_concerned,
)
from services.supervision.domain.notices import (
    AWAITING_RECTIFICATION,
    NOTICE_STATUSES,
    RECIPIENT_KINDS,
    RECIPIENT_UNIT_KINDS,
    URGENCY_COLOURS,
    InvalidNoticeError,
    InvalidRecipientError,
    NoticeAlreadyAcknowledgedError,
    NoticeAlreadyClosedError,
    NoticeAlreadyEscalatedError,
    NoticeNotAcknowledgedError,
    NoticeNotFoundError,
    NoticeNotReportedError,
    NoticeNotVerifiedError,
    NoticeStepError,
    RectificationNotice,
    SelfExaminationMissingError,
    Urgency,
    WarningDays,
    recipient_id,
    recipient_kind_for,
    urgency,
)
from services.supervision.domain.tasks import TaskNotWatchedError, TaskWatch
from services.supervision.domain.units import (
    REPORT_STATUSES,
    QuarterlyReportAlreadySubmittedError,
    QuarterlyReporting,
    QuarterNotStartedError,
    UnitDoesNotReportError,
    UnitFile,
    UnitNotFoundError,
    days_late,
    report_status,
)
from services.supervision.domain.visits import (
    UnannouncedVisit,
    VisitAlreadyConductedError,
    VisitCancelledError,
    VisitNotFoundError,
)
from shared.domain import DomainAggregate

AGGREGATES: tuple[type[DomainAggregate], ...] = (
    UnitFile,
    TaskWatch,
    KeyProjectList,
    Inspection,
    UnannouncedVisit,
    RectificationNotice,
    BulletinRegister,
    Bulletin,
    MajorDecision,
    DisclosureBoard,
)

for _aggregate in AGGREGATES:
    register_topic(f"{__name__}:{_aggregate.__qualname__}", _aggregate)

__all__ = [
    "AGGREGATES",
    "AWAITING_RECTIFICATION",
    "BULLETIN_KINDS",
    "DISCLOSURE_STEPS",
    "ID_NAMESPACE",
    "INSPECTION_KINDS",
    "NOTICE_STATUSES",
    "PROBLEM_CATEGORIES",
    "QUARTERS",
    "RECIPIENT_KINDS",
    "RECIPIENT_UNIT_KINDS",
    "REPORT_STATUSES",
    "UNANNOUNCED_VISIT",
    "URGENCY_COLOURS",
    "Bulletin",
    "BulletinCitesUnknownNoticeError",
    "BulletinNotFoundError",
    "BulletinRegister",
    "DecisionNotFoundError",
    "DisclosureBoard",
    "DisclosureBoardAlreadyInstalledError",
    "DisclosureBoardNotFoundError",
    "DisclosureStepOutOfOrderError",
    "DuplicateBulletinRequestError",
    "Inspection",
    "InspectionAlreadyRecordedError",
    "InspectionNotFoundError",
    "InvalidBulletinError",
    "InvalidInspectionError",
    "InvalidNoticeError",
    "InvalidQuarterError",
    "InvalidRecipientError",
    "KeyProjectList",
    "KeyProjectListNotFoundError",
    "MajorDecision",
    "NotACommunityError",
    "NoticeAlreadyAcknowledgedError",
    "NoticeAlreadyClosedError",
    "NoticeAlreadyEscalatedError",
    "NoticeNotAcknowledgedError",
    "NoticeNotFoundError",
    "NoticeNotReportedError",
    "NoticeNotVerifiedError",
    "NoticeStepError",
    "ProblemNotFoundError",
    "ProjectAlreadyListedError",
    "ProjectNotOnListError",
    "QuarterNotStartedError",
    "QuarterlyReportAlreadySubmittedError",
    "QuarterlyReporting",
    "RectificationNotice",
    "SelfExaminationMissingError",
    "TaskNotWatchedError",
    "TaskWatch",
    "UnannouncedVisit",
    "UnitDoesNotReportError",
    "UnitFile",
    "UnitNotFoundError",
    "Urgency",
    "VisitAlreadyConductedError",
    "VisitCancelledError",
    "VisitNotFoundError",
    "WarningDays",
    "check_bulletin",
    "check_inspection",
    "check_problems",
    "check_quarter",
    "check_recorded_kind",
    "days_late",
    "days_left",
    "deadline_passed",
    "derived_id",
    "needs_board",
    "next_quarter",
    "number_problems",
    "quarter_end",
    "quarter_key",
    "quarter_of",
    "quarter_start",
    "recipient_id",
    "recipient_kind_for",
    "register_order",
    "report_deadline",
    "report_status",
    "trail_complete",
    "units_concerned",
    "unknown_notice_cited",
    "urgency",
]

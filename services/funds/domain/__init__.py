"""The livelihood-fund supervision platform (惠民资金监管平台): units enrolled, fund programmes,
the money's path, the disbursement ledger, reference data, warning rules, complaints and
referrals to casework. One module per aggregate; this package re-exports their public names.

Every event records who acted (``actor``) and the business time of the act (``occurred_at``).
No event holds a national id: a person is a pseudonymous id (services/funds/pseudonyms.py).
"""

from __future__ import annotations

from services.funds.domain.allocations import (
    HOP_LEVELS,
    HOPS,
    LEVELS,
    Allocation,
    AllocationNotFoundError,
    InvalidHopError,
    check_hop,
    level_of_payer,
)
from services.funds.domain.complaints import (
    COMPLAINT_OUTCOMES,
    Complaint,
    ComplaintAlreadySettledError,
    ComplaintNotFoundError,
)
from services.funds.domain.ids import derived_id
from services.funds.domain.money import FEN, InvalidAmountError, check_amount, in_wan
from services.funds.domain.payments import (
    PAYMENT_METHODS,
    DuplicatePaymentError,
    InvalidReversalError,
    LedgerTooLongError,
    Payment,
    PaymentAlreadyReversedError,
    PaymentNotFoundError,
    Reversal,
    check_reversal,
    mask_name,
)
from services.funds.domain.programmes import (
    EXCLUDABLE,
    PAYMENT_PERIODS,
    REFERENCE_KINDS,
    InvalidProgrammeError,
    Programme,
    ProgrammeEndedError,
    ProgrammeNotFoundError,
    ProgrammeNotStartedError,
    check_in_period,
    check_programme,
    period_key,
)
from services.funds.domain.references import (
    InvalidReferenceFileError,
    ReferenceFileAlreadyImportedError,
    ReferenceImport,
    ReferenceImportNotFoundError,
)
from services.funds.domain.referrals import Referral, ReferralNotFoundError
from services.funds.domain.rules import (
    Finding,
    LedgerIndex,
    PaymentFacts,
    PendingLines,
    ProgrammeFacts,
    ReferenceRef,
    hop_late,
    payment_findings,
)
from services.funds.domain.units import (
    PlatformUnit,
    UnitAlreadyEnrolledError,
    UnitNotEnrolledError,
    UnitNotKnownError,
    check_enrolled,
)
from services.funds.domain.warnings import (
    WARNING_OUTCOMES,
    WARNING_RULES,
    FundsWarning,
    WarningAlreadySettledError,
    WarningNotFoundError,
)

__all__ = [
    "COMPLAINT_OUTCOMES", "EXCLUDABLE", "FEN", "HOPS", "HOP_LEVELS", "LEVELS",
    "PAYMENT_METHODS", "PAYMENT_PERIODS", "REFERENCE_KINDS", "WARNING_OUTCOMES",
    "WARNING_RULES", "Allocation", "AllocationNotFoundError", "Complaint",
    "ComplaintAlreadySettledError", "ComplaintNotFoundError", "DuplicatePaymentError",
    "Finding", "FundsWarning", "InvalidAmountError", "InvalidHopError",
    "InvalidProgrammeError", "InvalidReferenceFileError", "InvalidReversalError",
    "LedgerIndex", "LedgerTooLongError", "Payment", "PaymentAlreadyReversedError", "PaymentFacts",
    "PaymentNotFoundError", "PendingLines", "PlatformUnit", "Programme",
    "ProgrammeEndedError", "ProgrammeFacts", "ProgrammeNotFoundError",
    "ProgrammeNotStartedError", "ReferenceFileAlreadyImportedError", "ReferenceImport",
    "ReferenceImportNotFoundError", "ReferenceRef", "Referral", "ReferralNotFoundError",
    "Reversal", "UnitAlreadyEnrolledError", "UnitNotEnrolledError", "UnitNotKnownError",
    "WarningAlreadySettledError", "WarningNotFoundError", "check_amount", "check_enrolled",
    "check_hop", "check_in_period", "check_programme", "check_reversal", "derived_id",
    "hop_late", "in_wan", "level_of_payer", "mask_name", "payment_findings", "period_key",
]

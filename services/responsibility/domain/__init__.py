"""The party committee's primary responsibility: the organisation, responsibility letters,
tasks broken down to people and integrity education; one module per aggregate, each with its
rules and named errors.

Every event records who acted (``actor``) and the business time of the act (``occurred_at``).
Events stored before this package was split name the module ``services.responsibility.domain``
in their topic; those topics are registered here so that old histories still load
(docs/contract.md).
"""

from eventsourcing.utils import register_topic

from services.responsibility.domain.cadres import (
    Cadre,
    CadreAlreadyRegisteredError,
    CadreNotFoundError,
    TopLeaderPostTakenError,
    WrongSignatoryError,
    check_top_leader_post_free,
)
from services.responsibility.domain.education import (
    EDUCATION_KINDS,
    EducationActivity,
    EducationActivityNotFoundError,
    ParticipantListError,
    UnknownEducationKindError,
    check_participants,
)
from services.responsibility.domain.letters import (
    LETTER_STATUSES,
    Letter,
    LetterAlreadySignedError,
    LetterAlreadySupersededError,
    LetterNotFoundError,
    LetterNotSignableError,
    LetterNotSignedError,
    LetterTerms,
    OtherLetter,
    SignatureAlreadyRecordedError,
    signing_overdue_mark_due,
)
from services.responsibility.domain.similarity import (
    DEFAULT_THRESHOLD,
    normalise,
    shingles,
    similarity,
)
from services.responsibility.domain.tasks import (
    TASK_COLOURS,
    Task,
    TaskAlreadyCompletedError,
    TaskDeadlineAfterParentError,
    TaskHasNoCoUnitsError,
    TaskHasOpenSubtasksError,
    TaskNotFoundError,
    convene_by,
    days_left,
    deadline_mark_due,
    is_overdue,
    lead_unit_meeting_missing_due,
    task_colour,
    warnings_reached,
)
from services.responsibility.domain.units import (
    COVERED_UNIT_KINDS,
    ID_NAMESPACE,
    TOP_LED_UNIT_KINDS,
    UNIT_KINDS,
    Unit,
    UnitAlreadyRegisteredError,
    UnitNotFoundError,
    UnknownUnitKindError,
    check_acts_for,
)

_OLD_MODULE = "services.responsibility.domain"
for _aggregate in (Unit, Cadre, Letter, Task, EducationActivity):
    register_topic(f"{_OLD_MODULE}:{_aggregate.__qualname__}", _aggregate)

__all__ = [
    "COVERED_UNIT_KINDS",
    "DEFAULT_THRESHOLD",
    "EDUCATION_KINDS",
    "ID_NAMESPACE",
    "LETTER_STATUSES",
    "TASK_COLOURS",
    "TOP_LED_UNIT_KINDS",
    "UNIT_KINDS",
    "Cadre",
    "CadreAlreadyRegisteredError",
    "CadreNotFoundError",
    "EducationActivity",
    "EducationActivityNotFoundError",
    "Letter",
    "LetterAlreadySignedError",
    "LetterAlreadySupersededError",
    "LetterNotFoundError",
    "LetterNotSignableError",
    "LetterNotSignedError",
    "LetterTerms",
    "OtherLetter",
    "ParticipantListError",
    "SignatureAlreadyRecordedError",
    "Task",
    "TaskAlreadyCompletedError",
    "TaskDeadlineAfterParentError",
    "TaskHasNoCoUnitsError",
    "TaskHasOpenSubtasksError",
    "TaskNotFoundError",
    "TopLeaderPostTakenError",
    "Unit",
    "UnitAlreadyRegisteredError",
    "UnitNotFoundError",
    "UnknownEducationKindError",
    "UnknownUnitKindError",
    "WrongSignatoryError",
    "check_acts_for",
    "check_participants",
    "check_top_leader_post_free",
    "convene_by",
    "days_left",
    "deadline_mark_due",
    "is_overdue",
    "lead_unit_meeting_missing_due",
    "normalise",
    "shingles",
    "signing_overdue_mark_due",
    "similarity",
    "task_colour",
    "warnings_reached",
]

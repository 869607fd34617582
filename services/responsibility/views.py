"""The read side of the responsibility service: what the stored events say, now or as of a date.

``District`` is a projection of every responsibility event. The live one follows the log; an
"as of" query replays the log into a fresh one, keeping only acts whose business time is on or
before the date asked, so any figure can be rebuilt for any day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.responsibility.domain import (
    COVERED_UNIT_KINDS,
    TOP_LED_UNIT_KINDS,
    deadline_mark_due,
    is_overdue,
    lead_unit_meeting_missing_due,
    signing_overdue_mark_due,
    task_colour,
)
from services.responsibility.domain.similarity import ShingleIndex, shingles
from shared.contracts.responsibility import EducationKind, LetterStatus, TaskColour, UnitKind
from shared.readmodel import Projection, records_of


@dataclass
class UnitView:
    unit_id: UUID
    code: str
    name: str
    kind: UnitKind
    parent_unit_id: UUID | None


@dataclass
class CadreView:
    cadre_id: UUID
    person_id: UUID
    name: str
    unit_id: UUID
    post_title: str
    line_of_work: str
    leadership_member: bool
    top_leader: bool


@dataclass
class LetterView:
    letter_id: UUID
    year: int
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    signatory_is_top_leader: bool
    status: LetterStatus
    common_clauses: list[str]
    individual_clauses: list[dict[str, str]]
    top_leader_duties: list[str]
    sign_by: date | None
    supersedes: UUID | None
    superseded_by: UUID | None = None
    signed_at: datetime | None = None
    signatures: list[dict[str, Any]] = field(default_factory=list)
    signing_overdue: bool = False
    flagged_like: UUID | None = None
    similarity: float | None = None
    # Risk points of its individual clauses outside the signatory's post register at signing.
    outside_risk_register: list[str] | None = None
    # A draft one side has signed: whose signature is still missing ("issuer", "signatory").
    awaiting_signature_of: str | None = None


@dataclass
class TaskView:
    task_id: UUID
    year: int
    title: str
    requirement: str
    lead_unit_id: UUID
    co_unit_ids: list[UUID]
    responsible_cadre_id: UUID
    deadline: date
    parent_task_id: UUID | None
    subtask_ids: list[UUID] = field(default_factory=list)
    progress: int = 0
    completed_at: datetime | None = None
    overdue: bool = False
    warned_days_left: int | None = None
    # 牵头单位: the days its lead unit convened the co-units, the co-units' reports to it, and
    # whether the clock flagged it for never convening by the convening day.
    meetings_held_on: list[date] = field(default_factory=list)
    co_unit_reports: int = 0
    lead_meeting_missing: bool = False

    @property
    def completed_on(self) -> date | None:
        return self.completed_at.date() if self.completed_at is not None else None

    def colour(self, on: date, warning_days: Collection[int]) -> TaskColour:
        return task_colour(
            deadline=self.deadline, completed_on=self.completed_on, on=on,
            warning_days=warning_days,
        )


@dataclass
class TaskNode:
    """A task with its status colour and its subtasks, for a unit's task tree."""

    task_id: UUID
    title: str
    lead_unit_id: UUID
    responsible_cadre_id: UUID
    deadline: date
    progress: int
    colour: TaskColour
    subtasks: list[TaskNode]


@dataclass
class EducationView:
    activity_id: UUID
    kind: EducationKind
    title: str
    held_on: date
    organiser_unit_id: UUID
    participant_count: int
    # Who attended, when the activity lists them (None: only the person-times are known).
    participant_person_ids: list[UUID] | None = None


@dataclass
class Coverage:
    """Who and what is not yet covered for a year ("horizontal to every edge, vertical to
    every level": every department, town, subdistrict, community and office). A letter
    covers only while it is valid: signed and not yet replaced by a signed letter."""

    year: int
    as_of: date
    units_without_signed_letter: list[UUID]
    units_without_task: list[UUID]
    leaders_without_signed_letter: list[UUID]
    leaders_without_task: list[UUID]
    # Units with a top leader (of their two) who holds no letter with the top leader's duties.
    units_whose_top_leader_lacks_duties_letter: list[UUID]
    # Units that should be led by principal leaders (not offices) and have none registered.
    units_without_top_leader: list[UUID]
    # Each top leader (cadre id) without a valid letter stating the top leader's duties.
    top_leaders_without_duties_letter: list[UUID]
    # Tasks of the year whose lead unit the clock flagged for never convening its co-units.
    tasks_whose_lead_unit_never_convened: list[UUID]
    # Nobody and nothing is left out (every list above is empty); answered with the lists.
    complete: bool


@dataclass
class EducationTotals:
    start: date
    end: date
    activities: dict[EducationKind, int]
    # Person-times (人次) by kind: each activity's participant count, summed.
    participants: dict[EducationKind, int]
    total_activities: int
    # Person-times over all kinds (the same as ``participant_times``, kept for callers).
    total_participants: int
    participant_times: int = 0
    # Distinct persons (人) among the activities that list who attended, by kind and overall:
    # someone at three study sessions is one person and three person-times.
    persons: dict[EducationKind, int] = field(default_factory=dict)
    distinct_persons: int = 0
    # Activities (and their person-times) that list no participants: their persons are not
    # known, so ``distinct_persons`` does not include them.
    activities_without_participant_list: int = 0
    participant_times_without_list: int = 0


class District(Projection):
    """Units, cadres, letters, tasks and education activities."""

    # Kept as record versions in the service's store (shared/readmodel.py).
    stored = ("units", "cadres", "letters", "tasks", "education")

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.units: dict[UUID, UnitView] = {}
        self.cadres: dict[UUID, CadreView] = {}
        self.letters: dict[UUID, LetterView] = {}
        self.tasks: dict[UUID, TaskView] = {}
        self.education: dict[UUID, EducationView] = {}
        # Boilerplate detection: each letter's place in drafting order (the order a signing
        # compares in) and, per year, an index of the clause bigrams of its letters that are
        # no longer drafts (the ones a signing compares with), each computed once, when the
        # letter is signed. The live projection keeps it from the start; an "as of" one
        # builds a year's only if asked.
        self._letter_keys: dict[UUID, int] = {}
        self._letter_ids: list[UUID] = []
        self._copy_indexes: dict[int, ShingleIndex] = {}

    def after_load(self, first_positions: dict[tuple[str, Any], int]) -> None:
        """Loaded from rows (shared/readmodel.py): the drafting order is the order the letters
        were created in the log, and the live projection indexes every year's letters again
        (a letter drafted later joins its year's index, which must hold the earlier ones)."""
        self._letter_ids = sorted(
            dict.keys(self.letters), key=lambda i: first_positions.get(("letters", i), 0)
        )
        self._letter_keys = {letter_id: n for n, letter_id in enumerate(self._letter_ids)}
        self._copy_indexes = {}
        if self.until is None:
            for year in sorted({v.year for v in dict.values(self.letters)}):
                self._copy_index(year)

    # Organisation.

    def on_Unit_Registered(self, e: Any) -> None:  # noqa: N802 - named after the event class
        self.units[e.originator_id] = UnitView(
            e.originator_id, e.code, e.name, e.kind, e.parent_unit_id
        )

    def on_Cadre_Registered(self, e: Any) -> None:  # noqa: N802
        self.cadres[e.originator_id] = CadreView(
            e.originator_id, e.person_id, e.name, e.unit_id, e.post_title,
            e.line_of_work, e.leadership_member, e.top_leader,
        )

    # Letters.

    def on_Letter_Drafted(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id] = LetterView(
            e.originator_id, e.year, e.issuer_unit_id, e.signatory_unit_id,
            e.signatory_cadre_id, e.signatory_is_top_leader, "draft", list(e.common_clauses),
            [dict(c) for c in e.individual_clauses], list(e.top_leader_duties),
            e.sign_by, e.supersedes,
        )
        self._letter_keys[e.originator_id] = len(self._letter_ids)
        self._letter_ids.append(e.originator_id)
        if self.until is None and e.year not in self._copy_indexes:
            self._copy_indexes[e.year] = ShingleIndex()

    def on_Letter_IndividualClauseAdded(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.individual_clauses.append({"text": e.text, "risk_point": e.risk_point})
        self._reindex(letter, clauses_changed=True)

    def on_Letter_TopLeaderDutiesSet(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].top_leader_duties = list(e.duties)

    def on_Letter_SignatureRecorded(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.signatures = [e.signature]
        letter.awaiting_signature_of = "signatory" if e.side == "issuer" else "issuer"

    def on_Letter_Signed(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.status = "signed"
        letter.awaiting_signature_of = None
        letter.signed_at = e.occurred_at
        letter.signatures = [e.issuer_signature, e.signatory_signature]
        self._reindex(letter)

    def on_Letter_Superseded(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.status = "superseded"
        letter.superseded_by = e.superseded_by
        self._reindex(letter)

    def on_Letter_SigningOverdue(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].signing_overdue = True

    def on_Letter_FlaggedAsBoilerplate(self, e: Any) -> None:  # noqa: N802
        letter = self.letters[e.originator_id]
        letter.flagged_like = e.similar_letter_id
        letter.similarity = e.similarity

    def on_Letter_FlaggedOutsideRiskRegister(self, e: Any) -> None:  # noqa: N802
        self.letters[e.originator_id].outside_risk_register = list(e.risk_points)

    def _reindex(self, letter: LetterView, *, clauses_changed: bool = False) -> None:
        """Keep the year's index (if there is one yet) in step with a letter whose status or
        clauses changed: a letter is in it once it is no longer a draft (signed, even if
        superseded since: a signing still compares with it), with its clauses' bigrams."""
        index = self._copy_indexes.get(letter.year)
        if index is None:
            return
        key = self._letter_keys[letter.letter_id]
        if letter.status == "draft":
            index.remove(key)
        elif clauses_changed or key not in index:
            index.put(key, _clause_shingles(letter))

    def _copy_index(self, year: int) -> ShingleIndex:
        index = self._copy_indexes.get(year)
        if index is None:
            index = self._copy_indexes[year] = ShingleIndex()
            for letter in self.letters.values():
                if letter.year == year:
                    self._reindex(letter)
        return index

    def copy_candidates(
        self, year: int, clause_shingles: frozenset[str], threshold: float
    ) -> list[LetterView]:
        """The letters of ``year`` that are no longer drafts and whose individual clauses may
        reach ``threshold`` with ``clause_shingles``, in drafting order: every letter that
        does is among them (``ShingleIndex.candidates`` is exact), so a signing compares
        with these instead of with every letter of the year."""
        keys = self._copy_index(year).candidates(clause_shingles, threshold)
        return [self.letters[self._letter_ids[k]] for k in keys]

    def clause_shingles(self, letter_id: UUID) -> frozenset[str] | None:
        """The bigrams of a letter's individual clauses as indexed (None: not indexed)."""
        letter = self.letters.get(letter_id)
        index = None if letter is None else self._copy_indexes.get(letter.year)
        if letter is None or index is None:
            return None
        return index.shingles_of(self._letter_keys[letter_id])

    # Tasks.

    def on_Task_Created(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id] = TaskView(
            e.originator_id, e.year, e.title, e.requirement, e.lead_unit_id,
            list(e.co_unit_ids), e.responsible_cadre_id, e.deadline, e.parent_task_id,
        )

    def on_Task_SubtaskAdded(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].subtask_ids.append(e.subtask_id)

    def on_Task_ProgressReported(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].progress = e.percent

    def on_Task_Completed(self, e: Any) -> None:  # noqa: N802
        task = self.tasks[e.originator_id]
        task.completed_at = e.occurred_at
        task.progress = 100

    def on_Task_DeadlineWarning(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].warned_days_left = e.days_left

    def on_Task_Overdue(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].overdue = True

    def on_Task_LeadUnitMeetingConvened(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].meetings_held_on.append(e.held_on)

    def on_Task_CoUnitReported(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].co_unit_reports += 1

    def on_Task_LeadUnitMeetingMissing(self, e: Any) -> None:  # noqa: N802
        self.tasks[e.originator_id].lead_meeting_missing = True

    # Education.

    def on_EducationActivity_Recorded(self, e: Any) -> None:  # noqa: N802
        listed = getattr(e, "participant_person_ids", None)  # absent from older events
        self.education[e.originator_id] = EducationView(
            e.originator_id, e.kind, e.title, e.held_on, e.organiser_unit_id,
            e.participant_count, None if listed is None else list(listed),
        )

    # Questions.

    def letters_to_mark_overdue(self, on: date) -> list[UUID]:
        """Letters whose signing is overdue on ``on`` and not yet recorded (for the clock)."""
        return [
            v.letter_id for v in self.letters.values()
            if signing_overdue_mark_due(
                sign_by=v.sign_by, signed=v.status != "draft", recorded=v.signing_overdue,
                on=on,
            )
        ]

    def tasks_to_mark(self, on: date, warning_days: Collection[int]) -> list[UUID]:
        """Tasks that may have a warning or the overdue mark to record on ``on`` (for the
        clock)."""
        return [
            t.task_id for t in self.tasks.values()
            if deadline_mark_due(
                deadline=t.deadline, completed=t.completed_at is not None,
                overdue_recorded=t.overdue, on=on, warning_days=warning_days,
            )
        ]

    def tasks_without_lead_meeting(self, on: date, days_before: int) -> list[UUID]:
        """Tasks whose lead unit is to be flagged on ``on`` for never having convened its
        co-units (for the clock)."""
        return [
            t.task_id for t in self.tasks.values()
            if lead_unit_meeting_missing_due(
                has_co_units=bool(t.co_unit_ids), meetings_held_on=t.meetings_held_on,
                deadline=t.deadline, days_before=days_before, flagged=t.lead_meeting_missing,
                on=on,
            )
        ]

    def overdue_tasks(self, on: date) -> list[TaskView]:
        """Tasks past their deadline and not completed on that day."""
        return sorted(
            (
                t for t in self.tasks.values()
                if is_overdue(deadline=t.deadline, completed_on=t.completed_on, on=on)
            ),
            key=lambda t: (t.deadline, t.title),
        )

    def task_tree(
        self, unit_id: UUID, as_of: date, warning_days: Collection[int]
    ) -> list[TaskNode]:
        def node(task: TaskView) -> TaskNode:
            return TaskNode(
                task.task_id, task.title, task.lead_unit_id, task.responsible_cadre_id,
                task.deadline, task.progress, task.colour(as_of, warning_days),
                [node(self.tasks[s]) for s in task.subtask_ids if s in self.tasks],
            )

        # The roots of a unit's tree: its tasks whose parent is not also its own.
        own = [t for t in self.tasks.values() if unit_id == t.lead_unit_id]
        own_ids = {t.task_id for t in own}
        roots = [t for t in own if t.parent_task_id not in own_ids]
        return [node(t) for t in sorted(roots, key=lambda t: (t.deadline, t.title))]

    def coverage(self, year: int, as_of: date) -> Coverage:
        units = [u for u in self.units.values() if u.kind in COVERED_UNIT_KINDS]
        # A superseded letter was replaced by a newer one, which is what counts now.
        current = [v for v in self.letters.values() if v.year == year and v.status == "signed"]
        tasks = [t for t in self.tasks.values() if t.year == year]
        units_lettered = {v.signatory_unit_id for v in current}
        units_tasked = {t.lead_unit_id for t in tasks} | {u for t in tasks for u in t.co_unit_ids}
        people_lettered = {v.signatory_cadre_id for v in current}
        people_tasked = {t.responsible_cadre_id for t in tasks}
        leaders = [c for c in self.cadres.values() if c.leadership_member]
        # A unit's principal leaders are two people (party secretary and administrative
        # head): each must hold a letter of their own carrying the top leader's duties.
        covered_ids = {u.unit_id for u in units}
        top_leaders = [c for c in self.cadres.values() if c.top_leader and c.unit_id in covered_ids]
        led_units = {c.unit_id for c in top_leaders}
        duties_lettered = {
            v.signatory_cadre_id for v in current
            if v.signatory_is_top_leader and v.top_leader_duties
        }
        top_lacking = [c for c in top_leaders if c.cadre_id not in duties_lettered]
        units_lacking = {c.unit_id for c in top_lacking}

        def ids(items: list[Any], attr: str) -> list[UUID]:
            return sorted((getattr(i, attr) for i in items), key=str)

        unlettered_units = ids([u for u in units if u.unit_id not in units_lettered], "unit_id")
        untasked_units = ids([u for u in units if u.unit_id not in units_tasked], "unit_id")
        unlettered_leaders = ids(
            [c for c in leaders if c.cadre_id not in people_lettered], "cadre_id")
        untasked_leaders = ids([c for c in leaders if c.cadre_id not in people_tasked], "cadre_id")
        lacking_duties = ids([u for u in units if u.unit_id in units_lacking], "unit_id")
        leaderless = ids(
            [u for u in units if u.kind in TOP_LED_UNIT_KINDS and u.unit_id not in led_units],
            "unit_id",
        )
        top_lacking_ids = ids(top_lacking, "cadre_id")
        never_convened = ids([t for t in tasks if t.lead_meeting_missing], "task_id")
        return Coverage(
            year=year,
            as_of=as_of,
            units_without_signed_letter=unlettered_units,
            units_without_task=untasked_units,
            leaders_without_signed_letter=unlettered_leaders,
            leaders_without_task=untasked_leaders,
            units_whose_top_leader_lacks_duties_letter=lacking_duties,
            units_without_top_leader=leaderless,
            top_leaders_without_duties_letter=top_lacking_ids,
            tasks_whose_lead_unit_never_convened=never_convened,
            complete=not any((
                unlettered_units, untasked_units, unlettered_leaders, untasked_leaders,
                lacking_duties, leaderless, top_lacking_ids, never_convened,
            )),
        )

    def education_totals(self, start: date, end: date) -> EducationTotals:
        held = [a for a in self.education.values() if start <= a.held_on <= end]
        activities = Counter(a.kind for a in held)
        participants: Counter[EducationKind] = Counter()
        for a in held:
            participants[a.kind] += a.participant_count
        listed = [a for a in held if a.participant_person_ids is not None]
        unlisted = [a for a in held if a.participant_person_ids is None]
        persons: dict[EducationKind, set[UUID]] = {}
        for a in listed:
            persons.setdefault(a.kind, set()).update(a.participant_person_ids or ())
        times = sum(a.participant_count for a in held)
        return EducationTotals(
            start, end, dict(activities), dict(participants), len(held), times,
            participant_times=times,
            persons={kind: len(ids) for kind, ids in persons.items()},
            distinct_persons=len(set().union(*persons.values())),
            activities_without_participant_list=len(unlisted),
            participant_times_without_list=sum(a.participant_count for a in unlisted),
        )


def _clause_shingles(letter: LetterView) -> frozenset[str]:
    return shingles(c["text"] for c in letter.individual_clauses)


# The risk-point register (廉政风险点) and the recorded acts: reminders (提醒), talks (约谈) and
# 述责述廉 (issue 10, items 12 and 13). A projection of its own, beside ``District``.

from services.responsibility.domain.risk_points import (  # noqa: E402 - appended section
    clause_outside_register,
    post_key,
)


@dataclass
class RiskRegisterView:
    register_id: UUID
    unit_id: UUID
    post_title: str
    risk_points: list[dict[str, Any]]
    registered_at: datetime
    updated_at: datetime
    # Every version of the list ({"effective_at", "risk_points"}), in the order they took
    # effect: a letter's clauses are judged against the register as it stood at the signing.
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_at(self, moment: datetime) -> list[dict[str, Any]] | None:
        """The post's risk points in effect at ``moment`` (None: not yet registered)."""
        in_effect = [v["risk_points"] for v in self.history if v["effective_at"] <= moment]
        return in_effect[-1] if in_effect else None


@dataclass
class ClauseOutsideRegister:
    """An individual clause of a signed letter whose risk point is not in the signatory's
    post register (as it stood when the letter was signed)."""

    letter_id: UUID
    signed_at: datetime
    signatory_cadre_id: UUID
    unit_id: UUID
    post_title: str
    text: str
    risk_point: str
    # False: the post had no register at all when the letter was signed.
    post_has_register: bool


@dataclass
class ReminderView:
    reminder_id: UUID
    by_unit_id: UUID
    by_cadre_id: UUID | None
    to_cadre_id: UUID
    to_unit_id: UUID
    subject: str
    given_on: date


@dataclass
class TalkView:
    talk_id: UUID
    by_unit_id: UUID
    by_cadre_id: UUID | None
    leader_cadre_id: UUID
    unit_id: UUID
    subject: str
    held_on: date


@dataclass
class AccountabilityReportView:
    report_id: UUID
    cadre_id: UUID
    unit_id: UUID
    year: int
    reported_on: date
    given_to: str
    summary: str


class Registers(Projection):
    """Risk-point registers, reminders, talks and 述责述廉 reports."""

    # Kept as record versions in the service's store (shared/readmodel.py).
    stored = ("risk_registers", "reminders", "talks", "accountability_reports")

    def __init__(self, until: datetime | None = None) -> None:
        super().__init__(until)
        self.risk_registers: dict[UUID, RiskRegisterView] = {}
        self.reminders: dict[UUID, ReminderView] = {}
        self.talks: dict[UUID, TalkView] = {}
        self.accountability_reports: dict[UUID, AccountabilityReportView] = {}

    def on_RiskRegister_Registered(self, e: Any) -> None:  # noqa: N802
        points = [dict(p) for p in e.risk_points]
        self.risk_registers[e.originator_id] = RiskRegisterView(
            e.originator_id, e.unit_id, e.post_title, points, e.occurred_at, e.occurred_at,
            [{"effective_at": e.occurred_at, "risk_points": points}],
        )

    def on_RiskRegister_Updated(self, e: Any) -> None:  # noqa: N802
        register = self.risk_registers[e.originator_id]
        register.history.append(
            {"effective_at": e.occurred_at, "risk_points": [dict(p) for p in e.risk_points]}
        )
        register.history.sort(key=lambda v: v["effective_at"])
        register.risk_points = register.history[-1]["risk_points"]
        register.updated_at = register.history[-1]["effective_at"]

    def on_Reminder_Recorded(self, e: Any) -> None:  # noqa: N802
        self.reminders[e.originator_id] = ReminderView(
            e.originator_id, e.by_unit_id, e.by_cadre_id, e.to_cadre_id, e.to_unit_id,
            e.subject, e.given_on,
        )

    def on_Talk_Held(self, e: Any) -> None:  # noqa: N802
        self.talks[e.originator_id] = TalkView(
            e.originator_id, e.by_unit_id, e.by_cadre_id, e.leader_cadre_id, e.unit_id,
            e.subject, e.held_on,
        )

    def on_AccountabilityReport_Given(self, e: Any) -> None:  # noqa: N802
        self.accountability_reports[e.originator_id] = AccountabilityReportView(
            e.originator_id, e.cadre_id, e.unit_id, e.year, e.reported_on, e.given_to,
            e.summary,
        )

    def register_of(self, unit_id: UUID, post_title: str) -> RiskRegisterView | None:
        wanted = post_key(post_title)
        return next(
            (r for r in self.risk_registers.values()
             if r.unit_id == unit_id and post_key(r.post_title) == wanted),
            None,
        )

    def clauses_outside(
        self, letters: Collection[LetterView], cadres: dict[UUID, CadreView]
    ) -> list[ClauseOutsideRegister]:
        """Each individual clause of a signed letter (to a named cadre) whose risk point is not
        in the register of the signatory's post as it stood at the signing."""
        found = []
        for letter in letters:
            cadre = cadres.get(letter.signatory_cadre_id) if letter.signatory_cadre_id else None
            if letter.signed_at is None or cadre is None:
                continue
            register = self.register_of(cadre.unit_id, cadre.post_title)
            points = None if register is None else register.as_at(letter.signed_at)
            for clause in letter.individual_clauses:
                if clause_outside_register(clause["risk_point"], points):
                    found.append(ClauseOutsideRegister(
                        letter.letter_id, letter.signed_at, cadre.cadre_id, cadre.unit_id,
                        cadre.post_title, clause["text"], clause["risk_point"],
                        points is not None,
                    ))
        return sorted(found, key=lambda c: (c.signed_at, str(c.letter_id), c.risk_point))


District.record_classes = Registers.record_classes = records_of(__name__)

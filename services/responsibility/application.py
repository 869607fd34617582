"""Use cases and queries of the responsibility service (the party committee's primary
responsibility): registering the organisation, drafting, signing and superseding letters."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.persistence import RecordConflictError

from services.responsibility.domain import (
    Cadre,
    CadreAlreadyRegisteredError,
    CadreNotFoundError,
    EducationActivity,
    Letter,
    LetterNotFoundError,
    Task,
    TaskNotFoundError,
    Unit,
    UnitAlreadyRegisteredError,
    UnitNotFoundError,
    WrongSignatoryError,
)
from services.responsibility.similarity import DEFAULT_THRESHOLD, shingles, similarity
from services.responsibility.views import (
    CadreView,
    Coverage,
    District,
    EducationTotals,
    LetterView,
    TaskNode,
    TaskView,
    UnitView,
)
from shared.actors import SYSTEM_ACTOR, Actor
from shared.catchup import CatchUpMixin
from shared.clock import as_aware, end_of_day
from shared.errors import ConflictError, NotPermittedError
from shared.persistence import ServiceApplication

SERVICE = "responsibility"


@dataclass(frozen=True)
class LetterDraft:
    """What a letter says; used for a new letter and for one that supersedes another."""

    year: int
    issuer_unit_id: UUID
    signatory_unit_id: UUID
    signatory_cadre_id: UUID | None
    common_clauses: list[str]
    individual_clauses: list[dict[str, str]]
    top_leader_duties: list[str]
    sign_by: date | None = None


class Responsibilities(CatchUpMixin, ServiceApplication):
    """The responsibility service's eventsourcing application."""

    name = SERVICE
    service_name: ClassVar[str] = SERVICE

    def __init__(
        self,
        env: Any = None,
        task_warning_days: tuple[int, ...] | None = None,
        boilerplate_threshold: float | None = None,
    ) -> None:
        super().__init__(env)
        self.district = District()
        self.task_warning_days = task_warning_days or tuple(
            int(d) for d in os.environ.get("DUTYTRAIL_TASK_WARNING_DAYS", "7,3").split(",")
        )
        self.boilerplate_threshold = boilerplate_threshold or float(
            os.environ.get("DUTYTRAIL_BOILERPLATE_THRESHOLD", str(DEFAULT_THRESHOLD))
        )

    # Organisation.

    def register_unit(
        self,
        code: str,
        name: str,
        kind: str,
        parent_unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        if parent_unit_id is not None:
            self._get_unit(parent_unit_id)
        unit = Unit(
            code=code, name=name, kind=kind, parent_unit_id=parent_unit_id,
            actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        duplicate = UnitAlreadyRegisteredError(f"Unit code {code!r} is already registered.")
        self._save_new(unit, duplicate)
        return unit.id

    def register_cadre(
        self,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        post_title: str,
        line_of_work: str,
        leadership_member: bool,
        top_leader: bool,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        self._get_unit(unit_id)
        cadre = Cadre(
            person_id=person_id, name=name, unit_id=unit_id, post_title=post_title,
            line_of_work=line_of_work, leadership_member=leadership_member,
            top_leader=top_leader, actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        self._save_new(
            cadre, CadreAlreadyRegisteredError(f"Person {person_id} is already registered.")
        )
        return cadre.id

    # Letters.

    def draft_letter(
        self,
        draft: LetterDraft,
        actor: Actor,
        occurred_at: datetime | None = None,
        letter_id: UUID | None = None,
    ) -> UUID:
        letter = self._new_letter(draft, actor, as_aware(occurred_at), letter_id, supersedes=None)
        self._save_new(letter, ConflictError(f"Letter {letter.id} already exists."))
        return letter.id

    def add_individual_clause(
        self,
        letter_id: UUID,
        text: str,
        risk_point: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        letter.add_individual_clause(text, risk_point, actor.as_dict(), as_aware(occurred_at))
        self._save(letter)

    def set_top_leader_duties(
        self, letter_id: UUID, duties: list[str], actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        letter.set_top_leader_duties(duties, actor.as_dict(), as_aware(occurred_at))
        self._save(letter)

    def sign_letter(
        self,
        letter_id: UUID,
        issuer_person_id: UUID,
        signatory_person_id: UUID,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self._get_letter(letter_id)
        self._check_acts_for(actor, letter.issuer_unit_id)
        when = as_aware(occurred_at)
        if letter.signatory_cadre_id is not None:
            cadre = self._get_cadre(letter.signatory_cadre_id)
            if cadre.person_id != signatory_person_id:
                msg = (
                    f"Letter {letter_id} is addressed to {cadre.name}; only that person can "
                    "sign it as signatory."
                )
                raise WrongSignatoryError(msg)
        letter.sign(
            issuer_signature={
                "person_id": issuer_person_id, "unit_id": letter.issuer_unit_id,
                "signed_at": when,
            },
            signatory_signature={
                "person_id": signatory_person_id, "unit_id": letter.signatory_unit_id,
                "signed_at": when,
            },
            actor=actor.as_dict(),
            occurred_at=when,
        )
        self._flag_if_boilerplate(letter, when)
        self._save(letter)

    def supersede_letter(
        self,
        letter_id: UUID,
        draft: LetterDraft,
        actor: Actor,
        occurred_at: datetime | None = None,
        new_letter_id: UUID | None = None,
    ) -> UUID:
        old = self._get_letter(letter_id)
        self._check_acts_for(actor, old.issuer_unit_id)
        when = as_aware(occurred_at)
        new = self._new_letter(draft, actor, when, new_letter_id, supersedes=old.id)
        old.mark_superseded(new.id, actor.as_dict(), when)
        # One transaction: the new letter and the old one's "superseded" mark both land or
        # neither does.
        self._save(new, old)
        return new.id

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every warning and overdue mark due by ``as_of``, each exactly once: letters
        not signed by their deadline, tasks nearing or past theirs. Returns the ids of the
        letters and tasks that got a new event."""
        as_of = as_aware(as_of)
        self.district.catch_up(self)
        actor = SYSTEM_ACTOR.as_dict()
        letters = [
            v.letter_id for v in self.district.letters.values()
            if v.status == "draft" and not v.signing_overdue
            and v.sign_by is not None and as_of.date() > v.sign_by
        ]
        horizon = max(self.task_warning_days, default=0)
        tasks = [
            t.task_id for t in self.district.tasks.values()
            if t.completed_at is None and not t.overdue
            and (t.deadline - as_of.date()).days <= horizon
        ]
        recorded = []
        for aggregate_id, load in [(i, self._get_letter) for i in letters] + [
            (i, self._get_task) for i in tasks
        ]:
            aggregate: Any = load(aggregate_id)
            if isinstance(aggregate, Letter):
                due = aggregate.record_signing_overdue_if_due(as_of, actor)
            else:
                due = aggregate.record_deadline_events_due(as_of, self.task_warning_days, actor)
            if not due:
                continue
            try:
                self.save(aggregate)
            except RecordConflictError:
                continue  # another caller recorded it (or changed the record) first
            recorded.append(aggregate_id)
        return recorded

    # Tasks.

    def create_task(
        self,
        year: int,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        co_unit_ids: list[UUID],
        responsible_cadre_id: UUID,
        deadline: date,
        actor: Actor,
        occurred_at: datetime | None = None,
        task_id: UUID | None = None,
    ) -> UUID:
        """A task broken down to a lead unit and a responsible person (the party committee's
        or a unit's own)."""
        self._check_task_people(lead_unit_id, co_unit_ids, responsible_cadre_id)
        task = Task(
            id=task_id or uuid4(), year=year, title=title, requirement=requirement,
            lead_unit_id=lead_unit_id, co_unit_ids=list(co_unit_ids),
            responsible_cadre_id=responsible_cadre_id, deadline=deadline, parent_task_id=None,
            actor=actor.as_dict(), occurred_at=as_aware(occurred_at),
        )
        self._save_new(task, ConflictError(f"Task {task.id} already exists."))
        return task.id

    def break_down_task(
        self,
        parent_task_id: UUID,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        responsible_cadre_id: UUID,
        deadline: date,
        actor: Actor,
        occurred_at: datetime | None = None,
        task_id: UUID | None = None,
    ) -> UUID:
        """The lead unit of a task breaks it down again, to an office or a person."""
        parent = self._get_task(parent_task_id)
        self._check_acts_for(actor, parent.lead_unit_id)
        parent.check_open()
        parent.check_subtask_deadline(deadline)
        self._check_task_people(lead_unit_id, [], responsible_cadre_id)
        when = as_aware(occurred_at)
        child = Task(
            id=task_id or uuid4(), year=parent.year, title=title, requirement=requirement,
            lead_unit_id=lead_unit_id, co_unit_ids=[], responsible_cadre_id=responsible_cadre_id,
            deadline=deadline, parent_task_id=parent.id, actor=actor.as_dict(),
            occurred_at=when,
        )
        parent.add_subtask(child.id, actor.as_dict(), when)
        self._save(child, parent)
        return child.id

    def report_progress(
        self, task_id: UUID, percent: int, note: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        task = self._get_task(task_id)
        self._check_acts_for_one_of(actor, [task.lead_unit_id, *task.co_unit_ids])
        task.report_progress(percent, note, actor.as_dict(), as_aware(occurred_at))
        self._save(task)

    def complete_task(
        self, task_id: UUID, note: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        task = self._get_task(task_id)
        self._check_acts_for(actor, task.lead_unit_id)
        open_subtasks = [
            child.title for child in (self._get_task(i) for i in task.subtask_ids)
            if not child.is_completed
        ]
        task.complete(open_subtasks, note, actor.as_dict(), as_aware(occurred_at))
        self._save(task)

    # Integrity education.

    def record_education_activity(
        self,
        kind: str,
        title: str,
        held_on: date,
        organiser_unit_id: UUID,
        participant_count: int,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        self._get_unit(organiser_unit_id)
        self._check_acts_for(actor, organiser_unit_id)
        activity = EducationActivity(
            kind=kind, title=title, held_on=held_on, organiser_unit_id=organiser_unit_id,
            participant_count=participant_count, actor=actor.as_dict(),
            occurred_at=as_aware(occurred_at),
        )
        self._save(activity)
        return activity.id

    # Queries. Each answers as the store says now, or as of a date (business time).

    def as_of(self, day: date | None = None) -> District:
        if day is None:
            self.district.catch_up(self)
            return self.district
        district = District(until=end_of_day(day))
        district.catch_up(self)
        return district

    def list_units(self, as_of: date | None = None) -> list[UnitView]:
        return sorted(self.as_of(as_of).units.values(), key=lambda u: u.code)

    def list_cadres(
        self, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[CadreView]:
        return sorted(
            (c for c in self.as_of(as_of).cadres.values() if unit_id in (None, c.unit_id)),
            key=lambda c: (str(c.unit_id), c.name),
        )

    def get_letter(self, letter_id: UUID, as_of: date | None = None) -> LetterView:
        try:
            return self.as_of(as_of).letters[letter_id]
        except KeyError:
            raise LetterNotFoundError(f"No letter {letter_id}.") from None

    def list_letters(
        self, year: int | None = None, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[LetterView]:
        return sorted(
            (
                v for v in self.as_of(as_of).letters.values()
                if year in (None, v.year)
                and unit_id in (None, v.signatory_unit_id, v.issuer_unit_id)
            ),
            key=lambda v: (v.year, str(v.signatory_unit_id), str(v.letter_id)),
        )

    def flagged_letters(self, year: int, as_of: date | None = None) -> list[LetterView]:
        return [v for v in self.list_letters(year, as_of=as_of) if v.flagged_like is not None]

    def task_tree(self, unit_id: UUID, as_of: date) -> list[TaskNode]:
        return self.as_of(as_of).task_tree(unit_id, as_of, max(self.task_warning_days))

    def overdue_tasks(self, as_of: date) -> list[TaskView]:
        """Tasks past their deadline and not completed on that day."""
        district = self.as_of(as_of)
        return sorted(
            (
                t for t in district.tasks.values()
                if district.task_colour(t, as_of, max(self.task_warning_days)) == "red"
            ),
            key=lambda t: (t.deadline, t.title),
        )

    def coverage(self, year: int, as_of: date) -> Coverage:
        return self.as_of(as_of).coverage(year, as_of)

    def education_totals(
        self, start: date, end: date, as_of: date | None = None
    ) -> EducationTotals:
        return self.as_of(as_of).education_totals(start, end)

    # Helpers.

    def _new_letter(
        self,
        draft: LetterDraft,
        actor: Actor,
        when: datetime,
        letter_id: UUID | None,
        supersedes: UUID | None,
    ) -> Letter:
        self._check_acts_for(actor, draft.issuer_unit_id)
        self._get_unit(draft.issuer_unit_id)
        self._get_unit(draft.signatory_unit_id)
        top_leader = False
        if draft.signatory_cadre_id is not None:
            cadre = self._get_cadre(draft.signatory_cadre_id)
            if cadre.unit_id != draft.signatory_unit_id:
                msg = (
                    f"{cadre.name} belongs to another unit than the letter's signatory unit "
                    f"{draft.signatory_unit_id}."
                )
                raise WrongSignatoryError(msg)
            top_leader = cadre.top_leader
        return Letter(
            id=letter_id or uuid4(), year=draft.year, issuer_unit_id=draft.issuer_unit_id,
            signatory_unit_id=draft.signatory_unit_id,
            signatory_cadre_id=draft.signatory_cadre_id, signatory_is_top_leader=top_leader,
            common_clauses=list(draft.common_clauses),
            individual_clauses=[dict(c) for c in draft.individual_clauses],
            top_leader_duties=list(draft.top_leader_duties), sign_by=draft.sign_by,
            supersedes=supersedes, actor=actor.as_dict(), occurred_at=when,
        )

    def _flag_if_boilerplate(self, letter: Letter, when: datetime) -> None:
        """Flag a letter whose individual clauses copy another post's letter of the year."""
        self.district.catch_up(self)
        mine = shingles(c["text"] for c in letter.individual_clauses)
        best: tuple[float, UUID] | None = None
        for other in self.district.letters.values():
            if (
                other.letter_id == letter.id or other.year != letter.year
                or other.status == "draft" or other.letter_id == letter.supersedes
                or (other.signatory_cadre_id, other.signatory_unit_id)
                == (letter.signatory_cadre_id, letter.signatory_unit_id)
            ):
                continue
            score = similarity(mine, shingles(c["text"] for c in other.individual_clauses))
            if score >= self.boilerplate_threshold and (best is None or score > best[0]):
                best = (score, other.letter_id)
        if best is not None:
            letter.flag_as_boilerplate(best[1], best[0], SYSTEM_ACTOR.as_dict(), when)

    def _check_task_people(
        self, lead_unit_id: UUID, co_unit_ids: list[UUID], responsible_cadre_id: UUID
    ) -> None:
        for unit_id in (lead_unit_id, *co_unit_ids):
            self._get_unit(unit_id)
        cadre = self._get_cadre(responsible_cadre_id)
        if cadre.unit_id != lead_unit_id:
            msg = (
                f"The responsible person {cadre.name} belongs to another unit than the task's "
                "lead unit."
            )
            raise WrongSignatoryError(msg)

    def _check_acts_for_one_of(self, actor: Actor, unit_ids: list[UUID]) -> None:
        if actor.unit_id not in unit_ids:
            msg = "Only a clerk of the task's lead unit or a co-unit may report its progress."
            raise NotPermittedError(msg)

    def _check_acts_for(self, actor: Actor, unit_id: UUID) -> None:
        if actor.unit_id != unit_id:
            msg = (
                f"Only a clerk of the issuing unit {unit_id} may do this; you act for unit "
                f"{actor.unit_id}."
            )
            raise NotPermittedError(msg)

    def _get_unit(self, unit_id: UUID) -> Unit:
        unit: Unit = self._load(unit_id, UnitNotFoundError(f"No unit {unit_id} is registered."))
        return unit

    def _get_cadre(self, cadre_id: UUID) -> Cadre:
        missing = CadreNotFoundError(f"No cadre {cadre_id} is registered.")
        cadre: Cadre = self._load(cadre_id, missing)
        return cadre

    def _get_task(self, task_id: UUID) -> Task:
        task: Task = self._load(task_id, TaskNotFoundError(f"No task {task_id}."))
        return task

    def _get_letter(self, letter_id: UUID) -> Letter:
        letter: Letter = self._load(letter_id, LetterNotFoundError(f"No letter {letter_id}."))
        return letter

"""Use cases and queries of the responsibility service (the party committee's primary
responsibility): the organisation, letters, tasks and integrity education.

Each use case loads what it needs, asks the domain, and saves; the rules themselves are in
``services.responsibility.domain`` (docs/architecture.md, "Inside a service").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.utils import EnvType

from services.responsibility.commands import LetterContent
from services.responsibility.domain import (
    Cadre,
    CadreAlreadyRegisteredError,
    EducationActivity,
    Letter,
    Task,
    Unit,
    UnitAlreadyRegisteredError,
    check_acts_for,
    check_top_leader_post_free,
)
from services.responsibility.metrics import LETTERS_FLAGGED, TASKS_OVERDUE
from services.responsibility.settings import ResponsibilitySettings
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
from shared.application import ServiceApplication
from shared.clock import as_aware
from shared.contracts.responsibility import EducationKind, UnitKind
from shared.errors import ConflictError
from shared.readmodel import Projection

SERVICE = "responsibility"


class Responsibilities(ServiceApplication[District]):
    """The responsibility service's eventsourcing application."""

    service_name: ClassVar[str] = SERVICE
    projection: ClassVar[type[Projection]] = District

    def __init__(
        self, env: EnvType | None = None, settings: ResponsibilitySettings | None = None
    ) -> None:
        super().__init__(env)
        self.settings = settings or ResponsibilitySettings.from_environ()

    # Organisation.

    def register_unit(
        self,
        *,
        code: str,
        name: str,
        kind: UnitKind,
        parent_unit_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        if parent_unit_id is not None:
            self.load(parent_unit_id, Unit)
        unit = Unit.register(
            code=code, name=name, kind=kind, parent_unit_id=parent_unit_id, actor=actor,
            occurred_at=as_aware(occurred_at),
        )
        duplicate = UnitAlreadyRegisteredError(f"Unit code {code!r} is already registered.")
        self.save_new(unit, duplicate)
        return unit.id

    def register_cadre(
        self,
        *,
        person_id: UUID,
        name: str,
        unit_id: UUID,
        post_title: str,
        line_of_work: str,
        leadership_member: bool = False,
        top_leader: bool = False,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A cadre; a top leader (党政主要领导) is one of the unit's two, the party secretary
        or the administrative head, in a post no other top leader of the unit holds."""
        self.load(unit_id, Unit)
        if top_leader:
            check_top_leader_post_free(
                post_title,
                (c for c in self.as_of().cadres.values() if c.unit_id == unit_id and c.top_leader),
            )
        cadre = Cadre(
            person_id=person_id, name=name, unit_id=unit_id, post_title=post_title,
            line_of_work=line_of_work, leadership_member=leadership_member,
            top_leader=top_leader, actor=actor, occurred_at=as_aware(occurred_at),
        )
        self.save_new(
            cadre, CadreAlreadyRegisteredError(f"Person {person_id} is already registered.")
        )
        return cadre.id

    # Letters.

    def draft_letter(
        self,
        *,
        letter: LetterContent,
        letter_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        draft = self._new_letter(letter, letter_id, None, actor, as_aware(occurred_at))
        self.save_new(draft, ConflictError(f"Letter {draft.id} already exists."))
        return draft.id

    def add_individual_clause(
        self,
        *,
        letter_id: UUID,
        text: str,
        risk_point: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self.load(letter_id, Letter)
        check_acts_for(actor, letter.issuer_unit_id)
        letter.add_individual_clause(text, risk_point, actor, as_aware(occurred_at))
        self.save_changes(letter)

    def set_top_leader_duties(
        self,
        *,
        letter_id: UUID,
        duties: Sequence[str],
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        letter = self.load(letter_id, Letter)
        check_acts_for(actor, letter.issuer_unit_id)
        letter.set_top_leader_duties(duties, actor, as_aware(occurred_at))
        self.save_changes(letter)

    def sign_letter(
        self,
        *,
        letter_id: UUID,
        issuer_person_id: UUID,
        signatory_person_id: UUID,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """Both signatures; then, as part of the same save, the flag if the letter's
        individual clauses copy another post's letter of the year, and, for a letter that
        supersedes another, the old letter's "superseded" mark: the old letter stays valid
        until its replacement is signed."""
        letter = self.load(letter_id, Letter)
        check_acts_for(actor, letter.issuer_unit_id)
        when = as_aware(occurred_at)
        replaced = None if letter.supersedes is None else self.load(letter.supersedes, Letter)
        letter.sign(
            issuer_person_id=issuer_person_id, signatory_person_id=signatory_person_id,
            addressee=self._cadre_or_none(letter.signatory_cadre_id), actor=actor,
            occurred_at=when, replaced=replaced,
        )
        flagged = letter.flag_if_copy(
            self.as_of().letters.values(), self.settings.boilerplate_threshold, SYSTEM_ACTOR,
            when,
        )
        # One transaction: the signature and the old letter's mark both land or neither does.
        self.save_changes(letter, *([] if replaced is None else [replaced]))
        if flagged:
            LETTERS_FLAGGED.labels(SERVICE).inc()

    def supersede_letter(
        self,
        *,
        letter_id: UUID,
        letter: LetterContent,
        new_letter_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A draft that will replace ``letter_id``: the old letter stays valid (and is not
        marked) until the draft is signed (``sign_letter``)."""
        old = self.load(letter_id, Letter)
        check_acts_for(actor, old.issuer_unit_id)
        old.check_may_be_superseded()
        new = self._new_letter(letter, new_letter_id, old.id, actor, as_aware(occurred_at))
        self.save_new(new, ConflictError(f"Letter {new.id} already exists."))
        return new.id

    # Tasks.

    def create_task(
        self,
        *,
        year: int,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        co_unit_ids: Sequence[UUID] = (),
        responsible_cadre_id: UUID,
        deadline: date,
        task_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A task broken down to a lead unit and a responsible person (the party committee's
        or a unit's own)."""
        task = Task.create(
            task_id=task_id, year=year, title=title, requirement=requirement,
            lead_unit_id=lead_unit_id, co_unit_ids=co_unit_ids,
            responsible=self._responsible(lead_unit_id, co_unit_ids, responsible_cadre_id),
            deadline=deadline, parent_task_id=None, actor=actor,
            occurred_at=as_aware(occurred_at),
        )
        self.save_new(task, ConflictError(f"Task {task.id} already exists."))
        return task.id

    def break_down_task(
        self,
        *,
        parent_task_id: UUID,
        title: str,
        requirement: str,
        lead_unit_id: UUID,
        responsible_cadre_id: UUID,
        deadline: date,
        task_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """The lead unit of a task breaks it down again, to an office or a person."""
        parent = self.load(parent_task_id, Task)
        check_acts_for(actor, parent.lead_unit_id)
        # Refuse a closed parent or a late deadline before looking anyone up.
        parent.check_may_break_down(deadline)
        child = parent.break_down(
            task_id=task_id, title=title, requirement=requirement, lead_unit_id=lead_unit_id,
            responsible=self._responsible(lead_unit_id, (), responsible_cadre_id),
            deadline=deadline, actor=actor, occurred_at=as_aware(occurred_at),
        )
        self.save_changes(child, parent)
        return child.id

    def report_progress(
        self,
        *,
        task_id: UUID,
        percent: int,
        note: str = "",
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        task = self.load(task_id, Task)
        task.check_may_report(actor)
        task.report_progress(percent, note, actor, as_aware(occurred_at))
        self.save_changes(task)

    def complete_task(
        self, *, task_id: UUID, note: str = "", actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        task = self.load(task_id, Task)
        check_acts_for(actor, task.lead_unit_id)
        subtasks = [self.load(i, Task) for i in task.subtask_ids]
        open_subtasks = [child.title for child in subtasks if not child.is_completed]
        task.complete(open_subtasks, note, actor, as_aware(occurred_at))
        self.save_changes(task)

    # Integrity education.

    def record_education_activity(
        self,
        *,
        kind: EducationKind,
        title: str,
        held_on: date,
        organiser_unit_id: UUID,
        participant_count: int,
        participant_person_ids: Sequence[UUID] | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """An activity held, with its person-times and, optionally, who attended."""
        self.load(organiser_unit_id, Unit)
        check_acts_for(actor, organiser_unit_id)
        activity = EducationActivity.record(
            kind=kind, title=title, held_on=held_on, organiser_unit_id=organiser_unit_id,
            participant_count=participant_count, actor=actor, occurred_at=as_aware(occurred_at),
            participant_person_ids=participant_person_ids,
        )
        self.save_changes(activity)
        return activity.id

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every warning and overdue mark due by ``as_of``, each exactly once: letters
        not signed by their deadline, tasks nearing or past theirs. Returns the ids of the
        letters and tasks that got a new event."""
        as_of = as_aware(as_of)
        district = self.as_of()
        warning_days = self.settings.task_warning_days
        recorded = []
        for letter_id in district.letters_to_mark_overdue(as_of.date()):
            letter = self.load(letter_id, Letter)
            if letter.record_signing_overdue_if_due(as_of, SYSTEM_ACTOR) and (
                self.save_if_uncontested(letter)
            ):
                recorded.append(letter_id)
        for task_id in district.tasks_to_mark(as_of.date(), warning_days):
            task = self.load(task_id, Task)
            if task.record_deadline_events_due(as_of, warning_days, SYSTEM_ACTOR) and (
                self.save_if_uncontested(task)
            ):
                recorded.append(task_id)
        return recorded

    def refresh_gauges(self, as_of: date) -> None:
        TASKS_OVERDUE.labels(SERVICE).set(len(self.overdue_tasks(as_of=as_of)))

    # Queries. Each answers as the store says now, or as of a date (business time).

    def list_units(self, *, as_of: date | None = None) -> list[UnitView]:
        return sorted(self.as_of(as_of).units.values(), key=lambda u: u.code)

    def list_cadres(
        self, *, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[CadreView]:
        return sorted(
            (c for c in self.as_of(as_of).cadres.values() if unit_id in (None, c.unit_id)),
            key=lambda c: (str(c.unit_id), c.name),
        )

    def get_letter(self, letter_id: UUID, *, as_of: date | None = None) -> LetterView:
        try:
            return self.as_of(as_of).letters[letter_id]
        except KeyError:
            raise Letter.not_found(letter_id) from None

    def list_letters(
        self, *, year: int | None = None, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[LetterView]:
        return sorted(
            (
                v for v in self.as_of(as_of).letters.values()
                if year in (None, v.year)
                and unit_id in (None, v.signatory_unit_id, v.issuer_unit_id)
            ),
            key=lambda v: (v.year, str(v.signatory_unit_id), str(v.letter_id)),
        )

    def flagged_letters(self, year: int, *, as_of: date | None = None) -> list[LetterView]:
        return [v for v in self.list_letters(year=year, as_of=as_of) if v.flagged_like is not None]

    def task_tree(self, unit_id: UUID, as_of: date) -> list[TaskNode]:
        return self.as_of(as_of).task_tree(unit_id, as_of, self.settings.task_warning_days)

    def overdue_tasks(self, as_of: date) -> list[TaskView]:
        """Tasks past their deadline and not completed on that day."""
        return self.as_of(as_of).overdue_tasks(as_of)

    def coverage(self, year: int, as_of: date) -> Coverage:
        return self.as_of(as_of).coverage(year, as_of)

    def education_totals(
        self, start: date, end: date, *, as_of: date | None = None
    ) -> EducationTotals:
        return self.as_of(as_of).education_totals(start, end)

    # Helpers.

    def _new_letter(
        self,
        terms: LetterContent,
        letter_id: UUID | None,
        supersedes: UUID | None,
        actor: Actor,
        when: datetime,
    ) -> Letter:
        check_acts_for(actor, terms.issuer_unit_id)
        self.load(terms.issuer_unit_id, Unit)
        self.load(terms.signatory_unit_id, Unit)
        return Letter.draft(
            terms=terms, signatory=self._cadre_or_none(terms.signatory_cadre_id),
            letter_id=letter_id, supersedes=supersedes, actor=actor, occurred_at=when,
        )

    def _cadre_or_none(self, cadre_id: UUID | None) -> Cadre | None:
        return None if cadre_id is None else self.load(cadre_id, Cadre)

    def _responsible(
        self, lead_unit_id: UUID, co_unit_ids: Sequence[UUID], responsible_cadre_id: UUID
    ) -> Cadre:
        """The task's responsible person, once its units are known to exist."""
        for unit_id in (lead_unit_id, *co_unit_ids):
            self.load(unit_id, Unit)
        return self.load(responsible_cadre_id, Cadre)


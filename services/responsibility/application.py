"""Use cases and queries of the responsibility service (the party committee's primary
responsibility): the organisation, letters, tasks and integrity education.

Each use case loads what it needs, asks the domain, and saves; the rules themselves are in
``services.responsibility.domain`` (docs/architecture.md, "Inside a service").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.utils import EnvType

from services.responsibility.commands import FlagReason, LetterContent
from services.responsibility.domain import (
    Cadre,
    CadreAlreadyRegisteredError,
    CadreNotFoundError,
    EducationActivity,
    Letter,
    Task,
    Unit,
    UnitAlreadyRegisteredError,
    WrongSignatoryError,
    check_acts_for,
    check_top_leader_post_free,
)
from services.responsibility.domain.accountability_reports import (
    AccountabilityReport,
    AccountabilityReportAlreadyGivenError,
)
from services.responsibility.domain.letters import ShinglesOf
from services.responsibility.domain.reminders import Reminder
from services.responsibility.domain.risk_points import (
    RiskRegister,
    RiskRegisterAlreadyExistsError,
    RiskRegisterNotFoundError,
    check_keeps_register,
)
from services.responsibility.domain.talks import Talk
from services.responsibility.metrics import (
    LETTERS_FLAGGED,
    LETTERS_OUTSIDE_REGISTER,
    TASKS_OVERDUE,
)
from services.responsibility.settings import ResponsibilitySettings
from services.responsibility.views import (
    AccountabilityReportView,
    CadreView,
    ClauseOutsideRegister,
    Coverage,
    District,
    EducationTotals,
    LetterView,
    Registers,
    ReminderView,
    RiskRegisterView,
    TalkView,
    TaskNode,
    TaskView,
    UnitView,
)
from shared.actors import SYSTEM_ACTOR, Actor
from shared.application import ServiceApplication, project
from shared.clock import as_aware
from shared.contracts.responsibility import EducationKind, RiskPoint, SignatureSide, UnitKind
from shared.domain import DomainAggregate
from shared.errors import ConflictError
from shared.readmodel import Projection

SERVICE = "responsibility"
# A task is snapshotted every this many events (bench/command_scale.py).
TASK_SNAPSHOT_INTERVAL = 10

log = logging.getLogger(__name__)
A = TypeVar("A", bound=DomainAggregate)


class Responsibilities(ServiceApplication[District]):
    """The responsibility service's eventsourcing application."""

    service_name: ClassVar[str] = SERVICE
    projection: ClassVar[type[Projection]] = District
    # Snapshots of the aggregate that keeps taking commands all year: a task gets progress
    # reports, co-unit reports, meetings and the clock's warnings until it is completed, so
    # it is snapshotted every TASK_SNAPSHOT_INTERVAL events and loading it reads one
    # snapshot and fewer events than that (issue 8, item 3). Letters, units, cadres and the
    # recorded acts stay a handful of events each.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Task: TASK_SNAPSHOT_INTERVAL}
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {Task: project}

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

    def sign_letter_as_issuer(
        self, *, letter_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """The issuing unit's signature, by one of its principal leaders (for the district's
        letters, the district party secretary) with their own token."""
        self._sign(letter_id, "issuer", actor, occurred_at)

    def countersign_letter(
        self, *, letter_id: UUID, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """The signatory's own signature, with their own token: the addressed cadre or, for a
        letter to a unit without a named cadre, one of that unit's principal leaders."""
        self._sign(letter_id, "signatory", actor, occurred_at)

    def _sign(
        self, letter_id: UUID, side: SignatureSide, actor: Actor, occurred_at: datetime | None
    ) -> None:
        """One of the two signatures (签字背书). The second signs the letter and, as part of
        the same save, records the flag if the letter's individual clauses copy another
        post's letter of the year and, for a letter that supersedes another, the old letter's
        "superseded" mark: the old letter stays valid until its replacement is signed."""
        letter = self.load(letter_id, Letter)
        signer = self._signer(actor)
        when = as_aware(occurred_at)
        replaced = None if letter.supersedes is None else self.load(letter.supersedes, Letter)
        sign = letter.sign_as_issuer if side == "issuer" else letter.countersign
        if not sign(signer=signer, actor=actor, occurred_at=when, replaced=replaced):
            self.save_changes(letter)
            return
        threshold = self.settings.boilerplate_threshold
        others, shingles_of = self._letters_to_compare(letter, threshold)
        flagged = letter.flag_if_copy(
            others, threshold, SYSTEM_ACTOR, when, shingles_of=shingles_of
        )
        register = self._signatory_register(letter, when)
        if letter.flag_if_outside_register(register, SYSTEM_ACTOR, when):
            LETTERS_OUTSIDE_REGISTER.labels(SERVICE).inc()
        # One transaction: the signature and the old letter's mark both land or neither does.
        self.save_changes(letter, *([] if replaced is None else [replaced]))
        if flagged:
            LETTERS_FLAGGED.labels(SERVICE).inc()

    def _letters_to_compare(
        self, letter: Letter, threshold: float
    ) -> tuple[Iterable[LetterView], ShinglesOf | None]:
        """The letters a signing compares with, and their clause bigrams as kept: only the
        letters of the year the read model's bigram index finds may reach the threshold
        (every one that can: it is exact), never every letter of the year."""
        district = self.as_of()
        candidates = district.copy_candidates(letter.year, letter.clause_shingles(), threshold)
        return candidates, district.clause_shingles

    def _signatory_register(self, letter: Letter, when: datetime) -> list[dict[str, Any]] | None:
        """The risk points of the addressed cadre's post in effect at the signing (None: the
        post had no register then, or the letter names no cadre)."""
        if letter.signatory_cadre_id is None:
            return None
        cadre = self.load(letter.signatory_cadre_id, Cadre)
        register_id = RiskRegister.create_id(cadre.unit_id, cadre.post_title)
        try:
            return self.load(register_id, RiskRegister).as_at(when)
        except RiskRegisterNotFoundError:
            return None

    def _signer(self, actor: Actor) -> Cadre:
        """The cadre who signs: the token's own person, acting for their own unit."""
        try:
            signer = self.load(Cadre.create_id(actor.person_id), Cadre)
        except CadreNotFoundError:
            msg = f"Person {actor.person_id} is no registered cadre and cannot sign a letter."
            raise WrongSignatoryError(msg) from None
        if signer.unit_id != actor.unit_id:
            msg = (
                f"{signer.name} signs as a cadre of their own unit {signer.unit_id}, not of "
                f"unit {actor.unit_id}."
            )
            raise WrongSignatoryError(msg)
        return signer

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
        marked) until the draft is signed by both sides
        (``sign_letter_as_issuer``, ``countersign_letter``)."""
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

    def convene_task_meeting(
        self,
        *,
        task_id: UUID,
        held_on: date,
        agenda: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """The lead unit's clerk records a coordination meeting with the task's co-units
        (牵头单位召集协调会)."""
        task = self.load(task_id, Task)
        check_acts_for(actor, task.lead_unit_id)
        task.convene_meeting(held_on, agenda, actor, as_aware(occurred_at))
        self.save_changes(task)

    def report_to_lead_unit(
        self,
        *,
        task_id: UUID,
        report: str,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """A co-unit's clerk reports on its part of the task to the lead unit."""
        task = self.load(task_id, Task)
        task.report_to_lead_unit(report, actor, as_aware(occurred_at))
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
        activity_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """An activity held, with its person-times and, optionally, who attended."""
        self.load(organiser_unit_id, Unit)
        check_acts_for(actor, organiser_unit_id)
        activity = EducationActivity.record(
            kind=kind, title=title, held_on=held_on, organiser_unit_id=organiser_unit_id,
            participant_count=participant_count, actor=actor, occurred_at=as_aware(occurred_at),
            participant_person_ids=participant_person_ids, activity_id=activity_id,
        )
        duplicate = ConflictError(f"Education activity {activity.id} already exists.")
        self.save_new(activity, duplicate)
        return activity.id

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record every warning and overdue mark due by ``as_of``, each exactly once: letters
        not signed by their deadline, tasks nearing or past theirs, tasks whose lead unit never
        convened its co-units by the convening day. Returns the ids of the
        letters and tasks that got a new event."""
        as_of = as_aware(as_of)
        district = self.as_of()
        warning_days = self.settings.task_warning_days
        recorded = []
        for letter_id in district.letters_to_mark_overdue(as_of.date()):
            letter = self.clock_load(letter_id, Letter)
            if letter is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if letter.record_signing_overdue_if_due(as_of, SYSTEM_ACTOR) and (
                self.save_if_uncontested(letter)
            ):
                recorded.append(letter_id)
        for task_id in district.tasks_to_mark(as_of.date(), warning_days):
            task = self.clock_load(task_id, Task)
            if task is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if task.record_deadline_events_due(as_of, warning_days, SYSTEM_ACTOR) and (
                self.save_if_uncontested(task)
            ):
                recorded.append(task_id)
        meeting_days = self.settings.lead_unit_meeting_days
        for task_id in district.tasks_without_lead_meeting(as_of.date(), meeting_days):
            task = self.clock_load(task_id, Task)
            if task is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if task.record_meeting_missing_if_due(as_of, meeting_days, SYSTEM_ACTOR) and (
                self.save_if_uncontested(task)
            ) and task_id not in recorded:
                recorded.append(task_id)
        return recorded

    def refresh_gauges(self, as_of: date) -> None:
        TASKS_OVERDUE.labels(SERVICE).set(len(self.overdue_tasks(as_of=as_of)))
        for counter in (LETTERS_FLAGGED, LETTERS_OUTSIDE_REGISTER):
            counter.labels(SERVICE)  # at 0 until the first flag, so a rise can be seen

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

    def flagged_letters(
        self, year: int, *, as_of: date | None = None, reason: FlagReason = "copy"
    ) -> list[LetterView]:
        """The year's letters flagged at signing, for copying another post's letter or for
        clauses outside the signatory's post risk-point register."""
        letters = self.list_letters(year=year, as_of=as_of)
        if reason == "copy":
            return [v for v in letters if v.flagged_like is not None]
        return [v for v in letters if v.outside_risk_register is not None]

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

    # The risk-point register (廉政风险点, seed §四(一)) and the recorded acts: reminders (提醒),
    # talks (约谈) and 述责述廉 (seed §三(三)); issue 10, items 12 and 13. Their read model is the
    # ``Registers`` projection, kept beside ``District``.

    def register_risk_points(
        self,
        *,
        unit_id: UUID,
        post_title: str,
        risk_points: Sequence[RiskPoint],
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A post's risk-point register (its integrity-risk points, each with a level and its
        control measures), kept by the party committee or by the unit's own clerk."""
        self._check_keeps_register(actor, unit_id)
        register = RiskRegister.register(
            unit_id=unit_id, post_title=post_title, risk_points=risk_points, actor=actor,
            occurred_at=as_aware(occurred_at),
        )
        duplicate = RiskRegisterAlreadyExistsError(
            f"The post {post_title!r} of unit {unit_id} already has a risk-point register; "
            "revise it with update_risk_points."
        )
        self.save_new(register, duplicate)
        return register.id

    def update_risk_points(
        self,
        *,
        unit_id: UUID,
        post_title: str,
        risk_points: Sequence[RiskPoint],
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """The post's risk points as they now stand (the whole list replaces the last)."""
        self._check_keeps_register(actor, unit_id)
        register = self.load(RiskRegister.create_id(unit_id, post_title), RiskRegister)
        register.update(risk_points, actor, as_aware(occurred_at))
        self.save_changes(register)
        return register.id

    def risk_register(
        self, *, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[RiskRegisterView]:
        units = self.as_of(as_of).units
        return sorted(
            (r for r in self._registers(as_of).risk_registers.values()
             if unit_id in (None, r.unit_id)),
            key=lambda r: (units[r.unit_id].code if r.unit_id in units else "", r.post_title),
        )

    def clauses_outside_risk_register(
        self, year: int, *, as_of: date | None = None
    ) -> list[ClauseOutsideRegister]:
        """Boilerplate judged against the register: every individual clause of a signed
        letter of ``year`` whose risk point is not in the signatory's post register as it
        stood when the letter was signed (a post with no register: every clause)."""
        district = self.as_of(as_of)
        letters = [v for v in district.letters.values() if v.year == year]
        return self._registers(as_of).clauses_outside(letters, district.cadres)

    def record_reminder(
        self,
        *,
        to_cadre_id: UUID,
        subject: str,
        given_on: date,
        by_cadre_id: UUID | None = None,
        reminder_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A reminder (提醒) given by the recording clerk's unit (and, when named, by one of
        its cadres) to a cadre, about a subject."""
        reminder = Reminder.record(
            giver=self._cadre_or_none(by_cadre_id), reminded=self.load(to_cadre_id, Cadre),
            subject=subject, given_on=given_on, actor=actor, occurred_at=as_aware(occurred_at),
            reminder_id=reminder_id,
        )
        self.save_new(reminder, ConflictError(f"Reminder {reminder.id} already exists."))
        return reminder.id

    def record_talk(
        self,
        *,
        leader_cadre_id: UUID,
        subject: str,
        held_on: date,
        by_cadre_id: UUID | None = None,
        talk_id: UUID | None = None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A talk (约谈) held by the party committee or the commission (the recording clerk's
        unit) with a unit's leader."""
        talk = Talk.hold(
            talker=self._cadre_or_none(by_cadre_id), leader=self.load(leader_cadre_id, Cadre),
            subject=subject, held_on=held_on, actor=actor, occurred_at=as_aware(occurred_at),
            talk_id=talk_id,
        )
        self.save_new(talk, ConflictError(f"Talk {talk.id} already exists."))
        return talk.id

    def record_accountability_report(
        self,
        *,
        cadre_id: UUID,
        year: int,
        reported_on: date,
        given_to: str,
        summary: str = "",
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A leader's 述责述廉 of ``year``, given on a date to a body; recorded by the party
        committee or by the clerk of the leader's unit, once a year per leader."""
        leader = self.load(cadre_id, Cadre)
        self._check_keeps_register(actor, leader.unit_id)
        report = AccountabilityReport.give(
            leader=leader, year=year, reported_on=reported_on, given_to=given_to,
            summary=summary, actor=actor, occurred_at=as_aware(occurred_at),
        )
        duplicate = AccountabilityReportAlreadyGivenError(
            f"{leader.name}'s 述责述廉 report of {year} is already recorded."
        )
        self.save_new(report, duplicate)
        return report.id

    def reminders(
        self, year: int, *, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[ReminderView]:
        """Reminders given in ``year``; with ``unit_id``, those it gave or its cadres got."""
        return sorted(
            (r for r in self._registers(as_of).reminders.values()
             if r.given_on.year == year and unit_id in (None, r.by_unit_id, r.to_unit_id)),
            key=lambda r: (r.given_on, str(r.reminder_id)),
        )

    def talks(
        self, year: int, *, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[TalkView]:
        """Talks held in ``year``; with ``unit_id``, those it held or its leaders had."""
        return sorted(
            (t for t in self._registers(as_of).talks.values()
             if t.held_on.year == year and unit_id in (None, t.by_unit_id, t.unit_id)),
            key=lambda t: (t.held_on, str(t.talk_id)),
        )

    def accountability_reports(
        self, year: int, *, unit_id: UUID | None = None, as_of: date | None = None
    ) -> list[AccountabilityReportView]:
        """The 述责述廉 reports of ``year`` (of one unit's leaders, with ``unit_id``)."""
        return sorted(
            (r for r in self._registers(as_of).accountability_reports.values()
             if r.year == year and unit_id in (None, r.unit_id)),
            key=lambda r: (r.reported_on, str(r.cadre_id)),
        )

    def _registers(self, as_of: date | None = None) -> Registers:
        """The registers' read model, now or as of a business date."""
        return self.view(Registers, as_of)

    def _check_keeps_register(self, actor: Actor, unit_id: UUID) -> None:
        self.load(unit_id, Unit)
        actor_unit = self.find(actor.unit_id, Unit)
        check_keeps_register(
            actor, unit_id, actor_unit is not None and actor_unit.kind == "party_committee"
        )



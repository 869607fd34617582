"""The responsibility service's nameko entrypoints: validate, call the application, answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from nameko.rpc import rpc

from services.responsibility.application import LetterDraft, Responsibilities
from services.responsibility.commands import (
    AddIndividualClause,
    AsOf,
    BreakDownTask,
    CadreQuery,
    CompleteTask,
    CreateTask,
    DraftLetter,
    FlaggedQuery,
    LetterContent,
    LetterId,
    LetterQuery,
    OverdueQuery,
    PeriodQuery,
    RecordEducationActivity,
    RegisterCadre,
    RegisterUnit,
    ReportProgress,
    SetTopLeaderDuties,
    SignLetter,
    SupersedeLetter,
    TaskTreeQuery,
    YearQuery,
)
from shared import metrics
from shared.commands import parse_command
from shared.errors import DomainError
from shared.nameko_adapters import ApplicationProvider, ServiceEntrypoints
from shared.views import to_json

EXPECTED = (DomainError,)


def _draft(content: LetterContent) -> LetterDraft:
    return LetterDraft(
        year=content.year,
        issuer_unit_id=content.issuer_unit_id,
        signatory_unit_id=content.signatory_unit_id,
        signatory_cadre_id=content.signatory_cadre_id,
        common_clauses=list(content.common_clauses),
        individual_clauses=[c.model_dump() for c in content.individual_clauses],
        top_leader_duties=list(content.top_leader_duties),
        sign_by=content.sign_by,
    )


class ResponsibilityService(ServiceEntrypoints):
    name = "responsibility"
    app: Responsibilities = ApplicationProvider(Responsibilities)

    @rpc(expected_exceptions=EXPECTED)
    def register_unit(self, command: Any) -> str:
        c = parse_command(RegisterUnit, command)
        return str(self.app.register_unit(
            c.code, c.name, c.kind, c.parent_unit_id, c.acting, c.occurred_at
        ))

    @rpc(expected_exceptions=EXPECTED)
    def register_cadre(self, command: Any) -> str:
        c = parse_command(RegisterCadre, command)
        return str(self.app.register_cadre(
            c.person_id, c.name, c.unit_id, c.post_title, c.line_of_work,
            c.leadership_member, c.top_leader, c.acting, c.occurred_at,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def draft_letter(self, command: Any) -> str:
        c = parse_command(DraftLetter, command)
        return str(self.app.draft_letter(_draft(c.letter), c.acting, c.occurred_at, c.letter_id))

    @rpc(expected_exceptions=EXPECTED)
    def add_individual_clause(self, command: Any) -> None:
        c = parse_command(AddIndividualClause, command)
        self.app.add_individual_clause(c.letter_id, c.text, c.risk_point, c.acting, c.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def set_top_leader_duties(self, command: Any) -> None:
        c = parse_command(SetTopLeaderDuties, command)
        self.app.set_top_leader_duties(c.letter_id, list(c.duties), c.acting, c.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def sign_letter(self, command: Any) -> None:
        c = parse_command(SignLetter, command)
        self.app.sign_letter(
            c.letter_id, c.issuer_person_id, c.signatory_person_id, c.acting, c.occurred_at
        )
        if self.app.get_letter(c.letter_id).flagged_like is not None:
            metrics.LETTERS_FLAGGED.labels(self.name).inc()

    @rpc(expected_exceptions=EXPECTED)
    def supersede_letter(self, command: Any) -> str:
        c = parse_command(SupersedeLetter, command)
        return str(self.app.supersede_letter(
            c.letter_id, _draft(c.letter), c.acting, c.occurred_at, c.new_letter_id
        ))

    def record_gauges(self, as_of: date) -> None:
        metrics.TASKS_OVERDUE.labels(self.name).set(len(self.app.overdue_tasks(as_of)))

    @rpc(expected_exceptions=EXPECTED)
    def create_task(self, command: Any) -> str:
        c = parse_command(CreateTask, command)
        return str(self.app.create_task(
            c.year, c.title, c.requirement, c.lead_unit_id, list(c.co_unit_ids),
            c.responsible_cadre_id, c.deadline, c.acting, c.occurred_at, c.task_id,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def break_down_task(self, command: Any) -> str:
        c = parse_command(BreakDownTask, command)
        return str(self.app.break_down_task(
            c.parent_task_id, c.title, c.requirement, c.lead_unit_id, c.responsible_cadre_id,
            c.deadline, c.acting, c.occurred_at, c.task_id,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def report_progress(self, command: Any) -> None:
        c = parse_command(ReportProgress, command)
        self.app.report_progress(c.task_id, c.percent, c.note, c.acting, c.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def complete_task(self, command: Any) -> None:
        c = parse_command(CompleteTask, command)
        self.app.complete_task(c.task_id, c.note, c.acting, c.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def record_education_activity(self, command: Any) -> str:
        c = parse_command(RecordEducationActivity, command)
        return str(self.app.record_education_activity(
            c.kind, c.title, c.held_on, c.organiser_unit_id, c.participant_count, c.acting,
            c.occurred_at,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def list_units(self, query: Any = None) -> Any:
        q = parse_command(AsOf, query or {})
        return to_json(self.app.list_units(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def list_cadres(self, query: Any = None) -> Any:
        q = parse_command(CadreQuery, query or {})
        return to_json(self.app.list_cadres(q.unit_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def list_letters(self, query: Any = None) -> Any:
        q = parse_command(LetterQuery, query or {})
        return to_json(self.app.list_letters(q.year, q.unit_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def get_letter(self, query: Any) -> Any:
        q = parse_command(LetterId, query)
        return to_json(self.app.get_letter(q.letter_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def flagged_letters(self, query: Any) -> Any:
        q = parse_command(FlaggedQuery, query)
        return to_json(self.app.flagged_letters(q.year, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def task_tree(self, query: Any) -> Any:
        q = parse_command(TaskTreeQuery, query)
        return to_json(self.app.task_tree(q.unit_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def overdue_tasks(self, query: Any) -> Any:
        q = parse_command(OverdueQuery, query)
        return to_json(self.app.overdue_tasks(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def coverage(self, query: Any) -> Any:
        q = parse_command(YearQuery, query)
        coverage = self.app.coverage(q.year, q.as_of)
        return {**to_json(coverage), "complete": coverage.complete}

    @rpc(expected_exceptions=EXPECTED)
    def education_totals(self, query: Any) -> Any:
        q = parse_command(PeriodQuery, query)
        return to_json(self.app.education_totals(q.start, q.end, q.as_of))


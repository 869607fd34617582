"""The responsibility service's nameko entrypoints: validate, call the application, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.responsibility.application import LetterDraft, Responsibilities
from services.responsibility.commands import (
    AddIndividualClause,
    CadreQuery,
    DraftLetter,
    LetterContent,
    LetterId,
    LetterQuery,
    RegisterCadre,
    RegisterUnit,
    SetTopLeaderDuties,
    SignLetter,
    SupersedeLetter,
)
from shared.clock import utcnow
from shared.commands import CheckDeadlines, EventsAfter, parse_command
from shared.errors import DomainError
from shared.nameko_adapters import ApplicationProvider
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


class ResponsibilityService:
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

    @rpc(expected_exceptions=EXPECTED)
    def supersede_letter(self, command: Any) -> str:
        c = parse_command(SupersedeLetter, command)
        return str(self.app.supersede_letter(
            c.letter_id, _draft(c.letter), c.acting, c.occurred_at, c.new_letter_id
        ))

    @rpc(expected_exceptions=EXPECTED)
    def check_deadlines(self, command: Any) -> list[str]:
        c = parse_command(CheckDeadlines, command)
        return [str(i) for i in self.app.check_deadlines(c.as_of)]

    @timer(interval=3600)
    def check_deadlines_now(self) -> None:
        self.app.check_deadlines(utcnow())

    @rpc(expected_exceptions=EXPECTED)
    def list_units(self, query: Any = None) -> Any:
        return to_json(self.app.list_units())

    @rpc(expected_exceptions=EXPECTED)
    def list_cadres(self, query: Any = None) -> Any:
        q = parse_command(CadreQuery, query or {})
        return to_json(self.app.list_cadres(q.unit_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_letters(self, query: Any = None) -> Any:
        q = parse_command(LetterQuery, query or {})
        return to_json(self.app.list_letters(q.year, q.unit_id))

    @rpc(expected_exceptions=EXPECTED)
    def get_letter(self, query: Any) -> Any:
        q = parse_command(LetterId, query)
        return to_json(self.app.get_letter(q.letter_id))

    @rpc(expected_exceptions=EXPECTED)
    def events_after(self, query: Any = None) -> list[dict[str, Any]]:
        q = parse_command(EventsAfter, query or {})
        return self.app.events_after(q.after, q.limit)

    @rpc
    def ping(self) -> str:
        return datetime.now().isoformat()

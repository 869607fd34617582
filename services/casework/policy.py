"""What casework learns from its upstreams (docs/reliability.md): from responsibility, cadres
and responsibility letters (for 回避, the party secretary's approval and 一案双查); from
supervision, rectification notices escalated (a transferred petition, or an accountability
examination); from funds, matters referred (a transferred petition). Each is kept under an id
derived from the upstream event's subject, so an event applied twice creates nothing more (the
kit's tracking already applies each once, in order)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from services.casework.domain.accountability import AccountabilityExamination
from services.casework.domain.files import CadreFile, LetterFile
from services.casework.domain.ids import derived_id
from services.casework.domain.petitions import Petition
from services.casework.settings import CaseworkSettings
from services.casework.views import CaseworkView
from shared.application import ServiceApplication
from shared.contracts.funds import MatterReferredToCasework
from shared.contracts.responsibility import (
    CadreRegistered,
    LetterDrafted,
    LetterIndividualClauseAdded,
    LetterSigned,
    LetterSuperseded,
    LetterTopLeaderDutiesSet,
)
from shared.contracts.supervision import RectificationNoticeEscalated
from shared.policy import UpstreamEvent, reacts_to

log = logging.getLogger(__name__)


def lead_id_for(source: str, source_id: object) -> Any:
    return derived_id(f"lead:{source}:{source_id}")


def transferred_petition_id(service: str, source_id: object) -> Any:
    return derived_id(f"petition:transferred:{service}:{source_id}")


def examination_id_for(source: str, source_id: object) -> Any:
    return derived_id(f"accountability:{source}:{source_id}")


class LearnsFromUpstreams(ServiceApplication[CaseworkView]):
    """The casework application's reactions to its upstreams' events."""

    settings: CaseworkSettings

    # Responsibility.

    @reacts_to(CadreRegistered)
    def learn_cadre(self, event: UpstreamEvent[CadreRegistered]) -> list[CadreFile]:
        cadre = event.data
        if CadreFile.create_id(cadre.cadre_id) in self.repository:
            return []
        return [CadreFile(cadre_id=cadre.cadre_id, person_id=cadre.person_id,
                          unit_id=cadre.unit_id, top_leader=cadre.top_leader,
                          upstream_event_id=event.id, actor=event.actor,
                          occurred_at=event.time, line_of_work=cadre.line_of_work)]

    @reacts_to(LetterDrafted)
    def learn_letter(self, event: UpstreamEvent[LetterDrafted]) -> list[LetterFile]:
        letter = event.data
        if LetterFile.create_id(letter.letter_id) in self.repository:
            return []
        return [LetterFile(
            letter_id=letter.letter_id, year=letter.year,
            signatory_unit_id=letter.signatory_unit_id,
            signatory_cadre_id=letter.signatory_cadre_id,
            common_clauses=list(letter.common_clauses),
            individual_clauses=[c.text for c in letter.individual_clauses],
            top_leader_duties=list(letter.top_leader_duties), upstream_event_id=event.id,
            actor=event.actor, occurred_at=event.time,
            individual_risk_points=[c.risk_point for c in letter.individual_clauses],
        )]

    def _letter(self, letter_id: Any, what: str) -> LetterFile | None:
        found = self.find(LetterFile.create_id(letter_id), LetterFile)
        if found is None:
            log.warning("%s of letter %s, which casework never learned", what, letter_id)
        return found

    @reacts_to(LetterIndividualClauseAdded)
    def learn_clause(self, event: UpstreamEvent[LetterIndividualClauseAdded]) -> list[LetterFile]:
        letter = self._letter(event.data.letter_id, "a clause")
        if letter is None:
            return []
        letter.learn_clause(text=event.data.text, upstream_event_id=event.id,
                            actor=event.actor, occurred_at=event.time,
                            risk_point=event.data.risk_point)
        return [letter]

    @reacts_to(LetterTopLeaderDutiesSet)
    def learn_duties(self, event: UpstreamEvent[LetterTopLeaderDutiesSet]) -> list[LetterFile]:
        letter = self._letter(event.data.letter_id, "top-leader duties")
        if letter is None:
            return []
        letter.learn_duties(duties=list(event.data.duties), upstream_event_id=event.id,
                            actor=event.actor, occurred_at=event.time)
        return [letter]

    @reacts_to(LetterSigned)
    def learn_signing(self, event: UpstreamEvent[LetterSigned]) -> list[LetterFile]:
        letter = self._letter(event.data.letter_id, "the signing")
        if letter is None or letter.signed:
            return []
        letter.learn_signing(upstream_event_id=event.id, actor=event.actor,
                             occurred_at=event.time)
        return [letter]

    @reacts_to(LetterSuperseded)
    def learn_superseding(self, event: UpstreamEvent[LetterSuperseded]) -> list[LetterFile]:
        letter = self._letter(event.data.letter_id, "the superseding")
        if letter is None or letter.superseded:
            return []
        letter.learn_superseding(superseded_by=event.data.superseded_by,
                                 upstream_event_id=event.id, actor=event.actor,
                                 occurred_at=event.time)
        return [letter]

    # Supervision.

    @reacts_to(RectificationNoticeEscalated)
    def take_escalated_notice(
        self, event: UpstreamEvent[RectificationNoticeEscalated]
    ) -> list[Petition | AccountabilityExamination]:
        """An ignored notice routed to accountability opens an examination of the unit's
        leaders; one routed to a case lead arrives as a transferred petition, accepted (or not)
        by the petitions office like any other."""
        notice = event.data
        problems = "; ".join(p.description for p in notice.problems)
        # A notice to a cadre reports that cadre (the person, as responsibility registered).
        cadre = None if notice.recipient_cadre_id is None else self.find(
            CadreFile.create_id(notice.recipient_cadre_id), CadreFile)
        if notice.route == "accountability":
            examination_id = examination_id_for("notice", notice.notice_id)
            if examination_id in self.repository:
                return []
            # A notice to a cadre in charge of a line of work examines that area; a notice to
            # a unit, or to its top leader, the whole unit.
            area = None if cadre is None or cadre.top_leader else cadre.line_of_work or None
            return [AccountabilityExamination(
                id=examination_id, source="notice", source_id=notice.notice_id,
                unit_id=notice.recipient_unit_id,
                reason=f"rectification notice not rectified: {notice.reason} ({problems})",
                source_event_id=event.id, actor=event.actor, occurred_at=event.time,
                area=area,
            )]
        return self._transferred(
            event, "supervision", notice.notice_id, notice.recipient_unit_id,
            None if cadre is None else cadre.person_id, notice.recipient_cadre_id,
            f"escalated rectification notice: {notice.reason} ({problems})")

    # Funds.

    @reacts_to(MatterReferredToCasework)
    def take_funds_referral(
        self, event: UpstreamEvent[MatterReferredToCasework]
    ) -> list[Petition | AccountabilityExamination]:
        referral = event.data
        return self._transferred(
            event, "funds", referral.referral_id, referral.unit_id, None, None,
            f"funds {referral.source} referred: {referral.summary}")

    def _transferred(
        self, event: UpstreamEvent[Any], service: str, source_id: UUID,
        unit_id: UUID | None, person_id: UUID | None, cadre_id: UUID | None, summary: str,
    ) -> list[Petition | AccountabilityExamination]:
        """A transferred petition (信访举报, channel ``transferred``), under an id derived from
        the upstream record, so a duplicate delivery creates nothing more. Its handling limit
        runs from the upstream act; no reporter is known to casework, so none is told."""
        petition_id = transferred_petition_id(service, source_id)
        if petition_id in self.repository:
            return []
        handling_due = self.settings.add_working_days(
            event.time.date(), self.settings.handling_working_days)
        return [Petition(
            id=petition_id, channel="transferred", anonymous=True, reporter_id=None,
            reported_unit_id=unit_id, reported_person_id=person_id, summary=summary,
            repeat_of=None, source_event_id=event.id, handling_due=handling_due,
            acceptance_notice_due=None, actor=event.actor, occurred_at=event.time,
            transferred_from=service, source_id=source_id, reported_cadre_id=cadre_id,
        )]

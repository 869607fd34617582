"""What casework learns from its upstreams (docs/reliability.md): from responsibility, cadres
and responsibility letters (for 回避, the party secretary's approval and 一案双查); from
supervision, rectification notices escalated (a case lead, or an accountability examination);
from funds, matters referred (a lead). Each is kept under an id derived from the upstream
event's subject, so an event applied twice creates nothing more (the kit's tracking already
applies each once, in order)."""

from __future__ import annotations

import logging
from typing import Any

from services.casework.domain.accountability import AccountabilityExamination
from services.casework.domain.files import CadreFile, LetterFile
from services.casework.domain.ids import derived_id
from services.casework.domain.leads import Lead
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


def examination_id_for(source: str, source_id: object) -> Any:
    return derived_id(f"accountability:{source}:{source_id}")


class LearnsFromUpstreams(ServiceApplication[CaseworkView]):
    """The casework application's reactions to its upstreams' events."""

    # Responsibility.

    @reacts_to(CadreRegistered)
    def learn_cadre(self, event: UpstreamEvent[CadreRegistered]) -> list[CadreFile]:
        cadre = event.data
        if CadreFile.create_id(cadre.cadre_id) in self.repository:
            return []
        return [CadreFile(cadre_id=cadre.cadre_id, person_id=cadre.person_id,
                          unit_id=cadre.unit_id, top_leader=cadre.top_leader,
                          upstream_event_id=event.id, actor=event.actor,
                          occurred_at=event.time)]

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
                            actor=event.actor, occurred_at=event.time)
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
    ) -> list[Lead | AccountabilityExamination]:
        notice = event.data
        problems = "; ".join(p.description for p in notice.problems)
        if notice.route == "accountability":
            examination_id = examination_id_for("notice", notice.notice_id)
            if examination_id in self.repository:
                return []
            return [AccountabilityExamination(
                id=examination_id, source="notice", source_id=notice.notice_id,
                unit_id=notice.recipient_unit_id,
                reason=f"rectification notice not rectified: {notice.reason} ({problems})",
                source_event_id=event.id, actor=event.actor, occurred_at=event.time,
            )]
        lead_id = lead_id_for("supervision", notice.notice_id)
        if lead_id in self.repository:
            return []
        # A notice to a cadre reports that cadre (the person, as responsibility registered).
        cadre = None if notice.recipient_cadre_id is None else self.find(
            CadreFile.create_id(notice.recipient_cadre_id), CadreFile)
        return [Lead(
            id=lead_id, source="supervision", source_id=notice.notice_id,
            source_event_id=event.id, reported_unit_id=notice.recipient_unit_id,
            reported_person_id=None if cadre is None else cadre.person_id,
            reported_cadre_id=notice.recipient_cadre_id,
            summary=f"escalated rectification notice: {notice.reason} ({problems})",
            actor=event.actor, occurred_at=event.time,
        )]

    # Funds.

    @reacts_to(MatterReferredToCasework)
    def take_funds_referral(self, event: UpstreamEvent[MatterReferredToCasework]) -> list[Lead]:
        referral = event.data
        lead_id = lead_id_for("funds", referral.referral_id)
        if lead_id in self.repository:
            return []
        return [Lead(
            id=lead_id, source="funds", source_id=referral.referral_id,
            source_event_id=event.id, reported_unit_id=referral.unit_id,
            reported_person_id=None, reported_cadre_id=None,
            summary=f"funds {referral.source} referred: {referral.summary}",
            actor=event.actor, occurred_at=event.time,
        )]

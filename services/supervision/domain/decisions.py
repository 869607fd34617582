"""Major decisions traced step by step for disclosure (党务公开, traceable management)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, get_args
from uuid import UUID

from eventsourcing.domain import event

from shared.actors import Actor
from shared.contracts.supervision import DisclosureStep
from shared.domain import DomainAggregate
from shared.errors import DomainError, NotFoundError

# In the order they are taken.
DISCLOSURE_STEPS: tuple[DisclosureStep, ...] = get_args(DisclosureStep)
STEP_WORDS: dict[DisclosureStep, str] = {
    "topic_collected": "topic collected",
    "decided": "decided at a meeting",
    "result_published": "result published",
    "execution_supervised": "execution supervised",
}


class DecisionNotFoundError(NotFoundError):
    pass


class DisclosureStepOutOfOrderError(DomainError):
    pass


def trail_complete(step: str) -> bool:
    """A decision's trail is complete once its execution has been supervised."""
    return step == DISCLOSURE_STEPS[-1]


class MajorDecision(DomainAggregate):
    """A major decision traced step by step: topic collected → decided at a meeting → result
    published → execution supervised (the last step may be repeated, once per check)."""

    noun: ClassVar[str] = "major decision"
    NotFound: ClassVar[type[NotFoundError]] = DecisionNotFoundError

    @classmethod
    def not_found(cls, aggregate_id: object) -> NotFoundError:
        return DecisionNotFoundError(
            f"No major decision {aggregate_id}: its trail starts with collecting the topic."
        )

    @event("TopicCollected")
    def __init__(
        self,
        id: UUID,
        unit_id: UUID,
        topic: str,
        collected_from: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.unit_id = unit_id
        self.topic = topic
        self.step: DisclosureStep = "topic_collected"
        self.step_at = occurred_at

    def check_next_step(self, step: DisclosureStep, occurred_at: datetime) -> None:
        current = DISCLOSURE_STEPS.index(self.step)
        wanted = DISCLOSURE_STEPS.index(step)
        repeat = step == self.step == "execution_supervised"
        if wanted <= current and not repeat:
            msg = (
                f"The decision on {self.topic!r} was already {STEP_WORDS[step]}; the trail "
                f"so far ends at {STEP_WORDS[self.step]!r}."
            )
            raise DisclosureStepOutOfOrderError(msg)
        if wanted > current + 1:
            needed = STEP_WORDS[DISCLOSURE_STEPS[max(wanted - 1, 0)]]
            msg = (
                f"The decision on {self.topic!r} cannot be recorded as {STEP_WORDS[step]}: "
                f"that step follows {needed!r}, and the trail so far ends at "
                f"{STEP_WORDS[self.step]!r}. The order is topic collected → decided at a "
                "meeting → result published → execution supervised."
            )
            raise DisclosureStepOutOfOrderError(msg)
        if occurred_at < self.step_at:
            msg = (
                f"The decision on {self.topic!r} cannot be {STEP_WORDS[step]} on "
                f"{occurred_at:%Y-%m-%d}, before it was {STEP_WORDS[self.step]} on "
                f"{self.step_at:%Y-%m-%d}."
            )
            raise DisclosureStepOutOfOrderError(msg)

    def decide(self, meeting: str, decision: str, actor: Actor, occurred_at: datetime) -> None:
        self.check_next_step("decided", occurred_at)
        self._decided(meeting=meeting, decision=decision, actor=actor, occurred_at=occurred_at)

    @event("DecidedAtMeeting")
    def _decided(self, meeting: str, decision: str, actor: Actor, occurred_at: datetime) -> None:
        self.step = "decided"
        self.step_at = occurred_at

    def publish_result(
        self, channel: str, summary: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.check_next_step("result_published", occurred_at)
        self._result_published(
            channel=channel, summary=summary, actor=actor, occurred_at=occurred_at
        )

    @event("ResultPublished")
    def _result_published(
        self, channel: str, summary: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.step = "result_published"
        self.step_at = occurred_at

    def supervise_execution(self, findings: str, actor: Actor, occurred_at: datetime) -> None:
        self.check_next_step("execution_supervised", occurred_at)
        self._execution_supervised(findings=findings, actor=actor, occurred_at=occurred_at)

    @event("ExecutionSupervised")
    def _execution_supervised(self, findings: str, actor: Actor, occurred_at: datetime) -> None:
        self.step = "execution_supervised"
        self.step_at = occurred_at

"""What supervision learns from the responsibility service's events (docs/reliability.md): its
units, cadres and tasks, kept under ids derived from theirs so that learning one twice changes
nothing, and a follow-up item for the next inspection of a task's lead unit when the task
goes overdue."""

from __future__ import annotations

import logging

from services.supervision.domain import CadreFile, TaskWatch, UnitFile
from services.supervision.views import Overview
from shared.application import ServiceApplication
from shared.contracts.responsibility import (
    CadreRegistered,
    TaskCreated,
    TaskOverdue,
    UnitRegistered,
)
from shared.policy import UpstreamEvent, reacts_to

log = logging.getLogger(__name__)


class LearnsFromResponsibility(ServiceApplication[Overview]):
    """The supervision application's reactions to the responsibility service's events."""

    @reacts_to(UnitRegistered)
    def learn_unit(self, event: UpstreamEvent[UnitRegistered]) -> list[UnitFile]:
        unit = event.data
        if UnitFile.create_id(unit.unit_id) in self.repository:
            return []
        return [UnitFile(
            unit_id=unit.unit_id, code=unit.code, name=unit.name, kind=unit.kind,
            parent_unit_id=unit.parent_unit_id, upstream_event_id=event.id,
            actor=event.actor, occurred_at=event.time,
        )]

    @reacts_to(CadreRegistered)
    def learn_cadre(self, event: UpstreamEvent[CadreRegistered]) -> list[CadreFile]:
        cadre = event.data
        if CadreFile.create_id(cadre.cadre_id) in self.repository:
            return []
        return [CadreFile(
            cadre_id=cadre.cadre_id, person_id=cadre.person_id, name=cadre.name,
            unit_id=cadre.unit_id, upstream_event_id=event.id, actor=event.actor,
            occurred_at=event.time,
        )]

    @reacts_to(TaskCreated)
    def watch_task(self, event: UpstreamEvent[TaskCreated]) -> list[TaskWatch]:
        task = event.data
        if TaskWatch.create_id(task.task_id) in self.repository:
            return []
        return [TaskWatch(
            task_id=task.task_id, lead_unit_id=task.lead_unit_id, title=task.title,
            deadline=task.deadline, upstream_event_id=event.id, actor=event.actor,
            occurred_at=event.time,
        )]

    @reacts_to(TaskOverdue)
    def follow_up_overdue_task(self, event: UpstreamEvent[TaskOverdue]) -> list[UnitFile]:
        overdue = event.data
        watch = self.find(TaskWatch.create_id(overdue.task_id), TaskWatch)
        unit_file = None
        if watch is not None:
            unit_file = self.find(UnitFile.create_id(watch.lead_unit_id), UnitFile)
        if watch is None or unit_file is None:
            log.warning(
                "task %s went overdue but its task or lead unit is unknown", overdue.task_id
            )
            return []
        opened = unit_file.open_follow_up(
            task_id=overdue.task_id, task_title=watch.title, task_deadline=overdue.deadline,
            upstream_event_id=event.id, actor=event.actor, occurred_at=event.time,
        )
        return [unit_file] if opened else []

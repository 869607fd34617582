"""The supervision service's nameko entrypoints: validate, call the application, answer; and
the consumer of the responsibility service's events."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.supervision import commands as c
from services.supervision.application import (
    InspectionReport,
    KeyProject,
    ProblemFound,
    Supervision,
)
from shared import metrics
from shared.commands import parse_command
from shared.errors import DomainError
from shared.feed import Policy, UpstreamFeed
from shared.nameko_adapters import (
    ApplicationProvider,
    ServiceEntrypoints,
    UpstreamFeeds,
    rpc_pull,
    upstream_handler,
)
from shared.persistence import ServiceApplication
from shared.views import to_json

EXPECTED = (DomainError,)
UPSTREAM = "responsibility"
PULL_RETRY_SECONDS = 5


def _report(model: c.InspectionReport) -> InspectionReport:
    return InspectionReport(
        leader_person_id=model.leader_person_id, leader_name=model.leader_name,
        location=model.location, held_on=model.held_on, unit_ids=list(model.unit_ids),
        problems=[ProblemFound(p.category, p.description, p.unit_id, p.cadre_id)
                  for p in model.problems],
        summary=model.summary,
    )


def _responsibility_policy(app: ServiceApplication) -> Policy:
    assert isinstance(app, Supervision)
    return app.policy_for_responsibility


class SupervisionService(ServiceEntrypoints):
    name = "supervision"
    app: Supervision = ApplicationProvider(Supervision)
    feeds: dict[str, UpstreamFeed] = UpstreamFeeds(
        cast(Any, app), {UPSTREAM: _responsibility_policy}
    )
    responsibility = RpcProxy(UPSTREAM)

    # Upstream events.

    @upstream_handler(UPSTREAM)
    def on_responsibility_event(self, cloud_event: Any) -> str:
        return self.feeds[UPSTREAM].deliver(cloud_event, rpc_pull(self.responsibility))

    @timer(interval=PULL_RETRY_SECONDS)
    def pull_upstreams(self) -> None:
        # Also covers an event that was never delivered at all: a pull is cheap when current.
        self.feeds[UPSTREAM].pull(rpc_pull(self.responsibility))

    # Inspections.

    @rpc(expected_exceptions=EXPECTED)
    def publish_key_project_list(self, command: Any) -> str:
        m = parse_command(c.PublishKeyProjectList, command)
        projects = [KeyProject(p.code, p.name, p.lead_unit_id) for p in m.projects]
        return str(self.app.publish_key_project_list(
            m.year, m.name, projects, m.acting, m.occurred_at, m.project_list_id
        ))

    @rpc(expected_exceptions=EXPECTED)
    def add_key_project(self, command: Any) -> None:
        m = parse_command(c.AddKeyProject, command)
        p = m.project
        self.app.add_key_project(
            m.project_list_id, KeyProject(p.code, p.name, p.lead_unit_id), m.acting, m.occurred_at
        )

    @rpc(expected_exceptions=EXPECTED)
    def record_inspection(self, command: Any) -> str:
        m = parse_command(c.RecordInspection, command)
        return str(self.app.record_inspection(
            m.kind, _report(m.report), m.acting, m.occurred_at, m.project_list_id,
            m.project_code, m.inspection_id,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def schedule_unannounced_visit(self, command: Any) -> str:
        m = parse_command(c.ScheduleUnannouncedVisit, command)
        return str(self.app.schedule_unannounced_visit(m.acting, m.occurred_at, m.visit_id))

    @rpc(expected_exceptions=EXPECTED)
    def conduct_unannounced_visit(self, command: Any) -> None:
        m = parse_command(c.ConductUnannouncedVisit, command)
        self.app.conduct_unannounced_visit(m.visit_id, _report(m.report), m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_unannounced_visit(self, command: Any) -> None:
        m = parse_command(c.CancelUnannouncedVisit, command)
        self.app.cancel_unannounced_visit(m.visit_id, m.acting, m.occurred_at)

    # Rectification notices.

    @rpc(expected_exceptions=EXPECTED)
    def issue_notice(self, command: Any) -> str:
        m = parse_command(c.IssueNotice, command)
        return str(self.app.issue_notice(
            m.recipient_unit_id, list(m.problem_ids), m.deadline, m.self_examination_required,
            m.acting, m.occurred_at, m.recipient_cadre_id, m.notice_id,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def acknowledge_notice(self, command: Any) -> None:
        m = parse_command(c.AcknowledgeNotice, command)
        self.app.acknowledge_notice(m.notice_id, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def report_rectification(self, command: Any) -> None:
        m = parse_command(c.ReportRectification, command)
        self.app.report_rectification(
            m.notice_id, m.report, m.acting, m.occurred_at, m.self_examination
        )

    @rpc(expected_exceptions=EXPECTED)
    def verify_rectification(self, command: Any) -> None:
        m = parse_command(c.VerifyRectification, command)
        self.app.verify_rectification(m.notice_id, m.note, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def send_back_rectification(self, command: Any) -> None:
        m = parse_command(c.SendBackRectification, command)
        self.app.send_back_rectification(m.notice_id, m.reason, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def close_notice(self, command: Any) -> None:
        m = parse_command(c.CloseNotice, command)
        self.app.close_notice(m.notice_id, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def escalate_notice(self, command: Any) -> None:
        m = parse_command(c.EscalateNotice, command)
        self.app.escalate_notice(m.notice_id, m.reason, m.acting, m.occurred_at)

    # Bulletins, quarterly reports, disclosure.

    @rpc(expected_exceptions=EXPECTED)
    def issue_bulletin(self, command: Any) -> str:
        m = parse_command(c.IssueBulletin, command)
        return str(self.app.issue_bulletin(
            m.kind, m.request_id, m.title, m.summary, m.acting, m.occurred_at,
            list(m.problem_ids), list(m.notice_ids), m.meeting,
        ))

    @rpc(expected_exceptions=EXPECTED)
    def submit_quarterly_report(self, command: Any) -> None:
        m = parse_command(c.SubmitQuarterlyReport, command)
        self.app.submit_quarterly_report(
            m.unit_id, m.year, m.quarter, m.summary, m.acting, m.occurred_at
        )

    @rpc(expected_exceptions=EXPECTED)
    def collect_topic(self, command: Any) -> str:
        m = parse_command(c.CollectTopic, command)
        return str(self.app.collect_topic(
            m.unit_id, m.topic, m.collected_from, m.acting, m.occurred_at, m.decision_id
        ))

    @rpc(expected_exceptions=EXPECTED)
    def decide_at_meeting(self, command: Any) -> None:
        m = parse_command(c.DecideAtMeeting, command)
        self.app.decide_at_meeting(m.decision_id, m.meeting, m.decision, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def publish_decision_result(self, command: Any) -> None:
        m = parse_command(c.PublishDecisionResult, command)
        self.app.publish_decision_result(
            m.decision_id, m.channel, m.summary, m.acting, m.occurred_at
        )

    @rpc(expected_exceptions=EXPECTED)
    def supervise_decision_execution(self, command: Any) -> None:
        m = parse_command(c.SuperviseDecisionExecution, command)
        self.app.supervise_decision_execution(m.decision_id, m.findings, m.acting, m.occurred_at)

    @rpc(expected_exceptions=EXPECTED)
    def install_disclosure_board(self, command: Any) -> str:
        m = parse_command(c.InstallDisclosureBoard, command)
        return str(self.app.install_disclosure_board(
            m.community_id, m.location, m.acting, m.occurred_at
        ))

    @rpc(expected_exceptions=EXPECTED)
    def post_to_disclosure_board(self, command: Any) -> None:
        m = parse_command(c.PostToDisclosureBoard, command)
        self.app.post_to_disclosure_board(m.community_id, m.content, m.acting, m.occurred_at)

    # The clock.

    def record_gauges(self, as_of: date) -> None:
        by_colour: dict[str, int] = {"green": 0, "blue": 0, "yellow": 0, "red": 0}
        for item in self.app.open_notices(as_of):
            by_colour[item.colour] = by_colour.get(item.colour, 0) + 1
        for colour, count in by_colour.items():
            metrics.NOTICES_OPEN.labels(self.name, colour).set(count)
        metrics.NOTICES_OVERDUE.labels(self.name).set(by_colour["red"])
        quarter = (as_of.month - 1) // 3 + 1
        missing = [
            r for r in self.app.quarterly_compliance(as_of.year, quarter, as_of)
            if r.status == "missing"
        ]
        metrics.REPORTS_MISSING.labels(self.name).set(len(missing))

    # Queries.

    @rpc(expected_exceptions=EXPECTED)
    def list_units(self, query: Any = None) -> Any:
        q = parse_command(c.AsOf, query or {})
        return to_json(self.app.list_units(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def list_inspections(self, query: Any) -> Any:
        q = parse_command(c.InspectionQuery, query)
        return to_json(self.app.list_inspections(q.start, q.end, q.unit_id, q.kind, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def get_notice(self, query: Any) -> Any:
        q = parse_command(c.NoticeId, query)
        return to_json(self.app.get_notice(q.notice_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def open_notices(self, query: Any) -> Any:
        q = parse_command(c.NoticeQuery, query)
        return to_json(self.app.open_notices(q.as_of, q.unit_id, q.colour))

    @rpc(expected_exceptions=EXPECTED)
    def open_notices_by_unit(self, query: Any) -> Any:
        q = parse_command(c.OnDay, query)
        return to_json(self.app.open_notices_by_unit(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def overdue_notices(self, query: Any) -> Any:
        q = parse_command(c.OnDay, query)
        return to_json(self.app.overdue_notices(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def get_bulletin(self, query: Any) -> Any:
        q = parse_command(c.BulletinId, query)
        return to_json(self.app.get_bulletin(q.bulletin_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def bulletin_register(self, query: Any) -> Any:
        q = parse_command(c.BulletinRegisterQuery, query)
        return to_json(self.app.bulletin_register(q.year, q.kind, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def quarterly_compliance(self, query: Any) -> Any:
        q = parse_command(c.ComplianceQuery, query)
        return to_json(self.app.quarterly_compliance(q.year, q.quarter, q.as_of, q.unit_id))

    @rpc(expected_exceptions=EXPECTED)
    def get_decision(self, query: Any) -> Any:
        q = parse_command(c.DecisionId, query)
        return to_json(self.app.get_decision(q.decision_id, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def list_decisions(self, query: Any = None) -> Any:
        q = parse_command(c.DecisionQuery, query or {})
        return to_json(self.app.list_decisions(q.unit_id, q.incomplete_only, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def disclosure_coverage(self, query: Any) -> Any:
        q = parse_command(c.OnDay, query)
        return to_json(self.app.disclosure_coverage(q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def period_counts(self, query: Any) -> Any:
        q = parse_command(c.PeriodQuery, query)
        return to_json(self.app.period_counts(q.start, q.end, q.as_of))

    @rpc(expected_exceptions=EXPECTED)
    def open_follow_ups(self, query: Any = None) -> Any:
        q = parse_command(c.FollowUpQuery, query or {})
        return to_json(self.app.open_follow_ups(q.as_of, q.unit_id))

    @rpc(expected_exceptions=EXPECTED)
    def upstream_position(self, query: Any = None) -> dict[str, int]:
        return {UPSTREAM: self.feeds[UPSTREAM].position()}


"""The supervision service's RPC interface: which command goes to which use case.

The kit adds the catch-up query, the clock, ``ping``, the metrics and the consumer of the
responsibility service's events (docs/architecture.md, "Inside a service").
"""

from services.supervision import DECLARATION
from services.supervision import commands as c
from services.supervision.application import Supervision as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query


class SupervisionService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    # Inspections.
    publish_key_project_list = command(c.PublishKeyProjectList, App.publish_key_project_list)
    add_key_project = command(c.AddKeyProject, App.add_key_project)
    record_inspection = command(c.RecordInspection, App.record_inspection)
    schedule_unannounced_visit = command(
        c.ScheduleUnannouncedVisit, App.schedule_unannounced_visit
    )
    conduct_unannounced_visit = command(c.ConductUnannouncedVisit, App.conduct_unannounced_visit)
    cancel_unannounced_visit = command(c.CancelUnannouncedVisit, App.cancel_unannounced_visit)

    # Rectification notices.
    issue_notice = command(c.IssueNotice, App.issue_notice)
    acknowledge_notice = command(c.AcknowledgeNotice, App.acknowledge_notice)
    report_rectification = command(c.ReportRectification, App.report_rectification)
    verify_rectification = command(c.VerifyRectification, App.verify_rectification)
    send_back_rectification = command(c.SendBackRectification, App.send_back_rectification)
    close_notice = command(c.CloseNotice, App.close_notice)
    escalate_notice = command(c.EscalateNotice, App.escalate_notice)

    # Bulletins and quarterly reports.
    issue_bulletin = command(c.IssueBulletin, App.issue_bulletin)
    submit_quarterly_report = command(c.SubmitQuarterlyReport, App.submit_quarterly_report)

    # Disclosure.
    collect_topic = command(c.CollectTopic, App.collect_topic)
    decide_at_meeting = command(c.DecideAtMeeting, App.decide_at_meeting)
    publish_decision_result = command(c.PublishDecisionResult, App.publish_decision_result)
    supervise_decision_execution = command(
        c.SuperviseDecisionExecution, App.supervise_decision_execution
    )
    install_disclosure_board = command(c.InstallDisclosureBoard, App.install_disclosure_board)
    post_to_disclosure_board = command(c.PostToDisclosureBoard, App.post_to_disclosure_board)

    # Queries.
    list_units = query(c.AsOf, App.list_units)
    list_inspections = query(c.InspectionQuery, App.list_inspections)
    get_notice = query(c.NoticeId, App.get_notice)
    open_notices = query(c.NoticeQuery, App.open_notices)
    open_notices_by_unit = query(c.OnDay, App.open_notices_by_unit)
    overdue_notices = query(c.OnDay, App.overdue_notices)
    get_bulletin = query(c.BulletinId, App.get_bulletin)
    bulletin_register = query(c.BulletinRegisterQuery, App.bulletin_register)
    quarterly_compliance = query(c.ComplianceQuery, App.quarterly_compliance)
    get_decision = query(c.DecisionId, App.get_decision)
    list_decisions = query(c.DecisionQuery, App.list_decisions)
    disclosure_coverage = query(c.OnDay, App.disclosure_coverage)
    period_counts = query(c.PeriodQuery, App.period_counts)
    open_follow_ups = query(c.FollowUpQuery, App.open_follow_ups)

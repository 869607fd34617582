"""The supervision service's RPC interface: which command goes to which use case.

The kit adds the catch-up query, the clock, ``ping``, the metrics and the consumer of the
responsibility service's events (docs/architecture.md, "Inside a service").
"""

from services.supervision import DECLARATION
from services.supervision import commands as c
from services.supervision.application import Supervision as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query
from shared.roles import CADRE, DISCIPLINE_COMMISSION, PARTY_COMMITTEE, READERS, UNIT_CLERK

# Who may call what (docs/roles.md); every query is open to the readers.
DISCLOSERS = (PARTY_COMMITTEE, UNIT_CLERK)
COMMISSION = (DISCIPLINE_COMMISSION,)
RECIPIENTS = (UNIT_CLERK, CADRE)
UNITS = (UNIT_CLERK,)


class SupervisionService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    # Inspections.
    publish_key_project_list = command(
        c.PublishKeyProjectList, App.publish_key_project_list, roles=COMMISSION
    )
    add_key_project = command(c.AddKeyProject, App.add_key_project, roles=COMMISSION)
    record_inspection = command(c.RecordInspection, App.record_inspection, roles=COMMISSION)
    schedule_unannounced_visit = command(
        c.ScheduleUnannouncedVisit,
        App.schedule_unannounced_visit,
        roles=COMMISSION,
        confidential=True,
    )
    conduct_unannounced_visit = command(
        c.ConductUnannouncedVisit, App.conduct_unannounced_visit, roles=COMMISSION
    )
    cancel_unannounced_visit = command(
        c.CancelUnannouncedVisit, App.cancel_unannounced_visit, roles=COMMISSION, confidential=True
    )

    # Rectification notices.
    issue_notice = command(c.IssueNotice, App.issue_notice, roles=COMMISSION)
    acknowledge_notice = command(c.AcknowledgeNotice, App.acknowledge_notice, roles=RECIPIENTS)
    report_rectification = command(
        c.ReportRectification, App.report_rectification, roles=RECIPIENTS
    )
    submit_rectification_plan = command(
        c.SubmitRectificationPlan, App.submit_rectification_plan, roles=RECIPIENTS
    )
    request_extension = command(c.RequestExtension, App.request_extension, roles=RECIPIENTS)
    approve_extension = command(c.ApproveExtension, App.approve_extension, roles=COMMISSION)
    refuse_extension = command(c.RefuseExtension, App.refuse_extension, roles=COMMISSION)
    verify_rectification = command(
        c.VerifyRectification, App.verify_rectification, roles=COMMISSION
    )
    send_back_rectification = command(
        c.SendBackRectification, App.send_back_rectification, roles=COMMISSION
    )
    close_notice = command(c.CloseNotice, App.close_notice, roles=COMMISSION)
    escalate_notice = command(c.EscalateNotice, App.escalate_notice, roles=COMMISSION)

    # Bulletins and quarterly reports.
    issue_bulletin = command(c.IssueBulletin, App.issue_bulletin, roles=COMMISSION)
    submit_quarterly_report = command(
        c.SubmitQuarterlyReport, App.submit_quarterly_report, roles=UNITS
    )
    record_paper_quarterly_report = command(
        c.RecordPaperQuarterlyReport, App.record_paper_quarterly_report, roles=COMMISSION
    )

    # Disclosure.
    collect_topic = command(c.CollectTopic, App.collect_topic, roles=DISCLOSERS)
    decide_at_meeting = command(c.DecideAtMeeting, App.decide_at_meeting, roles=DISCLOSERS)
    publish_decision_result = command(
        c.PublishDecisionResult, App.publish_decision_result, roles=DISCLOSERS
    )
    supervise_decision_execution = command(
        c.SuperviseDecisionExecution, App.supervise_decision_execution, roles=COMMISSION
    )
    install_disclosure_board = command(
        c.InstallDisclosureBoard, App.install_disclosure_board, roles=DISCLOSERS
    )
    post_to_disclosure_board = command(
        c.PostToDisclosureBoard, App.post_to_disclosure_board, roles=DISCLOSERS
    )

    # Queries.
    list_units = query(c.AsOf, App.list_units, roles=READERS)
    list_inspections = query(c.InspectionQuery, App.list_inspections, roles=READERS)
    get_notice = query(c.NoticeId, App.get_notice, roles=READERS)
    open_notices = query(c.NoticeQuery, App.open_notices, roles=READERS)
    open_notices_by_unit = query(c.OnDay, App.open_notices_by_unit, roles=READERS)
    overdue_notices = query(c.OnDay, App.overdue_notices, roles=READERS)
    get_bulletin = query(c.BulletinId, App.get_bulletin, roles=READERS)
    bulletin_register = query(c.BulletinRegisterQuery, App.bulletin_register, roles=READERS)
    quarterly_compliance = query(c.ComplianceQuery, App.quarterly_compliance, roles=READERS)
    get_decision = query(c.DecisionId, App.get_decision, roles=READERS)
    list_decisions = query(c.DecisionQuery, App.list_decisions, roles=READERS)
    disclosure_coverage = query(c.OnDay, App.disclosure_coverage, roles=READERS)
    period_counts = query(c.PeriodQuery, App.period_counts, roles=READERS)
    open_follow_ups = query(c.FollowUpQuery, App.open_follow_ups, roles=READERS)

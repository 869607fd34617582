"""The responsibility service's RPC interface: which command goes to which use case."""

from services.responsibility import DECLARATION
from services.responsibility import commands as c
from services.responsibility.application import Responsibilities as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query
from shared.roles import CADRE, DISCIPLINE_COMMISSION, PARTY_COMMITTEE, READERS, UNIT_CLERK

# Who may call what (docs/roles.md); every query is open to the readers.
EDUCATORS = (PARTY_COMMITTEE, DISCIPLINE_COMMISSION, UNIT_CLERK)
ISSUERS = (PARTY_COMMITTEE, UNIT_CLERK)
COMMITTEE = (PARTY_COMMITTEE,)
SIGNERS = (CADRE,)


class ResponsibilityService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    # Organisation.
    register_unit = command(c.RegisterUnit, App.register_unit, roles=COMMITTEE)
    register_cadre = command(c.RegisterCadre, App.register_cadre, roles=COMMITTEE)

    # Letters.
    draft_letter = command(c.DraftLetter, App.draft_letter, roles=ISSUERS)
    add_individual_clause = command(c.AddIndividualClause, App.add_individual_clause, roles=ISSUERS)
    set_top_leader_duties = command(c.SetTopLeaderDuties, App.set_top_leader_duties, roles=ISSUERS)
    # 签字背书: the issuing unit's principal leader and the signatory, each with their own token.
    sign_letter_as_issuer = command(c.SignLetter, App.sign_letter_as_issuer, roles=SIGNERS)
    countersign_letter = command(c.SignLetter, App.countersign_letter, roles=SIGNERS)
    supersede_letter = command(c.SupersedeLetter, App.supersede_letter, roles=ISSUERS)

    # Tasks.
    create_task = command(c.CreateTask, App.create_task, roles=ISSUERS)
    break_down_task = command(c.BreakDownTask, App.break_down_task, roles=ISSUERS)
    report_progress = command(c.ReportProgress, App.report_progress, roles=ISSUERS)
    complete_task = command(c.CompleteTask, App.complete_task, roles=ISSUERS)
    # 牵头单位 and 配合单位: the lead unit convenes, each co-unit reports to it.
    convene_task_meeting = command(
        c.ConveneTaskMeeting, App.convene_task_meeting, roles=ISSUERS
    )
    report_to_lead_unit = command(c.ReportToLeadUnit, App.report_to_lead_unit, roles=ISSUERS)

    # Integrity education.
    record_education_activity = command(
        c.RecordEducationActivity, App.record_education_activity, roles=EDUCATORS
    )

    # Queries whose filters are all optional.
    list_units = query(c.AsOf, App.list_units, roles=READERS)
    list_cadres = query(c.CadreQuery, App.list_cadres, roles=READERS)
    list_letters = query(c.LetterQuery, App.list_letters, roles=READERS)

    # Queries that need a payload (refused without one, like a command).
    get_letter = command(c.LetterId, App.get_letter, roles=READERS)
    flagged_letters = command(c.FlaggedQuery, App.flagged_letters, roles=READERS)
    task_tree = command(c.TaskTreeQuery, App.task_tree, roles=READERS)
    overdue_tasks = command(c.OverdueQuery, App.overdue_tasks, roles=READERS)
    coverage = command(c.YearQuery, App.coverage, roles=READERS)
    education_totals = command(c.PeriodQuery, App.education_totals, roles=READERS)

    # The risk-point register (廉政风险点): kept by the party committee or the unit's own clerk;
    # boilerplate judged against it (clauses_outside_risk_register). Reminders (提醒), talks
    # (约谈, by the party committee or the commission only) and 述责述廉 reports.
    register_risk_points = command(c.RegisterRiskPoints, App.register_risk_points, roles=ISSUERS)
    update_risk_points = command(c.UpdateRiskPoints, App.update_risk_points, roles=ISSUERS)
    risk_register = query(c.RiskRegisterQuery, App.risk_register, roles=READERS)
    clauses_outside_risk_register = command(
        c.RegisterYearQuery, App.clauses_outside_risk_register, roles=READERS
    )
    record_reminder = command(c.RecordReminder, App.record_reminder, roles=EDUCATORS)
    record_talk = command(
        c.RecordTalk, App.record_talk, roles=(PARTY_COMMITTEE, DISCIPLINE_COMMISSION)
    )
    record_accountability_report = command(
        c.RecordAccountabilityReport, App.record_accountability_report, roles=ISSUERS
    )
    reminders = command(c.ActsQuery, App.reminders, roles=READERS)
    talks = command(c.ActsQuery, App.talks, roles=READERS)
    accountability_reports = command(c.ActsQuery, App.accountability_reports, roles=READERS)

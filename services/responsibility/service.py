"""The responsibility service's RPC interface: which command goes to which use case."""

from services.responsibility import DECLARATION
from services.responsibility import commands as c
from services.responsibility.application import Responsibilities as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query


class ResponsibilityService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    # Organisation.
    register_unit = command(c.RegisterUnit, App.register_unit)
    register_cadre = command(c.RegisterCadre, App.register_cadre)

    # Letters.
    draft_letter = command(c.DraftLetter, App.draft_letter)
    add_individual_clause = command(c.AddIndividualClause, App.add_individual_clause)
    set_top_leader_duties = command(c.SetTopLeaderDuties, App.set_top_leader_duties)
    sign_letter = command(c.SignLetter, App.sign_letter)
    supersede_letter = command(c.SupersedeLetter, App.supersede_letter)

    # Tasks.
    create_task = command(c.CreateTask, App.create_task)
    break_down_task = command(c.BreakDownTask, App.break_down_task)
    report_progress = command(c.ReportProgress, App.report_progress)
    complete_task = command(c.CompleteTask, App.complete_task)

    # Integrity education.
    record_education_activity = command(
        c.RecordEducationActivity, App.record_education_activity
    )

    # Queries whose filters are all optional.
    list_units = query(c.AsOf, App.list_units)
    list_cadres = query(c.CadreQuery, App.list_cadres)
    list_letters = query(c.LetterQuery, App.list_letters)

    # Queries that need a payload (refused without one, like a command).
    get_letter = command(c.LetterId, App.get_letter)
    flagged_letters = command(c.FlaggedQuery, App.flagged_letters)
    task_tree = command(c.TaskTreeQuery, App.task_tree)
    overdue_tasks = command(c.OverdueQuery, App.overdue_tasks)
    coverage = command(c.YearQuery, App.coverage)
    education_totals = command(c.PeriodQuery, App.education_totals)

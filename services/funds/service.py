"""The funds service's RPC interface: which command goes to which use case.

The kit adds the catch-up query, the clock, ``ping``, the metrics and the consumer of the
responsibility service's events (docs/architecture.md, "Inside a service").
"""

from services.funds import DECLARATION
from services.funds import commands as c
from services.funds.application import Funds as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query
from shared.roles import DISCIPLINE_COMMISSION, PARTY_COMMITTEE, READERS, UNIT_CLERK

# Who may call what (docs/roles.md). The platform is run by the discipline commission, which
# enrols units, imports reference files and settles warnings; a unit's clerk records its own
# unit's hops and payments; every query is open to the readers.
OPERATORS = (DISCIPLINE_COMMISSION, PARTY_COMMITTEE)
COMMISSION = (DISCIPLINE_COMMISSION,)
UNITS = (UNIT_CLERK,)
ANSWERERS = (DISCIPLINE_COMMISSION, UNIT_CLERK)


class FundsService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    enrol_unit = command(c.EnrolUnit, App.enrol_unit, roles=OPERATORS)
    open_programme = command(c.OpenProgramme, App.open_programme, roles=UNITS)
    allocate = command(c.Allocate, App.allocate, roles=UNITS)
    record_payment = command(c.RecordPayment, App.record_payment, roles=UNITS)
    record_ledger = command(c.RecordLedger, App.record_ledger, roles=UNITS)
    reverse_payment = command(c.ReversePayment, App.reverse_payment, roles=UNITS)
    import_reference = command(c.ImportReference, App.import_reference, roles=COMMISSION)
    clear_warning = command(c.ClearWarning, App.clear_warning, roles=COMMISSION)
    transfer_warning = command(c.TransferWarning, App.transfer_warning, roles=COMMISSION)
    receive_complaint = command(c.ReceiveComplaint, App.receive_complaint, roles=COMMISSION)
    answer_complaint = command(c.AnswerComplaint, App.answer_complaint, roles=ANSWERERS)
    transfer_complaint = command(c.TransferComplaint, App.transfer_complaint, roles=COMMISSION)

    list_units = query(c.AsOf, App.list_units, roles=READERS)
    list_programmes = query(c.AsOf, App.list_programmes, roles=READERS)
    recipient_list = query(c.ProgrammeQuery, App.recipient_list, roles=READERS)
    own_payments = query(c.OwnPayments, App.own_payments, roles=READERS)
    list_warnings = query(c.WarningQuery, App.list_warnings, roles=READERS)
    list_complaints = query(c.ComplaintQuery, App.list_complaints, roles=READERS)
    figures = query(c.FiguresQuery, App.figures, roles=READERS)

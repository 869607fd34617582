"""The casework service's RPC interface: which command goes to which use case, and who may
call it (docs/roles.md). Casework acts are the discipline commission's; the party committee
approves a filing after the commission's principal, and the district party secretary a
preliminary verification of a lower-level organisation's principal; a person sanctioned lodges
an appeal themself (a cadre's token). Casework records are read
by the commission and the auditor only; the figures by every reader.

The kit adds the catch-up query, the clock, ``ping``, the metrics and the consumers of the
responsibility, supervision and funds events (docs/architecture.md, "Inside a service").
"""

from services.casework import DECLARATION
from services.casework import commands as c
from services.casework.application import Casework as App
from shared.nameko_kit import ApplicationProvider, ServiceKit, command, query
from shared.roles import AUDITOR, CADRE, DISCIPLINE_COMMISSION, PARTY_COMMITTEE, READERS

COMMISSION = (DISCIPLINE_COMMISSION,)
COMMITTEE = (PARTY_COMMITTEE,)
CASE_READERS = (DISCIPLINE_COMMISSION, AUDITOR)
APPELLANTS = (CADRE,)


class CaseworkService(ServiceKit):
    declaration = DECLARATION
    app = ApplicationProvider(App)

    # Petitions and reporters (their commands and events name persons: confidential).
    receive_petition = command(c.ReceivePetition, App.receive_petition, roles=COMMISSION,
                               confidential=True)
    accept_petition = command(c.AcceptPetition, App.accept_petition, roles=COMMISSION)
    not_accept_petition = command(c.NotAcceptPetition, App.not_accept_petition,
                                  roles=COMMISSION)
    pass_on_petition = command(c.PassOnPetition, App.pass_on_petition, roles=COMMISSION)
    tell_reporter_of_acceptance = command(c.PetitionId, App.tell_reporter_of_acceptance,
                                          roles=COMMISSION)
    tell_reporter_of_result = command(c.PetitionId, App.tell_reporter_of_result,
                                      roles=COMMISSION)
    read_reporter_identity = command(c.ReadReporterIdentity, App.read_reporter_identity,
                                     roles=COMMISSION, confidential=True)
    erase_reporter_identity = command(c.EraseReporterIdentity, App.erase_reporter_identity,
                                      roles=COMMISSION, confidential=True)

    # Leads.
    register_lead = command(c.RegisterLead, App.register_lead, roles=COMMISSION,
                            confidential=True)
    propose_disposal = command(c.ProposeDisposal, App.propose_disposal, roles=COMMISSION,
                               confidential=True)
    approve_disposal = command(c.LeadId, App.approve_disposal, roles=COMMISSION,
                               confidential=True)
    return_disposal = command(c.ReturnDisposal, App.return_disposal, roles=COMMISSION,
                              confidential=True)
    reply_to_inquiry = command(c.ReplyToInquiry, App.reply_to_inquiry, roles=COMMISSION,
                               confidential=True)
    conclude_inquiry = command(c.ConcludeInquiry, App.conclude_inquiry, roles=COMMISSION,
                               confidential=True)
    approve_verification = command(c.ApproveVerification, App.approve_verification,
                                   roles=COMMISSION, confidential=True)
    approve_verification_as_secretary = command(
        c.LeadId, App.approve_verification_as_secretary, roles=COMMITTEE, confidential=True)
    extend_verification = command(c.ExtendVerification, App.extend_verification,
                                  roles=COMMISSION, confidential=True)
    conclude_verification = command(c.ConcludeVerification, App.conclude_verification,
                                    roles=COMMISSION, confidential=True)
    record_false_accusation = command(c.RecordFalseAccusation, App.record_false_accusation,
                                      roles=COMMISSION, confidential=True)
    clear_name = command(c.ClearName, App.clear_name, roles=COMMISSION, confidential=True)

    # Cases.
    file_case = command(c.FileCase, App.file_case, roles=COMMISSION, confidential=True)
    approve_filing_by_commission = command(c.CaseId, App.approve_filing_by_commission,
                                           roles=COMMISSION, confidential=True)
    approve_filing_by_committee = command(c.CaseId, App.approve_filing_by_committee,
                                          roles=COMMITTEE, confidential=True)
    announce_filing = command(c.AnnounceFiling, App.announce_filing, roles=COMMISSION,
                              confidential=True)
    notify_organisation = command(c.NotifyOrganisation, App.notify_organisation,
                                  roles=COMMISSION, confidential=True)
    conclude_investigation = command(c.ConcludeInvestigation, App.conclude_investigation,
                                     roles=COMMISSION, confidential=True)
    conclude_review = command(c.ConcludeReview, App.conclude_review, roles=COMMISSION,
                              confidential=True)
    decide_outcome = command(c.DecideOutcome, App.decide_outcome, roles=COMMISSION,
                             confidential=True)
    announce_outcome = command(c.OutcomeStep, App.announce_outcome, roles=COMMISSION,
                               confidential=True)
    execute_outcome = command(c.OutcomeStep, App.execute_outcome, roles=COMMISSION,
                              confidential=True)
    close_case = command(c.CaseId, App.close_case, roles=COMMISSION, confidential=True)
    # The person sanctioned lodges an appeal themself (a cadre's token names them).
    lodge_appeal = command(c.LodgeAppeal, App.lodge_appeal, roles=APPELLANTS,
                           confidential=True)
    decide_appeal = command(c.DecideAppeal, App.decide_appeal, roles=COMMISSION,
                            confidential=True)

    # Accountability.
    open_accountability = command(c.OpenAccountability, App.open_accountability,
                                  roles=COMMISSION)
    decide_accountability = command(c.DecideAccountability, App.decide_accountability,
                                    roles=COMMISSION)
    conclude_accountability = command(c.ConcludeAccountability, App.conclude_accountability,
                                      roles=COMMISSION)

    record_admonishment = command(c.RecordAdmonishment, App.record_admonishment,
                                  roles=COMMISSION, confidential=True)

    # Queries.
    figures = query(c.FiguresQuery, App.figures, roles=READERS)
    open_matters = query(c.AsOf, App.open_matters, roles=READERS)
    get_petition = query(c.PetitionQuery, App.get_petition, roles=CASE_READERS)
    get_lead = query(c.LeadQuery, App.get_lead, roles=CASE_READERS)
    get_case = query(c.CaseQuery, App.get_case, roles=CASE_READERS)
    list_leads = query(c.LeadListQuery, App.list_leads, roles=CASE_READERS)
    list_petitions = query(c.PetitionListQuery, App.list_petitions, roles=CASE_READERS)
    list_examinations = query(c.ExaminationQuery, App.list_examinations, roles=CASE_READERS)
    leaders_to_examine = query(c.ExaminationId, App.leaders_to_examine, roles=CASE_READERS)
    identity_reads = query(c.AsOf, App.identity_reads, roles=CASE_READERS)

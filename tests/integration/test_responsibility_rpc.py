"""The responsibility service over real RabbitMQ RPC: malformed input is refused with an error
naming the field and the rule, domain refusals reach the caller, and the service keeps going.
Every call carries a token (``dutytrail_ops.acting``) with the role the act needs."""

from __future__ import annotations

import uuid

import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from dutytrail_ops.acting import Acting
from services.responsibility import metrics as own_metrics
from services.responsibility.service import ResponsibilityService
from shared import metrics
from shared.nameko_kit import service_config
from shared.roles import AUDITOR, CADRE, PARTY_COMMITTEE, ROLES, SYSTEM_CLOCK

ACTOR = {"person_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}
SOME_ID = str(uuid.uuid4())


@pytest.fixture
def acting(sqlite_store, use_store, amqp_uri):
    use_store(sqlite_store)
    config = service_config(AMQP_URI=amqp_uri, METRICS_PORT=0)
    container = ServiceContainer(ResponsibilityService, config)
    container.start()
    try:
        with ClusterRpcProxy(config, timeout=20) as proxy:
            yield Acting(proxy)
    finally:
        container.stop()


@pytest.fixture
def rpc(acting):
    """The service as the party committee's founding clerk (``ACTOR``), who registers the
    party committee before it exists."""
    return acting.as_(ACTOR["person_id"], ACTOR["unit_id"], PARTY_COMMITTEE).responsibility


def committee_clerk(acting, pc):
    """A clerk of the party committee ``pc``, acting in its role; their actor as a dict."""
    clerk = {"person_id": str(uuid.uuid4()), "unit_id": pc}
    return acting.as_(clerk["person_id"], pc, PARTY_COMMITTEE).responsibility, clerk


def cadre(acting, committee, unit, post, *, top=False, leader=False):
    """A cadre of ``unit`` registered by the committee's clerk, and the service as that cadre
    acting with their own token (role ``cadre``)."""
    person = str(uuid.uuid4())
    cadre_id = committee.register_cadre({
        "person_id": person, "name": post, "unit_id": unit, "post_title": post,
        "line_of_work": "全面", "top_leader": top, "leadership_member": leader,
    })
    return acting.as_(person, unit, CADRE).responsibility, cadre_id, person


def reader(acting):
    return acting.as_(uuid.uuid4(), uuid.uuid4(), AUDITOR).responsibility


def clock(acting):
    return acting.as_(uuid.uuid4(), uuid.uuid4(), SYSTEM_CLOCK).responsibility


MALFORMED = [
    ("register_unit", {"code": "bad code!", "name": "n", "kind": "town"},
     "code: String should match pattern"),
    ("register_unit", {"code": "D1", "name": "n", "kind": "town", "actor": ACTOR},
     "actor: Extra inputs are not permitted"),
    ("register_cadre", {"person_id": "x", "name": "n", "unit_id": SOME_ID, "post_title": "p",
                        "line_of_work": "l"}, "person_id: Input should be a valid UUID"),
    ("draft_letter", {"letter": {"year": 2026, "issuer_unit_id": SOME_ID,
                                 "signatory_unit_id": SOME_ID, "common_clauses": []}},
     "letter.common_clauses: List should have at least 1 item"),
    ("add_individual_clause", {"letter_id": SOME_ID, "text": "", "risk_point": "r"},
     "text: String should have at least 1 character"),
    ("set_top_leader_duties", {"letter_id": SOME_ID, "duties": []},
     "duties: List should have at least 1 item"),
    ("sign_letter_as_issuer", {"letter_id": "x"}, "letter_id: Input should be a valid UUID"),
    ("countersign_letter", {"letter_id": SOME_ID, "signatory_person_id": SOME_ID},
     "signatory_person_id: Extra inputs are not permitted"),
    ("supersede_letter", {"letter_id": SOME_ID, "letter": {"year": "next"}},
     "letter.year: Input should be a valid integer"),
    ("check_deadlines", {"as_of": "2026-03-01"}, "as_of: Input should have timezone info"),
    ("list_letters", {"year": 1900}, "year: Input should be greater than or equal to 2000"),
    ("list_cadres", {"unit_id": 7}, "unit_id: UUID input should be a string"),
    ("get_letter", {}, "letter_id: Field required"),
    ("events_after", {"after": -1}, "after: Input should be greater than or equal to 0"),
    ("events_after", {"after": 0, "limit": 501}, "limit: Input should be less than or equal to 500"),
    ("create_task", {"year": 2026, "title": "t", "requirement": "r", "lead_unit_id": SOME_ID,
                     "responsible_cadre_id": SOME_ID, "deadline": "2026-02-30"},
     "deadline: Input should be a valid date"),
    ("break_down_task", {"parent_task_id": SOME_ID, "title": "", "requirement": "r",
                         "lead_unit_id": SOME_ID, "responsible_cadre_id": SOME_ID,
                         "deadline": "2026-02-01"},
     "title: String should have at least 1 character"),
    ("report_progress", {"task_id": SOME_ID, "percent": 120},
     "percent: Input should be less than or equal to 100"),
    ("complete_task", {}, "task_id: Field required"),
    ("convene_task_meeting", {"task_id": SOME_ID, "held_on": "2026-02-30", "agenda": "a"},
     "held_on: Input should be a valid date"),
    ("report_to_lead_unit", {"task_id": SOME_ID, "report": ""},
     "report: String should have at least 1 character"),
    # The risk-point register, reminders, talks and 述责述廉 (issue 10, items 12 and 13).
    ("register_risk_points", {"post_title": "p"}, "unit_id: Field required"),
    ("update_risk_points", {"post_title": "p"}, "unit_id: Field required"),
    ("risk_register", {"unit_id": 7}, "unit_id: UUID input should be a string"),
    ("clauses_outside_risk_register", {}, "year: Field required"),
    ("record_reminder", {"given_on": "2026-03-01"}, "to_cadre_id: Field required"),
    ("record_talk", {"held_on": "2026-03-01"}, "leader_cadre_id: Field required"),
    ("record_accountability_report", {"year": 2026}, "cadre_id: Field required"),
    ("reminders", {}, "year: Field required"),
    ("talks", {}, "year: Field required"),
    ("accountability_reports", {}, "year: Field required"),
    ("record_education_activity", {"kind": "party", "title": "t", "held_on": "2026-04-01",
                                   "organiser_unit_id": SOME_ID, "participant_count": 3},
     "kind: Input should be"),
    ("list_units", {"as_of": "yesterday"}, "as_of: Input should be a valid date"),
    ("flagged_letters", {}, "year: Field required"),
    ("task_tree", {"unit_id": SOME_ID}, "as_of: Field required"),
    ("overdue_tasks", {"as_of": "2026-13-01"}, "as_of: Input should be a valid date"),
    ("coverage", {"year": 2026}, "as_of: Field required"),
    ("education_totals", {"start": "2026-01-01"}, "end: Field required"),
    # Bounds on every input (issue 8, item 6; shared/bounds.py): refused by name, never a crash.
    ("draft_letter", {"letter": {"year": 2026, "issuer_unit_id": SOME_ID,
                                 "signatory_unit_id": SOME_ID, "common_clauses": ["c"],
                                 "individual_clauses": [{"text": "资" * 1_000_000,
                                                         "risk_point": "资金拨付"}]}},
     "letter.individual_clauses.0.text: String should have at most 4000 characters"),
    ("register_unit", {"code": "D1", "name": "\u200b \u3000", "kind": "town"},
     "name: must say something besides spaces and invisible characters"),
    ("register_cadre", {"person_id": SOME_ID, "name": "王\x07伟", "unit_id": SOME_ID,
                        "post_title": "p", "line_of_work": "l"},
     "name: must not contain control characters such as tabs or line breaks"),
    ("report_to_lead_unit", {"task_id": SOME_ID, "report": "一\t二"},
     "report: must not contain control characters other than line breaks"),
    ("create_task", {"year": 2026, "title": "t", "requirement": "r", "lead_unit_id": SOME_ID,
                     "responsible_cadre_id": SOME_ID, "deadline": "9999-12-31"},
     "deadline: must be on or before 2100-12-31"),
    ("complete_task", {"task_id": SOME_ID, "occurred_at": "2099-01-01T00:00:00+00:00"},
     "occurred_at: must not be in the future"),
    ("list_units", {"as_of": "1999-12-31"}, "as_of: must be on or after 2000-01-01"),
    ("events_after", {"after": 10**20},
     "after: Input should be less than or equal to 9223372036854775807"),
    ("check_deadlines", {"as_of": "9999-12-31T00:00:00+00:00"},
     "as_of: must be on or before 2100-12-31"),
]


def test_every_rpc_method_refuses_malformed_input_naming_field_and_rule(acting, rpc):
    # A caller holding every role: past the role check, each payload is refused as malformed.
    anyone = acting.as_(uuid.uuid4(), uuid.uuid4(), *ROLES).responsibility
    for method, payload, expected in MALFORMED:
        with pytest.raises(RemoteError) as refused:
            getattr(anyone, method)(payload)
        assert refused.value.exc_type == "InvalidCommandError", (method, refused.value)
        assert expected in refused.value.value, (method, refused.value.value)
    # Refused before anything was stored (the 1 MB clause and the clock as of 9999 included).
    assert anyone.events_after({"after": 0}) == []
    # Not an object at all.
    with pytest.raises(RemoteError, match="expected an object"):
        rpc.register_unit("D01")
    # Every command method is covered by the list above.
    covered = {m for m, _, _ in MALFORMED}
    entrypoints = {
        name for name in dir(ResponsibilityService)
        if callable(getattr(ResponsibilityService, name)) and not name.startswith("_")
        and not name.startswith("http_")  # the kit's HTTP routes (/events …), not RPC
    } - {"ping", "check_deadlines_now", "sign_checkpoint_now"}  # the kit's timers
    assert entrypoints <= covered, entrypoints - covered


def test_domain_refusals_reach_the_caller_and_the_service_keeps_serving(acting, rpc):
    refused_signings = metrics.COMMANDS.labels(
        "responsibility", "sign_letter_as_issuer", "refused")
    before = refused_signings._value.get()
    pc = rpc.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee"})
    committee, _ = committee_clerk(acting, pc)
    secretary, _, _ = cadre(acting, committee, pc, "区委书记", top=True)
    letter = committee.draft_letter({"letter": {"year": 2026, "issuer_unit_id": pc,
                                                "signatory_unit_id": pc, "common_clauses": ["c"]}})
    with pytest.raises(RemoteError) as refused:
        secretary.sign_letter_as_issuer({"letter_id": letter})
    assert refused.value.exc_type == "LetterNotSignableError"
    assert "no individual clause" in refused.value.value
    with pytest.raises(RemoteError) as duplicate:
        rpc.register_unit({"code": "PC", "name": "again", "kind": "party_committee"})
    assert duplicate.value.exc_type == "UnitAlreadyRegisteredError"
    # Still serving, and the refusal was counted as such.
    assert [u["code"] for u in reader(acting).list_units()] == ["PC"]
    assert refused_signings._value.get() == before + 1
    # The party committee's clerk holds no signer's role: signing is a cadre's own act.
    with pytest.raises(RemoteError) as not_a_signer:
        committee.sign_letter_as_issuer({"letter_id": letter})
    assert not_a_signer.value.exc_type == "NotPermittedError"


def test_operations_metrics_count_overdue_tasks_and_flagged_letters(acting, rpc):
    flagged = own_metrics.LETTERS_FLAGGED.labels("responsibility")
    flagged_before = flagged._value.get()
    pc = rpc.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee"})
    committee, _ = committee_clerk(acting, pc)
    secretary, _, _ = cadre(acting, committee, pc, "区委书记", top=True)
    members = [cadre(acting, committee, pc, f"委员{i}", leader=True) for i in range(2)]
    cadres = [cadre_id for _, cadre_id, _ in members]
    clause = {"text": "严格执行项目审批程序，杜绝打招呼批条子，审批结果一律公示", "risk_point": "审批"}
    for member, cadre_id, _ in members:
        letter = committee.draft_letter({"letter": {
            "year": 2026, "issuer_unit_id": pc, "signatory_unit_id": pc,
            "signatory_cadre_id": cadre_id, "common_clauses": ["c"],
            "individual_clauses": [clause],
        }})
        secretary.sign_letter_as_issuer({"letter_id": letter})
        member.countersign_letter({"letter_id": letter})
    assert flagged._value.get() == flagged_before + 1  # the second is a copy of the first
    for deadline in ("2026-03-01", "2026-04-01", "2026-12-01"):
        committee.create_task({"year": 2026, "title": f"任务{deadline}", "requirement": "r",
                               "lead_unit_id": pc, "responsible_cadre_id": cadres[0],
                               "deadline": deadline, "occurred_at": "2026-01-05T09:00:00+00:00"})
    clock(acting).check_deadlines({"as_of": "2026-05-01T00:00:00+00:00"})
    assert own_metrics.TASKS_OVERDUE.labels("responsibility")._value.get() == 2


def test_answers_keep_their_shape_ids_as_strings_and_coverage_says_whether_complete(
    acting, rpc
):
    pc = rpc.register_unit({"code": "PC", "name": "**区委", "kind": "party_committee"})
    assert str(uuid.UUID(pc)) == pc
    dept = rpc.register_unit({"code": "D01", "name": "区财政局", "kind": "district_department",
                              "parent_unit_id": pc})
    committee, _ = committee_clerk(acting, pc)
    head, _, _ = cadre(acting, committee, dept, "局长", top=True)
    letter = committee.draft_letter({"letter": {"year": 2026, "issuer_unit_id": pc,
                                                "signatory_unit_id": dept,
                                                "common_clauses": ["c"]}})
    assert committee.add_individual_clause({"letter_id": letter, "text": "t",
                                            "risk_point": "r"}) is None
    view = reader(acting).get_letter({"letter_id": letter})
    assert (view["letter_id"], view["status"], view["individual_clauses"]) == (
        letter, "draft", [{"text": "t", "risk_point": "r"}])
    coverage = reader(acting).coverage({"year": 2026, "as_of": "2026-12-31"})
    assert coverage["units_without_signed_letter"] == [dept]
    assert coverage["complete"] is False
    # A unit's id is no letter: refused by name, not a crash.
    with pytest.raises(RemoteError) as refused:
        head.countersign_letter({"letter_id": pc})
    assert (refused.value.exc_type, refused.value.value) == ("LetterNotFoundError",
                                                             f"No letter {pc}.")

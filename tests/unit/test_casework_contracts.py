"""Every stored casework event has a public contract; none can carry a reporter's identity:
the sealed identity is left out of the published event, and what names persons under
investigation or reads an identity is confidential."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.domain import CanMutateAggregate

from services.casework.application import Casework
from services.casework.domain import AGGREGATES
from services.casework.settings import CaseworkSettings
from shared.actors import Actor
from shared.contracts import all_contracts, contract_for_domain_event

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def stored_event_names() -> list[str]:
    return [
        f"{aggregate.__name__}.{name}" for aggregate in AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate)
        and name not in ("Event", "Created")
    ]


def test_every_stored_casework_event_has_a_registered_contract():
    names = stored_event_names()
    assert len(names) == 50, names
    for name in names:
        assert contract_for_domain_event("casework", name).type.startswith("dutytrail.casework.")
    # Contracts every service shares (the ledger's) are not casework's aggregates' events.
    aggregates = {aggregate.__name__ for aggregate in AGGREGATES}
    assert len([c for c in all_contracts() if c.service == "casework"
                and c.domain_event.split(".")[0] in aggregates]) == len(names)


def test_no_contract_has_a_field_for_a_reporters_identity():
    for info in all_contracts():
        if info.service == "casework":
            assert not {"name", "contact", "phone", "reporter_name", "reporter_contact",
                        "sealed_identity"} & set(info.model.model_fields), info.type


def test_persons_under_investigation_and_identity_reads_are_confidential():
    confidential = {c.domain_event for c in all_contracts()
                    if c.service == "casework" and c.classification == "confidential"}
    assert {"Reporter.Sealed", "Reporter.IdentityRead", "Reporter.KeyErased",
            "Petition.Received", "Lead.Registered", "Case.Proposed", "Case.OutcomeDecided",
            "Case.AppealLodged"} <= confidential


def test_the_published_sealing_carries_the_key_id_and_not_the_ciphertext():
    app = Casework(IN_MEMORY, CaseworkSettings())
    try:
        app.receive_petition(channel="online", anonymous=False, reporter_name="冯十",
                             reporter_contact="13300001111", summary="反映问题",
                             actor=Actor(person_id=uuid4(), unit_id=uuid4()),
                             occurred_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
        [sealed] = [e for e in app.events_after(0, cleared=True)
                    if e["type"] == "dutytrail.casework.reporter_sealed.v1"]
        assert set(sealed["data"]) == {"actor", "reporter_id", "key_id"}
        assert "冯十" not in str(app.events_after(0, cleared=True))
    finally:
        app.close()

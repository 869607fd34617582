"""The service kit's own rules, without a broker or a database: keyword binding of commands,
the actor taken from the caller's verified token and never from the payload, reactions keyed
by contract, loading by id and kind, refusals logged as one line, metrics
that refuse a taken port."""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import event
from pydantic import BaseModel

from shared.actors import Actor
from shared.application import ServiceApplication
from shared.commands import Command
from shared.contracts.responsibility import TaskOverdue, UnitRegistered
from shared.domain import DomainAggregate
from shared.errors import (
    InvalidCommandError,
    NotAuthenticatedError,
    NotFoundError,
    NotPermittedError,
    PoisonMessageError,
)
from shared.logs import RefusalsAtInfo, configure_logging
from shared.metrics import MetricsPortTakenError, serve_metrics
from shared.nameko_kit import command, query
from shared.nameko_kit.providers import CallerCheck
from shared.policy import Reactions, UpstreamEvent, reacts_to
from shared.readmodel import Projection
from shared.roles import AUDITOR, UNIT_CLERK
from shared.tokens import issue_token

ACTOR = Actor(person_id=uuid4(), unit_id=uuid4())
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class ParcelNotFoundError(NotFoundError):
    pass


class CrateNotFoundError(NotFoundError):
    pass


class Parcel(DomainAggregate):
    noun = "parcel"
    NotFound = ParcelNotFoundError

    @event("Registered")
    def __init__(self, label: str, actor: Actor) -> None:
        self.label = label
        self.actor = actor


class Crate(DomainAggregate):
    noun = "crate"
    NotFound = CrateNotFoundError

    @event("Packed")
    def __init__(self, size: int) -> None:
        self.size = size


class Depot(ServiceApplication[Projection]):
    service_name: ClassVar[str] = "depot"

    def register_parcel(
        self, label: str, actor: Actor, occurred_at: datetime | None = None
    ) -> UUID:
        parcel = Parcel(label=label, actor=actor)
        self.save_changes(parcel)
        return parcel.id

    @reacts_to(UnitRegistered)
    def learn_unit(self, upstream_event: UpstreamEvent[UnitRegistered]) -> list[Any]:
        return [Parcel(label=upstream_event.data.code, actor=upstream_event.actor)]


class RegisterParcel(Command):
    label: str


class MislabelledCommand(Command):
    barcode: str


def cloud_event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": f"{uuid4()}:1", "source": "/dutytrail/responsibility",
        "type": event_type, "time": "2026-01-10T09:00:00+08:00",
        "sequence": "00000000000000000007", "prevsequence": "00000000000000000006",
        "data": data,
    }


def unit_data() -> dict[str, Any]:
    return {
        "unit_id": str(uuid4()), "code": "T01", "name": "某镇", "kind": "town",
        "parent_unit_id": None,
        "actor": {"person_id": str(ACTOR.person_id), "unit_id": str(ACTOR.unit_id)},
    }


@pytest.fixture
def depot() -> Any:
    app = Depot(IN_MEMORY)
    yield app
    app.close()


def service_as(app: Any, authorization: str | None) -> Any:
    """A stand-in for a service instance: its application and its caller's token."""
    return type("S", (), {"app": app, "caller": CallerCheck(authorization)})()


def clerk_of(actor: Actor, *roles: Any) -> str:
    return f"Bearer {issue_token(actor.person_id, actor.unit_id, roles or [UNIT_CLERK])}"


def test_a_command_bound_to_a_method_without_a_parameter_for_a_field_fails_at_import() -> None:
    with pytest.raises(TypeError, match="barcode"):
        command(MislabelledCommand, Depot.register_parcel, roles=[UNIT_CLERK])


def test_a_command_model_with_an_actor_field_fails_at_import() -> None:
    class SelfNamed(Command):
        label: str
        actor: dict[str, str]

    with pytest.raises(TypeError, match="actor"):
        command(SelfNamed, Depot.register_parcel, roles=[UNIT_CLERK])


def test_a_command_binds_its_fields_to_the_method_by_keyword(depot: Depot) -> None:
    entrypoint = command(RegisterParcel, Depot.register_parcel, roles=[UNIT_CLERK])
    answer = entrypoint(service_as(depot, clerk_of(ACTOR)), {"label": "A-1"})
    parcel = depot.load(UUID(answer), Parcel)
    # The actor recorded is the token's person and unit.
    assert (parcel.label, parcel.actor) == ("A-1", ACTOR)


def test_the_actor_comes_only_from_the_token_and_the_role_must_be_admitted(depot: Depot) -> None:
    entrypoint = command(RegisterParcel, Depot.register_parcel, roles=[UNIT_CLERK])
    someone_else = {"person_id": str(uuid4()), "unit_id": str(uuid4())}
    with pytest.raises(InvalidCommandError, match="actor: Extra inputs are not permitted"):
        entrypoint(service_as(depot, clerk_of(ACTOR)), {"label": "A-2", "actor": someone_else})
    with pytest.raises(NotAuthenticatedError, match="no token"):
        entrypoint(service_as(depot, None), {"label": "A-3"})
    with pytest.raises(NotPermittedError, match="unit_clerk"):
        entrypoint(service_as(depot, clerk_of(ACTOR, AUDITOR)), {"label": "A-4"})
    assert depot.events_after(0) == []


def test_a_command_without_a_payload_is_refused_but_a_query_means_no_filters() -> None:
    class NoFilters(BaseModel):
        pass

    def everything(self: Any) -> list[str]:
        return ["all"]

    service = service_as(type("A", (), {"everything": everything})(), clerk_of(ACTOR))
    with pytest.raises(InvalidCommandError, match="RegisterParcel"):
        command(RegisterParcel, Depot.register_parcel, roles=[UNIT_CLERK])(service, None)
    assert query(NoFilters, everything, roles=[UNIT_CLERK])(service, None) == ["all"]


def test_loading_an_id_of_another_kind_raises_the_named_not_found_error(depot: Depot) -> None:
    parcel_id = depot.register_parcel(label="B-2", actor=ACTOR)
    crate = Crate(size=3)
    depot.save(crate)
    with pytest.raises(ParcelNotFoundError, match=f"No parcel {crate.id}"):
        depot.load(crate.id, Parcel)
    with pytest.raises(CrateNotFoundError, match=f"No crate {parcel_id}"):
        depot.load(parcel_id, Crate)
    with pytest.raises(ParcelNotFoundError):
        depot.load(uuid4(), Parcel)
    assert depot.find(crate.id, Parcel) is None


def test_the_actor_is_stored_and_read_back_as_the_one_actor_type(depot: Depot) -> None:
    parcel_id = depot.register_parcel(label="C-3", actor=ACTOR)
    stored: Parcel = depot.repository.get(parcel_id)  # no cache: decoded from the stored bytes
    assert isinstance(stored.actor, Actor) and stored.actor == ACTOR


def test_a_reaction_receives_the_typed_contract_and_other_types_change_nothing(
    depot: Depot,
) -> None:
    reactions = Reactions(depot, "responsibility")
    assert reactions.types == {"dutytrail.responsibility.unit_registered.v1"}
    data = unit_data()
    changed = reactions(cloud_event("dutytrail.responsibility.unit_registered.v1", data))
    assert [p.label for p in changed] == ["T01"]
    assert changed[0].actor == ACTOR
    other = cloud_event("dutytrail.responsibility.cadre_registered.v1", {"anything": 1})
    assert reactions(other) == []
    assert Reactions(depot, "supervision").types == frozenset()


def test_an_event_whose_data_breaks_its_contract_is_poison(depot: Depot) -> None:
    reactions = Reactions(depot, "responsibility")
    data = {**unit_data(), "kind": "planet"}
    with pytest.raises(PoisonMessageError, match="kind"):
        reactions(cloud_event("dutytrail.responsibility.unit_registered.v1", data))


def test_two_reactions_to_one_contract_are_refused() -> None:
    class Twice(Depot):
        @reacts_to(UnitRegistered, TaskOverdue)
        def again(self, upstream_event: UpstreamEvent[Any]) -> list[Any]:
            return []

    app = Twice(IN_MEMORY)
    with pytest.raises(ValueError, match="two reactions"):
        Reactions(app, "responsibility")


def nameko_refusal_record(error: Exception) -> logging.LogRecord:
    """What nameko logs when an entrypoint raises one of its expected exceptions."""
    worker = type("Worker", (), {"entrypoint": type("E", (), {"method_name": "sign_letter"})()})()
    exc_info = (type(error), error, None)
    return logging.LogRecord(
        "nameko.containers", logging.WARNING, __file__, 1,
        "(expected) error handling worker %s: %s", (worker, error), exc_info,
    )


def test_a_refusal_is_one_info_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RefusalsAtInfo())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.handle(nameko_refusal_record(ParcelNotFoundError("No parcel 42.")))
    assert stream.getvalue() == "INFO refused sign_letter: ParcelNotFoundError: No parcel 42.\n"


def test_json_logs_are_one_object_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUTYTRAIL_LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("depot")
        logging.getLogger("nameko.containers").handle(
            nameko_refusal_record(ParcelNotFoundError("No parcel 7."))
        )
        logging.getLogger("dutytrail.test").warning("two\nlines")
    finally:
        root.handlers[:], root.level = saved
    lines = capsys.readouterr().err.strip().split("\n")
    records = [json.loads(line) for line in lines]
    assert [r["level"] for r in records] == ["INFO", "WARNING"]
    assert records[0]["message"] == "refused sign_letter: ParcelNotFoundError: No parcel 7."
    assert "exc_info" not in records[0]
    assert records[1]["message"] == "two\nlines" and records[1]["process"] == "depot"


def test_metrics_refuse_a_port_another_process_holds() -> None:
    holder = socket.socket()
    # The holder even allows sharing (as a second process would with SO_REUSEPORT): the
    # metrics server must still refuse, not split the scrapes with it.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(MetricsPortTakenError, match=str(port)):
            serve_metrics("127.0.0.1", port)
    finally:
        holder.close()

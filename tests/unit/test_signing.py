"""Signed CloudEvents (shared/signing.py; docs/contract.md, "Verifying events"): the DSSE
signature over the verification material of the "Verifiable CloudEvents with DSSE" extension,
made by the envelope builder with the service's key and checked with its public key."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dutytrail_ops.cli import main
from dutytrail_ops.registry import service_names
from services.responsibility.application import Responsibilities
from shared.actors import Actor
from shared.envelope import EnvelopeBuilder
from shared.keys import KeyConfigurationError, private_key, public_key, public_pem
from shared.persistence import store_environment
from shared.relay import Relay
from shared.signing import (
    CORE_ATTRIBUTES,
    PAYLOAD_TYPE,
    SIGNED_EXTENSION_ATTRIBUTES,
    EventSigner,
    EventVerifier,
    SignatureError,
    canonical_json,
    key_id,
    normalized_time,
    pae,
    verification_material,
)
from tests.conftest import sqlite_settings

SERVICE = "responsibility"


@pytest.fixture
def app(tmp_path: Path):
    application = Responsibilities(store_environment(SERVICE, sqlite_settings(tmp_path)))
    yield application
    application.close()


@pytest.fixture
def stored(app: Responsibilities) -> list[dict[str, Any]]:
    """Real events of the responsibility service, as its catch-up pages hand them out."""
    founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
    pc = app.register_unit(code="PC", name="**区委", kind="party_committee", actor=founder,
                           occurred_at=datetime(2026, 1, 2, 8, 30, 15, 250000, tzinfo=UTC))
    app.register_cadre(
        person_id=uuid.uuid4(), name="王伟", unit_id=pc, post_title="书记", line_of_work="全面",
        leadership_member=True, top_leader=True, actor=Actor(person_id=uuid.uuid4(), unit_id=pc),
    )
    return app.events_after(0)


def verifier(service: str = SERVICE) -> EventVerifier:
    return EventVerifier.for_service(service)


def unsigned(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("dssematerial", "signedextattrs")}


def envelope_of(event: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(event["dssematerial"]))
    return decoded


def test_every_event_handed_out_is_signed_and_verifies_with_the_services_public_key(
    stored: list[dict[str, Any]],
) -> None:
    for event in stored:
        assert event["signedextattrs"] == "sequence,prevsequence,recordedtime,dataclassification"
        envelope = envelope_of(event)
        assert envelope["payloadType"] == PAYLOAD_TYPE
        assert len(base64.b64decode(envelope["payload"])) == 32
        [signature] = envelope["signatures"]
        assert signature["keyid"] == key_id(SERVICE, public_key(SERVICE))
        assert signature["keyid"].startswith("responsibility:")
        # The verified event is exactly what was signed: everything but the material itself.
        assert verifier().verify(event) == unsigned(event)


def test_the_relay_and_the_catch_up_pages_carry_identical_signatures(
    app: Responsibilities, stored: list[dict[str, Any]], tmp_path: Path
) -> None:
    relay = Relay(SERVICE, sqlite_settings(tmp_path), uri="amqp://guest:guest@127.0.0.1:1/")
    try:
        notifications = relay.recorder.select_notifications(start=1, limit=10)
        previous = None
        published = []
        for notification in notifications:
            published.append(relay.builder.build(notification, previous))
            previous = notification.id
    finally:
        relay.close()
    assert published == stored


@pytest.mark.parametrize("attribute", [*CORE_ATTRIBUTES, *SIGNED_EXTENSION_ATTRIBUTES])
def test_altering_any_signed_attribute_fails_verification(
    stored: list[dict[str, Any]], attribute: str
) -> None:
    event = copy.deepcopy(stored[-1])
    assert attribute in event
    altered = {
        "time": "2026-01-02T09:30:15+00:00",  # an hour later
        "sequence": "00000000000000000009",
        "prevsequence": "00000000000000000000" if event["prevsequence"] else "1",
        "recordedtime": event["recordedtime"].replace(".", "1.", 1),
        "dataclassification": "public",
        "specversion": "1.1",
    }.get(attribute, str(event[attribute]) + "x")
    assert altered != event[attribute]
    event[attribute] = altered
    with pytest.raises(SignatureError, match="altered"):
        verifier().verify(event)


@pytest.mark.parametrize("attribute", [*CORE_ATTRIBUTES, *SIGNED_EXTENSION_ATTRIBUTES, "data"])
def test_removing_any_signed_attribute_fails_verification(
    stored: list[dict[str, Any]], attribute: str
) -> None:
    event = copy.deepcopy(stored[-1])
    del event[attribute]
    with pytest.raises(SignatureError):
        verifier().verify(event)


@pytest.mark.parametrize("change", ["value", "nested", "added", "removed", "type"])
def test_altering_data_fails_verification(stored: list[dict[str, Any]], change: str) -> None:
    event = copy.deepcopy(stored[-1])
    data = event["data"]
    if change == "value":
        data["name"] = "李伟"
    elif change == "nested":
        data["actor"]["unit_id"] = str(uuid.uuid4())
    elif change == "added":
        data["note"] = ""
    elif change == "removed":
        del data["post_title"]
    else:
        data["leadership_member"] = 1
    with pytest.raises(SignatureError, match="altered"):
        verifier().verify(event)


def test_the_time_is_signed_to_the_second_in_any_offset(stored: list[dict[str, Any]]) -> None:
    """As the extension prescribes: the same instant written with another offset verifies."""
    event = copy.deepcopy(stored[0])
    assert event["time"] == "2026-01-02T08:30:15.250000+00:00"
    event["time"] = "2026-01-02T16:30:15.250000+08:00"
    assert verifier().verify(event)["time"] == event["time"]
    assert normalized_time(event["time"]) == "2026-01-02T08:30:15Z"


@pytest.mark.parametrize("time", ["2026-01-02T08:30:15", "2026-01-02 08:30:15+00:00", "soon", ""])
def test_a_time_that_is_not_rfc_3339_with_an_offset_fails_verification(
    stored: list[dict[str, Any]], time: str
) -> None:
    event = copy.deepcopy(stored[0])
    event["time"] = time
    with pytest.raises(SignatureError, match="RFC 3339"):
        verifier().verify(event)


@pytest.mark.parametrize("listed", [
    "sequence,prevsequence,recordedtime",  # leaves out an attribute dutytrail always signs
    "prevsequence,sequence,recordedtime,dataclassification",  # another order, another digest
    "sequence,prevsequence,recordedtime,dataclassification,subject",  # a core attribute
    "sequence,prevsequence,recordedtime,dataclassification,sequence",  # a repetition
    "sequence, prevsequence,recordedtime,dataclassification",
    "",
])
def test_a_changed_signed_attribute_list_fails_verification(
    stored: list[dict[str, Any]], listed: str
) -> None:
    event = copy.deepcopy(stored[-1])
    event["signedextattrs"] = listed
    with pytest.raises(SignatureError):
        verifier().verify(event)


def test_an_event_without_dssematerial_fails_verification(
    stored: list[dict[str, Any]],
) -> None:
    for material in (None, "", "not base64!", base64.b64encode(b"not json").decode()):
        event = copy.deepcopy(stored[0])
        if material is None:
            del event["dssematerial"]
        else:
            event["dssematerial"] = material
        with pytest.raises(SignatureError):
            verifier().verify(event)


def test_another_services_key_fails_verification(stored: list[dict[str, Any]]) -> None:
    event = unsigned(stored[0])
    by_supervision = EventSigner.for_service("supervision").sign(copy.deepcopy(event))
    with pytest.raises(SignatureError, match="no valid signature by responsibility:"):
        verifier().verify(by_supervision)
    # Nor does the right service's name on a key that is not its own.
    impostor = EventSigner(SERVICE, Ed25519PrivateKey.generate(), keyid=verifier().key_id)
    forged = impostor.sign(copy.deepcopy(event))
    assert envelope_of(forged)["signatures"][0]["keyid"] == verifier().key_id
    with pytest.raises(SignatureError, match="no valid signature"):
        verifier().verify(forged)
    # And the verifier of another service refuses the genuine event.
    with pytest.raises(SignatureError):
        verifier("supervision").verify(stored[0])


def test_a_signature_over_other_material_fails(stored: list[dict[str, Any]]) -> None:
    """A genuine signature moved onto another event, or a payloadType changed."""
    first, second = copy.deepcopy(stored[0]), copy.deepcopy(stored[1])
    second["dssematerial"] = first["dssematerial"]
    with pytest.raises(SignatureError, match="altered"):
        verifier().verify(second)
    envelope = envelope_of(first)
    envelope["payloadType"] = "application/vnd.in-toto+json"
    first["dssematerial"] = base64.b64encode(json.dumps(envelope).encode()).decode()
    with pytest.raises(SignatureError, match="payloadType"):
        verifier().verify(first)


def test_pae_is_the_dsse_formula() -> None:
    # The example of the DSSE protocol (secure-systems-lab/dsse, protocol.md).
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    body = bytes(range(32))
    assert pae(PAYLOAD_TYPE, body) == (
        b"DSSEv1 " + str(len(PAYLOAD_TYPE)).encode() + b" " + PAYLOAD_TYPE.encode()
        + b" 32 " + body
    )
    assert pae("", b"") == b"DSSEv1 0  0 "
    assert pae("类型", b"x") == "DSSEv1 6 类型 1 x".encode()  # lengths in bytes


def test_the_signature_is_ed25519_over_pae_of_the_verification_material(
    stored: list[dict[str, Any]],
) -> None:
    event = stored[0]
    sha = hashlib.sha256
    by_hand = b"".join(
        sha(value.encode()).digest() for value in (
            event["id"], event["source"], event["specversion"], event["type"],
            event["datacontenttype"], event["dataschema"], event["subject"],
            "2026-01-02T08:30:15Z",
        )
    ) + sha(json.dumps(event["data"], sort_keys=True, ensure_ascii=False,
                       separators=(",", ":")).encode()).digest()
    for name in SIGNED_EXTENSION_ATTRIBUTES:
        by_hand += sha(name.encode()).digest() + sha(event[name].encode()).digest()
    digest = sha(by_hand).digest()
    assert verification_material(event, SIGNED_EXTENSION_ATTRIBUTES) == digest
    envelope = envelope_of(event)
    assert base64.b64decode(envelope["payload"]) == digest
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    public_key(SERVICE).verify(signature, pae(PAYLOAD_TYPE, digest))  # raises if not
    assert signature == private_key(SERVICE).sign(pae(PAYLOAD_TYPE, digest))  # deterministic


@pytest.mark.parametrize(("value", "text"), [
    ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
    ({"名": "区委\n\"引号\"\u0001"}, '{"名":"区委\\n\\"引号\\"\\u0001"}'),
    (1.0, "1"),
    (-0.5, "-0.5"),
    (0.0, "0"),
    (0.8571428571428571, "0.8571428571428571"),
    (1e-05, "0.00001"),
    (1e-07, "1e-7"),
    (1.5e-07, "1.5e-7"),
    (123.456, "123.456"),
    (1e16, "10000000000000000"),
    (1e21, "1e+21"),
    (1.2345678e24, "1.2345678e+24"),
    ({"\U0001f600": 1, "\uffff": 2}, '{"\U0001f600":1,"\uffff":2}'),  # UTF-16 order
])
def test_data_is_hashed_as_jcs_canonical_json(value: Any, text: str) -> None:
    assert canonical_json(value) == text.encode("utf-8")


def test_signing_refuses_an_event_without_an_attribute_it_must_sign() -> None:
    event = {"id": "x:1", "source": "/dutytrail/responsibility", "data": {}}
    with pytest.raises(SignatureError, match="sequence"):
        EventSigner.for_service(SERVICE).sign(event)


# Key configuration.


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DUTYTRAIL_DEV_KEYS", "0")
    monkeypatch.setenv("DUTYTRAIL_KEY_DIR", str(tmp_path / "no-keys"))
    monkeypatch.setenv("DUTYTRAIL_VAR_DIR", str(tmp_path / "var"))
    for name in service_names():
        monkeypatch.delenv(f"DUTYTRAIL_{name.upper()}_PRIVATE_KEY_FILE", raising=False)
        monkeypatch.delenv(f"DUTYTRAIL_{name.upper()}_PUBLIC_KEY_FILE", raising=False)
    return tmp_path


def test_without_a_key_nothing_builds_events(no_keys: Path) -> None:
    with pytest.raises(KeyConfigurationError, match="no private key for 'responsibility'"):
        EnvelopeBuilder(SERVICE)
    with pytest.raises(KeyConfigurationError, match="no public key for 'responsibility'"):
        EventVerifier.for_service(SERVICE)


@pytest.mark.parametrize(("command", "service", "missing"), [
    ("relay", "responsibility", "no private key for 'responsibility'"),
    ("run", "responsibility", "no private key for 'responsibility'"),
    ("run", "supervision", "no private key for 'supervision'"),
    ("events", "responsibility", "no private key for 'responsibility'"),
])
def test_a_service_relay_or_reader_without_a_key_refuses_to_start(
    no_keys: Path, command: str, service: str, missing: str
) -> None:
    result = CliRunner().invoke(main, [command, service])
    assert result.exit_code != 0
    assert missing in result.output
    assert "DUTYTRAIL_DEV_KEYS=1" in result.output


def test_a_consumer_without_its_upstreams_public_key_refuses_to_start(
    no_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = no_keys / "supervision.key"
    key.write_bytes(_private_pem(Ed25519PrivateKey.generate()))
    monkeypatch.setenv("DUTYTRAIL_SUPERVISION_PRIVATE_KEY_FILE", str(key))
    result = CliRunner().invoke(main, ["run", "supervision"])
    assert result.exit_code != 0
    assert "cannot start supervision: no public key for 'responsibility'" in result.output


def test_keys_export_writes_every_services_public_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "export", str(tmp_path / "keys")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert written == sorted([*(f"{s}.pub" for s in service_names()), "tokens.pub"])
    for name in service_names():
        pem = (tmp_path / "keys" / f"{name}.pub").read_bytes()
        assert pem == public_pem(public_key(name))
        assert key_id(name, public_key(name)) in result.output


def test_keys_export_leaves_out_an_unconfigured_token_authority(
    no_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = no_keys / "configured"
    folder.mkdir()
    for name in service_names():
        (folder / f"{name}.key").write_bytes(_private_pem(Ed25519PrivateKey.generate()))
    monkeypatch.setenv("DUTYTRAIL_KEY_DIR", str(folder))
    monkeypatch.delenv("DUTYTRAIL_TOKENS_PRIVATE_KEY_FILE", raising=False)
    monkeypatch.delenv("DUTYTRAIL_TOKENS_PUBLIC_KEY_FILE", raising=False)
    result = CliRunner().invoke(main, ["keys", "export", str(no_keys / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (no_keys / "out").iterdir()) == sorted(
        f"{s}.pub" for s in service_names()
    )
    for name in service_names():
        assert (no_keys / "out" / f"{name}.pub").read_bytes() == public_pem(
            private_key(name).public_key()
        )


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

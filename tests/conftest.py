"""Test-wide set-up. nameko 2.13+ no longer monkey-patches, and container tests hang without
it, so this must run before anything imports socket or threading.

Unit tests need no broker and no database: the RabbitMQ virtual host is made only for the
integration and end-to-end tests (their own conftest files ask for it)."""

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
# Development signing keys (shared/keys.py), generated in the session's own key directory
# (the ``_dev_key_dir`` fixture); subprocesses started by the tests inherit both variables.
os.environ.setdefault("DUTYTRAIL_DEV_KEYS", "1")
# Every service process and container the tests start answers HTTP on a free port, not on its
# declared one, so that test sessions running side by side never collide
# (shared/nameko_kit/http.py; a test that calls HTTP passes WEB_SERVER_ADDRESS).
os.environ.setdefault("DUTYTRAIL_HTTP_PORT", "0")

import eventlet

eventlet.monkey_patch()

from shared.green_psycopg import install  # noqa: E402

install()  # psycopg waits as in a service (dutytrail_ops/runner.py)

import subprocess  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import pytest  # noqa: E402

from shared.envelope import register_content_type  # noqa: E402
from shared.persistence import drop_postgres_schemas  # noqa: E402
from shared.settings import StoreSettings  # noqa: E402

register_content_type()

# What a subprocess needs to sign and verify with the session's development keys.
DEV_KEY_VARIABLES = ("DUTYTRAIL_DEV_KEYS", "DUTYTRAIL_KEY_DIR")

_BROKER = urlsplit(os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
# Every test session gets a RabbitMQ virtual host of its own, so a demo or another test run on
# this machine (answering `rpc-responsibility` on "/") can never reply to these tests' calls.
TEST_VHOST = f"dutytrail-test-{os.getpid()}"
AMQP_URI = f"{_BROKER.scheme}://{_BROKER.netloc}/{TEST_VHOST}"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session", autouse=True)
def _dev_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One key directory for the whole session, whatever store a test points at (the
    default key directory follows DUTYTRAIL_VAR_DIR), so that every producer, consumer and
    subprocess of the session signs and verifies with the same development keys."""
    folder = tmp_path_factory.mktemp("keys")
    previous = os.environ.get("DUTYTRAIL_KEY_DIR")
    os.environ["DUTYTRAIL_KEY_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("DUTYTRAIL_KEY_DIR", None)
    else:
        os.environ["DUTYTRAIL_KEY_DIR"] = previous


@pytest.fixture(scope="session")
def test_vhost() -> Iterator[str]:
    _rabbitmqctl("add_vhost", TEST_VHOST)
    _rabbitmqctl("set_permissions", "-p", TEST_VHOST, "guest", ".*", ".*", ".*")
    previous = os.environ.get("AMQP_URI")
    os.environ["AMQP_URI"] = AMQP_URI  # services, relays and subprocesses all follow it
    yield AMQP_URI
    if previous is None:
        os.environ.pop("AMQP_URI", None)
    else:
        os.environ["AMQP_URI"] = previous
    _rabbitmqctl("delete_vhost", TEST_VHOST)


def sqlite_settings(var_dir: Path) -> StoreSettings:
    return StoreSettings.sqlite(var_dir)


def postgres_settings(prefix: str) -> StoreSettings:
    return StoreSettings.postgres(prefix)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> StoreSettings:
    return sqlite_settings(tmp_path / "var")


@pytest.fixture
def postgres_store() -> Iterator[StoreSettings]:
    settings = postgres_settings(f"t{uuid.uuid4().hex[:10]}_")
    yield settings
    drop_postgres_schemas(settings)


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSettings]:
    """Runs a test once per backend (docs/architecture.md, "Storage")."""
    if request.param == "sqlite":
        yield sqlite_settings(tmp_path / "var")
    else:
        settings = postgres_settings(f"t{uuid.uuid4().hex[:10]}_")
        yield settings
        drop_postgres_schemas(settings)


@pytest.fixture
def amqp_uri(test_vhost: str) -> str:
    return test_vhost


def environ_for(settings: StoreSettings) -> dict[str, str]:
    """The environment variables that make a process open the stores ``settings`` describe."""
    if settings.backend == "sqlite":
        return {"DUTYTRAIL_STORE": "sqlite", "DUTYTRAIL_VAR_DIR": str(settings.var_dir)}
    return {
        "DUTYTRAIL_STORE": "postgres",
        "DUTYTRAIL_SCHEMA_PREFIX": settings.pg_schema_prefix,
        "POSTGRES_HOST": settings.pg_host,
        "POSTGRES_PORT": settings.pg_port,
        "POSTGRES_USER": settings.pg_user,
        "POSTGRES_DBNAME": settings.pg_dbname,
    }


@pytest.fixture
def use_store(monkeypatch: pytest.MonkeyPatch):
    """Point this process's default store configuration at the given settings."""

    def apply(settings: StoreSettings) -> StoreSettings:
        for key, value in environ_for(settings).items():
            monkeypatch.setenv(key, value)
        return settings

    return apply

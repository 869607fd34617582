"""Before starting anything: is the broker there, is the store reachable?"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from shared.settings import StoreSettings, amqp_uri


def check_broker(uri: str | None = None) -> str | None:
    """None if RabbitMQ answers an AMQP login, else what is wrong and how to fix it."""
    uri = uri or amqp_uri()
    parts = urlparse(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as error:
        return (
            f"RabbitMQ is not reachable at {host}:{port} ({error}). Start it with "
            "`rabbitmq-server -detached`, or point AMQP_URI at a running broker."
        )
    from kombu.connection import Connection

    try:
        with Connection(uri, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 - any failure is reported to the operator
        return f"RabbitMQ at {host}:{port} refused the login in AMQP_URI: {error}"
    return None


def check_store(settings: StoreSettings | None = None) -> str | None:
    settings = settings or StoreSettings.from_environ()
    if settings.backend == "sqlite":
        try:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
            probe = settings.var_dir / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as error:
            return f"cannot write the SQLite stores in {settings.var_dir}: {error}"
        return None
    import psycopg

    try:
        with psycopg.connect(
            host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
            password=settings.pg_password or None, dbname=settings.pg_dbname,
            connect_timeout=5,
        ):
            return None
    except Exception as error:  # noqa: BLE001 - any failure is reported to the operator
        return (
            f"PostgreSQL is not reachable at {settings.pg_host}:{settings.pg_port} database "
            f"{settings.pg_dbname!r} ({error}). Start it, or unset DUTYTRAIL_STORE to use "
            "the embedded SQLite stores."
        )


def check_keys(service: str, *, upstreams: bool = True) -> str | None:
    """None if ``service``'s event-signing key is configured (and, with ``upstreams``, the
    public key of every service it follows), else the :class:`KeyConfigurationError` message
    (docs/contract.md, "Verifying events")."""
    from dutytrail_ops.registry import declaration
    from shared.keys import KeyConfigurationError, private_key, public_key

    try:
        private_key(service)
        for upstream in declaration(service).upstreams if upstreams else ():
            public_key(upstream)
    except KeyConfigurationError as error:
        return str(error)
    return None

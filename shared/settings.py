"""Process configuration read from the environment, with embedded defaults.

Every knob has a safe default so that a newcomer needs nothing but the broker; the nameko
YAML files under ``deploy/`` mirror the same variables with ``${VAR:default}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


@dataclass(frozen=True)
class StoreSettings:
    backend: str  # "sqlite" or "postgres"
    var_dir: Path
    pg_host: str
    pg_port: str
    pg_user: str
    pg_password: str
    pg_dbname: str
    pg_schema_prefix: str

    @classmethod
    def from_environ(cls) -> StoreSettings:
        backend = env("DUTYTRAIL_STORE", "sqlite").lower()
        if backend not in ("sqlite", "postgres"):
            msg = f"DUTYTRAIL_STORE must be 'sqlite' or 'postgres', not {backend!r}"
            raise ValueError(msg)
        return cls(
            backend=backend,
            var_dir=Path(env("DUTYTRAIL_VAR_DIR", "./var")).resolve(),
            pg_host=env("POSTGRES_HOST", "127.0.0.1"),
            pg_port=env("POSTGRES_PORT", "5432"),
            pg_user=env("POSTGRES_USER", "postgres"),
            pg_password=os.environ.get("POSTGRES_PASSWORD", ""),
            pg_dbname=env("POSTGRES_DBNAME", "postgres"),
            pg_schema_prefix=env("DUTYTRAIL_SCHEMA_PREFIX", ""),
        )


    @classmethod
    def sqlite(cls, var_dir: Path) -> StoreSettings:
        """SQLite stores in ``var_dir`` (tests, benchmarks)."""
        return cls("sqlite", var_dir, "", "", "", "", "", "")

    @classmethod
    def postgres(cls, schema_prefix: str) -> StoreSettings:
        """PostgreSQL from the POSTGRES_* variables (database ``test`` unless told), its
        schemas named with ``schema_prefix`` so that they can be told apart and dropped."""
        return cls(
            backend="postgres", var_dir=Path("/nonexistent"),
            pg_host=env("POSTGRES_HOST", "127.0.0.1"), pg_port=env("POSTGRES_PORT", "5432"),
            pg_user=env("POSTGRES_USER", "postgres"),
            pg_password=os.environ.get("POSTGRES_PASSWORD", ""),
            pg_dbname=env("POSTGRES_DBNAME", "test"), pg_schema_prefix=schema_prefix,
        )


def amqp_uri() -> str:
    return env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def amqp_uri_variable(service: str) -> str:
    """The variable that gives one service's processes (its nameko container and its relay)
    a broker login of their own (``dutytrail broker setup``, docs/operations.md)."""
    return f"DUTYTRAIL_{service.upper()}_AMQP_URI"


def amqp_uri_for(service: str) -> str:
    """``DUTYTRAIL_<SERVICE>_AMQP_URI`` if set, else :func:`amqp_uri`."""
    return env(amqp_uri_variable(service), amqp_uri())


def schema_base_url() -> str:
    return os.environ.get("DUTYTRAIL_SCHEMA_BASE_URL", "").rstrip("/")


def metrics_address() -> str:
    """Where every process serves /metrics (all interfaces unless told, so Prometheus on
    another host can scrape it)."""
    return env("DUTYTRAIL_METRICS_ADDRESS", "0.0.0.0")


def metrics_port_variable(service: str, relay: bool = False) -> str:
    """The variable an operator sets to move one service's (or its relay's) metrics port."""
    return f"DUTYTRAIL_{service.upper()}{'_RELAY' if relay else ''}_METRICS_PORT"


def metrics_port(service: str, relay: bool = False, default: int = 0) -> int:
    """This process's metrics port: ``DUTYTRAIL_<SERVICE>[_RELAY]_METRICS_PORT``, else
    ``DUTYTRAIL_METRICS_PORT`` (which ``dutytrail up`` sets per child from the service's
    declaration), else ``default``; 0 disables the endpoint."""
    generic = env("DUTYTRAIL_METRICS_PORT", str(default))
    return int(env(metrics_port_variable(service, relay), generic))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_float(name: str, default: float) -> float:
    return float(env(name, str(default)))


def env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env(name, ",".join(str(d) for d in default))
    return tuple(int(part) for part in raw.split(",") if part.strip())


def env_words(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env(name, ",".join(default))
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def log_format() -> str:
    """``plain`` (one tagged line per record) or ``json`` (one JSON object per line)."""
    return env("DUTYTRAIL_LOG_FORMAT", "plain").lower()


def log_level() -> str:
    return env("DUTYTRAIL_LOG_LEVEL", "INFO").upper()


def clock_skew_seconds() -> int:
    """How far ahead of this process's clock the system clock's ``as_of`` may be."""
    return env_int("DUTYTRAIL_CLOCK_SKEW_SECONDS", 300)


def delivery_limit() -> int:
    return int(env("DUTYTRAIL_DELIVERY_LIMIT", "5"))


def relay_wakeup_enabled() -> bool:
    """Does an idle relay wait to be woken by its store (PostgreSQL ``NOTIFY``, a datagram
    from the SQLite service), rather than look at the log every 50 ms? On unless
    ``DUTYTRAIL_RELAY_WAKEUP`` is 0/no/off/false (docs/reliability.md)."""
    return env("DUTYTRAIL_RELAY_WAKEUP", "1").strip().lower() not in ("0", "no", "off", "false")


def relay_fallback_seconds() -> float:
    """How long an idle relay waits for a wake-up at most before it looks at the log anyway,
    in case an announcement was lost (``DUTYTRAIL_RELAY_FALLBACK_SECONDS``, default 1)."""
    return env_float("DUTYTRAIL_RELAY_FALLBACK_SECONDS", 1.0)


def relay_poll_seconds() -> float:
    """How often a relay without wake-ups looks at the log (``DUTYTRAIL_RELAY_POLL_SECONDS``,
    default 0.05)."""
    return env_float("DUTYTRAIL_RELAY_POLL_SECONDS", 0.05)

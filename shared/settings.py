"""Process configuration read from the environment, with embedded defaults.

Every knob has a safe default so that a newcomer needs nothing but the broker; the nameko
YAML files under ``deploy/`` mirror the same variables with ``${VAR:default}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SERVICES: tuple[str, ...] = ("responsibility", "supervision", "casework", "funds")

# Each service gets a fixed metrics port for its nameko process and one for its relay, so the
# processes that `dutytrail up` starts never collide (DESIGN §7).
_METRICS_BASE = {"responsibility": 0, "supervision": 1, "casework": 2, "funds": 3}


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


def schema_base_url() -> str:
    return os.environ.get("DUTYTRAIL_SCHEMA_BASE_URL", "").rstrip("/")


def service_metrics_port(service: str) -> int:
    default = 9100 + _METRICS_BASE.get(service, 9)
    return int(env(f"DUTYTRAIL_{service.upper()}_METRICS_PORT", str(default)))


def relay_metrics_port(service: str) -> int:
    default = 9200 + _METRICS_BASE.get(service, 9)
    return int(env(f"DUTYTRAIL_{service.upper()}_RELAY_METRICS_PORT", str(default)))


def delivery_limit() -> int:
    return int(env("DUTYTRAIL_DELIVERY_LIMIT", "5"))

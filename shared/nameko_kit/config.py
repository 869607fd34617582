"""The nameko configuration every service runs with (mirrored in deploy/<service>.yaml)."""

from __future__ import annotations

from typing import Any

from shared.envelope import (
    CONTENT_ENCODING,
    CONTENT_TYPE,
    SERIALIZER_NAME,
    register_content_type,
)
from shared.settings import amqp_uri

# nameko refuses application/cloudevents+json unless kombu knows it (docs/contract.md).
register_content_type()


def service_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri(),
        "SERIALIZER": "json",
        "ACCEPT": ["json", SERIALIZER_NAME],
        "SERIALIZERS": {
            SERIALIZER_NAME: {
                "encoder": "shared.envelope.encode",
                "decoder": "shared.envelope.decode",
                "content_type": CONTENT_TYPE,
                "content_encoding": CONTENT_ENCODING,
            }
        },
        "max_workers": 10,
    }
    config.update(overrides)
    return config

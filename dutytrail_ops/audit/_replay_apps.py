"""The two applications ``dutytrail audit replay`` compares, both opened on a service's store
directly (no service process, no broker):

- the service's own application, answering "as of" from its stored read-model rows, as the
  running service does (``ServiceApplication.view``: ``Projection.from_rows``);
- the same application whose read models are never attached to the store: every "as of" is a
  fresh replay, in memory, of the stored events up to that day (``Projection.replayed``), so
  its figures come from the history alone and nothing in the read-model tables can reach them.

Both remember each "as of" they built for the run (the rows, or the replay, are read once per
read model and day, not once per query).
"""

from __future__ import annotations

import importlib
import inspect
from datetime import date, datetime
from typing import Any

from shared.application import ServiceApplication
from shared.readmodel import Projection


def application_class(service: str) -> type[ServiceApplication[Any]]:
    """The service's application: the ``ServiceApplication`` subclass of
    ``services.<service>.application`` whose ``service_name`` is ``service``."""
    module = importlib.import_module(f"services.{service}.application")
    for _, value in inspect.getmembers(module, inspect.isclass):
        if (issubclass(value, ServiceApplication) and value.service_name == service
                and value.__module__ == module.__name__):
            return value
    msg = f"services.{service}.application defines no application of {service}"
    raise LookupError(msg)


class _Remembering:
    """Keeps each read model "as of" a day for the run."""

    _as_of_cache: dict[tuple[type[Projection], Any], Projection]

    def view(self, kind: type[Any], day: date | datetime | None = None) -> Any:
        if day is None:
            return super().view(kind, day)  # type: ignore[misc]
        cache = self.__dict__.setdefault("_as_of_cache", {})
        found = cache.get((kind, day))
        if found is None:
            found = cache[(kind, day)] = super().view(kind, day)  # type: ignore[misc]
        return found


class _FromHistory(_Remembering):
    """Read models in memory only: never loaded from, nor written to, the store's rows."""

    _read_models: dict[type[Projection], Projection]

    def read_model(self, kind: type[Any]) -> Any:
        found = self._read_models.get(kind)
        if found is None:
            found = self._read_models[kind] = kind()
        return found


def open_stored(service: str, env: Any) -> ServiceApplication[Any]:
    """The service's application on its store, answering from its read-model rows."""
    cls = application_class(service)
    remembering = type(f"Stored{cls.__name__}", (_Remembering, cls), {})
    app: ServiceApplication[Any] = remembering(env)
    return app


def open_replayed(service: str, env: Any) -> ServiceApplication[Any]:
    """The service's application on its store's events, answering from a replay in memory."""
    cls = application_class(service)
    replaying = type(f"Replayed{cls.__name__}", (_FromHistory, cls), {})
    app: ServiceApplication[Any] = replaying(env)
    return app

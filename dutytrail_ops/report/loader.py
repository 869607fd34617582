"""Every service's recorded history, read from its store directly (no broker, no running
service): each stored event in its CloudEvent form, as :class:`~dutytrail_ops.report.facts.Fact`.

Stores are opened by service name exactly as the services open them
(``shared.persistence.store_environment``), so the report reads what they recorded, on SQLite
or PostgreSQL, after they stopped as well as while they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dutytrail_ops.report.facts import Fact
from shared.settings import StoreSettings

PAGE = 1000


class _Unsigned:
    """The report reads events to count them; it signs nothing (and needs no service key)."""

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        return event


def stored_services(settings: StoreSettings, services: list[str]) -> tuple[list[str], list[str]]:
    """The services with a store to read, and a note for each without one (a SQLite file or
    a PostgreSQL schema never created: the service never ran with these settings; its
    figures are zero). A store is only read, never created: a report pointed at the wrong
    place says so instead of making empty stores there."""
    if settings.backend != "sqlite":
        return _postgres_schemas(settings, services)
    present, notes = [], []
    for service in services:
        path = settings.var_dir / f"{service}.sqlite"
        if path.exists():
            present.append(service)
        else:
            notes.append(f"{service}: no store at {path}; its figures are zero")
    return present, notes


def _postgres_schemas(settings: StoreSettings, services: list[str]) -> tuple[list[str], list[str]]:
    import psycopg

    from shared.persistence import schema_name

    with psycopg.connect(
        host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
        password=settings.pg_password or None, dbname=settings.pg_dbname, connect_timeout=5,
    ) as conn:
        found = {name for (name,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
            ([schema_name(s, settings) for s in services],),
        ).fetchall()}
    present, notes = [], []
    for service in services:
        schema = schema_name(service, settings)
        if schema in found:
            present.append(service)
        else:
            notes.append(f"{service}: no store (no schema {schema} in the database "
                         f"{settings.pg_dbname} on {settings.pg_host}); its figures are zero")
    return present, notes


def service_facts(service: str, settings: StoreSettings) -> Iterator[Fact]:
    """``service``'s stored events, in the order it recorded them, page by page."""
    from shared.contracts import UnknownEventError
    from shared.envelope import EnvelopeBuilder
    from shared.persistence import open_factory, store_environment

    builder = EnvelopeBuilder(service, signer=_Unsigned())
    recorder = open_factory(store_environment(service, settings)).application_recorder()
    try:
        after = 0
        while True:
            page = recorder.select_notifications(start=after, limit=PAGE,
                                                 inclusive_of_start=False)
            for notification in page:
                try:
                    event = builder.build(notification, None)
                except UnknownEventError:
                    continue  # not a public event: nothing the report counts
                yield Fact.from_cloudevent(event)
            if len(page) < PAGE:
                return
            after = page[-1].id
    finally:
        datastore = getattr(recorder, "datastore", None)
        if datastore is not None:
            datastore.close()


def load_facts(settings: StoreSettings, services: list[str]) -> Iterator[Fact]:
    for service in services:
        yield from service_facts(service, settings)

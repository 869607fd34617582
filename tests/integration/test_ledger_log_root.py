"""A service's stored log as a Merkle tree (shared/ledger/leaves.py), on both stores: the
streamed root is the RFC's root of the stored events' canonical bytes, and an edit made
directly in the database (a changed event) changes it."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import psycopg

from services.responsibility.application import Responsibilities
from shared.actors import Actor
from shared.ledger.leaves import leaf_bytes, log_root, stored_notifications
from shared.ledger.suites import SUITES
from shared.persistence import schema_name, store_environment
from tests.unit.test_ledger_merkle import mth  # RFC 9162 §2.1.1, written from the RFC


def test_the_streamed_root_is_the_rfcs_and_an_edit_in_the_database_changes_it(any_store):
    app = Responsibilities(store_environment("responsibility", any_store))
    try:
        founder = Actor(person_id=uuid.uuid4(), unit_id=uuid.uuid4())
        for n in range(7):
            app.register_unit(code=f"U{n}", name=f"单位{n}", kind="district_department",
                              actor=founder, occurred_at=datetime(2025, 1, 2 + n, tzinfo=UTC))
        hasher = SUITES["sha256-ed25519"].hasher
        size, root = log_root(app.recorder, hasher)
        entries = [leaf_bytes(n) for n in stored_notifications(app.recorder)]
        assert size == len(entries) >= 7
        assert root == mth(entries)
        assert log_root(app.recorder, hasher, upto=3) == (3, mth(entries[:3]))
        sm3_size, sm3_root = log_root(app.recorder, SUITES["sm3-sm2"].hasher)
        assert sm3_size == size and sm3_root != root

        # A unit renamed directly in the store, bypassing every command.
        if any_store.backend == "sqlite":
            with sqlite3.connect(any_store.var_dir / "responsibility.sqlite") as db:
                db.execute("UPDATE stored_events SET state = replace(state, '单位3', '单位X')")
        else:
            schema = schema_name("responsibility", any_store)
            with psycopg.connect(host=any_store.pg_host, port=any_store.pg_port,
                                 user=any_store.pg_user, dbname=any_store.pg_dbname,
                                 autocommit=True) as db:
                db.execute(
                    f'UPDATE "{schema}".responsibility_events SET state = '
                    "convert_to(replace(convert_from(state, 'UTF8'), '单位3', '单位X'), 'UTF8')"
                )
        edited = log_root(app.recorder, hasher)
        assert edited[0] == size and edited[1] != root
    finally:
        app.close()

"""Helpers for the audit chain tests: append rows through the service, read the chain back, and
tamper with it in SQL the way someone with database access would (around the triggers)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, text

from sparkcodes.audit import service
from sparkcodes.models import AuditLink


def append(app: FastAPI, n: int = 1, *, business_id: str | None = None,
           action: str = "thing.changed") -> list[str]:
    """``n`` audit rows, one transaction each; their ids in order."""
    ids = []
    for i in range(n):
        with app.state.db.unit_of_work() as session:
            ids.append(service.record(session, actor_id=None, action=action, target_type="thing",
                                      target_id=f"t{i}", business_id=business_id,
                                      after={"n": i, "note": "naïve café"}).id)
    return ids


def verify(app: FastAPI, **keys: Any) -> service.Verification:
    settings = app.state.settings
    ring = service.keyring(settings) if not keys else service.chain.Keyring(**keys)
    with app.state.db.unit_of_work(write=False) as session:
        return service.verify(session, ring, batch=100)


def links(app: FastAPI) -> list[AuditLink]:
    with app.state.db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditLink).order_by(AuditLink.seq)))


@contextmanager
def _raw(app: FastAPI) -> Iterator[Any]:
    """A connection that steps around the append-only triggers (and the foreign keys): on
    PostgreSQL a superuser's replica role, on SQLite the file opened directly, triggers dropped
    and put back afterwards."""
    engine = app.state.db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield lambda sql, params=None: conn.execute(text(sql), params or {})
        return
    conn = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                ).fetchall()
        conn.execute("BEGIN IMMEDIATE")
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        yield lambda sql, params=None: conn.execute(sql, params or {})
        for _name, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def broken_on_purpose(app: FastAPI) -> None:
    """Spare this test the harness's check that the chain is intact afterwards."""
    app.state.audit_chain_broken_on_purpose = True


def tamper(app: FastAPI, *statements: str | tuple[str, dict[str, Any]]) -> None:
    """Run SQL against the audit tables as an intruder would, in one transaction."""
    broken_on_purpose(app)
    with _raw(app) as run:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, None)
            run(sql, params)

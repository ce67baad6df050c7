"""The pool pings a PostgreSQL connection only when it has been idle a while: a busy, healthy
pool makes no extra round trip, and a connection left dead by a restart is still replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from sparkcodes import db as db_module
from sparkcodes.db import Database


@pytest.fixture
def database(backend):  # type: ignore[no-untyped-def]
    if backend.name != "postgres":
        pytest.skip("SQLite has no server whose restart would leave connections dead")
    database = Database(backend.settings(db_pool_size=1))
    yield database
    database.dispose()


@pytest.fixture
def pings(database, monkeypatch):  # type: ignore[no-untyped-def]
    counted: list[int] = []
    ping = database.engine.dialect.do_ping

    def counting(dbapi_connection):  # type: ignore[no-untyped-def]
        counted.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counting)
    return counted


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.exec_driver_sql("select pg_backend_pid()").scalar_one())


def test_a_connection_used_a_moment_ago_is_not_pinged(database, pings):
    first = _backend_pid(database)
    assert _backend_pid(database) == first
    assert _backend_pid(database) == first
    assert pings == []


def test_an_idle_connection_is_pinged_before_use(database, pings, monkeypatch):
    first = _backend_pid(database)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend_pid(database) == first
    assert pings == [1]


def test_an_idle_connection_found_dead_is_replaced(backend, database, pings, monkeypatch):
    dead = _backend_pid(database)
    admin = create_engine(backend.url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"select pg_terminate_backend({dead})")
    finally:
        admin.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend_pid(database) != dead
    assert pings == [1]

"""Test harness: every integration test runs on SQLite, and on PostgreSQL when
SPARKCODES_TEST_POSTGRES_URL is set. The schema is built by the migrations; tables are emptied
after each test."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

# rich fixes a console's width from COLUMNS when the console is made (at import, in cli.common),
# and pytest-xdist starts its workers with COLUMNS=80. Unset, each CLI test's own COLUMNS applies.
os.environ.pop("COLUMNS", None)

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sparkcodes.app import create_app
from sparkcodes.config import Settings
from sparkcodes.kit import clock, crypto
from sparkcodes.migrations import upgrade
from sparkcodes.models import Base
from tests.factories import free_port

PG_ENV = "SPARKCODES_TEST_POSTGRES_URL"

# Sign-up and log-in are exercised hundreds of times; production-strength argon2 costs would make
# that the slowest part of the suite while testing nothing more (the hasher is the library's).
crypto._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
BACKENDS = ["sqlite", "postgres"]


def _pg_admin_url() -> str:
    url = os.environ[PG_ENV]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


class Backend:
    """One database for the whole session: created, migrated, and dropped at the end."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name = name
        self._drop = None
        if name == "sqlite":
            self.url = f"sqlite:///{tmp / 'test.db'}"
        else:
            admin_url = _pg_admin_url()
            db_name = f"sparkcodes_test_{uuid.uuid4().hex[:10]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
                # A test database need not survive a crash of the server: commits need not wait
                # for the disk (the suite commits tens of thousands of times).
                conn.execute(text(f'ALTER DATABASE "{db_name}" SET synchronous_commit = off'))
            self.url = make_url(admin_url).set(database=db_name).render_as_string(
                hide_password=False
            )

            def drop() -> None:
                with admin.connect() as conn:
                    conn.execute(text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": db_name})
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
                admin.dispose()

            self._drop = drop
        upgrade(self.url)

    def settings(self, **overrides) -> Settings:  # type: ignore[no-untyped-def]
        values = dict(database_url=self.url, secret_key="test-secret-key", env="test",
                      sandbox=True, db_pool_size=30, embedded_worker=False,
                      # Each test's client starts the app: frozen in turn, the garbage of
                      # earlier tests (engines holding connections) would never be collected.
                      freeze_heap=False,
                      # The webhook receivers under test listen on 127.0.0.1.
                      webhooks={"allow_private_addresses": True},
                      # TikTok's QPS limits are tested on apps built for it; tests elsewhere
                      # call faster than 10 per second.
                      tiktok={"app_qps": 100_000, "advertiser_qps": 100_000},
                      # The stand-in TikTok servers of the connector tests listen on 127.0.0.1;
                      # short backoffs keep their retries quick.
                      connector={"allow_loopback_http": True, "backoff_initial_seconds": 0.1,
                                 "backoff_max_seconds": 1.0})
        values.update(overrides)
        return Settings(**values)

    def close(self) -> None:
        if self._drop:
            self._drop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> Iterator[Backend]:  # type: ignore[no-untyped-def]
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run these tests on it")
    b = Backend(request.param, tmp_path_factory.mktemp(request.param))
    yield b
    b.close()


def _truncate(app) -> None:  # type: ignore[no-untyped-def]
    engine = app.state.db.engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        # The audit tables refuse DELETE and TRUNCATE by trigger (migration 0012): the harness,
        # and only it, steps around them.
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            # Truncating every table costs far more than finding the few a test filled.
            filled = conn.scalars(text(" UNION ALL ".join(
                f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables))).all()
            if filled:
                conn.execute(text("TRUNCATE " + ", ".join(filled) + " CASCADE"))
        else:
            triggers = conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            for _name, sql in triggers:
                conn.execute(text(sql))


@pytest.fixture(scope="module")
def engine(backend):  # type: ignore[no-untyped-def]
    """An engine of its own on the backend's database, for tests that run SQL directly (the
    "SQL equals the pure rule" checks, query plans)."""
    engine = create_engine(backend.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _session_app(backend):  # type: ignore[no-untyped-def]
    app = create_app(backend.settings())
    yield app
    app.state.db.dispose()


def _assert_audit_chain_intact(app) -> None:  # type: ignore[no-untyped-def]
    """Whatever a test did through the app, the audit chain it left verifies."""
    from sparkcodes.audit import service as audit

    with app.state.db.unit_of_work(write=False) as session:
        result = audit.verify(session, audit.keyring(app.state.settings))
    assert result.intact, f"the audit chain is broken after this test: {result.broken}"


@pytest.fixture
def app(_session_app):  # type: ignore[no-untyped-def]
    clock.reset()
    _session_app.state.limiter.reset()
    _session_app.state.audit_chain_broken_on_purpose = False
    yield _session_app
    try:
        # Tests that tamper with the chain say so (tests/audit/chaintools.py).
        if not _session_app.state.audit_chain_broken_on_purpose:
            _assert_audit_chain_intact(_session_app)
    finally:
        _truncate(_session_app)
        clock.reset()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c



@pytest.fixture(scope="session")
def _live(_session_app):  # type: ignore[no-untyped-def]
    port = free_port()
    config = uvicorn.Config(_session_app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_url(app, _live) -> str:  # type: ignore[no-untyped-def]
    """A real HTTP server (uvicorn in a thread) over the same app, for concurrency tests."""
    return _live

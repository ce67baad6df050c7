"""Migration 0014 (rate_limit_counters; api_tokens.kind and last_used_at): up, down and up
again, matching the models; the log-in page's existing tokens become sessions."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from sparkcodes.migrations import alembic_config
from sparkcodes.models import Base
from tests.code_request.test_cancel import _fresh_database


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0014_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    url, drop = _fresh_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        config = alembic_config(url)

        def token_columns() -> set[str]:
            return {c["name"] for c in inspect(engine).get_columns("api_tokens")}

        command.upgrade(config, "0013")
        engine.dispose()
        assert "rate_limit_counters" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            for token_id, name in (("t1", "web session"), ("t2", "log-in")):
                conn.execute(text(
                    "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) "
                    f"VALUES ('{token_id}', 'u1', '{name}', 'h{token_id}', 'abc', "
                    "CURRENT_TIMESTAMP)"))
        command.upgrade(config, "head")
        engine.dispose()
        assert {"kind", "last_used_at"} <= token_columns()
        assert "rate_limit_counters" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            kinds = dict(conn.execute(text("SELECT id, kind FROM api_tokens")).all())
            assert kinds == {"t1": "session", "t2": "api"}
            drift = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert drift == [], drift
        command.downgrade(config, "0013")
        engine.dispose()
        assert not {"kind", "last_used_at"} & token_columns()
        assert "rate_limit_counters" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 2
        command.upgrade(config, "head")
        engine.dispose()
    finally:
        engine.dispose()
        if drop is not None:
            drop()

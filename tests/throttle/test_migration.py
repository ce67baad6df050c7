"""Migration 0014 (rate_limit_counters; api_tokens.kind and last_used_at): up, down and up
again, matching the models; the log-in page's existing tokens become sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0014_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0013")
        assert "rate_limit_counters" not in db.tables()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            for token_id, name in (("t1", "web session"), ("t2", "log-in")):
                conn.execute(text(
                    "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) "
                    f"VALUES ('{token_id}', 'u1', '{name}', 'h{token_id}', 'abc', "
                    "CURRENT_TIMESTAMP)"))
        db.upgrade("head")
        assert {"kind", "last_used_at"} <= db.columns("api_tokens")
        assert "rate_limit_counters" in db.tables()
        with engine.begin() as conn:
            kinds = dict(conn.execute(text("SELECT id, kind FROM api_tokens")).all())
            assert kinds == {"t1": "session", "t2": "api"}
            db.assert_matches_models(conn)
        db.downgrade("0013")
        assert not {"kind", "last_used_at"} & db.columns("api_tokens")
        assert "rate_limit_counters" not in db.tables()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 2
        db.upgrade("head")

"""Migration 0020 (email_opt_outs): up, down and up again, matching the models; existing users
have no opt-outs, so every alert still reaches them by e-mail."""

from __future__ import annotations

import pytest

from tests.migrations import KINDS, migrating


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0020_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0019")
        assert "email_opt_outs" not in db.tables()
        db.upgrade("head")
        assert "email_opt_outs" in db.tables()
        with db.engine.connect() as conn:
            db.assert_matches_models(conn)
        db.downgrade("0019")
        assert "email_opt_outs" not in db.tables()
        db.upgrade("0020")
        assert {"user_id", "event_type", "created_at"} <= db.columns("email_opt_outs")

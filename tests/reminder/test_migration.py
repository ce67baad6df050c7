"""Migration 0017 (the sweeps' markers and partial indexes): up, down and up again, matching the
models, and the backfill: what was told before it (an expiry reminder of a code's current end, an
expiry notice's audit row) is marked told, so no sweep tells it again; nothing else is."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tests.migrations import KINDS, migrating, without_parents

END, LATER = "2026-01-10 12:00:00.000000", "2026-02-10 12:00:00.000000"
AT = "2026-01-01 00:00:00.000000"


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0017_upgrades_backfills_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0016")
        with engine.begin() as conn:
            without_parents(conn)
            for id_, end in (("told", END), ("extended", LATER), ("untold", END)):
                conn.execute(text(
                    "INSERT INTO authorizations (id, post_id, code_hint, days, starts_at, "
                    "expires_at, created_at, source) VALUES (:id, 'p', 'ab12', 30, :at, :end, "
                    ":at, 'local')"), {"id": id_, "end": end, "at": AT})
            for id_, auth in (("r1", "told"), ("r2", "extended")):  # expired at END, both
                conn.execute(text(
                    "INSERT INTO reminders (id, authorization_id, kind, window_end, created_at) "
                    "VALUES (:id, :a, 'expired', :end, :end)"), {"id": id_, "a": auth, "end": END})
            for id_ in ("noticed", "unnoticed"):
                conn.execute(text(
                    "INSERT INTO code_requests (id, post_id, ad_account_id, days, currency, terms, "
                    "requested_by_id, created_at, expires_at) VALUES (:id, 'p', 'a', 30, 'USD', "
                    "'', 'u', :at, :end)"), {"id": id_, "at": AT, "end": END})
                conn.execute(text(
                    "INSERT INTO renewal_requests (id, authorization_id, ad_account_id, days, "
                    "message, requested_by_id, created_at) VALUES (:id, 'told', 'a', 7, '', 'u', "
                    ":at)"), {"id": id_, "at": AT})
            for target_type in ("code_request", "renewal_request"):
                conn.execute(text(
                    "INSERT INTO audit_events (id, occurred_at, action, target_type, target_id, "
                    "details) VALUES (:id, :end, :action, :t, 'noticed', '{}')"),
                    {"id": f"e-{target_type}", "end": LATER, "action": f"{target_type}.expired",
                     "t": target_type})
        db.upgrade("head")
        with engine.begin() as conn:
            told = {r[0]: r[1] is not None for r in conn.execute(text(
                "SELECT id, reminded_end FROM authorizations"))}
            assert told == {"told": True, "extended": False, "untold": False}
            for table in ("code_requests", "renewal_requests"):
                noticed = {r[0]: r[1] is not None for r in conn.execute(text(
                    f"SELECT id, expiry_noticed_at FROM {table}"))}
                assert noticed == {"noticed": True, "unnoticed": False}, table
            db.assert_matches_models(conn)
        indexes = {i["name"] for i in inspect(engine).get_indexes("authorizations")}
        assert "ix_authorizations_reminder_due" in indexes
        db.downgrade("0016")
        assert "reminded_end" not in db.columns("authorizations")
        assert "expiry_noticed_at" not in db.columns("code_requests")
        assert "fallback_end" not in db.columns("ads")
        db.upgrade("head")
        assert "fallback_end" in db.columns("ads")


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0029_adds_the_failure_of_a_reminder_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0028")
        assert {"failed_at", "last_error"}.isdisjoint(db.columns("reminders"))
        with db.engine.begin() as conn:
            without_parents(conn)
            conn.execute(text(
                "INSERT INTO reminders (id, authorization_id, kind, window_end, created_at) "
                "VALUES ('r1', 'a', 'expired', :end, :at)"), {"end": END, "at": AT})
        db.upgrade("head")  # the schema the models describe
        with db.engine.begin() as conn:
            row = conn.execute(text(
                "SELECT kind, failed_at, last_error FROM reminders WHERE id = 'r1'")).one()
            assert tuple(row) == ("expired", None, None)  # recorded before: not failed
            conn.execute(text(
                "UPDATE reminders SET failed_at = :at, last_error = 'Given up' WHERE id = 'r1'"),
                {"at": LATER})
            db.assert_matches_models(conn)
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("reminders")}
        assert "ix_reminders_failed" in indexes
        db.downgrade("0028")
        assert {"failed_at", "last_error"}.isdisjoint(db.columns("reminders"))
        assert "ix_reminders_failed" not in {
            i["name"] for i in inspect(db.engine).get_indexes("reminders")}
        with db.engine.connect() as conn:  # the reminder itself is kept
            assert conn.execute(text("SELECT kind FROM reminders")).scalar_one() == "expired"
        db.upgrade("0029")
        assert {"failed_at", "last_error"} <= db.columns("reminders")

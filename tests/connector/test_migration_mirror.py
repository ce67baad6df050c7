"""Migration 0011 (the TikTok mirror's columns, tiktok_sync_runs): up, down and up again,
matching the models, with native rows kept, and the tracker's trigger-maintained columns of
migration 0009 still kept for rows written after it (SQLite rebuilds the tables it alters, which
drops their triggers: the migration makes them again). A later migration that rebuilds those
tables keeps the triggers with sparkcodes.migrations.batch instead of copying their SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.migrations import KINDS, migrating, rebuild, triggers

MIRRORED = ("ad_accounts", "creators", "posts", "authorizations", "spark_posts")


def _rows(conn) -> None:  # type: ignore[no-untyped-def]
    for sql in (
        "INSERT INTO users (id, email, name, password_hash, created_at) "
        "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)",
        "INSERT INTO businesses (id, name, created_by_id, created_at) "
        "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)",
        "INSERT INTO ad_accounts (id, tiktok_id, business_id, name, timezone, created_at) "
        "VALUES ('aa1', 1000000000000000001, 'b1', 'Acc', 'UTC', CURRENT_TIMESTAMP)",
        "INSERT INTO creators (id, tiktok_id, owner_id, handle, handle_key, display_name, "
        "region, created_at) VALUES ('c1', 1000000000000000002, 'u1', 'Jo', 'jo', 'Jo', 'US', "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO posts (id, tiktok_id, creator_id, kind, caption, sound, visibility, "
        "revision, published_at, views, likes, comments, shares, created_at) VALUES ('p1', "
        "1000000000000000003, 'c1', 'video', '', 'original', 'public', 1, CURRENT_TIMESTAMP, "
        "0, 0, 0, 0, CURRENT_TIMESTAMP)",
        "INSERT INTO authorizations (id, post_id, code_hash, code_hint, days, created_by_id, "
        "starts_at, expires_at, created_at) VALUES ('a1', 'p1', 'h1', 'ABCD', 30, 'u1', "
        "'2026-01-01 00:00:00', '2026-01-31 00:00:00', CURRENT_TIMESTAMP)",
    ):
        conn.execute(text(sql))


def _bind(conn, sp_id: str, auth_id: str, bound_by: str | None,  # type: ignore[no-untyped-def]
          mirrored: bool = False) -> None:
    extra = (", 'tiktok', :id, 'k1'", ", source, external_id, connection_id") if mirrored \
        else ("", "")
    conn.execute(text(
        "INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, authorization_id, "
        f"bound_by_id, bound_at{extra[1]}) VALUES (:id, 'aa1', 'p1', 'AUTH_CODE', :a, :u, "
        f"CURRENT_TIMESTAMP{extra[0]})"), {"id": sp_id, "a": auth_id, "u": bound_by})


def _derived(conn, sp_id: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    row = conn.execute(text("SELECT business_id, window_end_at FROM spark_posts WHERE id = :i"),
                       {"i": sp_id}).one()
    return row[0], str(row[1])[:10]


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0011_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0010")
        with engine.begin() as conn:
            _rows(conn)
            _bind(conn, "sp1", "a1", "u1")
        db.upgrade("head")  # the schema the models describe
        assert "tiktok_sync_runs" in db.tables()
        with engine.begin() as conn:
            for table in MIRRORED:
                assert conn.execute(text(f"SELECT source FROM {table}")).scalars().all() == [
                    "native"], table
            db.assert_matches_models(conn)
            # A mirrored code: no hash, no issuer; its Spark post has no binder. The 0009
            # triggers still fill the business and the window end, and follow a new end.
            conn.execute(text(
                "INSERT INTO tiktok_connections (id, business_id, base_url, method, created_at, "
                "created_by_id) VALUES ('k1', 'b1', 'https://x', 'token', CURRENT_TIMESTAMP, "
                "'u1')"))
            conn.execute(text(
                "INSERT INTO authorizations (id, post_id, code_hint, days, starts_at, "
                "expires_at, created_at, source, external_id, connection_id) VALUES ('a2', "
                "'p1', 'WXYZ', 10, '2026-02-01 00:00:00', '2026-02-11 00:00:00', "
                "CURRENT_TIMESTAMP, 'tiktok', '77', 'k1')"))
            conn.execute(text("UPDATE spark_posts SET unbound_at = CURRENT_TIMESTAMP"))
            _bind(conn, "sp2", "a2", None, mirrored=True)
            assert _derived(conn, "sp2") == ("b1", "2026-02-11")
            conn.execute(text("UPDATE authorizations SET expires_at = '2026-03-01 00:00:00' "
                              "WHERE id = 'a2'"))
            assert _derived(conn, "sp2") == ("b1", "2026-03-01")
            assert _derived(conn, "sp1") == ("b1", "2026-01-31")
            # Unique among native creators only; one row per TikTok object and connection.
            conn.execute(text(
                "INSERT INTO creators (id, tiktok_id, handle, handle_key, display_name, region, "
                "created_at, source, external_id, connection_id) VALUES ('c2', "
                "1000000000000000009, 'Jo', 'jo', 'Jo', 'US', CURRENT_TIMESTAMP, 'tiktok', "
                "'55', 'k1')"))
        with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO creators (id, tiktok_id, handle, handle_key, display_name, region, "
                "created_at, source, external_id, connection_id) VALUES ('c3', "
                "1000000000000000010, 'Jo', 'jo', 'Jo', 'US', CURRENT_TIMESTAMP, 'tiktok', "
                "'55', 'k1')"))
        with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO creators (id, tiktok_id, owner_id, handle, handle_key, "
                "display_name, region, created_at) VALUES ('c4', 1000000000000000011, 'u1', "
                "'JO', 'jo', 'Jo', 'US', CURRENT_TIMESTAMP)"))
        db.downgrade("0010")
        assert "tiktok_sync_runs" not in db.tables()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id FROM spark_posts")).scalars().all() == ["sp1"]
            assert conn.execute(text("SELECT id FROM creators")).scalars().all() == ["c1"]
            conn.execute(text("UPDATE spark_posts SET unbound_at = NULL"))
            conn.execute(text("UPDATE authorizations SET expires_at = '2026-01-21 00:00:00' "
                              "WHERE id = 'a1'"))
            assert _derived(conn, "sp1") == ("b1", "2026-01-21")
        db.upgrade("head")


WINDOW_TRIGGERS = {
    "sqlite": {"trg_authorizations_window", "trg_spark_posts_derived_insert",
               "trg_spark_posts_derived_update"},
    "postgres": {"trg_authorizations_window", "trg_spark_posts_derived"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_later_rebuild_keeps_the_window_triggers(kind, tmp_path):  # type: ignore[no-untyped-def]
    """batch_alter_table_keeping_triggers: authorizations and spark_posts rebuilt at head keep
    0009's triggers, the same SQL, and they still keep the business and the window end."""
    with migrating(kind, tmp_path) as db:
        db.upgrade("head")
        before = triggers(db.engine)
        assert {name for name, _ in before} >= WINDOW_TRIGGERS[kind]
        with db.engine.begin() as conn:
            _rows(conn)
        for table in ("authorizations", "spark_posts"):
            rebuild(db.engine, table)
        assert triggers(db.engine) == before
        db.assert_matches_models()
        with db.engine.begin() as conn:
            _bind(conn, "sp1", "a1", "u1")
            assert _derived(conn, "sp1") == ("b1", "2026-01-31")
            conn.execute(text("UPDATE authorizations SET expires_at = '2026-02-20 00:00:00' "
                              "WHERE id = 'a1'"))
            assert _derived(conn, "sp1") == ("b1", "2026-02-20")


def test_a_plain_batch_rebuild_on_sqlite_breaks_on_the_triggers(tmp_path):  # type: ignore[no-untyped-def]
    """Why the helper exists: a plain batch cannot even rename the rebuilt spark_posts back while
    a trigger on authorizations names it."""
    with migrating("sqlite", tmp_path) as db:
        db.upgrade("head")
        with pytest.raises(OperationalError, match="error in trigger trg_authorizations_window"):
            rebuild(db.engine, "spark_posts", keeping_triggers=False)

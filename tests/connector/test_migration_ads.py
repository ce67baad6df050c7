"""Migration 0016 (step 3's mirror columns on campaigns, ad groups and ads): up, down and up
again, matching the models; native rows are kept, mirrored ones (and their daily rollups) go on
the way down, and the mirror's unique key holds."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.migrations import KINDS, migrating

TABLES = ("campaigns", "ad_groups", "ads")


def _campaign(conn, ident: str, tiktok_id: int, extra: str = "", values: str = "") -> None:  # type: ignore[no-untyped-def]
    conn.execute(text(
        "INSERT INTO campaigns (id, tiktok_id, ad_account_id, name, objective, budget_mode, "
        f"created_by_id, created_at{extra}) VALUES ('{ident}', {tiktok_id}, 'aa1', 'Spring', "
        f"'ENGAGEMENT', 'BUDGET_MODE_INFINITE', {values or chr(39) + 'u1' + chr(39)}, "
        "CURRENT_TIMESTAMP" + (", 'tiktok', '7001', 'tc1')" if extra else ")")))


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0016_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0015")
        assert not {"source", "external_id", "connection_id"} & db.columns("ads")
        with engine.begin() as conn:
            for sql in (
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)",
                "INSERT INTO businesses (id, name, created_by_id, created_at) "
                "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)",
                "INSERT INTO ad_accounts (id, tiktok_id, business_id, name, timezone, "
                "created_at) VALUES ('aa1', 1000000000000000001, 'b1', 'Acc', 'UTC', "
                "CURRENT_TIMESTAMP)",
                "INSERT INTO tiktok_connections (id, business_id, base_url, method, "
                "access_token_sealed, created_at, created_by_id) VALUES ('tc1', 'b1', "
                "'https://business-api.tiktok.com', 'token', 'gAAAA', CURRENT_TIMESTAMP, 'u1')",
            ):
                conn.execute(text(sql))
            _campaign(conn, "native1", 1000000000000000002)
        db.upgrade("head")
        for table in TABLES:
            assert {"source", "external_id", "connection_id"} <= db.columns(table)
            assert f"uq_{table}_source_connection_id_external_id" in {
                ix["name"] for ix in inspect(engine).get_indexes(table)}
        with engine.begin() as conn:
            assert conn.execute(text(
                "SELECT source FROM campaigns WHERE id = 'native1'")).scalar_one() == "native"
            _campaign(conn, "mirror1", 1000000000000000003, extra=", source, external_id, "
                      "connection_id", values="NULL")
            db.assert_matches_models(conn)
        # One row per TikTok campaign and connection.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _campaign(conn, "mirror2", 1000000000000000004, extra=", source, external_id, "
                      "connection_id", values="NULL")
        db.downgrade("0015")
        assert "source" not in db.columns("campaigns")
        with engine.connect() as conn:
            assert [r[0] for r in conn.execute(text("SELECT id FROM campaigns"))] == ["native1"]
        db.upgrade("head")
        assert "source" in db.columns("campaigns")

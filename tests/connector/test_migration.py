"""Migration 0010 (tiktok_connections, tiktok_advertisers): up, down and up again, matching the
models, with a business's rows kept through the round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tests.migrations import KINDS, migrating

TABLES = {"tiktok_connections", "tiktok_advertisers"}


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0010_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0009")
        assert not TABLES & db.tables()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO businesses (id, name, created_by_id, created_at) "
                "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)"))
        db.upgrade("head")
        assert db.tables() >= TABLES
        # PostgreSQL also lists the unique constraint's index here.
        assert "ix_tiktok_connections_business_id" in {
            ix["name"] for ix in inspect(engine).get_indexes("tiktok_connections")}
        assert {u["name"] for u in inspect(engine).get_unique_constraints(
            "tiktok_advertisers")} == {"uq_tiktok_advertisers_connection_id_advertiser_id"}
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO tiktok_connections (id, business_id, base_url, method, "
                "access_token_sealed, created_at, created_by_id) VALUES ('c1', 'b1', "
                "'https://business-api.tiktok.com', 'token', 'gAAAA', CURRENT_TIMESTAMP, 'u1')"))
            conn.execute(text(
                "INSERT INTO tiktok_advertisers (id, connection_id, advertiser_id, name, "
                "created_at) VALUES ('a1', 'c1', '701', 'Glow', CURRENT_TIMESTAMP)"))
            db.assert_matches_models(conn)
        db.downgrade("0009")
        assert not TABLES & db.tables()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM businesses")).scalar_one() == "Biz"
        db.upgrade("head")
        assert db.tables() >= TABLES

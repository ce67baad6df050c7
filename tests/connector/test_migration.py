"""Migration 0010 (tiktok_connections, tiktok_advertisers): up, down and up again, matching the
models, with a business's rows kept through the round trip."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from sparkcodes.migrations import alembic_config
from sparkcodes.models import Base
from tests.code_request.test_cancel import _fresh_database

TABLES = {"tiktok_connections", "tiktok_advertisers"}


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0010_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    url, drop = _fresh_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        config = alembic_config(url)

        def tables() -> set[str]:
            return set(inspect(engine).get_table_names())

        command.upgrade(config, "0009")
        engine.dispose()
        assert not TABLES & tables()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO businesses (id, name, created_by_id, created_at) "
                "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)"))
        command.upgrade(config, "head")
        engine.dispose()
        assert tables() >= TABLES
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
            drift = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert drift == [], drift
        command.downgrade(config, "0009")
        engine.dispose()
        assert not TABLES & tables()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM businesses")).scalar_one() == "Biz"
        command.upgrade(config, "head")
        engine.dispose()
        assert tables() >= TABLES
    finally:
        engine.dispose()
        if drop is not None:
            drop()

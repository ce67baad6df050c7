"""Migration 0016 (step 3's mirror columns on campaigns, ad groups and ads): up, down and up
again, matching the models; native rows are kept, mirrored ones (and their daily rollups) go on
the way down, and the mirror's unique key holds."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from sparkcodes.migrations import alembic_config
from sparkcodes.models import Base
from tests.code_request.test_cancel import _fresh_database

TABLES = ("campaigns", "ad_groups", "ads")


def _campaign(conn, ident: str, tiktok_id: int, extra: str = "", values: str = "") -> None:  # type: ignore[no-untyped-def]
    conn.execute(text(
        "INSERT INTO campaigns (id, tiktok_id, ad_account_id, name, objective, budget_mode, "
        f"created_by_id, created_at{extra}) VALUES ('{ident}', {tiktok_id}, 'aa1', 'Spring', "
        f"'ENGAGEMENT', 'BUDGET_MODE_INFINITE', {values or chr(39) + 'u1' + chr(39)}, "
        "CURRENT_TIMESTAMP" + (", 'tiktok', '7001', 'tc1')" if extra else ")")))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0016_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    url, drop = _fresh_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        config = alembic_config(url)

        def columns(table: str) -> set[str]:
            return {c["name"] for c in inspect(engine).get_columns(table)}

        command.upgrade(config, "0015")
        engine.dispose()
        assert not {"source", "external_id", "connection_id"} & columns("ads")
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
        command.upgrade(config, "head")
        engine.dispose()
        for table in TABLES:
            assert {"source", "external_id", "connection_id"} <= columns(table)
            assert f"uq_{table}_source_connection_id_external_id" in {
                ix["name"] for ix in inspect(engine).get_indexes(table)}
        with engine.begin() as conn:
            assert conn.execute(text(
                "SELECT source FROM campaigns WHERE id = 'native1'")).scalar_one() == "native"
            _campaign(conn, "mirror1", 1000000000000000003, extra=", source, external_id, "
                      "connection_id", values="NULL")
            drift = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert drift == [], drift
        # One row per TikTok campaign and connection.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _campaign(conn, "mirror2", 1000000000000000004, extra=", source, external_id, "
                      "connection_id", values="NULL")
        command.downgrade(config, "0015")
        engine.dispose()
        assert "source" not in columns("campaigns")
        with engine.connect() as conn:
            assert [r[0] for r in conn.execute(text("SELECT id FROM campaigns"))] == ["native1"]
        command.upgrade(config, "head")
        engine.dispose()
        assert "source" in columns("campaigns")
    finally:
        engine.dispose()
        if drop is not None:
            drop()

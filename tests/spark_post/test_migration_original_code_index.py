"""Migration 0025 (Spark posts by original code through a partial index): up with the Spark posts
kept and still found by their original code, no drift from the models, down and up again."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tests.migrations import KINDS, Migrated, migrating, without_parents

FULL, PARTIAL = "ix_spark_posts_original_authorization_id", "ix_spark_posts_original_authorization"


def _indexes(db: Migrated) -> set[str]:
    return {i["name"] or "" for i in inspect(db.engine).get_indexes("spark_posts")}


def _on_original(db: Migrated, code: str) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(text(
            "SELECT id FROM spark_posts WHERE original_authorization_id = :c ORDER BY id"
        ).bindparams(c=code)))


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0025_indexes_only_spark_posts_with_an_original(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0024")
        with db.engine.begin() as conn:
            without_parents(conn)
            conn.execute(text(
                "INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, bound_at, "
                "source, authorization_id, original_authorization_id) VALUES "
                "('s1', 'a1', 'p1', 'AUTH_CODE', '2026-03-01 00:00:00', 'local', 'c1', NULL), "
                "('s2', 'a1', 'p2', 'AUTH_CODE', '2026-03-01 00:00:00', 'local', 'c2', 'c1')"))
        assert FULL in _indexes(db)
        db.upgrade("0025")
        assert PARTIAL in _indexes(db) and FULL not in _indexes(db)
        with db.engine.connect() as conn:
            kept = conn.execute(text(
                "SELECT id, authorization_id, original_authorization_id FROM spark_posts "
                "ORDER BY id")).all()
        assert [tuple(r) for r in kept] == [("s1", "c1", None), ("s2", "c2", "c1")]
        assert _on_original(db, "c1") == ["s2"]
        db.upgrade("head")
        db.assert_matches_models()
        db.downgrade("0024")
        assert FULL in _indexes(db) and PARTIAL not in _indexes(db)
        assert _on_original(db, "c1") == ["s2"]
        db.upgrade("head")
        assert PARTIAL in _indexes(db) and FULL not in _indexes(db)
        db.assert_matches_models()

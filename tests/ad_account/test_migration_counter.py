"""Migration 0019 (ad_accounts.active_spark_posts): up with the counter backfilled from the live
Spark posts, no drift from the models, down and up again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating

_SEED = [
    "INSERT INTO users (id, email, name, password_hash, created_at) "
    "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)",
    "INSERT INTO businesses (id, name, created_by_id, created_at) "
    "VALUES ('b1', 'B', 'u1', CURRENT_TIMESTAMP)",
    "INSERT INTO creators (id, tiktok_id, handle, handle_key, display_name, region, created_at) "
    "VALUES ('c1', 1, 'creator', 'creator', 'C', 'US', CURRENT_TIMESTAMP)",
]


def _accounts_and_posts() -> list[str]:
    out = []
    for account in ("a1", "a2", "a3"):
        out.append("INSERT INTO ad_accounts (id, tiktok_id, business_id, name, timezone, "
                   f"created_at) VALUES ('{account}', {ord(account[1])}, 'b1', '{account}', "
                   "'UTC', CURRENT_TIMESTAMP)")
    # a1: 3 live and 1 unbound; a2: 1 unbound; a3: none.
    for i, (account, unbound) in enumerate([("a1", False), ("a1", False), ("a1", False),
                                            ("a1", True), ("a2", True)]):
        out.append("INSERT INTO posts (id, tiktok_id, creator_id, kind, caption, sound, "
                   "visibility, revision, published_at, views, likes, comments, shares, "
                   f"created_at) VALUES ('p{i}', {1000 + i}, 'c1', 'video', '', 'original', "
                   "'public', 1, CURRENT_TIMESTAMP, 0, 0, 0, 0, CURRENT_TIMESTAMP)")
        out.append("INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, "
                   f"bound_at, unbound_at) VALUES ('s{i}', '{account}', 'p{i}', 'AUTH_CODE', "
                   f"CURRENT_TIMESTAMP, {'CURRENT_TIMESTAMP' if unbound else 'NULL'})")
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0019_backfills_the_counter_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0018")
        with db.engine.begin() as conn:
            for statement in _SEED + _accounts_and_posts():
                conn.execute(text(statement))
        db.upgrade("head")  # 0019 and the later ones: the schema the models describe
        with db.engine.begin() as conn:
            counts = dict(conn.execute(text(
                "SELECT id, active_spark_posts FROM ad_accounts")).all())
            assert counts == {"a1": 3, "a2": 0, "a3": 0}
        db.assert_matches_models()
        db.downgrade("0018")
        assert "active_spark_posts" not in db.columns("ad_accounts")
        db.upgrade("0019")

"""Migration 0028 (spark_posts.codes_deleted_at, posts_unavailable_at, ad_settings_enabled_at):
up with the kept columns backfilled from the codes, posts and creators, no drift from the
models, down and up again, the triggers keeping them after it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating

AT = "2026-01-01 00:00:00"
_SEED = [
    "INSERT INTO users (id, email, name, password_hash, created_at) "
    f"VALUES ('u1', 'a@example.com', 'A', 'x', '{AT}')",
    "INSERT INTO businesses (id, name, created_by_id, created_at) "
    f"VALUES ('b1', 'B', 'u1', '{AT}')",
    "INSERT INTO ad_accounts (id, tiktok_id, business_id, name, timezone, created_at) "
    f"VALUES ('a1', 1, 'b1', 'a1', 'UTC', '{AT}')",
]
# creator: ad settings enabled at (NULL: off)
CREATORS = {"c1": "2025-06-01 00:00:00", "c2": None}
# post: creator, original post, taken down at
POSTS = {"p1": ("c1", None, None), "p2": ("c2", None, None), "p3": ("c1", "p2", None),
         "p4": ("c1", None, "2026-01-05 00:00:00")}
# code: post, deleted at
CODES = {"k1": ("p1", "2026-01-03 00:00:00"), "k2": ("p2", None), "k3": ("p3", None)}
# Spark post: post, code, original's code
SPARK_POSTS = {"s1": ("p1", "k1", None), "s3": ("p3", "k3", "k2"), "s4": ("p4", None, None)}


def _seed() -> list[str]:
    out = list(_SEED)
    for i, (creator, enabled) in enumerate(CREATORS.items()):
        out.append("INSERT INTO creators (id, tiktok_id, handle, handle_key, display_name, "
                   f"region, ad_settings_enabled_at, created_at) VALUES ('{creator}', {i + 1}, "
                   f"'{creator}', '{creator}', 'C', 'US', {_sql(enabled)}, '{AT}')")
    for i, (post, (creator, original, down)) in enumerate(POSTS.items()):
        out.append("INSERT INTO posts (id, tiktok_id, creator_id, kind, caption, sound, "
                   "visibility, revision, published_at, views, likes, comments, shares, "
                   f"original_post_id, taken_down_at, created_at) VALUES ('{post}', {100 + i}, "
                   f"'{creator}', '{'duet' if original else 'video'}', '', 'original', "
                   f"'public', 1, '{AT}', 0, 0, 0, 0, {_sql(original)}, {_sql(down)}, '{AT}')")
    for code, (post, deleted) in CODES.items():
        out.append("INSERT INTO authorizations (id, post_id, code_hash, code_hint, days, "
                   "created_by_id, starts_at, expires_at, deleted_at, created_at) VALUES "
                   f"('{code}', '{post}', '{code}', 'ab12', 30, 'u1', '{AT}', "
                   f"'2026-03-01 00:00:00', {_sql(deleted)}, '{AT}')")
    for spark_post, (post, code, original_code) in SPARK_POSTS.items():
        out.append("INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, "
                   "authorization_id, original_authorization_id, bound_at) VALUES "
                   f"('{spark_post}', 'a1', '{post}', '{'AUTH_CODE' if code else 'TT_USER'}', "
                   f"{_sql(code)}, {_sql(original_code)}, '{AT}')")
    return out


def _sql(value: str | None) -> str:
    return "NULL" if value is None else f"'{value}'"


def _kept(conn) -> dict[str, tuple[str | None, ...]]:  # type: ignore[no-untyped-def]
    return {r[0]: tuple(str(v)[:10] if v is not None else None for v in r[1:])
            for r in conn.execute(text(
                "SELECT id, codes_deleted_at, posts_unavailable_at, ad_settings_enabled_at "
                "FROM spark_posts"))}


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0028_backfills_the_status_inputs_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0027")
        with db.engine.begin() as conn:
            for statement in _seed():
                conn.execute(text(statement))
        db.upgrade("head")
        expected = {"s1": ("2026-01-03", None, "2025-06-01"),
                    "s3": (None, None, None),  # the original's creator's ad settings are off
                    "s4": (None, "2026-01-05", "2025-06-01")}
        with db.engine.begin() as conn:
            assert _kept(conn) == expected
        db.assert_matches_models()
        db.downgrade("0027")
        assert "codes_deleted_at" not in db.columns("spark_posts")
        db.upgrade("head")
        with db.engine.begin() as conn:
            assert _kept(conn) == expected
            # The triggers keep them after the round trip: the original's code deleted, its
            # creator's ad settings turned on.
            conn.execute(text("UPDATE authorizations SET deleted_at = '2026-01-07 00:00:00' "
                              "WHERE id = 'k2'"))
            conn.execute(text("UPDATE creators SET ad_settings_enabled_at = "
                              "'2026-01-08 00:00:00' WHERE id = 'c2'"))
            assert _kept(conn)["s3"] == ("2026-01-07", None, "2025-06-01")

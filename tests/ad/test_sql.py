"""The look-up of a code's ads (what a reminder's tell job reads) costs what it finds: with many
Spark posts held and almost none run on an original code, both halves read an index, never the
table of what is held."""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from sparkcodes.ad.repository import ads_on_authorizations_query
from tests.plans import plan

HELD = 10_000


def _hold_many(conn: Connection) -> None:
    """Spark posts as a real database holds them: each on a code of its own, hardly any also on
    an original code (a replaced code, kept until the original ends); analysed, so the planner
    weighs the indexes by what they hold."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        rows = "generate_series(1, :held) g"
        now = "now()"
    else:
        conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        rows = ("(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                "WHERE g < :held) SELECT g FROM s)")
        now = "'2026-03-10 12:00:00'"
    conn.execute(text(
        "INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, bound_at, source, "
        "authorization_id, original_authorization_id) "
        f"SELECT 'held' || g, 'a' || g, 'p' || g, 'AUTH_CODE', {now}, 'local', 'code' || g, "
        f"CASE WHEN g % 5000 = 0 THEN 'code' || (g - 1) END FROM {rows}"
    ).bindparams(held=HELD))
    conn.execute(text("ANALYZE"))


def test_the_ads_of_a_code_are_read_by_index_not_by_scanning_what_is_held(engine) -> None:  # type: ignore[no-untyped-def]
    stmt = ads_on_authorizations_query(["code7", "code8"])
    with engine.connect() as conn, conn.begin() as tx:
        _hold_many(conn)
        found = plan(conn, stmt, begin=False)
        tx.rollback()
    assert "ix_spark_posts_authorization_id" in found, found
    assert re.search(r"\bix_spark_posts_original_authorization\b", found), found
    assert "SCAN spark_posts" not in found and "Seq Scan on spark_posts" not in found, found

"""Migration 0024 (engagement_daily.clicks): up with the existing rollups kept and their clicks
zero, no drift from the models, down and up again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating

_COUNTERS = ("impressions", "video_watched_2s", "video_watched_6s", "video_watched_15s",
             "video_views_p100", "likes", "comments", "shares", "follows", "profile_visits",
             "clicks_on_music_disc", "spend_micros")
_ROLLUP = (f"INSERT INTO engagement_daily (id, post_id, ad_key, day, {', '.join(_COUNTERS)}) "
           f"VALUES ('d1', 'p1', 'a1', '2026-11-30', 120, {', '.join(['0'] * 10)}, 1200000)")


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0024_adds_clicks(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0023")
        with db.engine.begin() as conn:
            conn.execute(text(_ROLLUP))
        db.upgrade("0024")
        with db.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT id, impressions, clicks, spend_micros FROM engagement_daily")).all()
            assert [tuple(r) for r in rows] == [("d1", 120, 0, 1_200_000)]
        db.upgrade("head")
        db.assert_matches_models()
        db.downgrade("0023")
        assert "clicks" not in db.columns("engagement_daily")
        db.upgrade("head")
        assert "clicks" in db.columns("engagement_daily")

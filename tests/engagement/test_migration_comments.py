"""Migration 0021 (engagement_events.comment_text, .sentiment): up with existing events kept and
both columns empty, no drift from the models, down and up again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating

_SEED = [
    "INSERT INTO users (id, email, name, password_hash, created_at) "
    "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)",
    "INSERT INTO creators (id, tiktok_id, handle, handle_key, display_name, region, created_at) "
    "VALUES ('c1', 1, 'creator', 'creator', 'C', 'US', CURRENT_TIMESTAMP)",
    "INSERT INTO posts (id, tiktok_id, creator_id, kind, caption, sound, visibility, revision, "
    "published_at, views, likes, comments, shares, created_at) VALUES ('p1', 1000, 'c1', "
    "'video', '', 'original', 'public', 1, CURRENT_TIMESTAMP, 0, 0, 1, 0, CURRENT_TIMESTAMP)",
    "INSERT INTO engagement_events (id, event_id, post_id, type, occurred_at, spend_micros, "
    "received_at) VALUES ('e1', 'ev-1', 'p1', 'comment', CURRENT_TIMESTAMP, 0, "
    "CURRENT_TIMESTAMP)",
]


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0021_adds_comment_text_and_sentiment(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0019")
        with db.engine.begin() as conn:
            for statement in _SEED:
                conn.execute(text(statement))
        db.upgrade("0021")
        with db.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT event_id, comment_text, sentiment FROM engagement_events")).all()
            assert [tuple(r) for r in rows] == [("ev-1", None, None)]
        db.upgrade("head")
        db.assert_matches_models()
        db.downgrade("0019")
        assert not {"comment_text", "sentiment"} & db.columns("engagement_events")
        db.upgrade("head")
        assert {"comment_text", "sentiment"} <= db.columns("engagement_events")

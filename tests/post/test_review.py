"""R30 pre-promotion review over HTTP: comment text scored as it is recorded, the checklist at
GET /v1/posts/{id}/review and on a code's preview, private to the post's owner."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from sparkcodes import simulate
from sparkcodes.models import EngagementEvent
from tests import factories as f
from tests.integration._http import assert_error, preview


def event(post_id: str, type_: str) -> dict[str, Any]:
    """An organic event with an id of its own (the shared factory's numbering is left as other
    tests expect it)."""
    return {"event_id": f"review-{uuid.uuid4().hex}", "post_id": post_id, "type": type_}


POSITIVE = ["Love this, so helpful!", "Amazing results, great video", "So good 😍",
            "Best routine ever, thank you", "Wow, beautiful skin", "Great tips, love it",
            "This is awesome", "Happy I found this, great", "Fantastic, works so well",
            "Really nice and helpful"]
NEGATIVE = ["Terrible, broke me out", "This is awful and fake"]


def comment(post_id: str, text: str) -> dict[str, Any]:
    return {**event(post_id, "comment"), "comment_text": text}


def review(client, w: f.World) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(f"/v1/posts/{w.post['id']}/review", headers=w.creator_h))


def lines(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["name"]: line for line in out["lines"]}


def organic_life(client, w: f.World, *, watched_15s: int = 65,  # type: ignore[no-untyped-def]
                 comments: list[str] | None = None) -> None:
    post_id = w.post["id"]
    batch = ([event(post_id, "impression") for _ in range(100)]
             + [event(post_id, "view_15s") for _ in range(watched_15s)]
             + [comment(post_id, t) for t in (POSITIVE + NEGATIVE if comments is None
                                              else comments)])
    out = f._ok(f.events(client, w.creator_h, batch))
    assert out["accepted"] == len(batch), out


def test_a_new_post_is_not_ready_and_says_why(client):
    w = f.World(client)
    out = review(client, w)
    assert out["verdict"] == "not_ready"
    by_name = lines(out)
    assert by_name["organic_age"]["status"] == "failed"
    assert by_name["organic_age"]["numbers"]["min_age_hours"] == 48
    assert "wait" in by_name["organic_age"]["sentence"]
    assert by_name["completion_15s"]["status"] == "not_enough_data"
    assert by_name["completion_15s"]["sentence"] == (
        "0 organic views so far; the rate at 15 s is judged from 100 views.")
    assert by_name["comment_sentiment"]["status"] == "not_enough_data"


def test_a_post_with_good_organic_life_after_48_hours_is_ready(client):
    w = f.World(client)
    organic_life(client, w)
    f.advance(client, w.brand_h, "PT49H")
    out = review(client, w)
    assert out["verdict"] == "ready", out
    by_name = lines(out)
    assert by_name["organic_age"]["status"] == "passed"
    assert by_name["completion_15s"]["numbers"] == {
        "organic_views": 100, "watched_15s": 65, "completion_15s_percent": 65.0,
        "min_completion_15s_percent": 60.0, "min_organic_views": 100}
    assert by_name["comment_sentiment"]["numbers"]["positive"] == 10
    assert by_name["comment_sentiment"]["numbers"]["negative"] == 2
    assert by_name["comment_sentiment"]["sentence"] == (
        "10 of 12 comments with a tone are positive (83.3 %, at least 75 % asked for).")


def test_weak_retention_and_mixed_comments_fail(client):
    w = f.World(client)
    organic_life(client, w, watched_15s=40, comments=POSITIVE[:6] + NEGATIVE * 3)
    f.advance(client, w.brand_h, "PT49H")
    out = review(client, w)
    assert out["verdict"] == "not_ready"
    assert {n: line["status"] for n, line in lines(out).items()} == {
        "organic_age": "passed", "completion_15s": "failed", "comment_sentiment": "failed"}


def test_comment_text_is_stored_with_its_vader_score(client, app):  # type: ignore[no-untyped-def]
    w = f.World(client)
    f._ok(f.events(client, w.creator_h, [comment(w.post["id"], "  Love this, so helpful!  "),
                                      event(w.post["id"], "comment")]))
    with app.state.db.unit_of_work(write=False) as session:
        rows = session.execute(select(EngagementEvent.comment_text, EngagementEvent.sentiment)
                               .where(EngagementEvent.post_id == w.post["id"])
                               .order_by(EngagementEvent.comment_text)).all()
    scored = [r for r in rows if r[0] is not None]
    assert [r[0] for r in scored] == ["Love this, so helpful!"]
    assert scored[0][1] > 0.5
    assert [r for r in rows if r[0] is None] == [(None, None)]  # a comment without text


def test_comment_text_only_on_comment_events(client):
    w = f.World(client)
    out = f._ok(f.events(client, w.creator_h, [{**event(w.post["id"], "like"),
                                            "comment_text": "nice"}]))
    result = out["results"][0]
    assert result["status"] == "refused"
    assert result["error"] == {"code": "comment_text_not_allowed",
                               "message": "Only a comment event carries comment_text."}


def test_comment_text_longer_than_500_characters_is_malformed(client):
    w = f.World(client)
    assert_error(f.events(client, w.creator_h, [comment(w.post["id"], "x" * 501)]), 422,
                 "validation_error", "comment_text")


def test_only_the_posts_owner_sees_its_review(client):
    w = f.World(client)
    assert_error(client.get(f"/v1/posts/{w.post['id']}/review", headers=w.brand_h), 404,
                 "not_found", "No such post.")
    assert_error(client.get("/v1/posts/nope/review", headers=w.creator_h), 404,
                 "not_found", "No such post.")
    assert client.get(f"/v1/posts/{w.post['id']}/review").status_code == 401


def test_the_code_preview_carries_the_review(client):
    w = f.World(client)
    organic_life(client, w)
    out = f._ok(preview(client, w.brand_h, w.account["id"], w.code["code"]))
    assert out["eligible"] is True  # advice, not a gate
    assert out["review"]["verdict"] == "not_ready"
    assert lines(out["review"])["organic_age"]["status"] == "failed"
    assert lines(out["review"])["completion_15s"]["status"] == "passed"


def test_the_simulators_comments_carry_text(client, app):  # type: ignore[no-untyped-def]
    w = f.World(client)
    f.advance(client, w.brand_h, "P1D")
    plan = simulate.plan(app.state.db, days=1, seed=7, paid_per_day=0, organic_per_day=1000)
    comments = [e for e in plan if e.type == "comment"]
    assert comments
    assert {e.comment_text for e in comments} <= set(simulate.COMMENTS)
    assert {e.comment_text for e in plan if e.type != "comment"} == {None}

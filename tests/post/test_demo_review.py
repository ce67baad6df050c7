"""Issue 13 follow-up: the demo `make run` loads gives the pre-promotion review (R30) something to
say. Its posts have realistic ages and audiences, so one passes every line and others fail,
each for a reason a person can see in the checklist."""

from __future__ import annotations

from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import Post
from sparkcodes.post import service as post_service


def _failed(review) -> set[str]:  # type: ignore[no-untyped-def]
    return {line.name for line in review.lines if line.status == "failed"}


def test_demo_posts_pass_and_fail_the_review_for_visible_reasons(app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # the demo saves its codes under ./var
    result, _ = demo.install(app.state.db, app.state.settings)
    assert result.created
    settings = app.state.settings
    with app.state.db.unit_of_work() as s:
        def review(caption: str):  # type: ignore[no-untyped-def]
            post = s.scalars(select(Post).where(Post.caption == caption)).one()
            return post_service.pre_promotion_review(s, settings=settings, post=post)

        routine = review("My 5-step morning skincare routine ☀️ #glowup")
        assert routine.verdict == "ready", routine
        serum = review("Honest review: the vitamin C serum after 30 days")
        assert _failed(serum) == {"completion_15s"}, serum
        speedrun = review("Skincare speedrun any%")
        assert "organic_age" in _failed(speedrun), speedrun
        assert "Live for 20 h only" in speedrun.lines[0].sentence
        # Not every post fails on its age any more: only the two posted within two days.
        young = [p.caption for p in s.scalars(select(Post))
                 if "organic_age" in _failed(post_service.pre_promotion_review(
                     s, settings=settings, post=p))]
        assert sorted(young) == ["Skincare speedrun any%", "Sunscreen at -40°"], young

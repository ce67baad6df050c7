from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Select,
    SQLColumnExpression,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session

from sparkcodes.config import Review as Thresholds
from sparkcodes.kit import sql
from sparkcodes.models import Authorization, EngagementDaily, EngagementEvent, Post, PostRevision
from sparkcodes.post import rules


def add(session: Session, obj: Post | PostRevision) -> None:
    session.add(obj)
    session.flush()


def by_id(session: Session, post_id: str) -> Post | None:
    return session.get(Post, post_id)


def by_ids(session: Session, ids: Collection[str]) -> dict[str, Post]:
    return sql.by_ids(session, Post, ids)


def by_tiktok_id(session: Session, tiktok_id: int) -> Post | None:
    return session.scalar(select(Post).where(Post.tiktok_id == tiktok_id))


def published_of(session: Session, creator_id: str, *, limit: int,
                 offset: int) -> tuple[list[Post], int]:
    """A creator account's posts that are neither deleted nor taken down, newest first, and how
    many there are."""
    where = (Post.creator_id == creator_id, Post.deleted_at.is_(None),
             Post.taken_down_at.is_(None), Post.kind != "story")
    total = session.scalar(select(func.count()).select_from(Post).where(*where)) or 0
    posts = session.scalars(select(Post).where(*where)
                            .order_by(Post.published_at.desc(), Post.id)
                            .limit(limit).offset(offset))
    return list(posts), total


def of_creator(session: Session, creator_id: str, *, limit: int, offset: int) -> list[Post]:
    return list(
        session.scalars(
            select(Post)
            .where(Post.creator_id == creator_id)
            .order_by(Post.published_at.desc(), Post.id)
            .limit(limit)
            .offset(offset)
        )
    )


def has_undeleted_authorization(session: Session, post_id: str) -> bool:
    """R10: any authorization not deleted (expired ones can still be extended) locks the caption."""
    count = session.scalar(
        select(func.count())
        .select_from(Authorization)
        .where(Authorization.post_id == post_id, Authorization.deleted_at.is_(None))
    )
    return bool(count)


def revisions(session: Session, post_id: str) -> list[PostRevision]:
    return list(
        session.scalars(
            select(PostRevision).where(PostRevision.post_id == post_id)
            .order_by(PostRevision.number)
        )
    )


def tones_sql(score: SQLColumnExpression[float | None]) -> tuple[ColumnElement[int], ...]:
    """Aggregates counting the positive, negative and neutral scores among ``score``'s rows:
    rules.tone_of in SQL (positive first, then negative, the rest neutral), the cut-offs given
    as the parameters ``positive`` and ``negative``."""
    tone = case((score >= bindparam("positive", type_=Float), "positive"),
                (score <= bindparam("negative", type_=Float), "negative"), else_="neutral")
    return tuple(func.count(case((tone == name, 1))) for name in ("positive", "negative",
                                                                   "neutral"))


def _organic_numbers_statement() -> Select[Any]:
    """R30's numbers of the posts ``ids`` (an expanding parameter), built once: views and views
    that reached 15 s from the daily rollups, and the tones of the scored comments."""
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    views = (select(EngagementDaily.post_id.label("post_id"),
                    func.sum(EngagementDaily.impressions).label("views"),
                    func.sum(EngagementDaily.video_watched_15s).label("watched"))
             .where(EngagementDaily.post_id.in_(ids), EngagementDaily.ad_key == "")
             .group_by(EngagementDaily.post_id).subquery())
    positive, negative, neutral = tones_sql(EngagementEvent.sentiment)
    comments = (select(EngagementEvent.post_id.label("post_id"), positive.label("positive"),
                       negative.label("negative"), neutral.label("neutral"))
                .where(EngagementEvent.post_id.in_(ids), EngagementEvent.type == "comment",
                       EngagementEvent.sentiment.is_not(None))
                .group_by(EngagementEvent.post_id).subquery())
    return (select(Post.id, views.c.views, views.c.watched, comments.c.positive,
                   comments.c.negative, comments.c.neutral)
            .outerjoin(views, views.c.post_id == Post.id)
            .outerjoin(comments, comments.c.post_id == Post.id)
            .where(Post.id.in_(ids)))


_ORGANIC_NUMBERS = _organic_numbers_statement()


def organic_numbers(session: Session, post_ids: Collection[str],
                    t: Thresholds) -> dict[str, tuple[int, int, rules.Tones]]:
    """R30, for each of these posts in one statement: organic views and views that reached 15 s
    (from the daily rollups), and the tones of its scored comments (organic or under an ad: all
    show on the post)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    rows = session.execute(_ORGANIC_NUMBERS, {"ids": ids, "positive": t.positive_compound,
                                              "negative": t.negative_compound})
    return {post_id: (int(v or 0), int(w or 0), rules.Tones(int(p or 0), int(n or 0),
                                                            int(u or 0)))
            for post_id, v, w, p, n, u in rows}

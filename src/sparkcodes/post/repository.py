from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparkcodes.models import Authorization, EngagementDaily, EngagementEvent, Post, PostRevision


def add(session: Session, obj: Post | PostRevision) -> None:
    session.add(obj)
    session.flush()


def by_id(session: Session, post_id: str) -> Post | None:
    return session.get(Post, post_id)


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


def organic_views(session: Session, post_id: str) -> tuple[int, int]:
    """R30: the post's organic views and views that reached 15 s, from the daily rollups."""
    row = session.execute(
        select(func.coalesce(func.sum(EngagementDaily.impressions), 0),
               func.coalesce(func.sum(EngagementDaily.video_watched_15s), 0))
        .where(EngagementDaily.post_id == post_id, EngagementDaily.ad_key == "")).one()
    return int(row[0]), int(row[1])


def comment_scores(session: Session, post_id: str) -> list[float]:
    """R30: the sentiment of every scored comment on the post (organic or under an ad: all show
    on the post)."""
    return [float(s) for s in session.scalars(
        select(EngagementEvent.sentiment).where(
            EngagementEvent.post_id == post_id, EngagementEvent.type == "comment",
            EngagementEvent.sentiment.is_not(None))) if s is not None]

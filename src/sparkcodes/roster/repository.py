"""Every query on roster entries, and the count of codes each creator holds with the business."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sparkcodes.models import AdAccount, Authorization, Creator, Post, RosterEntry


def add(session: Session, entry: RosterEntry) -> None:
    session.add(entry)
    session.flush()


def by_id(session: Session, entry_id: str) -> RosterEntry | None:
    return session.get(RosterEntry, entry_id)


def remove(session: Session, entry: RosterEntry) -> None:
    session.delete(entry)
    session.flush()


def of_business(session: Session, business_id: str, *, status: str | None, limit: int,
                offset: int) -> tuple[list[tuple[RosterEntry, Creator]], int]:
    """Entries by creator handle, with their creator; and the total."""
    where = [RosterEntry.business_id == business_id]
    if status is not None:
        where.append(RosterEntry.status == status)
    total = session.scalar(select(func.count()).select_from(RosterEntry).where(*where)) or 0
    rows = session.execute(
        select(RosterEntry, Creator)
        .join(Creator, Creator.id == RosterEntry.creator_id)
        .where(*where)
        .order_by(Creator.handle_key, RosterEntry.id)
        .limit(limit).offset(offset)
    ).all()
    return [(e, c) for e, c in rows], total


def code_counts(session: Session, *, business_id: str, creator_ids: Iterable[str],
                now: datetime) -> dict[str, tuple[int, int]]:
    """Per creator: (live, expired) undeleted codes bound to one of the business's ad accounts."""
    ids = sorted(set(creator_ids))
    if not ids:
        return {}
    live = func.sum(case((Authorization.expires_at > now, 1), else_=0))
    rows = session.execute(
        select(Post.creator_id, live, func.count())
        .select_from(Authorization)
        .join(Post, Post.id == Authorization.post_id)
        .join(AdAccount, AdAccount.id == Authorization.ad_account_id)
        .where(AdAccount.business_id == business_id, Authorization.deleted_at.is_(None),
               Post.creator_id.in_(ids))
        .group_by(Post.creator_id)
    ).all()
    return {r[0]: (int(r[1] or 0), int(r[2]) - int(r[1] or 0)) for r in rows}


def public_posts_of_roster(session: Session, business_id: str, *,
                           limit: int) -> list[tuple[Post, Creator]]:
    """The public, available posts of the creators on the business's roster, newest first (of
    posts published at the same instant, the most viewed first, so the list never changes from
    one reading to the next): the posts a brand may ask a code for (anyone can see them on the
    creator's profile)."""
    stmt = (select(Post, Creator)
            .join(Creator, Creator.id == Post.creator_id)
            .join(RosterEntry, RosterEntry.creator_id == Creator.id)
            .where(RosterEntry.business_id == business_id, Post.visibility == "public",
                   Post.deleted_at.is_(None), Post.taken_down_at.is_(None))
            .order_by(Post.published_at.desc(), Post.views.desc(), Post.id)
            .limit(limit))
    return [(post, creator) for post, creator in session.execute(stmt).all()]

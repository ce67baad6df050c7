from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.models import NATIVE, Creator, Post


def add(session: Session, creator: Creator) -> None:
    session.add(creator)
    session.flush()


def by_id(session: Session, creator_id: str) -> Creator | None:
    return session.get(Creator, creator_id)


def by_ids(session: Session, ids: set[str]) -> dict[str, Creator]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Creator).where(Creator.id.in_(ids)))}


def by_tiktok_id(session: Session, tiktok_id: int) -> Creator | None:
    return session.scalar(select(Creator).where(Creator.tiktok_id == tiktok_id))


def by_handle(session: Session, handle: str) -> Creator | None:
    return session.scalar(select(Creator).where(Creator.handle_key == handle.lower(),
                                               Creator.source == NATIVE))


def owned_by(session: Session, user_id: str) -> list[Creator]:
    return list(
        session.scalars(select(Creator).where(Creator.owner_id == user_id).order_by(Creator.handle))
    )


def posts_of(session: Session, creator_id: str) -> list[Post]:
    return list(session.scalars(select(Post).where(Post.creator_id == creator_id)
                                .order_by(Post.created_at)))

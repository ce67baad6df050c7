from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.kit import sql
from sparkcodes.models import CONTACT, NATIVE, TIKTOK, AdAccount, Creator, Post, RosterEntry


def add(session: Session, creator: Creator) -> None:
    session.add(creator)
    session.flush()


def by_id(session: Session, creator_id: str) -> Creator | None:
    return session.get(Creator, creator_id)


def by_ids(session: Session, ids: Collection[str]) -> dict[str, Creator]:
    return sql.by_ids(session, Creator, ids)


def by_tiktok_id(session: Session, tiktok_id: int) -> Creator | None:
    return session.scalar(select(Creator).where(Creator.tiktok_id == tiktok_id))


def by_handle(session: Session, handle: str) -> Creator | None:
    return session.scalar(select(Creator).where(Creator.handle_key == handle.lower(),
                                               Creator.source == NATIVE))


def known_to_business(session: Session, handle: str, business_id: str) -> Creator | None:
    """A creator with no sparkcodes account that this business already knows by the handle:
    one mirrored from its linked TikTok advertisers, or one its roster put there by e-mail."""
    key = handle.lower()
    mirrored = session.scalar(
        select(Creator).where(Creator.handle_key == key, Creator.source == TIKTOK,
                              Creator.connection_id.in_(
                                  select(AdAccount.connection_id)
                                  .where(AdAccount.business_id == business_id,
                                         AdAccount.connection_id.is_not(None))))
        .order_by(Creator.created_at, Creator.id).limit(1))
    if mirrored is not None:
        return mirrored
    return session.scalar(
        select(Creator).join(RosterEntry, RosterEntry.creator_id == Creator.id)
        .where(Creator.handle_key == key, Creator.source == CONTACT,
               RosterEntry.business_id == business_id).limit(1))


def owned_by(session: Session, user_id: str) -> list[Creator]:
    return list(
        session.scalars(select(Creator).where(Creator.owner_id == user_id).order_by(Creator.handle))
    )


def posts_of(session: Session, creator_id: str) -> list[Post]:
    return list(session.scalars(select(Post).where(Post.creator_id == creator_id)
                                .order_by(Post.created_at)))

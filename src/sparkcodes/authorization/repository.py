"""Every query on authorizations, including the conditional writes that make transitions atomic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import by_ids as rows_by_ids
from sparkcodes.kit.sql import rowcount, shared_alias
from sparkcodes.models import AdAccount, Authorization, Business, Creator, Post


def add(session: Session, authorization: Authorization) -> None:
    session.add(authorization)
    session.flush()


def by_id(session: Session, authorization_id: str) -> Authorization | None:
    return session.get(Authorization, authorization_id)


def by_ids(session: Session, ids: set[str]) -> dict[str, Authorization]:
    return rows_by_ids(session, Authorization, ids)


def by_code_hash(session: Session, code_hash: str) -> Authorization | None:
    return session.scalar(select(Authorization).where(Authorization.code_hash == code_hash))


OriginalPost = shared_alias(Post)


# The code look-up of every preview and bind, and the bind's claim: built once, so neither the
# statement nor its cache key is made again per request.
_WITH_POST = (
    select(Authorization, Post, Creator, OriginalPost)
    .outerjoin(Post, Post.id == Authorization.post_id)
    .outerjoin(Creator, Creator.id == Post.creator_id)
    .outerjoin(OriginalPost, OriginalPost.id == Post.original_post_id)
    .where(Authorization.code_hash == bindparam("code_hash"))
)


def with_post_by_code_hash(session: Session, code_hash: str
                           ) -> tuple[Authorization, Post | None, Creator | None,
                                      Post | None] | None:
    """The code, its post, the post's creator and the original post of a duet or stitch."""
    row = session.execute(_WITH_POST, {"code_hash": code_hash}).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def of_post(session: Session, post_id: str) -> list[Authorization]:
    return list(
        session.scalars(
            select(Authorization)
            .where(Authorization.post_id == post_id)
            .order_by(Authorization.created_at, Authorization.id)
        )
    )


def users(session: Session, ad_account_ids: set[str]) -> dict[str, tuple[AdAccount, Business]]:
    """The ad account and business behind each id: who uses a code (R12)."""
    if not ad_account_ids:
        return {}
    rows = session.execute(
        select(AdAccount, Business)
        .join(Business, Business.id == AdAccount.business_id)
        .where(AdAccount.id.in_(ad_account_ids))
    ).all()
    return {account.id: (account, business) for account, business in rows}


_NOW = bindparam("b_now", type_=Authorization.expires_at.type)
_BIND = (
    update(Authorization)
    .where(
        Authorization.id == bindparam("b_authorization_id"),
        Authorization.code_hash == bindparam("b_code_hash"),
        Authorization.deleted_at.is_(None),
        Authorization.expires_at > _NOW,
        or_(Authorization.ad_account_id.is_(None),
            Authorization.ad_account_id == bindparam("b_ad_account_id")),
    )
    .values(
        ad_account_id=bindparam("b_ad_account_id"),
        bound_at=func.coalesce(Authorization.bound_at, _NOW),
        bound_by_id=func.coalesce(Authorization.bound_by_id,
                                  bindparam("b_user_id", type_=Authorization.bound_by_id.type)),
    )
    .returning(Authorization)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def bind(session: Session, *, authorization_id: str, code_hash: str, ad_account_id: str,
         user_id: str, now: datetime) -> Authorization | None:
    """Bind to this ad account if the code is live and free (or already its own), and still the
    string that was pasted (a regenerate in between kills it). One winner: the bound row (the
    session's object, refreshed from RETURNING), or None when refused."""
    return session.scalar(_BIND, {"b_authorization_id": authorization_id,
                                  "b_code_hash": code_hash, "b_ad_account_id": ad_account_id,
                                  "b_user_id": user_id, "b_now": now})


def extend(session: Session, *, authorization_id: str, old_expiry: datetime,
           new_expiry: datetime) -> bool:
    """Move the window's end if nobody changed it meanwhile (optimistic, checked by row count)."""
    result = session.execute(
        update(Authorization)
        .where(
            Authorization.id == authorization_id,
            Authorization.deleted_at.is_(None),
            Authorization.expires_at == old_expiry,
        )
        .values(expires_at=new_expiry)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def delete(session: Session, *, authorization_id: str, user_id: str, now: datetime) -> bool:
    result = session.execute(
        update(Authorization)
        .where(Authorization.id == authorization_id, Authorization.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def regenerate(session: Session, *, authorization_id: str, code_hash: str, code_hint: str,
               now: datetime) -> bool:
    """Swap the code string of an unused, live code; the old string stops working at once."""
    result = session.execute(
        update(Authorization)
        .where(
            Authorization.id == authorization_id,
            Authorization.deleted_at.is_(None),
            Authorization.ad_account_id.is_(None),
            Authorization.expires_at > now,
        )
        .values(code_hash=code_hash, code_hint=code_hint, regenerated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def refresh(session: Session, authorization: Authorization) -> Authorization:
    session.refresh(authorization)
    return authorization


def set_window(session: Session, *, authorization_id: str, starts_at: datetime,
               expires_at: datetime) -> None:
    """Place a window in the past or future directly: for loading demo and fixture data only."""
    session.execute(
        update(Authorization)
        .where(Authorization.id == authorization_id)
        .values(starts_at=starts_at, expires_at=expires_at, created_at=starts_at)
        .execution_options(synchronize_session=False)
    )


def of_creator(session: Session, creator_id: str) -> list[tuple[Authorization, Post]]:
    rows = session.execute(
        select(Authorization, Post)
        .join(Post, Post.id == Authorization.post_id)
        .where(Post.creator_id == creator_id)
        .order_by(Authorization.expires_at)
    ).all()
    return [(a, p) for a, p in rows]


def of_ad_account(session: Session, ad_account_id: str) -> list[tuple[Authorization, Post]]:
    rows = session.execute(
        select(Authorization, Post)
        .join(Post, Post.id == Authorization.post_id)
        .where(Authorization.ad_account_id == ad_account_id)
        .order_by(Authorization.expires_at)
    ).all()
    return [(a, p) for a, p in rows]

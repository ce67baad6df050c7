from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import ApiToken, User


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def by_id(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def add(session: Session, obj: User | ApiToken) -> None:
    session.add(obj)
    session.flush()


def user_by_token_hash(session: Session, token_hash: str) -> tuple[User, ApiToken] | None:
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


# Every signed-in request runs this: built once, so neither the statement nor its cache key is
# made again per request. The token comes as the columns its checks read, not as an ORM object.
_SIGN_IN = (
    select(User, ApiToken.id, ApiToken.kind, ApiToken.created_at, ApiToken.expires_at,
           ApiToken.revoked_at, ApiToken.last_used_at, ApiToken.app_grant_id,
           ApiToken.developer_app_id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def sign_in_row(session: Session, token_hash: str) -> Row | None:
    """The user and its token's id, kind, created_at, expires_at, revoked_at, last_used_at,
    app_grant_id and developer_app_id, for the token with this hash."""
    return session.execute(_SIGN_IN, {"token_hash": token_hash}).first()


def tokens_of(session: Session, user_id: str) -> list[ApiToken]:
    return list(
        session.scalars(
            # Tokens issued to developer apps are listed and revoked with their grants.
            select(ApiToken).where(ApiToken.user_id == user_id,
                                   ApiToken.developer_app_id.is_(None))
            .order_by(ApiToken.created_at)
        )
    )


def token_of(session: Session, user_id: str, token_id: str) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id,
                               ApiToken.developer_app_id.is_(None))
    )


def token_by_id(session: Session, token_id: str) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def all_tokens(session: Session, *, user_id: str | None,
               token_ids: list[str] | None = None) -> list[tuple[ApiToken, User]]:
    stmt = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    if token_ids is not None:
        stmt = stmt.where(ApiToken.id.in_(token_ids))
    rows = session.execute(stmt.order_by(ApiToken.created_at, ApiToken.id)).all()
    return [(row[0], row[1]) for row in rows]


def unrevoked_tokens_of(session: Session, user_id: str) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at, ApiToken.id)))


def revoke(session: Session, *, token_id: str, now: datetime) -> bool:
    """Revoke a token not revoked yet; False when it was already (revoking twice is harmless)."""
    result = session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now).returning(ApiToken.id))
    return result.first() is not None


def touch(session: Session, *, token_id: str, now: datetime, stale_before: datetime) -> None:
    """Write a session's last use, unless a request did so since ``stale_before``."""
    session.execute(
        update(ApiToken).where(ApiToken.id == token_id,
                               or_(ApiToken.last_used_at.is_(None),
                                   ApiToken.last_used_at < stale_before))
        .values(last_used_at=now).execution_options(synchronize_session=False))

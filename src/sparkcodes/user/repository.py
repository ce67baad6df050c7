from __future__ import annotations

from sqlalchemy import select
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

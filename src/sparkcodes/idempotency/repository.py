from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.models import IdempotencyKey


def find(session: Session, *, user_id: str, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    )


def add(session: Session, row: IdempotencyKey) -> None:
    session.add(row)
    session.flush()

from __future__ import annotations

from sqlalchemy import select, update
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


def rekey(session: Session, *, row_id: str, old_hash: str, new_hash: str) -> None:
    """Replace a row's legacy request hash with its keyed one (a no-op if another retry did)."""
    session.execute(update(IdempotencyKey)
                    .where(IdempotencyKey.id == row_id, IdempotencyKey.request_hash == old_hash)
                    .values(request_hash=new_hash))

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.models import Authorization, Reminder, new_id


def candidates(session: Session, *, horizon: datetime, last_kind: str) -> list[Authorization]:
    """Codes in use, not deleted, whose window ends before the horizon and whose last reminder
    (``last_kind``) for that end is not recorded yet: however long ago the end was."""
    told = select(Reminder.id).where(Reminder.authorization_id == Authorization.id,
                                     Reminder.kind == last_kind,
                                     Reminder.window_end == Authorization.expires_at)
    return list(session.scalars(
        select(Authorization).where(
            Authorization.ad_account_id.is_not(None), Authorization.deleted_at.is_(None),
            Authorization.expires_at <= horizon, ~told.exists())
        .order_by(Authorization.expires_at, Authorization.id)
        # Read fresh: the caller's session may hold a code changed by a conditional UPDATE.
        .execution_options(populate_existing=True)))


def recorded(session: Session, authorization_ids: list[str]) -> set[tuple[str, str, datetime]]:
    if not authorization_ids:
        return set()
    rows = session.execute(select(Reminder.authorization_id, Reminder.kind, Reminder.window_end)
                           .where(Reminder.authorization_id.in_(authorization_ids))).all()
    return {(r[0], r[1], r[2]) for r in rows}


def record(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
           now: datetime, sent: bool) -> bool:
    """Insert the reminder once; False if another sweep recorded it first (exactly once)."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    stmt = insert(Reminder).values(
        id=new_id(), authorization_id=authorization_id, kind=kind, window_end=window_end,
        created_at=now, sent_at=now if sent else None, skipped_at=None if sent else now,
    ).on_conflict_do_nothing(index_elements=["authorization_id", "kind", "window_end"])
    return session.execute(stmt.returning(Reminder.id)).first() is not None

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.models import Authorization, Reminder, new_id


def awaiting(*, ad_account_id: SQLColumnExpression[str | None],
             deleted_at: SQLColumnExpression[datetime | None],
             reminded_end: SQLColumnExpression[datetime | None],
             expires_at: SQLColumnExpression[datetime],
             horizon: datetime) -> list[ColumnElement[bool]]:
    """rules.awaiting as SQL, given ``horizon`` = rules.horizon(now, offsets). On the columns of
    authorizations, the first three terms are the WHERE of ix_authorizations_reminder_due, so the
    database reads only the codes it holds, by end: what was told is not in it."""
    return [ad_account_id.is_not(None), deleted_at.is_(None),
            reminded_end.is_distinct_from(expires_at), expires_at <= horizon]


def candidates(session: Session, *, horizon: datetime) -> list[Authorization]:
    """Codes in use, not deleted, whose window ends by the horizon and whose expiry alert for that
    end is not recorded yet (``reminded_end``): however long ago the end was."""
    return list(session.scalars(
        select(Authorization).where(*awaiting(
            ad_account_id=Authorization.ad_account_id, deleted_at=Authorization.deleted_at,
            reminded_end=Authorization.reminded_end, expires_at=Authorization.expires_at,
            horizon=horizon))
        .order_by(Authorization.expires_at, Authorization.id)
        # Read fresh: the caller's session may hold a code changed by a conditional UPDATE.
        .execution_options(populate_existing=True)))


def mark_told(session: Session, *, authorization_id: str, window_end: datetime) -> None:
    """Mark the code's end told (its expiry alert is recorded), unless an extension moved the end
    meanwhile: then the new end's reminders are still to come."""
    session.execute(update(Authorization)
                    .where(Authorization.id == authorization_id,
                           Authorization.expires_at == window_end)
                    .values(reminded_end=window_end)
                    .execution_options(synchronize_session=False))


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

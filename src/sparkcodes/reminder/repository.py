from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, SQLColumnExpression, Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import rowcount
from sparkcodes.models import Authorization, Reminder, new_id
from sparkcodes.reminder.rules import EXPIRED

_CHUNK = 500  # rows per statement: within SQLite's limit on bound parameters


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


def candidates(session: Session, *, horizon: datetime) -> list[tuple[str, datetime]]:
    """(id, window end) of the codes in use, not deleted, whose window ends by the horizon and
    whose expiry alert for that end is not recorded yet (``reminded_end``): however long ago the
    end was. Earliest end first."""
    rows = session.execute(
        select(Authorization.id, Authorization.expires_at).where(*awaiting(
            ad_account_id=Authorization.ad_account_id, deleted_at=Authorization.deleted_at,
            reminded_end=Authorization.reminded_end, expires_at=Authorization.expires_at,
            horizon=horizon))
        .order_by(Authorization.expires_at, Authorization.id)).all()
    return [(r[0], r[1]) for r in rows]


def code(session: Session, authorization_id: str) -> Authorization | None:
    # Read fresh: the caller's session may hold a code changed by a conditional UPDATE.
    return session.scalar(select(Authorization).where(Authorization.id == authorization_id)
                          .execution_options(populate_existing=True))


def recorded(session: Session, authorization_ids: list[str]) -> set[tuple[str, str, datetime]]:
    if not authorization_ids:
        return set()
    out: set[tuple[str, str, datetime]] = set()
    for i in range(0, len(authorization_ids), _CHUNK):
        rows = session.execute(
            select(Reminder.authorization_id, Reminder.kind, Reminder.window_end)
            .where(Reminder.authorization_id.in_(authorization_ids[i:i + _CHUNK]))).all()
        out |= {(r[0], r[1], r[2]) for r in rows}
    return out


def record_many(session: Session, reminders: list[tuple[str, str, datetime]], *, now: datetime,
                skipped: bool) -> set[tuple[str, str]]:
    """Insert each (code, kind, window end) once, skipped or to be told (``sent_at`` is written
    when it is told); the (code, kind) pairs this call inserted: a pair another sweep recorded
    first is not among them (exactly once)."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    table = cast(Table, Reminder.__table__)
    new: set[tuple[str, str]] = set()
    for i in range(0, len(reminders), _CHUNK):
        rows = [{"id": new_id(), "authorization_id": a, "kind": k, "window_end": end,
                 "created_at": now, "sent_at": None, "skipped_at": now if skipped else None}
                for a, k, end in reminders[i:i + _CHUNK]]
        # Compiled once, the rows sent as parameters (as worker.repository.enqueue_many).
        stmt = (insert(table)
                .on_conflict_do_nothing(index_elements=["authorization_id", "kind", "window_end"])
                .returning(table.c.authorization_id, table.c.kind))
        new |= {(r[0], r[1]) for r in session.execute(stmt, rows).all()}
    return new


def mark_sent(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
              now: datetime) -> bool:
    """Mark a recorded reminder told (what it failed with before is over); False if it was told
    or skipped already (exactly once)."""
    return _settle(session, authorization_id, kind, window_end, sent_at=now, last_error=None)


def mark_skipped(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
                 now: datetime) -> bool:
    """Mark a recorded reminder skipped, untold (its end moved, or the code was deleted)."""
    return _settle(session, authorization_id, kind, window_end, skipped_at=now)


def _settle(session: Session, authorization_id: str, kind: str, window_end: datetime,
            **values: datetime | None) -> bool:
    result = session.execute(
        update(Reminder).where(Reminder.authorization_id == authorization_id,
                               Reminder.kind == kind, Reminder.window_end == window_end,
                               Reminder.sent_at.is_(None), Reminder.skipped_at.is_(None))
        .values(**values).execution_options(synchronize_session=False))
    return rowcount(result) == 1


def _failed() -> ColumnElement[bool]:
    """Given up and not told or skipped since."""
    return and_(Reminder.failed_at.is_not(None), Reminder.sent_at.is_(None),
                Reminder.skipped_at.is_(None))


def fail(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
         now: datetime, why: str) -> bool:
    """Given up (its tell job is buried): failed since now, saying why; False if it was told,
    skipped or given up already."""
    result = session.execute(
        update(Reminder).where(Reminder.authorization_id == authorization_id,
                               Reminder.kind == kind, Reminder.window_end == window_end,
                               Reminder.sent_at.is_(None), Reminder.skipped_at.is_(None),
                               Reminder.failed_at.is_(None))
        .values(failed_at=now, last_error=why[:2000])
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def failed(session: Session, *, ids: list[str] | None,
           limit: int) -> list[tuple[Reminder, str]]:
    """Failed reminders (given up, not told or skipped since) and their code's hint, oldest
    failure first: those of ``ids``, or any."""
    query = (select(Reminder, Authorization.code_hint)
             .join(Authorization, Authorization.id == Reminder.authorization_id)
             .where(_failed()))
    if ids is not None:
        query = query.where(Reminder.id.in_(ids))
    rows = session.execute(query.order_by(Reminder.failed_at, Reminder.id).limit(limit)).all()
    return [(r[0], r[1]) for r in rows]


def count_failed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Reminder).where(_failed())) or 0


def unfail(session: Session, *, reminder_id: str, failed_at: datetime) -> bool:
    """To be told again, if it is still failed since ``failed_at``: True for exactly one caller
    (two operators retrying at once queue it once). Its last error stays until it is told."""
    result = session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.failed_at == failed_at,
                               _failed())
        .values(failed_at=None).execution_options(synchronize_session=False))
    return rowcount(result) == 1


def mark_told(session: Session, authorization_ids: list[str], *, now: datetime) -> None:
    """Mark each code's end told (``reminded_end``) once its expiry alert is recorded for that
    end, unless an extension moved the end meanwhile: then the new end's reminders are still to
    come. A told code leaves ix_authorizations_reminder_due."""
    told = select(Reminder.id).where(Reminder.authorization_id == Authorization.id,
                                     Reminder.kind == EXPIRED,
                                     Reminder.window_end == Authorization.expires_at)
    for i in range(0, len(authorization_ids), _CHUNK):
        session.execute(update(Authorization)
                        .where(Authorization.id.in_(authorization_ids[i:i + _CHUNK]),
                               Authorization.expires_at <= now, told.exists())
                        .values(reminded_end=Authorization.expires_at)
                        .execution_options(synchronize_session=False))

"""Every query about the e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, String, case, func, literal, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import InstrumentedAttribute, Session

from sparkcodes.kit.sql import rowcount
from sparkcodes.models import EmailMessage


def get(session: Session, email_id: str) -> EmailMessage | None:
    return session.get(EmailMessage, email_id, populate_existing=True)


def unsent(session: Session, *, limit: int = 100, offset: int = 0) -> list[EmailMessage]:
    """The outbox: messages not sent yet, oldest first (with why, in last_error)."""
    return list(session.scalars(select(EmailMessage).where(EmailMessage.sent_at.is_(None))
                                .order_by(EmailMessage.created_at, EmailMessage.id)
                                .limit(limit).offset(offset)))


def mark_sent(session: Session, *, email_id: str, now: datetime) -> bool:
    """Sent, counting the attempt; False if it was marked sent already."""
    # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed as Result.
    result = cast(CursorResult[Any], session.execute(
        update(EmailMessage).where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None))
        .values(sent_at=now, attempts=EmailMessage.attempts + 1, last_error=None, held_at=None,
                failed_at=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def record_failure(session: Session, *, email_id: str, error: str) -> None:
    session.execute(
        update(EmailMessage).where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None))
        .values(attempts=EmailMessage.attempts + 1, last_error=error[:2000])
        .execution_options(synchronize_session=False))


def give_up(session: Session, *, email_id: str, now: datetime, why: str) -> bool:
    """Given up (its send job is buried): failed since now, its last error saying after how
    many attempts (read by the same UPDATE) and ``why``; False if it was sent, given up already
    or unknown."""
    n = EmailMessage.attempts
    said = (literal("Given up after ") + sql_cast(n, String) + " attempt"
            + case((n == 1, ""), else_="s") + " (the last: " + why + ").")
    result = session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None),
               EmailMessage.failed_at.is_(None))
        .values(failed_at=now, last_error=func.substr(said, 1, 2000))
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def hold(session: Session, *, email_id: str, reason: str, now: datetime) -> None:
    """Not an attempt: the message waits in the outbox, held since now, with the reason."""
    session.execute(
        update(EmailMessage).where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None))
        .values(held_at=now, last_error=reason).execution_options(synchronize_session=False))


# Why an unsent message is not waiting: held (no SMTP) or failed (given up).
Mark = Literal["held_at", "failed_at"]
_MARKS: dict[Mark, InstrumentedAttribute[datetime | None]] = {
    "held_at": EmailMessage.held_at, "failed_at": EmailMessage.failed_at}


def marked(session: Session, mark: Mark, *, ids: list[str] | None,
           limit: int) -> list[tuple[str, datetime]]:
    """Unsent messages marked ``mark`` (id, marked since), oldest first: those of ``ids``, or
    any."""
    column = _MARKS[mark]
    query = select(EmailMessage.id, column).where(column.is_not(None),
                                                  EmailMessage.sent_at.is_(None))
    if ids is not None:
        query = query.where(EmailMessage.id.in_(ids))
    rows = session.execute(query.order_by(column, EmailMessage.id).limit(limit)).all()
    return [(r[0], r[1]) for r in rows if r[1] is not None]


def unmark(session: Session, mark: Mark, *, email_id: str, since: datetime,
           forget_error: bool) -> bool:
    """Waiting again, if it is still unsent and marked ``mark`` since ``since``: True for
    exactly one caller (two workers or operators at once queue it once). ``forget_error``
    clears its last error (a hold's reason); otherwise it stays until the message is sent."""
    values: dict[str, datetime | None] = {mark: None}
    if forget_error:
        values["last_error"] = None
    row = session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None),
               _MARKS[mark] == since)
        .values(values).returning(EmailMessage.id)
        .execution_options(synchronize_session=False)).first()
    return row is not None


def counts(session: Session) -> dict[str, int]:
    """Unsent messages: held (no SMTP), waiting (queued or between retries) and failed (given
    up)."""
    failed = EmailMessage.failed_at.is_not(None)
    row = session.execute(select(
        func.count().filter(EmailMessage.held_at.is_not(None), ~failed),
        func.count().filter(EmailMessage.held_at.is_(None), ~failed),
        func.count().filter(failed),
    ).where(EmailMessage.sent_at.is_(None))).one()
    return {"held": row[0], "waiting": row[1], "failed": row[2]}

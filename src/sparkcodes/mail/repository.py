"""Every query about the e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

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
        .values(sent_at=now, attempts=EmailMessage.attempts + 1, last_error=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def record_failure(session: Session, *, email_id: str, error: str) -> None:
    session.execute(
        update(EmailMessage).where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None))
        .values(attempts=EmailMessage.attempts + 1, last_error=error[:2000])
        .execution_options(synchronize_session=False))


def record_kept(session: Session, *, email_id: str, reason: str) -> None:
    """Not an attempt: the message stays in the outbox, with the reason."""
    session.execute(
        update(EmailMessage).where(EmailMessage.id == email_id, EmailMessage.sent_at.is_(None))
        .values(last_error=reason).execution_options(synchronize_session=False))

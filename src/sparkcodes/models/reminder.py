"""The Reminder table: one reminder of one window end of one code: the unique key makes it fire
exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class Reminder(Base):
    """One reminder of one window end of one code: the unique key makes it fire exactly once."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("authorization_id", "kind", "window_end"),
        # What `sparkcodes reminders failed` lists: the few given up, not every reminder.
        Index("ix_reminders_failed", "failed_at", sqlite_where=text("failed_at IS NOT NULL"),
              postgresql_where=text("failed_at IS NOT NULL")),
    )

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # expiring_72h, expiring_24h, expired
    window_end: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]  # due while a later reminder was already due
    # Given up: its tell job was buried (its attempts spent), recorded but never told;
    # last_error says why. Told again only when an operator asks (`sparkcodes reminders retry`).
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

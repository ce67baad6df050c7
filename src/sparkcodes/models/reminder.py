"""The Reminder table: one reminder of one window end of one code: the unique key makes it fire
exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class Reminder(Base):
    """One reminder of one window end of one code: the unique key makes it fire exactly once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("authorization_id", "kind", "window_end"),)

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # expiring_72h, expiring_24h, expired
    window_end: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]  # due while a later reminder was already due

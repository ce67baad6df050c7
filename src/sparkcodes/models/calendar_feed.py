"""The CalendarFeed table: a secret, revocable iCalendar URL for a business or a creator account
(R28)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class CalendarFeed(Base):
    """A secret, revocable iCalendar URL for a business or a creator account (R28)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    business_id: Mapped[str | None] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str | None] = mapped_column(ForeignKey("creators.id"), index=True)
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None]

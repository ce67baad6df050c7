"""The EmailOptOut table: an alert kind one user chose not to receive by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column


class EmailOptOut(Base):
    """One alert kind (an event type) a user does not want by e-mail; the in-app notification
    still appears. Opt-outs rather than opt-ins, so a kind added later reaches everyone."""

    __tablename__ = "email_opt_outs"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

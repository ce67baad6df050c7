"""The EmailMessage table: an e-mail in the outbox, sent by the worker over SMTP."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class EmailMessage(Base):
    """An e-mail in the outbox, sent by the worker over SMTP."""

    __tablename__ = "email_messages"

    id: Mapped[str] = id_column()
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    # Written while SMTP was not configured: waits here, and is released (sent) once it is.
    held_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Given up: its send job was buried (its attempts spent); last_error says why. Sent again
    # only when an operator asks (`sparkcodes mail retry`).
    failed_at: Mapped[datetime | None]

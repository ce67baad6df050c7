"""The MisuseReport table: a creator reports misuse of a code (R29)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class MisuseReport(Base):
    """A creator reports misuse of a code (R29)."""

    __tablename__ = "misuse_reports"

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    business_id: Mapped[str | None] = mapped_column(ForeignKey("businesses.id"), index=True)
    reported_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

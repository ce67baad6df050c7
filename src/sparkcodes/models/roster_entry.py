"""The RosterEntry table: a creator in a brand's pipeline (R31)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class RosterEntry(Base):
    """A creator in a brand's pipeline (R31)."""

    __tablename__ = "roster_entries"
    __table_args__ = (UniqueConstraint("business_id", "creator_id"),)

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="prospect")  # prospect/active/paused
    rate_micros: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where to reach a creator who is not on sparkcodes (code and renewal requests by e-mail).
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None]

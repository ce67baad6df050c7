"""The Contract table: an agreed usage window for a creator's post with a business (R26)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class Contract(Base):
    """An agreed usage window for a creator's post with a business (R26)."""

    __tablename__ = "contracts"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None]

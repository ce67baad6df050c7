"""The FallbackPolicy table: per ad group: what to do when a code is within N hours of its end
unrenewed (R27)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class FallbackPolicy(Base):
    """Per ad group: what to do when a code is within N hours of its end unrenewed (R27)."""

    __tablename__ = "fallback_policies"

    id: Mapped[str] = id_column()
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"), unique=True)
    action: Mapped[str] = mapped_column(String(10), default="notify")  # notify, pause, swap
    hours_before: Mapped[int] = mapped_column(Integer, default=24)
    backup_ad_id: Mapped[str | None] = mapped_column(ForeignKey("ads.id"))
    updated_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = created_at_column()

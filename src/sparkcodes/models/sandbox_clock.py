from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base


class SandboxClock(Base):
    """The sandbox clock's offset from real time, shared by every process of one deployment."""

    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_microseconds: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None]

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base


class RateLimitCounter(Base):
    """One fixed window of a brute-force limit (throttle/repository.py), when the limiter counts
    in the database: hits so far and when the window ends (real time, not the sandbox clock)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    resets_at: Mapped[datetime]

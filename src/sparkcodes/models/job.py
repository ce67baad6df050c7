from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class Job(Base):
    """A durable job: written in the transaction that wants it, claimed by a worker after commit."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "finished_at", "dead_at", "run_at"),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(60))  # "<noun>.<verb>"
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    locked_by: Mapped[str | None] = mapped_column(String(80))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import (
    Base,
    connection_column,
    created_at_column,
    external_id_column,
    id_column,
    mirror_index,
    source_column,
)


class Authorization(Base):
    """One ad authorization of a post: one code, binding at most one ad account (R6). A mirrored
    one has no code hash (TikTok keeps the code) and no issuer."""

    __tablename__ = "authorizations"
    __table_args__ = (
        mirror_index("authorizations"),
        # The reminder sweep's work: codes in use whose last reminder (the expiry alert) of their
        # current end is not recorded yet, by end. A told code leaves the index, so a pass reads
        # what is due, not every code ever bound (reminder.repository.awaiting).
        Index("ix_authorizations_reminder_due", "expires_at",
              sqlite_where=text("ad_account_id IS NOT NULL AND deleted_at IS NULL "
                                "AND reminded_end IS NOT expires_at"),
              postgresql_where=text("ad_account_id IS NOT NULL AND deleted_at IS NULL "
                                    "AND reminded_end IS DISTINCT FROM expires_at")),
    )

    id: Mapped[str] = id_column()
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_hint: Mapped[str] = mapped_column(String(8))
    days: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    regenerated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    ad_account_id: Mapped[str | None] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    bound_at: Mapped[datetime | None]
    bound_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    # The window end whose expiry alert is recorded (the reminder sweep's marker): an extension
    # moves expires_at away from it, which re-arms the reminders of the new end.
    reminded_end: Mapped[datetime | None]
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()

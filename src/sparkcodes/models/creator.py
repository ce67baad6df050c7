from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column, tiktok_id_column


class Creator(Base):
    """A creator account (a TikTok identity) owned by one user."""

    __tablename__ = "creators"

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    handle: Mapped[str] = mapped_column(String(24))
    handle_key: Mapped[str] = mapped_column(String(24), unique=True)  # lower-cased handle
    display_name: Mapped[str] = mapped_column(String(80))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str] = mapped_column(String(2))
    # R1: account-level ad authorization; None means off.
    ad_settings_enabled_at: Mapped[datetime | None]
    ad_terms_accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import (
    Base,
    connection_column,
    created_at_column,
    external_id_column,
    id_column,
    mirror_index,
    source_column,
    tiktok_id_column,
)


class Creator(Base):
    """A creator account (a TikTok identity) owned by one user; a creator mirrored from a
    linked TikTok advertiser has no owner."""

    __tablename__ = "creators"
    __table_args__ = (
        mirror_index("creators"),
        # Handles are unique among sparkcodes' own creators; mirrors of the same TikTok account
        # through several connections share one.
        Index("uq_creators_handle_key", "handle_key", unique=True,
              sqlite_where=text("source = 'native'"), postgresql_where=text("source = 'native'")),
    )

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    handle: Mapped[str] = mapped_column(String(24))
    handle_key: Mapped[str] = mapped_column(String(24))  # lower-cased handle
    display_name: Mapped[str] = mapped_column(String(80))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str] = mapped_column(String(2))
    # R1: account-level ad authorization; None means off.
    ad_settings_enabled_at: Mapped[datetime | None]
    ad_terms_accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()

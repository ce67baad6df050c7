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


class AdAccount(Base):
    __tablename__ = "ad_accounts"
    __table_args__ = (mirror_index("ad_accounts"),)

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # ISO 4217; every amount shown for the account is in it (migration 0022).
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default=text("'USD'"))
    created_at: Mapped[datetime] = created_at_column()
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()
    # Live (not unbound) Spark posts, kept by the statements that bind and unbind them so the
    # capacity check (R18) reads one row instead of counting them (migration 0019).
    active_spark_posts: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class LinkedIdentity(Base):
    """A business's own creator account linked to an ad account: identity TT_USER (R19)."""

    __tablename__ = "linked_identities"
    __table_args__ = (
        Index(
            "uq_linked_identities_active",
            "ad_account_id",
            "creator_id",
            unique=True,
            sqlite_where=text("unlinked_at IS NULL"),
            postgresql_where=text("unlinked_at IS NULL"),
        ),
    )

    id: Mapped[str] = id_column()
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    linked_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = created_at_column()
    unlinked_at: Mapped[datetime | None]

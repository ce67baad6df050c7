from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
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


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (mirror_index("campaigns"),)

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    objective: Mapped[str] = mapped_column(String(40))
    budget_mode: Mapped[str] = mapped_column(String(30))  # BUDGET_MODE_DAY/_TOTAL/_INFINITE
    budget_micros: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))  # None: mirrored
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()


class AdGroup(Base):
    __tablename__ = "ad_groups"
    __table_args__ = (mirror_index("ad_groups"),)

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    budget_micros: Mapped[int] = mapped_column(BigInteger)  # daily
    bid_micros: Mapped[int] = mapped_column(BigInteger)  # CPM: per 1,000 impressions
    schedule_start_at: Mapped[datetime]
    schedule_end_at: Mapped[datetime | None]
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))  # None: mirrored
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()


class Ad(Base):
    """A Spark Ad: runs a post from the creator's identity; the caption is the post's (R20)."""

    __tablename__ = "ads"
    __table_args__ = (mirror_index("ads"),)

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    spark_post_id: Mapped[str] = mapped_column(ForeignKey("spark_posts.id"), index=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    post_revision: Mapped[int]
    identity_type: Mapped[str] = mapped_column(String(10))  # AUTH_CODE, TT_USER
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)  # the identity
    name: Mapped[str] = mapped_column(String(512))
    call_to_action: Mapped[str] = mapped_column(String(40))
    landing_page_url: Mapped[str] = mapped_column(String(2000))
    ads_only: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))  # None: mirrored
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()
    # The window end whose fallback (R27) was queued for this ad (the fallback sweep's marker): a
    # new end, after an extension or a new code, differs from it and re-arms the fallback.
    fallback_end: Mapped[datetime | None]

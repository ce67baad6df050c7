from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column

METRICS = (
    "impressions", "video_watched_2s", "video_watched_6s", "video_watched_15s",
    "video_views_p100", "likes", "comments", "shares", "follows", "profile_visits",
    "clicks_on_music_disc", "clicks",
)


class EngagementEvent(Base):
    """One engagement on a post, organic (ad_id is None) or produced by an ad (R21)."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        UniqueConstraint("post_id", "event_id"),
        # The review reads a post's scored comments without walking all its other events.
        Index("ix_engagement_events_post_scored", "post_id",
              sqlite_where=text("sentiment IS NOT NULL"),
              postgresql_where=text("sentiment IS NOT NULL")),
    )

    id: Mapped[str] = id_column()
    event_id: Mapped[str] = mapped_column(String(100))
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"))
    ad_id: Mapped[str | None] = mapped_column(ForeignKey("ads.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime]
    spend_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    # A comment's text as posted (public), and its VADER compound score in [-1, 1] (R30).
    comment_text: Mapped[str | None] = mapped_column(String(500))
    sentiment: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = created_at_column()


class EngagementDaily(Base):
    """Rollup per post, source (an ad, or '' for organic) and day in the ad account's time zone."""

    __tablename__ = "engagement_daily"
    __table_args__ = (
        UniqueConstraint("post_id", "ad_key", "day"),
        Index("ix_engagement_daily_ad_key_day", "ad_key", "day"),
        Index("ix_engagement_daily_ad_group_day", "ad_group_id", "day"),
        Index("ix_engagement_daily_campaign_day", "campaign_id", "day"),
        Index("ix_engagement_daily_ad_account_day", "ad_account_id", "day"),
    )

    id: Mapped[str] = id_column()
    post_id: Mapped[str] = mapped_column(String(32))
    ad_key: Mapped[str] = mapped_column(String(32))  # ad id, or '' for organic
    ad_group_id: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(32))
    ad_account_id: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    video_watched_2s: Mapped[int] = mapped_column(BigInteger, default=0)
    video_watched_6s: Mapped[int] = mapped_column(BigInteger, default=0)
    video_watched_15s: Mapped[int] = mapped_column(BigInteger, default=0)
    video_views_p100: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    follows: Mapped[int] = mapped_column(BigInteger, default=0)
    profile_visits: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks_on_music_disc: Mapped[int] = mapped_column(BigInteger, default=0)
    # Clicks on the ad's call to action (TikTok's destination ``clicks``); paid only.
    clicks: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    spend_micros: Mapped[int] = mapped_column(BigInteger, default=0)

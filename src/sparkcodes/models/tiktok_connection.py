"""Connections of a business to TikTok's Business API, and the advertisers each one reaches
(docs/connector.md, "The connection")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class TikTokConnection(Base):
    """One access token (pasted, or obtained through the business's own developer app) on one
    base URL. Secrets are sealed (kit.sealing), never stored in clear; state is derived from the
    timestamps (connector.rules.state_of)."""

    __tablename__ = "tiktok_connections"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    base_url: Mapped[str] = mapped_column(String(2000))
    method: Mapped[str] = mapped_column(String(10))  # "token" or "app"
    app_id: Mapped[str | None] = mapped_column(String(40))
    app_secret_sealed: Mapped[str | None] = mapped_column(Text)
    access_token_sealed: Mapped[str | None] = mapped_column(Text)
    # The app flow's one-time state: a keyed hash of its nonce, until when, and when used.
    authorize_state_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    authorize_expires_at: Mapped[datetime | None]
    authorized_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    check_summary: Mapped[str | None] = mapped_column(String(500))
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    last_error_message: Mapped[str | None] = mapped_column(String(500))
    throttled_until: Mapped[datetime | None]
    token_revoked_at: Mapped[datetime | None]
    # The broken state last alerted, so that a state is told once (cleared when healthy again).
    alerted_state: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class TikTokAdvertiser(Base):
    """An advertiser a connection was granted, as TikTok names it; ``gone_at`` when TikTok no
    longer lets the token reach it."""

    __tablename__ = "tiktok_advertisers"
    __table_args__ = (UniqueConstraint("connection_id", "advertiser_id"),)

    id: Mapped[str] = id_column()
    connection_id: Mapped[str] = mapped_column(ForeignKey("tiktok_connections.id"), index=True)
    advertiser_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    gone_at: Mapped[datetime | None]


class TikTokSyncRun(Base):
    """One sync of one advertiser of a connection (docs/connector.md, "Sync"): its stage and
    cursor are checkpointed after every page, so a sync that stopped resumes where it was; at
    most one run of an advertiser is open (unfinished) at a time, held by one worker until
    ``held_until``."""

    __tablename__ = "tiktok_sync_runs"
    __table_args__ = (
        Index("ix_tiktok_sync_runs_connection_id_advertiser_id_started_at", "connection_id",
              "advertiser_id", "started_at"),
        Index("uq_tiktok_sync_runs_open", "connection_id", "advertiser_id", unique=True,
              sqlite_where=text("finished_at IS NULL"),
              postgresql_where=text("finished_at IS NULL")),
    )

    id: Mapped[str] = id_column()
    connection_id: Mapped[str] = mapped_column(ForeignKey("tiktok_connections.id"))
    advertiser_id: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(20))  # schedule, sync_now, check
    stage: Mapped[str] = mapped_column(String(20))  # connector.rules.SYNC_STAGES
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str | None] = mapped_column(String(200))
    held_until: Mapped[datetime | None]
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))

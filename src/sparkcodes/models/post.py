from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
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


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (mirror_index("posts"),)

    id: Mapped[str] = id_column()
    tiktok_id: Mapped[int] = tiktok_id_column()
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # video, story, duet, stitch
    caption: Mapped[str] = mapped_column(String(2200), default="")
    sound: Mapped[str] = mapped_column(String(20))  # original, commercial_library, licensed
    visibility: Mapped[str] = mapped_column(String(10))  # public, friends, private
    original_post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id"), index=True)
    cover_url: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    revised_at: Mapped[datetime | None]
    published_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    taken_down_at: Mapped[datetime | None]
    take_down_reason: Mapped[str | None] = mapped_column(String(200))
    # Organic counters shown in previews; engagement ingestion keeps them current.
    views: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()


class PostRevision(Base):
    """A post's history: every edit other than the (locked) caption starts a new revision (R10)."""

    __tablename__ = "post_revisions"

    id: Mapped[str] = id_column()
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sound: Mapped[str] = mapped_column(String(20))
    cover_url: Mapped[str | None] = mapped_column(String(500))
    caption: Mapped[str] = mapped_column(String(2200), default="")
    created_at: Mapped[datetime] = created_at_column()

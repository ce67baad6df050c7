from __future__ import annotations

from datetime import datetime

from sqlalchemy import FetchedValue, ForeignKey, Index, String, text
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


class SparkPost(Base):
    """A post an ad account may run as a Spark Ad: by code (AUTH_CODE) or its own (TT_USER)."""

    __tablename__ = "spark_posts"
    __table_args__ = (
        # One live Spark post per (ad account, post): binding a new code replaces the old one.
        Index(
            "uq_spark_posts_active",
            "ad_account_id",
            "post_id",
            unique=True,
            sqlite_where=text("unbound_at IS NULL"),
            postgresql_where=text("unbound_at IS NULL"),
        ),
        # The tracker's pages: a business's Spark posts in window order (docs/tracker.md).
        Index("ix_spark_posts_business_window", "business_id", "window_end_at", "id"),
        # The tracker's creator sort: a business's Spark posts by handle (migration 0018).
        Index("ix_spark_posts_business_handle", "business_id", "creator_handle_key"),
        # The fallback sweep's range: live Spark posts by the end of their window.
        Index("ix_spark_posts_live_window_end", "window_end_at",
              sqlite_where=text("unbound_at IS NULL"), postgresql_where=text("unbound_at IS NULL")),
        # The Spark posts that run on a code as the original's (migration 0025): partial, since
        # almost every Spark post has none, and a full index of NULLs is one SQLite's statistics
        # rate useless, so it scanned the table for every look-up by code.
        Index("ix_spark_posts_original_authorization", "original_authorization_id",
              sqlite_where=text("original_authorization_id IS NOT NULL"),
              postgresql_where=text("original_authorization_id IS NOT NULL")),
        mirror_index("spark_posts"),
    )

    id: Mapped[str] = id_column()
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    identity_type: Mapped[str] = mapped_column(String(10))  # AUTH_CODE, TT_USER
    authorization_id: Mapped[str | None] = mapped_column(
        ForeignKey("authorizations.id"), index=True
    )
    original_authorization_id: Mapped[str | None] = mapped_column(
        ForeignKey("authorizations.id"))
    linked_identity_id: Mapped[str | None] = mapped_column(ForeignKey("linked_identities.id"))
    bound_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    bound_at: Mapped[datetime] = created_at_column()
    code_replaced_at: Mapped[datetime | None]
    unbound_at: Mapped[datetime | None]
    unbound_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = source_column()
    external_id: Mapped[str | None] = external_id_column()
    connection_id: Mapped[str | None] = connection_column()
    # Kept by the database (triggers of migration 0009), never written by the application: the
    # ad account's business, and the earliest end of the code and the original's code
    # (spark_post.rules.window_end), so the tracker can filter and page by them with an index.
    business_id: Mapped[str | None] = mapped_column(
        ForeignKey("businesses.id"), server_default=FetchedValue(), server_onupdate=FetchedValue())
    window_end_at: Mapped[datetime | None] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue())
    # Kept by the database too (migration 0018): the post's creator's handle_key, for the
    # tracker's creator sort.
    creator_handle_key: Mapped[str | None] = mapped_column(
        String(24), server_default=FetchedValue(), server_onupdate=FetchedValue())
    # Kept by the database too (migration 0028): what the tracker's status reads of the codes,
    # the post, the original post and their creators, so a status filter reads this row alone.
    # The earlier deletion of the code and the original's code;
    codes_deleted_at: Mapped[datetime | None] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue())
    # the earliest deletion or take-down of the post and of the post's original;
    posts_unavailable_at: Mapped[datetime | None] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue())
    # the post's creator's ad settings enabled instant, NULL when they are off (or the
    # original's creator's are).
    ad_settings_enabled_at: Mapped[datetime | None] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue())

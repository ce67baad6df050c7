"""The CreatorLink table: a single-use, expiring link e-mailed to a creator who is not on
sparkcodes, to answer a brand's code or renewal request without logging in (docs/connector.md,
step 5). Only a keyed hash of the link's token is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class CreatorLink(Base):
    """A brand's code request (``kind`` "code") or renewal request ("renewal") sent by e-mail to a
    roster creator with no sparkcodes account; answered on a page that needs no login."""

    __tablename__ = "creator_links"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    roster_entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("roster_entries.id", ondelete="SET NULL"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # A code request: which post (its TikTok link, or words), the period, fee and terms asked.
    post_url: Mapped[str] = mapped_column(String(300), default="")
    days: Mapped[int] = mapped_column(Integer)
    fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    message: Mapped[str] = mapped_column(Text, default="")
    # A renewal request: the mirrored Spark post whose code should be extended, and its end then.
    spark_post_id: Mapped[str | None] = mapped_column(ForeignKey("spark_posts.id"), index=True)
    end_before: Mapped[datetime | None]
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # Answered: a code bound on TikTok (the Spark post it made) or the end seen to move.
    answered_at: Mapped[datetime | None]
    result_spark_post_id: Mapped[str | None] = mapped_column(ForeignKey("spark_posts.id"))
    end_after: Mapped[datetime | None]
    # Tries on the page that did not answer it (a refused code, an end that had not moved).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While one answer is being checked with TikTok, no other is (a short lease).
    busy_until: Mapped[datetime | None]
    last_refusal: Mapped[str | None] = mapped_column(String(300))

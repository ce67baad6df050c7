"""The CodeRequest table: a brand asks a creator for a code on a post, with period, fee and terms
(R25)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column

# Unanswered and not noticed yet: what the expiry-notice sweep still has to look at.
_NOTICE_DUE = ("accepted_at IS NULL AND declined_at IS NULL AND cancelled_at IS NULL "
               "AND expiry_noticed_at IS NULL")


class CodeRequest(Base):
    """A brand asks a creator for a code on a post, with period, fee and terms (R25)."""

    __tablename__ = "code_requests"
    __table_args__ = (
        # The expiry-notice sweep's work: unanswered requests the brand was not told of yet, by
        # deadline; a noticed or answered request leaves the index (request_flow.repository).
        Index("ix_code_requests_notice_due", "expires_at",
              sqlite_where=text(_NOTICE_DUE), postgresql_where=text(_NOTICE_DUE)),
    )

    id: Mapped[str] = id_column()
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    terms: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    authorization_id: Mapped[str | None] = mapped_column(ForeignKey("authorizations.id"))
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    answered_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]  # the brand withdrew it while pending
    cancelled_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # When the brand was told the request lapsed unanswered (the notice sweep's marker).
    expiry_noticed_at: Mapped[datetime | None]

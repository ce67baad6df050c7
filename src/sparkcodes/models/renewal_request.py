"""The RenewalRequest table: a brand asks the creator to extend a code by a period (R24)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column

# Unanswered and not noticed yet: what the expiry-notice sweep still has to look at.
_NOTICE_DUE = ("approved_at IS NULL AND declined_at IS NULL AND cancelled_at IS NULL "
               "AND expiry_noticed_at IS NULL")


class RenewalRequest(Base):
    """A brand asks the creator to extend a code by a period (R24)."""

    __tablename__ = "renewal_requests"
    __table_args__ = (
        # The expiry-notice sweep's work: unanswered requests the brand was not told of yet, by
        # deadline; a noticed or answered request leaves the index (request_flow.repository).
        Index("ix_renewal_requests_notice_due", "created_at",
              sqlite_where=text(_NOTICE_DUE), postgresql_where=text(_NOTICE_DUE)),
    )

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(1000), default="")
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    approved_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    answered_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    # When the brand was told the request lapsed unanswered (the notice sweep's marker).
    expiry_noticed_at: Mapped[datetime | None]

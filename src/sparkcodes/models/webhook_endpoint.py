"""The WebhookEndpoint table: a receiver of a business's events, with its signing secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Standard Webhooks secret ("whsec_..."): shown once; kept to sign, never returned again.
    secret: Mapped[str] = mapped_column(String(200))
    # After a rotation the replaced secret, stored like ``secret``, also signs until
    # previous_secret_expires_at (webhook.rules.signing_secrets); None once revoked at rotation.
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None]
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every event
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    failing_since: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None]

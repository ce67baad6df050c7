"""The WebhookMessage table: one event for one business; the id is the webhook-id receivers de-
duplicate by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class WebhookMessage(Base):
    """One event for one business; the id is the webhook-id receivers de-duplicate by."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()

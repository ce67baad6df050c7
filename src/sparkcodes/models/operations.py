"""Tables of the operations layer: notifications, reminders, webhooks, requests, contracts, roster."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class Notification(Base):
    """An in-app notification for one user (R23)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    business_id: Mapped[str | None] = mapped_column(String(32))
    creator_id: Mapped[str | None] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None]


class Reminder(Base):
    """One reminder of one window end of one code: the unique key makes it fire exactly once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("authorization_id", "kind", "window_end"),)

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # expiring_72h, expiring_24h, expired
    window_end: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]  # due while a later reminder was already due


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


class WebhookMessage(Base):
    """One event for one business; the id is the webhook-id receivers de-duplicate by."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()


class WebhookDelivery(Base):
    """One message to one endpoint: every attempt, for the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "endpoint_id"),)

    id: Mapped[str] = id_column()
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id"), index=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class EmailMessage(Base):
    """An e-mail in the outbox, sent by the worker over SMTP."""

    __tablename__ = "email_messages"

    id: Mapped[str] = id_column()
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class RenewalRequest(Base):
    """A brand asks the creator to extend a code by a period (R24)."""

    __tablename__ = "renewal_requests"

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


class CodeRequest(Base):
    """A brand asks a creator for a code on a post, with period, fee and terms (R25)."""

    __tablename__ = "code_requests"

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


class Contract(Base):
    """An agreed usage window for a creator's post with a business (R26)."""

    __tablename__ = "contracts"

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None]


class RosterEntry(Base):
    """A creator in a brand's pipeline (R31)."""

    __tablename__ = "roster_entries"
    __table_args__ = (UniqueConstraint("business_id", "creator_id"),)

    id: Mapped[str] = id_column()
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="prospect")  # prospect/active/paused
    rate_micros: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None]


class CalendarFeed(Base):
    """A secret, revocable iCalendar URL for a business or a creator account (R28)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    business_id: Mapped[str | None] = mapped_column(ForeignKey("businesses.id"), index=True)
    creator_id: Mapped[str | None] = mapped_column(ForeignKey("creators.id"), index=True)
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None]


class FallbackPolicy(Base):
    """Per ad group: what to do when a code is within N hours of its end unrenewed (R27)."""

    __tablename__ = "fallback_policies"

    id: Mapped[str] = id_column()
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"), unique=True)
    action: Mapped[str] = mapped_column(String(10), default="notify")  # notify, pause, swap
    hours_before: Mapped[int] = mapped_column(Integer, default=24)
    backup_ad_id: Mapped[str | None] = mapped_column(ForeignKey("ads.id"))
    updated_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = created_at_column()


class MisuseReport(Base):
    """A creator reports misuse of a code (R29)."""

    __tablename__ = "misuse_reports"

    id: Mapped[str] = id_column()
    authorization_id: Mapped[str] = mapped_column(ForeignKey("authorizations.id"), index=True)
    business_id: Mapped[str | None] = mapped_column(ForeignKey("businesses.id"), index=True)
    reported_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

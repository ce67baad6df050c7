from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparkcodes.kit import clock, limits
from sparkcodes.kit.text import SingleLine
from sparkcodes.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from sparkcodes.webhook import rules


class WebhookEndpointIn(BaseModel):
    url: SingleLine = Field(max_length=rules.MAX_URL,
                            description="Absolute http:// or https:// URL")
    description: str = Field("", max_length=limits.WEBHOOK_DESCRIPTION)
    event_types: list[str] | None = Field(
        None, max_length=100, description="Event types to receive (see docs/events.md); "
        "leave out or empty for every event")


class WebhookEndpointPatch(BaseModel):
    url: SingleLine | None = Field(None, max_length=rules.MAX_URL)
    description: str | None = Field(None, max_length=limits.WEBHOOK_DESCRIPTION)
    event_types: list[str] | None = Field(None, max_length=100,
                                          description="Empty or null: every event")
    enabled: bool | None = Field(None, description="true re-enables a disabled endpoint; "
                                 "false disables it")


class WebhookEndpointOut(BaseModel):
    id: str
    business_id: str
    url: str
    description: str
    event_types: list[str] = Field(description="Empty: every event")
    status: str = Field(description="enabled, failing (retries pending) or disabled")
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    previous_secret_valid_until: datetime | None = Field(
        description="After a rotation, until when the previous secret also signs every "
                    "delivery (a second signature in webhook-signature); null when only the "
                    "current secret signs")

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookEndpointOut:
        return cls(id=e.id, business_id=e.business_id, url=e.url, description=e.description,
                   event_types=list(e.event_types or []),
                   status=rules.endpoint_status(deleted_at=e.deleted_at,
                                                disabled_at=e.disabled_at,
                                                failing_since=e.failing_since),
                   created_at=e.created_at, failing_since=e.failing_since,
                   disabled_at=e.disabled_at, disabled_reason=e.disabled_reason,
                   previous_secret_valid_until=rules.previous_secret_valid_until(
                       previous_secret=e.previous_secret,
                       expires_at=e.previous_secret_expires_at, now=clock.utc_now()))


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="The signing secret (whsec_...): shown this once, keep it")


class WebhookRotateIn(BaseModel):
    # The range is documented here and enforced by rules.rotation_overlap, whose refusal has its
    # own code (invalid_rotation_overlap), the same for the API and the page.
    overlap_hours: int | None = Field(
        None, json_schema_extra={"minimum": 0, "maximum": rules.MAX_ROTATION_OVERLAP_HOURS},
        description=f"How long the previous secret keeps signing, in hours (default "
                    f"{rules.ROTATION_OVERLAP_HOURS}, at most {rules.MAX_ROTATION_OVERLAP_HOURS}"
                    "); 0 revokes it at once, e.g. when it leaked")


class WebhookSecretOut(BaseModel):
    endpoint_id: str
    secret: str = Field(description="The new signing secret: shown this once, keep it")
    previous_secret_valid_until: datetime | None = Field(
        description="Until when the previous secret also signs each delivery (both signatures "
                    "are in webhook-signature, the new one first); null if it was revoked now")


class WebhookDeliveryOut(BaseModel):
    id: str
    message_id: str = Field(description="The webhook-id header: the same on every retry")
    event_type: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int = Field(description="Every POST made, counted as it goes out: also those cut "
                                      "off mid-request")
    interrupted_attempts: int = Field(description="Of those, how many got no answer because "
                                                  "the worker stopped mid-request")
    sending: bool = Field(description="An attempt is in flight now (or its worker stopped "
                                      "mid-request; the next attempt will say so)")
    last_status: int | None = Field(description="The HTTP status of the last attempt")
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, d: WebhookDelivery, m: WebhookMessage) -> WebhookDeliveryOut:
        return cls(id=d.id, message_id=m.id, event_type=m.event_type,
                   status=rules.delivery_status(delivered_at=d.delivered_at,
                                                failed_at=d.failed_at),
                   attempts=d.attempts, interrupted_attempts=d.interrupted_attempts,
                   sending=d.attempt_started_at is not None and d.delivered_at is None
                   and d.failed_at is None,
                   last_status=d.last_status, last_error=d.last_error,
                   last_attempt_at=d.last_attempt_at, delivered_at=d.delivered_at,
                   failed_at=d.failed_at, created_at=d.created_at)

"""emit(): one event, told to everyone concerned, in the transaction of the change that caused it.

For each recipient user: an in-app notification and an e-mail in the outbox (sent by the worker).
For each business concerned: one webhook message (its id is the webhook-id), and one delivery job
per subscribed endpoint. Nothing is sent from inside the request; a rollback sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    EmailMessage,
    Notification,
    User,
    WebhookDelivery,
    WebhookMessage,
    new_id,
)
from sparkcodes.notification import catalog, repository
from sparkcodes.worker import service as jobs

# Field names whose values are secrets and never reach a notification, e-mail or webhook.
_SECRET_KEYS = {"code", "code_hash", "token", "token_hash", "secret", "password"}


@dataclass(frozen=True)
class Emitted:
    event_id: str
    notifications: int
    emails: int
    webhooks: int


@dataclass(frozen=True)
class Inbox:
    """A page of a user's notifications, and how many of all of them are unread."""

    unread: int
    items: list[Notification]


def inbox(session: Session, *, user: User, unread_only: bool, limit: int,
          offset: int) -> Inbox:
    """A page of the user's notifications, newest first, and how many are unread in all."""
    items = repository.of_user(session, user.id, unread_only=unread_only, limit=limit,
                               offset=offset)
    return Inbox(unread=repository.unread_count(session, user.id), items=items)


def mark_read(session: Session, *, user: User, ids: list[str] | None) -> int:
    """Mark some (ids) or all of the user's notifications read, harmlessly twice; returns how
    many stay unread."""
    repository.mark_read(session, user_id=user.id, ids=ids, now=utc_now())
    return repository.unread_count(session, user.id)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def emit(session: Session, *, event_type: str, title: str, body: str, data: dict[str, Any],
         business_ids: set[str] | None = None, creator_id: str | None = None,
         business_roles: set[str] | None = None) -> Emitted:
    """Tell the businesses and the creator account concerned; returns what was queued.
    ``business_roles`` narrows the businesses' members told in-app and by e-mail (webhooks go
    to every endpoint of the business as always)."""
    if event_type not in catalog.EVENTS:
        raise ValueError(f"unknown event type {event_type!r}: add it to the catalog")
    business_ids = {b for b in (business_ids or set()) if b}
    event_id = new_id()
    now = utc_now()
    data = _scrub(data)
    # user id -> (user, the business it is told as a member of; None: the creator account owner)
    recipients: dict[str, tuple[User, str | None]] = {}
    for business_id, user in repository.business_members(session, business_ids,
                                                            business_roles):
        recipients.setdefault(user.id, (user, business_id))
    owner = repository.creator_owner(session, creator_id) if creator_id else None
    if owner is not None:
        recipients.setdefault(owner.id, (owner, None))
    rows: list[object] = []
    emails = []
    for user, via_business in recipients.values():
        rows.append(Notification(user_id=user.id, business_id=via_business,
                                 creator_id=creator_id if via_business is None else None,
                                 event_id=event_id, event_type=event_type, title=title,
                                 body=body, data=data, created_at=now))
        email = EmailMessage(id=new_id(), to_address=user.email, subject=title,
                             body=f"{body}\n\n— sparkcodes", event_id=event_id, created_at=now)
        rows.append(email)
        emails.append(email.id)
    deliveries = []
    for business_id in sorted(business_ids):
        message = WebhookMessage(id=new_id(), business_id=business_id, event_type=event_type,
                                 payload={"type": event_type, "timestamp": now.isoformat(),
                                          "data": data}, created_at=now)
        rows.append(message)
        for endpoint in repository.live_endpoints(session, {business_id}):
            if endpoint.event_types and event_type not in endpoint.event_types:
                continue
            delivery = WebhookDelivery(id=new_id(), message_id=message.id,
                                       endpoint_id=endpoint.id, created_at=now)
            rows.append(delivery)
            deliveries.append(delivery.id)
    # Deliveries after their messages: without a relationship() the flush does not order them.
    repository.add_all(session, [r for r in rows if not isinstance(r, WebhookDelivery)])
    repository.add_all(session, [r for r in rows if isinstance(r, WebhookDelivery)])
    for email_id in emails:
        jobs.enqueue(session, "email.send", {"email_id": email_id},
                     dedupe_key=f"email.send:{email_id}", max_attempts=8)
    for delivery_id in deliveries:
        jobs.enqueue(session, "webhook.deliver", {"delivery_id": delivery_id},
                     dedupe_key=f"webhook.deliver:{delivery_id}", max_attempts=50)
    return Emitted(event_id, len(recipients), len(emails), len(deliveries))


def unread_count(session: Session, *, user_id: str) -> int:
    """How many of a user's notifications are unread."""
    return repository.unread_count(session, user_id)

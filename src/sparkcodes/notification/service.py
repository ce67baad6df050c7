"""emit(): one event, told to everyone concerned, in the transaction of the change that caused it.

For each recipient user: an in-app notification and an e-mail in the outbox (sent by the worker).
For each business concerned: one webhook message (its id is the webhook-id), and one delivery job
per subscribed endpoint. Nothing is sent from inside the request; a rollback sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.errors import AppError
from sparkcodes.kit.clock import utc_now
from sparkcodes.mail import service as mail_service
from sparkcodes.models import (
    EmailMessage,
    Notification,
    User,
    WebhookDelivery,
    WebhookMessage,
    new_id,
)
from sparkcodes.notification import catalog, repository, rules
from sparkcodes.worker import service as jobs

# Field names whose values are secrets and never reach a notification, e-mail or webhook.
_SECRET_KEYS = {"code", "code_hash", "token", "token_hash", "secret", "password"}
EMAIL_CHOICES_PAGE = "/notifications/email"


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


def email_body(body: str, advice: rules.Advice | None) -> str:
    """An alert's e-mail: its words, then what to do and where, as links to the site (the
    sender puts the site's address in place of mail.service.SITE), and where to choose."""
    lines = [body]
    if advice is not None:
        lines += ["", advice.sentence]
        links = [x for x in (advice.action, advice.subject) if x is not None]
        if links:
            lines += [""] + [f"{x.label}: {mail_service.SITE}{x.href}" for x in links]
    lines += ["", f"Choose which alerts you get by e-mail: {mail_service.SITE}{EMAIL_CHOICES_PAGE}",
              "", "— sparkcodes"]
    return "\n".join(lines)


def emit(session: Session, *, event_type: str, title: str, body: str, data: dict[str, Any],
         business_ids: set[str] | None = None, creator_id: str | None = None,
         business_roles: set[str] | None = None, tell_people: bool = True,
         creator_words: tuple[str, str] | None = None) -> Emitted:
    """Tell the businesses and the creator account concerned; returns what was queued.
    ``business_roles`` narrows the businesses' members told in-app and by e-mail (webhooks go
    to every endpoint of the business as always). ``tell_people`` False writes the webhook
    messages only: the people concerned are told of the same change by another alert.
    ``creator_words`` (title, body) is what the creator reads when ``title`` and ``body`` are
    the brand's words. A user who opted out of this kind by e-mail gets no e-mail of it."""
    if event_type not in catalog.EVENTS:
        raise ValueError(f"unknown event type {event_type!r}: add it to the catalog")
    business_ids = {b for b in (business_ids or set()) if b}
    event_id = new_id()
    now = utc_now()
    data = _scrub(data)
    # user id -> (user, the business it is told as a member of; None: the creator account owner)
    recipients: dict[str, tuple[User, str | None]] = {}
    for business_id, user in (repository.business_members(session, business_ids, business_roles)
                              if tell_people else []):
        recipients.setdefault(user.id, (user, business_id))
    owner = (repository.creator_owner(session, creator_id) if creator_id and tell_people
             else None)
    if owner is not None:
        recipients.setdefault(owner.id, (owner, None))
    rows: list[object] = []
    emails = []
    no_email = repository.opted_out(session, user_ids=set(recipients), event_type=event_type)
    for user, via_business in recipients.values():
        reader = rules.reader_of(via_business)
        told_title, told_body = (creator_words if creator_words and reader == rules.CREATOR
                                 else (title, body))
        rows.append(Notification(user_id=user.id, business_id=via_business,
                                 creator_id=creator_id if via_business is None else None,
                                 event_id=event_id, event_type=event_type, title=told_title,
                                 body=told_body, data=data, created_at=now))
        if user.id in no_email:
            continue
        advice = rules.advice(kind=event_type, reader=reader, data=data,
                              business_id=via_business)
        email = EmailMessage(id=new_id(), to_address=user.email, subject=told_title,
                             body=email_body(told_body, advice), event_id=event_id,
                             created_at=now)
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
        jobs.enqueue(session, mail_service.SEND_JOB, {"email_id": email_id},
                     dedupe_key=f"{mail_service.SEND_JOB}:{email_id}",
                     max_attempts=mail_service.SEND_MAX_ATTEMPTS)
    for delivery_id in deliveries:
        jobs.enqueue(session, "webhook.deliver", {"delivery_id": delivery_id},
                     dedupe_key=f"webhook.deliver:{delivery_id}", max_attempts=50)
    return Emitted(event_id, len(recipients), len(emails), len(deliveries))


def unread_count(session: Session, *, user_id: str) -> int:
    """How many of a user's notifications are unread."""
    return repository.unread_count(session, user_id)


@dataclass(frozen=True)
class EmailChoice:
    """One alert kind a person can be told of, and whether it reaches them by e-mail."""

    kind: str
    audience: str
    summary: str
    emailed: bool


class UnknownAlertKind(AppError):
    code, status = "unknown_alert_kind", 422
    message = "That is not an alert sparkcodes sends to people: choose among the listed kinds."


def choosable_kinds() -> list[catalog.EventType]:
    """The kinds a person can be told of (not the webhook-only ones), in catalog order."""
    return [e for e in catalog.EVENTS.values() if e.name not in rules.WEBHOOK_ONLY]


def email_choices(session: Session, *, user: User) -> list[EmailChoice]:
    """Every alert kind a person can get, each ticked unless the user opted out of its e-mail."""
    off = repository.opted_out_kinds(session, user.id)
    return [EmailChoice(e.name, e.audience, e.summary, e.name not in off)
            for e in choosable_kinds()]


def choose_emails(session: Session, *, user: User, emailed: list[str]) -> list[EmailChoice]:
    """Only the kinds in ``emailed`` reach the user by e-mail from now on (every kind still
    appears in-app). Raises UnknownAlertKind for a kind sparkcodes never sends to people."""
    kinds = {e.name for e in choosable_kinds()}
    unknown = sorted(set(emailed) - kinds)
    if unknown:
        raise UnknownAlertKind(details={"kinds": unknown[:10]})
    repository.replace_opt_outs(session, user_id=user.id, kinds=kinds - set(emailed),
                                now=utc_now())
    return email_choices(session, user=user)

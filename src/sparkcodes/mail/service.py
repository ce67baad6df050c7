"""The e-mail outbox: rows written by notification.service.emit, sent over SMTP by the worker.

Without an SMTP host a message is held in the outbox with the reason (never lost, never retried
in a loop); once a worker runs with an SMTP host, it releases every held message (when it starts,
then every minute), and each goes out once. A message whose attempts are spent (its send job
buried) reads failed, with why, until an operator sends it again (`sparkcodes mail retry`). A
worker killed after the SMTP server accepted a message but before it was marked sent sends it
again with the same Message-ID (derived from the row id), so the repeat is recognisable.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy.orm import Session

from sparkcodes.config import Mail
from sparkcodes.kit import crypto
from sparkcodes.mail import repository, rules

HELD = "Held: SMTP is not configured; sent once it is"
RELEASE_JOB = "email.release_held"
SEND_JOB = "email.send"
SEND_MAX_ATTEMPTS = rules.ATTEMPTS
RELEASE_BATCH = 500
# Written in place of the site's address in links of a message body; the sender puts
# settings.public_url there, so rows stay valid when the site moves.
SITE = "{{site}}"
# Where an e-mailed link's token goes ({{token:<nonce>}}): the sender derives the token from
# the nonce under the secret key (kit.crypto.link_token), so the outbox never holds a link.
_TOKEN = re.compile(r"\{\{token:([A-Za-z0-9_-]{16,64})\}\}")


def token_slot(nonce: str) -> str:
    return "{{token:" + nonce + "}}"


def _with_links(body: str, *, site: str, secret_key: str) -> str:
    body = body.replace(SITE, site.rstrip("/"))
    return _TOKEN.sub(lambda m: crypto.link_token(secret_key, m.group(1)), body)


@dataclass(frozen=True)
class Outgoing:
    """One message to send, read in a short transaction and sent outside it."""

    id: str
    to_address: str
    subject: str
    body: str
    created_at: datetime


def message_id(email_id: str, sender: str) -> str:
    """A Message-ID derived from the outbox row, the same on every attempt."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return f"<{email_id}@{domain if at and domain else 'sparkcodes.local'}>"


def compose(outgoing: Outgoing, *, sender: str) -> MimeMessage:
    """The MIME message for one outbox row (plain text, UTF-8)."""
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = outgoing.to_address
    mime["Subject"] = outgoing.subject
    mime["Message-ID"] = message_id(outgoing.id, sender)
    mime["Date"] = format_datetime(outgoing.created_at)
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(outgoing.body)
    return mime


def pending(session: Session, *, email_id: str, mail: Mail, now: datetime,
            site: str = "", secret_key: str = "") -> Outgoing | None:
    """The message to send now, with its links on ``site`` (the public URL), or None: unknown,
    already sent, or no SMTP host configured (then it is held in the outbox, with the reason,
    until a worker with SMTP releases it)."""
    row = repository.get(session, email_id)
    if row is None or row.sent_at is not None or row.failed_at is not None:
        return None
    if not mail.host:
        repository.hold(session, email_id=row.id, reason=HELD, now=now)
        return None
    return Outgoing(id=row.id, to_address=row.to_address, subject=row.subject,
                    body=_with_links(row.body, site=site, secret_key=secret_key),
                    created_at=row.created_at)


def send(outgoing: Outgoing, *, mail: Mail) -> None:
    """Hand the message to the SMTP server (STARTTLS and login when configured); raises on
    failure."""
    assert mail.host
    with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds) as smtp:
        if mail.starttls:
            smtp.starttls()
        if mail.username:
            smtp.login(mail.username, mail.password or "")
        smtp.send_message(compose(outgoing, sender=mail.sender))


def mark_sent(session: Session, *, email_id: str, now: datetime) -> None:
    repository.mark_sent(session, email_id=email_id, now=now)


def record_failure(session: Session, *, email_id: str, error: str) -> None:
    """Count a failed attempt and keep why, for the outbox listing."""
    repository.record_failure(session, email_id=email_id, error=error)


def give_up(session: Session, *, email_id: str, why: str, now: datetime) -> bool:
    """The message's send job is buried: it reads failed, saying after how many attempts and
    why, and waits for an operator to send it again (``retry_failed``). False if it was sent or
    given up already."""
    return repository.give_up(session, email_id=email_id, now=now, why=why)


def _requeue(session: Session, mark: repository.Mark, *, ids: list[str] | None,
             forget_error: bool, key: str) -> list[tuple[str, str]]:
    """Make the messages marked ``mark`` wait again (those of ``ids``, or any), a batch at a
    time: (email id, the send job's dedupe key, ``key`` and since when) for each, for the caller
    to queue in this transaction. Each is a conditional write, so two callers at once get each
    message once."""
    requeued = []
    for email_id, since in repository.marked(session, mark, ids=ids, limit=RELEASE_BATCH):
        if repository.unmark(session, mark, email_id=email_id, since=since,
                             forget_error=forget_error):
            requeued.append((email_id, f"{SEND_JOB}:{email_id}:{key}@{since.isoformat()}"))
    return requeued


def retry_failed(session: Session, *, ids: list[str] | None) -> list[tuple[str, str]]:
    """Make failed messages wait again (those of ``ids``, or every one), their last error kept
    until they are sent; two operators retrying at once queue a message once."""
    return _requeue(session, "failed_at", ids=ids, forget_error=False, key="retry")


def release_held(session: Session) -> list[tuple[str, str]]:
    """Un-hold every held message (SMTP is configured now), forgetting the hold's reason; two
    workers releasing at once get each message once."""
    return _requeue(session, "held_at", ids=None, forget_error=True, key="held")


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    to_address: str
    subject: str
    created_at: datetime
    attempts: int
    state: str  # "held" (no SMTP), "waiting" (queued, or between retries) or "failed"
    last_error: str | None


@dataclass(frozen=True)
class Outbox:
    """The unsent messages, oldest first, and how many are held, waiting and failed in all."""

    counts: dict[str, int]
    messages: list[OutboxMessage]


def outbox(session: Session, *, limit: int, offset: int = 0) -> Outbox:
    """What is not sent yet, each message held, waiting or failed, with why."""
    rows = repository.unsent(session, limit=limit, offset=offset)
    return Outbox(counts=repository.counts(session), messages=[
        OutboxMessage(id=r.id, to_address=r.to_address, subject=r.subject,
                      created_at=r.created_at, attempts=r.attempts,
                      state=("failed" if r.failed_at is not None else
                             "held" if r.held_at is not None else "waiting"),
                      last_error=r.last_error) for r in rows])

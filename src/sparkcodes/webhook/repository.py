"""Every query about webhook endpoints, messages and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, func, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import WebhookDelivery, WebhookEndpoint, WebhookMessage


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE changed: it executes to a CursorResult, the Result that has rowcount."""
    return cast("CursorResult[Any]", result).rowcount


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def get_endpoint(session: Session, endpoint_id: str, *,
                 include_deleted: bool = False) -> WebhookEndpoint | None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (endpoint.deleted_at is not None and not include_deleted):
        return None
    return endpoint


def endpoints_of(session: Session, business_id: str) -> list[WebhookEndpoint]:
    return list(session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.business_id == business_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def deliveries_of(session: Session, endpoint_id: str, *, limit: int,
                  offset: int) -> list[tuple[WebhookDelivery, WebhookMessage]]:
    """The endpoint's delivery log, newest first."""
    rows = session.execute(
        select(WebhookDelivery, WebhookMessage)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit).offset(offset)).all()
    return [(d, m) for d, m in rows]


def count_deliveries(session: Session, endpoint_id: str) -> int:
    return session.scalar(select(func.count()).select_from(WebhookDelivery)
                          .where(WebhookDelivery.endpoint_id == endpoint_id)) or 0


def delivery_bundle(session: Session, delivery_id: str) -> tuple[
        WebhookDelivery, WebhookEndpoint, WebhookMessage] | None:
    """A delivery with its endpoint and message, read fresh (the worker's view)."""
    row = session.execute(
        select(WebhookDelivery, WebhookEndpoint, WebhookMessage)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.id == delivery_id)
        .execution_options(populate_existing=True)).first()
    return (row[0], row[1], row[2]) if row else None


def _open_delivery(delivery_id: str) -> tuple[ColumnElement[bool], ...]:
    return (WebhookDelivery.id == delivery_id, WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.failed_at.is_(None))


def start_attempt(session: Session, *, delivery_id: str, number: int, interrupted: bool,
                  note: str | None, now: datetime) -> bool:
    """Count attempt ``number`` before its POST goes out (and the cut-off one before it, if
    ``interrupted``). A conditional write on the count read: False if the delivery was settled
    or another worker started an attempt meanwhile."""
    values: dict[str, Any] = {"attempts": number, "attempt_started_at": now,
                              "last_attempt_at": now}
    if interrupted:
        values.update(interrupted_attempts=WebhookDelivery.interrupted_attempts + 1,
                      last_status=None, last_error=note)
    row = session.execute(update(WebhookDelivery)
                          .where(*_open_delivery(delivery_id),
                                 WebhookDelivery.attempts == number - 1)
                          .values(**values).returning(WebhookDelivery.id)
                          .execution_options(synchronize_session=False)).first()
    return row is not None


def complete_attempt(session: Session, *, delivery_id: str, number: int, now: datetime,
                     status: int | None, error: str | None, delivered: bool) -> bool:
    """Record the outcome of attempt ``number`` on a delivery still open. A success settles the
    delivery whatever attempt came since; a failure is recorded only if no later attempt has
    started (that one's outcome will be). False if nothing was recorded."""
    values: dict[str, Any] = {"last_status": status, "last_error": error,
                              "attempt_started_at": None}
    where = list(_open_delivery(delivery_id))
    if delivered:
        values["delivered_at"] = now
    else:
        where.append(WebhookDelivery.attempts == number)
    row = session.execute(update(WebhookDelivery).where(*where)
                          .values(**values).returning(WebhookDelivery.id)
                          .execution_options(synchronize_session=False)).first()
    return row is not None


def is_settled(session: Session, delivery_id: str) -> bool:
    """Delivered or given up on (a delivery that does not exist is settled too)."""
    return session.scalar(select(WebhookDelivery.id).where(*_open_delivery(delivery_id))) is None


def fail_delivery(session: Session, *, delivery_id: str, now: datetime,
                  error: str | None = None) -> bool:
    """Give up on an open delivery; False if it was already settled."""
    values: dict[str, Any] = {"failed_at": now}
    if error is not None:
        values["last_error"] = error
    result = session.execute(update(WebhookDelivery).where(*_open_delivery(delivery_id))
                             .values(**values).execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def mark_failing(session: Session, *, endpoint_id: str, now: datetime) -> None:
    """Start the failing clock, unless it is already running."""
    session.execute(update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint_id,
                           WebhookEndpoint.failing_since.is_(None))
                    .values(failing_since=now).execution_options(synchronize_session=False))


def mark_healthy(session: Session, *, endpoint_id: str) -> None:
    session.execute(update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint_id,
                           WebhookEndpoint.failing_since.is_not(None))
                    .values(failing_since=None).execution_options(synchronize_session=False))


def disable_if_failing_since(session: Session, *, endpoint_id: str, cutoff: datetime,
                             now: datetime, reason: str) -> bool:
    """Disable a live endpoint failing since ``cutoff`` or earlier. True for exactly one caller."""
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None),
               WebhookEndpoint.deleted_at.is_(None), WebhookEndpoint.failing_since <= cutoff)
        .values(disabled_at=now, disabled_reason=reason)
        .execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def rotate_secret(session: Session, *, endpoint_id: str, new_secret: str,
                  previous_expires_at: datetime | None) -> bool:
    """Swap in ``new_secret`` on a live endpoint in one UPDATE: the secret it replaces becomes the
    previous one until ``previous_expires_at`` (None: revoked now). The old value is read by the
    UPDATE itself, so two rotations at once chain (each keeps the other's secret) and none is
    lost. False if the endpoint is deleted."""
    keep = previous_expires_at is not None
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None))
        .values(secret=new_secret,
                previous_secret=WebhookEndpoint.secret if keep else None,
                previous_secret_expires_at=previous_expires_at)
        .execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def soft_delete(session: Session, *, endpoint_id: str, now: datetime) -> bool:
    """Delete a live endpoint; False if it was already deleted (deleting twice is harmless)."""
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None))
        .values(deleted_at=now).execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def refresh(session: Session, row: object) -> None:
    session.flush()
    session.refresh(row)


def stored_secrets(session: Session) -> list[tuple[str, str, str | None]]:
    """(id, secret, previous secret) of every endpoint, deleted ones included (as stored)."""
    rows = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.secret,
                                  WebhookEndpoint.previous_secret)
                           .order_by(WebhookEndpoint.id))
    return [(r[0], r[1], r[2]) for r in rows]


def reseal(session: Session, *, endpoint_id: str, values: dict[str, str]) -> None:
    session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                    .values(**values).execution_options(synchronize_session=False))

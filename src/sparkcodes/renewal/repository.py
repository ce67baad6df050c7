"""Every query on renewal requests, including the conditional writes that answer them once and
only while they are open (unanswered and younger than RENEWAL_TTL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import (
    AdAccount,
    AuditEvent,
    Authorization,
    Business,
    Creator,
    Post,
    RenewalRequest,
)
from sparkcodes.renewal.rules import RENEWAL_TTL, RenewalStatus

EXPIRED_ACTION = "renewal_request.expired"


def _unanswered() -> tuple[Any, ...]:
    """Neither approved nor declined by the creator nor cancelled by the brand (expired or not)."""
    return (RenewalRequest.approved_at.is_(None), RenewalRequest.declined_at.is_(None),
            RenewalRequest.cancelled_at.is_(None))


def _open(now: datetime) -> tuple[Any, ...]:
    """rules.status_at(...) is PENDING: created_at + TTL > now, i.e. created_at > now - TTL."""
    return (*_unanswered(), RenewalRequest.created_at > now - RENEWAL_TTL)


def status_filter(status: RenewalStatus, now: datetime) -> tuple[Any, ...]:
    """rules.status_at as SQL (the answers are exclusive, so one column decides)."""
    if status is RenewalStatus.PENDING:
        return _open(now)
    if status is RenewalStatus.EXPIRED:
        return (*_unanswered(), RenewalRequest.created_at <= now - RENEWAL_TTL)
    column = {RenewalStatus.APPROVED: RenewalRequest.approved_at,
              RenewalStatus.DECLINED: RenewalRequest.declined_at,
              RenewalStatus.CANCELLED: RenewalRequest.cancelled_at}[status]
    return (column.is_not(None),)


def add(session: Session, request: RenewalRequest) -> None:
    session.add(request)
    session.flush()


def by_id(session: Session, request_id: str) -> RenewalRequest | None:
    return session.get(RenewalRequest, request_id)


def refresh(session: Session, request: RenewalRequest) -> None:
    session.refresh(request)


def lock_code(session: Session, authorization_id: str) -> None:
    """Serialize requests for one code on PostgreSQL (SQLite writers are serial already), so the
    "one pending request per code" check and the insert that follows it cannot interleave."""
    session.execute(select(Authorization.id).where(Authorization.id == authorization_id)
                    .with_for_update())


def pending_for_code(session: Session, authorization_id: str,
                     now: datetime) -> RenewalRequest | None:
    """The open request for this code, if any; an expired one does not block a new one."""
    return session.scalar(select(RenewalRequest).where(
        RenewalRequest.authorization_id == authorization_id, *_open(now)).limit(1))


def approve(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """Answer a pending request with "approved"; False if it was answered or expired first."""
    return _answer(session, request_id, now, approved_at=now, answered_by_id=user_id)


def decline(session: Session, *, request_id: str, user_id: str, reason: str,
            now: datetime) -> bool:
    return _answer(session, request_id, now, declined_at=now, decline_reason=reason,
                   answered_by_id=user_id)


def cancel(session: Session, *, request_id: str, now: datetime) -> bool:
    return _answer(session, request_id, now, cancelled_at=now)


def _answer(session: Session, request_id: str, now: datetime, **values: Any) -> bool:
    result = session.execute(
        update(RenewalRequest).where(RenewalRequest.id == request_id, *_open(now))
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


Row = tuple[RenewalRequest, Authorization, Post, Creator, AdAccount, Business]


def _listing() -> Select:  # type: ignore[type-arg]
    return (select(RenewalRequest, Authorization, Post, Creator, AdAccount, Business)
            .join(Authorization, Authorization.id == RenewalRequest.authorization_id)
            .join(Post, Post.id == Authorization.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .join(AdAccount, AdAccount.id == RenewalRequest.ad_account_id)
            .join(Business, Business.id == AdAccount.business_id))


def _rows(session: Session, stmt: Select, status: RenewalStatus | None,  # type: ignore[type-arg]
          now: datetime, limit: int, offset: int) -> list[Row]:
    if status is not None:
        stmt = stmt.where(*status_filter(status, now))
    stmt = stmt.order_by(RenewalRequest.created_at.desc(), RenewalRequest.id)
    return [tuple(r) for r in session.execute(stmt.limit(limit).offset(offset)).all()]  # type: ignore[misc]


def of_creator(session: Session, creator_id: str, *, status: RenewalStatus | None,
               now: datetime, limit: int, offset: int) -> list[Row]:
    """Requests for codes of this creator account's posts, newest first."""
    return _rows(session, _listing().where(Post.creator_id == creator_id), status, now, limit,
                 offset)


def of_ad_account(session: Session, ad_account_id: str, *, status: RenewalStatus | None,
                  now: datetime, limit: int, offset: int) -> list[Row]:
    return _rows(session, _listing().where(RenewalRequest.ad_account_id == ad_account_id),
                 status, now, limit, offset)


def one(session: Session, request_id: str) -> Row | None:
    row = session.execute(_listing().where(RenewalRequest.id == request_id)
                          .execution_options(populate_existing=True)).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def lock(session: Session, request_id: str) -> None:
    """Serialize the expiry notice of one request on PostgreSQL (SQLite writers are serial
    already), so two runs of its job cannot both find it unnoticed."""
    session.execute(select(RenewalRequest.id).where(RenewalRequest.id == request_id)
                    .with_for_update())


def _noticed(request_id_column: Any) -> Any:
    """The audit row written with the expiry notice marks the request as noticed."""
    return exists().where(AuditEvent.target_type == "renewal_request",
                          AuditEvent.target_id == request_id_column,
                          AuditEvent.action == EXPIRED_ACTION)


def expired_unnoticed(session: Session, *, now: datetime, since: datetime,
                      limit: int = 500) -> list[RenewalRequest]:
    """Unanswered requests that lapsed after ``since`` and whose brand was not told yet."""
    return list(session.scalars(
        select(RenewalRequest).where(*_unanswered(),
                                     RenewalRequest.created_at <= now - RENEWAL_TTL,
                                     RenewalRequest.created_at > since - RENEWAL_TTL,
                                     ~_noticed(RenewalRequest.id))
        .order_by(RenewalRequest.created_at, RenewalRequest.id).limit(limit)))


def expiry_noticed(session: Session, request_id: str) -> bool:
    return session.scalar(select(_noticed(request_id))) or False

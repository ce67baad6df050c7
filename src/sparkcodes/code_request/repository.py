"""Every query on code requests, including the conditional writes that answer them once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, select, update
from sqlalchemy.orm import Session

from sparkcodes.code_request.rules import CodeRequestStatus
from sparkcodes.models import (
    AdAccount,
    AuditEvent,
    Authorization,
    Business,
    CodeRequest,
    Creator,
    Post,
    SparkPost,
)

EXPIRED_ACTION = "code_request.expired"


def _unanswered() -> tuple[Any, ...]:
    """Neither answered by the creator nor withdrawn by the brand (expired or not)."""
    return (CodeRequest.accepted_at.is_(None), CodeRequest.declined_at.is_(None),
            CodeRequest.cancelled_at.is_(None))


def _open(now: datetime) -> tuple[Any, ...]:
    return (*_unanswered(), CodeRequest.expires_at > now)


def status_filter(status: CodeRequestStatus, now: datetime) -> tuple[Any, ...]:
    """rules.status_at as SQL (the final states are exclusive, so one column decides)."""
    if status is CodeRequestStatus.ACCEPTED:
        return (CodeRequest.accepted_at.is_not(None),)
    if status is CodeRequestStatus.DECLINED:
        return (CodeRequest.declined_at.is_not(None),)
    if status is CodeRequestStatus.CANCELLED:
        return (CodeRequest.cancelled_at.is_not(None),)
    if status is CodeRequestStatus.EXPIRED:
        return (*_unanswered(), CodeRequest.expires_at <= now)
    return _open(now)


def add(session: Session, request: CodeRequest) -> None:
    session.add(request)
    session.flush()


def refresh(session: Session, request: CodeRequest) -> None:
    session.refresh(request)


def pending_for(session: Session, *, ad_account_id: str, post_id: str,
                now: datetime) -> CodeRequest | None:
    """The open request of this ad account for this post, if any (at most one: see create)."""
    return session.scalar(select(CodeRequest).where(
        CodeRequest.ad_account_id == ad_account_id, CodeRequest.post_id == post_id, *_open(now))
        .order_by(CodeRequest.expires_at.desc()).limit(1))


def accept(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """Claim a pending, unexpired request for acceptance; False if answered or expired first."""
    result = session.execute(
        update(CodeRequest).where(CodeRequest.id == request_id, *_open(now))
        .values(accepted_at=now, answered_by_id=user_id)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def set_authorization(session: Session, *, request_id: str, authorization_id: str) -> None:
    """Record the code an accepted request produced (in the same transaction as the claim)."""
    session.execute(update(CodeRequest).where(CodeRequest.id == request_id,
                                              CodeRequest.accepted_at.is_not(None))
                    .values(authorization_id=authorization_id)
                    .execution_options(synchronize_session=False))


def decline(session: Session, *, request_id: str, user_id: str, reason: str,
            now: datetime) -> bool:
    result = session.execute(
        update(CodeRequest).where(CodeRequest.id == request_id, *_open(now))
        .values(declined_at=now, decline_reason=reason, answered_by_id=user_id)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def cancel(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """The brand withdraws a pending, unexpired request; False if answered, withdrawn or
    expired first."""
    result = session.execute(
        update(CodeRequest).where(CodeRequest.id == request_id, *_open(now))
        .values(cancelled_at=now, cancelled_by_id=user_id)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


Row = tuple[CodeRequest, Post, Creator, AdAccount, Business, Authorization | None]


def _listing() -> Select:  # type: ignore[type-arg]
    return (select(CodeRequest, Post, Creator, AdAccount, Business, Authorization)
            .join(Post, Post.id == CodeRequest.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .join(AdAccount, AdAccount.id == CodeRequest.ad_account_id)
            .join(Business, Business.id == AdAccount.business_id)
            .outerjoin(Authorization, Authorization.id == CodeRequest.authorization_id)
            .execution_options(populate_existing=True))


def _rows(session: Session, stmt: Select, status: CodeRequestStatus | None,  # type: ignore[type-arg]
          now: datetime, limit: int, offset: int) -> list[Row]:
    if status is not None:
        stmt = stmt.where(*status_filter(status, now))
    stmt = stmt.order_by(CodeRequest.created_at.desc(), CodeRequest.id).limit(limit).offset(offset)
    return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]


def one(session: Session, request_id: str) -> Row | None:
    row = session.execute(_listing().where(CodeRequest.id == request_id)).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def of_creator(session: Session, creator_id: str, *, status: CodeRequestStatus | None,
               now: datetime, limit: int, offset: int) -> list[Row]:
    return _rows(session, _listing().where(Post.creator_id == creator_id), status, now, limit,
                 offset)


def of_ad_account(session: Session, ad_account_id: str, *, status: CodeRequestStatus | None,
                  now: datetime, limit: int, offset: int) -> list[Row]:
    return _rows(session, _listing().where(CodeRequest.ad_account_id == ad_account_id), status,
                 now, limit, offset)


def spark_posts_of(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The Spark post id per (ad account, code) for accepted requests' codes."""
    if not pairs:
        return {}
    rows = session.execute(select(SparkPost.ad_account_id, SparkPost.authorization_id,
                                  SparkPost.id)
                           .where(SparkPost.authorization_id.in_({a for _, a in pairs}))
                           .order_by(SparkPost.bound_at)).all()
    return {(r[0], r[1]): r[2] for r in rows if (r[0], r[1]) in pairs}


def lock(session: Session, request_id: str) -> None:
    """Serialize the expiry notice of one request on PostgreSQL (SQLite writers are serial
    already), so two runs of its job cannot both find it unnoticed."""
    session.execute(select(CodeRequest.id).where(CodeRequest.id == request_id)
                    .with_for_update())


def _noticed(request_id_column: Any) -> Any:
    return exists().where(AuditEvent.target_type == "code_request",
                          AuditEvent.target_id == request_id_column,
                          AuditEvent.action == EXPIRED_ACTION)


def expired_unnoticed(session: Session, *, now: datetime, since: datetime,
                      limit: int = 500) -> list[CodeRequest]:
    """Unanswered requests that lapsed after ``since`` and whose brand was not told yet."""
    return list(session.scalars(
        select(CodeRequest).where(*_unanswered(), CodeRequest.expires_at <= now,
                                  CodeRequest.expires_at > since,
                                  ~_noticed(CodeRequest.id))
        .order_by(CodeRequest.expires_at, CodeRequest.id).limit(limit)))


def expiry_noticed(session: Session, request_id: str) -> bool:
    return session.scalar(select(_noticed(request_id))) or False



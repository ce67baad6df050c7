"""Every query on renewal requests, including the conditional writes that answer them once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import AdAccount, Authorization, Business, Creator, Post, RenewalRequest
from sparkcodes.renewal.rules import RenewalStatus

_OPEN = (RenewalRequest.approved_at.is_(None), RenewalRequest.declined_at.is_(None),
         RenewalRequest.cancelled_at.is_(None))


def status_filter(status: RenewalStatus) -> Any:
    """rules.status_of as SQL (the answers are exclusive, so one column decides)."""
    if status is RenewalStatus.PENDING:
        return (*_OPEN,)
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


def pending_for_code(session: Session, authorization_id: str) -> RenewalRequest | None:
    return session.scalar(select(RenewalRequest).where(
        RenewalRequest.authorization_id == authorization_id, *_OPEN).limit(1))


def approve(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """Answer a pending request with "approved"; False if it was answered meanwhile."""
    return _answer(session, request_id, approved_at=now, answered_by_id=user_id)


def decline(session: Session, *, request_id: str, user_id: str, reason: str,
            now: datetime) -> bool:
    return _answer(session, request_id, declined_at=now, decline_reason=reason,
                   answered_by_id=user_id)


def cancel(session: Session, *, request_id: str, now: datetime) -> bool:
    return _answer(session, request_id, cancelled_at=now)


def _answer(session: Session, request_id: str, **values: Any) -> bool:
    result = session.execute(
        update(RenewalRequest).where(RenewalRequest.id == request_id, *_OPEN).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


Row = tuple[RenewalRequest, Authorization, Post, Creator, AdAccount, Business]


def _listing() -> Select:  # type: ignore[type-arg]
    return (select(RenewalRequest, Authorization, Post, Creator, AdAccount, Business)
            .join(Authorization, Authorization.id == RenewalRequest.authorization_id)
            .join(Post, Post.id == Authorization.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .join(AdAccount, AdAccount.id == RenewalRequest.ad_account_id)
            .join(Business, Business.id == AdAccount.business_id))


def _rows(session: Session, stmt: Select, status: RenewalStatus | None, limit: int,  # type: ignore[type-arg]
          offset: int) -> list[Row]:
    if status is not None:
        stmt = stmt.where(*status_filter(status))
    stmt = stmt.order_by(RenewalRequest.created_at.desc(), RenewalRequest.id)
    return [tuple(r) for r in session.execute(stmt.limit(limit).offset(offset)).all()]  # type: ignore[misc]


def of_creator(session: Session, creator_id: str, *, status: RenewalStatus | None, limit: int,
               offset: int) -> list[Row]:
    """Requests for codes of this creator account's posts, newest first."""
    return _rows(session, _listing().where(Post.creator_id == creator_id), status, limit, offset)


def of_ad_account(session: Session, ad_account_id: str, *, status: RenewalStatus | None,
                  limit: int, offset: int) -> list[Row]:
    return _rows(session, _listing().where(RenewalRequest.ad_account_id == ad_account_id),
                 status, limit, offset)


def one(session: Session, request_id: str) -> Row | None:
    row = session.execute(_listing().where(RenewalRequest.id == request_id)
                          .execution_options(populate_existing=True)).first()
    return tuple(row) if row else None  # type: ignore[return-value]

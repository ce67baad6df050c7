"""Every query on renewal requests, including the conditional writes that answer them once and
only while they are open (unanswered and younger than RENEWAL_TTL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among
from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    Creator,
    Post,
    RenewalRequest,
)
from sparkcodes.renewal.rules import RENEWAL_TTL
from sparkcodes.request_flow import repository as flow

EXPIRED_ACTION = "renewal_request.expired"

Row = tuple[RenewalRequest, Authorization, Post, Creator, AdAccount, Business]


def _listing() -> Select[RenewalRequest, Authorization, Post, Creator, AdAccount, Business]:
    return (select(RenewalRequest, Authorization, Post, Creator, AdAccount, Business)
            .join(Authorization, Authorization.id == RenewalRequest.authorization_id)
            .join(Post, Post.id == Authorization.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .join(AdAccount, AdAccount.id == RenewalRequest.ad_account_id)
            .join(Business, Business.id == AdAccount.business_id))


# No expires_at column: a request lapses RENEWAL_TTL after it was made.
TABLE = flow.Table(model=RenewalRequest, id=RenewalRequest.id,
                   ad_account_id=RenewalRequest.ad_account_id,
                   created_at=RenewalRequest.created_at, agreed_at=RenewalRequest.approved_at,
                   declined_at=RenewalRequest.declined_at,
                   withdrawn_at=RenewalRequest.cancelled_at, deadline=RenewalRequest.created_at,
                   noticed_at=RenewalRequest.expiry_noticed_at, ttl=RENEWAL_TTL,
                   target_type="renewal_request",
                   listing=_listing)


def by_id(session: Session, request_id: str) -> RenewalRequest | None:
    return session.get(RenewalRequest, request_id)


def lock_code(session: Session, authorization_id: str) -> None:
    """Serialize requests for one code on PostgreSQL (SQLite writers are serial already), so the
    "one pending request per code" check and the insert that follows it cannot interleave."""
    session.execute(select(Authorization.id).where(Authorization.id == authorization_id)
                    .with_for_update())


def pending_for_code(session: Session, authorization_id: str,
                     now: datetime) -> RenewalRequest | None:
    """The open request for this code, if any; an expired one does not block a new one."""
    return session.scalar(select(RenewalRequest).where(
        RenewalRequest.authorization_id == authorization_id, *flow.open_at(TABLE, now)).limit(1))


def of_codes(session: Session, authorization_ids: Sequence[str]) -> ColumnElement[bool]:
    """The requests about these codes (a condition on the listing)."""
    return among(session, RenewalRequest.authorization_id, authorization_ids)


def approve(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """Answer a pending request with "approved"; False if it was answered or expired first."""
    return flow.answer(session, TABLE, request_id, now, approved_at=now, answered_by_id=user_id)


def decline(session: Session, *, request_id: str, user_id: str, reason: str,
            now: datetime) -> bool:
    return flow.answer(session, TABLE, request_id, now, declined_at=now, decline_reason=reason,
                       answered_by_id=user_id)


def cancel(session: Session, *, request_id: str, now: datetime) -> bool:
    return flow.answer(session, TABLE, request_id, now, cancelled_at=now)

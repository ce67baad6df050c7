"""Every query on code requests, including the conditional writes that answer them once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    CodeRequest,
    Creator,
    Post,
    SparkPost,
)
from sparkcodes.request_flow import repository as flow

EXPIRED_ACTION = "code_request.expired"

# The code is NULL until the request is accepted (an outer join).
Row = tuple[CodeRequest, Post, Creator, AdAccount, Business, Authorization | None]


def _listing() -> Select[CodeRequest, Post, Creator, AdAccount, Business, Authorization | None]:
    return (select(CodeRequest, Post, Creator, AdAccount, Business, Authorization)
            .join(Post, Post.id == CodeRequest.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .join(AdAccount, AdAccount.id == CodeRequest.ad_account_id)
            .join(Business, Business.id == AdAccount.business_id)
            .outerjoin(Authorization, Authorization.id == CodeRequest.authorization_id)
            .execution_options(populate_existing=True))


TABLE = flow.Table(model=CodeRequest, id=CodeRequest.id, ad_account_id=CodeRequest.ad_account_id,
                   created_at=CodeRequest.created_at, agreed_at=CodeRequest.accepted_at,
                   declined_at=CodeRequest.declined_at, withdrawn_at=CodeRequest.cancelled_at,
                   deadline=CodeRequest.expires_at,
                   noticed_at=CodeRequest.expiry_noticed_at, target_type="code_request",
                   listing=_listing)


def pending_for(session: Session, *, ad_account_id: str, post_id: str,
                now: datetime) -> CodeRequest | None:
    """The open request of this ad account for this post, if any (at most one: see create)."""
    return session.scalar(select(CodeRequest).where(
        CodeRequest.ad_account_id == ad_account_id, CodeRequest.post_id == post_id,
        *flow.open_at(TABLE, now)).order_by(CodeRequest.expires_at.desc()).limit(1))


def accept(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """Claim a pending, unexpired request for acceptance; False if answered or expired first."""
    return flow.answer(session, TABLE, request_id, now, accepted_at=now, answered_by_id=user_id)


def set_authorization(session: Session, *, request_id: str, authorization_id: str) -> None:
    """Record the code an accepted request produced (in the same transaction as the claim)."""
    session.execute(update(CodeRequest).where(CodeRequest.id == request_id,
                                              CodeRequest.accepted_at.is_not(None))
                    .values(authorization_id=authorization_id)
                    .execution_options(synchronize_session=False))


def decline(session: Session, *, request_id: str, user_id: str, reason: str,
            now: datetime) -> bool:
    return flow.answer(session, TABLE, request_id, now, declined_at=now, decline_reason=reason,
                       answered_by_id=user_id)


def cancel(session: Session, *, request_id: str, user_id: str, now: datetime) -> bool:
    """The brand withdraws a pending, unexpired request; False if answered, withdrawn or
    expired first."""
    return flow.answer(session, TABLE, request_id, now, cancelled_at=now, cancelled_by_id=user_id)


def spark_posts_of(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The Spark post id per (ad account, code) for accepted requests' codes."""
    if not pairs:
        return {}
    rows = session.execute(select(SparkPost.ad_account_id, SparkPost.authorization_id,
                                  SparkPost.id)
                           .where(SparkPost.authorization_id.in_({a for _, a in pairs}))
                           .order_by(SparkPost.bound_at)).all()
    # The IN list already leaves out Spark posts without a code; the test narrows the type.
    return {(account_id, code_id): spark_post_id
            for account_id, code_id, spark_post_id in rows
            if code_id is not None and (account_id, code_id) in pairs}
